"""Training modules: prerequisites resolved and checked, module pages with quiz, the catalogue.

Prerequisites name module slugs. They are resolved once per build, against
the published modules only (rules.py has removed the rest), so that a module
never links to a draft, a scheduled module or another audience's module.
The same resolution orders the catalogue: prerequisites come first.
"""

from __future__ import annotations

import difflib
import heapq
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from . import completion
from .config import label_for, primary_language
from .content import split_language
from .foreign import ForeignText
from .markdown import Heading
from .model import Page, Part
from .render.bodies import expires_first, goes_live_later
from .render.context import INVALID, Job, RenderContext
from .slugs import slugify

if TYPE_CHECKING:
    from .build import BuildResult

#: Per cent of quiz questions (rounded up) a reader must answer right to pass, unless the
#: module's `pass_mark` says otherwise (a compliance module 100, a soft-skills module 60).
DEFAULT_PASS_MARK = 80
#: localStorage key prefix of the completion state; the module's translation key follows.
STORAGE_PREFIX = "im-site.training.completed:"


@dataclass(frozen=True)
class Prerequisite:
    """One entry of a module's `prerequisites`: the module it names, if shown in this build."""

    slug: str
    page: Page | None  # None: shown as plain text (unknown, or another audience's module)
    index: int  # position in the front matter list, for line numbers


def jobs(ctx: RenderContext, result: "BuildResult") -> list[Job]:
    """Validate every published module and plan its page and the catalogue per language."""
    modules = sorted(ctx.site.of_kind("training"), key=lambda p: p.url)
    hidden = {**_invalid_modules(ctx), **{page.slug: why for page, why in sorted(result.hidden, key=lambda item: item[0].url)
                                          if page.kind == "training"}}
    by_slug: dict[str, list[Page]] = defaultdict(list)
    for page in modules:
        by_slug[page.slug].append(page)
    resolved = {page.url: resolve_prerequisites(ctx, page, modules, hidden, by_slug) for page in modules}
    for lang in ctx.config.languages:
        report_cycles(ctx, [p for p in modules if p.lang == lang], resolved)
    today = _today(ctx)
    originals = {page.url: _original_module(ctx, page) for page in modules}  # each looked up once, for two uses
    for page in modules:
        check_review(ctx, page, today)
        check_lessons_translated(ctx, page, originals[page.url])
        check_quiz_translated(ctx, page, originals[page.url])
        check_pass_mark(ctx, page)
    # The fingerprints that module pages and catalogue cards show, each made once in a process
    # (where they render): a module's page, its translations' and two cards all show its original's.
    fingerprints: dict[str, str] = {}
    planned = [_module_job(page, resolved[page.url], fingerprints) for page in modules]
    for lang in ctx.config.languages:
        planned.extend(_catalogue_jobs(ctx, [p for p in modules if p.lang == lang], resolved, lang, fingerprints))
    return planned


# ---------------------------------------------------------------- validation

def resolve_prerequisites(ctx: RenderContext, page: Page, modules: list[Page], hidden: dict[str, str],
                          by_slug: dict[str, list[Page]]) -> list[Prerequisite]:
    """The modules `page` names as prerequisites (`by_slug`: the modules by slug); problems
    become diagnostics at the list item."""
    found = []
    for index, slug in enumerate(page.meta.prerequisites):
        target = _module_for(ctx, page.lang, by_slug.get(slug, []))
        if target is None:
            _report_missing(ctx, page, index, slug, modules, hidden)
            if hidden.get(slug) == "expired":
                continue  # gone for every reader: nothing left to require, or to show
        else:
            _warn_if_expires_first(ctx, page, index, target)
            _warn_if_goes_live_later(ctx, page, index, target)
            _warn_if_for_fewer_audiences(ctx, page, index, target)
        found.append(Prerequisite(slug, target, index))
    return found


