/* egovkg views: the page's behaviour around vis-network.
 *
 * Everything from the graph is put into the DOM with textContent (never innerHTML), into
 * vis-network as canvas labels, and as string tooltips (which vis sets with innerText).
 * Positions come precomputed from Python; physics stays off. Which nodes carry a label is
 * chosen here, at every zoom level: labels keep one size on screen, and the most important
 * nodes (the selection, its neighbours, then hubs) take their place first; a label that would
 * overlap one already placed is not drawn (see placeLabels).
 *
 * The page's state (selection, filters, language, hidden classes and relations, expanded nodes,
 * the neighbourhood's focus, zoom and centre) lives in the URL's fragment, so a link or a
 * reload shows the same picture.
 */
(function () {
  "use strict";
  var T0 = performance.now();
  var DATA = JSON.parse(document.getElementById("egovkg-data").textContent);
  var UI = {
    lang: ["标签", "Labels"], cat: ["类别", "Category"], prov: ["省份", "Province"], kind: ["机构类型", "Agency kind"],
    all: ["全部", "All"], search: ["搜索（中文、英文或拼音）", "Search (Chinese, English or pinyin)"],
    searchShort: ["搜索（中文、英文或拼音）", "Search names or pinyin"],
    reset: ["重置", "Reset"], fit: ["全图", "Fit"], legend: ["图例", "Legend"], details: ["详情", "Details"],
    legendWhat: ["点击类型可隐藏或显示；数字为图中该类节点数。", "Click a type to hide or show it; numbers count its nodes in this view."],
    edgeLegend: ["关系", "Relations"],
    edgeWhat: ["数字为图中该关系的边数。", "Numbers count the edges of each relation in this view."],
    sizeLegend: ["节点大小", "Node size"],
    hint: ["点击节点查看详情并突出显示其邻居。", "Click a node to see its details and highlight its neighbours."],
    hintNeighbourhood: ["搜索一个实体，绘制它的邻域。", "Search for an entity to draw its neighbourhood."],
    startWith: ["或从这里开始：", "Or start with:"],
    type: ["类型", "Type"], source: ["原文", "Source text"], iri: ["IRI", "IRI"], pinyin: ["拼音", "Pinyin"],
    alt: ["别名", "Other names"], none: ["无匹配", "No match"],
    shownNodes: ["显示节点", "Nodes shown"], shownEdges: ["显示边", "edges shown"],
    awardsUnit: ["项奖", "awards"], filterCounts: ["括号内为获奖数", "counts in brackets are awards"],
    page: ["关联数据页面", "Linked-data page"], expand: ["展开邻居", "Expand neighbours"],
    expandN: ["展开 %n 个邻居", "Expand %n neighbours"], expanded: ["已展开", "Expanded"],
    neighbourhood: ["打开邻域视图", "Open neighbourhood"],
    table: ["表格", "Table"], tableClose: ["关闭表格", "Close table"], tableTitle: ["图中内容（表格）", "What the view shows, as a table"],
    nodesCaption: ["节点", "Nodes"], edgesCaption: ["边", "Edges"],
    colName: ["名称", "Name"], colType: ["类型", "Type"], colDegree: ["连接数", "Connections"],
    colFrom: ["起点", "From"], colRel: ["关系", "Relation"], colTo: ["终点", "To"],
    png: ["导出 PNG", "PNG"], csvNodes: ["节点 CSV", "Nodes CSV"], csvEdges: ["边 CSV", "Edges CSV"],
    tools: ["筛选与工具", "Filters and tools"], sheetOpen: ["图例与详情", "Legend and details"],
    sheetClose: ["收起", "Hide panel"],
    keys: ["图形键盘操作：+ 和 - 缩放，方向键平移，N 和 P 选择下一个或上一个节点，E 展开，0 显示全图，Esc 取消选择。",
           "Graph keys: + and - zoom, arrow keys pan, N and P select the next or previous node, E expands, 0 fits the whole graph, Esc clears the selection."],
    graphLabel: ["知识图谱视图（画布）。可用键盘操作，或打开表格。", "Knowledge graph view (canvas). Use the keys, or open the table."],
    selected: ["已选择", "Selected"], cleared: ["已取消选择", "Selection cleared"],
    undated: ["无日期", "undated"]
  };
  var LABEL_PX = 12;        // on-screen size of an ordinary label
  var LABEL_PAD = 2;        // on-screen gap kept between two labels
  var FACE = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, Arial, sans-serif";
  var HUBS = new Set(DATA.hubs || []);

  // -- the pool: the view's nodes and the entities around them -----------------------------------
  var POOL = [];
  var byKey = new Map();
  var byIri = new Map();
  var styleOf = {};
  DATA.legend.forEach(function (c) { styleOf[c.cls] = c; });
  function addToPool(n, inView) {
    POOL[n.id] = n;
    n.inView = inView;
    byKey.set(n.key, n);
    byIri.set(n.iri, n);
    n.search = [n.zh, n.en, n.pinyin].concat(n.alt).map(fold).join("\u0000");
    n.dim = false;
    n.hidden = false;
    if (n.imp === undefined) { n.imp = 0; }
  }
  DATA.nodes.forEach(function (n) { addToPool(n, true); });
  (DATA.extra || []).forEach(function (n) { addToPool(n, false); });
  // adjacency over every edge the page knows: the view's own and the links around it
  var adj = POOL.map(function () { return []; });
  DATA.edges.forEach(function (e) {
    adj[e.from].push({ o: e.to, edge: e.id }); adj[e.to].push({ o: e.from, edge: e.id });
  });
  var LINKS = (DATA.links || []).map(function (l, i) {
    var e = { id: "l" + i, from: l[0], to: l[1], t: l[2], p: [DATA.edgeTypes[l[2]].p], arrow: !DATA.edgeTypes[l[2]].derived,
              derived: DATA.edgeTypes[l[2]].derived };
    adj[e.from].push({ o: e.to, edge: e.id }); adj[e.to].push({ o: e.from, edge: e.id });
    return e;
  });
  var EDGE = new Map();
  DATA.edges.forEach(function (e) { EDGE.set(e.id, e); });
  LINKS.forEach(function (e) { EDGE.set(e.id, e); });
  POOL.forEach(function (n) { if (!n.inView) { n.imp = adj[n.id].length; } });

  // A portrait screen (a phone) gets a landscape layout turned a quarter, so it fills the width.
  var ROTATED = (function () {
    var box = document.getElementById("graph");
    var w = box.clientWidth, h = box.clientHeight;
    if (!DATA.nodes.length || !(h > 1.15 * w)) { return false; }
    var xs = DATA.nodes.map(function (n) { return n.x; }), ys = DATA.nodes.map(function (n) { return n.y; });
    var spanX = Math.max.apply(null, xs) - Math.min.apply(null, xs);
    var spanY = Math.max.apply(null, ys) - Math.min.apply(null, ys);
    if (!(spanX > 1.15 * spanY)) { return false; }
    DATA.nodes.forEach(function (n) { var x = n.x; n.x = n.y; n.y = -x; });
    return true;
  })();
  // On a portrait screen a drawing still wider than the screen is tall for its width (a radial
  // tree, a round force layout) is drawn taller, up to 1.8 times, so it fills the screen rather
  // than a band across its middle: the nodes keep their size, their rows spread apart.
  var STRETCH = (function () {
    var box = document.getElementById("graph");
    var w = box.clientWidth, h = box.clientHeight;
    if (DATA.nodes.length < 3 || !(h > 1.15 * w)) { return 1; }
    var xs = DATA.nodes.map(function (n) { return n.x; }), ys = DATA.nodes.map(function (n) { return n.y; });
    var spanX = Math.max.apply(null, xs) - Math.min.apply(null, xs);
    var spanY = Math.max.apply(null, ys) - Math.min.apply(null, ys);
    if (!(spanX > 0 && spanY > 0)) { return 1; }
    var want = (0.85 * h / w) / (spanY / spanX);
    if (!(want > 1.1)) { return 1; }
    var k = Math.round(Math.min(want, 1.8) * 100) / 100;
    DATA.nodes.forEach(function (n) { n.y = Math.round(n.y * k * 10) / 10; });
    return k;
  })();
  // the drawing's shape, kept with a view in the URL: a view saved on another shape is not restored
  var SHAPE = (ROTATED ? "1" : "") + (STRETCH !== 1 ? "s" + STRETCH.toFixed(2) : "");

  var state = { lang: DATA.lang, cat: "", prov: "", kind: "", off: {}, offEdge: {}, selected: null,
                expanded: [], focus: null, depth: 2 };

  function pick(pair) {
    if (state.lang === "zh") { return pair[0]; }
    if (state.lang === "en") { return pair[1]; }
    return pair[0] === pair[1] ? pair[0] : pair[0] + " / " + pair[1];
  }
  function ui(key, n) {
    var s = pick(UI[key]);
    return n === undefined ? s : s.replace("%n", String(n));
  }
  function fold(s) {
    return (s || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^0-9a-z\u00c0-\uffff]/g, "");
  }
  function clip(s, max) { return s.length > max ? s.slice(0, max - 1) + "\u2026" : s; }
  function nodeLabel(n) {
    var zh = clip(n.short ? n.short[0] : n.zh, 16), en = clip(n.short ? n.short[1] : n.en, 28);
    if (state.lang === "zh") { return zh; }
    if (state.lang === "en") { return en; }
    return zh === en ? zh : zh + "\n" + en;
  }
  function name(n) { return state.lang === "en" ? n.en : n.zh; }
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
  function button(text, onclick, cls) {
    var b = el("button", text, cls);
    b.type = "button";
    b.onclick = onclick;
    return b;
  }
  function say(text) { document.getElementById("status").textContent = text; }
  // A link to the entity's page in the linked-data site (relative to this page), or null.
  function pageHref(n) { return n.page || null; }
  function viewHref(view, params) {
    var target = DATA.views && DATA.views[view];
    if (!target) { return null; }
    return target + (params ? "#" + params.toString() : "");
  }

  // -- the network ----------------------------------------------------------------------------
  var big = POOL.length > 1500;
  var groups = {};
  DATA.legend.forEach(function (c) {
    groups[c.cls] = {
      shape: c.shape,
      color: { background: c.color, border: "#333333", highlight: { background: c.color, border: "#000000" },
               hover: { background: c.color, border: "#000000" } }
    };
  });
  var drawn = new Set();
  var nodes = new vis.DataSet();
  var edges = new vis.DataSet();  // replaced by rebuild()
  function visNode(n) {
    return { id: n.id, x: n.x, y: n.y, title: nodeTitle(n), group: n.cls, size: n.size };
  }
  function visEdge(e) {
    var t = DATA.edgeTypes[e.t] || { color: "#a0a8b0" };
    return { id: e.id, from: e.from, to: e.to, title: edgeTitle(e), arrows: e.arrow ? "to" : "",
             dashes: e.derived, color: { color: t.color, highlight: "#222222", hover: "#222222", inherit: false, opacity: 1 },
             hidden: !!state.offEdge[e.t] };
  }
  var options = {
    physics: { enabled: false },
    layout: { improvedLayout: false, randomSeed: 0 },
    interaction: { hover: !big, tooltipDelay: 150, hideEdgesOnDrag: big, hideEdgesOnZoom: big,
                   multiselect: false, navigationButtons: false, keyboard: false },
    nodes: { borderWidth: 1 },
    edges: { smooth: false, width: 1, selectionWidth: 2,
             color: { color: "#a0a8b0", highlight: "#333333", hover: "#333333", inherit: false, opacity: 1 },
             arrows: { to: { enabled: false, scaleFactor: 0.45 } } },
    groups: groups
  };
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  window.network = network;
  window.egovkg = { data: DATA, nodes: nodes, edges: edges, pool: POOL, timing: { start: T0, firstDraw: null } };

  function draw(ids) {  // add pool nodes (with positions) and every known edge among what is drawn
    var add = [];
    ids.forEach(function (id) { if (!drawn.has(id)) { drawn.add(id); add.push(visNode(POOL[id])); } });
    if (add.length) { nodes.add(add); }
    var newEdges = [];
    var pairs = new Set();
    edges.forEach(function (e) { pairs.add(e.from + ">" + e.to); pairs.add(e.to + ">" + e.from); });
    ids.forEach(function (id) {
      adj[id].forEach(function (a) {
        var e = EDGE.get(a.edge);
        if (!drawn.has(a.o) || pairs.has(e.from + ">" + e.to)) { return; }
        // the view draws its own relations between its own nodes; the others join with expanded nodes
        if (typeof e.id === "string" && POOL[e.from].inView && POOL[e.to].inView) { return; }
        pairs.add(e.from + ">" + e.to); pairs.add(e.to + ">" + e.from);
        newEdges.push(visEdge(e));
      });
    });
    if (newEdges.length) { edges.add(newEdges); }
  }
  // A fresh pair of data sets, filled before vis-network sees them: vis handles a whole data set
  // at once far faster than item by item (5,000 title updates took seconds).
  function undrawAll() {
    nodes = new vis.DataSet(); edges = new vis.DataSet(); drawn.clear();
  }
  function attach() {
    network.setData({ nodes: nodes, edges: edges });
    window.egovkg.nodes = nodes;
    window.egovkg.edges = edges;
    titlesLang = state.lang;
  }
  var titlesLang = null;  // the language of the tooltips in the data sets
  function degree(id) {
    return network.getConnectedNodes(id).length;
  }

  // -- the neighbourhood page: the focus from the URL, drawn as a radial tree -----------------------
  var CLASS_ORDER = {};
  DATA.legend.forEach(function (c, i) { CLASS_ORDER[c.cls] = i; });
  function byClassThenKey(a, b) {
    var x = POOL[a], y = POOL[b];
    return (CLASS_ORDER[x.cls] - CLASS_ORDER[y.cls]) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
  }
  function neighbourhood(centre, depth) {
    var seen = new Set([centre]);
    var children = new Map();
    var frontier = [centre];
    for (var d = 0; d < depth; d++) {
      var next = [];
      frontier.forEach(function (n) {
        if (n !== centre && HUBS.has(POOL[n].cls)) { return; }
        var kids = [];
        adj[n].map(function (a) { return a.o; }).sort(byClassThenKey).forEach(function (m) {
          if (!seen.has(m)) { seen.add(m); kids.push(m); next.push(m); }
        });
        children.set(n, kids);
      });
      frontier = next;
    }
    // a radial tidy tree: one ring per step, parents between their first and last leaf
    var leaves = [], depthOf = new Map();
    (function walk(n, d) {
      depthOf.set(n, d);
      var kids = children.get(n) || [];
      if (!kids.length) { leaves.push(n); }
      kids.forEach(function (k) { walk(k, d + 1); });
    })(centre, 0);
    var weights = leaves.map(function (l) { return 1 / Math.max(depthOf.get(l), 1); });
    var total = weights.reduce(function (a, b) { return a + b; }, 0) || 1;
    var ring = Math.max(120 * total / (2 * Math.PI), 260);
    var angle = new Map(), at = 0;
    leaves.forEach(function (l, i) { var share = 2 * Math.PI * weights[i] / total; angle.set(l, at + share / 2); at += share; });
    Array.from(depthOf.keys()).sort(function (a, b) { return depthOf.get(b) - depthOf.get(a); }).forEach(function (n) {
      var kids = children.get(n) || [];
      if (kids.length) { angle.set(n, (angle.get(kids[0]) + angle.get(kids[kids.length - 1])) / 2); }
    });
    depthOf.forEach(function (d, n) {
      var r = d * ring;
      POOL[n].x = Math.round(r * Math.cos(angle.get(n)) * 10) / 10;
      POOL[n].y = Math.round(r * Math.sin(angle.get(n)) * 10) / 10;
      POOL[n].imp = adj[n].length + (n === centre ? 1000 : 0);
      POOL[n].size = (styleOf[POOL[n].cls] ? POOL[n].size : 10);
    });
    return Array.from(seen);
  }
  var generic = DATA.view === "neighbourhood" && DATA.nodes.length === 0;

  // -- expand: a node's neighbours join the picture, on a ring around it ------------------------------
  function hiddenNeighbours(id) {
    var out = [];
    adj[id].forEach(function (a) { if (!drawn.has(a.o) && out.indexOf(a.o) < 0) { out.push(a.o); } });
    return out.sort(byClassThenKey);
  }
  function expand(id, quiet) {
    var n = POOL[id];
    var add = hiddenNeighbours(id);
    if (!add.length) { return; }
    var cx = 0, cy = 0, k = 0;
    drawn.forEach(function (d) { cx += POOL[d].x; cy += POOL[d].y; k++; });
    cx /= k || 1; cy /= k || 1;
    var away = Math.atan2(n.y - cy, n.x - cx);
    if (!isFinite(away) || (n.x === cx && n.y === cy)) { away = 0; }
    var r = Math.max(140, add.length * 46 / Math.PI);
    var spread = Math.min(2 * Math.PI, Math.max(Math.PI, add.length * 0.5));
    add.forEach(function (m, i) {
      var a = away - spread / 2 + spread * (i + 0.5) / add.length;
      POOL[m].x = Math.round((n.x + r * Math.cos(a)) * 10) / 10;
      POOL[m].y = Math.round((n.y + r * Math.sin(a)) * 10) / 10;
    });
    draw(add);
    if (state.expanded.indexOf(n.key) < 0) { state.expanded.push(n.key); }
    applyVisibility(false);
    if (!quiet) {
      if (state.selected !== null) { highlight(state.selected); showDetails(POOL[state.selected]); }
      fitTo([id].concat(add));
      writeUrl();
    }
  }

  // -- labels: one size on screen, placed by importance, never on top of each other ------------------
  var measureCtx = document.createElement("canvas").getContext("2d");
  var widthCache = new Map();
  function textWidth(text, px) {  // width of a label at `px` pixels, measured once at 100 px
    var w = widthCache.get(text);
    if (w === undefined) {
      measureCtx.font = "100px " + FACE;
      w = Math.max.apply(null, text.split("\n").map(function (line) { return measureCtx.measureText(line).width; }));
      widthCache.set(text, w);
    }
    return w * px / 100;
  }
  var highlightSet = null;  // ids of the selection and its neighbours, while something is selected
  var placed = [];          // the labels to draw, in drawing order: {id, text, px, x, top, w, h, faded}
  var placedScale = null;
  var labelsDirty = true;
  function priority() {
    var ids = [];
    drawn.forEach(function (id) { if (!POOL[id].hidden) { ids.push(id); } });
    function rank(id) {
      if (id === state.selected) { return 0; }
      if (highlightSet && highlightSet.has(id)) { return 1; }
      return 2;
    }
    ids.sort(function (a, b) {
      return rank(a) - rank(b) || POOL[b].imp - POOL[a].imp || POOL[b].size - POOL[a].size || a - b;
    });
    return ids;
  }
  // Choose the labels for the current zoom: most important first, each kept only if its box
  // (with LABEL_PAD around it) overlaps no label already chosen. Boxes in canvas units.
  function placeLabels() {
    var scale = network.getScale();
    var cell = 80 / scale;
    var grid = new Map();
    var boxes = [];
    var chosen = [];
    var view = network.getViewPosition();
    var w = (container.clientWidth || 800) / scale, h = (container.clientHeight || 600) / scale;
    var pad = LABEL_PAD / scale, edge = 3 / scale;
    var y1 = view.y + h / 2 - coveredHeight() / scale;  // nothing under a phone's open bottom sheet
    priority().forEach(function (id) {
      var n = POOL[id];
      var text = nodeLabel(n);
      if (!text) { return; }
      var px = LABEL_PX + (n.imp >= 8 ? 2 : n.imp >= 4 ? 1 : 0) + (id === state.selected ? 2 : 0);
      var fs = px / scale;
      var lines = text.split("\n").length;
      var bw = textWidth(text, fs), bh = fs * 1.2 * lines;
      var left = n.x - bw / 2, top = n.y + n.size + 3 / scale;
      // only whole labels: a node off the canvas has none, and a label that would run past a side
      // slides inward while it still spans its node, else it is left out (never cut by the edge)
      var x0 = view.x - w / 2 + edge, x1 = view.x + w / 2 - edge;
      if (n.x < x0 || n.x > x1 || top < view.y - h / 2 || top + bh > y1 || bw > x1 - x0) { return; }
      left = Math.min(Math.max(left, x0), x1 - bw);
      var b = [left - pad, top - pad, left + bw + pad, top + bh + pad];
      var gx0 = Math.floor(b[0] / cell), gx1 = Math.floor(b[2] / cell);
      var gy0 = Math.floor(b[1] / cell), gy1 = Math.floor(b[3] / cell);
      var gx, gy, list, i;
      for (gx = gx0; gx <= gx1; gx++) {
        for (gy = gy0; gy <= gy1; gy++) {
          list = grid.get(gx + "," + gy);
          if (!list) { continue; }
          for (i = 0; i < list.length; i++) {
            var o = boxes[list[i]];
            if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) { return; }
          }
        }
      }
      boxes.push(b);
      for (gx = gx0; gx <= gx1; gx++) {
        for (gy = gy0; gy <= gy1; gy++) {
          var key = gx + "," + gy;
          if (!grid.has(key)) { grid.set(key, []); }
          grid.get(key).push(boxes.length - 1);
        }
      }
      chosen.push({ id: id, key: n.key, text: text, px: px, x: left + bw / 2, top: top, w: bw, h: bh,
                    faded: !!(highlightSet && !highlightSet.has(id)) });
    });
    // faded labels first, so a highlighted one is always drawn over them; the selection last
    placed = chosen.reverse();
    placedScale = scale;
    labelsDirty = false;
  }
  // One redraw on the next frame, however many changes ask for it (a redraw of 5,000 nodes is slow).
  var redrawFrame = null;
  function placeLabelsSoon() {
    labelsDirty = true;
    if (redrawFrame === null) {
      redrawFrame = requestAnimationFrame(function () { redrawFrame = null; network.redraw(); });
    }
  }
  network.on("afterDrawing", function (ctx) {
    var scale = network.getScale();
    if (labelsDirty || scale !== placedScale) { placeLabels(); }
    ctx.save();
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.lineJoin = "round";
    placed.forEach(function (p) {
      var fs = p.px / scale;
      ctx.font = fs + "px " + FACE;
      ctx.lineWidth = 3 / scale;
      ctx.strokeStyle = "#ffffff";
      ctx.fillStyle = p.faded ? "#b0b0b0" : "#1a1a1a";
      p.text.split("\n").forEach(function (line, i) {
        var y = p.top + i * fs * 1.2 + fs * 0.1;
        ctx.strokeText(line, p.x, y);
        ctx.fillText(line, p.x, y);
      });
    });
    ctx.restore();
  });
  network.on("zoom", function () { writeUrlSoon(); });
  network.on("dragEnd", function () { placeLabelsSoon(); writeUrlSoon(); });
  network.on("afterDrawing", function () {
    if (window.egovkg.timing.firstDraw !== null || !firstFitDone) { return; }
    window.egovkg.timing.firstDraw = performance.now();
    document.body.setAttribute("data-drawn", "1");
  });
  // the labels drawn now: text, on-screen font size and node (tests measure their boxes themselves)
  window.egovkg.drawnLabels = function () {
    if (labelsDirty || network.getScale() !== placedScale) { placeLabels(); }
    return placed.map(function (p) {
      return { id: p.id, key: p.key, label: p.text, px: p.px, faded: p.faded, box: [p.x - p.w / 2, p.top, p.w, p.h] };
    });
  };

  // -- visibility: legend toggles and the three filters ------------------------------------------
  function passes(n) {
    if (state.off[n.cls]) { return false; }
    var f = n.facets;
    if (state.cat && f.cat && f.cat.indexOf(state.cat) < 0) { return false; }
    if (state.prov && f.prov && f.prov.indexOf(state.prov) < 0) { return false; }
    if (state.kind && f.kind && f.kind.indexOf(state.kind) < 0) { return false; }
    return true;
  }
  function applyVisibility(refit) {
    var changes = [];
    drawn.forEach(function (id) {
      var n = POOL[id];
      var hide = !passes(n);
      if (hide !== n.hidden) { n.hidden = hide; changes.push({ id: n.id, hidden: hide }); }
    });
    if (changes.length) { nodes.update(changes); }
    var edgeChanges = [];
    edges.forEach(function (e) {
      var hide = !!state.offEdge[EDGE.get(e.id).t];
      if (hide !== !!e.hidden) { edgeChanges.push({ id: e.id, hidden: hide }); }
    });
    if (edgeChanges.length) { edges.update(edgeChanges); }
    if (refit) { fitVisible(); }
    updateCounts();
    placeLabelsSoon();
    if (tableOpen) { renderTable(); }
  }
  function shownIds() {
    var ids = [];
    drawn.forEach(function (id) { if (!POOL[id].hidden) { ids.push(id); } });
    return ids.sort(function (a, b) { return a - b; });
  }
  function shownEdges() {
    var out = [];
    edges.forEach(function (e) {
      if (!e.hidden && !POOL[e.from].hidden && !POOL[e.to].hidden) { out.push(EDGE.get(e.id)); }
    });
    return out;
  }
  function updateCounts() {
    document.getElementById("counts").textContent =
      ui("shownNodes") + ": " + shownIds().length + " / " + drawn.size + "; " + ui("shownEdges") + ": " +
      shownEdges().length + " / " + edges.length + ". " + ui("filterCounts") + ".";
  }
  function fillSelect(id, key, opts) {
    var sel = document.getElementById(id);
    var keep = state[key];
    sel.replaceChildren();
    var all = el("option", ui("all"));
    all.value = "";
    sel.appendChild(all);
    opts.forEach(function (o) {
      var opt = el("option", pick([o.zh, o.en]) + " (" + o.n + " " + ui("awardsUnit") + ")");
      opt.value = o.v;
      sel.appendChild(opt);
    });
    sel.value = keep;
    sel.disabled = opts.length === 0;
    sel.parentNode.hidden = opts.length === 0;
    sel.onchange = function () { state[key] = sel.value; applyVisibility(true); writeUrl(); };
  }

  // -- legends ------------------------------------------------------------------------------------
  var SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    var s = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { s.setAttribute(k, attrs[k]); });
    return s;
  }
  function swatch(shape, color) {
    var svg = svgEl("svg", { width: "16", height: "16", viewBox: "0 0 16 16", "aria-hidden": "true" });
    var poly = {
      triangle: "8,2 14.5,14 1.5,14", triangleDown: "1.5,2 14.5,2 8,14", diamond: "8,1 15,8 8,15 1,8",
      star: "8,1 10,6 15.5,6.2 11.2,9.6 12.8,15 8,11.8 3.2,15 4.8,9.6 0.5,6.2 6,6",
      hexagon: "4,1.5 12,1.5 15.5,8 12,14.5 4,14.5 0.5,8"
    };
    var s;
    if (shape === "square") { s = svgEl("rect", { x: "2", y: "2", width: "12", height: "12" }); }
    else if (poly[shape]) { s = svgEl("polygon", { points: poly[shape] }); }
    else { s = svgEl("circle", { cx: "8", cy: "8", r: "6" }); }
    s.setAttribute("fill", color); s.setAttribute("stroke", "#333"); s.setAttribute("stroke-width", "1");
    svg.appendChild(s);
    return svg;
  }
  function line(color, dashed) {
    var svg = svgEl("svg", { width: "22", height: "10", viewBox: "0 0 22 10", "aria-hidden": "true" });
    var l = svgEl("line", { x1: "1", y1: "5", x2: "21", y2: "5", stroke: color, "stroke-width": "2" });
    if (dashed) { l.setAttribute("stroke-dasharray", "4 3"); }
    svg.appendChild(l);
    return svg;
  }
  function countClasses() {
    var n = {};
    drawn.forEach(function (id) { n[POOL[id].cls] = (n[POOL[id].cls] || 0) + 1; });
    return n;
  }
  function renderLegend() {
    var ul = document.getElementById("legend");
    ul.replaceChildren();
    var counts = countClasses();
    DATA.legend.forEach(function (c) {
      if (!counts[c.cls]) { return; }
      var li = el("li");
      var b = button("", function () {
        state.off[c.cls] = !state.off[c.cls];
        if (!state.off[c.cls]) { delete state.off[c.cls]; }
        b.setAttribute("aria-pressed", state.off[c.cls] ? "false" : "true");
        applyVisibility(true);
        writeUrl();
      });
      b.setAttribute("data-cls", c.cls);
      b.setAttribute("aria-pressed", state.off[c.cls] ? "false" : "true");
      b.appendChild(swatch(c.shape, c.color));
      b.appendChild(el("span", pick([c.zh, c.en])));
      b.appendChild(el("span", String(counts[c.cls]), "n"));
      li.appendChild(b);
      ul.appendChild(li);
    });
    var eul = document.getElementById("edge-legend");
    eul.replaceChildren();
    var ecounts = {};
    edges.forEach(function (e) { var t = EDGE.get(e.id).t; ecounts[t] = (ecounts[t] || 0) + 1; });
    DATA.edgeTypes.forEach(function (t, i) {
      if (!ecounts[i]) { return; }
      var li = el("li");
      var b = button("", function () {
        state.offEdge[i] = !state.offEdge[i];
        if (!state.offEdge[i]) { delete state.offEdge[i]; }
        b.setAttribute("aria-pressed", state.offEdge[i] ? "false" : "true");
        applyVisibility(false);
        writeUrl();
      });
      b.setAttribute("data-edge-type", String(i));
      b.setAttribute("aria-pressed", state.offEdge[i] ? "false" : "true");
      b.appendChild(line(t.color, t.derived));
      b.appendChild(el("span", pick(t.p)));
      b.appendChild(el("span", String(ecounts[i]), "n"));
      li.appendChild(b);
      eul.appendChild(li);
    });
    var sl = document.getElementById("size-legend");
    sl.replaceChildren();
    var sizes = DATA.sizes || { what: ["", ""], samples: [] };
    sl.appendChild(el("p", pick(sizes.what), "what"));
    var row = el("div", null, "sizes");
    sizes.samples.forEach(function (s) {
      var r = Math.min(s[1], 24);
      var item = el("span", null, "size");
      var svg = svgEl("svg", { width: String(2 * r + 2), height: String(2 * r + 2), "aria-hidden": "true" });
      svg.appendChild(svgEl("circle", { cx: String(r + 1), cy: String(r + 1), r: String(r), fill: "#dddddd", stroke: "#555" }));
      item.appendChild(svg);
      item.appendChild(el("span", String(s[0])));
      row.appendChild(item);
    });
    sl.appendChild(row);
  }

  // -- selection, highlight and details ------------------------------------------------------------
  var dimmedEdges = new Set();
  function highlight(id) {
    var keep = new Set([id]);
    network.getConnectedNodes(id).forEach(function (m) { keep.add(m); });
    highlightSet = keep;
    var nodeChanges = [];
    drawn.forEach(function (nid) {
      var n = POOL[nid];
      var dim = !keep.has(nid);
      if (dim !== n.dim) { n.dim = dim; nodeChanges.push({ id: nid, opacity: dim ? 0.18 : 1 }); }
    });
    nodes.update(nodeChanges);
    var near = new Set(network.getConnectedEdges(id));
    var edgeChanges = [];
    edges.forEach(function (e) {
      var dim = !near.has(e.id);
      if (dim !== dimmedEdges.has(e.id)) {
        if (dim) { dimmedEdges.add(e.id); } else { dimmedEdges.delete(e.id); }
        edgeChanges.push({ id: e.id, color: { opacity: dim ? 0.12 : 1 } });
      }
    });
    edges.update(edgeChanges);
  }
  function clearHighlight() {
    highlightSet = null;
    var nodeChanges = [];
    drawn.forEach(function (id) {
      var n = POOL[id];
      if (n.dim) { n.dim = false; nodeChanges.push({ id: id, opacity: 1 }); }
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
    if (target && drawn.has(target.id)) {
      var b = button(text, function () { select(target.id, true); }, "to-node");
      b.setAttribute("data-key", target.key);
      return b;
    }
    var href = target ? pageHref(target) : null;
    if (href) {
      var a = el("a", text, "to-page");
      a.href = href;
      return a;
    }
    return el("span", text);
  }
  function visibleValues(values) {
    if (state.lang === "both") { return values; }
    var mine = values.filter(function (v) { return v.r !== undefined || v.l === state.lang; });
    var other = values.filter(function (v) { return v.r === undefined && v.l !== state.lang && v.l !== ""; });
    var plain = values.filter(function (v) { return v.r === undefined && v.l === ""; });
    return mine.length || plain.length ? mine.concat(plain) : other;
  }
  function showDetails(n) {
    var box = document.getElementById("details");
    box.replaceChildren();
    if (!n) {
      box.appendChild(el("p", generic && !drawn.size ? ui("hintNeighbourhood") : ui("hint"), "hint"));
      return;
    }
    var st = styleOf[n.cls];
    box.appendChild(el("h3", name(n)));
    if (state.lang === "both" && n.en !== n.zh) { box.appendChild(el("p", n.en, "sub")); }
    if (state.lang === "en" && n.zh !== n.en) { box.appendChild(el("p", n.zh, "sub")); }
    var type = el("span", pick([st.zh, st.en]), "type");
    type.style.background = st.color;
    type.style.color = "#111";
    box.appendChild(type);
    var actions = el("p", null, "actions");
    var href = pageHref(n);
    if (href) {
      var a = el("a", ui("page"), "page-link");
      a.href = href;
      actions.appendChild(a);
    }
    var more = hiddenNeighbours(n.id).length;
    var ex = button(more ? ui("expandN", more) : ui("expanded"), function () { expand(n.id); }, "expand");
    ex.disabled = more === 0;
    actions.appendChild(ex);
    var nh = viewHref("neighbourhood", new URLSearchParams({ focus: n.key, lang: state.lang }));
    if (nh) {
      var l = el("a", ui("neighbourhood"), "neighbourhood-link");
      l.href = nh;
      actions.appendChild(l);
    }
    box.appendChild(actions);
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
      var vbox = el("div");
      values.forEach(function (v) {
        var lineBox = el("div");
        lineBox.appendChild(valueNode(v));
        vbox.appendChild(lineBox);
      });
      row(pick(f.p), vbox);
    });
    n.sources.forEach(function (s) {
      var q = el("blockquote");
      q.appendChild(el("span", s[0] ? "\u2026" + s[0] : "", "ctx"));
      q.appendChild(el("mark", s[1]));
      q.appendChild(el("span", s[2] ? s[2] + "\u2026" : "", "ctx"));
      row(ui("source"), q);
    });
    var code = el("code", n.iri);
    if (href) {
      var link = el("a");
      link.href = href;
      link.appendChild(code);
      row(ui("iri"), link);
    } else {
      row(ui("iri"), code);
    }
    box.appendChild(dl);
  }
  function select(id, fit) {
    var n = POOL[id];
    if (!n) { return; }
    if (!drawn.has(id)) {
      if (generic) { setFocus(n.key); return; }
      var near = adj[id].map(function (a) { return a.o; }).filter(function (m) { return drawn.has(m); });
      if (!near.length) { return; }
      expand(near[0], true);
    }
    state.selected = id;
    if (n.hidden) {  // reveal what the user asked for, rather than select an invisible node
      state.cat = state.prov = state.kind = ""; state.off = {};
      refreshControls(); renderLegend();
      applyVisibility(false);
    }
    network.selectNodes([id]);
    highlight(id);
    showDetails(n);
    openSheet(true);  // first, so the fit knows how much of the canvas the sheet covers on a phone
    if (fit) { fitTo([id].concat(network.getConnectedNodes(id))); } else { placeLabelsSoon(); }
    say(ui("selected") + ": " + name(n));
    writeUrl();
  }
  function deselect() {
    state.selected = null;
    network.unselectAll();
    clearHighlight();
    showDetails(null);
    placeLabelsSoon();
    writeUrl();
  }
  network.on("click", function (params) {
    if (params.nodes.length) { select(params.nodes[0], true); } else if (!params.edges.length) { deselect(); }
  });

  // -- fitting the view ---------------------------------------------------------------------------
  var MAX_FIT_SCALE = 1.6;
  function fitTo(ids) {
    ids = ids.filter(function (id) { return drawn.has(id) && !POOL[id].hidden; });
    if (!ids.length) { return; }
    network.fit({ nodes: ids, animation: false });
    var scale = Math.min(network.getScale(), MAX_FIT_SCALE);
    // on a phone the open bottom sheet covers the canvas's lower part: fit into what stays visible
    var cover = coveredHeight(), H = container.clientHeight || 600;
    if (cover > 0 && cover < H - 80) {
      scale = scale * (H - cover) / H;
      var at = network.getViewPosition();
      network.moveTo({ position: { x: at.x, y: at.y + cover / 2 / scale }, scale: scale, animation: false });
    } else if (network.getScale() > MAX_FIT_SCALE) {
      network.moveTo({ scale: MAX_FIT_SCALE, animation: false });
    }
    placeLabelsSoon();
  }
  // pixels at the bottom of the canvas under the open bottom sheet (a phone; 0 elsewhere)
  function coveredHeight() {
    if (!document.body.classList.contains("sheet-open")) { return 0; }
    var side = document.getElementById("side");
    if (!side || getComputedStyle(side).position !== "fixed") { return 0; }
    var c = container.getBoundingClientRect(), sb = side.getBoundingClientRect();
    return Math.max(0, Math.min(c.height, c.bottom - sb.top));
  }
  function fitVisible() {
    fitTo(shownIds());
  }
  function fitAll() {
    network.fit({ animation: false });
    placeLabelsSoon();
  }

  // -- search -------------------------------------------------------------------------------------
  var input = document.getElementById("search");
  var results = document.getElementById("results");
  function search(q) {
    var f = fold(q);
    if (!f) { return []; }
    var hits = [];
    POOL.forEach(function (n) {
      if (!generic && !drawn.has(n.id)) { return; }
      var at = n.search.indexOf(f);
      if (at >= 0) {
        var exact = n.search.split("\u0000").indexOf(f) >= 0;
        hits.push({ n: n, rank: exact ? 0 : (at === 0 || n.search.charAt(at - 1) === "\u0000" ? 1 : 2) });
      }
    });
    hits.sort(function (a, b) { return a.rank - b.rank || a.n.zh.length - b.n.zh.length || a.n.id - b.n.id; });
    return hits.slice(0, 20).map(function (h) { return h.n; });
  }
  function resultButtons() { return Array.prototype.slice.call(results.querySelectorAll("button")); }
  function showResults() {
    var found = search(input.value);
    results.replaceChildren();
    if (!input.value.trim()) { results.hidden = true; input.setAttribute("aria-expanded", "false"); return; }
    if (!found.length) { results.appendChild(el("li", ui("none"), "cls")); }
    found.forEach(function (n) {
      var li = el("li");
      var b = button(pick([n.zh, n.en]), function () { results.hidden = true; select(n.id, true); });
      b.appendChild(el("span", pick([styleOf[n.cls].zh, styleOf[n.cls].en]), "cls"));
      b.addEventListener("keydown", function (ev) {
        var all = resultButtons(), i = all.indexOf(b);
        if (ev.key === "ArrowDown") { ev.preventDefault(); (all[i + 1] || all[0]).focus(); }
        else if (ev.key === "ArrowUp") { ev.preventDefault(); if (i === 0) { input.focus(); } else { all[i - 1].focus(); } }
        else if (ev.key === "Escape") { ev.preventDefault(); results.hidden = true; input.focus(); }
      });
      li.appendChild(b);
      results.appendChild(li);
    });
    results.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }
  input.addEventListener("input", showResults);
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var found = search(input.value);
      if (found.length) { results.hidden = true; select(found[0].id, true); }
    } else if (ev.key === "ArrowDown") {
      if (results.hidden) { showResults(); }
      var all = resultButtons();
      if (all.length) { ev.preventDefault(); all[0].focus(); }
    } else if (ev.key === "Escape") {
      results.hidden = true;
    }
  });
  document.addEventListener("click", function (ev) {
    if (!document.getElementById("search-box").contains(ev.target)) { results.hidden = true; }
  });

  // -- the graph takes keys ----------------------------------------------------------------------
  function step(dir) {
    var order = priority().filter(function (id) { return !POOL[id].hidden; });
    if (!order.length) { return; }
    order.sort(function (a, b) { return POOL[b].imp - POOL[a].imp || a - b; });
    var i = state.selected === null ? -1 : order.indexOf(state.selected);
    var next = order[(i + dir + order.length) % order.length];
    if (i < 0 && dir < 0) { next = order[order.length - 1]; }
    select(next, true);
  }
  container.addEventListener("keydown", function (ev) {
    var scale = network.getScale();
    var pos = network.getViewPosition();
    var panBy = 80 / scale;
    var handled = true;
    switch (ev.key) {
      case "+": case "=": network.moveTo({ scale: scale * 1.25, animation: false }); break;
      case "-": case "_": network.moveTo({ scale: scale / 1.25, animation: false }); break;
      case "ArrowLeft": network.moveTo({ position: { x: pos.x - panBy, y: pos.y }, animation: false }); break;
      case "ArrowRight": network.moveTo({ position: { x: pos.x + panBy, y: pos.y }, animation: false }); break;
      case "ArrowUp": network.moveTo({ position: { x: pos.x, y: pos.y - panBy }, animation: false }); break;
      case "ArrowDown": network.moveTo({ position: { x: pos.x, y: pos.y + panBy }, animation: false }); break;
      case "n": case "N": case "]": step(1); break;
      case "p": case "P": case "[": step(-1); break;
      case "e": case "E": if (state.selected !== null) { expand(state.selected); } break;
      case "0": fitAll(); break;
      case "Escape": deselect(); say(ui("cleared")); break;
      default: handled = false;
    }
    if (handled) { ev.preventDefault(); placeLabelsSoon(); writeUrlSoon(); }
  });

  // -- the table of what the view shows ---------------------------------------------------------------
  var tableOpen = false;
  var tableBox = document.getElementById("table-box");
  function renderTable() {
    document.getElementById("table-title").textContent = ui("tableTitle");
    var nt = document.getElementById("node-table"), et = document.getElementById("edge-table");
    var ids = shownIds();
    nt.caption.textContent = ui("nodesCaption") + " (" + ids.length + ")";
    var head = el("tr");
    ["colName", "colType", "colDegree"].forEach(function (k) { var th = el("th", ui(k)); th.scope = "col"; head.appendChild(th); });
    nt.tHead.replaceChildren(head);
    var body = document.createDocumentFragment();
    ids.sort(function (a, b) { return POOL[b].imp - POOL[a].imp || a - b; }).forEach(function (id) {
      var n = POOL[id];
      var tr = el("tr");
      var td = el("th");
      td.scope = "row";
      td.appendChild(button(name(n), function () { select(id, true); }));
      tr.appendChild(td);
      tr.appendChild(el("td", pick([styleOf[n.cls].zh, styleOf[n.cls].en])));
      tr.appendChild(el("td", String(degree(id))));
      body.appendChild(tr);
    });
    nt.tBodies[0].replaceChildren(body);
    var es = shownEdges();
    et.caption.textContent = ui("edgesCaption") + " (" + es.length + ")";
    head = el("tr");
    ["colFrom", "colRel", "colTo"].forEach(function (k) { var th = el("th", ui(k)); th.scope = "col"; head.appendChild(th); });
    et.tHead.replaceChildren(head);
    body = document.createDocumentFragment();
    es.forEach(function (e) {
      var tr = el("tr");
      tr.appendChild(el("td", name(POOL[e.from])));
      tr.appendChild(el("td", e.p.map(pick).join("; ")));
      tr.appendChild(el("td", name(POOL[e.to])));
      body.appendChild(tr);
    });
    et.tBodies[0].replaceChildren(body);
  }
  var tableToggle = document.getElementById("table-toggle");
  function setTable(open) {
    tableOpen = open;
    tableBox.hidden = !open;
    tableToggle.setAttribute("aria-expanded", open ? "true" : "false");
    tableToggle.textContent = open ? ui("tableClose") : ui("table");
    if (open) { renderTable(); tableBox.focus(); }
  }
  tableToggle.onclick = function () { setTable(!tableOpen); };

  // -- export -------------------------------------------------------------------------------------
  function download(name, blob) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function csvCell(v) {
    var s = String(v === undefined || v === null ? "" : v);
    if (/^[=+\-@\t\r]/.test(s)) { s = "'" + s; }  // a spreadsheet would run it as a formula
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function csv(rows) { return rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n") + "\r\n"; }
  var base = "egovkg-" + DATA.view;
  document.getElementById("export-png").onclick = function () {
    var src = container.querySelector("canvas");
    var out = document.createElement("canvas");
    out.width = src.width; out.height = src.height;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src, 0, 0);
    out.toBlob(function (blob) { download(base + ".png", blob); }, "image/png");
  };
  document.getElementById("export-nodes").onclick = function () {
    var rows = [["id", "iri", "class", "label_zh", "label_en", "x", "y", "connections"]];
    shownIds().forEach(function (id) {
      var n = POOL[id];
      rows.push([n.key, n.iri, n.cls, n.zh, n.en, n.x, n.y, degree(id)]);
    });
    download(base + "-nodes.csv", new Blob(["\ufeff" + csv(rows)], { type: "text/csv;charset=utf-8" }));
  };
  document.getElementById("export-edges").onclick = function () {
    var rows = [["from", "to", "relation_zh", "relation_en", "from_iri", "to_iri"]];
    shownEdges().forEach(function (e) {
      rows.push([POOL[e.from].key, POOL[e.to].key, e.p.map(function (p) { return p[0]; }).join("; "),
                 e.p.map(function (p) { return p[1]; }).join("; "), POOL[e.from].iri, POOL[e.to].iri]);
    });
    download(base + "-edges.csv", new Blob(["\ufeff" + csv(rows)], { type: "text/csv;charset=utf-8" }));
  };

  // -- the state in the URL -------------------------------------------------------------------------
  var urlTimer = null;
  var restoring = false;
  function stateParams() {
    var p = new URLSearchParams();
    if (state.focus) { p.set("focus", state.focus); if (state.depth !== 2) { p.set("depth", String(state.depth)); } }
    if (state.selected !== null && !(generic && POOL[state.selected].key === state.focus)) {
      p.set("sel", POOL[state.selected].key);  // (a neighbourhood's centre is selected anyway)
    }
    if (state.lang !== DATA.lang) { p.set("lang", state.lang); }
    ["cat", "prov", "kind"].forEach(function (k) { if (state[k]) { p.set(k, state[k]); } });
    var off = Object.keys(state.off).sort();
    if (off.length) { p.set("off", off.join(",")); }
    var offe = Object.keys(state.offEdge).sort();
    if (offe.length) { p.set("offe", offe.join(",")); }
    if (state.expanded.length) { p.set("exp", state.expanded.join(",")); }
    var pos = network.getViewPosition();
    p.set("z", network.getScale().toFixed(4));
    p.set("x", pos.x.toFixed(1));
    p.set("y", pos.y.toFixed(1));
    if (SHAPE) { p.set("r", SHAPE); }
    return p;
  }
  function writeUrl(settling) {
    if (restoring || !firstFitDone) { return; }
    if (!settling) { pendingView = null; }  // the user has moved on from the first picture
    var hash = "#" + stateParams().toString();
    if (location.hash === hash) { return; }
    try { history.replaceState(null, "", hash); } catch (err) { location.replace(hash); }
  }
  function writeUrlSoon() {
    if (urlTimer !== null) { clearTimeout(urlTimer); }
    urlTimer = setTimeout(function () { urlTimer = null; writeUrl(); }, 150);
  }
  // "agencykind:x" (the explorer's CURIEs, egovkg.publish.explorer.curie) names "agency-kind:x"
  var byCurie = new Map();
  POOL.forEach(function (n) { byCurie.set(n.key.replace(/^[^:]*/, function (k) { return k.replace(/-/g, ""); }), n); });
  function readUrl() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ""));
    // links from the other explorer pages and the site: ?node=CURIE&lang=zh|en (the fragment wins)
    var q = new URLSearchParams(location.search);
    if (!p.has("sel") && q.has("node")) {
      var named = byKey.get(q.get("node")) || byCurie.get(q.get("node")) || byIri.get(q.get("node"));
      if (named) { p.set(generic ? "focus" : "sel", named.key); }
    }
    if (!p.has("lang") && q.has("lang")) { p.set("lang", q.get("lang")); }
    var lang = p.get("lang");
    if (lang === "zh" || lang === "en" || lang === "both") { state.lang = lang; }
    ["cat", "prov", "kind"].forEach(function (k) {
      var v = p.get(k) || "";
      var ok = DATA.filters[k].some(function (o) { return o.v === v; });
      state[k] = ok ? v : "";
    });
    state.off = {};
    (p.get("off") || "").split(",").forEach(function (c) { if (styleOf[c]) { state.off[c] = true; } });
    state.offEdge = {};
    (p.get("offe") || "").split(",").forEach(function (t) { if (t !== "" && DATA.edgeTypes[+t]) { state.offEdge[+t] = true; } });
    var depth = parseInt(p.get("depth") || "2", 10);
    state.depth = depth >= 0 && depth <= 6 ? depth : 2;
    var focus = p.get("focus");
    state.focus = focus && byKey.has(focus) ? focus : null;
    state.expanded = (p.get("exp") || "").split(",").filter(function (k) { return byKey.has(k); });
    var sel = p.get("sel");
    var z = parseFloat(p.get("z")), x = parseFloat(p.get("x")), y = parseFloat(p.get("y"));
    return { sel: sel && byKey.has(sel) ? byKey.get(sel).id : null,
             view: isFinite(z) && z > 0 && isFinite(x) && isFinite(y) && (p.get("r") || "") === SHAPE
               ? { scale: z, position: { x: x, y: y } } : null };
  }
  // the most connected entity of each of a few classes, for the blank neighbourhood page
  function startWith() {
    var best = {};
    POOL.forEach(function (n) {
      if (HUBS.has(n.cls) || ["Agency", "Region", "Programme", "Award", "Practice"].indexOf(n.cls) < 0) { return; }
      if (!best[n.cls] || n.imp > best[n.cls].imp || (n.imp === best[n.cls].imp && n.key < best[n.cls].key)) { best[n.cls] = n; }
    });
    return ["Agency", "Region", "Programme", "Award"].map(function (c) { return best[c]; }).filter(Boolean);
  }
  function setFocus(key) {
    state.focus = key;
    state.selected = null;
    state.expanded = [];
    rebuild({ sel: byKey.get(key).id, view: null });
  }

  // -- language and chrome --------------------------------------------------------------------------
  function refreshControls() {
    fillSelect("filter-cat", "cat", DATA.filters.cat);
    fillSelect("filter-prov", "prov", DATA.filters.prov);
    fillSelect("filter-kind", "kind", DATA.filters.kind);
  }
  function applyLanguage() {
    document.documentElement.lang = state.lang === "en" ? "en" : "zh-Hans";
    if (state.lang === "both") { document.documentElement.removeAttribute("data-egk-lang"); }
    else { document.documentElement.setAttribute("data-egk-lang", state.lang); }  // the nav bar's language
    document.getElementById("title").textContent = "egovkg \u00b7 " + pick(DATA.title) +
      (generic && state.focus ? " \u00b7 " + name(byKey.get(state.focus)) : "");
    document.title = document.getElementById("title").textContent;
    var note = document.getElementById("note");
    if (DATA.note) { note.textContent = pick(DATA.note); note.hidden = false; }
    document.querySelectorAll("[data-ui]").forEach(function (x) { x.textContent = ui(x.getAttribute("data-ui")); });
    input.placeholder = ui("searchShort");  // the box's width; the full wording is its label
    input.setAttribute("aria-label", ui("search"));
    container.setAttribute("aria-label", ui("graphLabel"));
    document.getElementById("keys-help").textContent = ui("keys");
    document.getElementById("reset").textContent = ui("reset");
    document.getElementById("fit").textContent = ui("fit");
    document.getElementById("tools-toggle").textContent = ui("tools");
    document.getElementById("export-png").textContent = ui("png");
    document.getElementById("export-nodes").textContent = ui("csvNodes");
    document.getElementById("export-edges").textContent = ui("csvEdges");
    tableToggle.textContent = tableOpen ? ui("tableClose") : ui("table");
    var empty = document.getElementById("empty");
    empty.replaceChildren(document.createTextNode(ui("hintNeighbourhood")));
    if (generic) {  // not a blank page: a few well-connected entities to start from
      var tried = el("span", ui("startWith"), "start");
      empty.appendChild(tried);
      startWith().forEach(function (n) {
        empty.appendChild(button(name(n), function () { setFocus(n.key); writeUrl(); }, "start-btn"));
      });
    }
    empty.hidden = !(generic && !drawn.size);
    updateSheetLabel();
    refreshControls();
    renderLegend();
    updateCounts();
    if (titlesLang !== state.lang) {
      titlesLang = state.lang;
      var changes = [];
      drawn.forEach(function (id) { changes.push({ id: id, title: nodeTitle(POOL[id]) }); });
      nodes.update(changes);
      var echanges = [];
      edges.forEach(function (e) { echanges.push({ id: e.id, title: edgeTitle(EDGE.get(e.id)) }); });
      edges.update(echanges);
    }
    placeLabelsSoon();
    if (tableOpen) { renderTable(); }
    showDetails(state.selected === null ? null : POOL[state.selected]);
  }
  var langSelect = document.getElementById("lang");
  langSelect.onchange = function () { state.lang = langSelect.value; applyLanguage(); writeUrl(); };
  document.getElementById("fit").onclick = function () { fitAll(); writeUrl(); };
  document.getElementById("reset").onclick = function () {
    state.cat = state.prov = state.kind = ""; state.off = {}; state.offEdge = {};
    input.value = ""; results.hidden = true;
    if (state.expanded.length && !generic) { state.expanded = []; rebuild({ sel: null, view: null }); return; }
    refreshControls(); renderLegend(); applyVisibility(false); deselect();
    fitAll();
    writeUrl();
  };
  var toolsToggle = document.getElementById("tools-toggle");
  toolsToggle.onclick = function () {
    var open = document.body.classList.toggle("tools-open");
    toolsToggle.setAttribute("aria-expanded", open ? "true" : "false");
  };
  var sheetToggle = document.getElementById("sheet-toggle");
  function updateSheetLabel() {
    sheetToggle.textContent = document.body.classList.contains("sheet-open") ? ui("sheetClose") : ui("sheetOpen");
  }
  function openSheet(open) {
    document.body.classList.toggle("sheet-open", open);
    sheetToggle.setAttribute("aria-expanded", open ? "true" : "false");
    updateSheetLabel();
  }
  sheetToggle.onclick = function () { openSheet(!document.body.classList.contains("sheet-open")); };

  // -- putting it together ---------------------------------------------------------------------------
  var firstFitDone = false;
  // vis-network rescales the picture when its canvas changes size, as it does while the page's
  // chrome settles after a load: a view restored from the URL is put back until then.
  var pendingView = null;
  network.on("resize", function () {
    if (pendingView) {  // after vis has set its own camera, which it does right after this event
      var again = pendingView;
      setTimeout(function () { again(); writeUrl(true); }, 0);
    }
    placeLabelsSoon();
  });
  network.on("dragStart", function () { pendingView = null; });
  network.on("zoom", function () { pendingView = null; });
  network.on("click", function () { pendingView = null; });
  function rebuild(restored) {
    restoring = true;
    undrawAll();
    placed = [];
    highlightSet = null;
    dimmedEdges.clear();
    POOL.forEach(function (n) { n.hidden = false; n.dim = false; });
    if (generic) {
      if (state.focus) { draw(neighbourhood(byKey.get(state.focus).id, state.depth)); }
    } else {
      draw(DATA.nodes.map(function (n) { return n.id; }));
      state.expanded.slice().forEach(function (k) { var n = byKey.get(k); if (n && drawn.has(n.id)) { expand(n.id, true); } });
    }
    POOL.forEach(function (n) { n.hidden = drawn.has(n.id) && !passes(n); });
    nodes.update(Array.from(drawn).filter(function (id) { return POOL[id].hidden; }).map(function (id) { return { id: id, hidden: true }; }));
    attach();
    langSelect.value = state.lang;
    applyLanguage();
    applyVisibility(false);
    var sel = restored.sel;
    var centre = generic && state.focus ? byKey.get(state.focus).id : DATA.focus;
    if (sel === null && generic && state.focus) { sel = centre; }
    if (sel !== null && !drawn.has(sel)) { sel = null; }
    var firstView;  // how the picture is framed at first; done again while the page settles
    if (restored.view) {
      firstView = function () {
        network.moveTo({ scale: restored.view.scale, position: restored.view.position, animation: false });
      };
    } else if (sel !== null && sel !== centre) {
      firstView = function () { fitTo([sel].concat(network.getConnectedNodes(sel))); };
    } else if (sel === null && (state.cat || state.prov || state.kind || Object.keys(state.off).length)) {
      firstView = fitVisible;
    } else {
      firstView = fitAll;
    }
    firstView();
    firstFitDone = true;
    if (sel !== null) {
      select(sel, false);
      firstView();
    } else {
      state.selected = null;
      showDetails(null);
    }
    restoring = false;
    pendingView = firstView;
    setTimeout(function () { pendingView = null; }, 1500);
    placeLabelsSoon();
    writeUrl(true);
  }
  var initial = readUrl();
  var fromUrl = initial.sel !== null;
  if (!location.hash && DATA.focus !== null && DATA.focus !== undefined) { initial.sel = DATA.focus; }
  rebuild(initial);
  openSheet(fromUrl);  // a shared link to a selection opens on its details
  window.addEventListener("hashchange", function () {
    if (location.hash === "#" + stateParams().toString()) { return; }
    rebuild(readUrl());
  });
  window.addEventListener("resize", function () { placeLabelsSoon(); });
  window.egovkg.select = select;
  window.egovkg.expand = expand;
  window.egovkg.placeLabels = placeLabels;
})();
