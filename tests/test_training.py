"""Training modules: prerequisites, cycles, quiz validation, module pages and the catalogue.

Every test builds a small real site through the CLI and reads the HTML it wrote.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from conftest import BASIC_SITE_YAML, NOW, build_site, readme_block, run_cli, said, write_files


class Elements(HTMLParser):
    """Start tags in document order with their attributes, the text outside <script>,
    and the text of each <script type="application/json">."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.json_blocks: list[str] = []
        self._in_json = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "script":
            self._in_script = True
            self._in_json = found.get("type") == "application/json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = self._in_json = False

    def handle_data(self, data: str) -> None:
        if self._in_json:
            self.json_blocks.append(data)
        elif not self._in_script:
            self.text.append(data)

    def having(self, attribute: str, tag: str | None = None) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if attribute in attrs and (tag is None or name == tag)]

    def with_class(self, css_class: str, tag: str | None = None) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags
                if css_class in (attrs.get("class") or "").split() and (tag is None or name == tag)]

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def module(title: str, *, extra: str = "", body: str | None = None) -> str:
    """A one-file module whose text names its title (a translation's text is not its original's)."""
    return f"---\ntitle: {title}\nduration: 20\n{extra}---\n{body if body is not None else f'Text: {title}.'}\n"


QUIZ = """\
quiz:
  - question: Wie lange darf Hackfleisch liegen?
    options: [Einen Tag, Eine Woche]
    answer: 0
    explain: Hackfleisch verdirbt schnell.
  - question: Welche Ware wird reduziert?
    options: [Joghurt mit MHD morgen, Kaffee mit MHD in drei Monaten, Reife Bananen]
    answer: [0, 2]
"""


