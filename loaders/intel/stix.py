"""STIX 2.0 and 2.1 bundles: observables, indicator patterns, threats, reports, relationships.

Each file becomes a Report (key ``source:bundle--id``) that MENTIONS every
observable and indicator value in it and is ABOUT every threat; each ``report``
(or ``grouping``) object becomes a Report of its own over its ``object_refs``.

* Cyber observables (``domain-name``, ``ipv4-addr``, ``ipv6-addr``, ``url``,
  ``email-addr``, ``autonomous-system``, ``x509-certificate``; ``network-traffic``
  through its ``src_ref``/``dst_ref``; those embedded in 2.0 ``observed-data``)
  become nodes.
* ``indicator`` patterns are parsed by :mod:`stixpattern`; every ``=``/``IN``
  value of a supported object path becomes an ``indicator = true`` node, and the
  indicator's ``valid_from``/``valid_until``/``confidence`` sit on ``MENTIONS``.
* ``malware``, ``threat-actor``, ``intrusion-set``, ``campaign``, ``tool`` and
  ``infrastructure`` become Threat nodes.
* ``attack-pattern`` objects with a MITRE ATT&CK external id are techniques: the bundle's Report (and each
  ``report`` whose ``object_refs`` hold the pattern, or an object that ``uses``/``indicates`` it) gets its id
  in ``techniques``, and a threat that ``uses`` it gets it in its own ``techniques``.
* ``MENTIONS`` carries ``to_ids``: true for a value an indicator pattern names, false for an
  observable (top-level, in ``observed-data`` or behind ``network-traffic``) that only
  describes what was seen; the exposure grading treats the latter as context.
* ``sighting`` objects that name the internal host that saw the value (graphpivot's own
  export: ``x_graphpivot_host``, ``x_graphpivot_edge``) become that host's telemetry edge to
  each value of the sighted indicator (QUERIED a domain, CONNECTED_TO an IP, REQUESTED a URL)
  with the sighting's first/last seen and count, sourced from its ``where_sighted_refs``.
* Relationships: threat-to-threat ones become ``RELATED_TO {relationship}``; one
  between a threat and an indicator or observable (``indicates``, ``consists-of``,
  ``communicates-with``, ``uses`` ...) becomes ``ATTRIBUTED_TO`` from each value to
  the threat; ``resolves-to`` gives ``RESOLVES_TO`` and ``belongs-to`` gives
  ``ANNOUNCED_BY`` (IP to ASN).

Everything else (attack patterns without an ATT&CK id, identities, file hashes in patterns ...) is
counted as skipped; a malformed object is rejected with its id and the rest of
the file loads.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.indicators import (
    Indicator,
    epoch,
    optional_epoch,
    read_json,
    typed_indicator,
    url_host_records,
)
from graphpivot.loaders.intel.stixpattern import Comparison, PatternError, comparisons

from graphpivot import attack
from graphpivot.canonical import InvalidValue, canonical_host
from graphpivot.model import Edge, Loaded, Node, Progress, Record, Reject, Skipped, entity

THREAT_TYPES = {
    "malware": "malware",
    "threat-actor": "actor",
    "intrusion-set": "actor",
    "campaign": "campaign",
    "tool": "tool",
    "infrastructure": "infrastructure",
}
REPORT_TYPES = ("report", "grouping")
# Objects that link others: accounted when :func:`_emit` links them, by the records they make there.
LINKING_TYPES = ("relationship", "sighting", *REPORT_TYPES)
SCO_TYPES = ("domain-name", "ipv4-addr", "ipv6-addr", "url", "email-addr", "autonomous-system", "x509-certificate")
# Relationship types that tie an indicator or observable to a threat as its infrastructure.
ATTRIBUTION_RELS = frozenset({
    "indicates", "consists-of", "communicates-with", "beacons-to", "exfiltrates-to", "uses", "hosts",
    "controls", "owns", "downloads", "drops", "delivers", "related-to", "attributed-to",
})
_TLP_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "white",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
_TLP_ORDER = ("clear", "white", "green", "amber", "amber+strict", "red")
_VALUE_OPS = ("=", "IN")
Ref = tuple[str, str]  # (label, key)


@dataclass
class _Mention:
    """One graph node an object stands for, and how the bundle mentions it."""

    node: Node
    props: dict[str, Any]


@dataclass
class _Bundle:
    path: Path
    source: str
    observed_at: int
    spec: str
    # Objects by key: the STIX id, or 'id~n' for a conflicting object that repeats an id and 'modified'.
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, list[str]] = field(default_factory=dict)  # STIX id -> object keys
    mentions: dict[str, list[_Mention]] = field(default_factory=dict)  # object key -> nodes it denotes
    threats: dict[str, Node] = field(default_factory=dict)  # object key -> Threat node
    tlp: dict[str, str] = field(default_factory=dict)  # marking id -> tlp level
    techniques: dict[str, str] = field(default_factory=dict)  # attack-pattern object key -> ATT&CK id
    # STIX id -> ATT&CK ids it 'uses' or 'indicates' (threats, indicators, observables)
    used: dict[str, set[str]] = field(default_factory=dict)
    loaded: int = 0  # objects that contributed to the graph

    def keys(self, stix_id: Any) -> list[str]:
        """Object keys of a STIX id (usually just the id)."""
        return self.variants.get(stix_id, []) if isinstance(stix_id, str) else []

    def reject(self, obj_id: str, reason: str, raw: Any = "") -> Reject:
        return Reject(str(self.path), None, f"{obj_id}: {reason}", _raw(raw))

    def skipped(self, what: str) -> Skipped:
        return Skipped(str(self.path), f"stix {what}")


def _raw(value: Any) -> str:
    """A rejected object as its JSON text (whole, so it can be fixed and replayed)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)[:10_000]


