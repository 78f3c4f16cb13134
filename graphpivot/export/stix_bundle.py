"""STIX 2.1 bundles of findings and pivots, built with the ``stix2`` library.

What a bundle holds:

* an ``identity`` for graphpivot (``created_by_ref`` of everything) and one per sensor (the
  telemetry source a finding rests on), the ``where_sighted_refs`` of the sightings;
* per value (domain, IP, URL, certificate) its observable (``domain-name``, ``ipv4-addr``,
  ``ipv6-addr``, ``url``, ``x509-certificate``) and an ``indicator`` with a STIX pattern,
  ``valid_from``/``valid_until`` from the intel, ``confidence`` from the grade (0..100) and
  ``indicator_types`` ``malicious-activity`` (medium or stronger) or ``anomalous-activity``;
* per threat an ``infrastructure`` that ``consists-of`` its domains and URLs and
  ``communicates-with`` its IPs; its indicators ``indicates`` it; infrastructure a pivot
  reached is ``related-to`` it, the relationship naming the attribute crossed and its degree;
* ``resolves-to`` between the observables where the evidence path or the pivot shows it;
* a ``sighting`` per exposed internal host and value: ``first_seen``/``last_seen``, ``count``,
  ``where_sighted_refs`` the sensors, the host and the telemetry edge in ``x_graphpivot_host``
  and ``x_graphpivot_edge`` (a CONNECTED_TO sighting also carries ``observed-data`` with the
  ``network-traffic`` to the address).

Client fingerprints (JA3/JA4) have no STIX 2.1 object; they are counted as skipped (the MISP
export carries them). Ids are UUIDv5 over the content (observables use the spec's own
deterministic ids) and every timestamp comes from the findings, so two exports of the same
findings are byte-identical.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stix2

from graphpivot.export.result_graph import guess_ref, path_refs
from graphpivot.export.selection import PivotRows
from graphpivot.hunt.vocabulary import Strength

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/graphpivot/graphpivot/stix-export")
TELEMETRY_EDGES = ("QUERIED", "CONNECTED_TO", "REQUESTED", "USED_CLIENT")
MAX_COUNT = 999_999_999
# Columns of pivot rows: which holds the reached value, which the attribute crossed, which its degree.
PIVOT_VIA = {
    "via_ip": ("IP", "ip_degree"),
    "via_ns": ("Domain", "ns_degree"),
    "via_cert": ("Certificate", "cert_degree"),
    "via_email": ("Email", "email_degree"),
    "via_fingerprint": ("Fingerprint", "fp_degree"),
    "via_netblock": ("Netblock", "netblock_degree"),
    "zone": ("Domain", "zone_degree"),
}
ATTRIBUTE_WORDS = {"IP": "IP", "Domain": "name server or zone", "Certificate": "certificate", "Email": "e-mail",
                   "Fingerprint": "server fingerprint", "Netblock": "netblock", "ASN": "ASN"}
Ref = tuple[str, str]


def stix_id(kind: str, *parts: Any) -> str:
    """A deterministic STIX id: UUIDv5 over the object type and what identifies the content."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, json.dumps([kind, *parts], sort_keys=True, default=str))}"


def timestamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def pattern(ref: Ref) -> str | None:
    """The STIX pattern matching one value, or None where STIX has no object for it."""
    label, key = ref
    literal = key.replace("\\", "\\\\").replace("'", "\\'")
    if label == "Domain":
        return f"[domain-name:value = '{literal}']"
    if label == "IP":
        return f"[{'ipv6-addr' if ':' in key else 'ipv4-addr'}:value = '{literal}']"
    if label == "URL":
        return f"[url:value = '{literal}']"
    if label == "Certificate" and len(key) == 64:
        return f"[x509-certificate:hashes.'SHA-256' = '{literal}']"
    if label == "Email":
        return f"[email-addr:value = '{literal}']"
    return None


def observable(ref: Ref) -> Any:
    """The cyber observable of a value (deterministic id from the spec's id-contributing properties)."""
    label, key = ref
    if label == "Domain":
        return stix2.DomainName(value=key)
    if label == "IP":
        return stix2.IPv6Address(value=key) if ":" in key else stix2.IPv4Address(value=key)
    if label == "URL":
        return stix2.URL(value=key)
    if label == "Certificate" and len(key) == 64:
        return stix2.X509Certificate(hashes={"SHA-256": key})
    if label == "Email":
        return stix2.EmailAddress(value=key)
    return None


