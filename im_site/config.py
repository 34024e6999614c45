"""site.yaml -> a frozen, validated Config; every problem reported with its line."""

from __future__ import annotations

import difflib
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from . import sources
from .cache import Cache, code_key, digest
from .diagnostics import Diagnostics, SiteError
from .foreign import ForeignText
from .schema import Strict, validate
from .urls import SAFE_SCHEMES, is_safe_url
from .yamldoc import YamlDoc, YamlProblem, load

Label = str | dict[str, str]
_HEX = re.compile(r"#[0-9a-fA-F]{6}$")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a valid id (lowercase letters, digits, '-' and '_')")
    return value


class IdLabel(Strict):
    """An audience or pillar: a stable id and a label (text, or one per language)."""

    id: str
    label: Label
    description: Label | None = None

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return _check_id(value)


class MenuItem(Strict):
    label: Label
    url: str

    @field_validator("url")
    @classmethod
    def _safe(cls, value: str) -> str:
        if not is_safe_url(value):
            raise ValueError(f"URL scheme not allowed (use {', '.join(SAFE_SCHEMES)} or a path)")
        return value


class Colors(Strict):
    """Brand colours, as #RRGGBB; they become CSS custom properties."""

    primary: str = "#1B7F3B"
    secondary: str = "#F2A900"
    text: str = "#1A1A1A"
    background: str = "#FFFFFF"

    @field_validator("primary", "secondary", "text", "background")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f"{value!r} is not a colour like #1B7F3B")
        return value.upper()