def read_stix(path: Path, source: str, *, observed_at: int) -> Iterator[Record]:
    """Yield the records of one STIX 2.x file (a bundle, a list of objects or one object)."""
    doc, broken = read_json(path, lambda prefix: prefix in ("objects.item", "item"))
    if broken is not None:
        yield broken
    if doc is None:
        return
    raw_objects, bundle_id, spec = _unwrap(doc)
    if raw_objects is None:
        yield Reject(str(path), None, "not a STIX bundle or object (no 'type')", units=0)  # no object was read
        return
    b = _Bundle(path, source, observed_at, spec)
    yield from _index(b, raw_objects)
    for key, obj in b.objects.items():
        if obj["type"] in LINKING_TYPES:
            continue  # accounted by _emit, which links them
        records = list(_denote(b, key, obj))
        if _settle(records, bool(b.mentions.get(key)) or key in b.threats or key in b.techniques):
            b.loaded += 1
        yield from records
    yield from _emit(b, bundle_id)
    yield Loaded(str(path), b.loaded)
    yield Progress(str(path), len(raw_objects))


def _settle(records: list[Record], produced: bool) -> bool:
    """Account one object from its records: True when it loads.

    An object that ``produced`` nodes or edges loads, and its rejects (one bad value
    of several in a pattern) are reported as rejects of parts (``units=0``); an object
    with rejects and nothing else is rejected (its first reject counts it); one with
    only skips is skipped (its first skip counts it). Other skips are parts.
    """
    rejects = [r for r in records if isinstance(r, Reject)]
    skips = [r for r in records if isinstance(r, Skipped)]
    counted: Reject | Skipped | None = None
    if not produced:
        counted = rejects[0] if rejects else (skips[0] if skips else None)
    for reject in rejects:
        reject.units = 1 if reject is counted else 0
    for skip in skips:
        skip.whole = skip is counted
    return counted is None


def _unwrap(doc: Any) -> tuple[list[Any] | None, str | None, str]:
    if isinstance(doc, list):
        return doc, None, "2.1"
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        return None, None, "2.1"
    if doc["type"] == "bundle":
        objects = doc.get("objects", [])
        spec = doc.get("spec_version", "2.1") if isinstance(doc.get("spec_version"), str) else "2.1"
        bundle_id = doc.get("id") if isinstance(doc.get("id"), str) else None
        return (objects if isinstance(objects, list) else None), bundle_id, spec
    return [doc], None, str(doc.get("spec_version", "2.1"))


def _index(b: _Bundle, raw_objects: list[Any]) -> Iterator[Record]:
    """Keep well-formed objects by id; reject the rest; learn TLP markings."""
    for n, obj in enumerate(raw_objects):
        where = f"object #{n}"
        if not isinstance(obj, dict):
            yield b.reject(where, f"object is {type(obj).__name__}, not a JSON object", obj)
            continue
        obj_id, obj_type = obj.get("id"), obj.get("type")
        if not isinstance(obj_type, str) or not isinstance(obj_id, str) or not obj_id.startswith(f"{obj_type}--"):
            yield b.reject(obj_id if isinstance(obj_id, str) else where, "missing or inconsistent 'type'/'id'", obj)
            continue
        yield from _keep(b, obj_id, obj)
        if obj_type == "marking-definition":
            level = _tlp_level(obj)
            if level:
                b.tlp[obj_id] = level


