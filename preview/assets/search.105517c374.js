/* im-site search: runs in the browser over the index that the build writes
   to search/<lang>/ (docs.js plus one t-<letter>.js shard per first letter).
   The index files are scripts assigning to window.imSearchData, loaded on
   demand with <script src>, so search works from disk (file://) and under a
   strict Content-Security-Policy. Results are built with DOM methods and
   textContent only. The query is mapped onto the index's Snowball stems by
   the same folding and light suffix stripping as im_site/search.py
   (`fold`, `candidates`), plus the index's `forms` table. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-search]");
  if (!forms.length || !window.Promise) { return; }
  var root = document.body.getAttribute("data-root") || "./";
  var lang = document.documentElement.getAttribute("lang") || "de";
  var language = lang.split("-")[0].toLowerCase();  // `de` word forms for `de-CH`, as search.py
  var SUFFIXES = {
    de: [["ern", "em", "er", "en", "es", "est", "st", "e", "s", "n"],
         ["end", "ung", "isch", "lich", "heit", "keit", "ig", "ik"]],
    en: [["ies", "es", "s", "ed", "ing", "ly", "er", "ers", "est"], ["ing", "ed", "er", "ness", "ment", "ful"]]
  };
  var MAX_PANEL = 8, MAX_PAGE = 100, PREFIX_FACTOR = 0.5, MIN_PART = 3, MIN_HEAD = 4;
  var MIN_TYPO = 5, MIN_TWO_TYPOS = 9, SNIPPET = 160;
  var loading = {};

  function load(name, version) {
    if (!loading[name]) {
      loading[name] = new Promise(function (resolve, reject) {
        var data = window.imSearchData || {};
        if (data[name]) { resolve(data[name]); return; }
        var script = document.createElement("script");
        script.src = root + "search/" + name + ".js" + (version ? "?v=" + version : "");
        script.async = true;
        script.onload = function () {
          var found = (window.imSearchData || {})[name];
          if (found) { resolve(found); } else { reject(new Error(name)); }
        };
        script.onerror = function () { delete loading[name]; reject(new Error(name)); };
        document.head.appendChild(script);
      });
    }
    return loading[name];
  }

  function fold(word) {
    word = word.toLowerCase().replace(/ä/g, "a").replace(/ö/g, "o").replace(/ü/g, "u").replace(/ß/g, "ss");
    return word.normalize ? word.normalize("NFKD").replace(/[\u0300-\u036f]/g, "") : word;
  }

  function strip(word, suffixes) {
    var out = [];
    suffixes.forEach(function (s) {
      if (word.length - s.length >= 3 && word.slice(-s.length) === s) { out.push(word.slice(0, -s.length)); }
    });
    return out;
  }

  /* A folded word and, in German, the same word with umlauts typed as ae/oe/ue ("fuehrung" -> "fuhrung"). */
  function spellings(folded) {
    var variants = [folded];
    if (language === "de") { variants.push(folded.replace(/ae/g, "a").replace(/oe/g, "o").replace(/ue/g, "u")); }
    return variants;
  }

  function candidates(folded) {
    var found = {};
    var rules = SUFFIXES[language] || [[], []];
    spellings(folded).forEach(function (form) {
      [form].concat(strip(form, rules[0])).forEach(function (base) {
        found[base] = true;
        strip(base, rules[1]).forEach(function (s) { found[s] = true; });
      });
    });
    return Object.keys(found);
  }

  function shardKey(term) {
    var first = term.charAt(0);
    return /^[a-z0-9]$/.test(first) ? first : "_";
  }

  function words(query, stop) {
    var parts = query.toLowerCase().split(/[^\p{L}\p{N}]+/u);
    return parts.map(fold).filter(function (w) { return w.length > 1 && stop.indexOf(w) < 0; });
  }

  function shard(docs, key) {
    return load(lang + "/t-" + key, docs.shards[key]);
  }

  /* {doc index: score} for one query word: exact stems, known forms, then (with `prefixes`) stems it begins. */
  function lookup(docs, word, prefixes) {
    var key = shardKey(word);
    if (!docs.shards[key]) { return Promise.resolve({}); }
    return shard(docs, key).then(function (data) {
      var stems = {}, known;
      candidates(word).forEach(function (c) { if (data.terms[c]) { stems[c] = 1; } });
      spellings(word).forEach(function (spelling) {
        known = known || data.forms[spelling];
        if (spelling.length < 3 || !prefixes) { return; }
        Object.keys(data.terms).forEach(function (t) {
          if (!stems[t] && t.lastIndexOf(spelling, 0) === 0) { stems[t] = PREFIX_FACTOR; }
        });
      });
      var other = known && shardKey(known) !== key && docs.shards[shardKey(known)]
        ? shard(docs, shardKey(known)) : Promise.resolve(data);
      return other.then(function (knownData) {
        var scores = {};
        if (known && knownData.terms[known]) { add(scores, knownData.terms[known], 1); }
        Object.keys(stems).forEach(function (t) { add(scores, data.terms[t], stems[t]); });
        return scores;
      });
    });
  }

  /* {doc index: score} for one query word: as looked up; else, when that found nothing, as a
     compound of two words the site uses; else as a misspelling. The parts and stems these
     found are added to `parts`, for marking. */
  function matchWord(docs, word, parts) {
    return lookup(docs, word, true).then(function (scores) {
      if (Object.keys(scores).length) { return scores; }
      return split(docs, word, parts).then(function (joined) {
        return Object.keys(joined).length ? joined : misspelt(docs, word, parts);
      });
    });
  }

  /* A German compound the site never uses ("Kundenzufriedenheit", "Kassenschulung") matched no
     page: it is looked up as two words the site does use, a first part of MIN_PART letters or
     more and a head of MIN_HEAD or more (as search.py splits compounds), on pages having both, at
     PREFIX_FACTOR. Only a word that found nothing is split, so other queries load no more shards. */
  function split(docs, word, parts) {
    return Promise.resolve().then(function () {
      if (language !== "de" || word.length < MIN_PART + MIN_HEAD) { return {}; }
      var splits = [];
      for (var i = MIN_PART; i <= word.length - MIN_HEAD; i++) { splits.push([word.slice(0, i), word.slice(i)]); }
      return Promise.all(splits.map(function (pair) {
        return Promise.all([lookup(docs, pair[0], false), lookup(docs, pair[1], false)]);
      })).then(function (found) {
        var joined = {};
        found.forEach(function (pair, index) {
          var hit = false;
          Object.keys(pair[0]).forEach(function (doc) {
            if (!(doc in pair[1])) { return; }
            var value = (pair[0][doc] + pair[1][doc]) * PREFIX_FACTOR;
            if (!(doc in joined) || joined[doc] < value) { joined[doc] = value; }
            hit = true;
          });
          if (hit) { parts.push(splits[index][0], splits[index][1]); }
        });
        return joined;
      });
    });
  }

  /* A typo ("Reklamtion") found nothing: the stems and word forms of the word's shard that its
     light strippings of MIN_TYPO letters or more reach with one letter changed, added, dropped or
     two swapped (two for strippings of MIN_TWO_TYPOS letters or more), at PREFIX_FACTOR. The first
     letter must be right: it chooses the shard. */
  function misspelt(docs, word, parts) {
    var key = shardKey(word);
    if (word.length < MIN_TYPO || !docs.shards[key]) { return Promise.resolve({}); }
    return shard(docs, key).then(function (data) {
      var scores = {};
      var forms = candidates(word).filter(function (form) { return form.length >= MIN_TYPO; });
      function near(known) {  // the limit of the form compared: "kassier" (of "Kassierer") is not "kassel"
        return forms.some(function (form) {
          var limit = form.length >= MIN_TWO_TYPOS ? 2 : 1;
          return Math.abs(form.length - known.length) <= limit && distance(form, known, limit) <= limit;
        });
      }
      Object.keys(data.terms).forEach(function (term) {
        if (near(term)) { add(scores, data.terms[term], PREFIX_FACTOR); parts.push(term); }
      });
      Object.keys(data.forms).forEach(function (known) {  // "zufriedenhiet" is near "zufriedenheit", not its stem
        var stem = data.forms[known];
        if (data.terms[stem] && near(known)) { add(scores, data.terms[stem], PREFIX_FACTOR); parts.push(known); }
      });
      return scores;
    });
  }

  /* Optimal string alignment distance of a and b, or limit + 1 once it is sure to exceed limit. */
  function distance(a, b, limit) {
    var before = [], row = [], i, j;
    var previous = [];
    for (j = 0; j <= b.length; j++) { row.push(j); }
    for (i = 1; i <= a.length; i++) {
      before = previous; previous = row; row = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1;
        var value = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) === b.charAt(j - 2) && a.charAt(i - 2) === b.charAt(j - 1)) {
          value = Math.min(value, before[j - 2] + 1);
        }
        row.push(value);
        if (value < best) { best = value; }
      }
      if (best > limit) { return limit + 1; }
    }
    return row[b.length];
  }

  function add(scores, postings, factor) {
    for (var i = 0; i < postings.length; i += 2) {
      var value = postings[i + 1] * factor;
      if (!(postings[i] in scores) || scores[postings[i]] < value) { scores[postings[i]] = value; }
    }
  }

  /* Every query word must match (AND); scores add up; ties keep index order. */
  function search(query) {
    return load(lang + "/docs").then(function (docs) {
      var list = words(query, docs.stop);
      if (!list.length) { return { docs: docs, hits: [], stems: markStems([]), nothing: true }; }
      var parts = [];
      return Promise.all(list.map(function (w) { return matchWord(docs, w, parts); })).then(function (perWord) {
        var hits = [];
        Object.keys(perWord[0]).forEach(function (doc) {
          var total = 0;
          for (var i = 0; i < perWord.length; i++) {
            if (!(doc in perWord[i])) { return; }
            total += perWord[i][doc];
          }
          hits.push({ doc: +doc, score: total });
        });
        hits.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
        return { docs: docs, hits: hits, stems: markStems(list.concat(parts)) };
      });
    });
  }

  function passes(entry, filters) {
    if (filters.type && entry[2] !== filters.type) { return false; }
    if (filters.audience && entry[3].length && entry[3].indexOf(filters.audience) < 0) { return false; }
    if (filters.pillar && entry[4].indexOf(filters.pillar) < 0) { return false; }
    return true;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  /* What a result's words are marked by, as the search matched them: a word of the same stem
     (both reduced by `candidates`), or one that begins with a query word of three letters or more. */
  function markStems(list) {
    var stems = { exact: {}, prefixes: [] };
    list.forEach(function (word) {
      candidates(word).forEach(function (stem) { stems.exact[stem] = true; });
      spellings(word).forEach(function (spelling) { if (spelling.length >= 3) { stems.prefixes.push(spelling); } });
    });
    return stems;
  }

  function matches(word, stems) {
    var folded = fold(word);
    return candidates(folded).some(function (stem) { return stems.exact[stem] === true; }) ||
      spellings(folded).some(function (form) {
        return stems.prefixes.some(function (prefix) { return form.lastIndexOf(prefix, 0) === 0; });
      });
  }

  /* `node` given `text` with each word the query matched in <mark>, made of text nodes: a title
     is never read as HTML. */
  function marked(node, text, stems) {
    var last = 0;
    spans(text, stems).forEach(function (span) {
      if (span[0] > last) { node.appendChild(document.createTextNode(text.slice(last, span[0]))); }
      node.appendChild(element("mark", null, text.slice(span[0], span[1])));
      last = span[1];
    });
    if (last < text.length) { node.appendChild(document.createTextNode(text.slice(last))); }
    return node;
  }

  /* [start, end] of each word of `text` the query matched: a hyphenated word whole where it
     matched written as one ("Kundenservice" for "Kunden-Service", indexed so by search.py), else
     its parts that matched. */
  function spans(text, stems) {
    var pattern = /[\p{L}\p{N}]+(?:[-\u2010\u2011][\p{L}\p{N}]+)*/gu, found = [], match;
    while ((match = pattern.exec(text)) !== null) {
      var word = match[0], start = match.index;
      if (/[-\u2010\u2011]/.test(word) && matches(word.replace(/[-\u2010\u2011]/g, ""), stems)) {
        found.push([start, start + word.length]);
        continue;
      }
      var part = /[\p{L}\p{N}]+/gu, piece;
      while ((piece = part.exec(word)) !== null) {
        if (matches(piece[0], stems)) { found.push([start + piece.index, start + piece.index + piece[0].length]); }
      }
    }
    return found;
  }

  /* {doc index: text} of the pages `hits` (their search/<lang>/x-<n>.js, docs.chunk pages each,
     loaded only for the results shown); {} for a file that fails to load (the summary shows). */
  function pageTexts(docs, hits) {
    var chunks = {};
    hits.forEach(function (hit) { chunks[Math.floor(hit.doc / docs.chunk)] = true; });
    var texts = {};
    return Promise.all(Object.keys(chunks).map(function (n) {
      if (!docs.texts || !docs.texts[n]) { return null; }
      return load(lang + "/x-" + n, docs.texts[n]).then(function (data) {
        data.texts.forEach(function (text, i) { texts[n * docs.chunk + i] = text; });
      }, function () { /* no snippet: the summary shows */ });
    })).then(function () { return texts; });
  }

  /* The sentence of `text` with the most distinct words the query matched (the first of those),
     cut to about SNIPPET characters around its first match; "" when the text has no match (the query
     matched the title, summary or labels: the summary shows). A sentence ends at [.!?…] after two
     letters ("1. Mai" goes on). */
  function snippet(text, stems) {
    if (!text) { return ""; }
    var sentences = [], boundary = /[^\s\d.]{2}[.!?…]+["“”»«)]*\s+/g, found, last = 0;
    while ((found = boundary.exec(text)) !== null) {
      sentences.push(text.slice(last, found.index + found[0].length).trim());
      last = found.index + found[0].length;
    }
    sentences.push(text.slice(last).trim());
    var best = null;
    sentences.forEach(function (sentence, index) {
      var seen = {}, count = 0, first = -1;
      spans(sentence, stems).forEach(function (span) {
        var word = fold(sentence.slice(span[0], span[1]));
        if (first < 0) { first = span[0]; }
        if (!seen[word]) { seen[word] = true; count++; }
      });
      if (count && (!best || count > best.count)) { best = { count: count, index: index, first: first }; }
    });
    if (!best) { return ""; }
    var out = sentences[best.index];
    if (out.length <= SNIPPET) { return out; }
    var begin = Math.max(0, best.first - Math.floor(SNIPPET / 3));
    if (begin > 0) { begin = out.indexOf(" ", begin - 1) + 1 || begin; }
    var end = begin + SNIPPET, space = out.lastIndexOf(" ", end);
    if (end < out.length && space > best.first) { end = space; }
    return (begin > 0 ? "… " : "") + out.slice(begin, end).trim() + (end < out.length ? " …" : "");
  }

  function resultItem(docs, entry, stems, text) {
    var item = element("li", "search-result");
    var link = marked(element("a", "search-result-title"), entry[1], stems);
    link.href = root + entry[0];
    item.appendChild(link);
    item.appendChild(element("span", "search-result-type", docs.labels.type[entry[2]] || entry[2]));
    var excerpt = snippet(text, stems) || entry[5];
    if (excerpt) { item.appendChild(marked(element("p", "search-excerpt"), excerpt, stems)); }
    return item;
  }

  function Box(form) {
    this.form = form;
    this.input = form.querySelector("input[type=search]");
    this.list = form.querySelector(".search-results");
    this.status = form.querySelector(".search-status");
    this.panel = form.querySelector(".search-panel");
    this.more = form.querySelector(".search-more a");
    this.isPage = form.hasAttribute("data-search-page");
    this.elsewhere = form.querySelector(".search-elsewhere");
    this.filters = form.querySelectorAll("select[data-filter]");
    this.timer = null;
    this.closing = false;
    this.run = this.run.bind(this);
  }

  Box.prototype.filterValues = function () {
    var values = {};
    Array.prototype.forEach.call(this.filters, function (select) {
      values[select.getAttribute("data-filter")] = select.value;
    });
    return values;
  };

  /* The search page's address follows the query and filters, so Back from a result and a
     reload show this search, not the one the page was opened with. */
  Box.prototype.remember = function (query) {
    var params = new URLSearchParams(), values = this.filterValues();
    if (query) { params.set("q", query); }
    Object.keys(values).forEach(function (name) { if (values[name]) { params.set(name, values[name]); } });
    var search = params.toString();
    try {
      window.history.replaceState(window.history.state, "", search ? "?" + search : window.location.pathname);
    } catch (error) { /* an address the browser will not rewrite (some file:// setups): keep it */ }
  };

  Box.prototype.run = function () {
    var query = this.input.value.trim(), box = this;
    if (this.more) { this.more.href = this.form.getAttribute("data-search-page-url") + "?q=" + encodeURIComponent(query); }
    if (this.isPage) { this.remember(query); }
    if (!query) { this.show(null, []); return; }
    search(query).then(function (found) {
      if (box.input.value.trim() !== query) { return; }
      // One letter typed so far ("K") is no word to look up: the box shows nothing yet, not "no results".
      if (found.nothing && !box.isPage) { box.show(null, []); return; }
      var filters = box.filterValues();
      var shown = found.hits.filter(function (hit) { return passes(found.docs.docs[hit.doc], filters); });
      return pageTexts(found.docs, shown.slice(0, box.limit())).then(function (texts) {
        if (box.input.value.trim() !== query) { return; }
        box.show(found.docs, shown, found.stems, texts);
      });
    }).then(null, function () {
      box.showStatus("data-text-unavailable");
    });
  };

  /* The theme text `name` (a data attribute of the form; {count} filled in), with the language the
     page gave it where it is another than the page's (`<name>-lang`: the theme has no text in it). */
  Box.prototype.showStatus = function (name, count) {
    this.status.textContent = (this.form.getAttribute(name) || "").replace("{count}", String(count));
    var lang = this.form.getAttribute(name + "-lang");
    if (lang) { this.status.setAttribute("lang", lang); } else { this.status.removeAttribute("lang"); }
    if (this.panel) { this.panel.hidden = false; }
  };

  Box.prototype.limit = function () { return this.isPage ? MAX_PAGE : MAX_PANEL; };

  Box.prototype.show = function (docs, hits, stems, texts) {
    while (this.list.firstChild) { this.list.removeChild(this.list.firstChild); }
    this.offerElsewhere(docs && !hits.length);
    if (!docs) {
      this.status.textContent = "";
      if (this.panel) { this.panel.hidden = true; }
      return;
    }
    hits.slice(0, this.limit()).forEach(function (hit) {
      this.list.appendChild(resultItem(docs, docs.docs[hit.doc], stems, (texts || {})[hit.doc]));
    }, this);
    var one = hits.length === 1 && this.form.getAttribute("data-text-count-one");  // "1 result", not "1 results"
    this.showStatus(one ? "data-text-count-one" : (hits.length ? "data-text-count" : "data-text-none"), hits.length);
  };

  /* The search page with no results offers the same query on the other languages' search pages
     (a German reader searching an English word finds it in the English pages). */
  Box.prototype.offerElsewhere = function (offer) {
    if (!this.elsewhere) { return; }
    var query = encodeURIComponent(this.input.value.trim());
    Array.prototype.forEach.call(this.elsewhere.querySelectorAll("a[data-search-elsewhere]"), function (link) {
      link.href = link.getAttribute("data-search-elsewhere") + "?q=" + query;
    });
    this.elsewhere.hidden = !offer;
  };

  /* Focus on the box without searching again (its focus handler opens the panel). */
  Box.prototype.focusBox = function () {
    this.closing = true;
    this.input.focus();
    this.closing = false;
  };

  /* ArrowDown and ArrowUp move the focus from the box through the results and "all results"
     (Enter opens the one focused, as any link; Escape returns to the box); ArrowUp on the first
     returns to the box. ArrowDown in the box with the panel closed opens it again. */
  Box.prototype.move = function (event) {
    var links = Array.prototype.slice.call(this.panel.querySelectorAll(".search-results a, .search-more a"));
    var at = links.indexOf(document.activeElement);
    if (this.panel.hidden || !this.list.firstChild) {
      if (event.key === "ArrowDown" && at < 0 && this.input.value.trim()) { event.preventDefault(); this.run(); }
      return;
    }
    event.preventDefault();  // not the page's scrolling
    if (event.key === "ArrowDown") {
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (at > 0) {
      links[at - 1].focus();
    } else if (at === 0) {
      this.focusBox();
    }
  };

  Box.prototype.schedule = function () {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.run, 120);
  };

  Box.prototype.start = function () {
    var box = this;
    this.input.addEventListener("input", function () { box.schedule(); });
    Array.prototype.forEach.call(this.filters, function (select) {
      select.addEventListener("change", box.run);
    });
    if (this.isPage) {
      var fieldset = this.form.querySelector(".search-filters");
      if (fieldset) { fieldset.hidden = false; }
      this.form.addEventListener("submit", function (event) { event.preventDefault(); box.run(); });
      var params = new URLSearchParams(window.location.search);
      this.input.value = params.get("q") || "";
      Array.prototype.forEach.call(this.filters, function (select) {
        select.value = params.get(select.getAttribute("data-filter")) || "";
      });
      if (this.input.value) { this.run(); }
    } else {
      this.form.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") { box.move(event); return; }
        if (event.key !== "Escape") { return; }
        box.focusBox();
        box.panel.hidden = true;
      });
      document.addEventListener("click", function (event) {
        if (!box.form.contains(event.target)) { box.panel.hidden = true; }
      });
      this.input.addEventListener("focus", function () { if (!box.closing && box.input.value.trim()) { box.run(); } });
    }
  };

  Array.prototype.forEach.call(forms, function (form) { new Box(form).start(); });
})();
