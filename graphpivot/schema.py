"""The one schema both engines are generated from.

Node labels and their typed properties come from the entity models in
:mod:`graphpivot.model`; relationship types, their endpoint labels and their
properties are declared here. Each property has a merge rule, applied the same
way by the ingest batcher (in Python) and by both engines' writers (in Cypher).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from graphpivot.model import ENTITIES, Entity


class PropType(StrEnum):
    """Property types both engines can store."""

    STRING = "STRING"
    INT = "INT64"
    FLOAT = "DOUBLE"
    BOOL = "BOOLEAN"
    STRING_LIST = "STRING[]"
    INT_LIST = "INT64[]"


class Merge(StrEnum):
    """How an incoming value combines with the stored one."""

    MIN = "min"
    MAX = "max"
    SUM = "sum"
    UNION = "union"
    OR = "or"
    LATEST = "latest"  # the incoming value when it is not null
    # A bounded union: the EVENTS_KEPT smallest distinct values in string order, sorted. The smallest of a
    # union are the smallest of the smallest of its parts, so any load order and batching keep the same ones.
    SAMPLE = "sample"


# Raw-event pointers kept per telemetry edge (``events``: Zeek uid, community_id, EVE flow_id, FILE:LINE).
EVENTS_KEPT = 8


@dataclass(frozen=True)
class Prop:
    name: str
    type: PropType
    merge: Merge


@dataclass(frozen=True)
class NodeSpec:
    label: str
    props: tuple[Prop, ...]

    def prop(self, name: str) -> Prop:
        return next(p for p in self.props if p.name == name)


@dataclass(frozen=True)
class RelSpec:
    type: str
    pairs: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = field(default=())


_PY_TO_PROP: dict[Any, PropType] = {
    str: PropType.STRING,
    int: PropType.INT,
    float: PropType.FLOAT,
    bool: PropType.BOOL,
    list[str]: PropType.STRING_LIST,
    list[int]: PropType.INT_LIST,
}
_NODE_MERGE = {
    "first_seen": Merge.MIN,
    "last_seen": Merge.MAX,
    "indicator": Merge.OR,
    "noise": Merge.OR,
}


def _prop_type(annotation: Any) -> PropType:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _prop_type(inner)
    return _PY_TO_PROP[annotation]


def _node_spec(entity: type[Entity]) -> NodeSpec:
    props = []
    for name, info in entity.model_fields.items():
        if name == "key":
            continue
        ptype = _prop_type(info.annotation)
        default = Merge.UNION if ptype in (PropType.STRING_LIST, PropType.INT_LIST) else Merge.LATEST
        props.append(Prop(name, ptype, _NODE_MERGE.get(name, default)))
    return NodeSpec(entity.label, tuple(props))


NODES: dict[str, NodeSpec] = {e.label: _node_spec(e) for e in ENTITIES}


def _p(name: str, ptype: PropType, merge: Merge) -> Prop:
    return Prop(name, ptype, merge)


_EDGE_BASE = (
    _p("first_seen", PropType.INT, Merge.MIN),
    _p("last_seen", PropType.INT, Merge.MAX),
    _p("count", PropType.INT, Merge.SUM),
    _p("sources", PropType.STRING_LIST, Merge.UNION),
)
_SIGNATURES = _p("signatures", PropType.STRING_LIST, Merge.UNION)
_PORTS = _p("ports", PropType.INT_LIST, Merge.UNION)
_BYTES = (_p("bytes_out", PropType.INT, Merge.SUM), _p("bytes_in", PropType.INT, Merge.SUM))
# Endpoint telemetry (Sysmon): the process images that asked or connected, lower-cased paths.
_PROCESSES = _p("processes", PropType.STRING_LIST, Merge.UNION)
# The kinds of sensor that saw a telemetry edge (see loaders.telemetry.observations.SENSOR_KINDS).
_SENSORS = _p("sensors", PropType.STRING_LIST, Merge.UNION)
# Ids of raw events behind a telemetry edge, for pulling them from the SIEM (see Merge.SAMPLE).
_EVENTS = _p("events", PropType.STRING_LIST, Merge.SAMPLE)
_INTEL_TARGETS = ("Domain", "IP", "URL", "Certificate", "Fingerprint", "Email", "ASN", "Netblock", "WebService")


def _rel(rel_type: str, pairs: list[tuple[str, str]], *extra: Prop, base: tuple[Prop, ...] = _EDGE_BASE) -> RelSpec:
    return RelSpec(rel_type, tuple(pairs), base + extra)


# An intel statement is not an observation: re-loading the same report must not
# inflate it, so MENTIONS keeps the highest count instead of summing. The same goes
# for every edge built on this base (SUBDOMAIN_OF, OPERATED_BY, ATTRIBUTED_TO,
# RELATED_TO): a fact, derived again by each load, whose count stays 1 however
# often it is loaded. Only the observation edges on _EDGE_BASE sum their count.
_MENTION_BASE = (*_EDGE_BASE[:2], _p("count", PropType.INT, Merge.MAX), _EDGE_BASE[3])

RELS: dict[str, RelSpec] = {
    r.type: r
    for r in (
        _rel("RESOLVES_TO", [("Domain", "IP")]),
        _rel("CNAME", [("Domain", "Domain")]),
        _rel("NS", [("Domain", "Domain")]),
        _rel("MX", [("Domain", "Domain")]),
        # A fact about names, not an observation: loading it again must not inflate it.
        _rel("SUBDOMAIN_OF", [("Domain", "Domain")], base=_MENTION_BASE),
        _rel("PTR", [("IP", "Domain")]),
        _rel("IN_NETBLOCK", [("IP", "Netblock")]),
        _rel("ANNOUNCED_BY", [("Netblock", "ASN"), ("IP", "ASN")]),
        _rel("SERVES_CERT", [("Domain", "Certificate"), ("IP", "Certificate")], _PORTS),
        _rel("SAN", [("Certificate", "Domain"), ("Certificate", "IP")]),
        _rel("ISSUED_BY", [("Certificate", "Certificate")]),
        _rel("HAS_FINGERPRINT", [("Domain", "Fingerprint"), ("IP", "Fingerprint")], _PORTS),
        _rel("REGISTRANT", [("Domain", "Email")]),
        _rel("SOA_EMAIL", [("Domain", "Email")]),
        _rel("ON_HOST", [("URL", "Domain"), ("URL", "IP")]),
        # A catalogue fact, re-derived on every load that sees the name: keep the highest count.
        _rel("OPERATED_BY", [("Domain", "WebService"), ("URL", "WebService")], base=_MENTION_BASE),
        _rel(
            "QUERIED",
            [("Host", "Domain")],
            _p("qtypes", PropType.STRING_LIST, Merge.UNION),
            _p("rcodes", PropType.STRING_LIST, Merge.UNION),
            _SIGNATURES,
            _PROCESSES,
            _SENSORS,
            _EVENTS,
        ),
        _rel(
            "CONNECTED_TO",
            # (Host)->(Domain): a connection known by server name only (TLS SNI), not by address.
            [("Host", "IP"), ("Host", "Domain")],
            *_BYTES,
            _PORTS,
            _p("protocols", PropType.STRING_LIST, Merge.UNION),
            _SIGNATURES,
            # "outbound" when the host opened the connection, "inbound" when the peer did.
            _p("directions", PropType.STRING_LIST, Merge.UNION),
            _PROCESSES,
            _SENSORS,
            _EVENTS,
        ),
        _rel(
            "REQUESTED",
            [("Host", "URL")],
            *_BYTES,
            _p("methods", PropType.STRING_LIST, Merge.UNION),
            _p("statuses", PropType.INT_LIST, Merge.UNION),
            _p("user_agents", PropType.STRING_LIST, Merge.UNION),
            _SIGNATURES,
            _SENSORS,
            _EVENTS,
        ),
        _rel("USED_CLIENT", [("Host", "Fingerprint")], _SENSORS, _EVENTS),
        _rel(
            "MENTIONS",
            [("Report", t) for t in (*_INTEL_TARGETS, "Threat", "Host")],
            _p("confidence", PropType.INT, Merge.MAX),
            _p("valid_from", PropType.INT, Merge.MIN),
            _p("valid_until", PropType.INT, Merge.MAX),
            _p("to_ids", PropType.BOOL, Merge.OR),
            _p("context", PropType.STRING_LIST, Merge.UNION),
            base=_MENTION_BASE,
        ),
        _rel("ABOUT", [("Report", "Threat")]),
        _rel("ATTRIBUTED_TO", [(t, "Threat") for t in _INTEL_TARGETS], base=_MENTION_BASE),
        _rel(
            "RELATED_TO",
            [("Threat", "Threat")],
            _p("relationship", PropType.STRING_LIST, Merge.UNION),
            base=_MENTION_BASE,
        ),
    )
}

# Labels whose nodes are shared infrastructure: pivots cross them and count their degree.
ATTRIBUTE_LABELS = ("IP", "Domain", "Certificate", "Email", "Fingerprint", "ASN", "Netblock")


def rel_prop(rel_type: str, name: str) -> Prop:
    """Look up a relationship property spec."""
    return next(p for p in RELS[rel_type].props if p.name == name)
