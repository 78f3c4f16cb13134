"""Sysmon on the endpoint: Event ID 22 (DNSEvent) and Event ID 3 (NetworkConnect), from EVTX or shipper JSON.

Endpoint DNS with the process that asked: each event names the computer it
happened on (a ``Host``: its asset id when the inventory knows the hostname, or
for a connection the local address; else the computer name) and the process
``Image``, which is kept (lower-cased path) on the edge in ``processes``, a set of
at most :data:`~graphpivot.loaders.telemetry.observations.LIST_CAP` images per
edge and load window, merged by union:

* EID 22: ``(Host)-[:QUERIED {rcodes, processes}]->(Domain)``; a successful
  query's ``QueryResults`` (``type:  5 alias;``, ``::ffff:192.0.2.1;``) give
  passive ``CNAME`` and ``RESOLVES_TO`` edges;
* EID 3: ``(Host)-[:CONNECTED_TO {ports, protocols, directions, processes}]->(IP)``
  to the external side (``Initiated`` says who opened it); connections between
  two internal addresses or to multicast are counted as not modelled.

Time is ``UtcTime`` (Sysmon's UTC); exporters' ``TimeCreated``/``@timestamp`` are
often local time and are not used. Input forms:

* EVTX files (``ElfFile`` magic), read with the ``evtx`` library;
* JSON lines as shippers write them: flat (OTRF/NXLog: ``EventID``, ``Hostname``,
  the EventData fields at top level), Winlogbeat/ECS (``winlog.event_id``,
  ``winlog.computer_name``, ``winlog.event_data``), or the ``Event.System`` /
  ``Event.EventData`` layout of EVTX converted to JSON.

Other events and other channels are read and counted as skipped; a line that is
not JSON or lacks what an event needs is rejected with its reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.edges import Telemetry, event_ids, line_reason
from graphpivot.loaders.telemetry.network import Asset, Network, is_peer_address
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.textio import content_lines, loads_limited

from graphpivot.canonical import canonical_ip
from graphpivot.model import Progress, Record, Reject, Skipped, entity

EVTX_MAGIC = b"ElfFile\x00"
SYSMON_CHANNEL = "microsoft-windows-sysmon/operational"
SYSMON_PROVIDER = "microsoft-windows-sysmon"
EVENTS = (3, 22)
# Windows DNS API status codes (winerror.h DNS_ERROR_* / DNS_INFO_*) as DNS response codes.
QUERY_STATUS = {
    0: "NOERROR",
    9001: "FORMERR",
    9002: "SERVFAIL",
    9003: "NXDOMAIN",
    9004: "NOTIMP",
    9005: "REFUSED",
    9501: "NODATA",
    9701: "NODATA",  # DNS_ERROR_RECORD_DOES_NOT_EXIST
    1460: "TIMEOUT",  # ERROR_TIMEOUT
}


class Event:
    """One Sysmon event, flattened: its id, computer and EventData fields, and where it was read."""

    __slots__ = ("computer", "data", "eid", "record_id", "text", "where")

    def __init__(
        self, eid: int, computer: str | None, data: dict[str, Any], where: int | None, record_id: Any = None
    ) -> None:
        self.eid = eid
        self.computer = computer
        self.data = data
        self.where = where
        self.record_id = record_id  # the event log's EventRecordID, when the export kept it
        self.text = ""  # the line or record as read, kept whole for the rejects report

    def get(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        text = str(value).strip()
        return None if text in ("", "-") else text


def flatten(doc: Any) -> tuple[Event | None, str | None]:
    """``(event, None)`` for a Sysmon event, ``(None, what)`` for something else; raises ``ValueError`` if unusable."""
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object, found {type(doc).__name__}")
    winlog = doc.get("winlog") if isinstance(doc.get("winlog"), dict) else None
    system = (doc.get("Event") or {}).get("System") if isinstance(doc.get("Event"), dict) else None
    if winlog is not None:  # Winlogbeat / Elastic Agent (ECS)
        eid_raw, channel = winlog.get("event_id"), winlog.get("channel")
        provider = winlog.get("provider_name")
        host: dict[str, Any] = doc["host"] if isinstance(doc.get("host"), dict) else {}
        computer = winlog.get("computer_name") or host.get("name") or host.get("hostname")
        data = winlog.get("event_data") or {}
        record_id = winlog.get("record_id")
    elif isinstance(system, dict):  # EVTX as JSON (evtx library, EvtxECmd-style dumps)
        eid_raw = system.get("EventID")
        if isinstance(eid_raw, dict):
            eid_raw = eid_raw.get("#text", eid_raw.get("Value"))
        channel, computer = system.get("Channel"), system.get("Computer")
        provider_obj = system.get("Provider")
        provider = ((provider_obj.get("#attributes") or {}).get("Name") if isinstance(provider_obj, dict) else None)
        data = doc["Event"].get("EventData") or {}
        record_id = system.get("EventRecordID")
    else:  # flat: OTRF's exporter, NXLog, Splunk-style
        eid_raw = doc.get("EventID", doc.get("event_id", doc.get("EventCode")))
        channel = doc.get("Channel")
        provider = doc.get("SourceName") or doc.get("ProviderName")
        computer = doc.get("Hostname") or doc.get("Computer") or doc.get("ComputerName")
        data = doc
        record_id = doc.get("EventRecordID", doc.get("RecordNumber"))
    if not isinstance(data, dict):
        raise ValueError("event data is not a JSON object")
    sysmon = (str(channel).lower() == SYSMON_CHANNEL) if channel else str(provider or "").lower() == SYSMON_PROVIDER
    if not sysmon:
        return None, "events from other channels than Sysmon"
    try:
        eid = int(str(eid_raw))
    except ValueError:
        raise ValueError(f"event id {eid_raw!r} is not a number") from None
    if eid not in EVENTS:
        return None, f"sysmon event {eid}"
    return Event(eid, str(computer) if computer else None, data, None, record_id), None


def utc_time(text: str | None) -> int:
    """Sysmon's ``UtcTime`` (``2020-10-22 05:54:21.349``) as epoch seconds."""
    if not text:
        raise ValueError("event lacks UtcTime")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"UtcTime {text[:40]!r} is not a time") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def query_answers(results: str | None) -> list[str]:
    """``QueryResults`` as the names (CNAME chain) and addresses it lists, in order."""
    answers: list[str] = []
    for part in (results or "").split(";"):
        item = part.strip()
        if not item or item == "-":
            continue
        if item.startswith("type:"):
            fields = item.split()
            if len(fields) >= 3 and fields[1] == "5":  # CNAME
                answers.append(fields[2])
            continue
        try:
            address = ipaddress.ip_address(item)
        except ValueError:
            continue
        mapped = getattr(address, "ipv4_mapped", None)
        answers.append(str(mapped or address))
    return answers


