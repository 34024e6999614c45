/* Version switcher: progressive enhancement for sites published with `im-site publish`.
 *
 * A page knows the relative path to its version's root (<body data-root>). The
 * version root is either DIR/versions/<id>/ or DIR/latest/; versions.json lives
 * in DIR. The current version comes from the URL (never from the page HTML, so
 * unchanged pages hash the same in every version). Without JavaScript, from
 * file:// or outside a published folder, nothing happens: the plain link to the
 * version list stays.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-version-switch]");
  // Only builds made by `publish` carry the version-list link; others have no versions.json.
  var listLink = document.querySelector("[data-version-list]");
  if (!box || !listLink || !window.fetch || location.protocol === "file:") { return; }
  var root = new URL(document.body.getAttribute("data-root") || "./", location.href);
  var rootParts = root.pathname.replace(/\/$/, "").split("/");
  var folder = rootParts[rootParts.length - 1];
  var inVersions = rootParts[rootParts.length - 2] === "versions";
  var dir = new URL(inVersions ? "../../" : "../", root);
  var pagePath = location.pathname.indexOf(root.pathname) === 0 ?
    location.pathname.slice(root.pathname.length) : "";

  /* A theme text from a data attribute into node, with the language the page gave it where it is
     another than the page's (`data-x-lang`: the theme has no text in the page's language). */
  function setText(node, text, holder, name) {
    node.textContent = text;
    var lang = holder.getAttribute(name + "-lang");
    if (lang) { node.setAttribute("lang", lang); } else { node.removeAttribute("lang"); }
  }

  function exists(url) {
    return fetch(url, { method: "HEAD", cache: "no-store" })
      .then(function (response) { return response.ok; })
      .catch(function () { return false; });
  }

  /* This page's old addresses (`aliases:`, data-aliases): an older version has a renamed page
     there, not at its new address. */
  var aliases = (box.getAttribute("data-aliases") || "").split(" ").filter(Boolean);

  /* The first of urls that exists, else fallback. */
  function firstFound(urls, fallback) {
    if (!urls.length) { return Promise.resolve(fallback); }
    return exists(urls[0].href).then(function (found) {
      return found ? urls[0] : firstFound(urls.slice(1), fallback);
    });
  }

  /* This page in the version whose root is `home` (its address there, else an alias), else that
     version's home page. */
  function samePage(home) {
    var targets = [pagePath].concat(aliases).map(function (path) { return new URL(path, home); });
    return firstFound(targets, home).then(function (target) {
      // The same page keeps its query (the search page's ?q=); a version's home has no use for it.
      return target.href + (target === home ? "" : location.search) + location.hash;
    });
  }

  function go(id) {
    samePage(new URL("versions/" + encodeURIComponent(id) + "/", dir)).then(function (href) { location.href = href; });
  }

  /* On an older version, a note at the top of the page says so and leads to the same page below
     latest/ (its home when the page is gone there): the address that stays the newest, to bookmark
     or open in a new tab, not versions/<newest id>/, which the next publish makes old again. */
  function noteOld(current, latest) {
    var main = document.querySelector("main");
    if (!main || !latest || current === latest) { return; }
    var note = document.createElement("p");
    note.className = "version-old";
    note.setAttribute("role", "note");
    setText(note, (box.getAttribute("data-old") || "You are reading an older version ({id}).")
      .replace("{id}", current) + " ", box, "data-old");
    var link = document.createElement("a");
    var newest = samePage(new URL("latest/", dir));
    link.href = new URL("latest/", dir).href;
    newest.then(function (href) { link.href = href; });
    setText(link, box.getAttribute("data-newest") || "Go to the current version", box, "data-newest");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      newest.then(function (href) { location.href = href; });
    });
    note.appendChild(link);
    main.insertBefore(note, main.firstChild);
  }

  function build(versions) {
    var current = inVersions ? decodeURIComponent(folder) : null, latest = null;
    versions.forEach(function (v) { if (v.latest) { latest = v.id; } });
    current = current || latest;
    if (!versions.some(function (v) { return v.id === current; })) { return; }
    noteOld(current, latest);
    var id = "version-switch-select";
    var label = document.createElement("label");
    label.htmlFor = id;
    setText(label, box.getAttribute("data-label") || "Version", box, "data-label");
    var select = document.createElement("select");
    select.id = id;
    versions.forEach(function (v) {
      var option = document.createElement("option");
      option.value = v.id;
      if (v.latest) {
        setText(option, v.id + " (" + (box.getAttribute("data-latest") || "latest") + ")", box, "data-latest");
      } else {
        option.textContent = v.id;
      }
      option.selected = v.id === current;
      select.appendChild(option);
    });
    /* A closed select changes its value at each arrow key, Home, End, Page key or typed letter
       (Chrome, Edge and Firefox on Windows and Linux): leaving at once would carry a keyboard
       reader off to the first version passed (WCAG 3.2.2). Chosen by keyboard, a version opens
       on Enter; Escape or leaving the menu puts back the version being read. A choice in the
       open list (mouse, touch, or Space/Alt+Down then Enter) opens at once. */
    var keyed = false, leaving = false;
    function open(id) {
      if (id !== current) { leaving = true; go(id); }
    }
    select.addEventListener("keydown", function (event) {
      keyed = false;
      if (event.key === "Enter") {
        event.preventDefault();
        open(select.value);
      } else if (event.key === "Escape") {
        select.value = current;
      } else if (!event.altKey && !event.ctrlKey && !event.metaKey &&
                 (/^(Arrow|Page|Home$|End$)/.test(event.key) || (event.key.length === 1 && event.key !== " "))) {
        keyed = true;  // the change this key makes comes before its keyup
      }
    });
    select.addEventListener("keyup", function () { keyed = false; });
    select.addEventListener("change", function () {
      if (!keyed) { open(select.value); }
    });
    select.addEventListener("blur", function () {
      keyed = false;
      if (!leaving) { select.value = current; }
    });
    box.appendChild(label);
    box.appendChild(select);
    box.hidden = false;
  }

  fetch(new URL("versions.json", dir).href, { cache: "no-store" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (versions) {
      if (Array.isArray(versions) && versions.length) { build(versions); }
    })
    .catch(function () { /* not a published folder: keep the plain link */ });
})();
