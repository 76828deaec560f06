"""convert_files: blank nodes kept apart per file and labelled deterministically; graphs refused by triple formats."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from egovkg.errors import OutputError, RDFInputError
from egovkg.rdfio import convert
from egovkg.rdfio.convert import convert_files

FORMATS = ["ttl", "nt", "jsonld", "xml", "trig"]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _convert(files: list[Path], fmt: str, out: Path) -> bytes:
    convert_files(files, fmt, out)
    return out.read_bytes()


def test_blank_nodes_of_two_files_stay_two_nodes(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.ttl", '_:n1 <http://e/p> "a" .\n')
    b = _write(tmp_path, "b.ttl", '_:n1 <http://e/p> "b" .\n')
    out = _convert([a, b], "nt", tmp_path / "out.nt")
    subjects = {q.subject for q in ox.parse(out, format=ox.RdfFormat.N_TRIPLES)}
    assert len(subjects) == 2, out.decode()


def test_blank_nodes_are_labelled_by_file_and_first_appearance(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.ttl", '_:n1 <http://e/p> "a" .\n<http://e/a> <http://e/b> [ <http://e/c> _:n1 ] .\n')
    b = _write(tmp_path, "b.nt", '_:x <http://e/p> _:n1 .\n_:n1 <http://e/p> "b" .\n')
    assert _convert([a, b], "nt", tmp_path / "out.nt") == (
        b'_:f1b1 <http://e/p> "a" .\n'
        b"_:f1b2 <http://e/c> _:f1b1 .\n"  # Oxigraph gives the triples inside [ ] first
        b"<http://e/a> <http://e/b> _:f1b2 .\n"
        b"_:f2b1 <http://e/p> _:f2b2 .\n"
        b'_:f2b2 <http://e/p> "b" .\n'
    )


# Every syntax of each input format that makes a blank node, anonymous ones included.
BLANK_INPUTS = {
    "bn.ttl": '<http://e/a> <http://e/b> [ <http://e/c> "x" ] .\n',
    "list.ttl": '@prefix : <http://e/> .\n:a :b ( 1 "two" ) .\n',
    "reified.ttl": "@prefix : <http://e/> .\n<< :a :b :c >> :d :e .\n:a :b :c ~ .\n:f :g :h {| :i :j |} .\n",
    "graphs.trig": "@prefix : <http://e/> .\n[] { :a :b [ :c 1 ] }\n_:g { :a :b :c }\n",
    "quads.nq": "_:s <http://e/p> _:o _:g .\n",
    "doc.rdf": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
        '<rdf:Description rdf:about="http://e/a"><e:b><rdf:Description><e:c>x</e:c></rdf:Description></e:b>'
        '<e:d rdf:parseType="Resource"><e:f>y</e:f></e:d></rdf:Description></rdf:RDF>\n'
    ),
    "doc.jsonld": json.dumps({"@id": "http://e/a", "http://e/b": {"http://e/c": "x"}}),
    "doc.n3": "@prefix : <http://e/> .\n:a :b [ :c 1 ] .\n",
}


@pytest.mark.parametrize("name", sorted(BLANK_INPUTS))
def test_the_same_input_gives_the_same_bytes(tmp_path: Path, name: str) -> None:
    src = _write(tmp_path, name, BLANK_INPUTS[name])
    dataset = name.endswith((".trig", ".nq"))
    for fmt in ["trig", "jsonld"] if dataset else FORMATS:
        if fmt == "jsonld" and name == "reified.ttl":
            continue  # JSON-LD holds no RDF 1.2 triple terms (see the test below)
        first = _convert([src], fmt, tmp_path / f"1.{fmt}")
        second = _convert([src], fmt, tmp_path / f"2.{fmt}")
        assert first == second, fmt
        assert b"f1b1" in first, f"{fmt}: {first.decode()}"


@pytest.mark.parametrize("name", [n for n in sorted(BLANK_INPUTS) if n.endswith((".ttl", ".trig", ".nq"))])
def test_the_blank_node_scan_sees_every_syntax_that_makes_one(tmp_path: Path, name: str, monkeypatch) -> None:
    src = _write(tmp_path, name, BLANK_INPUTS[name])
    kind = convert.input_format(src)
    quads = ox.parse(path=str(src), format=getattr(ox.RdfFormat, kind))
    assert any(isinstance(t, ox.BlankNode) for q in quads for t in q)
    assert convert._may_hold_blank_nodes(src, kind)
    monkeypatch.setattr(convert, "SCAN_CHUNK", 1)  # every mark straddles two reads
    assert convert._may_hold_blank_nodes(src, kind)


def test_a_file_without_blank_nodes_skips_the_relabelling(tmp_path: Path, monkeypatch) -> None:
    src = _write(tmp_path, "plain.nt", '<http://e/a> <http://e/b> "c_ [x] (y) ~ {z}" .\n' * 3)
    assert not convert._may_hold_blank_nodes(src, "N_TRIPLES")
    assert convert._may_hold_blank_nodes(src, "TURTLE"), "in Turtle, '[' may open a blank node"
    assert not convert._may_hold_blank_nodes(_write(tmp_path, "empty.ttl", ""), "TURTLE")

    def unused(*_a: object) -> None:
        raise AssertionError("relabelled a file without blank nodes")

    monkeypatch.setattr(convert, "_relabel", unused)
    assert _convert([src], "nt", tmp_path / "out.nt") == src.read_bytes()


@pytest.mark.parametrize(
    ("name", "text", "fmt", "message"),
    [
        ("quad.nq", '<http://e/s> <http://e/p> "x" <http://e/g> .\n', "nt", "has named graphs, which N-Triples"),
        ("g.trig", "<http://e/g> { <http://e/s> <http://e/p> 1 }\n", "ttl", "has named graphs, which Turtle"),
        ("quad.nq", '<http://e/s> <http://e/p> "x" <http://e/g> .\n', "xml", "has named graphs, which RDF/XML"),
        ("f.n3", "@prefix : <http://e/> .\n{ :a :b :c } :says :d .\n", "nt", "N3 formulas ({ ... }) cannot be"),
    ],
)
def test_graphs_in_a_triple_format_are_one_error_naming_the_file(
    tmp_path: Path, name: str, text: str, fmt: str, message: str
) -> None:
    good = _write(tmp_path, "good.nt", '<http://e/s> <http://e/p> "y" .\n')
    bad = _write(tmp_path, name, text)
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(RDFInputError, match="choose --format trig") as caught:
        convert_files([good, bad], fmt, out)
    assert str(caught.value).startswith(f"{bad}: {message}")
    assert "\n" not in str(caught.value)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == sorted(["good.nt", name])


def test_named_graphs_convert_to_trig(tmp_path: Path) -> None:
    src = _write(tmp_path, "quad.nq", '<http://e/s> <http://e/p> "x" <http://e/g> .\n')
    assert b'<http://e/g> {\n\t<http://e/s> <http://e/p> "x" .\n}\n' in _convert([src], "trig", tmp_path / "o.trig")


def test_a_triple_term_in_json_ld_is_one_error_naming_the_file(tmp_path: Path) -> None:
    src = _write(tmp_path, "r.ttl", "<http://e/s> <http://e/p> <<( <http://e/a> <http://e/b> <http://e/c> )>> .\n")
    with pytest.raises(RDFInputError, match=f"^{src}: cannot be written as JSON-LD: .*RDF 1.2"):
        convert_files([src], "jsonld", tmp_path / "out.jsonld")
    assert not (tmp_path / "out.jsonld").exists()


def test_an_unwritable_output_is_an_output_error(tmp_path: Path) -> None:
    src = _write(tmp_path, "good.nt", '<http://e/s> <http://e/p> "y" .\n')
    (tmp_path / "afile").write_bytes(b"")
    with pytest.raises(OutputError, match=f"^cannot write {tmp_path}/afile/out.nt: Not a directory$"):
        convert_files([src], "nt", tmp_path / "afile/out.nt")


def test_rdf_xml_keeps_a_carriage_return_and_refuses_what_xml_cannot_hold(tmp_path: Path) -> None:
    cr = _write(tmp_path, "cr.nt", '<http://e/s> <http://e/p> "a\\rb" .\n')
    data = _convert([cr], "xml", tmp_path / "cr.rdf")
    assert b"a&#13;b" in data
    assert [q.object for q in ox.parse(data, format=ox.RdfFormat.RDF_XML)] == [ox.Literal("a\rb")]
    esc = _write(tmp_path, "esc.nt", '<http://e/s> <http://e/p> "a\\u001Bb" .\n')
    out = tmp_path / "esc.rdf"
    with pytest.raises(convert.NotXMLError) as err:
        convert_files([cr, esc], "xml", out)
    assert str(err.value) == (
        f"{esc}: cannot be written as RDF/XML: a value holds U+001B, a character XML 1.0 cannot hold; "
        "choose another format"
    )
    assert not out.exists()


BOM_INPUTS = {
    "ttl": '@prefix e: <http://e/> .\ne:s e:p "中" .\n',
    "nt": '<http://e/s> <http://e/p> "中" .\n',
    "jsonld": '{"@id": "http://e/s", "http://e/p": "中"}',
    "trig": '<http://e/s> <http://e/p> "中" .\n',
    "rdf": '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="http://e/s"><p xmlns="http://e/">中</p></rdf:Description></rdf:RDF>',
}


@pytest.mark.parametrize("suffix", sorted(BOM_INPUTS))
def test_a_utf8_byte_order_mark_is_skipped(tmp_path: Path, suffix: str) -> None:
    bom = tmp_path / f"bom.{suffix}"
    bom.write_bytes(b"\xef\xbb\xbf" + BOM_INPUTS[suffix].encode("utf-8"))
    assert _convert([bom], "nt", tmp_path / "out.nt") == '<http://e/s> <http://e/p> "中" .\n'.encode()


def test_inputs_opened_past_a_byte_order_mark_are_closed_when_a_later_input_fails(tmp_path: Path) -> None:
    import gc
    import warnings

    bom = tmp_path / "bom.ttl"
    bom.write_bytes(b"\xef\xbb\xbf<http://e/s> <http://e/p> 1 .\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RDFInputError, match="no such file"):
            convert_files([bom, tmp_path / "missing.ttl"], "nt", tmp_path / "out.nt")
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert not (tmp_path / "out.nt").exists()


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "0000"),
        ("\x08", "0008"),
        ("\x0b", "000B"),
        ("\x0c", "000C"),
        ("\x1f", "001F"),
        ("\ufffe", "FFFE"),
        ("\uffff", "FFFF"),
    ],
)
def test_xml_safe_refuses_each_character_xml_cannot_hold(char: str, code: str) -> None:
    data = f"<rdf:RDF><x>中{char}文</x></rdf:RDF>".encode()
    with pytest.raises(convert.NotXMLError, match=f"^w: a value holds U\\+{code}, a character XML 1.0 cannot hold"):
        convert.xml_safe(data, "w")


def test_xml_safe_keeps_what_xml_holds_and_escapes_a_carriage_return() -> None:
    text = "".join(chr(c) for c in (9, 10, 13, *range(32, 127))) + "中文\ufffd\U0001f600"
    assert convert.xml_safe(text.encode(), "w") == text.encode().replace(b"\r", b"&#13;")
