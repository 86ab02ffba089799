/* explainer: the /search/ page (loaded by that page only).
   Fetches search/manifest.json, then only the shards holding the query's words and the
   result files holding the results shown, ten at a time (format: src/explainer/render/search.py).
   Without this script the page says what to do instead. */
(function () {
  "use strict";
  /* the same folding and tokens as the index (search.py: fold, tokens, _CJK; the cases
     of tests/fixtures/search-tokens.json): runs of CJK characters give their pairs */
  var CJK = "\u1100-\u11ff\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff" +
      "\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\u{20000}-\u{3ffff}",
    TOKEN = new RegExp("[" + CJK + "]+|(?:(?![" + CJK + "])[\\p{L}\\p{N}]){1,64}", "gu"),
    IS_CJK = new RegExp("^[" + CJK + "]", "u"), POSSESSIVE = /['\u2019]s(?![\p{L}\p{N}_])/gu;
  function fold(s) {
    return s.normalize("NFKD").replace(/(?![\u3099\u309a])\p{M}/gu, "").normalize("NFC")
      .replace(/[\u3099\u309a]/g, "").toLowerCase();
  }
  function runs(q) { return fold(q).replace(POSSESSIVE, "").match(TOKEN) || []; }
  function tokens(q) {
    var found = [];
    runs(q).forEach(function (w) {
      var cs = Array.from(w);
      if (cs.length < 3 || !IS_CJK.test(w)) found.push(w);
      else for (var i = 1; i < cs.length; i++) found.push(cs[i - 1] + cs[i]);
    });
    return found;
  }
  window.explainerTokens = tokens;
  var d = document, out = d.getElementById("search-results");
  if (!out) return;
  var input = d.getElementById("search-q"), base = out.getAttribute("data-search"),
    root = out.getAttribute("data-root"), PAGE = 10, MAX_PREFIX_FILES = 3,
    /* the page's words, in its language (layouts/i18n): "{count} results for “{query}”." */
    msg = function (name, values) {
      return (out.getAttribute("data-" + name) || "").replace(/\{(\w+)\}/g, function (m, k) {
        return Object.prototype.hasOwnProperty.call(values || {}, k) ? String(values[k]) : m;
      });
    },
    WORDCH = new RegExp("(?![" + CJK + "])[\\p{L}\\p{N}]", "u"),  /* a letter that goes on a word */
    ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    CODE = {}, files = {}, manifest = null, starts = null, seq = 0;
  for (var c = 0; c < 64; c++) CODE[ALPHA.charAt(c)] = c;

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function words(q) {
    var seen = {};
    return tokens(q).filter(function (w) { return has(seen, w) ? false : (seen[w] = true); });
  }

  function get(path, immutable) {
    if (!files[path]) {
      files[path] = fetch(base + path, immutable ? {} : { cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      });
      files[path].catch(function () { delete files[path]; });
    }
    return files[path];
  }
  function shard(i) { return get(manifest.shards + manifest.files[i] + ".json", true); }
  /* entry number -> its row: a result file holds consecutive entries, as many as
     manifest.groups says (one character a file) */
  function row(n) {
    if (!starts) {
      starts = [0];
      for (var i = 0; i < manifest.groups.length; i++) starts.push(starts[i] + CODE[manifest.groups.charAt(i)]);
    }
    var lo = 0, hi = starts.length - 2;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= n) lo = mid; else hi = mid - 1;
    }
    return get(manifest.docs + lo + ".json").then(function (rows) { return rows[n - starts[lo]]; });
  }

  /* the shard of a term: the longest manifest key that is a prefix of it */
  function keyOf(term) {
    var cs = Array.from(term);
    for (var n = cs.length; n >= 0; n--) {
      var k = cs.slice(0, n).join("");
      if (has(manifest.keys, k)) return k;
    }
    return null;
  }
  /* shard numbers a word needs; the last word also matches longer terms (as one types) */
  function shardsFor(w, prefix) {
    var k = keyOf(w), own = k === null ? [] : [manifest.keys[k]], more = [];
    if (prefix) {
      Object.keys(manifest.keys).forEach(function (key) {
        var f = manifest.keys[key];
        if (key.length > w.length && key.lastIndexOf(w, 0) === 0 && own.indexOf(f) < 0 && more.indexOf(f) < 0) more.push(f);
      });
      if (more.length > MAX_PREFIX_FILES) more = [];
    }
    return own.concat(more);
  }

  function decode(p, factor, into) {
    var sp = p.indexOf(" "), i = 0, j = sp + 1, n = -1;
    while (i < sp) {
      var v = 0, shift = 0, ch;
      do { ch = CODE[p.charAt(i++)]; v += (ch & 31) << shift; shift += 5; } while (ch & 32);
      n += v + 1;
      var w = CODE[p.charAt(j++)], s = ((w & 48 ? 1000 : 0) + (w & 32 ? 100 : 0) + (w & 16 ? 20 : 0) + (w & 15)) * factor;
      if (!(into.get(n) >= s)) into.set(n, s);
    }
  }
  /* entry number -> score of one word: its own term in full, longer terms (prefix) at half */
  function scores(w, prefix, shards) {
    var m = new Map();
    shards.forEach(function (sh) {
      Object.keys(sh).forEach(function (t) {
        if (t === w) decode(sh[t], 1, m);
        else if (prefix && t.lastIndexOf(w, 0) === 0) decode(sh[t], 0.5, m);
      });
    });
    return m;
  }

  function find(ws) {
    var need = ws.map(function (w, i) { return shardsFor(w, i === ws.length - 1); });
    return Promise.all(need.map(function (list) { return Promise.all(list.map(shard)); })).then(function (loaded) {
      var maps = ws.map(function (w, i) { return scores(w, i === ws.length - 1, loaded[i]); }), hits = [];
      maps.sort(function (a, b) { return a.size - b.size; });
      maps[0].forEach(function (s, n) {
        for (var k = 1; k < maps.length; k++) {
          var o = maps[k].get(n);
          if (o === undefined) return;
          s += o;
        }
        hits.push([s, n]);
      });
      return hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    });
  }

  /* text folded character by character, so a match maps back to the original text */
  function folded(text) {
    if (/^[\x00-\x7f]*$/.test(text)) return { low: text.toLowerCase(), at: null };
    var low = "", at = [], i = 0;
    Array.from(text).forEach(function (ch) {
      var f = fold(ch);
      low += f;
      for (var k = 0; k < f.length; k++) at.push(i);
      i += ch.length;
    });
    at.push(text.length);
    return { low: low, at: at };
  }
  function matches(low, ws) {
    var found = [];
    ws.forEach(function (w, wi) {
      var cjk = IS_CJK.test(w), i = low.indexOf(w);
      for (; i >= 0 && found.length < 200; i = low.indexOf(w, i + w.length)) {
        var end = i + w.length;
        if (!cjk && ((i > 0 && WORDCH.test(low.charAt(i - 1))) ||
          (wi < ws.length - 1 && end < low.length && WORDCH.test(low.charAt(end))))) continue;
        found.push([i, end]);
      }
    });
    var merged = [];  /* overlapping matches (a CJK query's pairs) are one mark */
    found.sort(function (a, b) { return a[0] - b[0]; }).forEach(function (m) {
      var last = merged[merged.length - 1];
      if (last && m[0] < last[1]) last[1] = Math.max(last[1], m[1]); else merged.push(m);
    });
    return merged;
  }
  /* a CJK run of the query is marked whole where the text has it, else its pairs */
  function snippet(text, ws, ph) {
    var f = folded(text), p = el("p", "result-snippet"), look = [];
    ph.forEach(function (w) { look = look.concat(f.low.indexOf(w) < 0 ? tokens(w) : [w]); });
    var found = matches(f.low, look.concat(ws.filter(function (w) { return !IS_CJK.test(w); })));
    if (!found.length) return null;
    function orig(i) { return f.at ? f.at[Math.min(i, f.at.length - 1)] : i; }
    var start = Math.max(0, orig(found[0][0]) - 60), stop = Math.min(text.length, start + 200), pos = start;
    if (start > 0) p.appendChild(d.createTextNode("\u2026"));
    found.forEach(function (m) {
      var a = orig(m[0]), b = orig(m[1]);
      if (a < pos || b > stop) return;
      p.appendChild(d.createTextNode(text.slice(pos, a)));
      p.appendChild(el("mark", "", text.slice(a, b)));
      pos = b;
    });
    p.appendChild(d.createTextNode(text.slice(pos, stop) + (stop < text.length ? "\u2026" : "")));
    return p;
  }

  function item(r, ws, ph) {
    var li = el("li"), t = el("p", "result-title"), a = el("a", "", r[2]);
    a.href = root + r[0];
    t.appendChild(a);
    li.appendChild(t);
    li.appendChild(el("p", "result-meta", r[1] + (r[3] ? " \u00b7 " + r[3] : "")));
    if (r[4]) li.appendChild(el("p", "result-summary", r[4]));
    var s = snippet(r[5], ws, ph);
    if (s) li.appendChild(s);
    return li;
  }

  /* the first ten of a query with CJK runs: those whose title holds every run whole come
     first, then those whose text does (its pairs may be found apart), else as scored */
  function first(docs, ph) {
    function all(t) { t = fold(t); return ph.every(function (w) { return t.indexOf(w) >= 0; }); }
    return docs.map(function (r, i) { return [(all(r[2]) ? 0 : 2) + (all(r[2] + " " + r[4] + " " + r[5]) ? 0 : 1), i, r]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).map(function (x) { return x[2]; });
  }

  function show(hits, from, ws, ol, more, mine, ph) {
    var page = hits.slice(from, from + PAGE);
    return Promise.all(page.map(function (h) { return row(h[1]); })).then(function (docs) {
      if (mine !== seq) return;
      if (!from && ph.length) docs = first(docs, ph);
      docs.forEach(function (r) { ol.appendChild(item(r, ws, ph)); });
      var left = hits.length - from - page.length;
      more.hidden = left <= 0;
      more.textContent = msg("more", { count: Math.min(left, PAGE) });
      more.onclick = function () { show(hits, from + PAGE, ws, ol, more, mine, ph).catch(failed); };
    });
  }

  function failed() {
    out.textContent = "";
    out.appendChild(el("p", "", msg("unavailable")));
  }

  function search(q) {
    var mine = ++seq, ws = words(q), ph = runs(q).filter(function (w) { return IS_CJK.test(w); });
    if (!q) { out.textContent = ""; return; }
    (manifest ? Promise.resolve(manifest) : get("manifest.json")).then(function (m) {
      manifest = m;
      return ws.length ? find(ws) : [];
    }).then(function (hits) {
      if (mine !== seq) return;
      var ol = el("ol", "search-results"), more = el("button", "search-more");
      more.type = "button";
      more.hidden = true;
      out.textContent = "";
      var count = el("p", "search-count", msg(hits.length === 1 ? "results-one" : "results-other",
        { count: hits.length, query: q }));
      count.setAttribute("data-count", String(hits.length));
      out.appendChild(count);
      out.appendChild(ol);
      out.appendChild(more);
      return show(hits, 0, ws, ol, more, mine, ph);
    }).catch(function () { if (mine === seq) failed(); });
  }

  var q = new URLSearchParams(location.search).get("q") || "";
  if (input) {
    input.value = q;
    var timer;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var v = input.value.trim();
        history.replaceState(null, "", v ? "?q=" + encodeURIComponent(v) : location.pathname);
        search(v);
      }, 200);
    });
  }
  out.textContent = "";
  search(q.trim());
})();
