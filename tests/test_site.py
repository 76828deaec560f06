"""The static linked-data site: a page and descriptions for every IRI, safe paths, escaping, determinism."""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF, RDFS, VOID

from egovkg.errors import EgovkgError
from egovkg.graph.build import KnowledgeGraph
from egovkg.graph.namespaces import EGOV, OA, ONTOLOGY_IRI
from egovkg.publish import site as site_mod
from egovkg.publish.addresses import MAX_SEGMENT, class_stem, escape_segment, stem_for
from egovkg.publish.site import MARKER, RDF_FORMATS, Site, build_site
from egovkg.rdfio.formats import RDF_FORMATS as FORMATS

from .conftest import ROOT

HOSTILE_EN = "<img src=x onerror=alert(1)>"
HOSTILE_ZH = "</script><script>alert(2)</script>"
HOSTILE_QUOTE = ("<b>前文", "<script>alert(3)</script>", "&amp;后文")
pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)  # rdflib's JSON-LD parser
AWARD = "award/2012-management-innovation-01"
PRACTICE = "practice/2012-management-innovation-01"
WEIRD = "agency/../x/中文 %2e.html"  # a segment '..', non-ASCII, '%', a space and a '.html' of its own


def hostile_kg(kg: KnowledgeGraph) -> KnowledgeGraph:
    """A copy of the graph with an agency named by hostile labels, quoted by a hostile span, and an odd IRI."""
    g = Graph()
    for t in kg.announcement:
        g.add(t)
    b = kg.base
    evil, weird = URIRef(f"{b}agency/evil"), URIRef(b + WEIRD.replace(" ", "%20"))
    span = URIRef(f"{b}span/evil/0-5")
    g.add((evil, RDF.type, EGOV.Agency))
    g.add((evil, RDFS.label, Literal(HOSTILE_EN, lang="en")))
    g.add((evil, RDFS.label, Literal(HOSTILE_ZH, lang="zh")))
    g.add((evil, EGOV.region, URIRef(f"{b}region/370200")))
    g.add((evil, RDFS.seeAlso, weird))
    g.add((URIRef(b + AWARD), EGOV.recipient, evil))
    g.add((weird, RDF.type, EGOV.Agency))
    g.add((weird, RDFS.label, Literal('"quoted" & <odd>', lang="en")))
    g.add((evil, PROV.wasDerivedFrom, span))
    g.add((span, RDF.type, OA.SpecificResource))
    quote = URIRef(f"{span}/quote")
    g.add((span, OA.hasSelector, quote))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    for p, text in zip((OA.prefix, OA.exact, OA.suffix), HOSTILE_QUOTE, strict=True):
        g.add((quote, p, Literal(text, lang="zh")))
    return KnowledgeGraph(announcement=g, curated=kg.curated, ontology=kg.ontology, base=kg.base)


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(kg: KnowledgeGraph, tmp_path_factory) -> tuple[Path, site_mod.SiteReport]:
    out = tmp_path_factory.mktemp("site") / "site"
    return out, build_site(kg, out)