def _keep(b: _Bundle, obj_id: str, obj: dict[str, Any]) -> Iterator[Record]:
    """Keep the latest version of each object (STIX versioning by 'modified').

    Two different objects with the same id and 'modified' break the spec; both are
    kept (no data lost) and the duplicate is reported.
    """
    keys = b.variants.setdefault(obj_id, [])
    modified = str(obj.get("modified", ""))
    if keys:
        known = [b.objects[k] for k in keys]
        newest = str(known[0].get("modified", ""))
        if obj in known:
            yield b.skipped("duplicate copies of an object")
            return
        if modified < newest:
            yield b.skipped("superseded versions (an object with a later 'modified' is loaded)")
            return
        if modified > newest:
            for key in keys:
                del b.objects[key]
                yield b.skipped("superseded versions (an object with a later 'modified' is loaded)")
            keys.clear()
        else:
            conflict = b.reject(obj_id, "another, different object has this id and 'modified' (a producer error); "
                                "both are loaded", obj)
            conflict.units = 0
            yield conflict
    key = obj_id if not keys else f"{obj_id}~{len(keys)}"
    keys.append(key)
    b.objects[key] = obj


def _tlp_level(obj: dict[str, Any]) -> str | None:
    definition = obj.get("definition")
    if obj.get("definition_type") == "tlp" and isinstance(definition, dict) and isinstance(definition.get("tlp"), str):
        return str(definition["tlp"]).lower()
    name = obj.get("name")
    if isinstance(name, str) and name.upper().startswith("TLP:"):
        return name[4:].strip().lower()
    return _TLP_IDS.get(str(obj.get("id")))


# ---------------------------------------------------------------- objects -> nodes


def _denote(b: _Bundle, key: str, obj: dict[str, Any]) -> Iterator[Record]:
    """Work out which nodes an object stands for (relationships and reports come later)."""
    obj_type = obj["type"]
    try:
        if obj_type in THREAT_TYPES:
            b.threats[key] = _threat(obj)
        elif obj_type == "indicator":
            yield from _indicator(b, key, obj)
        elif obj_type == "attack-pattern":
            found = attack_id(obj)
            if found is None:
                yield b.skipped("attack-pattern")  # no MITRE ATT&CK external id
            else:
                b.techniques[key] = found
        elif obj_type in SCO_TYPES:
            b.mentions[key] = [_Mention(n, {"to_ids": False}) for n in _sco(obj)]
        elif obj_type == "observed-data":
            yield from _observed(b, key, obj)
        elif obj_type not in ("network-traffic", "relationship", "marking-definition", "sighting", *REPORT_TYPES):
            yield b.skipped(obj_type)
    except Exception as exc:  # any object problem is this object's reject, never the load's crash
        yield b.reject(obj["id"], _reason(exc), obj)


def _reason(exc: Exception) -> str:
    if isinstance(exc, PatternError):
        return f"invalid STIX pattern: {exc}"
    if isinstance(exc, InvalidValue):
        return str(exc)
    return f"malformed object: {exc}"[:500]



def _times(obj: dict[str, Any]) -> dict[str, int]:
    """``first_seen``/``last_seen`` from the object's ``created``/``modified`` (when present)."""
    out: dict[str, int] = {}
    created, modified = optional_epoch(obj.get("created")), optional_epoch(obj.get("modified"))
    if created is not None:
        out["first_seen"] = created
    if modified is not None or created is not None:
        out["last_seen"] = max(t for t in (created, modified) if t is not None)
    return out


def attack_id(obj: dict[str, Any]) -> str | None:
    """The ATT&CK id of an ``attack-pattern``: its ``mitre-*attack`` external reference's ``external_id``."""
    for ref in obj.get("external_references") or []:
        if not isinstance(ref, dict) or not isinstance(ref.get("external_id"), str):
            continue
        if str(ref.get("source_name", "")).lower().startswith("mitre") and (ids := attack.ids_in(ref["external_id"])):
            return ids[0]
    return None


def _technique_ids(b: _Bundle, stix_id: Any) -> list[str]:
    return [b.techniques[k] for k in b.keys(stix_id) if k in b.techniques]


