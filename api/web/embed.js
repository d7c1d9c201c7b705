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

  // failed is null, or what went wrong: { mistake: "country: unknown …" }
  // when the API refused the widget's settings (a 4xx), else an outage.
  function render(box, title, articles, failed, more) {
    var root = shadow(box);
    var dark = box.getAttribute("data-style") === "dark";
    var w = el("section", dark ? "widget dark" : "widget");
    w.appendChild(el("h1", null, title));
    if (failed && failed.mistake) {
      var problem = el("div", "problem");
      problem.setAttribute("role", "alert");
      problem.appendChild(el("p", "lead", "This widget's settings are wrong:"));
      failed.mistake.forEach(function (m) {
        var p = el("p", "field");
        if (m.field) { p.appendChild(el("code", null, m.field)); p.appendChild(document.createTextNode(": ")); }
        p.appendChild(document.createTextNode(m.message));
        problem.appendChild(p);
      });
      w.appendChild(problem);
    } else if (failed || !articles.length) {
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

  // getJSON rejects with { status, problem } on an error answer (problem
  // is the problem+json body, or null), or with the network's error.
  function getJSON(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (r.ok) return r.json();
      return r.json().catch(function () { return null; }).then(function (problem) {
        throw { status: r.status, problem: problem };
      });
    });
  }

  // mistakes are what the API refused in a widget's settings, each
  // { field, message } ("country", "unknown country …"), or null when the
  // failure was not the settings' (network, 5xx, 429).
  function mistakes(err) {
    if (!err || !(err.status >= 400 && err.status < 500) || err.status === 429) return null;
    var p = err.problem || {};
    var found = (p.errors || []).map(function (f) { return { field: String(f.field), message: String(f.message) }; });
    if (!found.length) found = [{ field: "", message: String(p.detail || "HTTP " + err.status) }];
    return found;
  }

  function said(m) { return (m.field ? m.field + ": " : "") + m.message; }

  function load(box) {
    var q = new URLSearchParams();
    var more = new URLSearchParams(); // the front page takes country and theme only
    filters.forEach(function (f) {
      var v = box.getAttribute("data-" + f.replace(/_/g, "-")) || box.getAttribute("data-" + f);
      if (v) q.set(f, v);
      if (v && (f === "country" || f === "theme")) more.set(f, v);
    });
    // A limit the API refuses is reported like any other mistake.
    q.set("limit", box.getAttribute("data-limit") || "5");
    var moreURL = api + "/" + (more.toString() ? "?" + more.toString() : "");
    // The heading names the filter as the iframe's does: the server says
    // it in the oEmbed answer for the equivalent widget URL.
    var title = getJSON(api + "/oembed?url=" + encodeURIComponent(api + "/embed/headlines?" + q.toString()))
      .then(function (o) { return o.title || "Headlines"; }, function () { return "Headlines"; });
    var fields = new URLSearchParams(q);
    fields.set("fields", "title,url,source,published_at");
    var list = getJSON(api + "/v1/articles?" + fields.toString())
      .then(function (body) { return { data: body.data || [] }; }, function (err) {
        var m = mistakes(err);
        if (m) console.warn("headlines widget: " + m.map(said).join("; "), box);
        return { failed: m ? { mistake: m } : { outage: true } };
      });
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
