"""AWS cloud telemetry: Route 53 Resolver query logs (JSON) and VPC Flow Logs (version 2 and custom formats).

Cloud workloads are Hosts like any other. Which Host a record belongs to comes
from the asset inventory (``--assets``): an inventory row whose ``asset_id`` or
``hostname`` is the EC2 instance id (``i-...``) or the network interface id
(``eni-...``) names it, else the row holding the address; with no row, the Host
is the address itself (kept as the key so DNS and flows of one workload meet).

* **Route 53 Resolver query logs**, one JSON object per line as Resolver writes
  them to CloudWatch Logs, S3 or Firehose: ``query_timestamp``, ``query_name``,
  ``query_type``, ``rcode``, ``answers`` (``Rdata``/``Type``/``Class``), ``srcaddr``,
  ``srcids.instance`` → ``(Host)-[:QUERIED {qtypes, rcodes}]->(Domain)`` and the
  answers as passive ``RESOLVES_TO`` / ``CNAME`` edges. The query source is in the
  VPC, so it is a Host whatever its address.
* **VPC Flow Logs**, space-separated records: the default version 2 format
  (``version account-id interface-id srcaddr dstaddr srcport dstport protocol
  packets bytes start end action log-status``), or a custom field list named by a
  header line (as S3 delivery writes one; any order, ``version`` need not come first). Each record is one
  direction of a flow:
  ``(Host)-[:CONNECTED_TO {bytes_out|bytes_in, ports, protocols}]->(IP)`` for the
  internal side and the external peer, from ``start`` to ``end``. ``REJECT``ed
  flows are attempts and load too (a note in the summary counts them); ``NODATA`` and
  ``SKIPDATA`` records carry no flow and are skipped. ``tcp-flags`` (custom
  formats) tell who opened the connection (SYN without ACK). Both ports, the times
  and the byte count must be numbers (or ``-``), else the record is rejected.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.indicators import epoch
from graphpivot.loaders.telemetry.edges import Telemetry, line_reason
from graphpivot.loaders.telemetry.network import Asset, Network
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.textio import content_lines, loads_limited

from graphpivot.canonical import canonical_ip
from graphpivot.model import Note, Record, Skipped

VPC_V2_FIELDS = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log-status",
)
# Every field name of "Flow log records: available fields" (versions 2 to 8): a line made of these is a header.
VPC_FIELDS = frozenset({
    *VPC_V2_FIELDS, "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service",
    "flow-direction", "traffic-path", "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn",
    "ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id", "ecs-service-name",
    "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id", "reject-reason", "resource-id", "encryption-status",
})
PROTOCOLS = {"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "50": "esp", "58": "ipv6-icmp", "132": "sctp"}
_SYN, _ACK = 0x02, 0x10


class CloudHosts:
    """Instance and interface ids, then addresses, to Host keys through the inventory."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.by_id: dict[str, Asset] = {}
        for asset in network.inventory.assets:
            for name in (asset.asset_id, asset.hostname):
                if name and name.strip().lower().startswith(("i-", "eni-")):
                    self.by_id.setdefault(name.strip().lower(), asset)

    def host(self, address: str, *ids: str | None) -> tuple[str, dict[str, Any]]:
        for ident in ids:
            asset = self.by_id.get((ident or "").strip().lower())
            if asset is not None and asset.asset_id:
                return asset.asset_id, asset.host_props(canonical_ip(address))
        found = self.network.host(address, always=True)
        assert found is not None
        return found


def read_route53(paths: Iterable[Path], *, network: Network, max_pending: int = 100_000) -> Iterator[Record]:
    """Every record of a set of Route 53 Resolver query log files (JSON lines)."""
    obs = Observations(max_pending=max_pending, sensor="dns")
    tm = Telemetry(network, obs)
    hosts = CloudHosts(network)
    for path in paths:
        name = str(path)
        for item in content_lines(path):
            if not isinstance(item, tuple):
                yield item
                continue
            lineno, text = item
            yield from tm.one_line(name, lineno, text, partial(_resolver_query, tm, hosts, text), line_reason)
            if obs.full:
                yield from obs.flush()
        yield from tm.file_done(name)
    yield from obs.flush()


