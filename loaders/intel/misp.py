"""MISP events: REST wrappers (``{"response": [...]}``, ``{"Event": ...}``), feed files, lists.

Parsing is PyMISP's (``MISPEvent``/``MISPAttribute``/``MISPObject``, offline): it
knows MISP's attribute types, timestamps, tags and galaxies. Each attribute and
object is read on its own, so one broken item is a reject naming the event and
item uuid while the rest of the event loads.

* Each event is a Report (key ``source:event-uuid``): name, published time, TLP
  and other tags, ``link`` attributes as its references (context only).
* Network attributes (``domain``, ``hostname``, ``ip-src``/``ip-dst`` and their
  ``|port`` forms, ``domain|ip``, ``url``, ``x509-fingerprint-*``,
  ``ja3-fingerprint-md5``, ``jarm-fingerprint``, ``hassh-md5``, ``email-src``,
  ``whois-registrant-email``, ``AS``) become ``indicator = true`` nodes that the
  event MENTIONS with ``to_ids``, ``valid_from``/``valid_until`` (the attribute's
  first/last seen) and context (category, comment, tags, port).
* Objects: ``domain-ip``, ``ip-port`` and ``dns-record`` pair their names and
  addresses (``RESOLVES_TO``); ``x509`` becomes one Certificate with its SAN names;
  other objects contribute their network attributes; ``resolved-to`` references
  between objects become ``RESOLVES_TO``; a host object referring to an ``x509``
  object gives ``SERVES_CERT``. A ``url`` object's host, domain and ip attributes describe
  the URL's site: their MENTIONS get ``to_ids = false`` (context; the URL is the indicator).
* ATT&CK technique galaxies (``mitre-attack-pattern`` clusters and ``misp-galaxy:mitre-attack-pattern=``
  tags, on the event or an attribute) give the event's Report its ``techniques`` (ATT&CK ids).
* Galaxy clusters (threat actors, malware, tools; on the event, its tags or an
  attribute) become Threat nodes the event is ABOUT and its values are
  ATTRIBUTED_TO.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.indicators import epoch, read_json, typed_indicator, url_host_records
from pymisp import MISPAttribute, MISPEvent, MISPObject
from pymisp.exceptions import PyMISPError

from graphpivot import attack
from graphpivot.canonical import InvalidValue, canonical_host
from graphpivot.model import Edge, Loaded, Node, Progress, Record, Reject, Skipped, entity
from graphpivot.tlp import strictest

# Relations of a MISP 'url' object that describe the URL's site: context, not indicators of their own.
URL_OBJECT_CONTEXT = frozenset({"host", "domain", "domain_without_tld", "subdomain", "ip", "tld"})
# MISP attribute type -> the kinds of its '|'-separated parts (None: a part that is context only)
ATTRIBUTE_KINDS: dict[str, tuple[str | None, ...]] = {
    "domain": ("domain",),
    "hostname": ("domain",),
    "ip-src": ("ip",),
    "ip-dst": ("ip",),
    "ip-src|port": ("ip", None),
    "ip-dst|port": ("ip", None),
    "hostname|port": ("domain", None),
    "domain|ip": ("domain", "ip"),
    "url": ("url",),
    "x509-fingerprint-sha256": ("x509-sha256",),
    "x509-fingerprint-sha1": ("x509-sha1",),
    "x509-fingerprint-md5": ("x509-md5",),
    "ja3-fingerprint-md5": ("ja3",),
    "jarm-fingerprint": ("jarm",),
    "hassh-md5": ("hassh",),
    "hasshserver-md5": ("hassh_server",),
    "email-src": ("email",),
    "whois-registrant-email": ("email",),
    "AS": ("asn",),
}
PAIRING_OBJECTS = ("domain-ip", "ip-port", "dns-record")  # objects whose names resolve to their addresses
RESOLVE_REFS = ("resolved-to", "resolves-to", "resolve-to")
_GALAXY_TAG = re.compile(r'^misp-galaxy:(?P<type>[^=]+)="(?P<value>.+)"$')
_TLP_TAG = re.compile(r"^tlp:(?P<level>[a-z+\-]+)$", re.IGNORECASE)
_X509_FIELDS = {
    "subject": "subject",
    "issuer": "issuer",
    "serial-number": "serial",
    "validity-not-before": "not_before",
    "validity-not-after": "not_after",
}
_KNOWN_TYPES = frozenset(MISPAttribute().known_types)
NodesOut = Generator[Record, None, list[Node]]  # yields records, returns the nodes made


def threat_type(galaxy_type: str) -> str | None:
    """actor / malware / tool for a galaxy type; None for galaxies that are not threats."""
    g = galaxy_type.lower()
    if any(word in g for word in ("threat-actor", "intrusion-set", "activity-group")):
        return "actor"
    if "tool" in g:
        return "tool"
    if any(word in g for word in ("malware", "malpedia", "ransomware", "rat", "backdoor", "botnet", "stealer",
                                  "banker", "exploit-kit")):
        return "malware"
    return None


@dataclass
class _Event:
    path: Path
    source: str
    uuid: str
    report: str  # Report key
    times: dict[str, int]
    threats: list[Node] = field(default_factory=list)
    techniques: set[str] = field(default_factory=set)  # ATT&CK ids its galaxies and tags name (event and attributes)
    values: dict[str, list[Node]] = field(default_factory=dict)  # object/attribute uuid -> nodes

    def reject(self, item: str, reason: str, raw: Any = "") -> Reject:
        return Reject(str(self.path), None, f"event {self.uuid}: {item}: {reason}",
                      raw if isinstance(raw, str) else _raw(raw))

    def skipped(self, what: str, *, whole: bool = True) -> Skipped:
        return Skipped(str(self.path), f"misp {what}", whole=whole)


def read_misp(path: Path, source: str, *, observed_at: int) -> Iterator[Record]:
    """Yield the records of every MISP event in one file."""
    doc, broken = read_json(path, lambda prefix: prefix.endswith(("Attribute.item", "Object.item")))
    if broken is not None:
        yield broken
    if doc is None:
        return
    events = list(_events(doc))
    if not events:
        if isinstance(doc, dict) and doc and all(isinstance(v, dict) and "info" in v for v in doc.values()):
            yield Skipped(str(path), "misp feed manifest (load the event files it lists)")
        else:
            yield Reject(str(path), None, "no MISP event found (expected 'Event', 'response' or a list of events)",
                         units=0)  # no attribute or object was read
        return
    read = loaded = 0
    for n, event in enumerate(events):
        items = _items(event)
        read += items
        for record in _event(path, source, n, event, observed_at):
            if isinstance(record, Loaded):
                loaded += record.count
            else:
                yield record
    yield Loaded(str(path), loaded)
    yield Progress(str(path), read)


def _items(event: Any) -> int:
    """The read units of an event: its attributes and objects (0 when they are not lists)."""
    if not isinstance(event, dict):
        return 0
    attributes, objects = event.get("Attribute") or [], event.get("Object") or []
    if not isinstance(attributes, list) or not isinstance(objects, list):
        return 0
    return len(attributes) + len(objects)


def _events(doc: Any) -> Iterator[Any]:
    if isinstance(doc, dict) and "response" in doc:
        doc = doc["response"]
    if isinstance(doc, dict):
        doc = [doc] if "Event" in doc else []
    for item in doc if isinstance(doc, list) else []:
        yield item.get("Event", item) if isinstance(item, dict) else item


def _event(path: Path, source: str, n: int, raw: Any, observed_at: int) -> Iterator[Record]:
    if not isinstance(raw, dict):
        yield Reject(str(path), None, f"event #{n}: is {type(raw).__name__}, not a JSON object", units=0)
        return
    shell = {k: v for k, v in raw.items() if k not in ("Attribute", "Object")}
    label = raw.get("uuid") or f"#{n}"
    try:
        ev = MISPEvent()
        ev.load(shell)
        if not getattr(ev, "uuid", None) or "uuid" not in raw:
            raise InvalidValue("event without a uuid")
        report_props = _report_props(ev, source, observed_at)
    except Exception as exc:  # any event problem is this event's reject, never the load's crash
        yield Reject(str(path), None, f"event {label}: cannot read the event: {exc}"[:500], _raw(shell),
                     units=_items(raw))
        return
    e = _Event(path, source, str(ev.uuid), f"{source}:{ev.uuid}", {"first_seen": report_props["first_seen"],
                                                                     "last_seen": report_props["last_seen"]})
    yield from _event_threats(e, ev)
    links: list[str] = []
    attributes = raw.get("Attribute") or []
    objects = raw.get("Object") or []
    if not isinstance(attributes, list) or not isinstance(objects, list):
        problem = e.reject("Attribute/Object", "must be lists", "")
        problem.units = 0
        yield problem
        attributes, objects = [], []
    loaded = 0
    for attr in attributes:
        records = _unit(e, "attribute", list(_guarded(e, _attribute(e, attr, links), attr)))
        loaded += records[0]
        yield from records[1]
    parsed = yield from _objects(e, objects, links)
    loaded += sum(1 for item in parsed if item.loaded)
    yield Loaded(str(e.path), loaded)
    for obj in parsed:
        yield from _references(e, obj)
    if links:
        report_props.setdefault("url", links[0])
        report_props["references"] = links
    if e.techniques:
        report_props["techniques"] = sorted(e.techniques)
    yield entity("Report", e.report, **report_props)
    for threat in e.threats:
        yield threat
        yield Edge("ABOUT", "Report", e.report, "Threat", threat.key, dict(e.times))


def _report_props(ev: MISPEvent, source: str, observed_at: int) -> dict[str, Any]:
    created = epoch(ev.date) if getattr(ev, "date", None) else observed_at
    modified = epoch(ev.timestamp) if getattr(ev, "timestamp", None) else created
    props: dict[str, Any] = {"name": ev.info, "source": source, "first_seen": min(created, modified),
                             "last_seen": max(created, modified)}
    published = epoch(ev.publish_timestamp) if getattr(ev, "publish_timestamp", None) else 0
    props["published"] = published if published > 0 else created
    tags = [t.name for t in ev.tags if getattr(t, "name", None)]
    if tags:
        props["tags"] = tags
    strictest_tlp = strictest(m.group("level") for t in tags if (m := _TLP_TAG.match(t)))
    if strictest_tlp:
        props["tlp"] = strictest_tlp  # several tlp: tags: the most restrictive holds
    return props


def _event_threats(e: _Event, ev: MISPEvent) -> Iterator[Record]:
    threats, skipped = _threats(ev.galaxies, [t.name for t in ev.tags])
    e.threats = threats
    e.techniques.update(techniques_of(ev.galaxies, [t.name for t in ev.tags]))
    for what in skipped:
        yield e.skipped(what)


def attack_pattern_galaxy(galaxy_type: str) -> bool:
    """An ATT&CK technique galaxy: ``mitre-attack-pattern`` and the older per-domain ones."""
    g = galaxy_type.lower()
    return g.startswith("mitre-") and g.endswith("attack-pattern") and "atlas" not in g


def techniques_of(galaxies: list[Any], tags: list[str]) -> list[str]:
    """ATT&CK ids of the technique galaxy clusters (meta ``external_id``, else the id in the value,
    ``DNS - T1071.004``) and ``misp-galaxy:mitre-attack-pattern="..."`` tags."""
    found: list[str] = []
    for galaxy in galaxies:
        if not attack_pattern_galaxy(str(getattr(galaxy, "type", ""))):
            continue
        for cluster in getattr(galaxy, "clusters", []):
            meta = getattr(cluster, "meta", None) or {}
            external = meta.get("external_id") if isinstance(meta, dict) else None
            if isinstance(external, list):
                external = external[0] if external else None
            ids = attack.ids_in(str(external)) if external else attack.ids_in(str(getattr(cluster, "value", "")))
            found += ids[:1]
    for tag in tags:
        m = _GALAXY_TAG.match(tag)
        if m and attack_pattern_galaxy(m.group("type")):
            found += attack.ids_in(m.group("value"))[-1:]
    return found


def _threats(galaxies: list[Any], tags: list[str]) -> tuple[list[Node], list[str]]:
    """Threat nodes from galaxy clusters and ``misp-galaxy:`` tags, and what was skipped."""
    found: dict[str, Node] = {}
    skipped: list[str] = []
    for galaxy in galaxies:
        kind = threat_type(str(getattr(galaxy, "type", "")))
        for cluster in getattr(galaxy, "clusters", []):
            if kind is None and attack_pattern_galaxy(str(getattr(galaxy, "type", ""))):
                continue  # read by techniques_of
            if kind is None:
                skipped.append(f"galaxy {getattr(galaxy, 'type', '?')}")
                continue
            node = _cluster_threat(cluster, kind)
            found.setdefault(node.key, node)
    for tag in tags:
        m = _GALAXY_TAG.match(tag)
        if not m:
            continue
        kind = threat_type(m.group("type"))
        if kind is None:
            continue
        node = entity("Threat", m.group("value"), name=m.group("value"), threat_type=kind)
        found.setdefault(node.key, node)
    return list(found.values()), skipped


def _cluster_threat(cluster: Any, kind: str) -> Node:
    meta = getattr(cluster, "meta", None) or {}
    synonyms = meta.get("synonyms", []) if isinstance(meta, dict) else []
    props: dict[str, Any] = {"name": cluster.value, "threat_type": kind}
    if synonyms:
        props["aliases"] = [s for s in synonyms if isinstance(s, str)]
    if isinstance(getattr(cluster, "description", None), str):
        props["description"] = cluster.description
    return entity("Threat", cluster.value, **props)


def _raw(value: Any) -> str:
    """A rejected item as its JSON text (whole, so it can be fixed and replayed)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)[:10_000]


