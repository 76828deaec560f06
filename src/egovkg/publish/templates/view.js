/* egovkg views: the page's behaviour around vis-network.
 *
 * Everything from the graph is put into the DOM with textContent (never innerHTML), into
 * vis-network as canvas labels, and as string tooltips (which vis sets with innerText).
 * Positions come precomputed from Python; physics stays off.
 */
(function () {
  "use strict";
  var T0 = performance.now();
  var DATA = JSON.parse(document.getElementById("egovkg-data").textContent);
  var UI = {
    lang: ["标签", "Labels"], cat: ["类别", "Category"], prov: ["省份", "Province"], kind: ["机构类型", "Agency kind"],
    all: ["全部", "All"], search: ["搜索（中文、英文或拼音）", "Search (Chinese, English or pinyin)"],
    reset: ["重置", "Reset"], legend: ["图例", "Legend"], details: ["详情", "Details"],
    hint: ["点击节点查看详情并突出显示其邻居。", "Click a node to see its details and highlight its neighbours."],
    type: ["类型", "Type"], source: ["原文", "Source text"], iri: ["IRI", "IRI"], pinyin: ["拼音", "Pinyin"],
    alt: ["别名", "Other names"], shown: ["显示", "shown"], nodes: ["节点", "nodes"], edges: ["边", "edges"],
    none: ["无匹配", "No match"], notInView: ["（不在此视图中）", " (not in this view)"],
    undated: ["无日期", "undated"]
  };
  var state = { lang: DATA.lang, cat: "", prov: "", kind: "", off: {}, selected: null };
  var byId = new Map();
  var byIri = new Map();
  var styleOf = {};
  DATA.legend.forEach(function (c) { styleOf[c.cls] = c; });
  DATA.nodes.forEach(function (n) {
    byId.set(n.id, n);
    byIri.set(n.iri, n);
    n.search = [n.zh, n.en, n.pinyin].concat(n.alt).map(fold).join("\u0000");
    n.dim = false;
    n.hidden = false;
    n.fontSize = n.font;
  });

  function pick(pair) {
    if (state.lang === "zh") { return pair[0]; }
    if (state.lang === "en") { return pair[1]; }
    return pair[0] === pair[1] ? pair[0] : pair[0] + " / " + pair[1];
  }
  function ui(key) { return pick(UI[key]); }
  function fold(s) {
    return (s || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^0-9a-z\u00c0-\uffff]/g, "");
  }
  function clip(s, max) { return s.length > max ? s.slice(0, max - 1) + "\u2026" : s; }
  function nodeLabel(n) {
    var zh = clip(n.short ? n.short[0] : n.zh, 18), en = clip(n.short ? n.short[1] : n.en, 32);
    if (state.lang === "zh") { return zh; }
    if (state.lang === "en") { return en; }
    return zh === en ? zh : zh + "\n" + en;
  }
  function nodeTitle(n) {
    var st = styleOf[n.cls];
    var lines = [];
    if (state.lang !== "en") { lines.push(n.zh); }
    if (state.lang !== "zh" && n.en !== n.zh) { lines.push(n.en); }
    if (n.pinyin && state.lang !== "en") { lines.push(n.pinyin); }
    lines.push(pick([st.zh, st.en]));
    return lines.join("\n");
  }
  function edgeTitle(e) { return e.p.map(pick).join("\n"); }
  function el(tag, text, cls) {
    var x = document.createElement(tag);
    if (text !== undefined && text !== null) { x.textContent = text; }
    if (cls) { x.className = cls; }
    return x;
  }

  // -- the network ----------------------------------------------------------------------------
  var big = DATA.nodes.length > 1500;
  var groups = {};
  DATA.legend.forEach(function (c) {
    groups[c.cls] = {
      shape: c.shape,
      color: { background: c.color, border: "#333333", highlight: { background: c.color, border: "#000000" },
               hover: { background: c.color, border: "#000000" } }
    };
  });
  var nodes = new vis.DataSet(DATA.nodes.map(function (n) {
    return { id: n.id, x: n.x, y: n.y, label: nodeLabel(n), title: nodeTitle(n), group: n.cls, size: n.size,
             font: { size: n.fontSize, color: "#222222" } };
  }));
  var edges = new vis.DataSet(DATA.edges.map(function (e) {
    return { id: e.id, from: e.from, to: e.to, title: edgeTitle(e), arrows: e.arrow ? "to" : "",
             dashes: e.derived, color: e.derived ? { color: "#c77800", inherit: false } : undefined };
  }));
  var options = {
    physics: { enabled: false },
    layout: { improvedLayout: false, randomSeed: 0 },
    interaction: { hover: !big, tooltipDelay: 150, hideEdgesOnDrag: big, hideEdgesOnZoom: big,
                   multiselect: false, navigationButtons: false, keyboard: false },
    nodes: { borderWidth: 1, font: { size: 14, color: "#222222", strokeWidth: 3, strokeColor: "#ffffff",
             face: "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, Arial, sans-serif" } },
    edges: { smooth: false, width: 1, selectionWidth: 2,
             color: { color: "#a0a8b0", highlight: "#333333", hover: "#333333", inherit: false, opacity: 1 },
             arrows: { to: { enabled: false, scaleFactor: 0.45 } } },
    groups: groups
  };
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  window.network = network;
  window.egovkg = { data: DATA, nodes: nodes, edges: edges, timing: { start: T0, firstDraw: null } };
  network.once("afterDrawing", function () {
    window.egovkg.timing.firstDraw = performance.now();
    document.body.setAttribute("data-drawn", "1");
  });

  // -- time axis (timeline view) ---------------------------------------------------------------
  if (DATA.axis && DATA.axis.years) {
    network.on("beforeDrawing", function (ctx) {
      var ax = DATA.axis;
      ctx.save();
      ctx.lineWidth = 1;
      ctx.font = "16px sans-serif";
      ctx.textAlign = "center";
      ax.years.forEach(function (yx) {
        ctx.strokeStyle = "#dddddd";
        ctx.beginPath(); ctx.moveTo(yx[1], ax.top); ctx.lineTo(yx[1], ax.bottom); ctx.stroke();
        ctx.fillStyle = "#555555";
        ctx.fillText(String(yx[0]), yx[1], ax.top - 10);
        ctx.fillText(String(yx[0]), yx[1], ax.bottom + 24);
      });
      ax.breaks.forEach(function (b) {  // a shortened stretch of empty years
        ctx.strokeStyle = "#bbbbbb";
        ctx.setLineDash([6, 6]);
        ctx.beginPath(); ctx.moveTo(b[2], ax.top); ctx.lineTo(b[2], ax.bottom); ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = "#999999";
        ctx.fillText("\u2248", b[2], ax.top - 10);
        ctx.fillText("\u2248", b[2], ax.bottom + 24);
      });
      ctx.textAlign = "right";
      ctx.fillStyle = "#777777";
      var left = Math.min(ax.years[0][1], ax.undated ? ax.undated[0] - 120 : 0) - 40;
      ax.lanes.forEach(function (lane) { ctx.fillText(pick([lane[0], lane[1]]), left, lane[2] + 5); });
      if (ax.undated) {
        ctx.textAlign = "center";
        ctx.fillText(pick([ax.undated[1], ax.undated[2]]), ax.undated[0], ax.top - 10);
      }
      ctx.restore();
    });
  }

  // -- visibility: legend toggles and the three filters ------------------------------------------
  function passes(n) {
    if (state.off[n.cls]) { return false; }
    var f = n.facets;
    if (state.cat && f.cat && f.cat.indexOf(state.cat) < 0) { return false; }
    if (state.prov && f.prov && f.prov.indexOf(state.prov) < 0) { return false; }
    if (state.kind && f.kind && f.kind.indexOf(state.kind) < 0) { return false; }
    return true;
  }
  function applyVisibility() {
    var changes = [];
    DATA.nodes.forEach(function (n) {
      var hide = !passes(n);
      if (hide !== n.hidden) { n.hidden = hide; changes.push({ id: n.id, hidden: hide }); }
    });
    if (changes.length) { nodes.update(changes); }
    updateCounts();
  }
  function updateCounts() {
    var shown = DATA.nodes.filter(function (n) { return !n.hidden; }).length;
    document.getElementById("counts").textContent =
      ui("shown") + ": " + shown + " / " + DATA.nodes.length + " " + ui("nodes") + ", " + DATA.edges.length + " " + ui("edges");
  }
  function fillSelect(id, key, opts) {
    var sel = document.getElementById(id);
    var keep = state[key];
    sel.replaceChildren();
    var all = el("option", ui("all"));
    all.value = "";
    sel.appendChild(all);
    opts.forEach(function (o) {
      var opt = el("option", pick([o.zh, o.en]) + " (" + o.n + ")");
      opt.value = o.v;
      sel.appendChild(opt);
    });
    sel.value = keep;
    sel.disabled = opts.length === 0;
    sel.onchange = function () { state[key] = sel.value; applyVisibility(); };
  }

  // -- legend -----------------------------------------------------------------------------------
  var SVG = "http://www.w3.org/2000/svg";
  function swatch(shape, color) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "16"); svg.setAttribute("viewBox", "0 0 16 16");
    var s;
    var poly = {
      triangle: "8,2 14.5,14 1.5,14", triangleDown: "1.5,2 14.5,2 8,14", diamond: "8,1 15,8 8,15 1,8",
      star: "8,1 10,6 15.5,6.2 11.2,9.6 12.8,15 8,11.8 3.2,15 4.8,9.6 0.5,6.2 6,6",
      hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8"
    };
    if (shape === "square") {
      s = document.createElementNS(SVG, "rect");
      s.setAttribute("x", "2"); s.setAttribute("y", "2"); s.setAttribute("width", "12"); s.setAttribute("height", "12");
    } else if (poly[shape]) {
      s = document.createElementNS(SVG, "polygon");
      s.setAttribute("points", poly[shape]);
    } else {
      s = document.createElementNS(SVG, "circle");
      s.setAttribute("cx", "8"); s.setAttribute("cy", "8"); s.setAttribute("r", "6");
    }
    s.setAttribute("fill", color); s.setAttribute("stroke", "#333"); s.setAttribute("stroke-width", "1");
    svg.appendChild(s);
    return svg;
  }
  function renderLegend() {
    var ul = document.getElementById("legend");
    ul.replaceChildren();
    DATA.legend.forEach(function (c) {
      var li = el("li");
      li.setAttribute("data-cls", c.cls);
      li.title = pick(["点击显示或隐藏", "Click to show or hide"]);
      li.appendChild(swatch(c.shape, c.color));
      li.appendChild(el("span", pick([c.zh, c.en])));
      li.appendChild(el("span", String(c.n), "n"));
      if (state.off[c.cls]) { li.className = "off"; }
      li.onclick = function () {
        state.off[c.cls] = !state.off[c.cls];
        li.className = state.off[c.cls] ? "off" : "";
        applyVisibility();
      };
      ul.appendChild(li);
    });
  }

  // -- neighbourhood highlight and details ------------------------------------------------------
  var dimmedEdges = new Set();
  function highlight(id) {
    var keep = new Set([id]);
    network.getConnectedNodes(id).forEach(function (m) { keep.add(m); });
    var nodeChanges = [];
    DATA.nodes.forEach(function (n) {
      var dim = !keep.has(n.id);
      if (dim !== n.dim) {
        n.dim = dim;
        nodeChanges.push({ id: n.id, opacity: dim ? 0.18 : 1,
                           font: { size: n.fontSize, color: dim ? "#c8c8c8" : "#222222" } });
      }
    });
    nodes.update(nodeChanges);
    var near = new Set(network.getConnectedEdges(id));
    var edgeChanges = [];
    DATA.edges.forEach(function (e) {
      var dim = !near.has(e.id);
      if (dim !== dimmedEdges.has(e.id)) {
        if (dim) { dimmedEdges.add(e.id); } else { dimmedEdges.delete(e.id); }
        edgeChanges.push({ id: e.id, color: { opacity: dim ? 0.12 : 1 } });
      }
    });
    edges.update(edgeChanges);
  }
  function clearHighlight() {
    var nodeChanges = [];
    DATA.nodes.forEach(function (n) {
      if (n.dim) {
        n.dim = false;
        nodeChanges.push({ id: n.id, opacity: 1, font: { size: n.fontSize, color: "#222222" } });
      }
    });
    nodes.update(nodeChanges);
    var edgeChanges = [];
    dimmedEdges.forEach(function (id) { edgeChanges.push({ id: id, color: { opacity: 1 } }); });
    dimmedEdges.clear();
    edges.update(edgeChanges);
  }
  function valueNode(v) {
    if (v.r === undefined) { return el("span", v.t); }
    var target = byIri.get(v.r);
    var text = pick([v.zh, v.en]);
    if (!target) { return el("span", text + ui("notInView")); }
    var b = el("button", text);
    b.type = "button";
    b.onclick = function () { select(target.id, true); };
    return b;
  }
  function visibleValues(values) {
    // literals in the page's language when there are any; entities and plain literals always
    if (state.lang === "both") { return values; }
    var mine = values.filter(function (v) { return v.r !== undefined || v.l === state.lang; });
    var other = values.filter(function (v) { return v.r === undefined && v.l !== state.lang && v.l !== ""; });
    var plain = values.filter(function (v) { return v.r === undefined && v.l === ""; });
    return mine.length || plain.length ? mine.concat(plain) : other;
  }
  function showDetails(n) {
    var box = document.getElementById("details");
    box.replaceChildren();
    if (!n) { box.appendChild(el("p", ui("hint"), "hint")); return; }
    var st = styleOf[n.cls];
    var first = state.lang === "en" ? n.en : n.zh;
    box.appendChild(el("h3", first));
    if (state.lang === "both" && n.en !== n.zh) { box.appendChild(el("p", n.en, "sub")); }
    if (state.lang === "en" && n.zh !== n.en) { box.appendChild(el("p", n.zh, "sub")); }
    var type = el("span", pick([st.zh, st.en]), "type");
    type.style.background = st.color;
    type.style.color = "#111";
    box.appendChild(type);
    var dl = el("dl");
    function row(label, content) {
      dl.appendChild(el("dt", label));
      var dd = el("dd");
      if (typeof content === "string") { dd.textContent = content; } else { dd.appendChild(content); }
      dl.appendChild(dd);
    }
    if (n.pinyin) { row(ui("pinyin"), n.pinyin); }
    if (n.alt.length) { row(ui("alt"), n.alt.join("; ")); }
    n.facts.forEach(function (f) {
      var values = visibleValues(f.v);
      var box = el("div");
      values.forEach(function (v) {
        var line = el("div");
        line.appendChild(valueNode(v));
        box.appendChild(line);
      });
      row(pick(f.p), box);
    });
    n.sources.forEach(function (s) {
      var q = el("blockquote");
      q.appendChild(el("span", s[0] ? "\u2026" + s[0] : "", "ctx"));
      q.appendChild(el("mark", s[1]));
      q.appendChild(el("span", s[2] ? s[2] + "\u2026" : "", "ctx"));
      row(ui("source"), q);
    });
    row(ui("iri"), el("code", n.iri));
    box.appendChild(dl);
  }
  function select(id, focus) {
    var n = byId.get(id);
    if (!n) { return; }
    state.selected = id;
    if (n.hidden) {  // reveal what the user asked for, rather than select an invisible node
      state.cat = state.prov = state.kind = ""; state.off = {};
      refreshControls();
      applyVisibility();
    }
    network.selectNodes([id]);
    highlight(id);
    showDetails(n);
    if (focus) { network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false }); }
  }
  function deselect() {
    state.selected = null;
    network.unselectAll();
    clearHighlight();
    showDetails(null);
  }
  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], false); } else if (!params.edges.length) { deselect(); }
  });

  // -- search -------------------------------------------------------------------------------------
  var input = document.getElementById("search");
  var results = document.getElementById("results");
  function search(q) {
    var f = fold(q);
    if (!f) { return []; }
    var hits = [];
    DATA.nodes.forEach(function (n) {
      var at = n.search.indexOf(f);
      if (at >= 0) {
        var exact = n.search.split("\u0000").indexOf(f) >= 0;
        hits.push({ n: n, rank: exact ? 0 : (at === 0 || n.search.charAt(at - 1) === "\u0000" ? 1 : 2) });
      }
    });
    hits.sort(function (a, b) { return a.rank - b.rank || a.n.zh.length - b.n.zh.length || a.n.id - b.n.id; });
    return hits.slice(0, 20).map(function (h) { return h.n; });
  }
  function showResults() {
    var found = search(input.value);
    results.replaceChildren();
    if (!input.value.trim()) { results.hidden = true; return; }
    if (!found.length) { results.appendChild(el("li", ui("none"), "cls")); }
    found.forEach(function (n) {
      var li = el("li");
      var b = el("button", pick([n.zh, n.en]));
      b.type = "button";
      b.appendChild(el("span", pick([styleOf[n.cls].zh, styleOf[n.cls].en]), "cls"));
      b.onclick = function () { results.hidden = true; select(n.id, true); };
      li.appendChild(b);
      results.appendChild(li);
    });
    results.hidden = false;
  }
  input.addEventListener("input", showResults);
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var found = search(input.value);
      if (found.length) { results.hidden = true; select(found[0].id, true); }
    } else if (ev.key === "Escape") {
      results.hidden = true;
    }
  });
  document.addEventListener("click", function (ev) {
    if (!document.getElementById("search-box").contains(ev.target)) { results.hidden = true; }
  });

  // -- language and chrome --------------------------------------------------------------------------
  function refreshControls() {
    fillSelect("filter-cat", "cat", DATA.filters.cat);
    fillSelect("filter-prov", "prov", DATA.filters.prov);
    fillSelect("filter-kind", "kind", DATA.filters.kind);
  }
  function applyLanguage() {
    document.getElementById("title").textContent = "egovkg \u00b7 " + pick(DATA.title);
    var note = document.getElementById("note");
    if (DATA.note) { note.textContent = pick(DATA.note); note.hidden = false; }
    document.querySelectorAll("[data-ui]").forEach(function (x) { x.textContent = ui(x.getAttribute("data-ui")); });
    input.placeholder = ui("search");
    document.getElementById("reset").textContent = ui("reset");
    refreshControls();
    renderLegend();
    updateCounts();
    nodes.update(DATA.nodes.map(function (n) { return { id: n.id, label: nodeLabel(n), title: nodeTitle(n) }; }));
    edges.update(DATA.edges.map(function (e) { return { id: e.id, title: edgeTitle(e) }; }));
    showDetails(state.selected === null ? null : byId.get(state.selected));
  }
  var langSelect = document.getElementById("lang");
  langSelect.value = state.lang;
  langSelect.onchange = function () { state.lang = langSelect.value; applyLanguage(); };
  document.getElementById("reset").onclick = function () {
    state.cat = state.prov = state.kind = ""; state.off = {};
    input.value = ""; results.hidden = true;
    refreshControls(); renderLegend(); applyVisibility(); deselect();
    fitAll();
  };
  function fitAll() {
    network.fit({ animation: false });
    var ax = DATA.axis;
    if (!ax || !ax.years || !DATA.nodes.length) { return; }
    // the timeline's lane captions stand left of the nodes: widen the view to show them
    var xs = DATA.nodes.map(function (n) { return n.x; });
    var left = Math.min(ax.years[0][1], ax.undated ? ax.undated[0] - 120 : 0) - 300;
    var right = Math.max.apply(null, xs) + 120;
    var top = ax.top - 40, bottom = ax.bottom + 40;
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    var scale = Math.min(w / (right - left), h / (bottom - top));
    network.moveTo({ position: { x: (left + right) / 2, y: (top + bottom) / 2 }, scale: scale, animation: false });
  }

  applyLanguage();
  showDetails(null);
  fitAll();
  if (DATA.focus !== null && DATA.focus !== undefined) { select(DATA.focus, false); }
})();
