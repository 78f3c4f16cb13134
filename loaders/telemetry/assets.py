"""Asset inventory CSV: which addresses are whose, so telemetry names hosts by asset.

A header row names the columns (case and spacing do not matter; common aliases
are accepted): ``asset_id`` (or ``id``/``asset``/``name``), ``hostname``,
``ip`` (one or more addresses or CIDR ranges, separated by ``;``, ``,``, ``|``
or spaces), ``owner`` and ``criticality``. A row with an address but no asset
id or hostname marks an internal range: hosts in it keep their IP as name but
carry the row's owner and criticality.

``graphpivot load assets`` writes one ``Host`` per asset; telemetry loads take
the same file with ``--assets`` to resolve addresses to those hosts.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from graphpivot.loaders.telemetry.network import Asset, AssetInventory, IPNetwork

from graphpivot.canonical import InvalidValue
from graphpivot.model import Loaded, Progress, Record, Reject, Skipped, entity

COLUMNS = {
    "asset_id": ("asset_id", "id", "asset", "asset_tag", "name"),
    "hostname": ("hostname", "host", "host_name", "fqdn"),
    "ip": ("ip", "ips", "ip_address", "ip_addresses", "address", "addresses", "cidr", "range", "network", "subnet"),
    "owner": ("owner", "owned_by", "team", "department"),
    "criticality": ("criticality", "business_criticality", "priority", "tier"),
}
_SPLIT = re.compile(r"[;,|\s]+")


@dataclass
class AssetRow:
    """One good inventory row."""

    line: int
    asset_id: str | None  # canonical Host key; None for a row that only marks internal ranges
    networks: list[IPNetwork]
    hostname: str | None = None
    owner: str | None = None
    criticality: str | None = None

    def assets(self) -> list[Asset]:
        return [Asset(n, self.asset_id, self.hostname, self.owner, self.criticality, self.line) for n in self.networks]


def parse_assets(path: Path) -> Iterator[AssetRow | Reject]:
    """Yield every good row and a :class:`Reject` for every bad one (an address listed twice included)."""
    name = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None) or []
            columns = _columns(header)
            if "ip" not in columns and "asset_id" not in columns and "hostname" not in columns:
                yield Reject(
                    name,
                    1,
                    "asset CSV needs a header naming an 'ip', 'asset_id' or 'hostname' column",
                    ",".join(header),
                    units=0,
                )
                return
            owners: dict[IPNetwork, AssetRow] = {}
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield _row(name, reader.line_num, row, columns, owners)
    except UnicodeDecodeError as exc:
        yield Reject(name, None, f"not UTF-8 text ({exc.reason}); rest of the inventory not read", units=0)
    except csv.Error as exc:
        yield Reject(name, None, f"malformed CSV: {exc}; rest of the inventory not read", units=0)
    except OSError as exc:
        yield Reject(name, None, f"cannot read file: {exc.strerror or exc}", units=0)


def load_inventory(paths: Iterable[Path]) -> tuple[AssetInventory, list[Reject]]:
    """The inventory for telemetry loads, and the rows that could not be used."""
    inventory = AssetInventory()
    rejects: list[Reject] = []
    for path in paths:
        for item in parse_assets(path):
            if isinstance(item, Reject):
                rejects.append(item)
            else:
                for asset in item.assets():
                    inventory.add(asset)
    return inventory, rejects


def read_assets(path: Path, source: str) -> Iterator[Record]:
    """``Host`` nodes for ``graphpivot load assets``: one per row with an asset id or hostname.

    Accounting unit: a data row (the header is not counted).
    """
    name = str(path)
    rows = loaded = 0
    for item in parse_assets(path):
        if isinstance(item, Reject):
            rows += item.units
            yield item
            continue
        rows += 1
        if item.asset_id is None:
            yield Skipped(name, "address ranges without an asset id (no Host; they mark internal space for --assets)")
            continue
        single = [n for n in item.networks if n.num_addresses == 1]
        props = {
            "hostname": item.hostname,
            "owner": item.owner,
            "criticality": item.criticality,
            "ip": str(single[0].network_address) if single else None,
        }
        loaded += 1
        yield entity("Host", item.asset_id, sources=[source], **{k: v for k, v in props.items() if v})
    yield Loaded(name, loaded)
    yield Progress(name, rows)


def _columns(header: list[str]) -> dict[str, int]:
    normal = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    found: dict[str, int] = {}
    for field_name, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in normal:
                found[field_name] = normal.index(alias)
                break
    return found


def _cell(row: list[str], columns: dict[str, int], field_name: str) -> str | None:
    index = columns.get(field_name)
    if index is None or index >= len(row):
        return None
    return row[index].strip() or None


def _row(
    name: str, line: int, row: list[str], columns: dict[str, int], owners: dict[IPNetwork, AssetRow]
) -> AssetRow | Reject:
    raw = ",".join(row)
    hostname = _cell(row, columns, "hostname")
    label = _cell(row, columns, "asset_id") or hostname
    try:
        asset_id = entity("Host", label).key if label else None
        networks = [_network(text) for text in _SPLIT.split(_cell(row, columns, "ip") or "") if text]
    except InvalidValue as exc:
        return Reject(name, line, str(exc), raw)
    if not networks and asset_id is None:
        return Reject(name, line, "row has neither an asset id/hostname nor an address", raw)
    for network in networks:
        earlier = owners.get(network)
        if earlier is not None:
            whose = earlier.asset_id or "an internal range"
            return Reject(name, line, f"{network} is already listed for {whose} (line {earlier.line})", raw)
    item = AssetRow(
        line, asset_id, networks, hostname, _cell(row, columns, "owner"), _cell(row, columns, "criticality")
    )
    owners.update(dict.fromkeys(networks, item))
    return item


def _network(text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        raise InvalidValue(f"not an IP address or CIDR range: {text!r}") from None
