"""Every interactive part, used as a reader would, under a strict Content-Security-Policy:
the `page` fixture fails a test on any console error, CSP violation or script exception."""

from __future__ import annotations

import re
from textwrap import dedent

import pytest

from .conftest import NOW, im_site, write_files

pytestmark = pytest.mark.browser

MODULE = "training/kasse/"


def question(page, number):
    return page.locator(".quiz-question").nth(number)


def test_quiz_scores_answers_and_shows_explanations(page, plain_site):
    page.goto(plain_site.url + MODULE)
    quiz = page.locator("section.quiz")
    assert not quiz.locator(".quiz-explain").first.is_visible()  # solutions stay closed until checking
    question(page, 0).get_by_label("Nie").check()
    question(page, 1).get_by_label("Wein").check()
    question(page, 1).get_by_label("Tabak").check()
    quiz.get_by_role("button", name="Prüfen").click()
    assert quiz.locator(".quiz-score").inner_text() == "1 von 2 richtig."
    assert "Noch nicht bestanden" in quiz.locator(".quiz-verdict").inner_text()
    assert question(page, 0).get_attribute("data-result") == "wrong"
    assert question(page, 1).get_attribute("data-result") == "right"
    assert question(page, 0).locator(".quiz-feedback").inner_text() == "Leider falsch."
    assert question(page, 0).locator(".quiz-explain").is_visible()
    assert "Ab drei Wartenden öffnet" in question(page, 0).locator(".quiz-explain").inner_text()

    question(page, 0).get_by_label("Ab drei Wartenden").check()
    # The changed answer is no longer judged "Leider falsch.", nor the quiz "1 von 2", until checked.
    assert not question(page, 0).locator(".quiz-feedback").is_visible()
    assert question(page, 0).get_attribute("data-result") is None
    assert question(page, 1).get_attribute("data-result") == "right"
    assert quiz.locator(".quiz-score").inner_text() == "" and quiz.locator(".quiz-verdict").inner_text() == ""
    assert question(page, 0).locator(".quiz-explain").is_visible()  # the solution, once shown, stays
    quiz.get_by_role("button", name="Prüfen").click()
    assert quiz.locator(".quiz-score").inner_text() == "2 von 2 richtig."
    assert quiz.get_attribute("data-passed") == "true"
    assert question(page, 0).locator(".quiz-feedback").inner_text() == "Richtig."


def test_quiz_works_with_the_keyboard_only(page, plain_site):
    page.goto(plain_site.url + MODULE)
    page.locator(f"#{question(page, 0).get_attribute('id')}-o0").focus()  # first option of question 1
    page.keyboard.press("Space")  # select the focused radio button: "Ab drei Wartenden"
    page.keyboard.press("Tab")  # into question 2: its first checkbox, "Wein"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # "Tabak"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the check button
    assert page.evaluate("document.activeElement.classList.contains('quiz-check')")
    page.keyboard.press("Enter")
    assert page.locator(".quiz-score").inner_text() == "2 von 2 richtig."
    assert page.locator("section.quiz").get_attribute("data-passed") == "true"


def test_passing_the_quiz_is_remembered_across_reloads_and_in_the_catalogue(page, plain_site):
    page.goto(plain_site.url + MODULE)
    status = page.locator(".module-status")
    assert status.get_attribute("data-completed") == "false"
    question(page, 0).get_by_label("Ab drei Wartenden").check()
    question(page, 1).get_by_label("Wein").check()
    question(page, 1).get_by_label("Tabak").check()
    page.get_by_role("button", name="Prüfen").click()
    assert status.get_attribute("data-completed") == "true"
    page.reload()
    assert page.locator(".module-status").get_attribute("data-completed") == "true"
    assert page.locator(".module-status .completed-badge").is_visible()
    page.goto(plain_site.url + "training/")
    card = page.locator("#module-kasse")
    assert card.get_attribute("data-completed") == "true"
    assert card.locator(".completed-badge").is_visible()
    assert not page.locator("#module-planung .completed-badge").is_visible()
    # and the reader can undo it by hand
    page.goto(plain_site.url + MODULE)
    button = page.locator("button.mark-completed")
    assert button.get_attribute("aria-pressed") == "true"
    button.click()
    page.reload()
    assert page.locator(".module-status").get_attribute("data-completed") == "false"