@pytest.fixture(scope="module")
def out(built) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def hostile(kg: KnowledgeGraph, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "site"
    build_site(hostile_kg(kg), out)
    return out


def id_space(graph: Graph, base: str) -> set[URIRef]:
    nodes = {t for triple in graph for t in triple if isinstance(t, URIRef) and str(t).startswith(base)}
    return nodes | {s for s in graph.subjects() if isinstance(s, URIRef)}


# -- every resource has a page and descriptions --------------------------------


def test_every_resource_has_a_page_and_every_description(out: Path, graph: Graph, kg: KnowledgeGraph) -> None:
    nodes = id_space(graph, kg.base) | {URIRef(ONTOLOGY_IRI)}
    nodes |= {t for t in graph.predicates() if str(t).startswith(ONTOLOGY_IRI + "#")}
    missing = []
    for node in sorted(nodes):
        _kind, stem = stem_for(str(node), kg.base)
        for suffix in ("html", *(FORMATS[f].suffix for f in RDF_FORMATS)):
            if not (out / f"{stem}.{suffix}").is_file():
                missing.append(f"{stem}.{suffix}")
    assert not missing, missing[:10]
    kinds = {stem_for(str(n), kg.base)[1].split("/")[1] for n in nodes if str(n).startswith(kg.base)}
    for kind in (
        "award",
        "practice",
        "agency",
        "person",
        "account",
        "region",
        "programme",
        "document",
        "milestone",
        "category",
        "scheme",
        "goal",
        "problem",
        "reference",
        "span",
        "source",
        "selection",
    ):
        assert kind in kinds
    for term in ("Award", "recipient", "TextSpan"):
        assert (out / "ontology" / f"{term}.html").is_file()


def test_union_of_the_descriptions_is_the_whole_graph(built, graph: Graph) -> None:
    """Invariant: the union of every per-resource .nt file (all but the dumps) equals the union graph."""
    out, report = built
    union = Graph()
    files = [p for p in out.rglob("*.nt") if p.parts[len(out.parts)] != "dump"]
    for path in files:
        union.parse(path, format="nt")
    assert len(files) == report.resources
    assert set(union) == set(graph)
    assert isomorphic(union, graph)


def test_a_description_holds_the_resource_its_links_and_its_neighbours_labels(out: Path, graph: Graph, kg) -> None:
    iri = URIRef(kg.base + PRACTICE)
    d = Graph().parse(out / f"id/{PRACTICE}.nt", format="nt")
    assert set(graph.triples((iri, None, None))) <= set(d)
    assert set(graph.triples((None, None, iri))) <= set(d)  # the award that names it
    award = URIRef(kg.base + AWARD)
    assert (award, EGOV.practice, iri) in d
    assert set(graph.triples((award, RDFS.label, None))) <= set(d)
    assert not set(d.triples((award, EGOV.rank, None)))  # a neighbour's label, not its whole description
    assert set(d) <= set(graph)


@pytest.mark.parametrize("fmt", ["ttl", "jsonld", "xml"])
def test_every_format_says_the_same(out: Path, fmt: str) -> None:
    suffix = FORMATS[fmt].suffix
    for nt in sorted(out.glob("id/*/*.nt"))[::7] + [out / "ontology.nt", out / "ontology/Award.nt"]:
        ref = Graph().parse(nt, format="nt")
        other = Graph().parse(nt.with_suffix(f".{suffix}"), format=FORMATS[fmt].rdflib)
        assert isomorphic(ref, other), nt


def test_a_json_ld_description_is_the_exports_writer_on_its_triples(out: Path) -> None:
    """One JSON-LD writer (egovkg.rdfio.jsonld) for the dumps and the descriptions: a description's
    JSON-LD is that writer's document of the triples its N-Triples file holds."""
    from egovkg.rdfio.jsonld import jsonld_from_nt

    for nt in sorted(out.glob("id/*/*.nt"))[::11] + [out / "ontology.nt", out / "ontology/Award.nt"]:
        assert nt.with_suffix(".jsonld").read_bytes() == jsonld_from_nt(nt.read_bytes()), nt
    assert (out / "dump/egovkg.jsonld").read_bytes() == jsonld_from_nt((out / "dump/egovkg.nt").read_bytes())


def test_span_description_holds_its_selectors(out: Path, graph: Graph, kg) -> None:
    span = next(iter(sorted(graph.objects(URIRef(kg.base + AWARD), PROV.wasDerivedFrom))))
    stem = stem_for(str(span), kg.base)[1]
    d = Graph().parse(out / f"{stem}.ttl", format="turtle")
    for sel in graph.objects(span, OA.hasSelector):
        assert set(graph.triples((sel, None, None))) <= set(d)


# -- the pages -----------------------------------------------------------------


def test_a_selector_page_is_named_by_its_type_and_its_span(out: Path) -> None:
    page = (out / "id/span/announcement-2012/1044-1055/quote.html").read_text(encoding="utf-8")
    title = page.split("<title>")[1].split("</title>")[0]
    zh, en = "文本引文选择器：公告第1044–1055字符", "Text quote selector: Characters 1044–1055 of the announcement"
    assert title == f"{zh} · {en}"
    span = (out / "id/span/announcement-2012/1044-1055.html").read_text(encoding="utf-8")
    assert "文本位置选择器：公告第1044–1055字符" in span and "Text position selector: Characters 1044–1055" in span


def test_award_page_shows_both_languages_links_and_the_source_text(out: Path, graph: Graph, kg) -> None:
    page = (out / f"id/{AWARD}.html").read_text(encoding="utf-8")
    award = URIRef(kg.base + AWARD)
    for label in graph.objects(award, RDFS.label):
        assert html.escape(str(label), quote=False) in page
    assert 'href="../practice/2012-management-innovation-01.html"' in page
    assert 'href="../../ontology/Award.html"' in page  # its type
    assert 'href="../../vocab/prov/wasDerivedFrom.html"' in page  # a declared reused property
    for suffix in ("ttl", "nt", "jsonld", "rdf"):
        assert f'href="2012-management-innovation-01.{suffix}"' in page
    span = next(iter(graph.objects(award, PROV.wasDerivedFrom)))
    quote = next(s for s in graph.objects(span, OA.hasSelector) if str(s).endswith("/quote"))
    exact, prefix = graph.value(quote, OA.exact), graph.value(quote, OA.prefix)
    assert f"{html.escape(str(prefix))}<mark>{html.escape(str(exact))}</mark>" in page
    practice = (out / f"id/{PRACTICE}.html").read_text(encoding="utf-8")
    incoming = practice.split('id="incoming"')[1]
    assert 'href="../award/2012-management-innovation-01.html"' in incoming


def test_index_lists_every_class_with_its_instances(out: Path, graph: Graph, kg) -> None:
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="class/egov/Award.html">40<' in index
    awards = (out / "class/egov/Award.html").read_text(encoding="utf-8")
    assert awards.count('<li><a href="../../id/award/') == 40
    classes = {o for s, o in graph.subject_objects(RDF.type) if str(s).startswith(kg.base)}
    for cls in classes:
        assert (out / f"{class_stem(cls)}.html").is_file()


def test_ontology_page_documents_every_term_with_an_anchor(out: Path, kg) -> None:
    doc = (out / "ontology.html").read_text(encoding="utf-8")
    terms = {str(s)[len(ONTOLOGY_IRI) + 1 :] for s in kg.ontology.subjects() if str(s).startswith(ONTOLOGY_IRI + "#")}
    assert len(terms) >= 30
    for local in terms:
        assert f'<section class="term" id="{local}">' in doc
    term = (out / "ontology/Award.html").read_text(encoding="utf-8")
    assert 'href="../ontology.html#Award"' in term
    assert 'href="../class/egov/Award.html"' in term


def test_void_describes_the_dataset(out: Path, graph: Graph) -> None:
    void = Graph().parse(out / ".well-known/void", format="turtle")
    ds = next(void.subjects(RDF.type, VOID.Dataset))
    assert int(void.value(ds, VOID.triples)) == len(graph)
    dumps = {str(o) for o in void.objects(ds, VOID.dataDump)}
    assert "https://w3id.org/egovkg/dump/egovkg.ttl" in dumps
    for url in dumps:
        assert (out / "dump" / url.rsplit("/", 1)[1]).is_file()
    assert isomorphic(Graph().parse(out / "dump/egovkg.ttl", format="turtle"), graph)


def test_the_dumps_are_the_exports_bytes(out: Path, kg: KnowledgeGraph) -> None:
    """The site made without the build's exports (as `egovkg site` is) writes the same dumps,
    each derived from one N-Triples serialisation, as egovkg.rdfio.export writes from the graph."""
    from egovkg.rdfio.export import graph_for, serialise

    for fmt in ("ttl", "nt", "jsonld", "xml", "trig"):
        made = serialise(graph_for(kg, fmt), fmt, kg.base)
        assert (out / f"dump/egovkg.{FORMATS[fmt].suffix}").read_bytes() == made, fmt


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if a.get("id"):
            self.ids.add(a["id"] or "")
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.links.append(a[key] or "")


def test_every_internal_link_of_every_page_resolves(out: Path) -> None:
    """The full link check, in Python (the browser test opens a sample of the pages)."""
    pages = sorted(out.rglob("*.html"))
    parsed: dict[Path, _Links] = {}
    for p in pages:
        parser = _Links()
        parser.feed(p.read_text(encoding="utf-8"))
        parsed[p] = parser
    broken = []
    for p, parser in parsed.items():
        # only the explorer's pages (egovkg.publish.explorer) and the query workbench (egovkg.publish.workbench)
        # run scripts of their own
        assert parser.scripts == 0 or p == out / "query.html" or p.relative_to(out).parts[0] == "explorer", p
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "data"):  # data: the explorer pages' empty favicon
                continue
            assert not parts.scheme and not parts.netloc, (p, link)
            target = (p.parent / unquote(parts.path)).resolve() if parts.path else p
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append((p.relative_to(out).as_posix(), link))
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parsed[target].ids:
                broken.append((p.relative_to(out).as_posix(), link))
    assert not broken, broken[:10]
    assert len(pages) > 900