def _threat(obj: dict[str, Any]) -> Node:
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue(f"{obj['type']} without a name")
    aliases = [a for a in obj.get("aliases", []) + obj.get("x_mitre_aliases", []) if isinstance(a, str)]
    props: dict[str, Any] = {"name": name.strip(), "threat_type": THREAT_TYPES[obj["type"]], **_times(obj)}
    if aliases:
        props["aliases"] = aliases
    if isinstance(obj.get("description"), str):
        props["description"] = obj["description"]
    return entity("Threat", name, **props)


def _indicator(b: _Bundle, key: str, obj: dict[str, Any]) -> Iterator[Record]:
    pattern_type = obj.get("pattern_type", "stix")
    if pattern_type != "stix":
        yield b.skipped(f"indicator pattern_type {pattern_type}")
        return
    found = comparisons(obj.get("pattern"), str(obj.get("spec_version", b.spec)))
    valid_from, valid_until = optional_epoch(obj.get("valid_from")), optional_epoch(obj.get("valid_until"))
    mention: dict[str, Any] = {**_times(obj), "context": [obj["id"]], "to_ids": True}
    if valid_from is not None:
        mention["valid_from"] = valid_from
    if valid_until is not None:
        mention["valid_until"] = valid_until
    if isinstance(obj.get("confidence"), int) and not isinstance(obj.get("confidence"), bool):
        mention["confidence"] = obj["confidence"]
    if isinstance(obj.get("name"), str) and obj["name"].strip():
        mention["context"].append(f"name: {obj['name'].strip()}")
    mentions: list[_Mention] = []
    for item in _pattern_values(found):
        if isinstance(item, str):
            yield b.skipped(item)
            continue
        kind, value, extra, context = item
        try:
            made = _pattern_node(kind, value, extra)
        except InvalidValue as exc:
            yield b.reject(obj["id"], f"pattern value {value!r}: {exc}", obj.get("pattern"))
            continue
        props = dict(mention, context=mention["context"] + made.context + context)
        mentions.append(_Mention(made.node, props))
    b.mentions[key] = mentions


_Value = tuple[str, str, dict[str, Any], list[str]]  # kind, value, extra node props, context


def _pattern_values(found: list[Comparison]) -> Iterator[_Value | str]:
    """Indicator values from a pattern's comparisons, or a text naming what was skipped."""
    by_observation: dict[int, list[Comparison]] = {}
    for comp in found:
        by_observation.setdefault(comp.observation, []).append(comp)
    for group in by_observation.values():
        certs = [c for c in group if c.object_type == "x509-certificate"]
        traffic = [c for c in group if c.object_type == "network-traffic"]
        if certs:
            yield from _pattern_certificates(certs)
        if traffic:
            yield from _pattern_traffic(traffic)
        for comp in group:
            if comp in certs or comp in traffic:
                continue
            yield from _pattern_simple(comp)


_SIMPLE_KINDS = {
    ("domain-name", "value"): "domain",
    ("ipv4-addr", "value"): "ip",
    ("ipv6-addr", "value"): "ip",
    ("url", "value"): "url",
    ("email-addr", "value"): "email",
    ("autonomous-system", "number"): "asn",
}


def _pattern_simple(comp: Comparison) -> Iterator[_Value | str]:
    kind = _SIMPLE_KINDS.get((comp.object_type, comp.path_text))
    if kind is None:
        yield f"pattern term {comp.object_type}:{comp.path_text}"
        return
    if comp.op == "ISSUBSET" and kind == "ip":
        yield "ip", str(comp.values[0]), {}, []
        return
    if comp.op not in _VALUE_OPS:
        yield f"pattern operator {comp.op} on {comp.object_type}:{comp.path_text}"
        return
    for value in comp.values:
        yield kind, str(value), {}, []


def _hash_name(name: str | int) -> str:
    return str(name).upper().replace("-", "").replace("_", "")


