"""What the threat-intel loaders share: typed indicator values, times, tolerant JSON.

* :func:`typed_indicator` turns a value of a known kind (``domain``, ``ip-port``,
  ``x509-sha1``, ``ja3`` ...) into its node, the way MISP attribute types, STIX
  patterns and CSV feed type columns name them.
* :func:`epoch` reads the time formats intel uses (ISO 8601, ``YYYY-MM-DD HH:MM:SS``
  UTC, dates, epoch seconds) as integer epoch seconds.
* :func:`read_json` parses a file and, when it is cut short, keeps every complete
  value before the break (streamed with ``ijson``) instead of losing the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ijson
from graphpivot.loaders.textio import json_depth

from graphpivot.canonical import InvalidValue, split_host_port
from graphpivot.model import Edge, Node, Record, Reject, entity, host_of_url
from graphpivot.times import epoch_seconds
from graphpivot.times import optional_epoch as _optional_epoch

# kind -> (label, how the value becomes a key)
_FINGERPRINTS = {"ja3": "ja3", "ja3s": "ja3s", "jarm": "jarm", "ja4": "ja4", "ja4s": "ja4s", "hassh": "hassh",
                 "hassh_server": "hassh_server"}
KINDS = ("domain", "ip", "ip-port", "cidr", "url", "email", "asn", "x509-sha256", "x509-sha1", "x509-md5",
         *_FINGERPRINTS)


@dataclass
class Indicator:
    """A node made from a typed value, plus what the value said beyond the key (a port)."""

    node: Node
    context: list[str] = field(default_factory=list)


def typed_indicator(kind: str, value: str, **props: Any) -> Indicator:
    """The node for ``value`` read as ``kind`` (one of :data:`KINDS`); raises InvalidValue."""
    text = value.strip()
    if not text:
        raise InvalidValue(f"empty {kind} value")
    if kind == "domain":
        host, port = split_host_port(text)
        node = entity("Domain", host, **props)
        if "." not in node.key:
            raise InvalidValue(f"single-label name is not an indicator: {value!r}")
        return Indicator(node, _port(port))
    if kind in ("ip", "cidr"):
        if "/" in text:
            network = entity("Netblock", text, **props)
            bits = network.key.rsplit("/", 1)[1]
            if bits not in ("32", "128"):
                return Indicator(network)
            text = network.key.split("/", 1)[0]
        return Indicator(entity("IP", text, **props))
    if kind == "ip-port":
        host, port = split_host_port(text)
        return Indicator(entity("IP", host, **props), _port(port))
    if kind == "url":
        return Indicator(entity("URL", text, **props))
    if kind == "email":
        return Indicator(entity("Email", text, **props))
    if kind == "asn":
        return Indicator(entity("ASN", text, **props))
    if kind.startswith("x509-"):
        algorithm = kind.removeprefix("x509-")
        return Indicator(entity("Certificate", text, key_type=algorithm, **props))
    if kind in _FINGERPRINTS:
        return Indicator(entity("Fingerprint", f"{_FINGERPRINTS[kind]}:{text}", **props))
    raise ValueError(f"unknown indicator kind {kind!r}")


def _port(port: int | None) -> list[str]:
    return [f"port: {port}"] if port is not None else []


def url_host_records(node: Node, props: dict[str, Any]) -> list[Record]:
    """For a URL node: its host (Domain or IP) and the ``ON_HOST`` edge; nothing otherwise."""
    if node.label != "URL":
        return []
    host = host_of_url(node.key)
    return [host, Edge("ON_HOST", "URL", node.key, host.label, host.key, dict(props))]


def epoch(value: Any) -> int:
    """Epoch seconds (UTC) from a datetime, date, number or the usual intel time texts (see :mod:`graphpivot.times`)."""
    return epoch_seconds(value)


def optional_epoch(value: Any) -> int | None:
    """:func:`epoch`, with empty values (None, '', 'None') as None."""
    return _optional_epoch(value)


# ---------------------------------------------------------------- JSON

# Whole JSON documents (STIX bundles, MISP events) larger or deeper than this are refused with a reject.
MAX_DOCUMENT_BYTES = int(os.environ.get("GRAPHPIVOT_MAX_DOCUMENT_BYTES", str(256 << 20)))
MAX_DOCUMENT_DEPTH = 64


def read_json(path: Path, is_record: Callable[[str], bool] = lambda prefix: False) -> tuple[Any, Reject | None]:
    """Parse a JSON file; when it is malformed, salvage what came before the break.

    Returns ``(document, reject)``: ``reject`` says where and why the file is broken
    (None when it is fine); ``document`` holds every value read before the break,
    the containers still open at the break closed, or None when nothing was read.
    ``is_record`` names (by ``ijson`` prefix, e.g. ``objects.item``) the containers
    that are records: the innermost unfinished record is dropped, not half-loaded.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, Reject(str(path), None, f"cannot read file: {exc.strerror or exc}", units=0)
    if size > MAX_DOCUMENT_BYTES:
        return None, Reject(str(path), None, f"JSON document larger than {MAX_DOCUMENT_BYTES} bytes "
                            f"({size}); not read (split it, or raise GRAPHPIVOT_MAX_DOCUMENT_BYTES)", units=0)
    try:
        with path.open("rb") as handle:
            doc = json.load(handle, parse_constant=_no_constant)
    except RecursionError:
        return None, Reject(str(path), None, f"JSON nested deeper than {MAX_DOCUMENT_DEPTH} levels; not read",
                            units=0)
    except json.JSONDecodeError as exc:
        reject = Reject(str(path), exc.lineno, f"malformed JSON ({exc.msg}, column {exc.colno}); "
                        "loaded what came before it")
    except UnicodeDecodeError as exc:
        return None, Reject(str(path), None, f"not UTF-8 JSON ({exc.reason})", units=0)
    except ValueError as exc:  # a non-finite constant (NaN, Infinity)
        return None, Reject(str(path), None, f"not acceptable JSON: {exc}", units=0)
    except OSError as exc:
        return None, Reject(str(path), None, f"cannot read file: {exc.strerror or exc}", units=0)
    else:
        if json_depth(doc) > MAX_DOCUMENT_DEPTH:
            return None, Reject(str(path), None, f"JSON nested deeper than {MAX_DOCUMENT_DEPTH} levels; not read",
                                units=0)
        return doc, None
    reject.units = 0
    return _salvage(path, is_record), reject


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _salvage(path: Path, is_record: Callable[[str], bool]) -> Any:
    stack: list[tuple[str, Any]] = []  # open containers with their prefixes
    keys: list[str | None] = []
    root: list[Any] = []

    def put(value: Any) -> None:
        if not stack:
            root.append(value)
        elif isinstance(stack[-1][1], list):
            stack[-1][1].append(value)
        else:
            stack[-1][1][keys[-1]] = value

    try:
        with path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle, use_float=True):
                if event == "map_key":
                    keys[-1] = value
                elif event in ("start_map", "start_array"):
                    if len(stack) >= MAX_DOCUMENT_DEPTH:
                        raise ijson.JSONError("nested too deeply")
                    container: Any = {} if event == "start_map" else []
                    put(container)
                    stack.append((prefix, container))
                    keys.append(None)
                elif event in ("end_map", "end_array"):
                    stack.pop()
                    keys.pop()
                else:
                    put(value)
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError):
        _drop_unfinished(stack, keys, is_record)
    return root[0] if root else None


def _drop_unfinished(stack: list[tuple[str, Any]], keys: list[str | None], is_record: Callable[[str], bool]) -> None:
    """Remove the innermost open record from its parent: it is incomplete."""
    for depth in range(len(stack) - 1, 0, -1):
        if not is_record(stack[depth][0]):
            continue
        parent = stack[depth - 1][1]
        if isinstance(parent, list):
            parent.pop()
        else:
            del parent[keys[depth - 1]]
        return
