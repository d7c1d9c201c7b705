// headlines widget: renders the newest headlines into every
// <div data-headlines data-country="RU" data-theme="trade" data-limit="5">
// on the page, from the public JSON API of the server this script came
// from. Text is inserted as text, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var api = script ? new URL(script.src).origin : "";
  var filters = ["country", "country_all", "country_not", "theme", "theme_all", "theme_not", "q", "source", "section", "language"];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }

  function render(box, articles) {
    box.textContent = "";
    var list = el("ol", "headlines-list");
    list.style.listStyle = "none";
    list.style.padding = "0";
    list.style.margin = "0";
    articles.forEach(function (a) {
      var li = el("li", "headlines-item");
      li.style.padding = "6px 0";
      var link = el("a", "headlines-title", a.title);
      var href = a.url || api + "/v1/articles/" + a.id;
      if (/^https?:\/\//i.test(href)) link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      li.appendChild(link);
      var meta = (a.source ? a.source + " · " : "") + when(a.published_at);
      var small = el("small", "headlines-meta", meta);
      small.style.display = "block";
      small.style.opacity = "0.7";
      li.appendChild(small);
      list.appendChild(li);
    });
    if (!articles.length) list.appendChild(el("li", "headlines-empty", "No headlines yet."));
    box.appendChild(list);
  }

  function load(box) {
    var q = new URLSearchParams();
    filters.forEach(function (f) {
      var v = box.getAttribute("data-" + f.replace(/_/g, "-")) || box.getAttribute("data-" + f);
      if (v) q.set(f, v);
    });
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    q.set("limit", String(limit >= 1 && limit <= 100 ? limit : 5));
    q.set("fields", "title,url,source,published_at");
    fetch(api + "/v1/articles?" + q.toString(), { credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (body) { render(box, body.data || []); })
      .catch(function () { box.textContent = "Headlines are unavailable right now."; });
  }

  function start() {
    var boxes = document.querySelectorAll("div[data-headlines]");
    for (var i = 0; i < boxes.length; i++) load(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