@dataclass
class _Value:
    ref: Ref
    confidence: int | None = None
    rank: int = 0
    valid_from: int | None = None
    valid_until: int | None = None
    threats: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    indicator: bool = True


@dataclass
class _Sighting:
    host: str
    ref: Ref
    edge: str
    first_seen: int
    last_seen: int
    count: int
    sensors: list[str]
    confidence: int
    description: str


@dataclass
class _Link:
    """A pivot step: ``reached`` shares ``via`` (of ``degree``) with ``seed``."""

    reached: Ref
    seed: Ref
    via: list[Ref]
    degree: int
    query_id: str


class Builder:
    """Findings or pivot rows folded into values, resolutions, pivot links and sightings (STIX and MISP share it)."""

    def __init__(self, accept: Callable[[Ref], bool] | None = None) -> None:
        self.accept = accept or (lambda ref: pattern(ref) is not None)
        self.values: dict[Ref, _Value] = {}
        self.resolutions: set[tuple[Ref, Ref]] = set()
        self.sightings: dict[tuple[str, Ref, str], _Sighting] = {}
        self.links: dict[tuple[Ref, Ref, str], _Link] = {}
        self.times: list[int] = []
        self.skipped: dict[str, int] = {}

    def value(self, ref: Ref, *, indicator: bool = True) -> _Value | None:
        if not self.accept(ref):
            self.skipped[ref[0]] = self.skipped.get(ref[0], 0) + 1
            return None
        item = self.values.setdefault(ref, _Value(ref, indicator=indicator))
        item.indicator = item.indicator or indicator
        return item

    def moment(self, *values: Any) -> None:
        self.times.extend(v for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0)

    # ---------------------------------------------------------------- findings
    def finding(self, f: dict[str, Any]) -> None:
        rank = _rank(f)
        confidence = _confidence(f.get("confidence"))
        threats = {str(t) for t in f.get("threats") or []}
        self.moment(f.get("first_seen"), f.get("last_seen"), f.get("valid_from"), f.get("valid_until"))
        intel = self.value((str(f["indicator_kind"]), str(f["indicator"])))
        if intel is not None:
            _raise(intel, confidence, rank)
            intel.threats |= threats
            intel.valid_from = _earliest(intel.valid_from, f.get("valid_from"))
            intel.valid_until = _latest(intel.valid_until, f.get("valid_until"))
        path = [str(t) for t in f.get("path") or []]
        self._path_resolutions(path)
        touched = path_refs(path[2:3])
        edge = path[1].strip("-<>") if len(path) > 1 else ""
        if not touched or edge not in TELEMETRY_EDGES:
            return
        reached = self.value(touched[0])
        if reached is None:
            return
        if reached is not intel:
            _raise(reached, confidence, rank)
            reached.threats |= threats
            reached.valid_from = _earliest(reached.valid_from, f.get("first_seen"))
            reached.notes.add(f"{f.get('evidence', 'evidence')} for indicator {f['indicator']}")
        pivot = f.get("pivot")
        if isinstance(pivot, dict) and touched[0] != (f["indicator_kind"], f["indicator"]):
            via = [r for r in (_kind_ref(k, v) for k, v in zip(pivot.get("via_kinds") or [], pivot.get("via") or [],
                                                               strict=False)) if r]
            seed = (str(f["indicator_kind"]), str(pivot.get("seed") or f["indicator"]))
            self.link(touched[0], seed, via, int(pivot.get("max_degree") or 0), "expand",
                      single=int(pivot.get("stage") or 1) == 1 and len(via) == 1)
        key = (str(f["host"]), touched[0], edge)
        first, last = int(f.get("first_seen") or 0), int(f.get("last_seen") or 0)
        sensors = sorted({str(s) for s in f.get("telemetry") or []}) or ["graphpivot telemetry"]
        known = self.sightings.get(key)
        description = (f"internal host {f['host']} {edge} {touched[0][1]}: {f.get('evidence', '')} evidence "
                       f"({f.get('strength', '')}) for indicator {f['indicator']}")
        if known is None or (confidence, rank) > (known.confidence, 0):
            self.sightings[key] = _Sighting(str(f["host"]), touched[0], edge, first, max(first, last),
                                            min(int(f.get("count") or 1), MAX_COUNT), sensors, confidence or 0,
                                            description)

    def _path_resolutions(self, path: list[str]) -> None:
        for n in range(1, len(path) - 1):
            if path[n] not in ("-RESOLVES_TO->", "<-RESOLVES_TO-"):
                continue
            left, right = path_refs(path[n - 1:n]), path_refs(path[n + 1:n + 2])
            if left and right:
                domain, address = (left[0], right[0]) if path[n].startswith("-") else (right[0], left[0])
                self.resolution(domain, address)

    def resolution(self, domain: Ref, address: Ref) -> None:
        if domain[0] == "Domain" and address[0] == "IP":
            self.value(domain, indicator=domain in self.values and self.values[domain].indicator)
            self.value(address, indicator=address in self.values and self.values[address].indicator)
            self.resolutions.add((domain, address))

    def link(self, reached: Ref, seed: Ref, via: list[Ref], degree: int, query_id: str, *, single: bool) -> None:
        self.links.setdefault((reached, seed, query_id), _Link(reached, seed, via, degree, query_id))
        if single and via and via[0][0] == "IP":
            for end in (reached, seed):
                self.resolution(end, via[0])

    # ---------------------------------------------------------------- pivots
    def pivot(self, rows: PivotRows) -> None:
        seeds = _seed_refs(rows.params)
        for seed_ref in seeds:
            self.value(seed_ref)
        self.moment(*(r.get(k) for r in rows.rows for k in ("first_seen", "last_seen")))
        for row in rows.rows:
            reached = _reached(row)
            if reached is None:
                continue
            seed = _row_seed(row, seeds)
            if seed is None:
                continue
            item = self.value(reached, indicator=bool(row.get("indicator")))
            if item is None:
                continue
            via, degree = _row_via(row)
            self.link(reached, seed, via, degree, rows.query_id, single=len(via) == 1)


