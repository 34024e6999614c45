"""Search index: published pages only, German and English stemming, filters' data, determinism, off switch."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from conftest import BASIC_SITE_YAML, build_site, snapshot_tree

from im_site.search import candidates, fold, shard_key


def message(title: str, body: str, extra: str = "", date: str = "2026-01-05") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}\n"


GERMAN = {
    "content/messages/schulung.md": message("Neue Schulung startet", "Die Schulung beginnt im März.",
                                            "audiences: [filiale]\npillars: [training]\n"),
    "content/messages/filiale.md": message("Besuch in der Filiale", "Die Filiale in Kiel hat neue Kunden gewonnen."),
    "content/messages/frische.md": message("Frisch und regional", "An der Frischetheke zählt die Beratung."),
    "content/messages/uebung.md": message("Übung macht den Meister", "Jede Übung hilft den Mitarbeitern."),
    "content/messages/theke.md": message("Die neue Theke", "Die Theke ist da."),
    "content/messages/en.en.md": message("Training for stores", "Our stores run trainings for customers."),
}


def load_shards(out: Path, lang: str) -> tuple[dict, dict[str, dict]]:
    """docs.js and every term shard of one language, decoded from their script wrappers."""
    def decode(path: Path) -> dict:
        text = path.read_text(encoding="utf-8")
        match = re.fullmatch(r'\(window\.imSearchData=window\.imSearchData\|\|\{\}\)\["[^"]+"\]=(.*);\n', text, re.S)
        assert match, path
        return json.loads(match.group(1))
    folder = out / "search" / lang
    return decode(folder / "docs.js"), {p.stem[2:]: decode(p) for p in sorted(folder.glob("t-*.js"))}


def query(out: Path, lang: str, text: str) -> list[str]:
    """Titles found for `text`, the way static/search.js looks words up (exact stems and forms)."""
    docs, shards = load_shards(out, lang)
    per_word = []
    for word in (fold(w) for w in re.findall(r"\w+", text.lower())):
        shard = shards.get(shard_key(word), {"terms": {}, "forms": {}})
        stems = {c for c in candidates(word, lang) if c in shard["terms"]}
        if word in shard["forms"]:
            stems.add(shard["forms"][word])
        found = set()
        for stem in stems:
            found.update(shards[shard_key(stem)]["terms"][stem][::2])
        per_word.append(found)
    hits = set.intersection(*per_word) if per_word else set()
    return sorted(docs["docs"][i][1] for i in hits)


def test_german_inflections_umlauts_and_compounds(make_site):
    root = make_site(GERMAN)
    assert build_site(root).exit_code == 0
    out = root / "_site"
    assert query(out, "de", "Schulungen") == ["Neue Schulung startet"]
    assert query(out, "de", "Filialen") == ["Besuch in der Filiale"]
    assert query(out, "de", "Kunde") == ["Besuch in der Filiale"]
    assert query(out, "de", "Frische") == ["Frisch und regional"]
    assert query(out, "de", "Übungen") == ["Übung macht den Meister"]
    assert query(out, "de", "Uebung") == ["Übung macht den Meister"]
    assert query(out, "de", "Mitarbeitenden") == ["Übung macht den Meister"]
    # "Frischetheke" is also indexed under "Theke", a head word the site uses on its own
    assert query(out, "de", "Theke") == ["Die neue Theke", "Frisch und regional"]
    assert query(out, "de", "Schulung Kiel") == []  # every word must match
    assert query(out, "en", "training") == ["Training for stores"]
    assert query(out, "en", "customer") == ["Training for stores"]
    assert query(out, "en", "trainings") == ["Training for stores"]


def test_a_regional_variant_is_searched_with_its_languages_word_forms(make_site):
    """`language: de-CH` found "Filiale" only as typed: no stemmer, no umlauts as ae/oe/ue, no
    stop words; a Swiss site's search is German (search.js takes the same rules)."""
    yaml = BASIC_SITE_YAML.replace("language: de\nlanguages: [de, en]", "language: de-CH\nlanguages: [de-CH, en]")
    root = make_site({rel: text for rel, text in GERMAN.items() if not rel.endswith(".en.md")}, site_yaml=yaml)
    assert build_site(root).exit_code == 0
    out = root / "_site"
    assert query(out, "de-CH", "Filialen") == ["Besuch in der Filiale"]
    assert query(out, "de-CH", "Uebungen") == ["Übung macht den Meister"]
    assert query(out, "de-CH", "Theke") == ["Die neue Theke", "Frisch und regional"]
    script = (Path(__file__).parent.parent / "im_site/themes/default/static/search.js").read_text(encoding="utf-8")
    assert 'var language = lang.split("-")[0].toLowerCase();' in script and "SUFFIXES[language]" in script