def _warn_if_expires_first(ctx: RenderContext, page: Page, index: int, target: Page) -> None:
    """A prerequisite that expires before the module needing it: said while both are live, so
    the writer decides before it drops out of the list (as with links, `render/bodies.py`); an expired
    prerequisite failed the build that should take it down, and the module stayed online."""
    ends = getattr(target.meta, "expires", None)
    if not ends or not expires_first(ctx, page, target):
        return
    ctx.diagnostics.warning(page.path, page.line_of(("prerequisites", index)), "IM104",
                            f"prerequisite {target.slug!r} expires {ends.isoformat()} while this module stays: "
                            "from then on it is left out of the prerequisites",
                            hint=f"remove the prerequisite, or give this module expires: {ends.isoformat()}")


def _warn_if_for_fewer_audiences(ctx: RenderContext, page: Page, index: int, target: Page) -> None:
    """A module for readers its prerequisite is not for (one for everyone requiring a module for
    the stores): it sends them to a module not meant for them, and their edition (`--audience`)
    shows the prerequisite as plain text (IM105 there). Said in every build, since `check` and CI
    build the whole site, where the audience editions' warning never shows."""
    theirs = target.audiences
    if not theirs or ctx.options.audience is not None:
        return
    others = [audience for audience in (page.audiences or ctx.config.audience_ids) if audience not in theirs]
    if not others:
        return
    ctx.diagnostics.warning(page.path, page.line_of(("prerequisites", index)), "IM105",
                            f"prerequisite {target.slug!r} is only for {', '.join(theirs)}, this module also for "
                            f"{', '.join(others)}: their edition (--audience {others[0]}) shows it as plain text",
                            hint=f"give {target.path} the audiences of this module too, or this module only "
                                 f"audiences: [{', '.join(theirs)}]")


def _warn_if_goes_live_later(ctx: RenderContext, page: Page, index: int, target: Page) -> None:
    """An embargoed module requiring one embargoed until later: the build that puts it up finds
    the prerequisite unpublished and fails (IM104), as with links (`render/bodies.py`)."""
    later = goes_live_later(ctx, page, target)
    if later is None:
        return
    when, mine = later
    ctx.diagnostics.warning(page.path, page.line_of(("prerequisites", index)), "IM104",
                            f"prerequisite {target.slug!r} goes live {when.isoformat()}, after this module "
                            f"({mine.isoformat()}): the build that publishes this module fails on it until then",
                            hint=f"remove the prerequisite, or give this module publish_at: {when.strftime('%Y-%m-%d %H:%M')}")


def _invalid_modules(ctx: RenderContext) -> dict[str, str]:
    """Slug -> INVALID for the modules whose front matter errors (reported) keep them out."""
    found = {}
    for rel, why in sorted(ctx.hidden.items()):
        folders, name = posixpath.split(rel.removesuffix(".md"))
        stem = split_language(name, ctx.config.languages)[0]
        if why == INVALID and folders == "training":
            found[slugify(stem)] = INVALID
        elif why == INVALID and posixpath.dirname(folders) == "training" and stem == "index":
            found[slugify(posixpath.basename(folders))] = INVALID
    return found


def _module_for(ctx: RenderContext, lang: str, matches: list[Page]) -> Page | None:
    """Of the published modules with one slug, the one in `lang` if it or a translation exists there."""
    matches = sorted(matches, key=lambda p: (p.lang != lang, ctx.config.languages.index(p.lang)))
    if not matches:
        return None
    target = matches[0]
    translation = ctx.site.translations.get(target.translation_key, {}).get(lang)
    return translation if translation is not None and translation.kind == "training" else target


def _report_missing(ctx: RenderContext, page: Page, index: int, slug: str, modules: list[Page],
                    hidden: dict[str, str]) -> None:
    line = page.line_of(("prerequisites", index))
    reason = hidden.get(slug)
    if reason == INVALID:  # its own errors are reported: "unknown" would only mislead
        return
    if reason == "audience":
        ctx.diagnostics.warning(page.path, line, "IM105", f"prerequisite {slug!r} is another audience's "
                                "module; shown as plain text in this build")
    elif reason == "expired":  # time removed it, not the writer: the expiry must still happen on schedule
        ctx.diagnostics.warning(page.path, line, "IM104", f"prerequisite {slug!r} has expired: "
                                "left out of this module's prerequisites", hint="remove the prerequisite")
    elif reason:
        ctx.diagnostics.error(page.path, line, "IM104", f"prerequisite {slug!r} is {reason} and not "
                              "published in this build; the link would be dead",
                              hint="publish that module first, or remove the prerequisite")
    else:
        known = sorted({p.slug for p in modules})
        close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known module slugs: {', '.join(known) or 'none'}"
        ctx.diagnostics.error(page.path, line, "IM020", f"unknown prerequisite {slug!r}: no training "
                              "module has this slug", hint=hint)


