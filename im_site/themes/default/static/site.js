/* im-site default theme script. No inline script is needed anywhere, so a
   strict Content-Security-Policy (default-src 'self') works. Features add
   themselves below; each one is optional and fails quietly. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* Audience filter of message listings: the reader's choice is kept in
     localStorage, so it follows them from page to page. Cards without
     audiences are for everyone and always shown. */
  var KEY = "im-site.audience";

  function remembered() {
    try { return window.localStorage.getItem(KEY) || ""; } catch (error) { return ""; }
  }

  function remember(value) {
    try {
      if (value) { window.localStorage.setItem(KEY, value); } else { window.localStorage.removeItem(KEY); }
    } catch (error) { /* storage blocked: the choice lasts for this page only */ }
  }

  /* A theme text into node, with its language where it is another than the page's (the
     attribute's `-lang` twin: the theme has no text in the page's language). */
  function setText(node, text, lang) {
    node.textContent = text;
    if (lang) { node.setAttribute("lang", lang); } else { node.removeAttribute("lang"); }
  }

  function initAudienceFilter(form) {
    var select = form.querySelector("select");
    var status = form.querySelector("[data-audience-filter-status]");
    var cards = form.parentNode.querySelectorAll(".cards > .card[data-audiences]");
    function apply() {
      var audience = select.value;
      var shown = 0;
      Array.prototype.forEach.call(cards, function (card) {
        var audiences = (card.getAttribute("data-audiences") || "").split(" ").filter(Boolean);
        var visible = !audience || audiences.length === 0 || audiences.indexOf(audience) !== -1;
        card.hidden = !visible;
        if (visible) { shown += 1; }
      });
      setText(status, audience ? (form.getAttribute("data-status-text") || "{shown} / {total}")
        .replace("{shown}", String(shown)).replace("{total}", String(cards.length)) : "", form.getAttribute("data-status-text-lang"));
    }
    function restore() {
      var saved = remembered();
      select.value = saved && select.querySelector('option[value="' + saved.replace(/["\\]/g, "") + '"]') ? saved : "";
      apply();
    }
    select.addEventListener("change", function () { remember(select.value); apply(); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    restore();
    // Back to this page: the browser puts the select's old value back after load (or shows the page
    // as it was), but the reader may have chosen another audience since, on another page.
    window.addEventListener("pageshow", restore);
  }

  /* The header's menu on narrow screens (a <details>: it opens and closes by its button without any
     script): Escape closes it from inside and puts the focus back on the button; a tap outside closes it. */
  function initHeaderMenu(menu) {
    var toggle = menu.querySelector("summary");
    var wide = window.matchMedia ? window.matchMedia("(min-width: 56rem)") : null;
    var inline = function () { return menu.classList.contains("is-inline"); };
    /* A browser that cannot show a closed <details>' contents (site.css): the menu stays open, in
       the header's rows, where the screen is wide enough for them. */
    if (wide && !(window.CSS && CSS.supports && CSS.supports("selector(::details-content)"))) {
      var place = function () {
        menu.classList.toggle("is-inline", wide.matches);
        menu.open = wide.matches;
      };
      place();
      if (wide.addEventListener) { wide.addEventListener("change", place); }
    }
    /* The version menu sits on the brand's row from 56rem, before the search box: moved there in the
       page too, so that Tab reaches it in the order the header reads, not after the menu's links. */
    var versions = menu.querySelector("[data-version-switch]"), tools = document.querySelector(".header-tools");
    if (wide && versions && tools) {
      var panel = versions.parentNode;
      var move = function () {
        if (wide.matches) { tools.parentNode.insertBefore(versions, tools); } else { panel.appendChild(versions); }
      };
      move();
      if (wide.addEventListener) { wide.addEventListener("change", move); }
    }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !inline() && menu.contains(document.activeElement)) {
        menu.open = false;
        toggle.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (menu.open && !inline() && !menu.contains(event.target)) { menu.open = false; }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-audience-filter]"), initAudienceFilter);
    Array.prototype.forEach.call(document.querySelectorAll(".header-menu"), initHeaderMenu);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
