"use strict";
// map.html: select a square (click, Enter, ?province=CODE or ?node=region:CODE), list its awards.
(() => {
  const { data, el, bi, t } = EGK;
  const m = data.map;
  const byCode = new Map(m.tiles.map((tile) => [tile.code, tile]));
  const svg = document.getElementById("egk-map");
  const panel = document.getElementById("egk-details");
  const cell = new Map(m.tiles.map((tile) => [tile.x + "," + tile.y, tile.code]));
  const step = m.tile + (m.tiles.length > 1 ? 4 : 0);
  let selected = null;

  function render(tile) {
    panel.replaceChildren();
    const h = el("h2", {}, bi([tile.zh, tile.en]));
    panel.append(h);
    const count = tile.count;
    panel.append(el("p", { class: "egk-count" }, bi([`${count} 项获奖`, `${count} award${count === 1 ? "" : "s"}`])));
    const links = el("p", { class: "egk-links" });
    if (tile.site) links.append(el("a", { href: tile.site }, bi(["关联数据页面", "Linked-data page"])));
    if (tile.region) links.append(el("a", { href: "./geography.html?node=" + encodeURIComponent(tile.region).replace("%3A", ":") }, bi(["在地域图中显示", "Show in the geography view"])));
    if (links.childNodes.length) panel.append(links);
    if (!tile.awards.length) {
      panel.append(el("p", { class: "egk-muted" }, bi(["此地没有获奖实践。", "No awarded practice here."])));
      return;
    }
    const ol = el("ol", {});
    for (const a of tile.awards) {
      const li = el("li", {});
      li.append(el("a", { href: a.site }, bi(a.practice)));
      li.append(" ");
      li.append(el("span", { class: "egk-muted" }, "(", bi(a.category), a.rank ? ` #${a.rank}` : "", ") "));
      li.append(el("a", { href: a.graph, class: "egk-graphlink" }, bi(["在图中显示", "show in graph"])));
      ol.append(li);
    }
    panel.append(ol);
  }

  function select(code, { push = true, focusPanel = false } = {}) {
    const tile = byCode.get(code);
    if (!tile) return;
    selected = code;
    svg.querySelectorAll(".egk-tile").forEach((a) => {
      const on = a.dataset.code === code;
      a.classList.toggle("selected", on);
      if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
    document.querySelectorAll("#egk-table tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.code === code));
    render(tile);
    if (push) EGK.setParams({ province: code, node: null });
    if (focusPanel) panel.focus({ preventScroll: false });
  }

  svg.querySelectorAll(".egk-tile").forEach((a) => {
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      select(a.dataset.code, { focusPanel: window.matchMedia("(max-width: 900px)").matches });
    });
    a.addEventListener("keydown", (ev) => {
      // Enter and Space select here rather than through the browser's activation of an SVG link,
      // which is not dispatched the same way in every engine (and never for Space)
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select(a.dataset.code, { focusPanel: window.matchMedia("(max-width: 900px)").matches });
        return;
      }
      const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
      if (!d) return;
      ev.preventDefault();
      const tile = byCode.get(a.dataset.code);
      // the nearest square in that direction (the grid has holes)
      let best = null;
      for (const o of m.tiles) {
        const dx = (o.x - tile.x) / step, dy = (o.y - tile.y) / step;
        const along = dx * d[0] + dy * d[1];
        if (along <= 0) continue;
        const across = Math.abs(dx * d[1] + dy * d[0]);
        const score = along + 2 * across;
        if (!best || score < best[0]) best = [score, o.code];
      }
      if (best) document.getElementById("tile-" + best[1]).focus();
    });
  });

  document.getElementById("egk-csv").addEventListener("click", () => {
    const rows = [["code", "province_zh", "province_en", "awards", "award_ids"]];
    for (const tile of m.ranked) rows.push([tile.code, tile.zh, tile.en, tile.count, tile.awards.map((a) => a.curie).join(" ")]);
    EGK.saveCsv("egovkg-awards-by-province.csv", rows);
  });
  document.getElementById("egk-png").addEventListener("click", () => EGK.savePng("egovkg-awards-by-province.png", svg));

  EGK.onLang(() => { if (selected) render(byCode.get(selected)); });
  const p = EGK.params();
  let start = p.get("province");
  const node = p.get("node");
  if (!start && node) {
    const hit = m.tiles.find((tile) => tile.region === node);
    if (hit) start = hit.code;
  }
  if (!start && location.hash.startsWith("#p-")) start = location.hash.slice(3);
  if (start && byCode.has(start)) select(start, { push: false });
})();