def _pattern_certificates(certs: list[Comparison]) -> Iterator[_Value | str]:
    """Certificates of one observation: keyed by SHA-256, else SHA-1, else MD5; other
    properties attach when the observation names a single certificate."""
    hashes: dict[str, list[str]] = {"SHA256": [], "SHA1": [], "MD5": []}
    extra: dict[str, Any] = {}
    for comp in certs:
        if comp.op not in _VALUE_OPS:
            yield f"pattern operator {comp.op} on x509-certificate:{comp.path_text}"
            continue
        if comp.path[0] == "hashes" and len(comp.path) == 2 and _hash_name(comp.path[1]) in hashes:
            hashes[_hash_name(comp.path[1])].extend(str(v) for v in comp.values)
        elif comp.path_text in ("serial_number", "issuer", "subject") and len(comp.values) == 1:
            extra[{"serial_number": "serial"}.get(comp.path_text, comp.path_text)] = str(comp.values[0])
        else:
            yield f"pattern term x509-certificate:{comp.path_text}"
    for algorithm, kind in (("SHA256", "x509-sha256"), ("SHA1", "x509-sha1"), ("MD5", "x509-md5")):
        values = hashes[algorithm]
        if not values:
            continue
        single = len(values) == 1
        props = dict(extra) if single else {}
        if single and algorithm == "SHA256":
            if len(hashes["SHA1"]) == 1:
                props["sha1"] = hashes["SHA1"][0]
            if len(hashes["MD5"]) == 1:
                props["md5"] = hashes["MD5"][0]
        for value in values:
            yield kind, value, props, []
        return
    if extra:
        yield "pattern x509-certificate without a hash (issuer/serial only)"


def _pattern_traffic(traffic: list[Comparison]) -> Iterator[_Value | str]:
    ports = [f"port: {v}" for c in traffic if c.path_text in ("dst_port", "src_port") and c.op in _VALUE_OPS
             for v in c.values]
    ref_types = {c.path[0]: str(c.values[0]) for c in traffic if len(c.path) == 2 and c.path[1] == "type"}
    for comp in traffic:
        if len(comp.path) == 2 and comp.path[0] in ("dst_ref", "src_ref") and comp.path[1] == "value":
            if comp.op not in _VALUE_OPS:
                yield f"pattern operator {comp.op} on network-traffic:{comp.path_text}"
                continue
            ref_type = ref_types.get(comp.path[0], "")
            for value in comp.values:
                kind = "domain" if ref_type == "domain-name" else _host_kind(str(value))
                yield kind, str(value), {}, [f"network-traffic {comp.path[0]}", *ports]
        elif comp.path_text not in ("dst_port", "src_port", "dst_ref.type", "src_ref.type"):
            yield f"pattern term network-traffic:{comp.path_text}"


def _host_kind(value: str) -> str:
    try:
        return "ip" if canonical_host(value)[0] == "IP" else "domain"
    except InvalidValue:
        return "domain"


def _pattern_node(kind: str, value: str, extra: dict[str, Any]) -> Indicator:
    return typed_indicator(kind, value, indicator=True, **extra)


def _sco(obj: dict[str, Any]) -> list[Node]:
    """The node a cyber observable object is (2.1 top-level or 2.0 embedded)."""
    obj_type = obj["type"]
    if obj_type == "x509-certificate":
        return _certificate(obj)
    if obj_type == "autonomous-system":
        props = {k: v for k, v in (("name", obj.get("name")), ("registry", obj.get("rir"))) if isinstance(v, str)}
        return [entity("ASN", obj["number"], **props)]
    value = obj.get("value")
    if not isinstance(value, str):
        raise InvalidValue(f"{obj_type} without a string 'value'")
    kind = {"domain-name": "domain", "ipv4-addr": "ip", "ipv6-addr": "ip", "url": "url", "email-addr": "email"}
    return [typed_indicator(kind[obj_type], value).node]


def _certificate(obj: dict[str, Any]) -> list[Node]:
    hashes = {_hash_name(k): v for k, v in (obj.get("hashes") or {}).items() if isinstance(v, str)}
    props: dict[str, Any] = {}
    for stix_name, prop in (("serial_number", "serial"), ("issuer", "issuer"), ("subject", "subject")):
        if isinstance(obj.get(stix_name), str):
            props[prop] = obj[stix_name]
    for stix_name, prop in (("validity_not_before", "not_before"), ("validity_not_after", "not_after")):
        if obj.get(stix_name) is not None:
            props[prop] = epoch(obj[stix_name])
    if "SHA256" in hashes:
        return [entity("Certificate", hashes["SHA256"], sha1=hashes.get("SHA1"), md5=hashes.get("MD5"), **props)]
    if "SHA1" in hashes:
        return [entity("Certificate", hashes["SHA1"], key_type="sha1", md5=hashes.get("MD5"), **props)]
    raise InvalidValue("x509-certificate without a SHA-256 or SHA-1 hash cannot be keyed")


def _san_names(obj: dict[str, Any]) -> list[str]:
    ext = obj.get("x509_v3_extensions") or {}
    text = ext.get("subject_alternative_name") if isinstance(ext, dict) else None
    if not isinstance(text, str):
        return []
    names = [part.split(":", 1)[1].strip() for part in text.split(",") if part.strip().upper().startswith("DNS:")]
    return [name.removeprefix("*.") for name in names]  # a wildcard names its base domain