def test_pages_load_nothing_remote(out: Path) -> None:
    for p in [out / "index.html", out / "ontology.html", *sorted(out.glob("id/*/*.html"))[::25]]:
        text = p.read_text(encoding="utf-8")
        assert "<script" not in text
        assert not re.search(r'<(link|img|iframe)[^>]+(href|src)="https?:', text), p
        assert "script-src &#39;none&#39;" in text  # the CSP meta element


# -- hostile input -------------------------------------------------------------


def test_hostile_labels_and_quotes_are_text(hostile: Path) -> None:
    page = (hostile / "id/agency/evil.html").read_text(encoding="utf-8")
    assert "<img" not in page and "<script" not in page
    assert html.escape(HOSTILE_EN, quote=False) in page
    assert html.escape(HOSTILE_ZH, quote=False) in page
    prefix, exact, suffix = (html.escape(x, quote=False) for x in HOSTILE_QUOTE)
    assert f"{prefix}<mark>{exact}</mark>{suffix}" in page
    award = (hostile / f"id/{AWARD}.html").read_text(encoding="utf-8")
    assert "<img" not in award and html.escape(HOSTILE_EN, quote=False) in award
    index = (hostile / "class/egov/Agency.html").read_text(encoding="utf-8")
    assert "<img" not in index and html.escape(HOSTILE_EN, quote=False) in index


