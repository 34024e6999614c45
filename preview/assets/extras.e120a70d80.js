/* Must-read acknowledgement: fill {version} in the form link with the published version.
 *
 * The HTML carries version "dev" so that a page's bytes do not change with every
 * version; served from DIR/versions/<id>/ the id is in the URL, served from
 * DIR/latest/ it is the entry of ../versions.json marked latest. Without
 * JavaScript (or opened from disk) the link keeps "dev".
 */
(function () {
  "use strict";
  var links = document.querySelectorAll("a[data-ack-template]");
  if (!links.length) { return; }

  function apply(version) {
    if (!version) { return; }
    Array.prototype.forEach.call(links, function (link) {
      var template = link.getAttribute("data-ack-template") || "";
      link.setAttribute("href", template.split("{version}").join(encodeURIComponent(version)));
    });
  }

  var match = /\/versions\/([^\/]+)\//.exec(window.location.pathname);
  if (match) {
    apply(decodeURIComponent(match[1]));
    return;
  }
  if (!/\/latest\//.test(window.location.pathname) || !window.fetch) { return; }
  var root = document.body.getAttribute("data-root") || "./";
  window.fetch(root + "../versions.json", { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : []; })
    .then(function (versions) {
      var latest = (Array.isArray(versions) ? versions : []).filter(function (v) { return v && v.latest; })[0];
      if (latest && typeof latest.id === "string") { apply(latest.id); }
    })
    .catch(function () { /* keep the "dev" fallback */ });
})();
