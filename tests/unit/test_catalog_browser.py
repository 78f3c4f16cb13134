"""Neo4j Browser links and the GRASS style."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from graphpivot.browser import BROWSER_URL_ENV, DEFAULT_BROWSER_URL, browser_link, cypher_literal, editor_text
from graphpivot.catalog import cypher_root
from graphpivot.schema import NODES, RELS


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (200, "200"),
        (1.5, "1.5"),
        ("evil.com", '"evil.com"'),
        ('a"b\\c\nd', '"a\\"b\\\\c\\nd"'),
        ("x&y#z?", '"x\\u0026y\\u0023z\\u003f"'),
        (["a.com", "192.0.2.1"], '["a.com", "192.0.2.1"]'),
    ],
)
def test_cypher_literal(value: object, literal: str) -> None:
    assert cypher_literal(value) == literal


def test_editor_text_sets_each_param_then_the_query() -> None:
    text = editor_text("// a comment\nMATCH (n {key: $seed})\nRETURN n LIMIT $limit", {"seed": "a.com", "limit": 5})
    assert text == ':param seed => "a.com";\n:param limit => 5;\nMATCH (n {key: $seed})\nRETURN n LIMIT $limit;'


def test_a_query_that_a_link_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot carry"):
        editor_text("RETURN 'R&D' AS x", {})


def test_link_base_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BROWSER_URL_ENV, raising=False)
    assert browser_link("RETURN 1", {}).startswith(DEFAULT_BROWSER_URL + "?cmd=edit&arg=")
    monkeypatch.setenv(BROWSER_URL_ENV, "https://neo4j.example:7473/browser/?db=intel")
    link = browser_link("RETURN $x + 1", {"x": 1})
    assert link.startswith("https://neo4j.example:7473/browser/?db=intel&cmd=edit&arg=")
    # Browser turns '+' into a space before decoding, so the query's '+' must travel encoded.
    assert "+" not in link.split("arg=", 1)[1] and unquote(link).endswith("RETURN $x + 1;")


def grass_blocks() -> dict[str, str]:
    text = (cypher_root() / "browser" / "graphpivot.grass").read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return {m.group(1): m.group(2) for m in re.finditer(r"^([\w.]+) \{\n(.*?)^\}$", text, re.M | re.S)}


def test_grass_styles_every_label_and_relationship_type() -> None:
    blocks = grass_blocks()
    assert {"node", "relationship"} <= set(blocks)
    for label in NODES:
        body = blocks[f"node.{label}"]
        assert re.search(r"color: #[0-9A-F]{6};", body) and re.search(r"caption: '\{\w+\}';", body), label
    for rel in RELS:
        assert "caption: '<type>';" in blocks[f"relationship.{rel}"], rel
    colours = {re.search(r"\bcolor: (#\w+)", blocks[f"node.{label}"]).group(1) for label in NODES}  # type: ignore[union-attr]
    assert len(colours) == len(NODES)  # one colour per label