def test_an_odd_iri_gets_a_safe_path_inside_the_site(hostile: Path, kg) -> None:
    _kind, stem = stem_for(kg.base + WEIRD.replace(" ", "%20"), kg.base)
    assert stem.startswith("id/agency/~2E~2E/x/")
    assert re.fullmatch(r"[A-Za-z0-9_~/-]+", stem)
    page = hostile / f"{stem}.html"
    assert page.is_file() and hostile.resolve() in page.resolve().parents
    assert "&#34;quoted&#34; &amp; &lt;odd&gt;" in page.read_text(encoding="utf-8")
    evil = (hostile / "id/agency/evil.html").read_text(encoding="utf-8")
    assert f'href="{os.path.relpath(page, hostile / "id/agency")}"' in evil


@pytest.mark.parametrize(
    "segment, expected",
    [
        ("award", "award"),
        ("", "~"),
        (".", "~2E"),
        ("..", "~2E~2E"),
        ("a.html", "a~2Ehtml"),
        ("中", "~E4~B8~AD"),
        ("~", "~7E"),
        ("%2e", "~252e"),
        ("a b", "a~20b"),
        ("2012-x_01", "2012-x_01"),
    ],
)
def test_escape_segment(segment: str, expected: str) -> None:
    assert escape_segment(segment) == expected


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.text(max_size=120))
def test_escape_segment_is_safe_and_injective(a: str, b: str) -> None:
    ea, eb = escape_segment(a), escape_segment(b)
    assert re.fullmatch(r"[A-Za-z0-9_~-]+", ea)
    assert ea not in (".", "..") and len(ea) <= MAX_SEGMENT + 18
    assert (ea == eb) == (a == b)