def _rank(f: dict[str, Any]) -> int:
    try:
        return int(Strength.parse(str(f.get("strength"))))
    except ValueError:
        return int(f.get("strength_rank") or 0)


def _confidence(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0, min(100, round(float(value) * 100 if value <= 1 else float(value))))
    return None


def _raise(item: _Value, confidence: int | None, rank: int) -> None:
    if confidence is not None:
        item.confidence = max(item.confidence or 0, confidence)
    item.rank = max(item.rank, rank)


def _earliest(a: int | None, b: Any) -> int | None:
    values = [v for v in (a, b) if isinstance(v, int) and not isinstance(v, bool)]
    return min(values) if values else None


def _latest(a: int | None, b: Any) -> int | None:
    values = [v for v in (a, b) if isinstance(v, int) and not isinstance(v, bool)]
    return max(values) if values else None


def _kind_ref(kind: Any, key: Any) -> Ref | None:
    return (str(kind), str(key)) if isinstance(kind, str) and isinstance(key, str) else None


def _seed_refs(params: dict[str, Any]) -> list[Ref]:
    found: list[Ref] = []
    for name in ("seed", "seeds", "from"):
        value = params.get(name)
        for item in value if isinstance(value, list) else [value] if value is not None else []:
            ref = guess_ref(str(item))
            if ref:
                found.append(ref)
    return found


def _reached(row: dict[str, Any]) -> Ref | None:
    if isinstance(row.get("host_kind"), str) and isinstance(row.get("host"), str):
        return row["host_kind"], row["host"]
    if isinstance(row.get("kind"), str) and isinstance(row.get("key"), str):
        return row["kind"], row["key"]
    if isinstance(row.get("domain"), str):
        return "Domain", row["domain"]
    return None


def _row_seed(row: dict[str, Any], seeds: list[Ref]) -> Ref | None:
    if isinstance(row.get("seed"), str):
        return guess_ref(row["seed"])
    if isinstance(row.get("seed_ip"), str):
        return "IP", row["seed_ip"]
    return seeds[0] if seeds else None