def image(text: str | None) -> str | None:
    """The process image as kept on edges: the path, lower-cased (Windows paths ignore case)."""
    return text.strip().lower() if text else None


def _truthy(text: str | None) -> bool:
    return str(text).strip().lower() in ("true", "1", "yes")


class _Hosts:
    """Computer names (and local addresses) to Host keys, through the asset inventory."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.by_name: dict[str, Asset] = {}
        for asset in network.inventory.assets:
            if asset.asset_id and asset.hostname:
                name = asset.hostname.strip().lower()
                self.by_name.setdefault(name, asset)
                self.by_name.setdefault(name.split(".")[0], asset)

    def key(self, computer: str | None, local_ip: str | None = None) -> tuple[str, dict[str, Any]]:
        name = (computer or "").strip().lower()
        asset = self.by_name.get(name) or self.by_name.get(name.split(".")[0]) if name else None
        if asset is not None and asset.asset_id:
            props = {"hostname": asset.hostname or computer, "owner": asset.owner, "criticality": asset.criticality}
            return asset.asset_id, {k: v for k, v in props.items() if v is not None}
        if local_ip is not None:
            found = self.network.host(local_ip)
            if found is not None and found[0] != canonical_ip(local_ip):  # the inventory names this address
                return found[0], found[1]
        if not name:
            raise ValueError("event names no computer (Hostname / Computer / winlog.computer_name)")
        node = entity("Host", name, hostname=computer)
        return node.key, node.props


def read_sysmon(paths: Iterable[Path], *, network: Network, max_pending: int = 100_000) -> Iterator[Record]:
    """Every record of a set of Sysmon EVTX or JSON-lines files (see the module doc)."""
    obs = Observations(max_pending=max_pending, sensor="endpoint")
    tm = Telemetry(network, obs)
    hosts = _Hosts(network)
    for path in paths:
        name = str(path)
        for item in _events(path):
            if not isinstance(item, Event):
                yield item
                continue
            apply = partial(_event, tm, hosts, item, path.name)
            yield from tm.one_line(name, item.where or 0, item.text, apply, line_reason)
            if obs.full:
                yield from obs.flush()
        yield from tm.file_done(name)
    yield from obs.flush()


def _event(tm: Telemetry, hosts: _Hosts, ev: Event, file: str) -> None:
    """One event's facts into the window (raises on what makes the event unusable)."""
    ts = utc_time(ev.get("UtcTime"))
    record_id = ev.record_id if isinstance(ev.record_id, str | int) else None
    events = event_ids(str(record_id) if record_id is not None else f"{file}:{ev.where or 0}")
    process = image(ev.get("Image"))
    if ev.eid == 22:
        query = ev.get("QueryName")
        if query is None:
            raise ValueError("DNS event lacks QueryName")
        host, props = hosts.key(ev.computer)
        domain = tm.domain(query)
        if domain is None:
            return
        tm.obs.node_once("Host", host, props)
        status_text = ev.get("QueryStatus")
        rcode = None
        if status_text is not None:
            status = int(status_text) if status_text.isdigit() else None
            rcode = QUERY_STATUS.get(status, f"WIN32_{status_text}") if status is not None else None
        tm.obs.edge("QUERIED", "Host", host, "Domain", domain, ts, rcodes=rcode, processes=process, events=events)
        if rcode == "NOERROR":
            tm.answer_chain(domain, "A", query_answers(ev.get("QueryResults")), ts)
        return
    src, dst = ev.get("SourceIp"), ev.get("DestinationIp")
    if src is None or dst is None:
        raise ValueError("network event lacks SourceIp or DestinationIp")
    outbound = _truthy(ev.get("Initiated"))
    local, peer = (src, dst) if outbound else (dst, src)
    peer = canonical_ip(peer)
    if tm.network.is_internal(peer):
        tm.skipped["between two internal addresses"] += 1
        return
    if not is_peer_address(peer):
        tm.skipped["to multicast, broadcast or unspecified addresses"] += 1
        return
    host, props = hosts.key(ev.computer, canonical_ip(local))
    tm.obs.node_once("Host", host, props)
    port_text = ev.get("DestinationPort") if outbound else ev.get("SourcePort")
    port = int(port_text) if port_text and port_text.isdigit() else None
    protocol = ev.get("Protocol")
    tm.obs.edge(
        "CONNECTED_TO", "Host", host, "IP", peer, ts,
        ports=port, protocols=protocol.lower() if protocol else None,
        directions="outbound" if outbound else "inbound", processes=process, events=events,
    )


