/* explainer: previews of citations and cross-links (the /search/ page has assets/search.js).
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
    /* the marker's own label, in the page's language: the source, then the place cited
       ("Source 3, p. 4"), as a screen reader says it */
    var label = a.getAttribute("aria-label") || a.textContent, comma = label.indexOf(", ");
    frag.appendChild(el("p", "pv-kind", comma > 0 ? label.slice(0, comma) : label));
    frag.appendChild(p);
    if (comma > 0) frag.appendChild(el("p", "pv-loc", label.slice(comma + 2)));
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
})();