def _row_via(row: dict[str, Any]) -> tuple[list[Ref], int]:
    if isinstance(row.get("via"), list):
        via = [r for r in (_kind_ref(k, v) for k, v in zip(row.get("via_kinds") or [], row["via"], strict=False))
               if r]
        return via, int(row.get("max_degree") or 0)
    for column, (label, degree_col) in PIVOT_VIA.items():
        if isinstance(row.get(column), str):
            return [(label, row[column])], int(row.get(degree_col) or 0)
    return [], 0


# ---------------------------------------------------------------- the bundle


def _indicator_types(item: _Value) -> list[str]:
    return ["malicious-activity"] if item.rank >= int(Strength.MEDIUM) or not item.rank else ["anomalous-activity"]


def _build(b: Builder, label: str) -> dict[str, Any]:
    as_of = max(b.times) if b.times else 0
    stamp = timestamp(as_of)
    common = {"created": stamp, "modified": stamp}
    me = stix2.Identity(id=stix_id("identity", "graphpivot"), name="graphpivot", identity_class="system",
                        description="graphpivot: threat-intel pivoting and exposure hunting", **common)
    owned = {**common, "created_by_ref": me.id}
    objects: list[Any] = [me]
    observables: dict[Ref, Any] = {}
    for ref in sorted(b.values):
        obs = observable(ref)
        observables[ref] = obs
        objects.append(obs)
    indicators = _indicators(b, as_of, owned)
    objects.extend(indicators.values())
    relationships: list[Any] = []
    seen: set[str] = set()

    def relate(rel: str, src: str, dst: str, description: str | None = None, **custom: Any) -> None:
        rid = stix_id("relationship", rel, src, dst)
        if rid in seen:
            return
        seen.add(rid)
        extra = {"description": description} if description else {}
        relationships.append(stix2.Relationship(
            id=rid, relationship_type=rel, source_ref=src, target_ref=dst,
            allow_custom=bool(custom), **owned, **extra, **custom))

    threats = sorted({t for item in b.values.values() for t in item.threats})
    infrastructure: dict[str, Any] = {}
    for threat in threats:
        infrastructure[threat] = stix2.Infrastructure(
            id=stix_id("infrastructure", threat), name=f"{threat} infrastructure", infrastructure_types=["unknown"],
            description=f"Infrastructure of {threat} that graphpivot found exposed or reached", **owned)
        objects.append(infrastructure[threat])
    for ref in sorted(b.values):
        item = b.values[ref]
        for threat in sorted(item.threats):
            infra = infrastructure[threat].id
            relate("communicates-with" if ref[0] == "IP" else "consists-of", infra, observables[ref].id)
            if ref in indicators:
                relate("indicates", indicators[ref].id, infra)
    pivots: dict[Ref, Any] = {}
    for (reached, seed, query_id), link in sorted(b.links.items()):
        if reached not in observables or seed not in observables:
            continue
        target = _pivot_target(seed, b, infrastructure, pivots, objects, observables, owned)
        via = ", ".join(f"{ATTRIBUTE_WORDS.get(k, k)} {v}" for k, v in link.via) or "an attribute"
        relate("related-to", observables[reached].id, target,
               f"pivot {query_id}: {reached[1]} shares {via} (degree {link.degree}) with {seed[1]}",
               x_graphpivot_via=[f"{k}:{v}" for k, v in link.via], x_graphpivot_degree=link.degree,
               x_graphpivot_pivot=query_id)
    for domain, address in sorted(b.resolutions):
        relate("resolves-to", observables[domain].id, observables[address].id)
    objects.extend(relationships)
    objects.extend(_sightings(b, indicators, observables, common, owned))
    bundle = stix2.Bundle(id=stix_id("bundle", label, [o.id for o in objects]), objects=objects, allow_custom=True)
    data: dict[str, Any] = json.loads(bundle.serialize())
    if b.skipped:
        data["x_graphpivot_skipped"] = dict(sorted(b.skipped.items()))
    return data