def test_hyphenated_words_are_found_written_as_one(make_site):
    """Readers type "Frischeversprechen" and "Email" for the page's "Frische-Versprechen" and "E-Mail"."""
    root = make_site({"content/messages/v.md": message("Unser Frische-Versprechen", "Fragen per E-Mail an uns."),
                      "content/messages/w.md": message("Versprechen halten", "Ein Versprechen ist ein Versprechen.")})
    assert build_site(root).exit_code == 0
    out = root / "_site"
    assert query(out, "de", "Frischeversprechen") == ["Unser Frische-Versprechen"]
    assert query(out, "de", "Email") == ["Unser Frische-Versprechen"]
    assert query(out, "de", "Frische-Versprechen") == ["Unser Frische-Versprechen"]
    assert query(out, "de", "Versprechen") == ["Unser Frische-Versprechen", "Versprechen halten"]


def test_words_joined_by_a_unicode_hyphen_are_found_written_as_one(make_site):
    """Word writes "Liefer\u2011Service" with a non-breaking hyphen (U+2011), and U+2010 is the
    typographic hyphen: "Lieferservice" found it only split in two, at half weight."""
    root = make_site({"content/messages/v.md": message("Neu", "Der Liefer\u2011Service und die Kunden\u2010Hotline."),
                      "content/messages/w.md": message("Alt", "Liefer und Service, Kunden und Hotline.")})
    assert build_site(root).exit_code == 0
    assert query(root / "_site", "de", "Lieferservice") == ["Neu"]
    assert query(root / "_site", "de", "Kundenhotline") == ["Neu"]


def test_text_pasted_from_word_is_found_whole(make_site):
    """Word's soft hyphens and zero-width spaces are invisible: "Lebens\u00admittel" is one word."""
    root = make_site({"content/messages/k.md": message("Neue Lebens\u00admittel\u200bkontrolle",
                                                       "Die Hygiene\u00adregeln gelten ab\u00a0Montag."),
                      "content/messages/l.md": "---\ntitle: Lebens\u00admittel\ndate: 2026-01-05\n---\n## Hygiene\u00adregeln\n"})
    assert build_site(root).exit_code == 0
    out = root / "_site"
    assert query(out, "de", "Lebensmittelkontrolle") == ["Neue Lebens\u00admittel\u200bkontrolle"]
    assert query(out, "de", "Hygieneregeln") == ["Lebens\u00admittel", "Neue Lebens\u00admittel\u200bkontrolle"]
    assert query(out, "de", "Montag") == ["Neue Lebens\u00admittel\u200bkontrolle"]
    assert 'id="hygieneregeln"' in (out / "messages/l/index.html").read_text(encoding="utf-8")


