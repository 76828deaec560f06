// egovkg query workbench: the editor, the catalogue, the two engines (served endpoint or
// Oxigraph in a Web Worker), result views, downloads, shareable links and provenance.
// A classic script (no modules), so that the page still shows its examples from file://.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("wb-config").textContent);
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt",
    "unsignedLong", "unsignedShort", "unsignedByte"].map((t) => XSD + t));
  const TEMPORAL = new Set(["date", "dateTime", "gYear", "gYearMonth"].map((t) => XSD + t));
  const MAX_ROWS_SHOWN = 2000;
  const $ = (id) => document.getElementById(id);

  // ---- small DOM helpers ------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "style") e.style.cssText = v; // CSSOM: allowed by a style-src without 'unsafe-inline'
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  // a user-facing string in both languages: Chinese first, then English
  function bi(zh, en) {
    return el("span", { class: "bi" }, el("span", { lang: "zh" }, zh), " ", el("span", { lang: "en" }, en));
  }
  function setContent(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  }

  // ---- the catalogue's header and parameter binding (a port of egovkg.query) ---------------

  const PARAM_TYPES = ["string", "lang", "integer", "iri", "year"];
  const IRI_FORBIDDEN = /[\x00-\x20<>"{}|^`\\]/;
  const IRIREF = /<[^<>"{}|^`\\\x00-\x20]*>/g;
  const STRING = /"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'/g;
  const ECHAR = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

  class QueryError extends Error {}

  function parseHeader(text) {
    let summary = "", description = "";
    const params = [];
    for (const line of text.split(/\r\n|\n|\r/)) {
      if (!line.startsWith("#+")) {
        if (line.trim() && !line.startsWith("#")) break;
        continue;
      }
      const body = line.slice(2);
      const colon = body.indexOf(":");
      const key = (colon < 0 ? body : body.slice(0, colon)).trim();
      const value = colon < 0 ? "" : body.slice(colon + 1).trim();
      if (key === "summary") summary = value;
      else if (key === "description") description = (description + " " + value).trim();
      else if (key === "param") {
        const parts = value.split("|").map((p) => p.trim());
        if (parts.length !== 4 || !parts[0] || !PARAM_TYPES.includes(parts[1])) return null;
        params.push({ name: parts[0], type: parts[1], default: parts[2] || null, description: parts[3] });
      } else return null;
    }
    if (!summary) return null;
    return { summary, description, params };
  }

  function escaped(value) {
    const chars = Array.from(value);
    return chars.map((c, i) => {
      if ((c === "u" || c === "U") && i && chars[i - 1] === "\\") {
        return "\\U" + c.codePointAt(0).toString(16).toUpperCase().padStart(8, "0");
      }
      return ECHAR[c] || c;
    }).join("");
  }

  // the RDF term of a parameter value in SPARQL syntax, checked against its declared type
  function paramTerm(p, value) {
    if (p.type === "iri") {
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value) || IRI_FORBIDDEN.test(value)) {
        throw new QueryError(`parameter ${p.name}: '${value}' is not an absolute IRI`);
      }
      return `<${value}>`;
    }
    if (p.type === "integer") {
      if (!/^[+-]?[0-9]+$/.test(value)) throw new QueryError(`parameter ${p.name}: '${value}' is not an integer`);
      return `"${BigInt(value).toString()}"^^<${XSD}integer>`;
    }
    if (p.type === "year") {
      if (!/^[0-9]{4}$/.test(value)) throw new QueryError(`parameter ${p.name}: '${value}' is not a year (YYYY)`);
      return `"${value}"^^<${XSD}gYear>`;
    }
    if (p.type === "lang") {
      if (value !== "*" && !/^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/.test(value)) {
        throw new QueryError(`parameter ${p.name}: '${value}' is not a language tag (or *)`);
      }
      return `"${escaped(value.toLowerCase())}"`;
    }
    return `"${escaped(value)}"`;
  }

  function outerWhere(text) {
    const re = /\bWHERE\s*\{/gi;
    let m;
    while ((m = re.exec(text)) !== null) {
      const lineStart = text.lastIndexOf("\n", m.index - 1) + 1;
      const before = text.slice(lineStart, m.index).replace(IRIREF, "").replace(STRING, "");
      if (!before.includes("#")) return { index: m.index, end: m.index + m[0].length };
    }
    return null;
  }

  // {text, insertAt, inserted}: the query with its parameters bound by a VALUES block after the first WHERE {
  function bind(text, params, given) {
    if (!params.length) return { text, insertAt: -1, inserted: 0 };
    const names = [], terms = [];
    for (const p of params) {
      const value = Object.prototype.hasOwnProperty.call(given, p.name) && given[p.name] !== "" ? given[p.name] : p.default;
      if (value === null || value === undefined) {
        throw new QueryError(`parameter '${p.name}' is required (${p.description})`);
      }
      names.push("?" + p.name);
      terms.push(paramTerm(p, value));
    }
    const m = outerWhere(text);
    if (!m) throw new QueryError("parameters need an explicit 'WHERE {' in the query");
    const block = `\n  VALUES (${names.join(" ")}) { (${terms.join(" ")}) }\n`;
    return { text: text.slice(0, m.end) + block + text.slice(m.end), insertAt: m.end, inserted: block.length };
  }

  const UPDATE = /^\s*(?:(?:PREFIX\s+[^\s:]*:|BASE)\s*\S*\s*)*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b/i;
  function looksLikeUpdate(text) {
    const code = text.replace(/#[^\n]*/g, " ").replace(IRIREF, " ").replace(STRING, " ");
    return UPDATE.test(code);
  }

  // ---- engines ----------------------------------------------------------------------------

  class TimeLimit extends Error {}

  class StaticEngine {
    constructor() { this.worker = null; this.ready = null; this.next = 1; this.pending = new Map(); this.stats = null; }
    name() { return "static"; }
    start() {
      if (this.ready) return this.ready;
      const url = (p) => new URL(p, document.baseURI).href;
      this.worker = new Worker(url("assets/query/worker.js"), { type: "module" });
      this.worker.onmessage = (e) => {
        const job = this.pending.get(e.data.id);
        if (!job) return;
        this.pending.delete(e.data.id);
        clearTimeout(job.timer);
        if (e.data.ok) job.resolve(e.data);
        else job.reject(new Error(e.data.error));
      };
      this.worker.onerror = (e) => {
        const err = new Error(e.message || "the query engine's worker could not start");
        for (const job of this.pending.values()) { clearTimeout(job.timer); job.reject(err); }
        this.pending.clear();
        e.preventDefault();
      };
      this.ready = this.post({ op: "init", oxigraph: url(config.vendor.oxigraph), wasm: url(config.vendor.wasm), dump: url(config.dump) }, 0)
        .then((stats) => { this.stats = stats; return stats; });
      this.ready.catch(() => { this.stop(); });
      return this.ready;
    }
    stop() {
      if (this.worker) this.worker.terminate();
      for (const job of this.pending.values()) { clearTimeout(job.timer); }
      this.pending.clear();
      this.worker = null; this.ready = null;
    }
    post(msg, limitMs) {
      return new Promise((resolve, reject) => {
        const id = this.next++;
        let timer = null;
        if (limitMs > 0) {
          timer = setTimeout(() => {
            this.pending.delete(id);
            this.stop(); // the only way to stop WebAssembly mid-query; the next query starts a new engine
            reject(new TimeLimit());
          }, limitMs);
        }
        this.pending.set(id, { resolve, reject, timer });
        this.worker.postMessage({ ...msg, id });
      });
    }
    async query(text, limitMs) {
      await this.start();
      return this.post({ op: "query", text, format: "json" }, limitMs);
    }
    async serialize(text, format, limitMs) {
      await this.start();
      const out = await this.post({ op: "query", text, format: format === "json" ? "json-text" : format }, limitMs);
      return out.text;
    }
  }

  const ACCEPT = {
    csv: "text/csv", tsv: "text/tab-separated-values", json: "application/sparql-results+json", nt: "application/n-triples",
  };

  class ServedEngine {
    name() { return "served"; }
    start() { return Promise.resolve(null); }
    async fetch(text, accept, limitMs) {
      const controller = new AbortController();
      const timer = limitMs > 0 ? setTimeout(() => controller.abort(), limitMs) : null;
      try {
        const response = await fetch(config.endpoint || "sparql", {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: accept },
          body: new URLSearchParams({ query: text }).toString(),
          signal: controller.signal,
        });
        const body = await response.text();
        if (!response.ok) throw new Error(body.trim() || `HTTP ${response.status}`);
        return { body, type: response.headers.get("Content-Type") || "" };
      } catch (err) {
        if (err.name === "AbortError") throw new TimeLimit();
        throw err;
      } finally {
        clearTimeout(timer);
      }
    }
    async query(text, limitMs) {
      const r = await this.fetch(text, "application/sparql-results+json, application/n-triples;q=0.9", limitMs);
      if (r.type.includes("json")) {
        const json = JSON.parse(r.body);
        return { kind: "boolean" in json ? "ask" : "select", json };
      }
      return { kind: "graph", triples: parseNTriples(r.body) };
    }
    async serialize(text, format, limitMs) {
      return (await this.fetch(text, ACCEPT[format], limitMs)).body;
    }
  }

  function unescapeNT(s) {
    return s.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, (m, u4, u8, c) => {
      if (u4 || u8) return String.fromCodePoint(parseInt(u4 || u8, 16));
      return { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f", '"': '"', "'": "'", "\\": "\\" }[c] ?? c;
    });
  }
  function parseNTriples(text) {
    const TERM = /\s*(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?)/y;
    const out = [];
    for (const line of text.split("\n")) {
      if (!line.trim() || line.trim().startsWith("#")) continue;
      const triple = [];
      TERM.lastIndex = 0;
      for (let i = 0; i < 3; i++) {
        const m = TERM.exec(line);
        if (!m) break;
        if (m[1] !== undefined) triple.push({ type: "uri", value: unescapeNT(m[1]) });
        else if (m[2] !== undefined) triple.push({ type: "bnode", value: m[2] });
        else {
          const t = { type: "literal", value: unescapeNT(m[3]) };
          if (m[4]) t["xml:lang"] = m[4].toLowerCase();
          else if (m[5] && m[5] !== XSD + "string") t.datatype = m[5];
          triple.push(t);
        }
      }
      if (triple.length === 3) out.push(triple);
    }
    return out;
  }

  // ---- labels and links -------------------------------------------------------------------

  let terms = { prefixes: config.prefixes || [], classes: [], properties: [], resources: {} };
  let prefixesByLength = [];
  function setTerms(t) {
    terms = t;
    prefixesByLength = t.prefixes.slice().sort((a, b) => b[1].length - a[1].length);
  }
  function curie(iri) {
    for (const [p, ns] of prefixesByLength) {
      if (iri.startsWith(ns) && iri.length > ns.length) return `${p}:${iri.slice(ns.length)}`;
    }
    return iri;
  }
  function resource(iri) {
    const r = terms.resources[iri];
    return r ? { href: r[0], zh: r[1], en: r[2] } : null;
  }
  function labelOf(iri) {
    const r = resource(iri);
    if (r && (r.zh || r.en)) return [r.zh, r.en].filter(Boolean).join(" · ");
    return curie(iri);
  }

  // ---- state ------------------------------------------------------------------------------

  const state = {
    engine: null, mode: "", yasqe: null, paramValues: {}, header: null, name: "",
    last: null, // {bound, result, ms, name}
    running: false, view: "table",
  };
  const readyCallbacks = [];
  let readyResolved = false;

  // ---- editor -----------------------------------------------------------------------------

  function makeEditor() {
    const host = $("wb-editor");
    const Y = window.Yasqe;
    if (!Y) {
      const ta = el("textarea", { class: "wb-plain", "aria-label": "SPARQL", spellcheck: "false", rows: 14 });
      host.append(ta);
      return { getValue: () => ta.value, setValue: (v) => { ta.value = v; }, on: (ev, f) => ta.addEventListener("input", f), plain: true };
    }
    const termsReady = termsPromise.then(() => terms).catch(() => terms);
    const common = { persistenceId: null, autoShow: true };
    Y.forkAutocompleter("prefixes", { ...common, name: "egov-prefixes",
      get: () => termsReady.then((t) => t.prefixes.map(([p, ns]) => `${p}: <${ns}>`).sort()) }, false);
    Y.forkAutocompleter("class", { ...common, name: "egov-classes", bulk: true, get: () => termsReady.then((t) => t.classes) }, false);
    Y.forkAutocompleter("property", { ...common, name: "egov-properties", bulk: true, get: () => termsReady.then((t) => t.properties) }, false);
    const yasqe = new Y(host, {
      persistenceId: null,
      showQueryButton: false,
      resizeable: true,
      editorHeight: "300px",
      createShareableLink: null,
      consumeShareLink: null,
      prefixCcApi: null,
      autocompleters: ["egov-prefixes", "variables", "egov-classes", "egov-properties"],
      value: "",
    });
    yasqe.query = () => { run(); return Promise.resolve(); }; // Ctrl-Enter runs here, never on YASQE's default endpoint
    return yasqe;
  }

  function editorText() { return state.yasqe.getValue(); }
  function setEditorText(text) {
    state.yasqe.setValue(text);
    if (!state.yasqe.plain) state.yasqe.clearHistory?.();
  }

  // ---- parameters -------------------------------------------------------------------------

  function refreshParams() {
    const header = parseHeader(editorText());
    state.header = header;
    const params = header ? header.params : [];
    const box = $("wb-params"), list = $("wb-param-list");
    box.hidden = !params.length;
    const key = JSON.stringify(params);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    setContent(list, params.map((p) => {
      const id = `wb-param-${p.name}`;
      const input = el("input", {
        id, name: p.name, type: "text", value: state.paramValues[p.name] ?? p.default ?? "",
        placeholder: p.default ?? "", "data-param": p.name, spellcheck: "false",
        oninput: (e) => { state.paramValues[p.name] = e.target.value; updateShare(); },
      });
      return el("div", { class: "wb-param" },
        el("label", { for: id }, el("code", {}, "?" + p.name), " ", el("span", { class: "wb-ptype" }, p.type)),
        input,
        el("span", { class: "wb-pdesc" }, p.description));
    }));
  }

  function givenParams() {
    const out = {};
    const params = state.header ? state.header.params : [];
    for (const p of params) {
      const v = state.paramValues[p.name];
      if (v !== undefined && v !== "") out[p.name] = v;
    }
    return out;
  }

  // ---- shareable URL ----------------------------------------------------------------------

  function shareURL() {
    const u = new URL(location.href);
    u.hash = "";
    const q = new URLSearchParams();
    q.set("query", editorText());
    const given = givenParams();
    for (const name of Object.keys(given).sort()) q.set("p." + name, given[name]);
    const t = $("wb-timeout").value;
    if (t && t !== String(config.timeout || 30)) q.set("timeout", t);
    u.search = q.toString();
    return u.href;
  }
  function updateShare() { $("wb-share").href = shareURL(); }

  // ---- catalogue list ---------------------------------------------------------------------

  function showCatalogue() {
    const list = $("wb-catalogue");
    const reports = config.catalogue.filter((q) => !q.check);
    const checks = config.catalogue.filter((q) => q.check);
    const item = (q) => el("li", { "data-name": q.name },
      el("button", { type: "button", class: "wb-example", "data-name": q.name, title: q.description || q.summary,
        onclick: () => { select(q.name); run(); } },
      el("span", { class: "wb-ex-name" }, q.name), el("span", { class: "wb-ex-sum" }, q.summary),
      q.params.length ? el("span", { class: "wb-ex-params" }, q.params.map((p) => "?" + p.name).join(" ")) : null));
    setContent(list, reports.map(item),
      checks.length ? el("li", { class: "wb-ex-group" }, bi("检查（应无结果）", "Checks (return no rows on a correct graph)")) : null,
      checks.map(item));
    $("wb-filter").addEventListener("input", (e) => {
      const words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const li of list.querySelectorAll("li[data-name]")) {
        const q = config.catalogue.find((x) => x.name === li.dataset.name);
        const hay = (q.name + " " + q.summary + " " + q.description).toLowerCase();
        li.hidden = !words.every((w) => hay.includes(w));
      }
    });
  }

  function select(name) {
    const q = config.catalogue.find((x) => x.name === name);
    if (!q) throw new QueryError(`unknown query '${name}'`);
    state.name = name;
    state.paramValues = {};
    setEditorText(q.text);
    refreshParams();
    showAbout(q);
    for (const b of document.querySelectorAll(".wb-example")) b.classList.toggle("wb-current", b.dataset.name === name);
    updateShare();
  }

  function showAbout(q) {
    const about = $("wb-about");
    if (!q) { about.hidden = true; return; }
    about.hidden = false;
    setContent(about, el("strong", {}, q.name), ": ", q.summary,
      q.description ? el("p", {}, q.description) : null);
  }

  // ---- running ----------------------------------------------------------------------------

  function limitMs() {
    const s = Number($("wb-timeout").value);
    return Number.isFinite(s) && s > 0 ? Math.round(s * 1000) : 30000;
  }

  function status(...children) { setContent($("wb-status"), ...children); }
  function showError(...children) {
    const box = $("wb-error");
    box.hidden = !children.length;
    setContent(box, ...children);
  }

  // map a position in the bound text back to the editor's text
  function editorPosition(line, col, binding) {
    if (binding.insertAt < 0) return { line, col };
    const lines = binding.text.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(col - 1, 0);
    if (offset >= binding.insertAt + binding.inserted) offset -= binding.inserted;
    else if (offset >= binding.insertAt) offset = binding.insertAt;
    const before = binding.text.slice(0, binding.insertAt) + binding.text.slice(binding.insertAt + binding.inserted);
    const head = before.slice(0, offset).split("\n");
    return { line: head.length, col: head[head.length - 1].length + 1 };
  }

  let errorMark = null;
  function markError(line, col) {
    if (state.yasqe.plain) return;
    errorMark?.clear();
    const cm = state.yasqe;
    // Oxigraph may point past the last line (the end of the input): mark the last character written
    while (line > 1 && (line > cm.lineCount() || (!cm.getLine(line - 1).trim() && line > cm.lineCount() - 1))) {
      line -= 1;
      col = (cm.getLine(line - 1) ?? "").replace(/\s+$/, "").length;
    }
    const text = cm.getLine(line - 1) ?? "";
    const from = { line: line - 1, ch: Math.min(Math.max(col - 1, 0), text.length) };
    const to = { line: line - 1, ch: Math.min(from.ch + 1, text.length) };
    if (from.ch === to.ch && from.ch > 0) from.ch -= 1;
    errorMark = cm.markText(from, to, { className: "wb-syntax-error" });
    cm.setCursor(from);
  }

  function explainError(err, binding) {
    const msg = String(err.message || err);
    const m = /error at (\d+):(\d+): ([\s\S]*)/.exec(msg);
    if (m) {
      const pos = editorPosition(Number(m[1]), Number(m[2]), binding);
      markError(pos.line, pos.col);
      return [el("strong", {}, bi("SPARQL 语法错误", "SPARQL syntax error")), " ",
        el("span", { class: "wb-where", "data-line": pos.line, "data-col": pos.col },
          bi(`第 ${pos.line} 行第 ${pos.col} 列`, `line ${pos.line}, column ${pos.col}`)), ": ",
        el("code", {}, m[3].split(/\s+/).join(" ").slice(0, 300))];
    }
    return [el("strong", {}, bi("查询失败", "The query failed")), ": ", el("code", {}, msg.slice(0, 600))];
  }

  async function run() {
    if (state.running) return;
    errorMark?.clear();
    showError();
    updateShare();
    const text = editorText();
    if (!text.trim()) { showError(bi("请输入查询。", "Write a query first.")); document.body.dataset.state = "error"; return; }
    if (looksLikeUpdate(text)) {
      showError(el("strong", {}, bi("只读", "Read-only")), ": ",
        bi("SPARQL 更新（INSERT、DELETE、DROP、LOAD…）不会执行。", "SPARQL updates (INSERT, DELETE, DROP, LOAD …) are not run here."));
      document.body.dataset.state = "error";
      return;
    }
    let binding;
    try {
      binding = bind(text, state.header ? state.header.params : [], givenParams());
    } catch (err) {
      showError(el("strong", {}, bi("参数错误", "Parameter error")), ": ", err.message);
      document.body.dataset.state = "error";
      return;
    }
    history.replaceState(null, "", shareURL());
    state.running = true;
    document.body.dataset.state = "running";
    $("wb-run").disabled = true;
    const limit = limitMs();
    status(bi("正在运行…", "Running…"));
    const t0 = performance.now();
    try {
      const result = await state.engine.query(binding.text, limit);
      const ms = performance.now() - t0;
      state.last = { binding, result, ms, name: state.name || "query" };
      if (window.__wbFirstAnswer === undefined) window.__wbFirstAnswer = performance.now();
      render();
      document.body.dataset.state = "done";
    } catch (err) {
      state.last = null;
      setContent($("wb-results"));
      $("wb-tabs").hidden = true;
      if (err instanceof TimeLimit) {
        showError(el("strong", {}, bi("超过时限", "Time limit reached")), ": ",
          bi(`查询运行超过 ${limit / 1000} 秒，已被停止。`, `the query ran longer than ${limit / 1000} s and was stopped.`), " ",
          bi("可以提高上面的“时限”，或缩小查询范围（例如加 LIMIT）。", "Raise the time limit above, or narrow the query (a LIMIT, a more specific pattern)."));
        status(bi("已停止", "Stopped"));
        document.body.dataset.state = "timeout";
        if (state.engine.name() === "static") restartEngine();
      } else {
        showError(...explainError(err, binding));
        status(bi("出错", "Error"));
        document.body.dataset.state = "error";
      }
    } finally {
      state.running = false;
      $("wb-run").disabled = false;
    }
  }

  function restartEngine() {
    status(bi("时限已到，查询引擎已停止；正在重新载入数据…", "Time limit reached: the engine was stopped; reloading the data…"));
    state.engine.start().then(() => status(bi("已停止；引擎已就绪。", "Stopped; the engine is ready again.")),
      (err) => showError(bi("引擎无法重新启动", "The engine could not restart"), ": ", String(err.message || err)));
  }

  // ---- downloads --------------------------------------------------------------------------

  async function exportText(format) {
    if (!state.last) throw new QueryError("run a query first");
    let text = await state.engine.serialize(state.last.binding.text, format, limitMs());
    if (!text.endsWith("\n")) text += "\n"; // as egovkg query writes it
    return text;
  }

  async function download(format) {
    try {
      const text = await exportText(format);
      const type = { csv: "text/csv", tsv: "text/tab-separated-values", json: "application/sparql-results+json", nt: "application/n-triples" }[format];
      const blob = new Blob([text], { type: `${type};charset=utf-8` });
      const a = el("a", { href: URL.createObjectURL(blob), download: `${state.last.name}.${format}` });
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    } catch (err) {
      showError(el("strong", {}, bi("下载失败", "Download failed")), ": ", err instanceof TimeLimit ? "time limit" : String(err.message || err));
    }
  }

  // ---- results ----------------------------------------------------------------------------

  function columns() {
    const r = state.last.result;
    if (r.kind === "graph") return ["subject", "predicate", "object"];
    return r.json.head.vars || [];
  }
  function rows() {
    const r = state.last.result;
    if (r.kind === "graph") return r.triples.map(([s, p, o]) => ({ subject: s, predicate: p, object: o }));
    return r.json.results ? r.json.results.bindings : [];
  }

  function render() {
    const r = state.last.result;
    const dl = document.querySelectorAll(".wb-downloads button");
    for (const b of dl) b.hidden = r.kind === "graph" ? b.dataset.format !== "nt" : b.dataset.format === "nt";
    const ms = Math.round(state.last.ms);
    if (r.kind === "ask") {
      status(bi(`完成，用时 ${ms} 毫秒`, `done in ${ms} ms`));
      $("wb-tabs").hidden = true;
      setContent($("wb-results"), el("p", { class: "wb-boolean", "data-boolean": String(r.json.boolean) },
        r.json.boolean ? bi("是", "true") : bi("否", "false")));
      return;
    }
    const n = rows().length;
    const what = r.kind === "graph" ? ["个三元组", n === 1 ? "triple" : "triples"] : ["行", n === 1 ? "row" : "rows"];
    status(bi(`${n} ${what[0]}，用时 ${ms} 毫秒`, `${n} ${what[1]} in ${ms} ms`));
    const views = availableViews();
    if (!views.includes(state.view)) state.view = "table";
    const tabs = $("wb-tabs");
    tabs.hidden = views.length < 2;
    const names = { table: ["表格", "Table"], graph: ["图", "Graph"], map: ["地图", "Map"], timeline: ["时间线", "Timeline"], chart: ["条形图", "Bar chart"] };
    setContent(tabs, views.map((v) => el("button", {
      type: "button", role: "tab", "data-view": v, "aria-selected": String(v === state.view),
      onclick: () => { state.view = v; render(); },
    }, bi(...names[v]))));
    const box = $("wb-results");
    setContent(box);
    box.dataset.view = state.view;
    ({ table: renderTable, graph: renderGraph, map: renderMap, timeline: renderTimeline, chart: renderChart })[state.view](box);
  }

  // ---- result shapes ----------------------------------------------------------------------

  function isNumber(t) { return t && t.type === "literal" && NUMERIC.has(t.datatype) && Number.isFinite(Number(t.value)); }
  function isTemporal(t) {
    return t && t.type === "literal" && (TEMPORAL.has(t.datatype) || (!t.datatype && !t["xml:lang"] && /^\d{4}(-\d\d(-\d\d)?)?$/.test(t.value)));
  }
  function columnWhere(test, exclude = []) {
    const rs = rows();
    return columns().filter((v) => !exclude.includes(v)).find((v) => {
      const vals = rs.map((r) => r[v]).filter(Boolean);
      return vals.length && vals.every(test);
    });
  }
  const REGION = () => new RegExp("^" + config.base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "region/(\\d{6})$");
  function regionCode(t) {
    if (!t) return null;
    if (t.type === "uri") { const m = REGION().exec(t.value); return m ? m[1] : null; }
    if (t.type === "literal" && /^\d{6}$/.test(t.value)) return t.value;
    return null;
  }
  function labelColumn(exclude) {
    const vars = columns().filter((v) => !exclude.includes(v));
    const rs = rows();
    const text = (v) => rs.some((r) => r[v]) && rs.every((r) => !r[v] || (r[v].type === "literal" && !isNumber(r[v]) && !isTemporal(r[v])) || r[v].type === "uri");
    return vars.find((v) => /_zh$/.test(v) && text(v)) || vars.find((v) => /_en$/.test(v) && text(v))
      || vars.find((v) => text(v) && rs.some((r) => r[v] && r[v].type === "literal")) || vars.find(text);
  }
  function availableViews() {
    const out = ["table"];
    const r = state.last.result;
    const rs = rows();
    if (!rs.length) return out;
    if (r.kind === "graph") { out.push("graph"); return out; }
    const iriCols = columns().filter((v) => rs.some((x) => x[v] && x[v].type === "uri"));
    if (iriCols.length >= 2) out.push("graph");
    if (columnWhere((t) => regionCode(t) !== null)) out.push("map");
    if (columnWhere(isTemporal)) out.push("timeline");
    const num = columnWhere(isNumber);
    if (num && labelColumn([num])) out.push("chart");
    return out;
  }

  function cellText(t) {
    if (!t) return "";
    if (t.type === "uri") return labelOf(t.value);
    if (t.type === "bnode") return "_:" + t.value;
    return t.value;
  }

  function entityButton(iri, text) {
    return el("button", { type: "button", class: "wb-entity", "data-iri": iri, title: `出处 Provenance: ${iri}`,
      onclick: () => provenance(iri) }, text);
  }

  function termNode(t) {
    if (!t) return "";
    if (t.type === "uri") {
      const r = resource(t.value);
      const parts = [];
      if (r && (r.zh || r.en)) {
        if (r.zh) parts.push(el("span", { lang: "zh" }, r.zh));
        if (r.zh && r.en) parts.push(el("span", { class: "sep" }, " · "));
        if (r.en) parts.push(el("span", { lang: "en" }, r.en));
      } else parts.push(curie(t.value));
      const href = r && r.href ? r.href : (/^https?:/.test(t.value) ? t.value : null);
      return el("span", { class: "wb-iri" }, entityButton(t.value, parts),
        href ? el("a", { href, class: "wb-page", title: t.value, rel: r && r.href ? null : "external noopener noreferrer" },
          el("code", { class: "curie" }, curie(t.value))) : el("code", { class: "curie" }, curie(t.value)));
    }
    if (t.type === "bnode") return el("code", {}, "_:" + t.value);
    const out = [el("span", { class: "literal", lang: t["xml:lang"] || null }, t.value)];
    if (t["xml:lang"] && !["zh", "en"].includes(t["xml:lang"])) out.push(el("span", { class: "tag" }, " @" + t["xml:lang"]));
    return out;
  }

  function renderTable(box) {
    const vars = columns();
    const rs = rows();
    if (!rs.length) { box.append(el("p", { class: "empty" }, bi("没有结果。", "No results."))); return; }
    const numeric = new Set(vars.filter((v) => rs.every((r) => !r[v] || isNumber(r[v]))));
    const table = el("table", { class: "wb-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "wb-rownum" }, "#"), vars.map((v) => el("th", { scope: "col" }, "?" + v)))),
      el("tbody", {}, rs.slice(0, MAX_ROWS_SHOWN).map((r, i) => el("tr", {},
        el("td", { class: "wb-rownum", "data-label": "#" }, String(i + 1)),
        // data-label and the value's own span: on a phone each row becomes a card of "?var value" lines
        vars.map((v) => el("td", { class: numeric.has(v) ? "num" : null, "data-var": v, "data-label": "?" + v },
          el("span", { class: "wb-v" }, termNode(r[v]))))))));
    box.append(el("div", { class: "wb-table-wrap" }, table));
    if (rs.length > MAX_ROWS_SHOWN) {
      box.append(el("p", { class: "empty" }, bi(`只显示前 ${MAX_ROWS_SHOWN} 行；下载可得全部 ${rs.length} 行。`, `Showing the first ${MAX_ROWS_SHOWN} rows; the downloads hold all ${rs.length}.`)));
    }
  }

  const PALETTE = ["#a3212b", "#1d4ed8", "#15803d", "#b45309", "#7c3aed", "#0f766e", "#be185d", "#4b5563"];

  function renderGraph(box) {
    const nodes = new Map(), edges = [];
    const add = (t, group) => {
      if (!t || t.type === "literal") return null;
      const id = t.type === "uri" ? t.value : "_:" + t.value;
      if (!nodes.has(id)) {
        const r = t.type === "uri" ? resource(t.value) : null;
        const label = r && (r.zh || r.en) ? r.zh || r.en : t.type === "uri" ? curie(t.value) : id;
        const full = t.type === "uri" ? `${labelOf(t.value)}\n${t.value}` : id;
        nodes.set(id, { id, label: label.length > 18 ? label.slice(0, 17) + "…" : label, title: full,
          color: PALETTE[group % PALETTE.length], font: { color: "#1d2430" } });
      }
      return id;
    };
    const r = state.last.result;
    if (r.kind === "graph") {
      for (const [s, p, o] of r.triples) {
        const a = add(s, 0), b = add(o, 1);
        if (a && b) edges.push({ from: a, to: b, label: curie(p.value), arrows: "to" });
      }
    } else {
      const vars = columns().filter((v) => rows().some((x) => x[v] && x[v].type === "uri"));
      for (const row of rows()) {
        const ids = vars.map((v, i) => [v, add(row[v], i)]).filter(([, id]) => id);
        for (let i = 1; i < ids.length; i++) edges.push({ from: ids[0][1], to: ids[i][1], label: "?" + ids[i][0], arrows: "to" });
      }
    }
    const seen = new Set();
    const unique = edges.filter((e) => { const k = `${e.from}\u0000${e.to}\u0000${e.label}`; if (seen.has(k)) return false; seen.add(k); return true; });
    const holder = el("div", { class: "wb-graph", "data-nodes": nodes.size, "data-edges": unique.length });
    const legendVars = r.kind === "graph" ? ["subject", "object"] : columns().filter((v) => rows().some((x) => x[v] && x[v].type === "uri"));
    box.append(el("p", { class: "wb-legend" }, legendVars.map((v, i) => el("span", {},
      el("span", { class: "wb-swatch", style: `background:${PALETTE[i % PALETTE.length]}` }), " ?" + v))));
    box.append(holder, el("p", { class: "wb-hint" }, bi("点击节点查看它在公告中的出处。", "Click a node to see where the announcement states it.")));
    if (!window.vis) { holder.append(bi("图形库未载入。", "The graph renderer did not load.")); return; }
    const network = new window.vis.Network(holder, { nodes: [...nodes.values()], edges: unique }, {
      nodes: { shape: "dot", size: 12, font: { size: 15 } },
      edges: { font: { size: 10, align: "middle", color: "#5b6577" }, color: { color: "#9aa3b2" }, smooth: false },
      physics: { stabilization: { iterations: 200 }, barnesHut: { gravitationalConstant: -3500, springLength: 110, avoidOverlap: 0.4 } },
      interaction: { hover: true },
    });
    network.on("click", (p) => { if (p.nodes.length && !p.nodes[0].startsWith("_:")) provenance(p.nodes[0]); });
    network.once("stabilizationIterationsDone", () => network.setOptions({ physics: false }));
  }

  // A tile map: one square per province-level division at its rough place, by GB/T 2260 code.
  const PROVINCES = {
    11: [1, 6, "北京", "Beijing"], 12: [2, 6, "天津", "Tianjin"], 13: [2, 5, "河北", "Hebei"], 14: [1, 5, "山西", "Shanxi"],
    15: [0, 5, "内蒙古", "Inner Mongolia"], 21: [2, 7, "辽宁", "Liaoning"], 22: [1, 7, "吉林", "Jilin"], 23: [0, 7, "黑龙江", "Heilongjiang"],
    31: [4, 8, "上海", "Shanghai"], 32: [4, 7, "江苏", "Jiangsu"], 33: [5, 7, "浙江", "Zhejiang"], 34: [4, 6, "安徽", "Anhui"],
    35: [6, 6, "福建", "Fujian"], 36: [5, 6, "江西", "Jiangxi"], 37: [3, 6, "山东", "Shandong"], 41: [3, 5, "河南", "Henan"],
    42: [4, 5, "湖北", "Hubei"], 43: [5, 5, "湖南", "Hunan"], 44: [6, 5, "广东", "Guangdong"], 45: [6, 4, "广西", "Guangxi"],
    46: [7, 4, "海南", "Hainan"], 50: [4, 4, "重庆", "Chongqing"], 51: [4, 3, "四川", "Sichuan"], 52: [5, 4, "贵州", "Guizhou"],
    53: [5, 3, "云南", "Yunnan"], 54: [3, 1, "西藏", "Tibet"], 61: [3, 4, "陕西", "Shaanxi"], 62: [2, 3, "甘肃", "Gansu"],
    63: [3, 2, "青海", "Qinghai"], 64: [2, 4, "宁夏", "Ningxia"], 65: [1, 1, "新疆", "Xinjiang"], 71: [6, 7, "台湾", "Taiwan"],
    81: [7, 6, "香港", "Hong Kong"], 82: [7, 5, "澳门", "Macao"],
  };

  function renderMap(box) {
    const regionVar = columnWhere((t) => regionCode(t) !== null);
    const countVar = columnWhere(isNumber, [regionVar]);
    const totals = new Map();
    let national = 0;
    for (const r of rows()) {
      const code = regionCode(r[regionVar]);
      if (!code) continue;
      const n = countVar && r[countVar] ? Number(r[countVar].value) : 1;
      if (code === "000000") { national += n; continue; }
      const key = Number(code.slice(0, 2));
      totals.set(key, (totals.get(key) || 0) + n);
    }
    const max = Math.max(1, ...totals.values());
    const grid = el("div", { class: "wb-map", role: "img", "aria-label": "按省份的地图 Map by province" });
    for (const [code, [row, col, zh, en]] of Object.entries(PROVINCES)) {
      const n = totals.get(Number(code)) || 0;
      const shade = n ? 0.15 + 0.85 * (n / max) : 0;
      const iri = `${config.base}region/${code}0000`;
      grid.append(el("button", {
        type: "button", class: "wb-tile" + (n ? " wb-has" : ""), "data-code": `${code}0000`, "data-count": n,
        style: `grid-row:${row + 1};grid-column:${col + 1};--shade:${shade.toFixed(3)}`,
        title: `${zh} ${en}: ${n}`, onclick: () => provenance(iri),
      }, el("span", { lang: "zh", class: "wb-tile-zh" }, zh), el("span", { class: "wb-tile-en" }, en), el("span", { class: "wb-tile-n" }, n ? String(n) : "")));
    }
    box.append(el("p", { class: "wb-hint" },
      bi(`按省级行政区汇总（${countVar ? "?" + countVar : "行数"}，区县和城市计入所属省份）`, `Totals per province-level division (${countVar ? "?" + countVar : "rows"}; cities and districts count for their province)`),
      national ? el("span", { class: "wb-national", "data-count": national }, " · ", bi(`中央 ${national}`, `national bodies ${national}`)) : null),
      grid);
  }

  function temporalValue(t) {
    const m = /^(-?\d{4})(?:-(\d\d))?(?:-(\d\d))?/.exec(t.value);
    if (!m) return NaN;
    return Number(m[1]) + ((Number(m[2] || 1) - 1) / 12) + ((Number(m[3] || 1) - 1) / 366);
  }

  function renderTimeline(box) {
    const dateVar = columnWhere(isTemporal);
    const label = labelColumn([dateVar]);
    const items = rows().filter((r) => r[dateVar]).map((r) => ({ r, t: temporalValue(r[dateVar]) })).filter((x) => Number.isFinite(x.t));
    items.sort((a, b) => a.t - b.t);
    if (!items.length) return;
    const lo = Math.floor(items[0].t), hi = Math.floor(items[items.length - 1].t) + 1;
    const axis = el("div", { class: "wb-axis" });
    const twin = label && /_zh$/.test(label) && columns().includes(label.replace(/_zh$/, "_en")) ? label.replace(/_zh$/, "_en") : null;
    const list = el("ol", { class: "wb-timeline" }, items.map(({ r, t }) => el("li", {},
      el("span", { class: "wb-when" }, r[dateVar].value),
      el("span", { class: "wb-track" }, el("span", { class: "wb-dot", style: `left:${((t - lo) / (hi - lo)) * 100}%` })),
      el("span", { class: "wb-what" }, label ? termNode(r[label]) : "", twin && r[twin] ? [el("br"), el("span", { class: "wb-en" }, termNode(r[twin]))] : null))));
    box.append(el("p", { class: "wb-hint" }, bi(`按 ?${dateVar} 排列`, `ordered by ?${dateVar}`)), el("div", { class: "wb-axis-row" }, el("span"), axis, el("span")), list);
    // as many year ticks as fit the axis's width (about 3.2rem each)
    // at round years (every 1, 2, 5, 10, 20, 50... years), the first and last kept clear of the ends
    const fit = Math.max(2, Math.floor(axis.clientWidth / 52));
    const count = (n) => Math.floor(hi / n) - Math.ceil(lo / n) + 1;
    const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find((n) => count(n) <= fit) || Math.ceil((hi - lo) / (fit - 1));
    const ticks = [];
    for (let y = Math.ceil(lo / step) * step; y <= hi; y += step) ticks.push(y);
    if (!ticks.length) ticks.push(lo);
    for (const y of ticks) axis.append(el("span", { style: `left:${((y - lo) / (hi - lo)) * 100}%` }, String(y)));
  }

  function renderChart(box) {
    const num = columnWhere(isNumber);
    const label = labelColumn([num]);
    const twin = /_zh$/.test(label) && columns().includes(label.replace(/_zh$/, "_en")) ? label.replace(/_zh$/, "_en") : null;
    const rs = rows().filter((r) => r[num]);
    const max = Math.max(...rs.map((r) => Math.abs(Number(r[num].value))), 1);
    const shown = rs.slice(0, 60);
    box.append(el("p", { class: "wb-hint" }, bi(`?${num}，按 ?${label}`, `?${num} by ?${label}`)),
      el("ol", { class: "wb-bars" }, shown.map((r) => el("li", {},
        el("span", { class: "wb-bar-label" }, r[label] ? termNode(r[label]) : "", twin && r[twin] ? [el("span", { class: "sep" }, " · "), termNode(r[twin])] : null),
        el("span", { class: "wb-bar-track" }, el("span", { class: "wb-barfill", style: `width:${(Math.abs(Number(r[num].value)) / max) * 100}%` })),
        el("span", { class: "wb-bar-n num" }, r[num].value)))));
    if (rs.length > shown.length) box.append(el("p", { class: "empty" }, bi(`只画出前 ${shown.length} 项。`, `Only the first ${shown.length} are drawn.`)));
  }

  // ---- provenance -------------------------------------------------------------------------

  const texts = new Map();
  function sourceText(path) {
    if (!texts.has(path)) {
      texts.set(path, fetch(path).then((r) => { if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`); return r.text(); })
        .then((t) => Array.from(t.replace(/^\ufeff/, ""))));
    }
    return texts.get(path);
  }
  const STOPS = new Set(["。", "！", "？", "；", "!", "?", "\n"]);
  function sentence(chars, start, end) {
    let a = start, b = end;
    while (a > 0 && !STOPS.has(chars[a - 1])) a--;
    while (b < chars.length && !STOPS.has(chars[b])) b++;
    if (b < chars.length && chars[b] !== "\n") b++;
    return { before: chars.slice(a, start).join(""), exact: chars.slice(start, end).join(""), after: chars.slice(end, b).join("") };
  }

  async function catalogueRun(name, params) {
    const q = config.catalogue.find((x) => x.name === name);
    const header = parseHeader(q.text);
    const bound = bind(q.text, header.params, params);
    const result = await state.engine.query(bound.text, limitMs());
    return result.json.results.bindings;
  }

  async function provenance(iri) {
    const panel = $("wb-provenance"), body = $("wb-prov-body");
    panel.hidden = false;
    document.body.classList.add("wb-with-prov");
    const r = resource(iri);
    const head = el("p", { class: "wb-prov-entity" },
      r && r.zh ? el("span", { lang: "zh" }, r.zh) : null, r && r.zh && r.en ? " · " : null,
      r && r.en ? el("span", { lang: "en" }, r.en) : null, " ",
      r && r.href ? el("a", { href: r.href }, el("code", { class: "curie" }, curie(iri))) : el("code", { class: "curie" }, curie(iri)));
    setContent(body, head, el("p", { class: "empty" }, bi("正在查找…", "Looking it up…")));
    panel.dataset.iri = iri;
    panel.dataset.state = "loading";
    try {
      const spans = await catalogueRun("fact-provenance", { entity: iri });
      if (panel.dataset.iri !== iri) return;
      const out = [head];
      if (!spans.length) {
        out.push(el("p", {}, bi("公告中没有陈述它的文字。", "No characters of the announcement state it.")));
        const refs = await catalogueRun("entity-sources", { entity: iri }).catch(() => []);
        if (refs.length) {
          out.push(el("p", {}, bi("它引用的来源：", "Sources it cites:")),
            el("ul", { class: "wb-refs" }, refs.map((row) => el("li", {},
              row.title ? termNode(row.title) : termNode(row.source),
              row.publisher ? [" · ", termNode(row.publisher)] : null,
              row.url ? [" · ", el("a", { href: row.url.value, rel: "external noopener noreferrer" }, row.url.value)] : null))));
        }
      }
      for (const row of spans) {
        const start = Number(row.start.value), end = Number(row.end.value);
        const span = row.span.value;
        const m = /\/span\/([^/]+)\/\d+-\d+$/.exec(span);
        const path = m ? config.sources[`${config.base}source/${m[1]}`] : null;
        let quote = null;
        if (path) {
          try {
            const chars = await sourceText(path);
            const s = sentence(chars, start, end);
            if (s.exact === row.exact.value) quote = s;
          } catch (err) { /* the text file is missing: the quote from the graph follows */ }
        }
        if (!quote) quote = { before: row.prefix ? row.prefix.value : "", exact: row.exact.value, after: row.suffix ? row.suffix.value : "" };
        const spanRes = resource(span);
        out.push(el("figure", { class: "quote", "data-start": start, "data-end": end },
          el("blockquote", { lang: "zh" }, quote.before, el("mark", {}, quote.exact), quote.after),
          el("figcaption", {}, bi(`第 ${start}–${end} 字符`, `characters ${start}–${end}`),
            row.source_zh ? [" · ", el("span", { lang: "zh" }, row.source_zh.value)] : null, " · ",
            spanRes && spanRes.href ? el("a", { href: spanRes.href }, curie(span)) : curie(span))));
      }
      setContent(body, out);
      panel.dataset.state = "done";
    } catch (err) {
      setContent(body, head, el("p", { class: "wb-error" }, bi("无法查询出处", "Could not look up the provenance"), ": ", String(err.message || err)));
      panel.dataset.state = "error";
    }
  }

  // ---- start ------------------------------------------------------------------------------

  let termsPromise = Promise.resolve(null);

  function fileModeMessage() {
    const dir = decodeURIComponent(location.pathname.replace(/\/[^/]*$/, "")) || "/";
    const cmd = `python3 -m http.server --bind 127.0.0.1 --directory '${dir.replace(/'/g, "'\\''")}' 8000`;
    return [el("strong", {}, bi("无法从磁盘运行查询", "Queries cannot run from a file opened from disk")), ": ",
      bi("浏览器不允许从 file:// 打开的页面启动查询引擎的 Web Worker、载入 WebAssembly 模块和读取数据文件。",
        "browsers do not let a page opened from file:// start the query engine's Web Worker, load its WebAssembly module or read the graph's dump."),
      " ", bi("请用任一静态网页服务器提供这个文件夹，例如：", "Serve this folder with any static web server, for example:"),
      el("pre", { class: "wb-cmd" }, cmd),
      bi("然后打开", "then open"), " ", el("code", {}, "http://127.0.0.1:8000/query.html"), ". ",
      bi("示例和编辑器在这里仍然可用。", "The examples and the editor still work here.")];
  }

  async function detectMode() {
    if (location.protocol === "file:") return "file";
    try {
      const probe = await fetch(config.endpoint || "sparql?query=" + encodeURIComponent("ASK {}"), {
        headers: { Accept: "application/sparql-results+json" },
      });
      const type = probe.headers.get("Content-Type") || "";
      if (probe.ok && type.includes("sparql-results+json")) {
        const j = await probe.json();
        if (typeof j.boolean === "boolean") return "served";
      }
    } catch (err) { /* no endpoint here */ }
    return "static";
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    const t = params.get("timeout");
    $("wb-timeout").value = t && Number(t) > 0 ? t : String(config.timeout || 30);
    if (location.protocol !== "file:") {
      termsPromise = fetch(config.terms).then((r) => r.json()).then((t) => { setTerms(t); return t; });
    }
    showCatalogue();
    state.yasqe = makeEditor();
    state.yasqe.on("change", () => {
      refreshParams();
      const q = config.catalogue.find((x) => x.name === state.name);
      if (!q || q.text !== editorText()) { state.name = ""; showAbout(null); for (const b of document.querySelectorAll(".wb-current")) b.classList.remove("wb-current"); }
      updateShare();
    });
    $("wb-run").addEventListener("click", () => run());
    $("wb-timeout").addEventListener("input", updateShare);
    $("wb-prov-close").addEventListener("click", () => { $("wb-provenance").hidden = true; document.body.classList.remove("wb-with-prov"); });
    for (const b of document.querySelectorAll(".wb-downloads button")) b.addEventListener("click", () => download(b.dataset.format));
    $("wb-share").addEventListener("click", (e) => {
      e.preventDefault();
      const url = shareURL();
      history.replaceState(null, "", url);
      navigator.clipboard?.writeText(url).then(() => status(bi("链接已复制", "Link copied")), () => status(bi("链接已放入地址栏", "The link is in the address bar")));
    });

    // the query from the URL, or the first example
    const fromURL = params.get("query");
    if (fromURL !== null) {
      for (const [k, v] of params) if (k.startsWith("p.")) state.paramValues[k.slice(2)] = v;
      setEditorText(fromURL);
      const q = config.catalogue.find((x) => x.text === fromURL);
      if (q) { state.name = q.name; showAbout(q); }
      refreshParams();
    } else {
      select(config.catalogue.find((q) => !q.check).name);
    }
    updateShare();

    state.mode = await detectMode();
    document.body.dataset.mode = state.mode;
    if (state.mode === "file") {
      setContent($("wb-mode"), fileModeMessage());
      $("wb-mode").classList.add("wb-warn");
      $("wb-run").disabled = true;
      document.body.dataset.ready = "file";
      return;
    }
    await termsPromise.catch(() => null);
    if (state.mode === "served") {
      state.engine = new ServedEngine();
      setContent($("wb-mode"), bi("查询发送到本服务器的 SPARQL 端点", "Queries go to this server's SPARQL endpoint"), " ", el("code", {}, new URL(config.endpoint || "sparql", document.baseURI).pathname), ".");
    } else {
      state.engine = new StaticEngine();
      setContent($("wb-mode"), bi("正在浏览器中载入查询引擎和数据…", "Loading the query engine and the graph into your browser…"));
      try {
        const s = await state.engine.start();
        setContent($("wb-mode"), bi(`查询在你的浏览器中运行（Oxigraph WebAssembly，${s.triples} 个三元组，无需服务器）`,
          `Queries run in your browser (Oxigraph WebAssembly, ${s.triples} triples, no server).`));
      } catch (err) {
        setContent($("wb-mode"), el("strong", {}, bi("查询引擎无法启动", "The query engine could not start")), ": ", String(err.message || err));
        $("wb-mode").classList.add("wb-warn");
        $("wb-run").disabled = true;
        document.body.dataset.ready = "failed";
        return;
      }
    }
    document.body.dataset.ready = "1";
    readyResolved = true;
    readyCallbacks.splice(0).forEach((f) => f());
    if (fromURL !== null) await run();
  }

  // for tests and for scripting the page from the console
  window.egovkgWorkbench = {
    ready: new Promise((resolve) => { if (readyResolved) resolve(); else readyCallbacks.push(resolve); }),
    select, run, exportText, provenance, bind, parseHeader,
    setParam(name, value) {
      state.paramValues[name] = value;
      const input = document.querySelector(`[data-param="${CSS.escape(name)}"]`);
      if (input) input.value = value;
      updateShare();
    },
    setText(text) { setEditorText(text); refreshParams(); },
    get mode() { return state.mode; },
    get last() { return state.last; },
    shareURL,
  };

  start().catch((err) => {
    showError(bi("页面无法启动", "The page could not start"), ": ", String(err.message || err));
    document.body.dataset.ready = "failed";
  });
})();