def _observed(b: _Bundle, key: str, obj: dict[str, Any]) -> Iterator[Record]:
    """2.0 ``observed-data`` embeds its observables; 2.1 refers to top-level ones."""
    times = {}
    for stix_name, prop in (("first_observed", "first_seen"), ("last_observed", "last_seen")):
        if obj.get(stix_name) is not None:
            times[prop] = epoch(obj[stix_name])
    embedded = obj.get("objects") or {}
    nodes: list[_Mention] = []
    for local in embedded.values() if isinstance(embedded, dict) else ():
        if isinstance(local, dict) and local.get("type") in SCO_TYPES:
            nodes.extend(_Mention(n, dict(times, context=[obj["id"]], to_ids=False)) for n in _sco(local))
        elif isinstance(local, dict):
            yield b.skipped(f"observed {local.get('type')}")
    b.mentions[key] = nodes


# ---------------------------------------------------------------- output


def _emit(b: _Bundle, bundle_id: str | None) -> Iterator[Record]:
    _resolve_traffic(b)
    for key, obj in b.objects.items():
        if obj["type"] == "x509-certificate" and key in b.mentions:
            yield from _san_edges(b, key, obj)
    marked = [b.tlp[m] for o in b.objects.values() for m in _markings(o) if m in b.tlp]
    bundle_key = f"{b.source}:{bundle_id or b.path.name}"
    attributed: set[Ref] = set()
    for obj in b.objects.values():
        if obj["type"] == "relationship":
            yield from _linked(b, _relationship(b, obj, attributed))
    named = sorted(set(b.techniques.values()))
    yield entity("Report", bundle_key, name=b.path.name, source=b.source, **_strictest(marked),
                 **({"techniques": named} if named else {}))
    for key, obj in b.objects.items():
        if obj["type"] in SCO_TYPES:
            yield from _embedded_refs(b, key, obj)
        elif obj["type"] == "sighting":
            yield from _linked(b, _sighting(b, obj))
    for mentions in b.mentions.values():
        for m in mentions:
            props = dict(m.node.props)
            if (m.node.label, m.node.key) in attributed:
                props["indicator"] = True
            yield Node(m.node.label, m.node.key, props)
            yield Edge("MENTIONS", "Report", bundle_key, m.node.label, m.node.key, _mention_props(b, m))
            yield from url_host_records(m.node, _times_only(_mention_props(b, m)))
    for key, node in b.threats.items():
        used = sorted({t for stix_id, ids in b.used.items() if key in b.keys(stix_id) for t in ids})
        threat = Node(node.label, node.key, {**node.props, "techniques": used}) if used else node
        yield threat
        yield Edge("ABOUT", "Report", bundle_key, "Threat", threat.key, _times_only(threat.props) or _now(b))
    for obj in b.objects.values():
        if obj["type"] in REPORT_TYPES:
            yield from _linked(b, _report(b, obj))


def _linked(b: _Bundle, made: Iterator[Record]) -> list[Record]:
    """The records of one linking object (relationship, sighting, report), accounted like any object."""
    records = list(made)
    if _settle(records, any(isinstance(r, Node | Edge) for r in records)):
        b.loaded += 1
    return records


def _now(b: _Bundle) -> dict[str, Any]:
    return {"first_seen": b.observed_at}


def _times_only(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in ("first_seen", "last_seen") if k in props}


def _mention_props(b: _Bundle, m: _Mention) -> dict[str, Any]:
    props = dict(m.props)
    props.setdefault("first_seen", b.observed_at)
    return props


def _markings(obj: dict[str, Any]) -> list[str]:
    refs = obj.get("object_marking_refs")
    return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []


def _strictest(levels: list[str]) -> dict[str, str]:
    known = [lvl for lvl in levels if lvl in _TLP_ORDER]
    return {"tlp": max(known, key=_TLP_ORDER.index)} if known else {}


def _resolve_traffic(b: _Bundle) -> None:
    """``network-traffic`` stands for the observables its ``dst_ref``/``src_ref`` point at."""
    for key, obj in b.objects.items():
        if obj["type"] != "network-traffic":
            continue
        port = [f"port: {obj['dst_port']}"] if isinstance(obj.get("dst_port"), int) else []
        found: list[_Mention] = []
        for ref_name in ("dst_ref", "src_ref"):
            for m in _mentions_of(b, obj.get(ref_name)):
                context = [*m.props.get("context", []), obj["id"], *port]
                found.append(_Mention(m.node, dict(m.props, context=context)))
        b.mentions[key] = found


