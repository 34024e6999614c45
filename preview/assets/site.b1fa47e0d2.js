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
    var crowded = function () { return menu.classList.contains("is-crowded"); };
    /* A browser that cannot show a closed <details>' contents (site.css): the menu stays open, in
       the header's rows, where the screen is wide enough for them. */
    var legacy = wide && !(window.CSS && CSS.supports && CSS.supports("selector(::details-content)"));
    /* The version menu sits on the brand's row from 56rem, before the search box: moved there in the
       page too, so that Tab reaches it in the order the header reads, not after the menu's links. */
    var versions = menu.querySelector("[data-version-switch]"), tools = document.querySelector(".header-tools");
    var panel = versions && versions.parentNode;
    var move = function () {
      var row = wide.matches && !crowded();
      if (versions && tools && (versions.parentNode === panel) === row) {
        if (row) { tools.parentNode.insertBefore(versions, tools); } else { panel.appendChild(versions); }
      }
    };
    /* A menu whose entries (or the version links after them) do not fit one row from 56rem (seven or
       eight long labels, a wide font) first sits closer (is-tight), and if that is not enough goes behind
       its button as on a narrow screen (is-crowded), rather than wrapping the header to a third row:
       measured with the menu in its row, again when the window is resized or a font has loaded. */
    var items = menu.querySelectorAll(".main-nav li, .version-links");
    var state = null;
    var wraps = function () {
      var shown = Array.prototype.filter.call(items, function (item) { return item.getClientRects().length; });
      var centre = function (item) { var box = item.getBoundingClientRect(); return box.top + box.height / 2; };
      return shown.length > 1 && Math.abs(centre(shown[shown.length - 1]) - centre(shown[0])) > 16;
    };
    var place = function () {
      var before = state, open = menu.open;
      if (!wide.matches) {
        state = "narrow";
        menu.classList.remove("is-crowded", "is-tight");
        if (legacy && before !== "narrow") { menu.classList.remove("is-inline"); menu.open = false; }
      } else {
        menu.classList.remove("is-crowded", "is-tight");
        if (legacy) { menu.classList.add("is-inline"); menu.open = true; }
        if (wraps()) { menu.classList.add("is-tight"); }
        state = wraps() ? "crowded" : "row";
        if (state === "crowded") {
          menu.classList.remove("is-tight");
          menu.classList.add("is-crowded");
          if (legacy) { menu.classList.remove("is-inline"); menu.open = before === "crowded" && open; }
        }
      }
      move();
    };
    if (wide) {
      place();
      var pending = false;
      var again = function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; place(); });
      };
      window.addEventListener("resize", again);
      if (document.fonts && document.fonts.addEventListener) { document.fonts.addEventListener("loadingdone", again); }
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