def _events(path: Path) -> Iterator[Event | Record]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(EVTX_MAGIC))
    except OSError as exc:
        yield Reject(str(path), None, f"cannot read file: {exc.strerror or exc}")
        return
    yield from (_evtx(path) if magic == EVTX_MAGIC else _json_lines(path))


def _json_lines(path: Path) -> Iterator[Event | Record]:
    name = str(path)
    for item in content_lines(path):
        if not isinstance(item, tuple):
            yield item
            continue
        lineno, text = item
        try:
            event, other = flatten(loads_limited(text))
        except Exception as exc:  # any field of the wrong shape rejects this line, never the load
            yield Reject(name, lineno, line_reason(exc), text)
            continue
        if event is None:
            yield Skipped(name, other or "other events")
            continue
        event.where, event.text = lineno, text
        yield event


def _evtx(path: Path) -> Iterator[Event | Record]:
    """Records of an EVTX file through the ``evtx`` library (its JSON form of each record)."""
    from evtx import PyEvtxParser

    name = str(path)
    count = 0
    try:
        parser = PyEvtxParser(name)
        for item in parser.records_json():
            record: dict[str, Any] = item if isinstance(item, dict) else {}
            count += 1
            number = record.get("event_record_id")
            text = str(record.get("data"))
            try:
                event, other = flatten(loads_limited(text))
            except Exception as exc:  # one unusable record, not the file
                yield Reject(name, number, f"record {number}: {line_reason(exc)}", text)
                continue
            if event is None:
                yield Skipped(name, other or "other events")
                continue
            event.where, event.text = number, text
            if event.record_id is None:
                event.record_id = number
            yield event
    except (OSError, RuntimeError) as exc:
        yield Reject(name, None, f"EVTX file unreadable after {count} records: {exc}")
    yield Progress(name, count)