def report_cycles(ctx: RenderContext, modules: list[Page], resolved: dict[str, list[Prerequisite]]) -> None:
    """One error per group of modules that require each other, naming one cycle through it."""
    graph = _graph(modules, resolved)
    if not any(graph.values()):  # no prerequisites, no cycle (Tarjan over 1,500 such modules: 5-10 ms)
        return
    for group in strongly_connected(graph):
        start = min(group)
        if len(group) == 1 and start not in graph[start]:
            continue
        cycle = _cycle_through(start, graph, set(group))
        by_url = {p.url: p for p in modules}
        first = by_url[start]
        index = next(pr.index for pr in resolved[start] if pr.page is not None and pr.page.url == cycle[1])
        names = " → ".join(by_url[url].slug for url in cycle)
        ctx.diagnostics.error(first.path, first.line_of(("prerequisites", index)), "IM131",
                              f"prerequisites form a cycle: {names}",
                              hint="a module cannot (indirectly) require itself; remove one prerequisite")


def _graph(modules: list[Page], resolved: dict[str, list[Prerequisite]]) -> dict[str, list[str]]:
    """Module URL -> the URLs of its prerequisites in the same language (sorted, unique)."""
    urls = {p.url for p in modules}
    return {p.url: sorted({pr.page.url for pr in resolved[p.url] if pr.page is not None and pr.page.url in urls})
            for p in modules}


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    groups.append(_pop_group(node, stack, on_stack))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(sorted(group) for group in groups)


def _pop_group(node: str, stack: list[str], on_stack: set[str]) -> list[str]:
    group = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        group.append(member)
        if member == node:
            return group


def _cycle_through(start: str, graph: dict[str, list[str]], group: set[str]) -> list[str]:
    """The shortest cycle start → … → start inside one strongly connected group (breadth first)."""
    previous: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for child in graph[node]:
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child in group and child not in previous:
                previous[child] = node
                queue.append(child)
    return [start, start]


def check_review(ctx: RenderContext, page: Page, today: date) -> None:
    if is_overdue(page, today):
        ctx.diagnostics.warning(page.path, page.line_of(("review_by",)), "IM132",
                                f"training is past its review date {page.meta.review_by.isoformat()}",
                                hint="review the module, then move review_by to the next review date")


def _original_module(ctx: RenderContext, page: Page) -> Page | None:
    """The module `page` translates (in the site's language), or None for an original."""
    original = ctx.site.translations.get(page.translation_key, {}).get(ctx.config.settings.language)
    # By path: the dev server's fast path renders a new Page of the same file (preview.py).
    return original if original is not None and original.path != page.path and original.kind == "training" else None


def check_lessons_translated(ctx: RenderContext, page: Page, original: Page | None) -> None:
    """A module translation whose lessons are not its `original`'s (None: `page` is an original):
    warning IM151 naming each lesson file it lacks (or has that the original lacks), else the two
    numbers of lessons."""
    if original is None:
        return
    problems: list[tuple[str, str | None]] = []
    if len(page.parts) == 1 and len(original.parts) == 1:  # one-file modules (most): their lessons are the ## headings
        counts = _lesson_count(page), _lesson_count(original)
        if counts[0] != counts[1]:
            problems.append((f"lessons (## headings): {counts[0]} in the translation, "
                             f"{counts[1]} in its original {original.path}", None))
    else:
        ours, theirs = _lesson_files(page), _lesson_files(original)
        # A lesson file whose own front matter has errors is reported as such: "lacks" would only mislead.
        invalid = {name for name in ours.keys() ^ theirs.keys()
                   if any(ctx.hidden.get(posixpath.join(posixpath.dirname(original.rel), f"{name}{suffix}.md")) == INVALID
                          for suffix in ("", f".{page.lang}", f".{original.lang}"))}
        problems += [(f"the translation lacks the lesson {theirs[name]} of the original",
                      f"translate it as {posixpath.dirname(original.path)}/{name}.{page.lang}.md")
                     for name in sorted(theirs.keys() - ours.keys() - invalid)]
        problems += [(f"lesson {ours[name]} has no original among the lessons of {original.path}", None)
                     for name in sorted(ours.keys() - theirs.keys() - invalid)]
    for message, hint in problems:
        ctx.diagnostics.warning(page.path, page.line_of(("title",)), "IM151", message, hint=hint)