def test_the_quiz_passes_at_the_module_s_own_pass_mark(page, tmp_path, serve_folder):
    """A compliance module must be passed with every answer right, a soft-skills module with 60 %:
    the quiz scored both against the fixed 80 %, so 2 of 3 failed the soft-skills module."""
    quiz = """
        quiz:
          - question: Erste Frage?
            options: [Richtig eins, Falsch eins]
            answer: 0
          - question: Zweite Frage?
            options: [Richtig zwei, Falsch zwei]
            answer: 0
          - question: Dritte Frage?
            options: [Richtig drei, Falsch drei]
            answer: 0
        ---
        ## Lektion
        Text.
        """
    write_files(tmp_path, {"site.yaml": "title: Intranet\nlanguage: de\n",
                           "content/training/datenschutz.md": "\n---\ntitle: Datenschutz\npass_mark: 100" + dedent(quiz),
                           "content/training/feedback.md": "\n---\ntitle: Feedback geben\npass_mark: 60" + dedent(quiz)})
    im_site("--config", str(tmp_path / "site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    site = serve_folder(tmp_path / "out")
    for slug, passed in (("datenschutz", "false"), ("feedback", "true")):
        page.goto(site.url + f"training/{slug}/")
        assert page.locator(".facts .pass-mark").inner_text() == {"datenschutz": "100\u00a0% (3 von 3 Fragen richtig)",
                                                                   "feedback": "60\u00a0% (2 von 3 Fragen richtig)"}[slug]
        page.get_by_label("Richtig eins").check()
        page.get_by_label("Richtig zwei").check()
        page.get_by_label("Falsch drei").check()
        page.get_by_role("button", name="Prüfen").click()
        assert page.locator(".quiz-score").inner_text() == "2 von 3 richtig."
        assert page.locator("section.quiz").get_attribute("data-passed") == passed
        assert page.locator(".module-status").get_attribute("data-completed") == passed
    page.goto(site.url + "training/datenschutz/")
    page.get_by_label("Richtig eins").check()
    page.get_by_label("Richtig zwei").check()
    page.get_by_label("Richtig drei").check()
    page.get_by_role("button", name="Prüfen").click()
    assert page.locator("section.quiz").get_attribute("data-passed") == "true"
    assert page.locator(".module-status").get_attribute("data-completed") == "true"


def test_texts_scripts_show_in_another_language_keep_their_lang(page, tmp_path, serve_folder):
    """A French module of a theme without French texts shows English ones, marked `lang="en"` in
    the HTML; the script's quiz verdicts, the completion button's label and the search's status
    lost that (screen readers read "Not passed yet" with French pronunciation)."""
    write_files(tmp_path, {"site.yaml": "title: Intranet\nlanguage: fr\n", "content/training/caisse.md": """
        ---
        title: La caisse
        quiz:
          - question: Quand ouvrir une deuxième caisse ?
            options: [Dès trois clients, Jamais]
            answer: 0
        ---
        ## Ouvrir
        Texte.
        """})
    im_site("--config", str(tmp_path / "site.yaml"), "build", "-o", str(tmp_path / "out"), "--now", NOW)
    page.goto(serve_folder(tmp_path / "out").url + "training/caisse/")
    # The language a reader's screen reader uses for the visible text of an element.
    lang_of = """node => { const walk = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
        for (let text = walk.nextNode(); text; text = walk.nextNode()) {
            if (text.data.trim() && text.parentElement.checkVisibility()) {
                return text.parentElement.closest('[lang]').getAttribute('lang'); } } }"""
    button = page.locator("button.mark-completed")
    assert button.inner_text() == "Mark as completed" and button.evaluate(lang_of) == "en"
    page.locator("button.quiz-check").click()
    quiz = page.locator("section.quiz")
    for part in (".quiz-feedback", ".quiz-score", ".quiz-verdict"):
        assert quiz.locator(part).evaluate(lang_of) == "en", part
    page.get_by_label("Dès trois clients").check()
    page.locator("button.quiz-check").click()
    assert quiz.get_attribute("data-passed") == "true"
    assert button.get_attribute("aria-pressed") == "true" and button.inner_text() == "Mark as not completed"
    assert button.evaluate(lang_of) == "en"
    assert quiz.locator(".quiz-passed-on").evaluate(lang_of) == "en"  # "Passed on <date>.", in English's date format
    page.locator("header #search-input").fill("caisse")  # the search's status, from a data attribute
    page.locator("header .search-results a").first.wait_for()
    assert page.locator("header .search-status").inner_text() == "1 result"
    assert page.locator("header .search-status").evaluate(lang_of) == "en"


def test_catalogue_filters_by_audience_and_level(page, plain_site):
    def steps():  # the step flags of the cards shown, in order
        return [" ".join(text.split()) for text in page.locator("[data-module-card]:visible .flag-step").all_text_contents()]
    page.goto(plain_site.url + "training/")
    kasse, planung = page.locator("#module-kasse"), page.locator("#module-planung")
    assert kasse.is_visible() and planung.is_visible()
    everyone = steps()
    assert everyone == [f"Schritt {number}" for number in range(1, len(everyone) + 1)]
    page.get_by_label("Zielgruppe").select_option("zentrale")
    assert planung.is_visible() and not kasse.is_visible()
    shown = steps()  # the audience's own path, counted from 1, not the whole catalogue's numbers with gaps
    assert shown == [f"Schritt {number}" for number in range(1, len(shown) + 1)] and len(shown) < len(everyone)
    page.get_by_label("Zielgruppe").select_option("")
    page.get_by_label("Niveau").select_option("basis")
    assert kasse.is_visible() and not planung.is_visible()
    page.get_by_label("Zielgruppe").select_option("zentrale")
    assert not kasse.is_visible() and not planung.is_visible()
    assert page.locator("[data-filter-empty]").is_visible()


def test_message_listings_filter_by_audience_and_remember_it(page, plain_site):
    page.goto(plain_site.url + "messages/")
    kasse = page.locator(".card", has_text="Neue Schulung für die Kasse")  # for store teams
    umzug = page.locator(".card", has_text="Die Zentrale zieht um")  # for everyone
    assert kasse.is_visible() and umzug.is_visible()
    page.get_by_label("Nachrichten für").select_option("zentrale")
    assert umzug.is_visible() and not kasse.is_visible()
    assert page.locator("[data-audience-filter-status]").inner_text() == "1 von 2 Nachrichten"
    page.get_by_role("link", name="Startseite").or_(page.locator("a.brand")).first.click()
    page.wait_for_url(lambda url: "/messages/" not in url)  # (a pattern the current URL matches returns at once)
    assert page.get_by_label("Nachrichten für").input_value() == "zentrale"  # the choice follows the reader
    assert not page.locator(".card", has_text="Neue Schulung für die Kasse").is_visible()
    page.get_by_label("Nachrichten für").select_option("")
    assert page.locator(".card", has_text="Neue Schulung für die Kasse").is_visible()
    page.reload()
    assert page.get_by_label("Nachrichten für").input_value() == ""


def test_filters_agree_with_their_select_after_the_back_button(page, plain_site):
    page.goto(plain_site.url)
    page.get_by_label("Nachrichten für").select_option("zentrale")
    page.locator("main").get_by_role("link", name=re.compile("Alle Nachrichten")).click()
    page.wait_for_url(re.compile(r"/messages/"))
    page.get_by_label("Nachrichten für").select_option("filiale")  # the latest choice wins on every page
    page.go_back()
    page.wait_for_load_state("load")
    assert page.get_by_label("Nachrichten für").input_value() == "filiale"
    assert page.locator(".card", has_text="Neue Schulung für die Kasse").first.is_visible()

    page.goto(plain_site.url + "training/")
    page.get_by_label("Niveau").select_option("basis")
    page.locator("#module-kasse .card-title a").click()
    page.wait_for_url(re.compile(r"/training/kasse/"))
    page.go_back()
    page.wait_for_load_state("load")
    assert page.get_by_label("Niveau").input_value() == "basis"
    assert page.locator("#module-kasse").is_visible() and not page.locator("#module-planung").is_visible()


def test_search_finds_another_inflection_and_opens_the_result(page, plain_site):
    page.goto(plain_site.url + "messages/")
    box = page.locator("header #search-input")
    box.fill("Schulungen")  # the page says "Schulung"
    results = page.locator("header .search-results a")
    results.first.wait_for()
    assert "Neue Schulung für die Kasse" in results.all_inner_texts()
    assert re.search(r"\d", page.locator("header .search-status").inner_text())
    results.filter(has_text="Neue Schulung für die Kasse").click()
    page.wait_for_url(re.compile(r"/messages/2026-10-schulungen/"))
    assert page.locator("h1").inner_text() == "Neue Schulung für die Kasse"


def test_search_results_mark_the_words_the_query_matched(page, plain_site):
    """Twenty results and no sign of why each was found: the matched words are marked, other
    inflections too, and words that only share letters are not."""
    page.goto(plain_site.url + "search/?q=Schulungen")
    page.locator("main .search-results a").first.wait_for()
    marks = page.locator("main .search-results mark").all_inner_texts()
    assert marks and all(text.lower().startswith("schulung") for text in marks), marks
    title = page.locator("main .search-results a", has_text="Neue Schulung für die Kasse")
    assert title.locator("mark").all_inner_texts() == ["Schulung"]  # "Schulungen" typed, "Schulung" written
    assert title.inner_text() == "Neue Schulung für die Kasse"


def test_search_results_show_the_sentence_where_the_query_matched(page, plain_site):
    """Every result showed its page's summary, not why it was found: the sentence of the page's
    text where the query matched is shown, its words marked; where only the title matched, the
    summary."""
    page.goto(plain_site.url)
    box = page.locator("header #search-input")
    box.fill("Umzügen")
    excerpt = page.locator("header .search-results .search-excerpt")
    excerpt.first.wait_for()
    assert excerpt.all_inner_texts() == ["Der Umzug beginnt im Januar."]  # the summary says "Ab Januar sitzen …"
    assert excerpt.first.locator("mark").all_inner_texts() == ["Umzug"]
    box.fill("Zentrale")  # in the title only
    page.locator("header .search-excerpt", has_text="Ab Januar sitzen alle Abteilungen in einem Haus.").wait_for()
    page.goto(plain_site.url + "search/?q=zwanzig+Minuten")
    found = page.locator("main .search-results .search-excerpt")
    found.first.wait_for()
    assert found.all_inner_texts() == ["Sie dauert zwanzig Minuten."]


def test_a_compound_typed_whole_marks_the_hyphenated_word_in_the_snippet(page, plain_site):
    """"Leipzigzentrum" found the pages saying "Leipzig-Zentrum" (indexed written as one too), but
    showed their summaries, unmarked: the hyphenated word is matched whole, marked and shown."""
    page.goto(plain_site.url + "search/?q=Leipzigzentrum")
    excerpts = page.locator("main .search-results .search-excerpt")
    excerpts.first.wait_for()
    assert excerpts.count() >= 2
    for index in range(excerpts.count()):
        assert excerpts.nth(index).locator("mark").all_inner_texts() == ["Leipzig-Zentrum"]


def test_search_finds_a_compound_the_site_never_uses_by_its_parts(page, plain_site):
    """"Kassenschulung" found nothing on a site that says "Schulung" and "Kasse" (the index splits
    only the compounds the site itself uses); its parts are looked up, on pages having both."""
    page.goto(plain_site.url + "search/?q=Kassenschulung")
    page.locator("main .search-status").filter(has_text=re.compile(r"\S")).wait_for()
    results = page.locator("main .search-results a")
    assert results.all_inner_texts() == ["Neue Schulung für die Kasse"]
    assert results.first.locator("mark").all_inner_texts() == ["Schulung", "Kasse"]


def test_search_finds_a_misspelt_word(page, plain_site):
    """"Schulnug" (two letters swapped) found nothing: a word that finds nothing as typed is looked
    up among the stems one typo away; a word too short to tell apart is not."""
    page.goto(plain_site.url + "search/?q=Schulnug")
    page.locator("main .search-status").filter(has_text=re.compile(r"\S")).wait_for()
    results = page.locator("main .search-results a")
    assert results.all_inner_texts() == ["Neue Schulung für die Kasse"]
    assert results.first.locator("mark").all_inner_texts() == ["Schulung"]
    page.locator("main #search-input").fill("Kase")  # four letters: "Kasse"? "Käse"? left alone
    page.locator("main .search-status", has_text="Keine Treffer").wait_for()


def test_search_page_reads_the_query_from_the_address(page, demo_site):
    page.goto(demo_site.url + "search/?q=Schulungen")
    results = page.locator("main .search-results a")
    results.first.wait_for()
    assert results.count() >= 1
    assert any("Training" in text or "Schulung" in text for text in results.all_inner_texts())
    results.first.click()
    page.wait_for_url(lambda url: "/search/" not in url)


def test_escape_on_a_search_result_closes_the_panel_and_returns_to_the_box(page, plain_site):
    page.goto(plain_site.url)
    box = page.locator("header #search-input")
    box.fill("Umzug")
    result = page.locator("header .search-results a").first
    result.wait_for()
    result.focus()
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)  # a search the focus might start would have answered by now
    assert page.locator("header .search-panel").is_hidden()
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert box.input_value() == "Umzug"


def test_arrow_keys_move_through_the_header_results_and_enter_opens_one(page, plain_site):
    """The header box's results were reached only with Tab: ArrowDown and ArrowUp move through them
    (and "all results"), ArrowUp on the first returns to the box, Enter opens the result, Escape
    closes the list and returns to the box."""
    page.goto(plain_site.url)
    box = page.locator("header #search-input")
    box.fill("Kasse")
    results = page.locator("header .search-results a")
    results.nth(1).wait_for()
    titles = results.all_inner_texts()
    focused = "document.activeElement.textContent"
    box.press("ArrowDown")
    assert page.evaluate(focused) == titles[0]
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == titles[1]
    for _ in titles:
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('.search-more') !== null")  # "all results" last
    for _ in titles:
        page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == titles[0]
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert page.locator("header .search-panel").is_visible() and box.input_value() == "Kasse"
    box.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert page.locator("header .search-panel").is_hidden()
    box.press("ArrowDown")  # opens the list again
    page.locator("header .search-panel").wait_for(state="visible")
    box.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/search/" not in url and url.rstrip("/") != plain_site.url.rstrip("/"))
    assert page.locator("h1").inner_text() == titles[0]


def test_the_first_letter_typed_in_the_header_box_says_no_results_yet(page, plain_site):
    """Typing "K" of "Kasse" answered "Keine Treffer" at once: one letter is no word to look up, so
    the panel stays closed until there is one."""
    page.goto(plain_site.url)
    box = page.locator("header #search-input")
    box.fill("Umzug")
    page.locator("header .search-results a").first.wait_for()
    box.fill("U")
    page.locator("header .search-panel").wait_for(state="hidden")
    assert page.locator("header .search-status").inner_text() == ""


def test_search_counts_one_result_in_the_singular(page, plain_site):
    page.goto(plain_site.url + "en/search/?q=January")
    page.locator("main .search-results a").first.wait_for()
    assert page.locator("main .search-status").inner_text() == "1 result"
    page.locator("main #search-input").fill("checkout")  # a message and a module
    page.locator("main .search-status", has_text="2 results").wait_for()


@pytest.mark.parametrize("typed", ["Fuehrung", "fuhrung"])
def test_search_finds_the_same_pages_however_the_umlaut_is_typed(page, demo_site, typed):
    def titles(query):
        page.goto(demo_site.url + "search/?q=" + query)
        page.locator("main .search-results a").first.wait_for()
        return page.locator("main .search-results a").all_inner_texts()

    with_umlaut = titles("Führung")  # also found by prefix: "Führungskräfte"
    assert len(with_umlaut) >= 2
    assert titles(typed) == with_umlaut


def test_search_page_keeps_a_new_query_and_filter_after_back_and_reload(page, plain_site):
    page.goto(plain_site.url + "search/?q=Umzug")
    page.locator("main .search-results a").first.wait_for()
    box = page.locator("main #search-input")
    box.fill("Schulung")
    box.press("Enter")
    page.get_by_label("Inhaltstyp").select_option("message")
    result = page.locator("main .search-results a", has_text="Neue Schulung für die Kasse")
    result.click()
    page.wait_for_url(re.compile(r"/messages/2026-10-schulungen/"))
    for arrive in (page.go_back, page.reload):
        arrive()
        result.wait_for()
        assert box.input_value() == "Schulung"
        assert page.get_by_label("Inhaltstyp").input_value() == "message"
        assert page.locator("main .search-results a").all_inner_texts() == ["Neue Schulung für die Kasse"]


def test_language_switcher_lands_on_the_translated_page(page, demo_site):
    page.goto(demo_site.url + "messages/2026-04-kulanz-bis-25-euro/")
    german = page.locator("h1").inner_text()
    page.locator(".lang-switch a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"/en/messages/2026-04-kulanz-bis-25-euro/"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() != german
    page.locator(".lang-switch a[hreflang=de]").click()
    page.wait_for_url(lambda url: "/en/" not in url and "/messages/2026-04-kulanz-bis-25-euro/" in url)
    assert page.locator("h1").inner_text() == german


def test_version_switcher_keeps_the_page_or_falls_back_to_the_home(new_page, published):
    watched = new_page()
    page = watched.page
    page.goto(published.url + "latest/messages/2026-10-schulungen/index.html")
    select = page.locator("#version-switch-select")
    assert select.input_value() == "v2"
    with page.expect_navigation():
        select.select_option("v1")
    assert page.url == published.url + "versions/v1/messages/2026-10-schulungen/index.html"
    assert page.locator("h1").inner_text() == "Neue Schulung für die Kasse"
    page.goto(published.url + "versions/v2/messages/2026-11-neu/")
    with page.expect_navigation():
        page.locator("#version-switch-select").select_option("v1")
    assert page.url == published.url + "versions/v1/"  # that message did not exist in v1
    page.goto(published.url + "latest/search/?q=Kasse")  # the search page keeps its query
    with page.expect_navigation():
        page.locator("#version-switch-select").select_option("v1")
    assert page.url == published.url + "versions/v1/search/?q=Kasse"
    assert page.locator("main #search-input").input_value() == "Kasse"
    # the only console error allowed is the switcher's own probe for the missing page
    assert [p for p in watched.problems if "404" not in p or "2026-11-neu" not in p] == []


def test_version_menu_by_keyboard_opens_a_version_on_enter_not_at_each_arrow_key(new_page, published):
    """A closed select changes its value at every arrow key; the menu went to v1 at the first
    ArrowDown, so a keyboard reader could not look through the versions (WCAG 3.2.2, on input).
    Arrows move through the list, Enter opens the version chosen, Tab away puts back the one read."""
    page = new_page().page
    probes: list[str] = []  # the switcher probes the page in the version chosen before it leaves
    page.on("request", lambda request: probes.append(request.url) if request.method == "HEAD" else None)
    page.goto(published.url + "latest/messages/2026-10-schulungen/index.html")
    select = page.locator("#version-switch-select")
    select.focus()
    for key, shown in (("ArrowDown", "v1"), ("ArrowUp", "v2"), ("ArrowDown", "v1")):
        page.keyboard.press(key)
        assert select.input_value() == shown
    assert page.url == published.url + "latest/messages/2026-10-schulungen/index.html"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == published.url + "versions/v1/messages/2026-10-schulungen/index.html"
    select = page.locator("#version-switch-select")
    assert select.input_value() == "v1"
    select.focus()
    page.keyboard.press("ArrowUp")
    assert select.input_value() == "v2"
    page.keyboard.press("Tab")  # leaving without Enter: the menu names the version still read
    assert select.input_value() == "v1"
    assert page.evaluate("fetch('../../../../versions.json').then(r => r.ok)")  # after any probe
    # the probe of the version chosen, then (on v1, an older version) the note's of the page below latest/,
    # whose address the note's link takes once found
    page.wait_for_function("(document.querySelector('.version-old a') || {}).href === "
                           f"'{published.url}latest/messages/2026-10-schulungen/index.html'")
    assert probes == [published.url + "versions/v1/messages/2026-10-schulungen/index.html",
                      published.url + "latest/messages/2026-10-schulungen/index.html"]
    assert page.url == published.url + "versions/v1/messages/2026-10-schulungen/index.html"


def test_version_switcher_finds_a_renamed_page_at_its_old_address(new_page, tmp_path, serve_folder):
    """A message renamed in v2 (its old URL in `aliases:`): from v2, choosing v1 led to v1's home
    page though the message is there under its old address; from v1 the alias page leads on."""
    old = "---\ntitle: Kasse alt\ndate: 2026-01-01\n---\nText.\n"
    write_files(tmp_path / "src", {"site.yaml": "title: Intranet\n", "content/messages/kasse-alt.md": old})
    config, dest = str(tmp_path / "src/site.yaml"), str(tmp_path / "public")
    im_site("--config", config, "publish", "--dest", dest, "--version", "v1", "--now", NOW)
    (tmp_path / "src/content/messages/kasse-alt.md").unlink()
    write_files(tmp_path / "src", {"content/messages/kasse.md": """
        ---
        title: Kasse neu
        date: 2026-01-01
        aliases: [/messages/kasse-alt/]
        ---
        Text.
        """})
    im_site("--config", config, "publish", "--dest", dest, "--version", "v2", "--now", NOW)
    served = serve_folder(tmp_path / "public")
    watched = new_page()
    page = watched.page
    page.goto(served.url + "latest/messages/kasse/")
    with page.expect_navigation():
        page.locator("#version-switch-select").select_option("v1")
    assert page.url == served.url + "versions/v1/messages/kasse-alt/"
    assert page.locator("h1").inner_text() == "Kasse alt"
    page.locator("#version-switch-select").select_option("v2")
    page.wait_for_url(served.url + "versions/v2/messages/kasse/index.html")
    assert page.locator("h1").inner_text() == "Kasse neu"
    # the only console error allowed is the switcher's own probe for the new address in v1
    assert [p for p in watched.problems if "404" not in p or "v1/messages/kasse/" not in p] == []


def test_must_read_is_flagged_and_acknowledged_with_the_published_version(page, published, plain_site):
    page.goto(published.url + "latest/")
    must_read = page.locator(".must-read")
    assert must_read.get_by_role("link", name="Neue Schulung für die Kasse").is_visible()
    must_read.get_by_role("link", name="Neue Schulung für die Kasse").click()
    page.wait_for_url(re.compile(r"/latest/messages/2026-10-schulungen/"))
    assert page.locator(".flag-must-read").first.is_visible()
    ack = page.locator("a[data-ack-template]")
    # A selector, not wait_for_function: that evaluates a string in the page, which the served
    # Content-Security-Policy (no 'unsafe-eval') refuses whenever it has to poll.
    page.locator("a[data-ack-template][href*='version=v2']").wait_for()
    page.goto(published.url + "versions/v1/messages/2026-10-schulungen/")
    assert "version=v1" in ack.get_attribute("href")
    page.goto(plain_site.url + "messages/2026-10-schulungen/")  # a plain build: no version known
    assert "version=dev" in page.locator("a[data-ack-template]").get_attribute("href")


def test_an_older_version_says_so_and_leads_to_the_newest(new_page, published):
    """A reader on a version that is not the newest (a link in an old e-mail) is told, and the
    link leads to the same page in the newest version; the newest version has no such note.
    It leads below latest/, and says so in its href (a new tab, a copied link): it led into
    versions/<newest id>/, which the next publish makes old again, and its href to latest/'s home."""
    watched = new_page()
    page = watched.page
    page.goto(published.url + "versions/v1/messages/2026-10-schulungen/")
    note = page.locator("main > .version-old")
    note.wait_for()
    assert "(v1)" in note.inner_text()
    page.locator("main > .version-old a[href$='/latest/messages/2026-10-schulungen/']").wait_for()
    with page.expect_navigation():
        note.locator("a").click()
    assert page.url == published.url + "latest/messages/2026-10-schulungen/"
    page.locator("#version-switch-select").wait_for()
    assert page.locator(".version-old").count() == 0
    page.goto(published.url + "latest/")
    page.locator("#version-switch-select").wait_for()
    assert page.locator(".version-old").count() == 0
    assert watched.problems == []


def test_the_version_menu_joins_the_brand_row_and_moves_nothing(new_page, published_demo):
    """On the published demo site the version menu, added once versions.json has loaded, did not
    fit beside the search box: it took a third header row, so the page jumped down 48 px while it
    was being read. It sits on the brand's row, which is there anyway (on the menu's row a long
    version id wrapped it to a third row below 1120 px)."""
    url = published_demo.url + "latest/"
    without = new_page().page
    without.route("**/versions.json", lambda route: route.abort())
    without.goto(url, wait_until="networkidle")
    page = new_page().page
    page.goto(url)
    page.locator("#version-switch-select").wait_for()
    height = "document.querySelector('.site-header').getBoundingClientRect().height"
    assert page.evaluate(height) == without.evaluate(height)
    brand, menu = (page.locator(selector).bounding_box() for selector in (".brand", "#version-switch-select"))
    assert abs(brand["y"] + brand["height"] / 2 - (menu["y"] + menu["height"] / 2)) < 8, (brand, menu)


GAP_AFTER_MARK = """badge => {
  const text = [...badge.childNodes].find(node => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  const range = document.createRange();
  range.selectNodeContents(text);
  const probe = document.createElement('span');
  probe.textContent = '✓';
  badge.appendChild(probe);
  const mark = probe.getBoundingClientRect().width;
  probe.remove();
  const s = getComputedStyle(badge), box = badge.getBoundingClientRect();
  return range.getBoundingClientRect().left - (box.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft)) - mark;
}"""


@pytest.mark.parametrize("path", [MODULE, "training/"])
def test_the_completed_badge_keeps_a_space_after_its_check_mark(page, plain_site, path):
    """The badge is a flex box, whose ::before mark is an item of its own that loses its trailing
    space: readers saw "✓Erledigt"."""
    page.goto(plain_site.url + MODULE)
    page.locator("button.mark-completed").click()
    page.goto(plain_site.url + path)
    badge = page.locator(".completed-badge").first
    badge.wait_for()
    assert badge.evaluate(GAP_AFTER_MARK) >= 2


def test_search_page_with_no_results_offers_the_query_in_the_other_language(page, demo_site):
    page.goto(demo_site.url + "search/?q=freshness")  # an English word: no German page has it
    page.locator("main .search-status", has_text="Keine Treffer").wait_for()
    other = page.locator("main .search-elsewhere a")
    other.wait_for()
    assert (other.inner_text(), other.get_attribute("lang")) == ("English", "en")
    other.click()
    page.wait_for_url("**/en/search/**")
    results = page.locator("main .search-results a")
    results.first.wait_for()
    assert "Explaining freshness" in results.all_inner_texts()
    assert page.locator("main #search-input").input_value() == "freshness"
    assert page.locator("main .search-elsewhere").is_hidden()  # results here: nothing else offered
    page.locator("main #search-input").fill("Frischetheke")  # no English page says it
    page.locator("main .search-status", has_text="No results").wait_for()
    assert page.locator("main .search-elsewhere a").get_attribute("href").endswith("search/index.html?q=Frischetheke")