def _mentions_of(b: _Bundle, stix_id: Any) -> list[_Mention]:
    return [m for key in b.keys(stix_id) for m in b.mentions.get(key, [])]


def _san_edges(b: _Bundle, key: str, obj: dict[str, Any]) -> Iterator[Record]:
    for cert in b.mentions[key]:
        for name in _san_names(obj):
            try:
                label, key = canonical_host(name)
            except InvalidValue as exc:
                yield b.reject(obj["id"], f"subject alternative name {name!r}: {exc}")
                continue
            yield Edge("SAN", "Certificate", cert.node.key, label, key, _now(b))


def _refs(b: _Bundle, stix_id: Any) -> tuple[list[Ref], str]:
    """Graph nodes a STIX id stands for, and whether they are 'threat' or 'value' nodes."""
    threats = [("Threat", b.threats[k].key) for k in b.keys(stix_id) if k in b.threats]
    if threats:
        return threats, "threat"
    return [(m.node.label, m.node.key) for m in _mentions_of(b, stix_id)], "value"


def _relationship(b: _Bundle, obj: dict[str, Any], attributed: set[Ref]) -> Iterator[Record]:
    obj_id = obj["id"]
    rel_type = obj.get("relationship_type")
    src_id, dst_id = obj.get("source_ref"), obj.get("target_ref")
    if not isinstance(rel_type, str) or not isinstance(src_id, str) or not isinstance(dst_id, str):
        yield b.reject(obj_id, "relationship without relationship_type, source_ref and target_ref strings", obj)
        return
    try:
        times = _times(obj) or _now(b)
    except (InvalidValue, TypeError, ValueError) as exc:
        yield b.reject(obj_id, _reason(exc), obj)
        return
    if _technique_ids(b, dst_id) or _technique_ids(b, src_id):
        techniques = _technique_ids(b, dst_id)
        if techniques and rel_type in ("uses", "indicates"):
            b.used.setdefault(src_id, set()).update(techniques)
        else:  # mitigates, subtechnique-of ...: ATT&CK's own structure, not what the intel says
            yield b.skipped(f"relationship {rel_type} ({src_id.split('--')[0]} -> {dst_id.split('--')[0]})")
        return
    (src, src_kind), (dst, dst_kind) = _refs(b, src_id), _refs(b, dst_id)
    describe = f"relationship {rel_type} ({src_id.split('--')[0]} -> {dst_id.split('--')[0]})"
    if not src or not dst:
        yield b.skipped(describe)
    elif src_kind == dst_kind == "threat":
        for s_ref, d_ref in itertools.product(src, dst):
            yield Edge("RELATED_TO", *s_ref, *d_ref, dict(times, relationship=[rel_type]))
    elif {src_kind, dst_kind} == {"threat", "value"} and rel_type in ATTRIBUTION_RELS:
        threats, values = (src, dst) if src_kind == "threat" else (dst, src)
        for (label, key), threat in itertools.product(values, threats):
            attributed.add((label, key))
            yield Edge("ATTRIBUTED_TO", label, key, *threat, dict(times))
    elif rel_type == "resolves-to":
        yield from _pairs(b, "RESOLVES_TO", src, dst, allowed=[("Domain", "IP")], times=times, describe=describe)
    elif rel_type == "belongs-to":
        yield from _pairs(b, "ANNOUNCED_BY", src, dst, allowed=[("IP", "ASN"), ("Netblock", "ASN")], times=times,
                          describe=describe)
    else:
        yield b.skipped(describe)


SIGHTING_EDGES = {"QUERIED": ("Domain",), "CONNECTED_TO": ("IP", "Domain"), "REQUESTED": ("URL",)}
_SIGHTING_DEFAULT = {"Domain": "QUERIED", "IP": "CONNECTED_TO", "URL": "REQUESTED"}


