/* im-site default theme script. No inline script is needed anywhere, so a
   strict Content-Security-Policy (default-src 'self') works. Features add
   themselves below; each one is optional and fails quietly. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
})();