def check_quiz_translated(ctx: RenderContext, page: Page, original: Page | None) -> None:
    """A module translation whose quiz is not its original's in shape (both have one): warning IM151 for a different
    number of questions, or a question with another number of options or other answers. The two share
    the completion state, and a translated answer key that names another option scores the right
    answer wrong in one of the languages (a translator who reordered options, or a fix made in one file).
    `original`: the module `page` translates, None for an original."""
    if original is None:
        return
    ours, theirs = page.meta.quiz, original.meta.quiz
    if not ours or not theirs:  # a quiz in one language only is a choice, not a slip
        return
    _warn_if_pass_mark_differs(ctx, page, original)
    if len(ours) != len(theirs):
        ctx.diagnostics.warning(page.path, page.line_of(("quiz",)), "IM151",
                                f"quiz questions: {len(ours)} in the translation, {len(theirs)} in its original "
                                f"{original.path}", hint="translate every question of the original, in its order")
        return
    for index, (mine, source) in enumerate(zip(ours, theirs)):
        if len(mine.options) != len(source.options):
            ctx.diagnostics.warning(page.path, page.line_of(("quiz", index, "options")), "IM151",
                                    f"question {index + 1} of the quiz has {len(mine.options)} options, "
                                    f"{len(source.options)} in its original {original.path}")
        elif mine.answers != source.answers:
            ctx.diagnostics.warning(page.path, page.line_of(("quiz", index, "answer")), "IM151",
                                    f"question {index + 1} of the quiz: answer {_answer_text(mine.answers)} here, "
                                    f"{_answer_text(source.answers)} in its original {original.path}",
                                    hint="keep the options in the original's order and the same answer; "
                                         "if the original is wrong, correct both")
        elif _reordered(mine.options, source.options):
            ctx.diagnostics.warning(page.path, page.line_of(("quiz", index, "options")), "IM151",
                                    f"question {index + 1} of the quiz has the numbers of its original's options in "
                                    f"another order ({' / '.join(mine.options)} here, {' / '.join(source.options)} in "
                                    f"{original.path}): answer {_answer_text(mine.answers)} names another option",
                                    hint="keep the options in the original's order, so that the same answer is right")


def _reordered(options: list[str], original: list[str]) -> bool:
    """Whether translated options carry the original's numbers (`25 euros` for `25 Euro`), each
    option's, but not in the original's order: options reordered under the same answer index. Words
    cannot be compared across languages; numbers can, and where they differ otherwise (`2 p.m.` for
    `14 Uhr`) nothing is said."""
    if not _NUMBER.search("\n".join(options)):  # most options have no number: nothing to compare
        return False

    def numbers(text: str) -> tuple[int, ...]:
        return tuple(sorted(map(int, _NUMBER.findall(text))))

    mine, theirs = [numbers(option) for option in options], [numbers(option) for option in original]
    return any(mine) and mine != theirs and sorted(mine) == sorted(theirs)


_NUMBER = re.compile(r"\d+")


def _warn_if_pass_mark_differs(ctx: RenderContext, page: Page, original: Page) -> None:
    """The translations share the completion state: a compliance module passed with 100 % in
    German must not count as completed after 80 % in English (a `pass_mark` not copied along)."""
    mine, theirs = pass_mark(page), pass_mark(original)
    if mine == theirs:
        return
    given = "" if page.meta.pass_mark is not None else " (the default: no pass_mark)"
    ctx.diagnostics.warning(page.path, page.line_of(("pass_mark",) if page.meta.pass_mark is not None else ("quiz",)),
                            "IM151", f"the quiz is passed with {mine} % here{given}, {theirs} % in its original "
                            f"{original.path}", hint=f"write pass_mark: {theirs} as in the original, since both "
                            "share the completion state; if the original is wrong, correct both")