def _sighting(b: _Bundle, obj: dict[str, Any]) -> Iterator[Record]:
    """An internal host's sighting of an indicator's values: its telemetry edges to them."""
    host = obj.get("x_graphpivot_host")
    values = _mentions_of(b, obj.get("sighting_of_ref"))
    if not isinstance(host, str) or not host.strip() or not values:
        yield b.skipped("sighting without an internal host (x_graphpivot_host) or of no value")
        return
    try:
        first, last = optional_epoch(obj.get("first_seen")), optional_epoch(obj.get("last_seen"))
        node = entity("Host", host)
    except (InvalidValue, TypeError, ValueError) as exc:
        yield b.reject(obj["id"], _reason(exc), obj)
        return
    count = obj.get("count") if isinstance(obj.get("count"), int) and not isinstance(obj.get("count"), bool) else 1
    refs: list[Any] = obj["where_sighted_refs"] if isinstance(obj.get("where_sighted_refs"), list) else []
    sensors = sorted({str(b.objects[k].get("name")) for ref in refs for k in b.keys(ref)
                      if isinstance(b.objects[k].get("name"), str)})
    seen = first if first is not None else (last if last is not None else b.observed_at)
    props: dict[str, Any] = {"first_seen": seen, "last_seen": max(seen, last or seen), "count": count}
    if sensors:
        props["sources"] = sensors
    wanted = obj.get("x_graphpivot_edge")
    yield node
    for m in values:
        label = m.node.label
        rel = wanted if isinstance(wanted, str) and label in SIGHTING_EDGES.get(wanted, ()) else (
            _SIGHTING_DEFAULT.get(label))
        if rel is None:
            yield b.skipped(f"sighting of a {label}")
            continue
        yield Edge(rel, "Host", node.key, label, m.node.key, dict(props))


def _pairs(
    b: _Bundle, rel: str, src: list[Ref], dst: list[Ref], *, allowed: list[tuple[str, str]], times: dict[str, Any],
    describe: str,
) -> Iterator[Record]:
    made = False
    for s in src:
        for d in dst:
            if (s[0], d[0]) in allowed:
                made = True
                yield Edge(rel, *s, *d, dict(times))
    if not made:
        yield b.skipped(describe)


def _embedded_refs(b: _Bundle, key: str, obj: dict[str, Any]) -> Iterator[Record]:
    """2.1 ``resolves_to_refs`` and ``belongs_to_refs`` on the observables themselves."""
    src = [(m.node.label, m.node.key) for m in b.mentions.get(key, [])]
    for prop, rel, allowed in (
        ("resolves_to_refs", "RESOLVES_TO", [("Domain", "IP")]),
        ("belongs_to_refs", "ANNOUNCED_BY", [("IP", "ASN"), ("Netblock", "ASN")]),
    ):
        refs = obj.get(prop)
        for ref in refs if isinstance(refs, list) else ():
            dst, _ = _refs(b, ref)
            describe = f"{prop} ({obj['type']} -> {str(ref).split('--')[0]})"
            yield from _pairs(b, rel, src, dst, allowed=allowed, times=_now(b), describe=describe)


def _report(b: _Bundle, obj: dict[str, Any]) -> Iterator[Record]:
    obj_id = obj["id"]
    refs = obj.get("object_refs", [])
    if not isinstance(refs, list):
        yield b.reject(obj_id, "object_refs is not a list", obj)
        return
    try:
        props = _report_props(b, obj)
    except (InvalidValue, TypeError, ValueError) as exc:
        yield b.reject(obj_id, _reason(exc), obj)
        return
    key = f"{b.source}:{obj_id}"
    named = {t for ref in refs for t in [*_technique_ids(b, ref), *b.used.get(ref, ())]}
    if named:
        props["techniques"] = sorted(named)
    yield entity("Report", key, **props)
    for ref in refs:
        for threat in (b.threats[k] for k in b.keys(ref) if k in b.threats):
            yield Edge("ABOUT", "Report", key, "Threat", threat.key, _times_only(props) or _now(b))
        for m in _mentions_of(b, ref):
            yield Edge("MENTIONS", "Report", key, m.node.label, m.node.key, _mention_props(b, m))


def _report_props(b: _Bundle, obj: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"source": b.source, **_times(obj)}
    name = obj.get("name") or obj.get("title")
    if isinstance(name, str):
        props["name"] = name
    if obj.get("published") is not None:
        props["published"] = epoch(obj["published"])
    if isinstance(obj.get("description"), str):
        props["description"] = obj["description"]
    refs = obj.get("external_references", [])
    urls = [r["url"] for r in refs if isinstance(r, dict) and isinstance(r.get("url"), str)]
    if urls:
        props["url"], props["references"] = urls[0], urls
    labels = [v for v in obj.get("labels", []) + obj.get("report_types", []) if isinstance(v, str)]
    if labels:
        props["tags"] = labels
    props.update(_strictest([b.tlp[m] for m in _markings(obj) if m in b.tlp]))
    return props
