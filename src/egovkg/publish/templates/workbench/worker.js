// The static site's SPARQL engine: Oxigraph (WebAssembly) in a Web Worker, so that the page can
// stop a query past its time limit by terminating the worker.
// Messages in:  {id, op: "init", wasm, oxigraph, dump}  |  {id, op: "query", text, format}
// Messages out: {id, ok: true, ...} | {id, ok: false, error, kind}
// format "json" gives {kind, json} (SELECT/ASK) or {kind: "graph", triples}; "csv", "tsv", "json-text"
// and "nt" give {text}, written by Oxigraph's own serialisers (the same as pyoxigraph's, which
// `egovkg query --format` uses).

let ox = null;
let store = null;

function term(t) {
  if (t.termType === "NamedNode") return { type: "uri", value: t.value };
  if (t.termType === "BlankNode") return { type: "bnode", value: t.value };
  const out = { type: "literal", value: t.value };
  if (t.language) out["xml:lang"] = t.language;
  else if (t.datatype && t.datatype.value !== "http://www.w3.org/2001/XMLSchema#string") out.datatype = t.datatype.value;
  return out;
}

async function init(msg) {
  const started = performance.now();
  ox = await import(msg.oxigraph);
  await ox.default({ module_or_path: msg.wasm });
  const compiled = performance.now();
  const response = await fetch(msg.dump);
  if (!response.ok) throw new Error(`${msg.dump}: HTTP ${response.status}`);
  const data = await response.text();
  store = new ox.Store();
  store.load(data, { format: "application/n-triples", to_graph_name: ox.defaultGraph() });
  return { triples: store.size, wasmMs: compiled - started, loadMs: performance.now() - compiled };
}

function run(msg) {
  const options = { use_default_graph_as_union: true };
  if (msg.format === "csv" || msg.format === "tsv" || msg.format === "nt") {
    return { text: store.query(msg.text, { ...options, results_format: msg.format }) };
  }
  if (msg.format === "json-text") {
    return { text: store.query(msg.text, { ...options, results_format: "json" }) };
  }
  // One evaluation for SELECT and ASK: Oxigraph writes them as SPARQL JSON ("{"), a graph as
  // JSON-LD ("["), which is then asked for as triples.
  const text = store.query(msg.text, { ...options, results_format: "json" });
  if (text.startsWith("{")) {
    const json = JSON.parse(text);
    return { kind: "boolean" in json ? "ask" : "select", json };
  }
  const quads = store.query(msg.text, options);
  return { kind: "graph", triples: quads.map((q) => [term(q.subject), term(q.predicate), term(q.object)]) };
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    const out = msg.op === "init" ? await init(msg) : run(msg);
    self.postMessage({ id: msg.id, ok: true, ...out });
  } catch (err) {
    self.postMessage({ id: msg.id, ok: false, error: String(err && err.message ? err.message : err), kind: msg.op });
  }
};
