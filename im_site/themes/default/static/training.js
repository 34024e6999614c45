/* Training: the self-check quiz, the completion state (localStorage) and the
   catalogue filters. Progressive enhancement only: without this script the
   quiz lists its questions with the solutions in <details>, and the
   catalogue shows every module. No innerHTML, no inline script: the quiz
   data is a <script type="application/json"> block read with JSON.parse. */
(function () {
  "use strict";

  function storage() {
    try {
      var store = window.localStorage;
      var probe = "im-site.training.probe";
      store.setItem(probe, "1");
      store.removeItem(probe);
      return store;
    } catch (error) {
      return null;
    }
  }

  var store = storage();

  /* A completion is stored as JSON: the fingerprint of the module it was made on (the page's
     data-module-fingerprint: its lessons, quiz and pass mark) and, when the quiz was passed, the
     reader's own date. "done", as written before fingerprints, is a completion of an unknown
     version: still completed. Anything else is no completion. */
  function readEntry(key) {
    var value = null;
    try {
      value = store ? store.getItem(key) : null;
    } catch (error) {
      return null;
    }
    if (value === "done") { return { fingerprint: null, passed: null }; }
    var entry = null;
    try {
      entry = JSON.parse(value);
    } catch (error) {
      return null;
    }
    if (!entry || typeof entry !== "object" || typeof entry.fingerprint !== "string") { return null; }
    return { fingerprint: entry.fingerprint, passed: typeof entry.passed === "string" ? entry.passed : null };
  }

  /* "done", "updated" (completed, but the module has changed since) or "todo". */
  function stateOf(entry, fingerprint) {
    if (!entry) { return "todo"; }
    return entry.fingerprint && fingerprint && entry.fingerprint !== fingerprint ? "updated" : "done";
  }

  function isCompleted(key, fingerprint) {
    return stateOf(readEntry(key), fingerprint) === "done";
  }

  /* The reader's own date, as they would write it: their calendar day, not UTC's. */
  function today() {
    var now = new Date();
    function two(number) { return (number < 10 ? "0" : "") + String(number); }
    return String(now.getFullYear()) + "-" + two(now.getMonth() + 1) + "-" + two(now.getDate());
  }

  function setCompleted(key, done, fingerprint, passed) {
    if (!store) { return; }
    try {
      if (done) {
        var entry = { fingerprint: fingerprint || "" };
        if (passed) { entry.passed = passed; }
        store.setItem(key, JSON.stringify(entry));
      } else {
        store.removeItem(key);
      }
    } catch (error) { /* storage full or blocked: the state just isn't kept */ }
    showCompletion();
  }

  /* Every element with data-module-key mirrors the stored state in data-completed (and
     data-updated when a completion of an earlier version of the module is stored). */
  function showCompletion() {
    var holders = document.querySelectorAll("[data-module-key][data-completed]");
    Array.prototype.forEach.call(holders, function (holder) {
      var state = stateOf(readEntry(holder.getAttribute("data-module-key")),
                          holder.getAttribute("data-module-fingerprint"));
      var done = state === "done";
      holder.setAttribute("data-completed", done ? "true" : "false");
      if (state === "updated") { holder.setAttribute("data-updated", "true"); } else { holder.removeAttribute("data-updated"); }
      var badge = holder.querySelector(".completed-badge");
      if (badge) { badge.hidden = !done; }
      var updated = holder.querySelector(".updated-badge");
      if (updated) { updated.hidden = state !== "updated"; }
      var button = holder.querySelector("button.mark-completed");
      if (button) {
        showLabel(button, done);
        button.setAttribute("aria-pressed", done ? "true" : "false");
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.quiz[data-module-key]"), showPassedOn);
  }

  /* "Passed on <date>." above the quiz of a module whose quiz the reader passed (this version of it). */
  function showPassedOn(section) {
    var line = section.querySelector(".quiz-passed-on");
    if (!line) { return; }
    var fingerprint = section.getAttribute("data-module-fingerprint");
    var entry = readEntry(section.getAttribute("data-module-key"));
    var passed = stateOf(entry, fingerprint) === "done" && entry.passed;
    line.hidden = !passed;
    if (!passed) { return; }
    var text = line.getAttribute("data-text") || "{date}";
    var lang = line.getAttribute("data-text-lang");
    var when = document.createElement("time");
    when.setAttribute("datetime", passed);
    when.textContent = formatDate(passed, lang || document.documentElement.lang);
    var at = text.indexOf("{date}");
    line.textContent = "";
    if (at === -1) {
      line.appendChild(document.createTextNode(text));
    } else {
      line.appendChild(document.createTextNode(text.slice(0, at)));
      line.appendChild(when);
      line.appendChild(document.createTextNode(text.slice(at + "{date}".length)));
    }
    if (lang) { line.setAttribute("lang", lang); } else { line.removeAttribute("lang"); }
  }

  /* 2026-12-01 as "1. Dezember 2026" / "December 1, 2026"; as written when the browser cannot. */
  function formatDate(iso, lang) {
    var parts = iso.split("-").map(Number);
    try {
      return new Date(parts[0], parts[1] - 1, parts[2]).toLocaleDateString(lang || undefined,
        { year: "numeric", month: "long", day: "numeric" });
    } catch (error) {
      return iso;
    }
  }

  /* The button holds both labels, as the page's HTML wrote them (a theme's fallback text in
     another language inside its <span lang>): showing one keeps that markup, which setting
     textContent would lose. A theme's own older template names them in data-label-* instead. */
  function showLabel(button, done) {
    var todo = button.querySelector(".label-todo");
    var doneLabel = button.querySelector(".label-done");
    if (todo && doneLabel) {
      todo.hidden = done;
      doneLabel.hidden = !done;
    } else if (button.hasAttribute("data-label-done")) {
      button.textContent = button.getAttribute(done ? "data-label-done" : "data-label-todo");
    }
  }

  /* A UI string of the quiz data into node, with its language where it is another than the
     page's (data.langs: the theme has no text in the page's language). */
  function setText(node, text, lang) {
    node.textContent = text;
    if (lang) { node.setAttribute("lang", lang); } else { node.removeAttribute("lang"); }
  }

  function initStatus(holder) {
    var button = holder.querySelector("button.mark-completed");
    var note = holder.querySelector(".completion-note");
    if (!button || !store) { return; }
    button.hidden = false;
    if (note) { note.hidden = false; }
    button.addEventListener("click", function () {
      var key = holder.getAttribute("data-module-key");
      var fingerprint = holder.getAttribute("data-module-fingerprint");
      setCompleted(key, !isCompleted(key, fingerprint), fingerprint, null);
    });
  }

  /* ---------------------------------------------------------------- quiz */

  function readData(section) {
    var block = section.querySelector("script.quiz-data");
    if (!block) { return null; }
    try {
      return JSON.parse(block.textContent);
    } catch (error) {
      return null;
    }
  }

  function chosen(fieldset) {
    var inputs = fieldset.querySelectorAll("input:checked");
    return Array.prototype.map.call(inputs, function (input) { return Number(input.value); })
      .sort(function (a, b) { return a - b; });
  }

  function sameAnswers(picked, answers) {
    if (picked.length !== answers.length) { return false; }
    for (var i = 0; i < picked.length; i += 1) {
      if (picked[i] !== answers[i]) { return false; }
    }
    return true;
  }

  function markQuestion(fieldset, question, strings, langs) {
    var picked = chosen(fieldset);
    var right = sameAnswers(picked, question.answers);
    var state = right ? "right" : (picked.length ? "wrong" : "unanswered");
    fieldset.setAttribute("data-result", state);
    Array.prototype.forEach.call(fieldset.querySelectorAll(".quiz-option"), function (option) {
      var index = Number(option.getAttribute("data-option"));
      var isAnswer = question.answers.indexOf(index) !== -1;
      var isPicked = picked.indexOf(index) !== -1;
      option.setAttribute("data-correct", isAnswer ? "true" : "false");
      option.setAttribute("data-picked", isPicked ? "true" : "false");
    });
    var feedback = fieldset.querySelector(".quiz-feedback");
    if (feedback) {
      setText(feedback, strings["quiz_" + state] || state, langs["quiz_" + state]);
      feedback.hidden = false;
    }
    var solution = fieldset.querySelector(".quiz-solution");
    if (solution) {
      solution.hidden = false;
      solution.open = true;
    }
    return right;
  }

  function checkQuiz(section, data) {
    var strings = data.strings || {};
    var langs = data.langs || {};
    var fieldsets = section.querySelectorAll(".quiz-question");
    var score = 0;
    Array.prototype.forEach.call(fieldsets, function (fieldset, index) {
      var question = data.questions[index];
      if (question && markQuestion(fieldset, question, strings, langs)) { score += 1; }
    });
    var total = data.questions.length;
    var passed = score >= data.pass;
    section.setAttribute("data-score", String(score));
    section.setAttribute("data-passed", passed ? "true" : "false");
    var scoreText = (strings.quiz_score || "{score} / {total}")
      .replace("{score}", String(score)).replace("{total}", String(total));
    setText(section.querySelector(".quiz-score"), scoreText, langs.quiz_score);
    var verdict = passed ? "quiz_passed" : "quiz_failed";
    setText(section.querySelector(".quiz-verdict"), strings[verdict], langs[verdict]);
    if (passed) { setCompleted(data.key, true, data.fingerprint, today()); }
  }

  function initQuiz(section) {
    var data = readData(section);
    var button = section.querySelector("button.quiz-check");
    if (!data || !button) { return; }
    section.classList.add("quiz-ready");
    /* The solutions stay in the page for readers without script; here they
       open after "Check", together with the verdict. */
    Array.prototype.forEach.call(section.querySelectorAll(".quiz-solution"), function (solution) {
      solution.hidden = true;
    });
    button.hidden = false;
    button.addEventListener("click", function () { checkQuiz(section, data); });
    /* A changed answer takes back that question's "Leider falsch." and the score: they judged the
       answer before (the solution, once shown, stays open). */
    Array.prototype.forEach.call(section.querySelectorAll(".quiz-question"), function (fieldset) {
      fieldset.addEventListener("change", function () {
        if (!fieldset.hasAttribute("data-result")) { return; }
        fieldset.removeAttribute("data-result");
        Array.prototype.forEach.call(fieldset.querySelectorAll(".quiz-option"), function (option) {
          option.removeAttribute("data-correct");
          option.removeAttribute("data-picked");
        });
        var feedback = fieldset.querySelector(".quiz-feedback");
        if (feedback) { feedback.hidden = true; }
        section.removeAttribute("data-score");
        section.removeAttribute("data-passed");
        setText(section.querySelector(".quiz-score"), "", null);
        setText(section.querySelector(".quiz-verdict"), "", null);
      });
    });
    var form = section.querySelector("form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        checkQuiz(section, data);
      });
    }
  }

  /* ---------------------------------------------------------------- catalogue filters */

  function matches(card, filters) {
    var audience = filters.audience || "";
    var level = filters.level || "";
    var audiences = (card.getAttribute("data-audiences") || "").split(" ").filter(Boolean);
    var audienceOk = !audience || audiences.length === 0 || audiences.indexOf(audience) !== -1;
    var levelOk = !level || card.getAttribute("data-level") === level;
    return audienceOk && levelOk;
  }

  function initFilters(form) {
    var controls = form.querySelectorAll("[data-filter]");
    var cards = document.querySelectorAll("[data-module-card]");
    var status = form.querySelector("[data-filter-status]");
    var empty = document.querySelector("[data-filter-empty]");
    function apply() {
      var filters = {};
      Array.prototype.forEach.call(controls, function (control) {
        filters[control.getAttribute("data-filter")] = control.value;
      });
      var shown = 0;
      Array.prototype.forEach.call(cards, function (card) {
        var visible = matches(card, filters);
        card.hidden = !visible;
        if (visible) {
          shown += 1;
          // The step in the path shown: an audience's third module is its step 3, not step 7 of all.
          var step = card.querySelector("[data-step]");
          if (step) { step.textContent = String(shown); }
        }
      });
      if (status) {
        var text = (form.getAttribute("data-status-text") || "{shown} / {total}")
          .replace("{shown}", String(shown)).replace("{total}", String(cards.length));
        setText(status, text, form.getAttribute("data-status-text-lang"));
      }
      if (empty) { empty.hidden = shown !== 0; }
    }
    Array.prototype.forEach.call(controls, function (control) {
      control.addEventListener("change", apply);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    apply();
    // Back to the catalogue: the browser puts the selects' values back after load, without a change event.
    window.addEventListener("pageshow", apply);
  }

  function init() {
    showCompletion();
    Array.prototype.forEach.call(document.querySelectorAll(".module-status"), initStatus);
    Array.prototype.forEach.call(document.querySelectorAll("section.quiz"), initQuiz);
    Array.prototype.forEach.call(document.querySelectorAll("[data-training-filters]"), initFilters);
    window.addEventListener("storage", showCompletion);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
