/* im-site dev server client: reload on a new build, show build errors as an overlay.
 * Included only by `im-site serve` (never in `im-site build` output).
 * Listens to server-sent events from /__im-site/events; falls back to polling
 * /__im-site/status where EventSource is missing. Text only, never innerHTML. */
(function () {
  "use strict";
  var EVENTS = "/__im-site/events";
  var STATUS = "/__im-site/status";
  var stamp = document.querySelector('meta[name="im-site-build"]');
  var seen = stamp ? parseInt(stamp.getAttribute("content"), 10) : null;
  var file = stamp ? stamp.getAttribute("data-file") : null;
  var overlay = null;

  function showError(text, built) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.setAttribute("role", "alert");
      overlay.setAttribute("data-im-site-overlay", "");
      var s = overlay.style;
      s.position = "fixed"; s.left = "0"; s.right = "0"; s.bottom = "0"; s.zIndex = "2147483647";
      s.maxHeight = "60vh"; s.overflow = "auto"; s.margin = "0"; s.padding = "1rem 1.25rem";
      s.background = "#2B0B0B"; s.color = "#FFFFFF"; s.borderTop = "4px solid #E5484D";
      s.font = "14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
      var title = document.createElement("strong");
      var body = document.createElement("pre");
      body.style.whiteSpace = "pre-wrap"; body.style.margin = ".5rem 0 0";
      overlay.appendChild(title);
      overlay.appendChild(body);
      document.body.appendChild(overlay);
    }
    overlay.firstChild.textContent = built ? "im-site: the last change does not build; showing the previous version"
      : "im-site: the site does not build yet";
    overlay.lastChild.textContent = text;
  }

  function clearError() {
    if (overlay && overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
    overlay = null;
  }

  // The next build lists the files it changed: a page that is not among them stays as it is.
  function unchanged(state) {
    return state.build === seen + 1 && file !== null && Array.isArray(state.changed) &&
      state.changed.indexOf(file) < 0;
  }

  function update(state) {
    if (seen === null) { seen = state.build; }
    else if (state.build !== seen) {
      if (!unchanged(state)) { window.location.reload(); return; }
      seen = state.build;
    }
    if (state.error) { showError(state.error, state.build > 0); } else { clearError(); }
  }

  function poll() {
    fetch(STATUS, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(update)
      .catch(function () { /* server restarting: try again */ })
      .then(function () { window.setTimeout(poll, 1000); });
  }

  if (window.EventSource) {
    var source = new EventSource(EVENTS);
    source.onmessage = function (event) {
      try { update(JSON.parse(event.data)); } catch (e) { /* ignore a malformed event */ }
    };
  } else if (window.fetch) {
    poll();
  }
})();