def test_a_module_is_found_by_its_type_tags_lesson_titles_and_objectives(make_site):
    """The demo's modules ("Frische erklären", tagged `schulung`) were found by neither "Training"
    nor "Schulungen": only the title, summary and bodies were indexed, not what the page shows
    besides them."""
    root = make_site({
        "content/training/frische.md": """
            ---
            title: Frische erklären
            summary: Obst und Gemüse prüfen.
            duration: 20
            level: basis
            tags: [schulung]
            objectives: [Die Drei-Sinne-Runde in fünf Minuten schaffen]
            ---
            Text.
            """,
        "content/training/marke/index.md": "---\ntitle: Die Marke\nsummary: Im Alltag.\nduration: 10\nlevel: basis\n---\nText.\n",
        "content/training/marke/01-theke.md": "---\ntitle: Frische an der Theke\n---\nAuslagen voll.\n",
        "content/messages/m.md": message("Neue Preise", "Ab Montag."),
    })
    assert build_site(root).exit_code == 0
    out = root / "_site"
    assert query(out, "de", "Training") == ["Die Marke", "Frische erklären"]  # the type readers see
    assert query(out, "de", "Schulungen") == ["Frische erklären"]  # a tag
    assert query(out, "de", "Theke") == ["Die Marke"]  # a lesson's title
    assert query(out, "de", "Minuten") == ["Frische erklären"]  # an objective
    assert query(out, "de", "Nachricht") == ["Neue Preise"]
    docs, _ = load_shards(out, "de")
    texts = dict(zip((entry[1] for entry in docs["docs"]), snippet_texts(out, "de")))
    assert texts["Frische erklären"] == "Text. Die Drei-Sinne-Runde in fünf Minuten schaffen"  # its snippet shows it


def test_index_has_published_pages_with_filter_data(make_site):
    root = make_site(GERMAN)
    assert build_site(root).exit_code == 0
    docs, _ = load_shards(root / "_site", "de")
    by_title = {entry[1]: entry for entry in docs["docs"]}
    url, _, kind, audiences, pillars, excerpt = by_title["Neue Schulung startet"]
    assert (url, kind, audiences, pillars) == ("messages/schulung/index.html", "message", ["filiale"], ["training"])
    assert excerpt == "Die Schulung beginnt im März."
    assert docs["labels"]["audience"]["filiale"] == "Filialteams"
    assert "Training for stores" not in by_title  # English pages are in the English shard only
    assert (root / "_site" / "search" / "index.html").is_file()
    assert (root / "_site" / "en" / "search" / "index.html").is_file()


def test_unpublished_and_other_audience_pages_leave_no_trace(make_site):
    root = make_site({
        **GERMAN,
        "content/messages/entwurf.md": message("Entwurf", "Geheimwortentwurf steht hier.", "draft: true\n"),
        "content/messages/spaeter.md": message("Später", "Geheimwortzukunft steht hier.",
                                              "publish_at: 2027-06-01T08:00:00+01:00\n"),
        "content/messages/zentrale.md": message("Nur Zentrale", "Geheimwortzentrale steht hier.",
                                                "audiences: [zentrale]\n"),
    })
    assert build_site(root, "--audience", "filiale").exit_code == 0
    search_files = b"".join(p.read_bytes() for p in sorted((root / "_site" / "search").rglob("*")) if p.is_file())
    for marker in (b"geheimwort", b"entwurf", b"nur zentrale", b"spater", "später".encode()):
        assert marker not in search_files.lower()
    assert query(root / "_site", "de", "Schulung") == ["Neue Schulung startet"]  # filiale page kept


def test_an_audience_edition_search_page_has_no_audience_filter(make_site):
    """The store teams' edition offered "Zielgruppe: Zentrale" on its search page: a choice that
    could only show the pages for everyone, as its home page has no audience filter either."""
    root = make_site(GERMAN)
    assert build_site(root).exit_code == 0
    assert 'data-filter="audience"' in (root / "_site/search/index.html").read_text(encoding="utf-8")
    assert build_site(root, "--audience", "filiale").exit_code == 0
    for file in ("search/index.html", "en/search/index.html"):
        page = (root / "_site" / file).read_text(encoding="utf-8")
        assert 'data-filter="audience"' not in page and "Zentrale" not in page, file
        assert 'data-filter="pillar"' in page