def _guarded(e: _Event, records: Iterator[Record], raw: Any) -> Iterator[Record]:
    """``records``, ending in a reject when producing them raises (any exception: the item, not the load)."""
    try:
        yield from records
    except Exception as exc:
        uuid = raw.get("uuid", "?") if isinstance(raw, dict) else "?"
        yield e.reject(f"item {uuid}", f"cannot read: {exc}"[:500], raw)


def _unit(e: _Event, what: str, records: list[Record]) -> tuple[int, list[Record]]:
    """Account one attribute or object: 1 when it loads.

    An item that yields nodes loads, and its rejects (one bad attribute of an
    object) count as rejects of parts (``units=0``); an item with rejects and no
    nodes is rejected, one with only skips skipped (the first counts it).
    """
    rejects = [r for r in records if isinstance(r, Reject)]
    skips = [r for r in records if isinstance(r, Skipped)]
    produced = any(isinstance(r, Node) for r in records)
    counted: Reject | Skipped | None = None
    if not produced:
        counted = rejects[0] if rejects else (skips[0] if skips else None)
    for reject in rejects:
        reject.units = 1 if reject is counted else 0
    for skip in skips:
        skip.whole = skip is counted
    return (1 if counted is None else 0), records


# ---------------------------------------------------------------- attributes


