"""The pages' Jinja environment (egovkg.publish.templating): ``a.b`` on a dict reads the key
first, and means what Jinja makes of it everywhere else."""

from __future__ import annotations

import jinja2
import pytest

from egovkg.publish.templating import environment


def render(source: str, **ctx: object) -> str:
    return environment(jinja2.DictLoader({"t": source})).get_template("t").render(**ctx)


def test_a_dict_key_is_read_with_a_dot_and_escaped():
    row = {"zh": "国务院<办公厅>", "en": "General Office"}
    assert render("{{ row.zh }} / {{ row.en }}", row=row) == "国务院&lt;办公厅&gt; / General Office"


def test_dict_attributes_keep_their_meaning():
    # `d.items` is dict's method, as plain Jinja has it, even with a key of that name
    assert render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", d={"items": 1, "b": 2}) == "items=1;b=2;"
    assert render('{{ d["values"] }}', d={"values": "v"}) == "v"


def test_a_missing_key_is_undefined_and_an_error_when_shown():
    assert render("{% if d.x is defined %}yes{% else %}no{% endif %}", d={}) == "no"
    with pytest.raises(jinja2.UndefinedError):
        render("{{ d.x }}", d={})


def test_objects_are_read_by_attribute_as_before():
    class Node:
        zh = "北京市"

    assert render("{{ n.zh }}", n=Node()) == "北京市"
