"""A module's completion knows which version of the module it was made on: a reader who
completed a module that has been rewritten since (another quiz, lessons or pass mark) sees
"updated since you completed it" and can complete it again; a passed quiz says when, after a
reload too. Real chromium, a small site rebuilt into the folder it is served from."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from .conftest import NOW, im_site, write_files

pytestmark = pytest.mark.browser

SITE_YAML = "title: Intranet\nlanguage: de\nlanguages: [de, en]\n"
QUESTION = """
    quiz:
      - question: Wann öffnest du eine zweite Kasse?
        options: [Ab drei Wartenden, Nie]
        answer: 0
    ---
    ## Die Kasse öffnen
    Anmelden, Wechselgeld zählen.
    """
EN_QUESTION = """
    quiz:
      - question: When do you open a second till?
        options: [From three people waiting, Never]
        answer: 0
    ---
    ## Opening the till
    Log in, count the change.
    """
#: The rewritten quiz of the next quarter: a second question.
SECOND = """
      - question: Wer zählt das Wechselgeld?
        options: [Wer die Kasse öffnet, Die Filialleitung]
        answer: 0
    """


def build(root: Path, quiz: str = QUESTION, en_quiz: str = EN_QUESTION) -> None:
    """The site with the module's quiz as given, built (again) into root/out."""
    write_files(root, {"site.yaml": SITE_YAML,
                       "content/training/kasse.md": "---\ntitle: Kasse\n" + dedent(quiz).lstrip("\n"),
                       "content/training/kasse.en.md": "---\ntitle: Till\n" + dedent(en_quiz).lstrip("\n")})
    im_site("--config", str(root / "site.yaml"), "build", "-o", str(root / "out"), "--now", NOW)


def pass_quiz(page: Any) -> None:
    for fieldset in page.locator(".quiz-question").all():
        fieldset.locator("input").first.check()  # the first option is the right one of every question
    page.locator("button.quiz-check").click()
    assert page.locator("section.quiz").get_attribute("data-passed") == "true"


def reader_today(page: Any) -> str:
    return page.evaluate("""() => { const d = new Date(), two = n => String(n).padStart(2, "0");
        return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`; }""")


def test_a_completed_module_rewritten_since_says_so_and_can_be_completed_again(page, tmp_path, serve_folder):
    """Completion was a bare "done": readers who completed last quarter's module saw "Completed"
    after the training team had rewritten its quiz, with nothing telling them it had changed."""
    build(tmp_path)
    site = serve_folder(tmp_path / "out")
    page.goto(site.url + "training/kasse/")
    pass_quiz(page)
    page.reload()
    status = page.locator(".module-status")
    assert status.get_attribute("data-completed") == "true" and status.locator(".completed-badge").is_visible()
    passed_on = page.locator("section.quiz .quiz-passed-on")  # above the quiz, which can still be taken again
    assert passed_on.is_visible() and passed_on.inner_text().startswith("Bestanden am ")
    assert passed_on.locator("time").get_attribute("datetime") == reader_today(page)
    assert passed_on.evaluate("p => p.compareDocumentPosition(p.closest('section').querySelector('form')) & 4")
    assert page.locator("button.quiz-check").is_visible() and page.locator(".quiz-question input").first.is_enabled()

    build(tmp_path, QUESTION.replace("\n    ---", SECOND.rstrip() + "\n    ---"),
          EN_QUESTION.replace("\n    ---", SECOND.rstrip() + "\n    ---"))
    page.reload()
    assert status.get_attribute("data-completed") == "false" and status.get_attribute("data-updated") == "true"
    assert status.locator(".updated-badge").inner_text() == "Seit Ihrem Abschluss aktualisiert"
    assert not status.locator(".completed-badge").is_visible() and not passed_on.is_visible()
    button = page.locator("button.mark-completed")
    assert button.get_attribute("aria-pressed") == "false" and button.inner_text() == "Als erledigt markieren"
    page.goto(site.url + "training/")
    card = page.locator("#module-kasse")
    assert card.locator(".updated-badge").is_visible() and not card.locator(".completed-badge").is_visible()
    page.goto(site.url + "en/training/kasse/")  # the translation shares the state and the fingerprint
    assert page.locator(".module-status .updated-badge").inner_text() == "Updated since you completed it"

    pass_quiz(page)
    assert page.locator(".module-status .completed-badge").is_visible()
    assert not page.locator(".module-status .updated-badge").is_visible()
    page.goto(site.url + "training/")
    assert card.locator(".completed-badge").is_visible() and not card.locator(".updated-badge").is_visible()


def test_a_completion_stored_before_fingerprints_still_counts_and_the_updated_state_passes_axe(page, tmp_path,
                                                                                               serve_folder):
    """Readers' `done`, written before completions named the module's version, is a completion of an
    unknown version: still completed, not reset; marking by hand stores no "passed" date."""
    build(tmp_path)
    site = serve_folder(tmp_path / "out")
    page.goto(site.url + "training/kasse/")
    key = page.locator(".module-status").get_attribute("data-module-key")
    page.evaluate("key => localStorage.setItem(key, 'done')", key)
    page.reload()
    status = page.locator(".module-status")
    assert status.get_attribute("data-completed") == "true" and status.locator(".completed-badge").is_visible()
    assert status.get_attribute("data-updated") is None and not page.locator(".quiz-passed-on").is_visible()
    page.locator("button.mark-completed").click()  # not completed
    page.locator("button.mark-completed").click()  # completed by hand: this version, no quiz passed
    assert not page.locator(".quiz-passed-on").is_visible()
    page.evaluate("key => localStorage.setItem(key, JSON.stringify({fingerprint: 'an-older-one'}))", key)
    page.reload()
    assert status.locator(".updated-badge").is_visible()
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    violations = [v["id"] for v in axe.run(page).response["violations"] if v.get("impact") in {"serious", "critical"}]
    assert violations == []
