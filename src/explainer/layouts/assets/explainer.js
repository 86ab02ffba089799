/* explainer: previews of citations and cross-links, and the /search/ page.
   Progressive enhancement: without this script every link and list still works.
   Previews read data already on the page (data-* on cross-links, the Sources list). */
(function () {
  "use strict";
  var d = document, box, current, hideTimer, lastTouch = 0, openAtTouch = null;
  d.documentElement.className += " js";

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  /* --- previews --- */
  function content(a) {
    var frag = d.createDocumentFragment(), h = a.getAttribute("href") || "";
    if (a.hasAttribute("data-title")) {
      var kind = a.getAttribute("data-kind"), date = a.getAttribute("data-date"),
        sum = a.getAttribute("data-summary");
      frag.appendChild(el("p", "pv-kind", kind));
      frag.appendChild(el("p", "pv-title", a.getAttribute("data-title")));
      if (date) frag.appendChild(el("p", "pv-date", date));
      if (sum) frag.appendChild(el("p", "pv-summary", sum));
      return frag;
    }
    var li = h.charAt(0) === "#" && d.getElementById(h.slice(1));
    if (!li) return null;
    var ref = li.querySelector(".reference"), p = el("p");
    p.appendChild((ref || li).cloneNode(true));
    [].forEach.call(p.querySelectorAll("[id]"), function (n) { n.removeAttribute("id"); });
    frag.appendChild(el("p", "pv-kind", "Source " + a.textContent));
    frag.appendChild(p);
    var label = a.getAttribute("aria-label") || "", comma = label.indexOf(", ");
    if (comma > 0) frag.appendChild(el("p", "pv-loc", "Cited at: " + label.slice(comma + 2)));
    return frag;
  }

  function show(a) {
    clearTimeout(hideTimer);
    if (current === a) return;
    var c = content(a);
    if (!c) return;
    if (!box) {
      box = el("div", "x-preview");
      box.id = "x-preview";
      box.setAttribute("role", "tooltip");
      box.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
      box.addEventListener("mouseleave", hideSoon);
      d.body.appendChild(box);
    }
    box.textContent = "";
    box.appendChild(c);
    box.hidden = false;
    current = a;
    var r = a.getBoundingClientRect(), sx = window.pageXOffset, sy = window.pageYOffset,
      vw = d.documentElement.clientWidth, w = box.offsetWidth, hgt = box.offsetHeight,
      left = Math.max(8, Math.min(r.left, vw - w - 8)),
      top = r.bottom + 6;
    if (top + hgt > window.innerHeight && r.top - hgt - 6 > 0) top = r.top - hgt - 6;
    box.style.left = left + sx + "px";
    box.style.top = top + sy + "px";
  }

  function hide() {
    clearTimeout(hideTimer);
    if (box) box.hidden = true;
    current = null;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  function previewable(t) {
    var a = t && t.closest && t.closest("a");
    if (!a || (box && box.contains(a))) return null;
    if (a.hasAttribute("data-title")) return a;
    var s = a.parentNode;
    return s && s.matches && s.matches("sup.cite") ? a : null;
  }

  function recentTouch() { return Date.now() - lastTouch < 1000; }
  d.addEventListener("mouseover", function (e) {
    var a = previewable(e.target);
    if (a && !recentTouch()) show(a);
  });
  d.addEventListener("mouseout", function (e) {
    var a = previewable(e.target);
    if (a && a === current && !a.contains(e.relatedTarget)) hideSoon();
  });
  d.addEventListener("focusin", function (e) {
    var a = previewable(e.target);
    if (a) show(a); else if (!(box && box.contains(e.target))) hide();
  });
  d.addEventListener("focusout", function (e) {
    if (previewable(e.target) === current && !recentTouch()) hideSoon();
  });
  d.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && current) hide();
  });
  /* a tap on a touch screen opens the preview first; a second tap follows the link */
  d.addEventListener("touchstart", function (e) {
    lastTouch = Date.now();
    openAtTouch = current && previewable(e.target) === current ? current : null;
  }, { passive: true });
  d.addEventListener("click", function (e) {
    var a = previewable(e.target);
    if (!a) { if (box && !box.contains(e.target)) hide(); return; }
    if (recentTouch() && openAtTouch !== a) { e.preventDefault(); show(a); }
  });
  window.addEventListener("resize", hide);

  /* --- search --- */
  var out = d.getElementById("search-results");
  if (!out) return;
  var input = d.getElementById("search-q"), index = null, pending = null;

  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function load() {
    if (!pending) {
      pending = fetch(out.getAttribute("data-index")).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (j) {
        index = j.entries.map(function (row) {
          return { row: row, t: fold(row[2]), s: fold(row[4]), x: fold(row[5]) };
        });
      });
    }
    return pending;
  }

  function count(hay, w) {
    var n = 0, i = hay.indexOf(w);
    while (i >= 0 && n < 20) { n++; i = hay.indexOf(w, i + w.length); }
    return n;
  }

  function snippet(text, folded, words) {
    var i = folded.indexOf(words[0]), start = Math.max(0, i - 60), p = el("p", "result-snippet");
    if (i < 0) return null;
    var part = text.slice(start, start + 200), low = folded.slice(start, start + 200), pos = 0;
    if (start > 0) p.appendChild(d.createTextNode("…"));
    while (pos < part.length) {
      var best = -1, len = 0;
      words.forEach(function (w) {
        var k = low.indexOf(w, pos);
        if (k >= 0 && (best < 0 || k < best)) { best = k; len = w.length; }
      });
      if (best < 0) break;
      p.appendChild(d.createTextNode(part.slice(pos, best)));
      p.appendChild(el("mark", "", part.slice(best, best + len)));
      pos = best + len;
    }
    p.appendChild(d.createTextNode(part.slice(pos) + (start + 200 < text.length ? "…" : "")));
    return p;
  }

  function run(q) {
    var words = fold(q).split(/\s+/).filter(Boolean), root = out.getAttribute("data-root");
    out.textContent = "";
    if (!words.length) return;
    var hits = [];
    index.forEach(function (e) {
      var score = 0;
      for (var k = 0; k < words.length; k++) {
        var w = words[k], n = count(e.t, w) * 10 + count(e.s, w) * 3 + count(e.x, w);
        if (!n) return;
        score += n;
      }
      hits.push([score, e]);
    });
    hits.sort(function (a, b) { return b[0] - a[0] || (a[1].t < b[1].t ? -1 : 1); });
    out.appendChild(el("p", "search-count", hits.length + (hits.length === 1 ? " result" : " results") +
      " for \u201c" + q + "\u201d" + (hits.length > 50 ? ", the first 50 shown" : "") + "."));
    var ol = el("ol", "search-results");
    hits.slice(0, 50).forEach(function (h) {
      var r = h[1].row, li = el("li"), t = el("p", "result-title"), a = el("a", "", r[2]);
      a.href = root + r[0];
      t.appendChild(a);
      li.appendChild(t);
      li.appendChild(el("p", "result-meta", r[1] + (r[3] ? " \u00b7 " + r[3] : "")));
      if (r[4]) li.appendChild(el("p", "result-summary", r[4]));
      var s = snippet(r[5], h[1].x, words);
      if (s) li.appendChild(s);
      ol.appendChild(li);
    });
    out.appendChild(ol);
  }

  function search(q) {
    load().then(function () { run(q); }, function () {
      out.textContent = "";
      out.appendChild(el("p", "", "The search index could not be loaded."));
    });
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
  if (q.trim()) search(q.trim());
})();