def test_long_segments_are_cut_and_stay_distinct() -> None:
    a, b = "中" * 200 + "a", "中" * 200 + "b"
    assert escape_segment(a) != escape_segment(b)
    assert len(escape_segment(a).encode()) < 200


def test_stems_by_kind() -> None:
    base = "https://w3id.org/egovkg/id/"
    assert stem_for(base + "span/announcement-2012/10-20/quote", base) == (
        "id",
        "id/span/announcement-2012/10-20/quote",
    )
    assert stem_for(ONTOLOGY_IRI, base) == ("ontology", "ontology")
    assert stem_for(ONTOLOGY_IRI + "#Award", base) == ("term", "ontology/Award")
    assert stem_for("https://schema.org/Event", base) == ("vocab", "vocab/schema/Event")
    assert stem_for("http://example.org/x/y", base)[1] == "vocab/~/http~3A~2F~2Fexample~2Eorg~2Fx~2Fy"


# -- determinism and atomic writes ----------------------------------------------


def test_a_site_from_the_graph_cache_is_the_same_site(out: Path, kg: KnowledgeGraph, tmp_path: Path) -> None:
    """`egovkg site` after a build reads the graph the build left in the cache (its N-Triples and
    TriG) instead of building it again: the same files, byte for byte; a changed input misses."""
    from egovkg.paths import Layout
    from egovkg.publish.pipeline import site_from_cache
    from egovkg.publish.site import load_built
    from egovkg.rdfio.cache import keep
    from egovkg.rdfio.export import serialise

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    layout = Layout(tmp_path)
    assert site_from_cache(layout, kg.base, tmp_path / "none") is None  # nothing cached: the caller builds
    assert not (tmp_path / "none").exists()
    dumps = {"nt": serialise(kg.union(), "nt"), "trig": serialise(kg.dataset(), "trig")}
    keep(layout, kg.base, dumps)
    built = load_built(kg.base, dumps)
    assert built is not None
    assert isomorphic(built.union, kg.union())
    for name in ("announcement", "curated", "ontology"):
        assert isomorphic(getattr(built.kg, name), getattr(kg, name)), name
    report = site_from_cache(layout, kg.base, tmp_path / "site")  # no build published: rendered
    assert report is not None and report.resources == len(Site(kg).resources)
    assert digests(tmp_path / "site") == digests(out)
    with (tmp_path / "data" / "sources" / "announcement-2012.txt").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert site_from_cache(layout, kg.base, tmp_path / "none") is None


