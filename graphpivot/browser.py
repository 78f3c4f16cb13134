"""Neo4j Browser links that open a stored query with its parameters in the editor.

Neo4j Browser fills its editor from ``?cmd=edit&arg=TEXT`` (it never runs the
text by itself). The text here is one ``:param name => value;`` line per
parameter (Browser evaluates the right-hand side as Cypher on the server, so
integers stay integers) followed by the query; with the multi-statement editor
(on by default) one press of Run sets the parameters and runs the query.

Browser decodes the whole address before splitting it at ``&`` and ``#``, so
those characters (and ``?``) inside string values are written as Cypher
``\\uXXXX`` escapes; a query text containing them cannot be linked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from graphpivot.config import DEFAULT_BROWSER_URL, from_env

BROWSER_URL_ENV = "GRAPHPIVOT_NEO4J_BROWSER_URL"
__all__ = ["BROWSER_URL_ENV", "DEFAULT_BROWSER_URL", "browser_link", "browser_url", "cypher_literal", "editor_text"]
_UNSAFE_IN_URL = "&#?"
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def browser_url() -> str:
    """Base address of Neo4j Browser: ``GRAPHPIVOT_NEO4J_BROWSER_URL`` or the local default."""
    return from_env().browser_url


def cypher_literal(value: Any) -> str:
    """A Cypher literal for a parameter value (str, int, float, bool, None, or lists and maps of them)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(
            _STRING_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ch in _UNSAFE_IN_URL else ch) for ch in value
        )
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"`{_map_key(str(k))}`: {cypher_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no Cypher literal for {type(value).__name__}")


def _map_key(key: str) -> str:
    """A map key inside backticks: backticks doubled, URL-unsafe characters refused like in the query text."""
    if any(ch in _UNSAFE_IN_URL for ch in key):
        raise ValueError(f"the parameter key {key!r} holds a character a Neo4j Browser link cannot carry")
    return key.replace("`", "``")


def editor_text(cypher: str, params: dict[str, Any]) -> str:
    """What the link puts in the editor: the ``:param`` lines, then the query without ``//`` comment lines."""
    body = "\n".join(line for line in cypher.splitlines() if not line.lstrip().startswith("//")).strip()
    unsafe = sorted({ch for ch in body if ch in _UNSAFE_IN_URL})
    if unsafe:
        raise ValueError(f"the query text holds {' '.join(unsafe)}, which a Neo4j Browser link cannot carry")
    lines = [f":param {name} => {cypher_literal(value)};" for name, value in params.items()]
    return "\n".join([*lines, body.rstrip(";") + ";"])


def browser_link(cypher: str, params: dict[str, Any], base: str | None = None) -> str:
    """A Neo4j Browser address that opens the query with its parameters in the editor."""
    root = base or browser_url()
    separator = "&" if "?" in root else "?"
    return f"{root}{separator}cmd=edit&arg={quote(editor_text(cypher, params), safe='')}"