def _resolver_query(tm: Telemetry, hosts: CloudHosts, text: str) -> None:
    """One Resolver query log line's facts into the window."""
    rec = loads_limited(text)
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, found {type(rec).__name__}")
    missing = [f for f in ("query_timestamp", "query_name", "srcaddr") if not rec.get(f)]
    if missing:
        raise ValueError(f"Resolver query log record lacks {', '.join(missing)}")
    ts = epoch(rec["query_timestamp"])
    srcids: dict[str, Any] = rec["srcids"] if isinstance(rec.get("srcids"), dict) else {}
    answers = rec.get("answers") or []
    if not isinstance(answers, list):
        raise ValueError("answers is not a list")
    host, props = hosts.host(str(rec["srcaddr"]), srcids.get("instance"))
    domain = tm.domain(str(rec["query_name"]))
    if domain is None:  # a reverse or single-label name: the line is skipped, its host not noted
        return
    tm.obs.node_once("Host", host, props)
    qtype = str(rec.get("query_type") or "") or None
    rcode = str(rec.get("rcode") or "") or None
    tm.queried(host, domain, ts, qtype, rcode)
    typed = [a for a in answers if isinstance(a, dict)]
    chained = [a for a in typed if a.get("Type") in ("A", "AAAA", "CNAME")]
    tm.answer_chain(domain, "A", [str(a.get("Rdata", "")).strip() for a in chained], ts)
    for other in typed:
        if other.get("Type") in ("MX", "NS"):
            words = str(other.get("Rdata") or "").split()  # MX: "10 mail.example.com."
            if words:
                tm.answer(domain, str(other["Type"]), words[-1], ts)
            else:
                tm.skipped["DNS answers that are not names or addresses"] += 1


def read_vpc_flow(paths: Iterable[Path], *, network: Network, max_pending: int = 100_000) -> Iterator[Record]:
    """Every record of a set of VPC Flow Log files (default v2 format, or the fields a header line names)."""
    obs = Observations(max_pending=max_pending, sensor="flow")
    tm = Telemetry(network, obs)
    hosts = CloudHosts(network)
    for path in paths:
        name = str(path)
        fields: list[str] = list(VPC_V2_FIELDS)
        refused = 0
        for item in content_lines(path):
            if not isinstance(item, tuple):
                yield item
                continue
            lineno, text = item
            values = text.split()
            if is_header(values):  # the record format's field names (S3 delivery writes them first)
                fields = values
                tm.skip_line("header lines")
                continue
            row = dict(zip(fields, values, strict=False))
            apply = partial(_flow_line, tm, hosts, name, row, len(values), len(fields))
            before = tm.loaded_lines
            yield from tm.one_line(name, lineno, text, apply, line_reason)
            if row.get("action") == "REJECT" and tm.loaded_lines > before:
                refused += 1
            if obs.full:
                yield from obs.flush()
        if refused:
            yield Note(f"{name}: {refused} REJECTed flow records loaded as connection attempts")
        yield from tm.file_done(name)
    yield from obs.flush()


def is_header(values: list[str]) -> bool:
    """True for a line naming the fields of a flow log format (every word a published field name)."""
    return bool(values) and all(v in VPC_FIELDS for v in values)


def _flow_line(
    tm: Telemetry, hosts: CloudHosts, name: str, row: dict[str, str], got: int, want: int
) -> Skipped | None:
    """One flow record into the window, or the record saying why the line is not loaded."""
    why = _flow(tm, hosts, row, got, want)
    return Skipped(name, why) if why else None


def _flow(tm: Telemetry, hosts: CloudHosts, row: dict[str, str], got: int, want: int) -> str | None:
    if got != want:
        raise ValueError(f"{got} fields, the record format has {want}")
    status = row.get("log-status", "OK")
    if status in ("NODATA", "SKIPDATA"):
        return f"vpc flow {status} records"
    src, dst = row.get("srcaddr", "-"), row.get("dstaddr", "-")
    if "-" in (src, dst) or row.get("start", "-") == "-":
        raise ValueError("flow record lacks srcaddr, dstaddr or start")
    start = _number(row["start"], "start")
    end = _number(row.get("end"), "end")
    ports = {side: _number(row.get(side), side) for side in ("srcport", "dstport")}
    size = _number(row.get("bytes"), "bytes")
    assert start is not None
    sides = tm.sides(src, dst)
    if sides is None:
        return None
    _, peer, host_is_src = sides
    local = src if host_is_src else dst
    host, props = hosts.host(local, row.get("instance-id"), row.get("interface-id"))
    tm.obs.node_once("Host", host, props)
    port = ports["dstport"] if host_is_src else ports["srcport"]
    outbound = _opened_by_src(row.get("tcp-flags"))
    if outbound is not None and not host_is_src:
        outbound = not outbound
    protocol = PROTOCOLS.get(row.get("protocol", ""), row.get("protocol")) if row.get("protocol") != "-" else None
    tm.connected(host, peer, start, outbound=outbound, bytes_out=size if host_is_src else None,
                 bytes_in=None if host_is_src else size, port=port if port else None,
                 protocols=[protocol] if protocol else None)
    if end is not None and end != start:
        tm.obs.edge("CONNECTED_TO", "Host", host, "IP", peer, end, 0)
    return None


def _opened_by_src(flags: str | None) -> bool | None:
    """SYN without ACK: the source opened it; SYN-ACK: the destination did; otherwise unknown."""
    if not flags or not flags.isdigit():
        return None
    value = int(flags)
    if value & _SYN:
        return not value & _ACK
    return None


def _number(text: str | None, what: str) -> int | None:
    if text in (None, "-", ""):
        return None
    assert text is not None
    if not text.isdigit():
        raise ValueError(f"{what} should be a number, found {text[:20]!r}")
    return int(text)