def check_pass_mark(ctx: RenderContext, page: Page) -> None:
    """A pass mark with no quiz to pass: a quiz not written yet, or one deleted with its mark left."""
    if page.meta.pass_mark is not None and not page.meta.quiz:
        ctx.diagnostics.warning(page.path, page.line_of(("pass_mark",)), "IM133",
                                f"pass_mark {page.meta.pass_mark} without a quiz: there is nothing to pass",
                                hint="add the quiz, or remove pass_mark")


def _answer_text(answers: list[int]) -> str:
    return str(answers[0]) if len(answers) == 1 else "[" + ", ".join(map(str, answers)) + "]"


def _lesson_files(page: Page) -> dict[str, str]:
    """A folder module's lesson files by name without language (`03-interne-kundschaft`): path."""
    return {lesson_name(part, page.lang): part.path for part in page.parts[1:]}


def lesson_name(part: Part, lang: str) -> str:
    """A lesson file's name without its language (`03-interne-kundschaft`): what pairs a
    translation's lesson with its original's."""
    return posixpath.basename(part.rel).removesuffix(".md").removesuffix(f".{lang}")


def untranslated_lessons(page: Page, original: Page | None) -> list[dict[str, str]]:
    """The lesson files of the original module that this translation lacks (IM151 for the writer):
    their titles and places in the original, so that readers know and can read them there.
    `original`: the module `page` translates, None for an original."""
    if original is None:
        return []
    theirs = _lesson_files(original)
    missing = {theirs[name] for name in theirs.keys() - _lesson_files(page).keys()}
    return [{"title": part.title, "file": f"{original.file}#{part.anchor}", "lang": original.lang}
            for part in original.parts[1:] if part.path in missing and part.title]


def _lessons(page: Page) -> list[Heading]:
    return [heading for heading in page.headings if heading.level == 2]


def _lesson_count(page: Page) -> int:
    """`len(_lessons(page))` without the ids the page gives its headings (Page.headings, which
    made checking 1,500 translated modules take 41 ms of CPU instead of 19 ms): one lesson per lesson file's
    title and per ## heading of any part."""
    return sum(1 for part in page.parts if part.title and part.anchor) + sum(
        heading.level == 2 for part in page.parts for heading in part.rendered.headings)


def is_overdue(page: Page, today: date) -> bool:
    return page.meta.review_by is not None and page.meta.review_by < today


# ---------------------------------------------------------------- module pages

def _module_job(page: Page, prerequisites: list[Prerequisite], fingerprints: dict[str, str]) -> Job:
    """The module's page. Its prerequisites name other modules; the rest of its values are made where
    it renders (`module_values`)."""
    return Job(page.file, page.meta.template or "module.html", page.lang, page.path, {"prerequisites": prerequisites},
               page, later=partial(module_values, fingerprints=fingerprints))


def module_values(ctx: RenderContext, job: Job, fingerprints: dict[str, str]) -> dict[str, Any]:
    """A module page's values besides its prerequisites: lessons, quiz, pass mark, fingerprint
    (`fingerprints`: those made so far, by `fingerprint_of`)...

    Each comes from the module, its original (a translation of it) and the site key's build day
    and theme texts only, which the page's cache key holds already: so they are made when the page
    renders, and not at all for the modules a rebuild replays (at 10,000 pages, making them for all
    3,000 modules and putting their repr into the keys took about 0.25 s of a body edit's 2.7 s).
    """
    page = job.page
    assert page is not None
    original = _original_module(ctx, page)
    fingerprint = fingerprint_of(original or page, fingerprints)
    quiz = page.meta.quiz
    answers = [item.answers for item in quiz]  # each sorted once, for the page and for training.js
    mark = pass_mark(page)
    count = pass_count(len(quiz), mark)
    return {
        "lessons": _lessons(page),
        "untranslated": untranslated_lessons(page, original),
        "overdue": is_overdue(page, _today(ctx)),
        "module_key": page.translation_key,
        "storage_key": STORAGE_PREFIX + page.translation_key,
        "fingerprint": fingerprint,
        "quiz": [_question(item, number, right) for number, (item, right) in enumerate(zip(quiz, answers), start=1)],
        "quiz_data": quiz_data(page, quiz_texts(ctx.strings(page.lang)), fingerprint, count, answers),
        "pass_mark": mark,
        "pass_count": count,
    }


