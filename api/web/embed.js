// headlines widget: renders the newest headlines into every
// <div data-headlines data-country="RU" data-theme="trade" data-limit="5" data-style="dark">
// on the page, from the public JSON API of the server this script came
// from. Each widget lives in its own shadow root with the iframe widget's
// stylesheet, so the page's styles do not reach it and its styles do not
// reach the page. Text is inserted as text, never as HTML.
(function () {
  "use strict";
  var script = document.currentScript;
  var api = script ? new URL(script.src, document.baseURI).origin : "";
  var css = /*WIDGET_CSS*/"";
  var filters = ["country", "country_all", "country_not", "theme", "theme_all", "theme_not", "q", "source", "section", "language"];
  var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var sheet = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The iframe's format: "2 Jul 2025", in UTC.
  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.getUTCDate() + " " + months[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  // A shadow root with the stylesheet: adopted where the browser can (a
  // constructed sheet needs no 'unsafe-inline' in the page's CSP), else a
  // <style> element.
  function shadow(box) {
    var root = box.shadowRoot || box.attachShadow({ mode: "open" });
    while (root.firstChild) root.removeChild(root.firstChild);
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(css); }
        root.adoptedStyleSheets = [sheet];
        return root;
      } catch (e) { /* fall back to a style element */ }
    }
    root.appendChild(el("style", null, css));
    return root;
  }

  function link(text, href, cls) {
    var a = el("a", cls, text);
    if (/^https?:\/\//i.test(href)) a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function render(box, title, articles, failed, more) {
    var root = shadow(box);
    var dark = box.getAttribute("data-style") === "dark";
    var w = el("section", dark ? "widget dark" : "widget");
    w.appendChild(el("h1", null, title));
    if (failed || !articles.length) {
      w.appendChild(el("p", "empty", failed ? "Headlines are unavailable right now." : "No headlines yet."));
    } else {
      var list = el("ol");
      articles.forEach(function (a) {
        var li = el("li");
        li.appendChild(link(a.title, a.url || api + "/articles/" + a.id));
        var meta = el("span", "meta", a.source ? a.source + " · " : "");
        var time = el("time", null, when(a.published_at));
        time.setAttribute("datetime", a.published_at);
        meta.appendChild(time);
        li.appendChild(meta);
        list.appendChild(li);
      });
      w.appendChild(list);
    }
    var footer = el("footer");
    footer.appendChild(link("More headlines", more));
    w.appendChild(footer);
    root.appendChild(w);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function load(box) {
    var q = new URLSearchParams();
    var more = new URLSearchParams(); // the front page takes country and theme only
    filters.forEach(function (f) {
      var v = box.getAttribute("data-" + f.replace(/_/g, "-")) || box.getAttribute("data-" + f);
      if (v) q.set(f, v);
      if (v && (f === "country" || f === "theme")) more.set(f, v);
    });
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    q.set("limit", String(limit >= 1 && limit <= 100 ? limit : 5));
    var moreURL = api + "/" + (more.toString() ? "?" + more.toString() : "");
    // The heading names the filter as the iframe's does: the server says
    // it in the oEmbed answer for the equivalent widget URL.
    var title = getJSON(api + "/oembed?url=" + encodeURIComponent(api + "/embed/headlines?" + q.toString()))
      .then(function (o) { return o.title || "Headlines"; }, function () { return "Headlines"; });
    var fields = new URLSearchParams(q);
    fields.set("fields", "title,url,source,published_at");
    var list = getJSON(api + "/v1/articles?" + fields.toString())
      .then(function (body) { return { data: body.data || [] }; }, function () { return { failed: true }; });
    Promise.all([title, list]).then(function (r) {
      render(box, r[0], r[1].data || [], r[1].failed, moreURL);
    });
  }

  function start() {
    var boxes = document.querySelectorAll("div[data-headlines]");
    for (var i = 0; i < boxes.length; i++) load(boxes[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
