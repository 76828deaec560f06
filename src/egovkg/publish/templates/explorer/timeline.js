"use strict";
// timeline.html: lays the items out on a proportional axis (breaks where timeline.py cut empty years),
// packs labels into rows measured in the drawing font, and keeps selection and zoom in the URL.
(() => {
  const { data, el, bi, t } = EGK;
  const T = data.timeline;
  const items = T.items;
  const kinds = new Map(T.kinds.map((k) => [k.key, k]));
  const scroller = document.getElementById("egk-tl-scroll");
  const ruler = document.getElementById("egk-tl-ruler");
  const body = document.getElementById("egk-tl-body");
  const panel = document.getElementById("egk-details");
  const scaleNote = document.getElementById("egk-scale");
  const PAD = 14, BREAK = 36, RULER_H = 34, BAND_HEAD = 24, ROW = 30, BAR_H = 10, GAP = 10, MAX_LABEL = 280;
  const FONT = '12px system-ui, "Noto Sans CJK SC", sans-serif';
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = FONT;
  let ppy = null; // pixels per year; null = fit the width
  let selected = null;
  const pos = new Map(); // id -> {x0, x1, y}
  const bandTop = new Map(); // kind -> y of its band's caption

  const years = T.segments.reduce((n, [a, b]) => n + (b - a), 0);
  function fitPpy() {
    const avail = scroller.clientWidth - 2 * PAD - BREAK * Math.max(0, T.segments.length - 1) - 4;
    return Math.max(6, Math.min(400, avail / Math.max(1, years)));  // "fit width" fits, even on a phone
  }
  // x of an instant (fractional year): proportional inside a segment, breaks of fixed width between.
  function x(time, k) {
    let left = PAD;
    for (const [a, b] of T.segments) {
      if (time <= b) return left + (Math.max(time, a) - a) * k;
      left += (b - a) * k + BREAK;
    }
    return left - BREAK;
  }
  function label(item, max = MAX_LABEL) {
    const full = item.date + "  " + t(item.label);
    let s = full;
    if (ctx.measureText(s).width > max) {
      while (s.length > 4 && ctx.measureText(s + "…").width > max) s = s.slice(0, -1);
      s += "…";
    }
    return [s, full, ctx.measureText(s).width];
  }

  function draw() {
    const k = ppy || fitPpy();
    const width = Math.ceil(x(T.segments.length ? T.segments[T.segments.length - 1][1] : 0, k) + PAD);
    ruler.replaceChildren();
    body.replaceChildren();
    pos.clear();
    bandTop.clear();
    // rows per band, packed greedily in time order
    let y = 0;
    const placed = [], heads = [];
    for (const kind of T.kinds) {
      const mine = items.filter((i) => i.kind === kind.key);
      if (!mine.length) continue;
      bandTop.set(kind.key, y);
      const head = el("text", { x: 6, y: y + 16, "font-size": 12, "font-weight": 700, fill: kind.colour, class: "egk-band" }, t([kind.zh, kind.en]));
      heads.push(head);
      y += BAND_HEAD;
      const rows = []; // per row, the [left, right] extents taken
      const axisEnd = x(T.segments[T.segments.length - 1][1], k);
      for (const item of mine) {
        const x0 = x(item.start, k), x1 = Math.max(x(item.end, k), x0 + (item.precision === "day" ? 0 : 3));
        // a label runs right of its mark; one that would run past the axis ends at its mark instead,
        // and one too long for either side is cut to the longer side (never past the drawing's edge)
        const right = axisEnd + PAD - x0, left = x1 - PAD;
        let [text, full, w] = label(item);
        const flip = w > right && (w <= left || left > right);
        if (w > (flip ? left : right)) [text, full, w] = label(item, Math.max(48, flip ? left : right));
        const lo = Math.min(x0, flip ? x1 - w : x0) - GAP / 2, hi = Math.max(x1, flip ? x1 : x0 + w) + GAP / 2;
        let row = rows.findIndex((taken) => taken.every(([a, b]) => hi <= a || lo >= b));
        if (row < 0) { row = rows.length; rows.push([]); }
        rows[row].push([lo, hi]);
        const top = y + row * ROW;
        pos.set(item.id, { x0, x1, y: top });
        const g = el("g", { class: "egk-tl-item", tabindex: 0, role: "listitem", "data-id": item.id, "data-order": item.order,
          "data-start": item.start, "aria-label": full });
        const mark = item.precision === "day" && !item.range
          ? el("circle", { class: "mark", cx: x0, cy: top + 4 + BAR_H / 2, r: 5.5, fill: kind.colour })
          : el("rect", { class: "mark", x: x0, y: top + 4, width: Math.max(3, x1 - x0), height: BAR_H, rx: 2, fill: kind.colour,
              "fill-opacity": item.range ? 0.85 : 0.45 });
        g.append(el("title", {}, full), mark, el("text", { x: flip ? x1 : x0, y: top + 4 + BAR_H + 12, "font-size": 12, fill: "#1b2631",
          "text-anchor": flip ? "end" : "start" }, text));
        placed.push(g);
      }
      const rowsEnd = rows;
      y += rowsEnd.length * ROW + 6;
    }
    const height = y + 6;
    // breaks: a hatched band across the body, a zigzag on the ruler
    let left = PAD;
    for (let s = 0; s < T.segments.length; s++) {
      const [a, b] = T.segments[s];
      left += (b - a) * k;
      if (s + 1 < T.segments.length) {
        const next = T.segments[s + 1][0];
        const gap = [`${b}–${next - 1} 年无记录`, `${b}–${next - 1}: nothing recorded`];
        body.append(el("rect", { class: "egk-break", x: left + 4, y: 0, width: BREAK - 8, height, fill: "#eef1f4" }, el("title", {}, t(gap))));
        ruler.append(el("path", { d: `M${left + 8},6 l6,10 l-6,10 M${left + BREAK - 14},6 l6,10 l-6,10`, stroke: "#56606b", fill: "none", "stroke-width": 1.5 }),
          el("title", {}, t(gap)));
        left += BREAK;
      }
    }
    // items in time order, so Tab and a screen reader meet them in the order they happened
    placed.sort((a, b) => Number(a.dataset.order) - Number(b.dataset.order));
    body.append(...heads, ...placed);
    // ruler: a tick each year, a label every n years so labels stay apart
    const every = [1, 2, 5, 10, 20].find((n) => n * k >= 40) || 50;
    let lastLabel = -Infinity;
    for (const [a, b] of T.segments) {
      for (let yr = a; yr <= b; yr++) {
        const tx = x(yr, k);
        const major = yr % every === 0 || yr === a;
        ruler.append(el("line", { x1: tx, x2: tx, y1: major ? 16 : 24, y2: RULER_H, stroke: "#56606b", "stroke-width": major ? 1.2 : 0.8 }));
        const roomy = yr === a || yr % every === 0;
        if (major && roomy && (yr !== b || b - a < every)) {
          const first = yr === a; // a stretch's first year starts at its tick, clear of the break mark
          const left = first ? tx : tx - 15;
          if (left < lastLabel + 4) continue; // never two year labels on top of each other
          lastLabel = left + 30;
          ruler.append(el("text", { x: tx, y: 12, "font-size": 11, "text-anchor": first ? "start" : "middle", fill: "#1b2631", "data-year": yr }, String(yr)));
        }
      }
    }
    ruler.setAttribute("width", width); ruler.setAttribute("height", RULER_H); ruler.setAttribute("viewBox", `0 0 ${width} ${RULER_H}`);
    body.setAttribute("width", width); body.setAttribute("height", height); body.setAttribute("viewBox", `0 0 ${width} ${height}`);
    scaleNote.textContent = t([`每年 ${Math.round(k)} 像素`, `${Math.round(k)} px per year`]);
    body.querySelectorAll(".egk-tl-item").forEach((g) => {
      g.addEventListener("click", () => {
        select(g.dataset.id, { push: true, scroll: false });
        // on a phone the details sit below the timeline: bring them into view
        if (window.matchMedia("(max-width: 900px)").matches) panel.scrollIntoView({ block: "nearest" });
      });
      g.addEventListener("keydown", keys);
    });
    if (selected) select(selected, { push: false, scroll: false });
  }

  function keys(ev) {
    const id = ev.currentTarget.dataset.id;
    const i = items.findIndex((it) => it.id === id);
    let j = null;
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(id, { push: true, focusPanel: false }); return; }
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") j = Math.min(items.length - 1, i + 1);
    if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") j = Math.max(0, i - 1);
    if (ev.key === "Home") j = 0;
    if (ev.key === "End") j = items.length - 1;
    if (j === null) return;
    ev.preventDefault();
    select(items[j].id, { push: true });
    body.querySelector(`[data-order="${j}"]`).focus({ preventScroll: true });
  }

  function render(item) {
    const kind = kinds.get(item.kind);
    panel.replaceChildren(el("h2", {}, bi(item.label)));
    const precision = { year: ["仅知年份", "year only"], month: ["精确到月", "to the month"], day: ["精确到日", "to the day"] }[item.precision];
    panel.append(el("p", {}, bi([kind.zh, kind.one]), " · ", item.date, " (", bi(item.range ? ["区间", "a range"] : precision), ")"));
    const links = el("p", { class: "egk-links" });
    if (item.site) links.append(el("a", { href: item.site }, bi(["关联数据页面", "Linked-data page"])));
    if (item.graph) links.append(el("a", { href: item.graph }, bi(["在图中显示", "Show in graph"])));
    panel.append(links);
  }

  function select(id, { push = true, scroll = true } = {}) {
    const item = items.find((it) => it.id === id);
    if (!item) return;
    selected = id;
    body.querySelectorAll(".egk-tl-item").forEach((g) => g.classList.toggle("selected", g.dataset.id === id));
    document.querySelectorAll("#egk-table tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
    render(item);
    if (push) EGK.setParams({ node: id });
    const p = pos.get(id);
    if (scroll && p) {
      const target = p.x0 - scroller.clientWidth / 3;
      scroller.scrollLeft = Math.max(0, target);
      const top = p.y + RULER_H - scroller.clientHeight / 3;
      scroller.scrollTop = Math.max(0, top);
    }
  }

  function zoom(factor) {
    ppy = factor === null ? null : Math.max(6, Math.min(600, (ppy || fitPpy()) * factor));
    EGK.setParams({ zoom: ppy === null ? null : String(Math.round(ppy)) });
    draw();
  }
  // the legend's kinds scroll the timeline to their band (lower bands sit below the box's fold)
  document.querySelectorAll(".egk-band-jump").forEach((b) => b.addEventListener("click", () => {
    if (!bandTop.has(b.dataset.kind)) return;
    scroller.scrollTop = bandTop.get(b.dataset.kind);
    scroller.scrollIntoView({ block: "nearest" });
  }));
  document.getElementById("egk-zoom-in").addEventListener("click", () => zoom(1.5));
  document.getElementById("egk-zoom-out").addEventListener("click", () => zoom(1 / 1.5));
  document.getElementById("egk-zoom-fit").addEventListener("click", () => zoom(null));

  document.getElementById("egk-csv").addEventListener("click", () => {
    const rows = [["order", "date", "start", "end", "kind", "name_zh", "name_en", "id"]];
    for (const i of items) rows.push([i.order, i.date, i.start, i.end, i.kind, i.label[0], i.label[1], i.id]);
    for (const u of T.undated) rows.push(["", "", "", "", u.kind, u.label[0], u.label[1], u.id]);
    EGK.saveCsv("egovkg-timeline.csv", rows);
  });
  document.getElementById("egk-png").addEventListener("click", () => {
    // one SVG: the ruler above the body
    const w = Number(body.getAttribute("width")), h = Number(body.getAttribute("height")) + RULER_H;
    const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h });
    const top = el("g", {}); top.append(...[...ruler.childNodes].map((n) => n.cloneNode(true)));
    const rest = el("g", { transform: `translate(0 ${RULER_H})` }); rest.append(...[...body.childNodes].map((n) => n.cloneNode(true)));
    svg.append(top, rest);
    EGK.savePng("egovkg-timeline.png", svg);
  });

  const p = EGK.params();
  const z = Number(p.get("zoom"));
  if (z > 0) ppy = Math.max(6, Math.min(600, z));
  const asked = p.get("node") || T.node || data.node; // ?node= in the URL, else the one the page was written with
  selected = items.some((it) => it.id === asked) ? asked : null;
  draw();
  if (selected) select(selected, { push: false });
  EGK.onLang(draw);
  let width = scroller.clientWidth;
  new ResizeObserver(() => { if (ppy === null && scroller.clientWidth !== width) { width = scroller.clientWidth; draw(); } }).observe(scroller);
})();