@pytest.mark.slow  # a build
def test_a_site_after_a_build_is_the_published_site_copied(tmp_path: Path) -> None:
    """After a build, `egovkg site` with the same inputs copies the site the build published (the
    main job's own key for its site output says it is the same). A changed query catalogue (which
    the cached graph does not depend on) changes only the query page: `egovkg site` copies the
    rest and makes that page anew, and the next build rewrites that one file of its site, both
    byte for byte the site a full render gives."""
    from egovkg.graph.prefixes import DEFAULT_BASE
    from egovkg.paths import Layout
    from egovkg.publish import pipeline
    from egovkg.publish.pipeline import site_from_cache

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    layout = Layout(tmp_path)
    pipeline.run(layout, out=layout.build, views=False, docs=False, jobs=1)
    published = digests(layout.build / "site")
    report = site_from_cache(layout, DEFAULT_BASE, tmp_path / "copy")
    assert report is not None and digests(tmp_path / "copy") == published
    files = [p for p in (tmp_path / "copy").rglob("*") if p.is_file() and p.name != MARKER]
    assert report.files == len(files) and report.pages == sum(p.suffix == ".html" for p in files)
    assert report.bytes == sum(p.stat().st_size for p in files) and report.resources > 1000
    assert all(p.stat().st_nlink == 1 for p in files), "copies, not links into the published set"
    query = tmp_path / "queries" / "agency-kinds.rq"
    query.write_text(query.read_text(encoding="utf-8").replace("#+ summary: ", "#+ summary: CHANGED ", 1))
    import egovkg.publish.site as site_module

    def no_graph(*args: object) -> None:
        raise AssertionError("the query page needs only the N-Triples: no graph is loaded for it")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(site_module, "load_built", no_graph)
        report = site_from_cache(layout, DEFAULT_BASE, tmp_path / "rendered")
    assert report is not None
    assert "CHANGED" in (tmp_path / "rendered" / "query.html").read_text(encoding="utf-8")
    assert digests(layout.build / "site") == published
    # the whole site rendered from the same inputs: the same bytes
    from egovkg.publish.site import load_built
    from egovkg.rdfio.cache import cached_graph

    built = load_built(DEFAULT_BASE, cached_graph(layout, DEFAULT_BASE))
    build_site(built.kg, tmp_path / "full", layout=layout, union=built.union, dumps=built.dumps)
    full = digests(tmp_path / "full")
    assert digests(tmp_path / "rendered") == full
    assert {k for k in full if full[k] != published.get(k)} == {"query.html"}
    # the main job: the previous site linked, its query page rewritten (a new file, not the link's)
    index_inode = (layout.build / "site" / "index.html").stat().st_ino
    summary = pipeline.run(layout, out=layout.build, views=False, docs=False, jobs=1)
    assert summary.refreshed == [layout.build / "site" / "query.html"]
    assert "site" in summary.timings and not [p for p, _ in summary.files if "site" in p.parts]
    assert digests(layout.build / "site") == full
    assert (layout.build / "site" / "index.html").stat().st_ino == index_inode
    assert digests(tmp_path / "copy") == published, "the first copy is its own files"


@pytest.mark.slow  # two builds
def test_the_builds_site_dumps_are_its_exports_linked(tmp_path: Path) -> None:
    """The main job does not make the site's dumps again: they are its exports, hard-linked, the
    bytes a site rendered alone writes. So too when the exports were kept from an earlier build
    (one without a site) and only the site is rendered."""
    from egovkg.graph.build import build
    from egovkg.paths import Layout
    from egovkg.publish import pipeline

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    layout = Layout(tmp_path)
    first = pipeline.run(layout, out=layout.build, views=False, docs=False, site=False)
    assert not (layout.build / "site").exists()
    ttl = (layout.build / "egovkg.ttl").stat().st_ino
    summary = pipeline.run(layout, out=layout.build, views=False, docs=False)
    assert "exports" not in summary.timings and "site" in summary.timings  # the exports kept, the site made
    assert first.triples == summary.triples
    suffixes = ("ttl", "nt", "jsonld", "rdf", "trig")
    for suffix in suffixes:
        dump, export = layout.build / "site" / "dump" / f"egovkg.{suffix}", layout.build / f"egovkg.{suffix}"
        assert dump.stat().st_ino == export.stat().st_ino, suffix
    assert (layout.build / "egovkg.ttl").stat().st_ino == ttl
    alone = Site(build(layout))
    for suffix, fmt in zip(suffixes, ("ttl", "nt", "jsonld", "xml", "trig"), strict=True):
        assert (layout.build / "site" / "dump" / f"egovkg.{suffix}").read_bytes() == alone.render(
            f"dump/egovkg.{suffix}"
        ), fmt