def _load_attribute(e: _Event, raw: Any, where: str) -> MISPAttribute | Reject | Skipped | None:
    if not isinstance(raw, dict):
        return e.reject(where, f"attribute is {type(raw).__name__}, not a JSON object", raw)
    item = f"attribute {raw.get('uuid', where)}"
    if raw.get("type") not in _KNOWN_TYPES:
        if isinstance(raw.get("type"), str):
            return e.skipped(f"attribute type {raw['type']} (unknown to PyMISP)")
        return e.reject(item, "attribute without a type", raw)
    try:
        attr = MISPAttribute()
        attr.from_dict(**dict(raw))
    except (PyMISPError, TypeError, ValueError, KeyError) as exc:
        return e.reject(item, str(exc), raw)
    if getattr(attr, "deleted", False):
        return e.skipped("deleted attributes")
    return attr


def _attribute(e: _Event, raw: Any, links: list[str]) -> Iterator[Record]:
    attr = _load_attribute(e, raw, "attribute")
    if attr is None:
        return
    if isinstance(attr, Reject | Skipped):
        yield attr
        return
    if attr.type == "link":
        links.append(str(attr.value))
        return
    nodes = yield from _attribute_nodes(e, attr)
    e.values[str(attr.uuid)] = nodes


def _attribute_nodes(
    e: _Event, attr: MISPAttribute, valid: dict[str, int] | None = None, context: tuple[str, ...] = ()
) -> NodesOut:
    """The nodes of one attribute, with their MENTIONS/ATTRIBUTED_TO edges; returns the nodes.

    ``valid`` (an object's first/last seen) and ``context`` (an object's ports) add to
    what the attribute itself says.
    """
    kinds = ATTRIBUTE_KINDS.get(attr.type)
    if kinds is None:
        yield e.skipped(f"attribute type {attr.type}")
        return []
    parts = str(attr.value).split("|") if len(kinds) > 1 else [str(attr.value)]
    if len(parts) != len(kinds):
        yield e.reject(f"attribute {attr.uuid}", f"{attr.type} value {attr.value!r} does not have {len(kinds)} parts")
        return []
    notes = [*_context(attr), *context]
    nodes: list[Node] = []
    try:
        for kind, part in zip(kinds, parts, strict=True):
            if kind is None:
                notes.append(f"port: {part}")
                continue
            made = typed_indicator(kind, part, indicator=True)
            notes.extend(made.context)
            nodes.append(made.node)
    except InvalidValue as exc:
        yield e.reject(f"attribute {attr.uuid}", f"{attr.type} {attr.value!r}: {exc}")
        return []
    yield from _mention(e, attr, nodes, notes, valid or {})
    if attr.type == "domain|ip":
        yield Edge("RESOLVES_TO", "Domain", nodes[0].key, "IP", nodes[1].key, _seen(e, attr))
    return nodes