def _today(ctx: RenderContext) -> date:
    return ctx.options.now.astimezone(ctx.config.tz).date()


def _question(item: Any, number: int, answers: list[int]) -> dict[str, Any]:
    return {"number": number, "id": f"quiz-q{number}", "text": item.question, "options": item.options,
            "answers": answers, "multiple": isinstance(item.answer, list), "explain": item.explain}


def pass_mark(page: Page) -> int:
    """The module's pass mark in per cent."""
    return page.meta.pass_mark if page.meta.pass_mark is not None else DEFAULT_PASS_MARK


def pass_count(questions: int, mark: int) -> int:
    """Right answers needed to pass: `mark` per cent of `questions`, rounded up (whole numbers
    only, so 3 questions at 60 % need 2, never 1.8 rounded to 2 by luck of the float)."""
    return -(-questions * mark // 100)


def fingerprint_of(source: Page, made: dict[str, str]) -> str:
    """What completing a module means (completion.py): `source` is its original, whose lessons, quiz
    and pass mark the module and its translations share with their completion state, or the module
    itself when it is an original or its original is not published in this build (a draft, another
    audience's). Kept in `made` by the source's path, and taken from there when made already."""
    found = made.get(source.path)
    if found is None:
        found = made[source.path] = completion.fingerprint([heading.text for heading in _lessons(source)],
                                                           source.meta.quiz, pass_mark(source))
    return found


def quiz_data(page: Page, texts: tuple[dict[str, str], dict[str, str]], fingerprint: str, count: int,
              answers: list[list[int]]) -> dict[str, Any]:
    """What training.js needs to check the quiz: right answers (`answers`, per question), the
    right answers needed to pass (`count`), the module's fingerprint (stored with the completion)
    and UI strings (`texts`: `quiz_texts` of the page's language)."""
    strings, langs = texts
    return {
        "key": STORAGE_PREFIX + page.translation_key,
        "fingerprint": fingerprint,
        "pass": count,
        "questions": [{"answers": right, "multiple": isinstance(item.answer, list)}
                      for item, right in zip(page.meta.quiz, answers)],
        "strings": strings,
        "langs": langs,
    }


def quiz_texts(strings: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The UI strings training.js shows, and the language of those the theme has in another
    language only (`quiz_data`)."""
    keys = ("quiz_right", "quiz_wrong", "quiz_unanswered", "quiz_score", "quiz_passed", "quiz_failed")
    # A theme without texts in this language shows another's: training.js marks them with
    # `lang`, as the page's HTML does (foreign.py), or screen readers mispronounce them.
    return ({key: strings.get(key, key) for key in keys},
            {key: strings[key].lang for key in keys if isinstance(strings.get(key), ForeignText)})


# ---------------------------------------------------------------- catalogue

def prerequisite_order(modules: list[Page], resolved: dict[str, list[Prerequisite]]) -> list[Page]:
    """Prerequisites before the modules that need them; ties by weight, title, URL.

    Modules caught in a cycle (already an error) follow in the same tie order.
    """
    graph = _graph(modules, resolved)
    if not any(graph.values()):  # none waits for another: the tie order alone
        return sorted(modules, key=_order_key)
    by_url = {p.url: p for p in modules}
    waiting = {url: len(needs) for url, needs in graph.items()}
    needed_by: dict[str, list[str]] = {url: [] for url in graph}
    for url, needs in graph.items():
        for need in needs:
            needed_by[need].append(url)
    ready = [_order_key(by_url[url]) for url, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Page] = []
    while ready:
        page = by_url[heapq.heappop(ready)[-1]]
        ordered.append(page)
        for url in needed_by[page.url]:
            waiting[url] -= 1
            if waiting[url] == 0:
                heapq.heappush(ready, _order_key(by_url[url]))
    placed = {p.url for p in ordered}
    return ordered + sorted((p for p in modules if p.url not in placed), key=_order_key)


def _order_key(page: Page) -> tuple[int, str, str]:
    return (page.meta.weight, page.title.casefold(), page.url)


def format_minutes(minutes: int, lang: str) -> str:
    """`95` -> "1 Std. 35 Min." / "1 h 35 min"."""
    hours, rest = divmod(minutes, 60)
    unit_h, unit_m = ("Std.", "Min.") if primary_language(lang) == "de" else ("h", "min")
    if not hours:
        return f"{rest} {unit_m}"
    return f"{hours} {unit_h} {rest} {unit_m}" if rest else f"{hours} {unit_h}"


def _catalogue_jobs(ctx: RenderContext, modules: list[Page], resolved: dict[str, list[Prerequisite]],
                    lang: str, fingerprints: dict[str, str]) -> list[Job]:
    """The catalogue of `lang`'s modules. Its values name them and their prerequisites (and the language
    switch's targets, which navigation reads): all its cache key needs, since its order, cards and totals
    come from those pages and the site key alone, and are made where it renders (`catalogue_values`)."""
    if not modules:
        return []
    return [Job(f"{ctx.lang_prefix(lang)}training/index.html", "training_index.html", lang, "training catalogue", {
        # What the key holds; the template's `modules` are `catalogue_values`' cards, made from these.
        "modules": [{"page": page, "prerequisites": resolved[page.url]} for page in modules],
        "switch_targets": {other: f"{ctx.lang_prefix(other)}training/index.html" for other in ctx.config.languages},
    }, later=partial(catalogue_values, fingerprints=fingerprints))]


def catalogue_values(ctx: RenderContext, job: Job, fingerprints: dict[str, str]) -> dict[str, Any]:
    """The catalogue's modules in order, prerequisites first, each card with its step number, review
    flag, completion key and fingerprint (as `module_values`); the totals and the filters' choices."""
    lang, listed = job.lang, job.values["modules"]
    modules = [entry["page"] for entry in listed]
    resolved = {entry["page"].url: entry["prerequisites"] for entry in listed}
    ordered = prerequisite_order(modules, resolved)
    today = _today(ctx)
    entries = [{"page": page, "number": number, "prerequisites": resolved[page.url],
                "overdue": is_overdue(page, today), "storage_key": STORAGE_PREFIX + page.translation_key,
                "fingerprint": fingerprint_of(_original_module(ctx, page) or page, fingerprints)}
               for number, page in enumerate(ordered, start=1)]
    return {
        "modules": entries, "totals": duration_totals(ctx, modules, lang),
        # In the order the catalogue shows the modules (basis, aufbau, experte), not alphabetically.
        "levels": list(dict.fromkeys(p.meta.level for p in ordered if p.meta.level)),
        "filter_audiences": _filter_audiences(ctx, lang),
    }


def _filter_audiences(ctx: RenderContext, lang: str) -> list[tuple[str, str]]:
    if ctx.options.audience:
        return []
    return [(a.id, label_for(a.label, lang)) for a in ctx.config.settings.audiences]


def duration_totals(ctx: RenderContext, modules: list[Page], lang: str) -> list[dict[str, Any]]:
    """Minutes of training per audience (modules for everyone count for every audience), then all."""
    rows = []
    for audience in ctx.config.settings.audiences:
        if ctx.options.audience and audience.id != ctx.options.audience:
            continue
        chosen = [p for p in modules if not p.audiences or audience.id in p.audiences]
        rows.append(_total_row(label_for(audience.label, lang), audience.id, chosen, lang))
    rows.append(_total_row(ctx.strings(lang).get("all_modules", "All modules"), "", modules, lang))
    return rows


def _total_row(label: str, audience: str, modules: list[Page], lang: str) -> dict[str, Any]:
    minutes = sum(p.meta.duration or 0 for p in modules)
    return {"label": label, "audience": audience, "count": len(modules), "minutes": minutes,
            "text": format_minutes(minutes, lang)}