@pytest.mark.slow  # a build
def test_the_site_dumps_are_copies_where_the_file_system_has_no_hard_links(tmp_path: Path, monkeypatch) -> None:
    import errno

    from egovkg.paths import Layout
    from egovkg.publish import pipeline

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", str(dst))

    monkeypatch.setattr(os, "link", no_links)
    layout = Layout(tmp_path)
    pipeline.run(layout, out=layout.build, views=False, docs=False, jobs=1)
    for suffix in ("ttl", "nt", "jsonld", "rdf", "trig"):
        dump, export = layout.build / "site" / "dump" / f"egovkg.{suffix}", layout.build / f"egovkg.{suffix}"
        assert dump.read_bytes() == export.read_bytes(), suffix
        assert dump.stat().st_ino != export.stat().st_ino and dump.stat().st_nlink == 1, suffix


def test_write_site_refuses_to_leave_out_a_file_the_site_does_not_have(kg: KnowledgeGraph, tmp_path: Path) -> None:
    with pytest.raises(EgovkgError, match=r"^the site has no file dump/egovkg\.owl to leave out$"):
        site_mod.write_site(Site(kg), tmp_path / "s", skip={"dump/egovkg.ttl", "dump/egovkg.owl"})
    assert not (tmp_path / "s").exists()


def test_a_failed_build_leaves_the_previous_site(out: Path, kg, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "site"
    shutil.copytree(out, target)
    before = digests(target)
    real = Site.render

    def flaky(self: Site, path: str) -> bytes:
        if path.startswith("id/region/"):
            raise RuntimeError("disk on fire")
        return real(self, path)

    monkeypatch.setattr(Site, "render", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_site(kg, target)
    assert digests(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left behind


def test_refuses_to_replace_a_folder_that_is_not_a_site(kg, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("keep me", encoding="utf-8")
    with pytest.raises(EgovkgError, match="not an egovkg site"):
        build_site(kg, target)
    assert (target / "thesis.tex").read_text(encoding="utf-8") == "keep me"
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(EgovkgError, match="not a folder"):
        build_site(kg, tmp_path / "file")


def test_report_counts_what_was_written(built) -> None:
    out, report = built
    files = [p for p in out.rglob("*") if p.is_file() and p.name != MARKER]
    assert report.files == len(files)
    assert report.bytes == sum(p.stat().st_size for p in files)
    assert report.pages == sum(1 for p in files if p.suffix == ".html")
    assert report.resources * 5 <= report.files
    assert "pages" in report.lines()[0]


# -- the command -----------------------------------------------------------------


def test_site_command_writes_the_site_and_refuses_a_foreign_folder(tmp_path: Path) -> None:
    import click

    from egovkg.cli.site import site

    group = click.Group(commands={"site": site})
    result = CliRunner().invoke(group, ["site", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert re.match(
        r"wrote .*: [\d,]+ pages for [\d,]+ resources, [\d,]+ files, [\d,]+ bytes in [\d.]+ s", result.output
    )
    assert (tmp_path / "s/index.html").is_file()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign/x").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(group, ["site", "-o", str(tmp_path / "foreign")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "Traceback" not in result.output


def test_a_site_folder_that_cannot_be_made_is_one_output_error(kg: KnowledgeGraph, tmp_path: Path) -> None:
    from egovkg.errors import OutputError

    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        site_mod.build_site(kg, tmp_path / "file" / "site")
    assert str(err.value) == f"cannot write {tmp_path}/file/site: {tmp_path}/file is not a folder"
    with pytest.raises(OutputError) as err:
        site_mod.build_site(kg, Path("/proc/egovkg-site"))
    assert str(err.value) == "cannot write /proc/egovkg-site: No such file or directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