def _context(attr: MISPAttribute) -> list[str]:
    context = [f"misp:{attr.uuid}"]
    if getattr(attr, "category", None):
        context.append(f"category: {attr.category}")
    if getattr(attr, "comment", None):
        context.append(f"comment: {attr.comment}")
    context.extend(f"tag: {t.name}" for t in getattr(attr, "tags", []) if getattr(t, "name", None))
    return context


def _seen(e: _Event, attr: MISPAttribute) -> dict[str, int]:
    stamp = epoch(attr.timestamp) if getattr(attr, "timestamp", None) else e.times["last_seen"]
    return {"first_seen": min(e.times["first_seen"], stamp), "last_seen": stamp}


def _mention(
    e: _Event, attr: MISPAttribute, nodes: list[Node], context: list[str], valid: dict[str, int]
) -> Iterator[Record]:
    props: dict[str, Any] = {**_seen(e, attr), **valid, "to_ids": bool(attr.to_ids), "context": context}
    for misp_name, prop in (("first_seen", "valid_from"), ("last_seen", "valid_until")):
        if getattr(attr, misp_name, None):
            props[prop] = epoch(getattr(attr, misp_name))
    threats, skipped = _threats(getattr(attr, "galaxies", []), [t.name for t in getattr(attr, "tags", [])])
    e.techniques.update(techniques_of(getattr(attr, "galaxies", []), [t.name for t in getattr(attr, "tags", [])]))
    for what in skipped:
        yield e.skipped(what)
    for threat in threats:
        yield threat
        yield Edge("ABOUT", "Report", e.report, "Threat", threat.key, dict(e.times))
    for node in nodes:
        yield node
        yield Edge("MENTIONS", "Report", e.report, node.label, node.key, dict(props))
        yield from url_host_records(node, _seen(e, attr))
        for threat in [*e.threats, *threats]:
            yield Edge("ATTRIBUTED_TO", node.label, node.key, "Threat", threat.key, _seen(e, attr))


