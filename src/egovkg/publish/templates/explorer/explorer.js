"use strict";
// Shared by the explorer's own pages. Every string from the graph reaches the DOM through
// textContent or setAttribute, never as markup.
const EGK = (() => {
  const root = document.documentElement;
  const data = JSON.parse(document.getElementById("egk-data").textContent);
  const params = () => new URLSearchParams(location.search);
  // the language the page opens in: ?lang= in the URL, else the one it was written with (zh by default)
  const DEFAULT_LANG = data.lang === "en" ? "en" : "zh";
  const asked = params().get("lang");
  let lang = asked === "en" || asked === "zh" ? asked : DEFAULT_LANG;
  const listeners = [];

  function setParams(changes) {
    const p = params();
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === undefined || v === "") p.delete(k);
      else p.set(k, v);
    }
    const q = p.toString();
    try {
      history.replaceState(null, "", location.pathname + (q ? "?" + q : "") + location.hash);
    } catch (e) { /* some file:// setups refuse; the page still works */ }
  }

  // Links to the explorer's own pages carry the language along.
  function withLang(href) {
    if (!href || !href.startsWith("./")) return href;
    const [path, query = ""] = href.split("?");
    // kept as written (node=award:x stays readable), only lang=... added or dropped
    const parts = query.split("&").filter((kv) => kv && !kv.startsWith("lang="));
    if (lang === "en") parts.push("lang=en");
    return path + (parts.length ? "?" + parts.join("&") : "");
  }
  function relinkAll(scope) {
    (scope || document).querySelectorAll('a[href^="./"]').forEach((a) => a.setAttribute("href", withLang(a.getAttribute("href"))));
  }

  function t(pair) {
    if (!pair) return "";
    return lang === "en" ? (pair[1] || pair[0] || "") : (pair[0] || pair[1] || "");
  }

  function applyLang(l) {
    lang = l === "en" ? "en" : "zh";
    root.dataset.egkLang = lang;
    root.lang = lang === "en" ? "en" : "zh-Hans";
    document.querySelectorAll("[data-egk-setlang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.egkSetlang === lang)));
    document.querySelectorAll("[data-label-zh]").forEach((n) => n.setAttribute("aria-label", lang === "en" ? n.dataset.labelEn : n.dataset.labelZh));
    document.title = t(data.title) + " · egovkg";
    relinkAll();
    listeners.forEach((f) => f(lang));
  }
  document.querySelectorAll("[data-egk-setlang]").forEach((b) => b.addEventListener("click", () => {
    applyLang(b.dataset.egkSetlang);
    setParams({ lang: lang === DEFAULT_LANG ? null : lang });
  }));

  // el("a", {href: x, class: "y"}, "text", child, ...): children are text or nodes, never markup.
  function el(tag, attrs, ...children) {
    const svg = ["svg", "g", "rect", "text", "line", "path", "circle", "title", "tspan"].includes(tag);
    const n = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) n.setAttribute(k, k === "href" ? withLang(String(v)) : String(v));
    for (const c of children) if (c !== null && c !== undefined && c !== "") n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return n;
  }
  // A text in both languages, shown by the page's language like the server-written ones.
  function bi(pair) {
    const f = document.createDocumentFragment();
    f.append(el("span", { class: "egk-zh", lang: "zh-Hans" }, pair[0] || pair[1] || ""));
    f.append(el("span", { class: "egk-en", lang: "en" }, pair[1] || pair[0] || ""));
    return f;
  }

  function save(name, blob) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function csvCell(v) {
    const s = v === null || v === undefined ? "" : String(v);
    // a leading = + - @ would be a formula in a spreadsheet
    const safe = /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
    return /[",\n\r]/.test(safe) ? '"' + safe.replace(/"/g, '""') + '"' : safe;
  }
  function saveCsv(name, rows) {
    const text = rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
    save(name, new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" }));
  }
  // PNG of an inline SVG, in the page's current language, at twice its drawn size.
  function savePng(name, svg, extraHeight) {
    const clone = svg.cloneNode(true);
    clone.querySelectorAll(lang === "en" ? ".egk-zh" : ".egk-en").forEach((n) => n.remove());
    const box = svg.viewBox.baseVal;
    const w = box && box.width ? box.width : svg.clientWidth;
    const h = (box && box.height ? box.height : svg.clientHeight) + (extraHeight || 0);
    clone.setAttribute("width", w);
    clone.setAttribute("height", h);
    clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    const img = new Image();
    img.onload = () => {
      const c = document.createElement("canvas");
      c.width = w * 2; c.height = h * 2;
      const ctx = c.getContext("2d");
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height);
      ctx.scale(2, 2);
      ctx.drawImage(img, 0, 0, w, h);
      c.toBlob((b) => save(name, b), "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(clone));
  }

  applyLang(lang);
  return { data, params, setParams, lang: () => lang, onLang: (f) => listeners.push(f), t, el, bi, withLang, relinkAll, saveCsv, savePng };
})();
