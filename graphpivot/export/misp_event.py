"""A MISP event of findings and pivots, built from PyMISP objects (``MISPEvent``, ``MISPAttribute``,
``MISPObject``, ``MISPSighting``).

* Every value is an attribute: ``domain``, ``ip-dst``, ``url``, ``x509-fingerprint-sha256``,
  ``email-src``, ``ja3-fingerprint-md5``/``jarm-fingerprint`` (category Network activity);
  ``to_ids`` for medium or stronger evidence (or a pivot seed), a comment with the grade,
  ``first_seen``/``last_seen`` from the intel's validity window, tags ``graphpivot:strength``
  and ``graphpivot:threat``.
* A resolution (domain to IP, from an evidence path or a shared-IP pivot) is a ``domain-ip`` object.
* An exposed internal host's use of a value is a sighting on its attribute (type 0, dated its last
  use, ``source`` naming the host, the sensor, the telemetry edge and the count).

Uuids are UUIDv5 over the content and times come from the findings, so the same findings give
the same event. Push it to a MISP instance with PyMISP (docs/export.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymisp import MISPAttribute, MISPEvent, MISPObject, MISPSighting

from graphpivot.export.selection import PivotRows
from graphpivot.export.stix_bundle import NAMESPACE, Builder, Ref
from graphpivot.hunt.vocabulary import Strength

FINGERPRINT_TYPES = {"ja3": "ja3-fingerprint-md5", "jarm": "jarm-fingerprint", "hassh": "hassh-md5"}


def misp_uuid(*parts: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, json.dumps(["misp", *parts], sort_keys=True, default=str)))


def attribute_type(ref: Ref) -> tuple[str, str] | None:
    """(MISP attribute type, value) of a graph value, or None where MISP has no type for it."""
    label, key = ref
    if label == "Domain":
        return "domain", key
    if label == "IP":
        return "ip-dst", key
    if label == "URL":
        return "url", key
    if label == "Email":
        return "email-src", key
    if label == "Certificate" and len(key) == 64:
        return "x509-fingerprint-sha256", key
    if label == "Fingerprint":
        kind, _, value = key.partition(":")
        if kind in FINGERPRINT_TYPES:
            return FINGERPRINT_TYPES[kind], value
    return None


def _accept(ref: Ref) -> bool:
    return attribute_type(ref) is not None


def _event(b: Builder, info: str) -> MISPEvent:
    as_of = max(b.times) if b.times else 0
    event = MISPEvent()
    event.uuid = misp_uuid("event", info, sorted(b.values), sorted(b.sightings))
    event.info = info
    event.distribution = 0
    event.threat_level_id = 2
    event.analysis = 2
    event.published = False
    event.timestamp = as_of
    event.set_date(_date(as_of))
    event.add_tag("graphpivot")
    attributes: dict[Ref, MISPAttribute] = {}
    for ref in sorted(b.values):
        item = b.values[ref]
        kind = attribute_type(ref)
        if kind is None:
            continue
        attributes[ref] = _attribute(ref, item, kind, as_of)
    for key in sorted(b.sightings):
        s = b.sightings[key]
        target = attributes.get(s.ref)
        if target is None:
            continue
        sighting = MISPSighting()
        sighting.from_dict(type="0", date_sighting=s.last_seen, uuid=misp_uuid("sighting", key),
                           source=f"graphpivot host {s.host} {s.edge} x{s.count} via {', '.join(s.sensors)}")
        target.sightings.append(sighting)
    for attr in attributes.values():
        event.add_attribute(**attr.to_dict())
        event.attributes[-1].sightings = attr.sightings
        event.attributes[-1].uuid = attr.uuid
    for domain, address in sorted(b.resolutions):
        obj = MISPObject("domain-ip", standalone=False)
        obj.uuid = misp_uuid("domain-ip", domain, address)
        obj.timestamp = as_of
        obj.comment = "resolution graphpivot saw on the evidence path or pivot"
        for relation, ref in (("domain", domain), ("ip", address)):
            made = obj.add_attribute(relation, value=ref[1], to_ids=False)
            if made is not None:
                made.uuid = misp_uuid("domain-ip", relation, domain, address)
                made.timestamp = as_of
        event.add_object(obj)
    return event


def _attribute(ref: Ref, item: Any, kind: tuple[str, str], as_of: int) -> MISPAttribute:
    """One value's attribute: type, to_ids, the grade as comment and tags, the intel's window."""
    strength = Strength(item.rank).label if item.rank else "pivot seed" if item.indicator else "reached"
    comment = f"graphpivot: {strength}"
    if item.confidence is not None:
        comment += f", confidence {item.confidence}"
    if item.notes:
        comment += "; " + "; ".join(sorted(item.notes))
    attr = MISPAttribute()
    attr.from_dict(type=kind[0], value=kind[1], category="Network activity", uuid=misp_uuid("attribute", ref),
                   to_ids=item.rank >= int(Strength.MEDIUM) or (not item.rank and item.indicator),
                   comment=comment, timestamp=as_of, distribution=5)
    if item.valid_from is not None:
        attr.first_seen = datetime.fromtimestamp(item.valid_from, UTC)
    if item.valid_until is not None and (item.valid_from is None or item.valid_until > item.valid_from):
        attr.last_seen = datetime.fromtimestamp(item.valid_until, UTC)
    if item.rank:
        attr.add_tag(f'graphpivot:strength="{Strength(item.rank).label}"')
    for threat in sorted(item.threats):
        attr.add_tag(f'graphpivot:threat="{threat}"')
    return attr


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def event_from_findings(findings: Iterable[dict[str, Any]]) -> MISPEvent:
    """A MISP event of exposure findings (their plain form)."""
    b = Builder(_accept)
    for f in findings:
        b.finding(f)
    return _event(b, "graphpivot exposure findings")


def event_from_pivot(rows: PivotRows) -> MISPEvent:
    """A MISP event of a stored pivot's result."""
    b = Builder(_accept)
    b.pivot(rows)
    seeds = ", ".join(str(v) for k, v in sorted(rows.params.items()) if k in ("seed", "seeds", "from") and v)
    return _event(b, f"graphpivot pivot {rows.query_id} from {seeds}".strip())


def event_json(event: MISPEvent) -> str:
    """``{"Event": ...}`` as MISP's REST API and feeds carry it; stable key order."""
    data = json.loads(event.to_json())
    return json.dumps({"Event": data.get("Event", data)}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