# ---------------------------------------------------------------- objects


@dataclass
class _Object:
    obj: MISPObject
    nodes: list[Node]
    loaded: bool = False


def _objects(e: _Event, objects: list[Any], links: list[str]) -> Generator[Record, None, list[_Object]]:
    """Records of every object; returns the parsed objects (for their references), ``loaded`` set on each."""
    parsed: list[_Object] = []
    for raw in objects:
        found: list[_Object] = []
        loaded, records = _unit(e, "object", list(_guarded(e, _one_object(e, raw, links, found), raw)))
        yield from records
        if found and loaded:
            found[0].loaded = True
            parsed.append(found[0])
        elif found:  # rejected: nothing of it loads or is referenced
            e.values.pop(str(found[0].obj.uuid), None)
    return parsed


def _one_object(e: _Event, raw: Any, links: list[str], found: list[_Object]) -> Iterator[Record]:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        yield e.reject("object", "object is not a JSON object with a name", raw)
        return
    try:
        obj = MISPObject(raw["name"])
        obj.from_dict(**dict(raw))
    except (PyMISPError, TypeError, ValueError, KeyError) as exc:
        yield e.reject(f"object {raw.get('uuid', '?')}", str(exc), raw)
        return
    if getattr(obj, "deleted", False):
        yield e.skipped("deleted objects")
        return
    nodes = yield from _object(e, obj, links)
    e.values[str(obj.uuid)] = nodes
    found.append(_Object(obj, nodes))