def test_search_box_and_page_markup(make_site):
    root = make_site(GERMAN)
    assert build_site(root).exit_code == 0
    page = (root / "_site" / "messages" / "filiale" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<form class="site-search" role="search"[^>]*action="\.\./\.\./search/index\.html"', page)
    assert '<label class="visually-hidden" for="search-input">' in page
    assert '<input type="search" id="search-input"' in page
    assert 'class="search-results"' in page
    search_page = (root / "_site" / "search" / "index.html").read_text(encoding="utf-8")
    assert search_page.count('id="search-input"') == 1  # the page's own form replaces the header box
    assert 'data-filter="audience"' in search_page and 'data-filter="pillar"' in search_page
    assert "<noscript>" in search_page
    assert "innerHTML" not in next((root / "_site" / "assets").glob("search.*.js")).read_text()


def test_identical_builds_give_identical_index(make_site, tmp_path):
    root = make_site(GERMAN)
    assert build_site(root).exit_code == 0
    first = {k: v for k, v in snapshot_tree(root / "_site").items() if k.startswith("search/")}
    assert build_site(root, "-o", str(tmp_path / "again")).exit_code == 0
    second = {k: v for k, v in snapshot_tree(tmp_path / "again").items() if k.startswith("search/")}
    assert first and first == second


def test_pages_are_stemmed_across_processes_into_the_same_index(make_site, tmp_path, monkeypatch):
    """A clean build stems the pages the cache lacks in the build's worker processes; the index
    is the one a build without a cache (stemming here, a batch at a time) writes."""
    from conftest import NOW

    from im_site import parallel, search
    from im_site.build import build
    from im_site.config import load_config
    from im_site.options import BuildOptions, read_clock
    from im_site.output import write_atomic

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    monkeypatch.setattr(search, "STEM_BATCH", 1)
    log, real = tmp_path / "stemmed.log", search._page_terms

    def logging_terms(analyzer: search.Analyzer, page: object, *extra: object) -> search.PageTerms:
        time.sleep(0.05)  # long enough for both children to take some
        with log.open("a") as stream:
            stream.write(f"{os.getpid()}\n")
        return real(analyzer, page, *extra)

    monkeypatch.setattr(search, "_page_terms", logging_terms)
    root = make_site(GERMAN)
    assert build_site(root).exit_code == 0
    in_children = [pid for pid in log.read_text().split() if pid != str(os.getpid())]
    assert len(in_children) == 5 and len(set(in_children)) == 2  # the German pages (the English one: too few)
    result = build(load_config(root / "site.yaml"),
                   BuildOptions(root / "site.yaml", read_clock(NOW), use_cache=False, jobs=1))
    write_atomic(result.outputs, tmp_path / "serial")
    index = lambda folder: {k: v for k, v in snapshot_tree(folder).items() if k.startswith("search/")}  # noqa: E731
    assert index(root / "_site") and index(root / "_site") == index(tmp_path / "serial")


def test_search_disabled_means_no_index_and_no_box(make_site):
    root = make_site(GERMAN, site_yaml=BASIC_SITE_YAML + "search:\n  enabled: false\n")
    assert build_site(root).exit_code == 0
    assert not (root / "_site" / "search").exists()
    page = (root / "_site" / "messages" / "filiale" / "index.html").read_text(encoding="utf-8")
    assert 'role="search"' not in page


def test_search_disabled_pages_load_no_search_script_or_styles(make_site):
    """Without a search box, search.js and search.css are a wasted request on every page."""
    root = make_site(GERMAN, site_yaml=BASIC_SITE_YAML + "search:\n  enabled: false\n")
    assert build_site(root).exit_code == 0
    assert not list((root / "_site" / "assets").glob("search.*"))
    for page in (root / "_site").rglob("*.html"):
        assert "search." not in page.read_text(encoding="utf-8"), page


def test_light_stemming_mirrors_the_client():
    assert "schulung" in candidates("schulungen", "de")
    assert "ubung" in candidates(fold("Uebungen"), "de")
    assert fold("Straße") == "strasse" and fold("Café") == "cafe"
    assert shard_key("übung") == "_" and shard_key(fold("übung")) == "u"


def test_page_texts_for_snippets_are_outside_the_main_index(make_site):
    """Results showed the page's summary, not where the query matched: each page's text is written
    for the browser to cut the matching sentence from, TEXT_CHUNK pages a file, in the index's order,
    loaded only for the results shown (docs.js, which every query loads, stays as small)."""
    from im_site.search import TEXT_CHUNK
    root = make_site({f"content/messages/m{n:02}.md": message(f"Nachricht {n}", f"Satz eins. Der Umzug [Nummer](m00.md) {n}, "
                                                              "*bald*.", "summary: Kurz gesagt.\n") for n in range(TEXT_CHUNK + 3)})
    assert build_site(root).exit_code == 0
    folder = root / "_site" / "search" / "de"
    docs, _ = load_shards(root / "_site", "de")
    assert "Umzug" not in (folder / "docs.js").read_text(encoding="utf-8")
    texts = []
    for n in range(len(docs["texts"])):
        text = (folder / f"x-{n}.js").read_text(encoding="utf-8")
        match = re.fullmatch(rf'\(window\.imSearchData=window\.imSearchData\|\|\{{\}}\)\["de/x-{n}"\]=(.*);\n', text, re.S)
        assert match
        texts += json.loads(match.group(1))["texts"]
    assert docs["chunk"] == TEXT_CHUNK and len(docs["texts"]) == 2 and not (folder / "x-2.js").exists()
    by_title = dict(zip((entry[1] for entry in docs["docs"]), texts))
    assert by_title["Nachricht 5"] == "Satz eins. Der Umzug Nummer 5, bald."  # no space left before the comma


def test_a_snippet_keeps_headings_and_table_cells_apart_from_the_next_block(make_site):
    """A heading or a table cell ran into the text after it ("Was die Kulanzregel bewirkt hat Die
    Beschwerden sind …", "Jana Schäfer 2310 Fragen zu Service"): a block that ends without a full
    stop is parted from the next by " · "; one that ends with one is not marked twice."""
    body = ("## Was die Kulanzregel bewirkt hat\n\nDie Beschwerden sind gesunken.\n\n"
            "| Name | Telefon | Thema |\n|---|---|---|\n| Jana Schäfer | 2310 | Fragen zu Service |\n\n"
            "::: info Gut zu wissen\nDie Regel gilt bundesweit.\n:::\n")
    root = make_site({"content/messages/m.md": message("Kulanz", body)})
    assert build_site(root).exit_code == 0
    docs, _ = load_shards(root / "_site", "de")
    text = (root / "_site/search/de/x-0.js").read_text(encoding="utf-8")
    texts = json.loads(text.partition('["de/x-0"]=')[2].removesuffix(";\n"))["texts"]
    assert texts[0] == ("Was die Kulanzregel bewirkt hat · Die Beschwerden sind gesunken. Name · Telefon · Thema · "
                        "Jana Schäfer · 2310 · Fragen zu Service · Gut zu wissen · Die Regel gilt bundesweit.")
    page = (root / "_site/messages/m/index.html").read_text(encoding="utf-8")
    assert "\u2029" not in page and "\u2029" not in "".join(p.read_text(encoding="utf-8") for p in (root / "_site").rglob("*.js"))


KPI_DEFS = """\
kpis:
  - id: enps
    label: {de: Weiterempfehlung als Arbeitgeber (eNPS), en: Employer recommendation (eNPS)}
    description: {de: Anteil der Förderer minus Anteil der Kritiker., en: Promoters minus detractors.}
    category: engagement
    unit: {de: Punkte, en: points}
    direction: up
  - id: spaeter
    label: {de: Geheimkennzahl, en: Secret figure}
    since: 2026-Q4
    category: impact
    unit: "%"
    direction: up
"""


def test_kpi_pages_are_found_by_their_kpi_labels(make_site):
    """"eNPS" missed the newest snapshot, whose commentary did not write it (only its table, made
    from kpis.yaml), and the dashboard: both are indexed by the KPIs they show, in their language;
    a KPI the dashboard does not show yet leaves no trace."""
    snapshot = "---\ntitle: {title}\nperiod: {period}\n{extra}values: {{enps: {value}}}\n---\n{body}\n"
    root = make_site({
        "content/messages/a.md": message("Hallo", "Text."),
        "content/messages/a.en.md": message("Hello", "Text."),
        "content/kpis/kpis.yaml": KPI_DEFS,
        "content/kpis/2026-q2.md": snapshot.format(title="Kennzahlen Q2", period="2026-Q2", extra="baseline: true\n",
                                                   value=-4, body="Der eNPS liegt bei −4."),
        "content/kpis/2026-q3.md": snapshot.format(title="Kennzahlen Q3", period="2026-Q3", extra="date: 2026-10-09\n",
                                                   value=9, body="Besser geworden."),
    })
    assert build_site(root).exit_code == 0
    out = root / "_site"
    assert query(out, "de", "eNPS") == ["Kennzahlen", "Kennzahlen Q2", "Kennzahlen Q3"]
    assert query(out, "de", "Weiterempfehlung Arbeitgeber") == ["Kennzahlen", "Kennzahlen Q2", "Kennzahlen Q3"]
    assert query(out, "de", "Kritiker") == ["Kennzahlen"]  # the dashboard shows the KPI's description
    docs, _ = load_shards(out, "de")
    dashboard = next(entry for entry in docs["docs"] if entry[1] == "Kennzahlen")
    assert dashboard[0] == "kpis/index.html" and dashboard[2] == "kpi_snapshot"
    assert query(out, "en", "eNPS") == ["KPIs"]  # no English snapshot: the English dashboard
    assert query(out, "de", "Geheimkennzahl") == []
    search_files = b"".join(p.read_bytes() for p in sorted((out / "search").rglob("*")) if p.is_file())
    assert b"geheimkennzahl" not in search_files.lower() and b"secret figure" not in search_files.lower()
    # The snippet of a snapshot found by a label its table shows is cut from that label, not its summary.
    texts = dict(zip((entry[1] for entry in docs["docs"]), snippet_texts(out, "de")))
    assert texts["Kennzahlen Q3"] == "Besser geworden. Weiterempfehlung als Arbeitgeber (eNPS)"


def snippet_texts(out, lang: str) -> list[str]:
    """The texts of search/<lang>/x-*.js, in index order."""
    docs, _ = load_shards(out, lang)
    texts: list[str] = []
    for n in range(len(docs["texts"])):
        text = (out / "search" / lang / f"x-{n}.js").read_text(encoding="utf-8")
        texts += json.loads(text.partition(f'["{lang}/x-{n}"]=')[2].removesuffix(";\n"))["texts"]
    return texts


def test_the_search_page_names_the_other_languages_to_search_in_each_in_itself(make_site):
    """Each language has its own index, so the search page offers the other languages' search pages
    for a query that finds nothing (static/search.js shows the offer): named in themselves from the
    theme's `language_name` ("English"), a language the theme has no texts for by its code, never by
    the English text's name for it; and only languages that have a search page (pages)."""
    yaml = BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de, en, fr, de-CH, it]") + "theme: marke\n"  # no page in it
    pages = {"content/messages/fr.fr.md": message("Formation", "La formation commence."),
             "content/messages/ch.de-CH.md": message("Grüezi", "Die Schulung beginnt.")}
    root = make_site({**GERMAN, **pages, "themes/marke/theme.yaml": "extends: default\nstrings:\n  fr:\n    language_name: Français\n"},
                     site_yaml=yaml)
    result = build_site(root)
    assert result.exit_code == 0, result.stderr

    def offered(page: str) -> list[tuple[str, str, str]]:
        html = (root / "_site" / page).read_text(encoding="utf-8")
        block = re.search(r'<p class="search-elsewhere" hidden>(.*?)</p>', html, re.S)
        assert block, page
        return re.findall(r'<a href="([^"]+)" data-search-elsewhere="[^"]+" hreflang="[^"]+" lang="([^"]+)">([^<]+)</a>',
                          block.group(1))
    assert offered("search/index.html") == [("../en/search/index.html", "en", "English"),
                                            ("../fr/search/index.html", "fr", "Français"),
                                            ("../de-CH/search/index.html", "de-CH", "Deutsch")]
    assert offered("fr/search/index.html")[0] == ("../../search/index.html", "de", "Deutsch")
    single = make_site({rel: text for rel, text in GERMAN.items() if not rel.endswith(".en.md")}, folder="single",
                       site_yaml=BASIC_SITE_YAML.replace("languages: [de, en]", "languages: [de]"))
    assert build_site(single).exit_code == 0
    assert "search-elsewhere" not in (single / "_site/search/index.html").read_text(encoding="utf-8")
