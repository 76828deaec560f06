"""Input bombs through the real commands (issue 19 point 5): each one clear error line naming the
file and the cause, exit 2, nothing written, and no request sent anywhere.

The bombs are built here, small: a 977-byte billion laughs, 100,000 nested RDF/XML elements,
deep JSON-LD and Turtle, JSON-LD whose context is a URL of a local listener that must receive
nothing, and an announcement over the size cap. Every RDF one is run on both parser paths:
Oxigraph (export, query's default store) and rdflib (query --store memory, validate, stats, view).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.cli import main
from egovkg.errors import LimitError, RDFLimitError
from egovkg.sparql.store import OxigraphStore, load_rdf
from egovkg.util.limits import DEFAULT_MAX_SOURCE_SIZE, Limits, check_rdf_input, context_reference

RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _billion_laughs() -> str:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rdf:RDF [", ' <!ENTITY lol "lol">']
    for level in range(1, 10):
        below = f"lol{level - 1}" if level > 1 else "lol"
        lines.append(f' <!ENTITY lol{level} "{f"&{below};" * 10}">')
    lines.append("]>")
    lines.append(f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="http://example.org/a">')
    lines.append("<ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>")
    return "\n".join(lines) + "\n"


def _deep_xml(levels: int) -> str:
    return (
        f'<?xml version="1.0"?>\n<rdf:RDF {RDF_NS}>\n'
        + "<rdf:Description><ex:p>" * levels
        + "</ex:p></rdf:Description>" * levels
        + "</rdf:RDF>\n"
    )


def _deep_json_ld(levels: int) -> str:
    return (
        '{"@id": "http://example.org/a", '
        + '"http://example.org/p": {' * levels
        + '"@id": "http://example.org/b"'
        + "}" * levels
        + "}"
    )


def _deep_turtle(levels: int) -> str:
    return "@prefix ex: <http://example.org/> .\nex:a ex:p " + "[ ex:p " * levels + "ex:b " + "]" * levels + " .\n"


# (file name, content, what the one error line says)
BOMBS = {
    "billion-laughs": ("laughs.rdf", _billion_laughs(), "entity 'lol1' refers to other entities"),
    "deep-rdf-xml": ("deep.rdf", _deep_xml(100_000), "elements nested more than 100 levels deep"),
    "deep-json-ld": ("deep.jsonld", _deep_json_ld(20_000), "JSON nested more than 100 levels deep"),
    "external-entity": (
        "xxe.rdf",
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="http://example.org/a"><ex:p>&x;</ex:p>'
        "</rdf:Description></rdf:RDF>\n",
        "declares an external entity 'x'",
    ),
    "parameter-entity": (
        "pe.rdf",
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY % p "x">]>\n<rdf:RDF ' + RDF_NS + "/>\n",
        "parameter entity '%p;'",
    ),
    "attlist": (
        "attlist.rdf",
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ATTLIST ex:p ex:q CDATA "a">]>\n<rdf:RDF ' + RDF_NS + "/>\n",
        "declares default attributes",
    ),
    "quadratic-entity": (
        "wide.rdf",
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY w "' + "w" * 100_000 + '">]>\n'
        f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="http://example.org/a"><ex:p>'
        + "&w;" * 2_000
        + "</ex:p></rdf:Description></rdf:RDF>\n",
        "its entities would expand to more than",
    ),
}

# every command that reads --data, with the parser behind it
READERS = {
    "export": (["export", "--format", "nt", "-o", "{out}"], "oxigraph"),
    "query-oxigraph": (["query", "-e", COUNT, "--format", "csv"], "oxigraph"),
    "query-memory": (["query", "-e", COUNT, "--format", "csv", "--store", "memory"], "rdflib"),
    "validate": (["validate"], "rdflib"),
    "stats": (["stats", "--format", "csv"], "rdflib"),
    "view": (["view", "overview", "-o", "{out}"], "rdflib"),
}


def _run(args: list[str], data: Path, out: Path, env: dict[str, str] | None = None):
    argv = [a.replace("{out}", str(out)) for a in args] + ["--data", str(data)]
    return CliRunner().invoke(main, argv, env=env)


def _one_error(result, path: Path, cause: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1, f"one clear error line, not: {result.output[:2000]}"
    assert lines[0].startswith(f"error: {path}: "), lines[0]
    assert cause in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("reader", READERS, ids=list(READERS))
@pytest.mark.parametrize("bomb", BOMBS, ids=list(BOMBS))
def test_an_input_bomb_is_refused_by_every_reader(tmp_path: Path, bomb: str, reader: str) -> None:
    name, content, cause = BOMBS[bomb]
    data = tmp_path / name
    data.write_text(content, encoding="utf-8")
    out = tmp_path / "out" / "result"
    out.parent.mkdir()
    args, _engine = READERS[reader]
    _one_error(_run(args, data, out), data, cause)
    assert list(out.parent.iterdir()) == [], "nothing is written"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "out"])


@pytest.fixture()
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request; it serves a context that would turn the
    data's name into another property, were it ever fetched."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
            seen.append(self.path)
            body = b'{"@context": {"name": "http://evil.example/changed"}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ctx.jsonld", seen
    finally:
        server.shutdown()
        server.server_close()


CONTEXT_FORMS = {
    "plain": '{{"@context": "{url}", "@id": "http://example.org/a", "name": "x"}}',
    "in-a-list": '{{"@context": [{{"ex": "http://example.org/"}}, "{url}"], "@id": "ex:a", "name": "x"}}',
    # an escaped key: only a parsed document shows it is @context
    "escaped-key": '{{"@\\u0063ontext": "{url}", "@id": "http://example.org/a", "name": "x"}}',
    "import": '{{"@context": {{"@version": 1.1, "@import": "{url}"}}, "@id": "http://example.org/a", "name": "x"}}',
    "nested-node": '{{"@id": "http://example.org/a", "http://example.org/p": {{"@context": "{url}", "name": "x"}}}}',
}


@pytest.mark.parametrize("reader", READERS, ids=list(READERS))
@pytest.mark.parametrize("form", CONTEXT_FORMS, ids=list(CONTEXT_FORMS))
def test_a_remote_json_ld_context_is_never_fetched(
    tmp_path: Path, listener: tuple[str, list[str]], form: str, reader: str
) -> None:
    url, seen = listener
    data = tmp_path / "remote.jsonld"
    data.write_text(CONTEXT_FORMS[form].format(url=url), encoding="utf-8")
    out = tmp_path / "out" / "result"
    out.parent.mkdir()
    args, engine = READERS[reader]
    line = _one_error(_run(args, data, out), data, "egovkg never fetches a context")
    if engine == "rdflib" or form in ("plain", "in-a-list"):
        assert repr(url) in line, "the line names the context's URL"
    assert seen == [], "no request reaches the listener"
    assert list(out.parent.iterdir()) == []


def test_deep_turtle_is_refused_where_rdflib_would_overflow_and_read_by_oxigraph(tmp_path: Path) -> None:
    data = tmp_path / "deep.ttl"
    data.write_text(_deep_turtle(5_000), encoding="utf-8")
    for reader in ("query-memory", "validate", "stats"):
        _one_error(_run(READERS[reader][0], data, tmp_path / "x"), data, "nested more than 100 levels deep")
    # Oxigraph's Turtle parser keeps its own stack: 5,000 levels are read, in milliseconds
    result = _run(READERS["query-oxigraph"][0], data, tmp_path / "x")
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["n", "5001"]


def test_brackets_inside_strings_iris_and_comments_do_not_count(tmp_path: Path) -> None:
    data = tmp_path / "brackets.ttl"
    text = '<http://example.org/a> <http://example.org/p> "' + "[(" * 300 + '" .\n# ' + "[" * 300 + "\n"
    text += "<http://example.org/a> <http://example.org/q> '''" + "{" * 300 + "''' .\n"
    data.write_text(text, encoding="utf-8")
    result = _run(READERS["query-memory"][0], data, tmp_path / "x")
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["n", "2"]


EDITOR_QUERY = (
    "SELECT (DATATYPE(?o) AS ?t) ?r WHERE { <http://example.org/a> <http://example.org/p> ?o ; "
    "<http://example.org/q> ?r }"
)


def test_simple_entities_as_ontology_editors_write_them_are_read(tmp_path: Path) -> None:
    data = tmp_path / "editor.rdf"
    data.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY ex "http://example.org/">\n'
        ' <!ENTITY xsd "http://www.w3.org/2001/XMLSchema#">\n]>\n'
        f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="&ex;a">'
        '<ex:p rdf:datatype="&xsd;integer">1</ex:p><ex:q rdf:resource="&ex;b"/>'
        "</rdf:Description></rdf:RDF>\n",
        encoding="utf-8",
    )
    for reader in ("query-oxigraph", "query-memory"):
        result = _run(
            ["query", "-e", EDITOR_QUERY, "--format", "csv"]
            + (["--store", "memory"] if reader == "query-memory" else []),
            data,
            tmp_path / "x",
        )
        assert result.exit_code == 0, result.output
        assert result.output.split() == ["t,r", "http://www.w3.org/2001/XMLSchema#integer,http://example.org/b"]


def test_an_inline_context_is_read_and_means_what_it_says(tmp_path: Path) -> None:
    data = tmp_path / "inline.jsonld"
    data.write_text(
        '{"@context": {"name": "http://schema.org/name"}, "@id": "http://example.org/a", "name": "x"}',
        encoding="utf-8",
    )
    for store in ("oxigraph", "memory"):
        result = _run(
            ["query", "-e", "SELECT ?p WHERE { ?s ?p ?o }", "--format", "csv", "--store", store], data, tmp_path / "x"
        )
        assert result.exit_code == 0, result.output
        assert result.output.split() == ["p", "http://schema.org/name"]


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    data = tmp_path / "big.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n" * 100, encoding="utf-8")  # 2,600 bytes
    out = tmp_path / "out.ttl"
    env = {"EGOVKG_MAX_INPUT_SIZE": "2K"}
    for reader in ("export", "query-oxigraph", "query-memory"):
        line = _one_error(_run(READERS[reader][0], data, out, env), data, "over the input size limit of 2 KiB")
        assert "EGOVKG_MAX_INPUT_SIZE" in line
    assert not out.exists()
    result = _run(READERS["query-oxigraph"][0], data, out, {"EGOVKG_MAX_INPUT_SIZE": "3K"})
    assert result.exit_code == 0 and result.output.split() == ["n", "1"]


def test_a_bad_limit_variable_is_one_error(tmp_path: Path) -> None:
    data = tmp_path / "a.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    for var, value in (("EGOVKG_MAX_INPUT_SIZE", "lots"), ("EGOVKG_MAX_DEPTH", "-1")):
        result = _run(READERS["query-oxigraph"][0], data, tmp_path / "x", {var: value})
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [result.output.strip()]
        assert result.output.startswith(f"error: {var}: {value!r} is not")


def test_an_announcement_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path, source_text: str) -> None:
    big = tmp_path / "big.txt"
    big.write_text(source_text + "在电子政务方面的实践" * (DEFAULT_MAX_SOURCE_SIZE // 30 + 1), encoding="utf-8")
    assert big.stat().st_size > DEFAULT_MAX_SOURCE_SIZE
    out = tmp_path / "records.jsonl"
    result = CliRunner().invoke(main, ["extract", str(big), "-o", str(out)])
    line = _one_error(result, big, "over the announcement size limit of 256 KiB")
    assert "EGOVKG_MAX_SOURCE_SIZE" in line
    assert not out.exists()
    raised = CliRunner().invoke(main, ["extract", str(big), "-o", str(out)], env={"EGOVKG_MAX_SOURCE_SIZE": "1M"})
    assert raised.exit_code == 0, raised.output
    assert out.read_text(encoding="utf-8").count("\n") > 40


def test_the_limits_are_a_library_parameter(tmp_path: Path, extractor, source_text: str) -> None:
    data = tmp_path / "shallow.ttl"
    data.write_text(_deep_turtle(10), encoding="utf-8")
    assert len(load_rdf([data])) == 11
    with pytest.raises(RDFLimitError, match="nested more than 5 levels"):
        load_rdf([data], Limits(max_depth=5))
    xml = tmp_path / "shallow.rdf"
    xml.write_text(_deep_xml(10), encoding="utf-8")
    assert len(OxigraphStore.from_files([xml])) == 10
    with pytest.raises(RDFLimitError, match="elements nested more than 5"):
        OxigraphStore.from_files([xml], limits=Limits(max_depth=5))
    with pytest.raises(RDFLimitError, match="over the input size limit"):
        check_rdf_input(xml, "RDF_XML", Limits(max_input_size=100))
    with pytest.raises(LimitError, match="over the announcement size limit of 1 KiB"):
        extractor.extract(source_text, source="a.txt", limits=Limits(max_source_size=1024))
    assert Limits.from_env({"EGOVKG_MAX_DEPTH": "7", "EGOVKG_MAX_INPUT_SIZE": "5M"}) == Limits(
        max_depth=7, max_input_size=5 << 20
    )


def test_context_reference_walks_lists_and_nested_objects_without_recursion() -> None:
    deep: object = {"@id": "x"}
    for _ in range(50_000):
        deep = {"p": [deep]}
    assert context_reference(deep) is None
    assert context_reference({"a": [{"b": {"@context": [None, {"x": 1}, "http://c"]}}]}) == "http://c"
    assert context_reference({"@context": {"@import": "http://i"}}) == "http://i"
    assert context_reference({"@context": {"ex": "http://example.org/"}}) is None