def _indicators(b: Builder, as_of: int, owned: dict[str, Any]) -> dict[Ref, Any]:
    """An indicator per value intel or the hunt calls one: its pattern, window, confidence and grade."""
    indicators: dict[Ref, Any] = {}
    for ref in sorted(b.values):
        item = b.values[ref]
        if not item.indicator:
            continue
        valid_from = item.valid_from if item.valid_from is not None else as_of
        extra: dict[str, Any] = {}
        if item.valid_until is not None and item.valid_until > valid_from:
            extra["valid_until"] = timestamp(item.valid_until)
        if item.confidence is not None:
            extra["confidence"] = item.confidence
        about = f"threats: {', '.join(sorted(item.threats))}" if item.threats else "no threat named"
        extra["description"] = "; ".join([f"graphpivot {ref[0]} {ref[1]} ({about})", *sorted(item.notes)])
        if item.rank:
            extra["x_graphpivot_strength"] = Strength(item.rank).label
        indicators[ref] = stix2.Indicator(
            id=stix_id("indicator", ref[0], ref[1]), name=ref[1], pattern=pattern(ref), pattern_type="stix",
            valid_from=timestamp(valid_from), indicator_types=_indicator_types(item), allow_custom=True,
            **owned, **extra,
        )
    return indicators


def _sightings(
    b: Builder, indicators: dict[Ref, Any], observables: dict[Ref, Any], common: dict[str, Any],
    owned: dict[str, Any],
) -> list[Any]:
    """Sensor identities, the sightings of exposed hosts and, for connections, their observed traffic."""
    objects: list[Any] = []
    sensors: dict[str, Any] = {}
    for key in sorted(b.sightings):
        s = b.sightings[key]
        if s.ref not in indicators:
            continue
        for name in s.sensors:
            if name not in sensors:
                sensors[name] = stix2.Identity(id=stix_id("identity", "sensor", name), name=name,
                                               identity_class="system", description="telemetry sensor", **common)
                objects.append(sensors[name])
        extra = {}
        if s.edge == "CONNECTED_TO" and s.ref[0] == "IP":
            traffic = stix2.NetworkTraffic(dst_ref=observables[s.ref].id, protocols=["tcp"])
            observed = stix2.ObservedData(
                id=stix_id("observed-data", s.host, s.ref[1]), first_observed=timestamp(s.first_seen),
                last_observed=timestamp(s.last_seen), number_observed=max(1, s.count), object_refs=[traffic.id],
                **owned)
            objects.extend([traffic, observed])
            extra["observed_data_refs"] = [observed.id]
        objects.append(stix2.Sighting(
            id=stix_id("sighting", s.host, s.ref[0], s.ref[1], s.edge), sighting_of_ref=indicators[s.ref].id,
            where_sighted_refs=[sensors[n].id for n in s.sensors], first_seen=timestamp(s.first_seen),
            last_seen=timestamp(s.last_seen), count=s.count, confidence=s.confidence, description=s.description,
            x_graphpivot_host=s.host, x_graphpivot_edge=s.edge, allow_custom=True, **owned, **extra))
    return objects


def _pivot_target(
    seed: Ref, b: Builder, infrastructure: dict[str, Any], pivots: dict[Ref, Any], objects: list[Any],
    observables: dict[Ref, Any], owned: dict[str, Any],
) -> str:
    """What reached infrastructure is related to: the seed's threat's infrastructure, else one for the seed."""
    item = b.values.get(seed)
    if item is not None and item.threats:
        return str(infrastructure[sorted(item.threats)[0]].id)
    if seed not in pivots:
        pivots[seed] = stix2.Infrastructure(
            id=stix_id("infrastructure", "pivot", seed[0], seed[1]), name=f"infrastructure around {seed[1]}",
            infrastructure_types=["unknown"], description=f"What graphpivot's pivots reached from {seed[1]}", **owned)
        objects.append(pivots[seed])
        objects.append(stix2.Relationship(
            id=stix_id("relationship", "consists-of", pivots[seed].id, observables[seed].id),
            relationship_type="consists-of", source_ref=pivots[seed].id, target_ref=observables[seed].id, **owned))
    return str(pivots[seed].id)


def bundle_from_findings(findings: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A bundle of exposure findings (their plain form: ``Finding.as_dict()`` or exposure JSON)."""
    b = Builder()
    items = list(findings)
    for f in items:
        b.finding(f)
    return _build(b, "findings")


def bundle_from_pivot(rows: PivotRows) -> dict[str, Any]:
    """A bundle of a stored pivot's result: the seed's indicator, what it reached and through what."""
    b = Builder()
    b.pivot(rows)
    return _build(b, rows.query_id)


def serialize(bundle: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