class DarkColors(Strict):
    """The brand's colours in dark mode (`brand.dark`), as #RRGGBB; a colour not given is derived
    from the light one (`colours.dark_scheme`)."""

    primary: str | None = None
    secondary: str | None = None
    text: str | None = None
    background: str | None = None

    @field_validator("primary", "secondary", "text", "background", mode="before")
    @classmethod
    def _hex(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:  # written, but empty: `primary: #2E9E55` unquoted is a comment
            raise ValueError(f'no colour: a # starts a comment, so quote the colour ({info.field_name}: "#2E9E55")')
        return Colors._hex(value) if isinstance(value, str) else value


class Fonts(Strict):
    """Font files (WOFF2), relative to content/; shipped with the site."""

    heading: str | None = None
    body: str | None = None


class Voice(Strict):
    """Brand voice: terms to avoid, and preferred replacements."""

    avoid: list[str] = Field(default_factory=list)
    prefer: dict[str, str] = Field(default_factory=dict)


class Brand(Strict):
    name: str = "Intranet"
    logo: str | None = None
    colors: Colors = Field(default_factory=Colors)
    dark: DarkColors = Field(default_factory=DarkColors)
    fonts: Fonts = Field(default_factory=Fonts)
    voice: Voice = Field(default_factory=Voice)


class Versions(Strict):
    keep: int = Field(default=20, ge=1)


class KpiSettings(Strict):
    min_group_size: int = Field(default=5, ge=1)


class MarkdownSettings(Strict):
    html: bool = False


class SearchSettings(Strict):
    enabled: bool = True


class ImageSettings(Strict):
    widths: list[int] = Field(default_factory=lambda: [480, 960, 1600])
    quality: int = Field(default=82, ge=1, le=100)


class Limits(Strict):
    file_size_mb: float = Field(default=5, gt=0)


class SiteSettings(Strict):
    """The keys of site.yaml; see the README for each one's meaning."""

    title: str
    base_url: str = "/"
    language: str = "de"
    languages: list[str] | None = None
    timezone: str = "UTC"
    theme: str = "default"
    output_dir: str = "_site"
    brand: Brand = Field(default_factory=Brand)
    #: `auto`: light or dark as the reader's device asks; `light` or `dark`: always that one.
    color_scheme: Literal["auto", "light", "dark"] = "auto"
    audiences: list[IdLabel] = Field(default_factory=list)
    pillars: list[IdLabel] = Field(default_factory=list)
    menu: list[MenuItem] = Field(default_factory=list)
    feedback: str | None = None
    acknowledge_url: str | None = None
    versions: Versions = Field(default_factory=Versions)
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    markdown: MarkdownSettings = Field(default_factory=MarkdownSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    images: ImageSettings = Field(default_factory=ImageSettings)
    limits: Limits = Field(default_factory=Limits)
    per_page: int = Field(default=20, ge=1)
    cache_dir: str = ".im-site-cache"

    @field_validator("feedback", "acknowledge_url")
    @classmethod
    def _safe_link(cls, value: str | None) -> str | None:
        if value is not None and not is_safe_url(value):
            raise ValueError(f"URL scheme not allowed (use {', '.join(SAFE_SCHEMES)})")
        return value

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        if value.startswith("//"):
            raise ValueError(f"base_url {value!r} names a host without http(s): write https:{value}")
        scheme = value.partition("://")[0]
        if scheme.lower() in ("http", "https"):  # HTTPS://… is the same address
            value = scheme.lower() + value[len(scheme):]
        if not (value.startswith("/") or value.startswith(("http://", "https://"))):
            raise ValueError("base_url must be a path starting with / or an http(s) URL")
        if "?" in value or "#" in value:  # every address of the site is base_url + a path
            raise ValueError("base_url is the site's folder: it cannot have a ?query or #fragment")
        if re.search(r"[\s\x00-\x1f\x7f]", value):  # feeds and sitemaps would carry it unencoded
            raise ValueError(f"base_url {value!r} has a space or control character: write a space as %20")
        if "://" in value:
            _check_base_host(value)
        return value if value.endswith("/") else value + "/"


def _check_base_host(value: str) -> None:
    """A full base_url is written into every page's canonical link, the feeds and the sitemap, and
    its path starts the 404 page's links: it needs a host, no credentials, a port that exists and a
    path that is not taken for another host (`//x/…` in the 404 page loads from host `x`)."""
    scheme, _, rest = value.partition("://")
    authority, slash, path = rest.partition("/")
    path = slash + path
    if not authority:
        raise ValueError(f"base_url {value!r} has no host after {scheme}://: write {scheme}://intranet.example.com{path or '/'}")
    if "@" in authority:  # not repeated in the message, which CI logs keep
        raise ValueError("base_url carries a user name or password (before the @), which every page, feed and the "
                         f"sitemap would publish: write {scheme}://{authority.rpartition('@')[2]}{path or '/'}")
    _host, colon, port = authority.rpartition(":") if not authority.endswith("]") else (authority, "", "")
    if colon and port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"base_url {value!r} has the port {port!r}: a port is a number from 1 to 65535")
    if path.startswith("//"):
        fixed = "/" + path.lstrip("/")
        raise ValueError(f"base_url {value!r} has a path starting with //, which the 404 page's links would take "
                         f"for the address of another host: write {scheme}://{authority}{fixed}")


@dataclass(frozen=True)
class Config:
    """The validated site.yaml plus where it lives."""

    settings: SiteSettings
    path: Path
    doc: YamlDoc

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def max_file_bytes(self) -> int:
        return int(self.settings.limits.file_size_mb * 1_000_000)

    @property
    def languages(self) -> list[str]:
        """The default language first, then the others in the order given."""
        extra = [lang for lang in (self.settings.languages or []) if lang != self.settings.language]
        return [self.settings.language, *extra]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def audience_ids(self) -> list[str]:
        return [audience.id for audience in self.settings.audiences]

    @property
    def pillar_ids(self) -> list[str]:
        return [pillar.id for pillar in self.settings.pillars]

    def line_of(self, *keys: Any) -> int:
        return self.doc.line_of(keys)

    @property
    def file(self) -> str:
        """How diagnostics name this file: `staging.yaml:4` under `--config staging.yaml`, where
        a literal `site.yaml:4` sent people to the wrong file."""
        return self.path.name


def check_option_values(config: Config, *, lang: str | None = None, audience: str | None = None) -> None:
    """Refuse a `--lang` or `--audience` that site.yaml does not define, both at once, on the line
    that defines them: whether a value exists is the site's business, so it is an error in the
    site's terms (exit 1) for every command alike, where only a malformed value is a usage error."""
    problems = Diagnostics()
    if lang is not None and lang not in config.languages:
        key = "languages" if ("languages",) in config.doc.lines else "language"
        same = _same_language(lang, config.languages)
        problems.error(config.file, config.line_of(key), "IM160",
                       f"--lang {lang!r} is not one of the site's languages ({', '.join(config.languages)})",
                       hint=f"write it as site.yaml does: --lang {same}" if same else "add it to `languages` in site.yaml")
    if audience is not None and audience not in config.audience_ids:
        problems.error(config.file, config.line_of("audiences"), "IM020", f"unknown audience {audience!r}",
                       hint=f"defined: {', '.join(config.audience_ids) or 'none'}")
    if problems.items:
        raise SiteError(problems)


#: `de`, `gsw`, `de-CH`, `zh-Hant`: what `lang` and `hreflang` take (and a file-name suffix can name).
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?\Z")


def primary_language(lang: str) -> str:
    """`de` for `de-CH`: a regional variant takes its language's texts, dates and word forms
    where it has none of its own (a Swiss site would otherwise show the English ones)."""
    return lang.split("-")[0].lower()


def label_for(label: Label | None, lang: str, fallback: str = "") -> str:
    """The text of a label in `lang`, else in its language (`de` for `de-CH`), else its first
    language's (a `ForeignText`, since it is not in `lang`), else `fallback`."""
    if label is None:
        return fallback
    if isinstance(label, str):
        return label
    if label.get(lang):
        return label[lang]
    own = label.get(primary_language(lang))  # `{de: ...}` on a `de-CH` site: its own language's text
    if own:
        return own
    first = next(iter(label), None)
    if first is None:
        return fallback
    return ForeignText(label[first], first) if first != lang else label[first]


def load_config(path: Path) -> Config:
    """Read and validate site.yaml; raises SiteError with every problem found."""
    diagnostics = Diagnostics()
    rel = path.name
    if path.is_dir():  # `--config mysite`: the folder, where the file inside it was meant
        inside = path / "site.yaml"
        diagnostics.error("--config", None, "IM001", f"{path} is a folder; --config names the configuration file",
                          hint=f"--config {inside}" if inside.is_file() else "it has no site.yaml; im-site init writes one")
        raise SiteError(diagnostics)
    if not path.is_file():
        diagnostics.error(rel, None, "IM001", f"no configuration file {path}",
                          hint="run im-site in the site folder, pass --config, or create one with im-site init")
        raise SiteError(diagnostics)
    text = sources.read_text(path, rel, diagnostics, max_bytes=1_000_000)
    if text is None:
        raise SiteError(diagnostics)
    values: list[tuple[tuple, YamlProblem]] = []  # values unusable on their own (a date 2026-13-45): all at once
    try:
        doc = load(text, problems=values)
    except YamlProblem as problem:
        problem.report(diagnostics, rel)
        raise SiteError(diagnostics) from None
    for _, problem in values:
        problem.report(diagnostics, rel)
    if not isinstance(doc.data, dict):
        diagnostics.error(rel, 1, "IM001", "site.yaml must be a mapping of keys (title: ..., theme: ...)")
        raise SiteError(diagnostics)
    root = path.resolve().parent
    cache_dir = doc.data.get("cache_dir", SiteSettings.model_fields["cache_dir"].default)
    usable = not values and isinstance(cache_dir, str) and _read_by_builds(cache_dir, root) is None
    kept = KeptInCache(root / cache_dir, "site-settings", text) if usable else None
    settings = kept.get(lambda found: type(found) is SiteSettings) if kept is not None else None
    if settings is None:
        settings = validate(SiteSettings, doc, rel, diagnostics, reported={key_path for key_path, _ in values})
    if settings is not None:
        _check_consistency(settings, doc, rel, diagnostics)
        _check_cache_dir(settings, doc, rel, root, diagnostics)
    if diagnostics.has_errors():
        raise SiteError(diagnostics)
    if kept is not None:
        kept.keep(settings)
    return Config(settings, path.resolve(), doc)


class KeptInCache:
    """What was validated of a settings file, kept in the site's cache by the file's text.

    Validating builds the schema of the model and every model in it first: site.yaml took 35-45 ms
    of CPU of every command, the built-in theme's theme.yaml 15-20 ms more (its YAML read too), where
    a cache entry loads in 0.2-0.5 ms. Only files validated without problems are kept, under a hash
    of the text and im-site's code, and restored as validation made them; only in a cache folder
    whose database a build has made already (none is made here), and not in one a build refuses
    (`cache_dir: content/cache`). The checks that span keys or look at the disk always run.
    """

    def __init__(self, cache_dir: Path, namespace: str, text: str):
        self.cache = Cache(cache_dir) if os.path.isfile(cache_dir / Cache.FILE) else None
        self.namespace = namespace
        self.key = digest(code_key(), text) if self.cache is not None else ""
        self.found = False

    def get(self, fits: Callable[[Any], bool]) -> Any:
        """The kept value, if there is one and `fits` it; else None (a damaged entry is a miss)."""
        value = self.cache.get(self.namespace, self.key) if self.cache is not None else None
        if value is None:
            return None
        try:
            kept = pickle.loads(value)
        except Exception:  # noqa: BLE001 - a damaged entry: validated again
            return None
        self.found = fits(kept)
        return kept if self.found else None

    def keep(self, value: Any) -> None:
        if self.cache is not None and not self.found:
            self.cache.put(self.namespace, self.key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            self.cache.prune(self.namespace, {self.key})


def _check_consistency(settings: SiteSettings, doc: YamlDoc, rel: str, diagnostics: Diagnostics) -> None:
    """Rules that span keys: known timezone, unique ids, the default language listed."""
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        diagnostics.error(rel, doc.line_of(("timezone",)), "IM001",
                          f"unknown timezone {settings.timezone!r}", hint="e.g. Europe/Berlin or UTC")
    for key in ("audiences", "pillars"):
        seen: set[str] = set()
        for index, item in enumerate(getattr(settings, key)):
            if item.id in seen:
                diagnostics.error(rel, doc.line_of((key, index)), "IM001", f"duplicate {key[:-1]} id {item.id!r}")
            seen.add(item.id)
    if not _LANGUAGE_CODE.match(settings.language):  # `Deutsch` would be every page's `lang`
        diagnostics.error(rel, doc.line_of(("language",)), "IM001", f"{settings.language!r} is not a language code",
                          hint="a code like de, en or de-CH")
    for index, lang in enumerate(settings.languages or []):
        if not _LANGUAGE_CODE.match(lang):
            diagnostics.error(rel, doc.line_of(("languages", index)), "IM001", f"{lang!r} is not a language code")
        elif same := _same_language(lang, settings.languages[:index]):
            # Letter case does not make another language (BCP 47): `de-CH` and `de-ch` wrote one folder
            # each on Linux and one folder for both on a Mac, and failed with a collision per page.
            diagnostics.error(rel, doc.line_of(("languages", index)), "IM001", f"duplicate language {lang!r}"
                              + (f" (language codes ignore letter case: {same!r} is listed)" if same != lang else ""))
    if settings.languages and settings.language not in settings.languages:
        same = _same_language(settings.language, settings.languages)
        diagnostics.error(rel, doc.line_of(("languages",)), "IM001",
                          f"languages does not list the default language {settings.language!r}",
                          hint=f"write it as languages does: {same!r}" if same else None)
    _check_label_languages(settings, doc, rel, diagnostics)


def _same_language(lang: str, languages: list[str]) -> str | None:
    """The code in `languages` that is `lang` but for letter case, if any."""
    return next((other for other in languages if other.lower() == lang.lower()), None)


def _check_cache_dir(settings: SiteSettings, doc: YamlDoc, rel: str, root: Path, diagnostics: Diagnostics) -> None:
    """A cache_dir among what the build reads (`cache_dir: content/cache`): each build walked its
    own cache as content, and `serve` rebuilt forever, every rebuild writing the cache that the
    watcher woke it for. A hidden folder (`content/.cache`) is skipped like any hidden file, so
    it stays allowed."""
    folder = _read_by_builds(settings.cache_dir, root)
    if folder is not None:
        diagnostics.error(rel, doc.line_of(("cache_dir",)), "IM001",
                          f"cache_dir {settings.cache_dir} is inside {folder}/, which every build reads: builds "
                          "would read their own cache, and `im-site serve` rebuild without end",
                          hint=f"keep it outside, as the default .im-site-cache, or make it hidden: {folder}/.im-site-cache")


def _read_by_builds(cache_dir: str, root: Path) -> str | None:
    """The folder every build reads (content or themes) that `cache_dir` is inside, unhidden; else None."""
    cache = Path(os.path.normpath(root / cache_dir))
    for folder in ("content", "themes"):
        if cache.is_relative_to(root / folder) and not any(
                sources.is_ignored(part) for part in cache.relative_to(root / folder).parts):
            return folder
    return None


def _check_label_languages(settings: SiteSettings, doc: YamlDoc, rel: str, diagnostics: Diagnostics) -> None:
    """A label with a text in a language the site does not have, and none in one it has, is a
    slip: with `{de: Nachrichten, eng: News}` the English pages silently showed the German text.
    (A label with more languages than the site, `en` on a German-only site, is fine.)"""
    languages = settings.languages or [settings.language]
    labels = [((key, index, field), getattr(item, field)) for key in ("audiences", "pillars", "menu")
              for index, item in enumerate(getattr(settings, key)) for field in ("label", "description")
              if isinstance(getattr(item, field, None), dict)]
    for (key, index, field), label in labels:
        # `{de: ...}` serves a `de-CH` site, as the theme's texts and dates do (`label_for`).
        missing = [lang for lang in languages if lang not in label and primary_language(lang) not in label]
        for lang in (lang for lang in label if lang not in languages and missing):
            match = difflib.get_close_matches(lang, missing, n=1, cutoff=0.5)
            diagnostics.error(rel, doc.line_of((key, index, field, lang)), "IM005",
                              f"{lang!r} in {key}[{index}].{field} is not one of the site's languages "
                              f"({', '.join(languages)}), and the label has no text in {', '.join(map(repr, missing))}",
                              hint=f"did you mean '{match[0]}'?" if match else "add it to languages, or remove it")


def check_label_languages(config: Config, diagnostics: Diagnostics) -> None:
    """A language added to `languages` (`fr`) whose text the per-language labels lack: its pages showed the
    menu, audiences and pillars in the first language, silently, while the theme's texts missing in it are
    warned about. One warning per language, at the first such label, naming them (a build's warning:
    site.yaml itself reports errors only)."""
    settings = config.settings
    labels = [((key, index, field), f"{key}[{index}].{field}", getattr(item, field, None))
              for key in ("menu", "audiences", "pillars") for index, item in enumerate(getattr(settings, key))
              for field in ("label", "description")]

    def message(count: int, names: str, lang: str) -> str:
        plural = count != 1
        return (f"{count} label{'s' if plural else ''} written per language ha{'ve' if plural else 's'} no text in "
                f"{lang!r} ({names}): pages in {lang!r} show {'them' if plural else 'it'} in another language")
    warn_lacking_languages(labels, settings.languages or [settings.language], config.file,
                           lambda where: config.line_of(*where), diagnostics, message)


def warn_lacking_languages(texts: list[tuple[tuple[Any, ...], str, Any]], languages: list[str], path: str,
                           line_of: Callable[[tuple[Any, ...]], int | None], diagnostics: Diagnostics,
                           message: Callable[[int, str, str], str]) -> None:
    """Of `texts` (key path, name, text), those written per language (`{de: …, en: …}`) without a text
    in one of `languages` (nor in its language: `de` serves `de-CH`): for each such language one warning
    IM160 at the first of them, `message(count, names, lang)` naming up to three."""
    written = [(where, name, text) for where, name, text in texts if isinstance(text, dict)]
    for lang in languages:
        lacking = [(where, name) for where, name, text in written if lang not in text and primary_language(lang) not in text]
        if lacking:
            names = ", ".join(name for _, name in lacking[:3]) + (", …" if len(lacking) > 3 else "")
            diagnostics.warning(path, line_of(lacking[0][0]), "IM160", message(len(lacking), names, lang),
                                hint=f"add {lang}: … to each")