def test_catalogue_lists_prerequisites_first_then_weight_and_title(make_site):
    root = make_site({
        "content/training/alpha.md": module("Alpha", extra="prerequisites: [zeta]\n"),
        "content/training/beta.md": module("Beta"),
        "content/training/gamma.md": module("Gamma", extra="weight: 1\nprerequisites: [beta]\n"),
        "content/training/zeta.md": module("Zeta", extra="weight: 5\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    cards = parse(root / "_site/training/index.html").having("data-module-card")
    assert [card["id"] for card in cards] == ["module-beta", "module-gamma", "module-zeta", "module-alpha"]


def test_catalogue_totals_and_filter_controls(make_site):
    root = make_site({
        "content/training/kasse.md": module("Kasse", extra="audiences: [filiale]\nlevel: basis\n"),
        "content/training/marke.md": module("Marke", extra="level: aufbau\n"),
        "content/training/planung.md": module("Planung", extra="audiences: [zentrale]\nlevel: aufbau\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    page = parse(root / "_site/training/index.html")
    totals = {attrs["data-total-audience"]: attrs for attrs in page.having("data-total-audience")}
    assert set(totals) == {"filiale", "zentrale", ""}
    assert "Filialteams 40 Min. (2 Module)" in page.visible_text
    assert "Alle Module 1 Std. (3 Module)" in page.visible_text
    filters = {attrs["data-filter"] for attrs in page.having("data-filter", "select")}
    assert filters == {"audience", "level"}
    assert "hidden" in page.having("data-training-filters")[0]  # shown by training.js only
    cards = {attrs["id"]: attrs for attrs in page.having("data-module-card")}
    assert cards["module-kasse"]["data-audiences"] == "filiale"
    assert cards["module-marke"]["data-audiences"] == ""
    assert cards["module-planung"]["data-level"] == "aufbau"
    assert all(card["data-completed"] == "false" and card["data-module-key"] for card in cards.values())


def test_level_filter_lists_the_levels_in_the_order_of_the_modules(make_site):
    """The filter offered "aufbau, basis, experte" (alphabetical) for a course that starts at
    basis: the levels come in the order the catalogue shows the modules, each once."""
    root = make_site({
        "content/training/kasse.md": module("Kasse", extra="level: Basis\n"),
        "content/training/marke.md": module("Marke", extra="level: Aufbau\nprerequisites: [kasse]\n"),
        "content/training/team.md": module("Team", extra="level: Aufbau\nprerequisites: [kasse]\n"),
        "content/training/zukunft.md": module("Zukunft", extra="level: Experte\nprerequisites: [marke]\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    page = parse(root / "_site/training/index.html")
    select = next(i for i, (tag, attrs) in enumerate(page.tags) if tag == "select" and attrs.get("data-filter") == "level")
    options = [attrs["value"] for tag, attrs in page.tags[select + 1:select + 5] if tag == "option"]
    assert options == ["", "Basis", "Aufbau", "Experte"]
    cards = [attrs["data-level"] for attrs in page.having("data-module-card")]
    assert cards == ["Basis", "Aufbau", "Aufbau", "Experte"]


def test_prerequisite_links_to_the_same_language_translation(make_site):
    root = make_site({
        "content/training/basis.md": module("Grundlagen"),
        "content/training/basis.en.md": module("Basics"),
        "content/training/vertiefung.md": module("Vertiefung", extra="prerequisites: [basis]\n"),
        "content/training/vertiefung.en.md": module("Going deeper", extra="prerequisites: [basis]\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    german = parse(root / "_site/training/vertiefung/index.html").having("data-prerequisite", "a")
    english = parse(root / "_site/en/training/vertiefung/index.html").having("data-prerequisite", "a")
    assert german[0]["href"] == "../basis/index.html"
    assert english[0]["href"] == "../basis/index.html"  # en/training/basis/, the English version
    assert "Basics" in (root / "_site/en/training/vertiefung/index.html").read_text(encoding="utf-8")
    catalogue = parse(root / "_site/en/training/index.html").having("data-prerequisite", "a")
    assert catalogue[0]["href"] == "basis/index.html"


def test_unknown_prerequisite_is_an_error_at_its_list_item(make_site):
    root = make_site({
        "content/training/frische.md": module("Frische"),
        "content/training/service.md": "---\ntitle: Service\nprerequisites:\n  - frische\n  - frishe\n---\nText.\n",
    })
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/training/service.md:5: error[IM020]: unknown prerequisite 'frishe'" in result.stderr
    assert "did you mean 'frische'?" in result.stderr
    assert not (root / "_site").exists()


def test_a_module_with_front_matter_errors_is_reported_once_not_by_its_prerequisites_and_lessons(make_site):
    root = make_site({
        "content/training/frische.md": module("Frische", extra="level: [basis\n"),
        "content/training/kasse/index.md": "---\ntitle: Kasse\nduration: 20 Minuten\n---\nText.\n",
        "content/training/kasse/01-begruessung.md": "---\ntitle: Die Begrüßung\n---\nEins.\n",
        "content/training/service.md": module("Service", extra="prerequisites: [frische, kasse]\n"),
    })
    result = build_site(root)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert [line.split(":")[0] for line in errors] == [
        "content/training/frische.md", "content/training/kasse/index.md", "2 errors, 0 warnings"], result.stderr


def test_prerequisite_cycle_is_an_error_naming_the_cycle(make_site):
    root = make_site({
        "content/training/a.md": module("Modul A", extra="prerequisites: [b]\n"),
        "content/training/b.md": module("Modul B", extra="prerequisites: [c]\n"),
        "content/training/c.md": module("Modul C", extra="prerequisites:\n  - a\n"),
        "content/training/self.md": module("Selbst", extra="prerequisites: [self]\n"),
    })
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/training/a.md:4: error[IM131]: prerequisites form a cycle: a → b → c → a" in result.stderr
    assert "content/training/self.md:4: error[IM131]: prerequisites form a cycle: self → self" in result.stderr
    assert result.stderr.count("IM131") == 2


def test_a_draft_lesson_is_previewed_with_drafts_and_a_link_to_it_says_it_is_a_draft(make_site):
    """A lesson file marked `draft: true` was left out even of `serve --drafts`, so the lesson being
    written could not be previewed, and a link to it said "not found" as if the file did not exist."""
    root = make_site({
        "content/training/kasse/index.md": "---\ntitle: Kasse\n---\nText.\n",
        "content/training/kasse/01-eins.md": "---\ntitle: Die Begrüßung\n---\nEins.\n",
        "content/training/kasse/02-zwei.md": "---\ntitle: Der Abschluss\ndraft: true\n---\nZwei.\n",
        "content/messages/m.md": "---\ntitle: M\ndate: 2026-01-05\n---\nSiehe [Abschluss](../training/kasse/02-zwei.md).\n",
    })
    result = build_site(root)
    assert result.exit_code == 1
    assert ("content/messages/m.md:5: error[IM104]: link to content/training/kasse/02-zwei.md, which is draft and not "
            "published in this build (hint: publish the target first, or remove the link)") in result.stderr.splitlines()
    (root / "content/messages/m.md").write_text("---\ntitle: M\ndate: 2026-01-05\n---\nText.\n", encoding="utf-8")
    assert build_site(root).exit_code == 0
    readers = (root / "_site/training/kasse/index.html").read_text(encoding="utf-8")
    assert "Die Begrüßung" in readers and "Der Abschluss" not in readers and "Zwei." not in readers
    (root / "content/messages/m.md").write_text("---\ntitle: M\ndate: 2026-01-05\n---\nSiehe [Abschluss](../training/kasse/02-zwei.md).\n",
                                               encoding="utf-8")
    preview = build_site(root, "--drafts", "-o", str(root / "preview"))
    assert preview.exit_code == 0, preview.stderr
    html = (root / "preview/training/kasse/index.html").read_text(encoding="utf-8")
    assert ('<h2 id="der-abschluss-h">Der Abschluss</h2>\n<p class="preview-note" role="note">Entwurf: diese Lektion ist nur '
            "in dieser Vorschau zu sehen") in html and "Zwei." in html
    assert '<h2 id="die-begruessung-h">Die Begrüßung</h2>\n<p>Eins.' in html  # a published lesson carries no note
    assert 'href="../../training/kasse/index.html#der-abschluss"' in (root / "preview/messages/m/index.html").read_text(encoding="utf-8")


def test_prerequisite_that_is_a_draft_is_an_error(make_site):
    root = make_site({
        "content/training/entwurf.md": module("Entwurf eines Moduls", extra="draft: true\n"),
        "content/training/kurs.md": module("Kurs", extra="prerequisites: [entwurf]\n"),
    })
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/training/kurs.md:4: error[IM104]: prerequisite 'entwurf' is draft" in result.stderr


def test_a_prerequisite_that_expires_is_warned_ahead_and_does_not_stop_its_expiry(make_site):
    """A prerequisite with `expires` failed the first build after its expiry (IM104 error): the
    scheduled publish meant to take it down failed, and the expired module stayed online. Now it
    is warned about while both are live, and left out of the prerequisites once it has expired."""
    root = make_site({
        "content/training/winter.md": module("Winterware", extra="expires: 2026-12-24\n"),
        "content/training/kurs.md": module("Kurs", extra="prerequisites: [winter]\n"),
        "content/training/kurz.md": module("Kurz", extra="expires: 2026-12-24\nprerequisites: [winter]\n"),
    })
    live = build_site(root, now="2026-12-20T09:00:00+00:00")
    assert live.exit_code == 0, live.stderr
    assert said(live, "IM104") == [
        "content/training/kurs.md:4: warning[IM104]: prerequisite 'winter' expires 2026-12-24 while this module "
        "stays: from then on it is left out of the prerequisites "
        "(hint: remove the prerequisite, or give this module expires: 2026-12-24)"]
    gone = build_site(root, now="2026-12-28T09:00:00+00:00")
    assert gone.exit_code == 0, gone.stderr
    assert ("content/training/kurs.md:4: warning[IM104]: prerequisite 'winter' has expired: left out of this "
            "module's prerequisites (hint: remove the prerequisite)") in gone.stderr.splitlines()
    assert not parse(root / "_site/training/kurs/index.html").having("data-prerequisite")
    assert not (root / "_site/training/winter").exists()


def test_a_retired_module_that_other_pages_name_does_not_stop_its_expiry(make_site):
    """A link names a module by its title (`[Winterware richtig lagern](winter.md)`): once the module
    expired, the link became plain text as promised, and then the leak scan found the title in the
    linking page, its message's summary in the listings and feed and in the search index, and failed
    (IM060): the scheduled build meant to take the module down failed, and it stayed online. The
    title was published before; only words no published page says are still refused."""
    root = make_site({
        "content/training/winter.md": module("Winterware richtig lagern", extra="expires: 2026-12-24\n"),
        "content/training/sommer.md": module("Sommerware im Angebot", extra="expires: 2026-12-24\n"),
        "content/training/kasse.md": module("Kasse", extra="prerequisites: [winter]\n",
                                            body="Erst [Winterware richtig lagern](winter.md) lesen."),
        "content/messages/tipps.md": "---\ntitle: Tipps\ndate: 2026-12-01\n"
                                     "summary: Neu im Training, Winterware richtig lagern\n---\nText.\n",
    })
    gone = build_site(root, now="2026-12-28T09:00:00+00:00")
    assert gone.exit_code == 0, gone.stderr
    assert "IM060" not in gone.stderr
    assert ("content/training/kasse.md:6: warning[IM104]: link to content/training/winter.md, which has expired, "
            "shown as plain text (hint: remove the link)") in gone.stderr.splitlines()
    assert "Erst Winterware richtig lagern lesen." in parse(root / "_site/training/kasse/index.html").visible_text
    assert not (root / "_site/training/winter").exists()
    # A title no published page says is still refused wherever it turns up (here in a download).
    (root / "content/training/kasse.md").write_text(module("Kasse", body="[Liste](liste.txt)"), encoding="utf-8")
    (root / "content/training/liste.txt").write_text("Sommerware im Angebot\n", encoding="utf-8")
    leaked = build_site(root, now="2026-12-28T09:00:00+00:00")
    assert leaked.exit_code == 1
    assert ("content/training/sommer.md:2: error[IM060]: the title of an expired page appears in "
            "files/training/liste.txt; refusing to publish it (hint: content/training/liste.txt quotes it)"
            ) in leaked.stderr.splitlines()


def test_prerequisite_for_another_audience_is_plain_text_in_an_audience_build(make_site):
    root = make_site({
        "content/training/zentrale-kurs.md": module("Nur für die Zentrale", extra="audiences: [zentrale]\n"),
        "content/training/kurs.md": module("Kurs", extra="prerequisites: [zentrale-kurs]\n"),
    })
    result = build_site(root, "--audience", "filiale")
    assert result.exit_code == 0, result.stderr
    assert "content/training/kurs.md:4: warning[IM105]" in result.stderr
    page = parse(root / "_site/training/kurs/index.html")
    plain = page.having("data-prerequisite")
    assert plain and all(attrs.get("href") is None for attrs in plain)
    assert "Nur für die Zentrale" not in (root / "_site/training/kurs/index.html").read_text(encoding="utf-8")


def test_a_module_for_more_readers_than_its_prerequisite_is_warned_in_the_whole_sites_build(make_site):
    """`check` and CI build the whole site, where the zentrale edition's IM105 never shows: a module
    for everyone requiring a module for the stores sent head-office readers to a module not meant
    for them, and their edition showed the prerequisite as plain text, unwarned."""
    root = make_site({
        "content/training/filial-kurs.md": module("Nur für Filialen", extra="audiences: [filiale]\n"),
        "content/training/kurs.md": module("Kurs", extra="prerequisites: [filial-kurs]\n"),
        "content/training/filial-aufbau.md": module("Aufbau", extra="audiences: [filiale]\nprerequisites: [filial-kurs]\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM105") == [
        "content/training/kurs.md:4: warning[IM105]: prerequisite 'filial-kurs' is only for filiale, this module also "
        "for zentrale: their edition (--audience zentrale) shows it as plain text (hint: give "
        "content/training/filial-kurs.md the audiences of this module too, or this module only audiences: [filiale])"]
    checked = run_cli(root, "check", "--now", NOW)
    assert [line.split("]")[0] for line in checked.stdout.splitlines() if "IM105" in line] == [
        "content/training/kurs.md:4: warning[IM105 link-to-other-audience"]
    assert "IM105" not in build_site(root, "--audience", "filiale").stderr  # this edition has both: nothing to say
    assert build_site(root, "--audience", "zentrale").stderr.count("IM105") == 1  # the edition's own warning, once


def test_answer_outside_the_options_is_an_error_at_the_answer_line(make_site):
    root = make_site({"content/training/quiz.md": """\
        ---
        title: Quiz
        quiz:
          - question: Eins?
            options: [ja, nein]
            answer: 0
          - question: Zwei?
            options: [ja, nein, vielleicht]
            answer: 3
        ---
        Text.
        """})
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/training/quiz.md:9: error[IM133]" in result.stderr
    assert "answer 3 is outside the options (0 to 2" in result.stderr


def test_quiz_problems_have_the_quiz_code_not_wrong_type(make_site):
    """A quiz with an answer outside its options, one option or an empty question is a broken quiz,
    IM133 quiz: it was reported as IM006 wrong-type, though every value had the right type, and the
    code the README lists for quizzes was never used. A wrong type stays IM006."""
    root = make_site({"content/training/quiz.md": """\
        ---
        title: Quiz
        quiz:
          - question: Eins?
            options: [ja]
            answer: 0
          - question: " "
            options: [ja, nein]
            answer: [1, 1]
          - question: Drei?
            options: [ja, nein]
            answer: nein
        ---
        Text.
        """})
    result = run_cli(root, "check", "--format", "json", "--now", "2026-11-26T12:00:00+00:00")
    assert result.exit_code == 1
    found = {(d["line"], d["code"], d["name"]) for d in json.loads(result.stdout)["diagnostics"]
             if d["path"] == "content/training/quiz.md"}
    assert found == {(5, "IM133", "quiz"), (7, "IM133", "quiz"), (9, "IM133", "quiz"), (12, "IM006", "wrong-type")}


def test_an_answer_written_as_the_option_or_its_letter_gets_the_number_to_write(make_site):
    """Trainers write the right option as it reads, or as A/B/C from paper quizzes."""
    root = make_site({"content/training/quiz.md": """\
        ---
        title: Quiz
        quiz:
          - question: Eins?
            options: [ja, nein]
            answer: nein
          - question: Zwei?
            options: [ja, nein, vielleicht]
            answer: C
          - question: Drei?
            options: [ja, nein]
            answer: "1"
        ---
        Text.
        """})
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/training/quiz.md:6: error[IM006]" in result.stderr
    assert "hint: the number of the option, counted from 0: answer: 1 (for 'nein')" in result.stderr
    assert "hint: the number of the option, counted from 0: answer: 2 (for 'vielleicht')" in result.stderr
    assert "hint: a number, without quotes: answer: 1" in result.stderr


def test_a_wrong_item_of_an_answer_list_is_the_one_error(make_site):
    """`answer: [true, 0]` was two errors, the first "'quiz[0].answer' should be a whole number, not a
    list", sending the trainer to write one number where a list of several right options was meant."""
    root = make_site({"content/training/quiz.md": "---\ntitle: Quiz\nquiz:\n  - question: Welche?\n"
                                                  "    options: [ja, nein]\n    answer: [true, 0]\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "quiz.md" in line] == [
        "content/training/quiz.md:6: error[IM006]: 'quiz[0].answer[0]' should be a whole number, not true (a boolean)"]


def test_two_options_that_read_alike_or_an_empty_option_are_an_error_at_the_options(make_site):
    """A copied option line: the reader sees two identical choices, only one of which can be the
    answer, so picking the other was scored wrong, and an empty option was an empty radio button."""
    root = make_site({"content/training/quiz.md": """\
        ---
        title: Quiz
        quiz:
          - question: Bis zu welchem Betrag?
            options: ["10 €", "25 €", "10  €"]
            answer: 0
          - question: Zwei?
            options: [ja, " ", nein]
            answer: 0
        ---
        Text.
        """})
    result = build_site(root)
    assert result.exit_code == 1
    assert ("content/training/quiz.md:5: error[IM133]: 'quiz[0].options': options 0 and 2 both read '10  €': "
            "the reader cannot tell them apart") in result.stderr
    assert "content/training/quiz.md:8: error[IM133]: 'quiz[1].options': option 1 is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_question_with_one_option_says_so_in_words(make_site):
    """`options: [ja]` was reported in pydantic's words ("List should have at least 2 items after
    validation, not 1"); a trainer reads what is wrong with the question."""
    root = make_site({"content/training/quiz.md": "---\ntitle: Quiz\nquiz:\n  - question: Alles klar?\n"
                                                  "    options: [ja]\n    answer: 0\n---\nText.\n"})
    result = build_site(root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("content/training/quiz.md:5: error[IM133]: 'quiz[0].options': a question "
                                             "needs at least two options to choose from, not 1"), result.stderr


def test_missing_question_is_an_error_at_the_quiz_item(make_site):
    root = make_site({"content/training/quiz.md": """\
        ---
        title: Quiz
        quiz:
          - question: Eins?
            options: [ja, nein]
            answer: 0
          - options: [ja, nein]
            answer: 1
        ---
        Text.
        """})
    result = build_site(root)
    assert result.exit_code == 1
    assert "content/training/quiz.md:7: error[IM007]: missing required key 'quiz[1].question'" in result.stderr


def test_review_by_in_the_past_warns_and_shows_a_note(make_site):
    root = make_site({
        "content/training/alt.md": module("Alt", extra="review_by: 2026-11-25\n"),
        "content/training/heute.md": module("Heute", extra="review_by: 2026-11-26\n"),
    })
    result = build_site(root)  # --now 2026-11-26T12:00 UTC
    assert result.exit_code == 0, result.stderr
    assert "content/training/alt.md:4: warning[IM132]" in result.stderr
    assert "heute.md" not in result.stderr
    old = parse(root / "_site/training/alt/index.html")
    assert old.with_class("note-review")
    assert "wird gerade überarbeitet" in old.visible_text
    assert not parse(root / "_site/training/heute/index.html").with_class("note-review")
    assert parse(root / "_site/training/index.html").with_class("flag-review")


def test_the_day_a_review_falls_due_is_in_the_schedule_so_the_note_appears_on_time(make_site):
    """The "under review" note appears when `review_by` has passed, but next_change (which the
    scheduled publish waits for) did not know the date: the note waited for the next merge."""
    root = make_site({"content/training/heute.md": module("Heute", extra="review_by: 2026-11-26\n"),
                      "content/training/spaeter.md": module("Später", extra="review_by: 2027-03-31\n")},
                     site_yaml=BASIC_SITE_YAML + "timezone: Europe/Berlin\n")
    assert build_site(root).exit_code == 0  # --now 2026-11-26T12:00 UTC
    assert json.loads((root / "_site/manifest.json").read_text())["next_change"] == "2026-11-27T00:00:00+01:00"
    report = json.loads(run_cli(root, "check", "--now", "2026-11-26T12:00:00+00:00", "--format", "json").stdout)
    assert [(change["at"], change["action"], change["path"]) for change in report["schedule"]] == [
        ("2026-11-27T00:00:00+01:00", "review due", "content/training/heute.md"),
        ("2027-04-01T00:00:00+02:00", "review due", "content/training/spaeter.md")]
    assert build_site(root, now="2026-11-26T23:00:00+00:00").exit_code == 0  # the moment it is due
    assert parse(root / "_site/training/heute/index.html").with_class("note-review")


def test_review_by_warning_fails_a_strict_check(make_site):
    root = make_site({"content/training/alt.md": module("Alt", extra="review_by: 2026-01-01\n")})
    result = run_cli(root, "check", "--strict", "--now", "2026-11-26T12:00:00+00:00")
    assert result.exit_code == 1
    assert "IM132" in result.stderr + result.stdout


def test_the_readme_module_example_builds(make_site):
    """The README's module example, pasted as it is, is a module that builds: its quiz explanation
    read `explain: Hausregel: Molkereiprodukte ...`, which YAML refuses (IM003)."""
    example = readme_block("A training module is", "yaml")
    root = make_site({"content/training/frische.md": example + "## Lektion\n\nText.\n",
                      "content/training/marke-im-alltag.md": module("Marke im Alltag")})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    page = parse(root / "_site/training/frische/index.html")
    assert "Hausregel: Molkereiprodukte höchstens 7 °C." in page.visible_text


def test_quiz_markup_fieldsets_and_answer_data(make_site):
    root = make_site({"content/training/quiz.md": module("Quiz", extra=QUIZ)})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    html = (root / "_site/training/quiz/index.html").read_text(encoding="utf-8")
    page = parse(root / "_site/training/quiz/index.html")
    assert len(page.with_class("quiz", "section")) == 1
    questions = page.with_class("quiz-question", "fieldset")
    assert [q["data-multiple"] for q in questions] == ["false", "true"]
    assert html.count("<legend>") == 2
    inputs = [attrs for attrs in page.having("type", "input") if (attrs.get("name") or "").startswith("quiz-")]
    assert [i["type"] for i in inputs] == ["radio", "radio", "checkbox", "checkbox", "checkbox"]
    labels = {attrs["for"] for attrs in page.having("for", "label")}
    assert {i["id"] for i in inputs} <= labels
    assert "hidden" in page.with_class("quiz-check", "button")[0]
    assert page.with_class("quiz-result") and page.with_class("quiz-score")
    data = json.loads(page.json_blocks[0])
    assert [q["answers"] for q in data["questions"]] == [[0], [0, 2]]
    assert data["pass"] == 2
    assert data["key"].startswith("im-site.training.completed:")
    assert page.having("data-completed")
    assert "onclick" not in html and "<script>" not in html


def test_a_list_of_one_answer_does_not_tell_the_reader_that_several_are_right(make_site):
    """`answer: [0]` (a list, so checkboxes) showed "Mehrere Antworten sind richtig." above a question
    with one right answer: a reader who believed it ticked a second, wrong option."""
    one_in_a_list = QUIZ.replace("answer: [0, 2]", "answer: [2]")
    root = make_site({"content/training/eins.md": module("Eins", extra=one_in_a_list),
                      "content/training/eins.en.md": module("One", extra=one_in_a_list),
                      "content/training/zwei.md": module("Zwei", extra=QUIZ)})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    eins = parse(root / "_site/training/eins/index.html")
    assert [q["data-multiple"] for q in eins.with_class("quiz-question", "fieldset")] == ["false", "true"]
    assert "Kreuzen Sie alle richtigen Antworten an." in eins.visible_text
    assert "Mehrere Antworten sind richtig." not in eins.visible_text
    one = parse(root / "_site/en/training/eins/index.html").visible_text
    assert "Tick every right answer." in one and "More than one answer is right." not in one
    assert "Mehrere Antworten sind richtig." in parse(root / "_site/training/zwei/index.html").visible_text


def test_quiz_is_readable_without_javascript(make_site):
    root = make_site({"content/training/quiz.md": module("Quiz", extra=QUIZ)})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    page = parse(root / "_site/training/quiz/index.html")
    text = page.visible_text
    for needle in ("Wie lange darf Hackfleisch liegen?", "Eine Woche", "Welche Ware wird reduziert?",
                   "Kaffee mit MHD in drei Monaten", "Lösung anzeigen", "Hackfleisch verdirbt schnell.",
                   "Richtige Antworten: Joghurt mit MHD morgen; Reife Bananen"):
        assert needle in text
    assert len(page.with_class("quiz-solution", "details")) == 2


THREE_QUESTIONS = QUIZ + """\
  - question: Wer räumt die Kühltheke ein?
    options: [Das Frischeteam, Die Kasse]
    answer: 0
"""


def test_a_module_sets_its_own_pass_mark_shown_on_its_page_and_used_by_the_quiz(make_site):
    """The pass mark was 80 % for every module: a compliance module that must be passed with every
    answer right and a soft-skills module where 60 % is fine could not say so. `pass_mark` sets it
    per module: the page states it, and the quiz data training.js scores with carries it."""
    root = make_site({
        "content/training/datenschutz.md": module("Datenschutz", extra="pass_mark: 100\n" + THREE_QUESTIONS),
        "content/training/feedback.md": module("Feedback geben", extra="pass_mark: 60\n" + THREE_QUESTIONS),
        "content/training/kasse.md": module("Kasse", extra=THREE_QUESTIONS),
        "content/training/ohne.md": module("Ohne Quiz"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    for slug, mark, needed in (("datenschutz", "100", 3), ("feedback", "60", 2), ("kasse", "80", 3)):
        page = parse(root / f"_site/training/{slug}/index.html")
        assert json.loads(page.json_blocks[0])["pass"] == needed
        assert page.with_class("pass-mark", "dd")[0]["data-pass-mark"] == mark
        assert f"Bestanden ab {mark} % ({needed} von 3 Fragen richtig)" in page.visible_text
        assert f">{mark}\u00a0% (" in (root / f"_site/training/{slug}/index.html").read_text(encoding="utf-8")
        assert f"Ab {needed} von 3 richtigen Antworten" in page.visible_text
    assert not parse(root / "_site/training/ohne/index.html").with_class("pass-mark")


def test_a_pass_mark_that_is_no_per_cent_is_an_error_at_its_line(make_site):
    root = make_site({
        f"content/training/{name}.md": f"---\ntitle: Modul\npass_mark: {value}\n{QUIZ}---\nText.\n"
        for name, value in (("null", "0"), ("zu-hoch", "150"), ("wort", "achtzig"), ("prozent", '"80 %"'),
                            ("anteil", "0.8"), ("gut", "100"))})
    result = build_site(root)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert sorted(line for line in result.stderr.splitlines() if "error[" in line) == [
        "content/training/anteil.md:3: error[IM006]: 'pass_mark' should be a whole number, not 0.8 (float) "
        "(hint: in per cent, not as a share: pass_mark: 80)",
        "content/training/null.md:3: error[IM006]: 'pass_mark': 0 is no pass mark: a per cent of the questions "
        "from 1 to 100 (100: every answer right)",
        "content/training/prozent.md:3: error[IM006]: 'pass_mark' should be a whole number, not '80 %' (str) "
        "(hint: only the number, without quotes or %: pass_mark: 80)",
        "content/training/wort.md:3: error[IM006]: 'pass_mark' should be a whole number, not 'achtzig' (str) "
        "(hint: a whole number of per cent, from 1 to 100: pass_mark: 80)",
        "content/training/zu-hoch.md:3: error[IM006]: 'pass_mark': 150 is no pass mark: a per cent of the "
        "questions from 1 to 100 (100: every answer right)",
    ]


def test_a_translation_with_another_pass_mark_or_a_mark_without_quiz_is_a_warning(make_site):
    """The translations share the completion state: an English compliance module passed with the
    default 80 % marked the German one, which needs 100 %, as completed too."""
    root = make_site({
        "content/training/datenschutz.md": module("Datenschutz", extra="pass_mark: 100\n" + THREE_QUESTIONS),
        "content/training/datenschutz.en.md": module("Data protection", extra=THREE_QUESTIONS),
        "content/training/feedback.md": module("Feedback", extra="pass_mark: 60\n" + THREE_QUESTIONS),
        "content/training/feedback.en.md": module("Feedback", extra="pass_mark: 70\n" + THREE_QUESTIONS, body="Text (en)."),
        "content/training/kasse.md": module("Kasse", extra="pass_mark: 90\n" + THREE_QUESTIONS),
        "content/training/kasse.en.md": module("Till", extra="pass_mark: 90\n" + THREE_QUESTIONS),
        "content/training/ohne.md": module("Ohne Quiz", extra="pass_mark: 100\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "IM151" in line or "IM133" in line] == [
        "content/training/datenschutz.en.md:4: warning[IM151]: the quiz is passed with 80 % here (the default: no "
        "pass_mark), 100 % in its original content/training/datenschutz.md (hint: write pass_mark: 100 as in the "
        "original, since both share the completion state; if the original is wrong, correct both)",
        "content/training/feedback.en.md:4: warning[IM151]: the quiz is passed with 70 % here, 60 % in its original "
        "content/training/feedback.md (hint: write pass_mark: 60 as in the original, since both share the "
        "completion state; if the original is wrong, correct both)",
        "content/training/ohne.md:4: warning[IM133]: pass_mark 100 without a quiz: there is nothing to pass "
        "(hint: add the quiz, or remove pass_mark)",
    ]


def test_folder_module_lessons_in_order_with_anchors(make_site):
    root = make_site({
        "content/training/kasse/index.md": module("Kasse", body="Einleitung.\n\n## Überblick\n\nText."),
        "content/training/kasse/02-abschluss.md": "---\ntitle: Der Abschluss\n---\nZwei.\n",
        "content/training/kasse/01-begruessung.md": "---\ntitle: Die Begrüßung\n---\nEins.\n",
        "content/training/kasse/10-bonus.md": "---\ntitle: Bonus\nweight: 0\n---\nNull.\n",
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    page = parse(root / "_site/training/kasse/index.html")
    html = (root / "_site/training/kasse/index.html").read_text(encoding="utf-8")
    nav = html[html.index('class="lesson-list"'):html.index("</nav>", html.index('class="lesson-list"'))]
    links = [attrs["href"] for attrs in elements_of(nav).having("href", "a")]
    assert links == ["#ueberblick", "#bonus", "#die-begruessung", "#der-abschluss"]
    ids = {attrs["id"] for attrs in page.having("id")}
    assert {link[1:] for link in links} <= ids
    assert html.index("Null.") < html.index("Eins.") < html.index("Zwei.")


def test_a_link_to_a_lesson_file_lands_on_that_lesson(make_site):
    """A lesson file is a section of its module's page: a link to the file goes to that section,
    from another page and from a sibling lesson, not to the top of the module."""
    root = make_site({
        "content/training/kasse/index.md": module("Kasse", body="Einleitung."),
        "content/training/kasse/01-begruessung.md": "---\ntitle: Die Begrüßung\n---\nWeiter mit [dem Abschluss](02-abschluss.md).\n",
        "content/training/kasse/02-abschluss.md": "---\ntitle: Der Abschluss\n---\nZwei.\n",
        "content/faq.md": "---\ntitle: FAQ\n---\n[Begrüßung](training/kasse/01-begruessung.md) "
                          "[Kasse](training/kasse/index.md)\n",
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    faq = parse(root / "_site/faq/index.html").having("href", "a")
    assert [a["href"] for a in faq if a["href"].startswith("../training/")] == [
        "../training/kasse/index.html#die-begruessung", "../training/kasse/index.html"]
    lesson = parse(root / "_site/training/kasse/index.html").having("href", "a")
    assert "index.html#der-abschluss" in [a["href"] for a in lesson]


def test_a_translation_lacking_lessons_of_its_original_is_a_warning(make_site):
    """A folder module: each lesson file the translation lacks or adds is named; a one-file
    module: the numbers of lessons (## headings) are compared."""
    root = make_site({
        "content/training/kasse/index.md": module("Kasse"),
        "content/training/kasse/index.en.md": module("Till"),
        "content/training/kasse/01-begruessung.md": "---\ntitle: Die Begrüßung\n---\nEins.\n",
        "content/training/kasse/01-begruessung.en.md": "---\ntitle: Greeting\n---\nOne.\n",
        "content/training/kasse/02-abschluss.md": "---\ntitle: Der Abschluss\n---\nZwei.\n",
        "content/training/kasse/03-extra.en.md": "---\ntitle: Extra\n---\nThree.\n",
        "content/training/frische.md": module("Frische", body="## Eins\n\n## Zwei\n"),
        "content/training/frische.en.md": module("Freshness", body="## One\n"),
        "content/training/service.md": module("Service", body="## Eins\n"),
        "content/training/service.en.md": module("Service", body="## One\n"),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM151") == [
        "content/training/frische.en.md:2: warning[IM151]: lessons (## headings): 1 in the translation, "
        "2 in its original content/training/frische.md",
        "content/training/kasse/index.en.md:2: warning[IM151]: lesson content/training/kasse/03-extra.en.md "
        "has no original among the lessons of content/training/kasse/index.md",
        "content/training/kasse/index.en.md:2: warning[IM151]: the translation lacks the lesson "
        "content/training/kasse/02-abschluss.md of the original "
        "(hint: translate it as content/training/kasse/02-abschluss.en.md)",
    ]
    # Readers are told too, and led to the lesson in the original; a complete translation says nothing.
    english = (root / "_site/en/training/kasse/index.html").read_text(encoding="utf-8")
    assert ('<p class="translation-stale lessons-untranslated" role="note">Not translated yet, to be read in the original: '
            '<a href="../../../training/kasse/index.html#der-abschluss" hreflang="de" lang="de">Der Abschluss</a></p>') in english
    assert "lessons-untranslated" not in (root / "_site/training/kasse/index.html").read_text(encoding="utf-8")
    assert "lessons-untranslated" not in (root / "_site/en/training/service/index.html").read_text(encoding="utf-8")


def test_a_translation_whose_quiz_differs_from_its_original_is_a_warning(make_site):
    """The translations share the completion state, yet the English answer key named another option
    (a translator who reordered the options): the right answer was scored wrong in one language,
    with no word from check. Other numbers of questions or options are warned too."""
    answer_moved = QUIZ.replace("answer: 0\n", "answer: 1\n", 1)
    option_lost = QUIZ.replace(", Reife Bananen]", "]").replace("answer: [0, 2]", "answer: [0, 1]")
    one_question = QUIZ.split("  - question: Welche")[0]
    root = make_site({
        "content/training/frische.md": module("Frische", extra=QUIZ),
        "content/training/frische.en.md": module("Freshness", extra=answer_moved),
        "content/training/kasse.md": module("Kasse", extra=QUIZ),
        "content/training/kasse.en.md": module("Till", extra=option_lost),
        "content/training/service.md": module("Service", extra=QUIZ),
        "content/training/service.en.md": module("Service", extra=one_question, body="Text (en)."),
        "content/training/marke.md": module("Marke", extra=QUIZ),
        "content/training/marke.en.md": module("Brand", extra=QUIZ),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM151") == [
        "content/training/frische.en.md:7: warning[IM151]: question 1 of the quiz: answer 1 here, 0 in its original "
        "content/training/frische.md (hint: keep the options in the original's order and the same answer; "
        "if the original is wrong, correct both)",
        "content/training/kasse.en.md:10: warning[IM151]: question 2 of the quiz has 2 options, 3 in its original "
        "content/training/kasse.md",
        "content/training/service.en.md:4: warning[IM151]: quiz questions: 1 in the translation, 2 in its original "
        "content/training/service.md (hint: translate every question of the original, in its order)",
    ]


def test_a_translation_with_the_originals_numbered_options_reordered_is_a_warning(make_site):
    """Options reordered in translation under the same answer index scored the wrong option right, unwarned
    (only other counts or answers were caught). Words cannot be compared across languages, numbers can:
    the same numbers in another order is a warning; other numbers (times written differently) are not."""
    german = "quiz:\n  - question: Bis zu welchem Betrag?\n    options: [10 Euro, 25 Euro, 50 Euro]\n    answer: 1\n"
    root = make_site({
        "content/training/kulanz.md": module("Kulanz", extra=german),
        "content/training/kulanz.en.md": module("Goodwill", extra=german.replace("Bis zu welchem Betrag?", "Up to?")
                                                .replace("[10 Euro, 25 Euro, 50 Euro]", "[25 euros, 10 euros, 50 euros]")),
        "content/training/zeit.md": module("Zeit", extra=german.replace("[10 Euro, 25 Euro, 50 Euro]", "[8 Uhr, 14 Uhr, 20 Uhr]")),
        "content/training/zeit.en.md": module("Time", extra=german.replace("[10 Euro, 25 Euro, 50 Euro]", "[8 a.m., 2 p.m., 8 p.m.]")),
        "content/training/marke.md": module("Marke", extra=german),
        "content/training/marke.en.md": module("Brand", extra=german.replace("Euro", "euros")),
    })
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert said(result, "IM151") == [
        "content/training/kulanz.en.md:6: warning[IM151]: question 1 of the quiz has the numbers of its original's "
        "options in another order (25 euros / 10 euros / 50 euros here, 10 Euro / 25 Euro / 50 Euro in "
        "content/training/kulanz.md): answer 1 names another option (hint: keep the options in the original's "
        "order, so that the same answer is right)"]


def test_a_lesson_with_front_matter_errors_is_not_also_reported_as_untranslated(make_site):
    """A translated lesson file with a typo in its front matter is reported once, for that typo:
    not also as a lesson the translation lacks ("translate it as" the very file that exists)."""
    root = make_site({
        "content/training/kasse/index.md": module("Kasse"),
        "content/training/kasse/index.en.md": module("Till"),
        "content/training/kasse/01-begruessung.md": "---\ntitle: Die Begrüßung\n---\nEins.\n",
        "content/training/kasse/01-begruessung.en.md": "---\ntitle: Greeting\ntranslated_from: 'abc'\n---\nOne.\n",
        "content/training/kasse/02-abschluss.md": "---\ntitle: Der Abschluss\ntitel: x\n---\nZwei.\n",
        "content/training/kasse/02-abschluss.en.md": "---\ntitle: Closing\n---\nTwo.\n",
    })
    result = build_site(root)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if "warning" in line or "error" in line]
    assert [line.split(": ")[0] + ": " + line.split(": ")[1] for line in problems[:-1]] == [
        "content/training/kasse/01-begruessung.en.md:3: error[IM005]",
        "content/training/kasse/02-abschluss.md:3: error[IM005]"]
    assert problems[-1] == "2 errors, 0 warnings"


def elements_of(fragment: str) -> Elements:
    parser = Elements()
    parser.feed(fragment)
    return parser


def fingerprints(root: Path) -> dict[str, set[str | None]]:
    """Per page of one module (in both languages, and their catalogue cards): the fingerprints it carries."""
    found: dict[str, set[str | None]] = {}
    for rel in ("training/kasse/index.html", "en/training/kasse/index.html"):
        page = parse(root / "_site" / rel)
        found[rel] = {attrs["data-module-fingerprint"] for attrs in page.having("data-module-fingerprint")}
        found[rel] |= {json.loads(block)["fingerprint"] for block in page.json_blocks}
    for rel in ("training/index.html", "en/training/index.html"):
        found[rel] = {attrs["data-module-fingerprint"] for attrs in parse(root / "_site" / rel).having("data-module-card")
                      if attrs["id"] == "module-kasse"}
    return found


EN_QUIZ = """\
quiz:
  - question: How long may minced meat lie?
    options: [One day, One week]
    answer: 0
  - question: Which goods are reduced?
    options: [Yoghurt best before tomorrow, Coffee best before in three months, Ripe bananas]
    answer: [0, 2]
"""


def test_a_module_and_its_translation_carry_one_completion_fingerprint_that_changes_with_quiz_lessons_and_mark(make_site):
    """A reader's completion stores the module's fingerprint, so that a module rewritten since shows
    "updated since you completed it": the same for the translation (they share the state), unchanged
    by a typo fixed in a lesson's text or an explanation, changed by the quiz, the lessons or the pass mark."""
    def write(quiz: str = QUIZ, body: str = "## Öffnen\nDie Kasse öffnen.\n", extra: str = "") -> None:
        write_files(root, {"content/training/kasse.md": module("Kasse", extra=extra + quiz, body=body)})

    root = make_site({"content/training/kasse.en.md": module("Till", extra=EN_QUIZ, body="## Opening\nOpen the till.\n")})
    write()
    assert build_site(root).exit_code == 0
    first = fingerprints(root)
    assert len(set().union(*first.values())) == 1 and all(first.values()), first
    seen = set().union(*first.values())
    write(QUIZ.replace("verdirbt schnell", "verdirbt sehr schnell"), body="## Öffnen\nDie Kasse öffen.\n")
    assert build_site(root).exit_code == 0
    assert fingerprints(root) == first  # a typo fixed in a lesson or an explanation is no new version
    for changed in ({"quiz": QUIZ.replace("Wie lange darf Hackfleisch", "Wie lange darf Hackfleisch höchstens")},
                    {"extra": "pass_mark: 100\n"},
                    {"body": "## Öffnen\nDie Kasse öffnen.\n## Schließen\nDie Kasse schließen.\n"}):
        write(**changed)
        assert build_site(root).exit_code == 0
        now = fingerprints(root)
        assert len(set().union(*now.values())) == 1, (changed, now)  # the translation follows its original
        assert not set().union(*now.values()) & seen, changed
        seen |= set().union(*now.values())


def test_a_known_modules_completion_fingerprint_stays_what_readers_stored(make_site):
    """Readers' browsers keep the fingerprint of each module they completed (completion.py): however
    it is computed, a module unchanged keeps the one it had, or every reader is asked to complete it
    again. Pinned for a module with lesson files' titles, a re-wrapped question, non-ASCII text, quotes,
    an answer list and a pass mark; and for its translation, which carries its original's."""
    quiz = QUIZ.replace("Welche Ware wird reduziert?", '"Welche  Ware\\twird „reduziert“ (\\"rot\\")?"')
    root = make_site({
        "content/training/kasse/index.md": module("Kasse", extra=quiz + "pass_mark: 50\n", body="## Öffnen\nDie Kasse.\n"),
        "content/training/kasse/index.en.md": module("Till", extra=EN_QUIZ + "pass_mark: 50\n", body="## Opening\nThe till.\n"),
        "content/training/kasse/01-begruessung.md": "---\ntitle: Die Begrüßung \\ Gruß\n---\nEins.\n",
        "content/training/kasse/01-begruessung.en.md": "---\ntitle: Greeting\n---\nOne.\n",
    })
    assert build_site(root).exit_code == 0
    assert set().union(*fingerprints(root).values()) == {"925193a4bbfd"}