def _object(e: _Event, obj: MISPObject, links: list[str]) -> NodesOut:
    valid: dict[str, int] = {}
    if getattr(obj, "first_seen", None):
        valid["valid_from"] = epoch(obj.first_seen)
    if getattr(obj, "last_seen", None):
        valid["valid_until"] = epoch(obj.last_seen)
    attrs = [a for a in obj.attributes if not getattr(a, "deleted", False)]
    if obj.name == "x509":
        return (yield from _x509(e, obj, attrs, valid))
    context = (f"misp object {obj.name} {obj.uuid}", *(f"port: {a.value}" for a in attrs if a.type == "port"))
    nodes: list[Node] = []
    for attr in attrs:
        if obj.name == "url" and attr.object_relation in URL_OBJECT_CONTEXT:
            attr.to_ids = False  # the site of a URL describes where it lives; the URL is the indicator
        if attr.type == "link":
            links.append(str(attr.value))
        elif attr.type in ATTRIBUTE_KINDS and attr.object_relation not in ("dns_names",):
            nodes.extend((yield from _attribute_nodes(e, attr, valid, context)))
    if not nodes:
        yield e.skipped(f"object {obj.name}")
    if obj.name in PAIRING_OBJECTS:
        yield from _resolutions(e, nodes, nodes, e.times)
    return nodes


def _resolutions(e: _Event, names: list[Node], addresses: list[Node], seen: dict[str, int]) -> Iterator[Record]:
    for name in (n for n in names if n.label == "Domain"):
        for address in (n for n in addresses if n.label == "IP"):
            yield Edge("RESOLVES_TO", "Domain", name.key, "IP", address.key, dict(seen))


def _x509(e: _Event, obj: MISPObject, attrs: list[Any], valid: dict[str, int]) -> NodesOut:
    """One Certificate from an x509 object (SHA-256 key, else SHA-1, else MD5) with its SAN names."""
    by_type: dict[str, str] = {}
    props: dict[str, Any] = {"indicator": True}
    sans: list[str] = []
    for attr in attrs:
        if attr.type.startswith("x509-fingerprint-"):
            by_type.setdefault(attr.type.removeprefix("x509-fingerprint-"), str(attr.value))
        elif attr.object_relation in _X509_FIELDS:
            prop = _X509_FIELDS[attr.object_relation]
            props[prop] = epoch(attr.value) if prop.startswith("not_") else str(attr.value)
        elif attr.object_relation in ("dns_names", "san", "subject-alternative-name") or attr.type in ("hostname",):
            sans.append(str(attr.value))
    algorithm = next((a for a in ("sha256", "sha1", "md5") if a in by_type), None)
    if algorithm is None:
        yield e.skipped("object x509 without a fingerprint")
        return []
    first = next(a for a in attrs if a.type == f"x509-fingerprint-{algorithm}")
    for other in ("sha1", "md5"):
        if other != algorithm and other in by_type:
            props[other] = by_type[other]
    try:
        cert = entity("Certificate", by_type[algorithm], key_type=algorithm, **props)
    except InvalidValue as exc:
        yield e.reject(f"object {obj.uuid}", f"x509 fingerprint: {exc}")
        return []
    yield from _mention(e, first, [cert], [*_context(first), f"misp object x509 {obj.uuid}"], valid)
    for name in sans:
        try:
            label, key = canonical_host(name)
        except InvalidValue as exc:
            yield e.reject(f"object {obj.uuid}", f"SAN {name!r}: {exc}")
            continue
        yield Edge("SAN", "Certificate", cert.key, label, key, dict(e.times))
    return [cert]


def _references(e: _Event, item: _Object) -> Iterator[Record]:
    for ref in getattr(item.obj, "references", []):
        target = e.values.get(str(getattr(ref, "referenced_uuid", "")))
        rel = str(getattr(ref, "relationship_type", "")).lower()
        if not item.nodes or not target:
            yield e.skipped(f"object reference {rel} ({item.obj.name})", whole=False)  # a part, not a unit
            continue
        made = False
        if rel in RESOLVE_REFS:
            edges = list(_resolutions(e, item.nodes, target, e.times))
            made = bool(edges)
            yield from edges
        for host, cert in ((item.nodes, target), (target, item.nodes)):
            for c in (n for n in cert if n.label == "Certificate"):
                for h in (n for n in host if n.label in ("Domain", "IP")):
                    made = True
                    yield Edge("SERVES_CERT", h.label, h.key, "Certificate", c.key, dict(e.times))
        if not made:
            yield e.skipped(f"object reference {rel} ({item.obj.name})", whole=False)  # a part, not a unit
