"""Secure web gateways through shipped presets: ``load proxy --preset zscaler-nss|netskope``, no column mapping.

No public sample of either exists under ../shared/data, so the files are built here from the vendors'
published specifications:

* Zscaler "NSS Feed Output Format: Web Logs" (help.zscaler.com): the NSS web-log field names
  (``%d{epochtime}``, ``%s{cip}``, ``%s{eurl}``, ``%s{proto}``, ``%s{reqmethod}``, ``%s{respcode}``,
  ``%d{reqsize}``, ``%d{respsize}``, ``%s{ua}``, ``%s{login}``, ``%s{action}``, ``%s{appname}``,
  ``%s{urlcat}``) in a JSON feed keyed by those names; the first line carries the values of Zscaler's
  own sample web log (ebay.com/, 172.17.3.49, GET, 403, 72/14061 bytes, curl/7.68.0);
* Netskope "Transaction Event Fields" (docs.netskope.com): the W3C ``#Fields:`` line of format 1.

Expected edges are computed from the rows written here, not from the loader.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import check_rels
from typer.testing import CliRunner

from graphpivot.canonical import canonical_url
from graphpivot.cli import app
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

NETSKOPE_FORMAT_1 = [
    "date", "time", "time-taken", "cs-bytes", "sc-bytes", "bytes", "c-ip", "s-ip", "cs-username", "cs-method",
    "cs-uri-scheme", "cs-uri-query", "cs-user-agent", "cs-content-type", "sc-status", "sc-content-type",
    "cs-dns", "cs-host", "cs-uri", "cs-uri-port", "cs-referer", "x-cs-session-id", "x-cs-access-method",
    "x-cs-app", "x-s-country", "x-s-latitude", "x-s-longitude", "x-s-location", "x-s-region", "x-s-zipcode",
    "x-c-country", "x-c-latitude", "x-c-longitude", "x-c-location", "x-c-region", "x-c-zipcode", "x-c-os",
    "x-c-browser", "x-c-browser-version", "x-c-device", "x-cs-site", "x-cs-timestamp", "x-cs-page-id",
    "x-cs-userip", "x-cs-traffic-type", "x-cs-tunnel-id", "x-category", "x-other-category", "x-type",
    "x-server-ssl-err", "x-client-ssl-err", "x-transaction-id", "x-request-id", "x-cs-sni",
    "x-cs-domain-fronted-sni", "x-category-id", "x-other-category-id", "x-sr-headers-name", "x-sr-headers-value",
]

ZSCALER = [
    {"epochtime": 1655738951, "cip": "172.17.3.49", "login": "jdoe@safemarch.com", "proto": "HTTP",
     "eurl": "ebay.com/", "reqmethod": "GET", "respcode": "403", "reqsize": "72", "respsize": "14061",
     "ua": "curl/7.68.0", "action": "Blocked", "appname": "Ebay", "urlcat": "Online Shopping"},
    {"epochtime": 1655739000, "cip": "172.17.3.50", "login": "amy@safemarch.com", "proto": "SSL",
     "eurl": "pastebin.com/raw/Xy12AbCd", "reqmethod": "GET", "respcode": "200", "reqsize": "410",
     "respsize": "2211", "ua": "Mozilla/5.0", "action": "Allowed", "appname": "Pastebin", "urlcat": "Web Hosting"},
    {"epochtime": 1655739060, "cip": "172.17.3.50", "login": "amy@safemarch.com", "proto": "HTTPS",
     "eurl": "api.telegram.org/bot123456:ABC/sendDocument", "reqmethod": "POST", "respcode": "200",
     "reqsize": "900000", "respsize": "120", "ua": "python-requests/2.31", "action": "Allowed",
     "appname": "Telegram", "urlcat": "Instant Messaging"},
]
NETSKOPE = [
    {"date": "2024-03-01", "time": "10:00:00", "x-cs-timestamp": "1709287200", "c-ip": "10.20.0.7",
     "cs-username": "bob@example.com", "cs-method": "GET", "cs-uri-scheme": "https", "cs-host": "pastebin.com",
     "cs-uri": "/raw/Q9w8E7r6", "cs-uri-port": "443", "cs-uri-query": "-", "sc-status": "200",
     "cs-bytes": "380", "sc-bytes": "5120", "cs-user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
     "x-cs-app": "Pastebin", "x-category": "Web Hosting"},
    {"date": "2024-03-01", "time": "10:05:00", "x-cs-timestamp": "1709287500", "c-ip": "10.20.0.8",
     "cs-username": "eve@example.com", "cs-method": "PUT", "cs-uri-scheme": "https", "cs-host": "transfer.sh",
     "cs-uri": "/upload/data.zip", "cs-uri-port": "443", "cs-uri-query": "-", "sc-status": "200",
     "cs-bytes": "25000000", "sc-bytes": "90", "cs-user-agent": "curl/8.4.0", "x-cs-app": "transfer.sh",
     "x-category": "Cloud Storage"},
]


def zscaler_file(tmp_path: Path) -> Path:
    lines = [json.dumps(ZSCALER[0]), json.dumps({**ZSCALER[1], "epochtime": "yesterday"}),
             json.dumps(ZSCALER[1]), "{broken", json.dumps(ZSCALER[2])]
    path = tmp_path / "zscaler-web.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _w3c(value: str) -> str:
    return f'"{value}"' if " " in value else value


def netskope_file(tmp_path: Path) -> Path:
    rows = [" ".join(_w3c(row.get(f, "-")) for f in NETSKOPE_FORMAT_1) for row in NETSKOPE]
    bad = " ".join(["2024-03-01", "10:06:00", "too", "few"])
    path = tmp_path / "netskope-transactions.log"
    path.write_text("#Version: 1.0\n#Fields: " + " ".join(NETSKOPE_FORMAT_1) + "\n" + rows[0] + "\n" + bad + "\n"
                    + rows[1] + "\n", encoding="utf-8")
    return path


def expected_zscaler() -> set[tuple[Any, ...]]:
    out = set()
    for row in ZSCALER:
        scheme = "https" if row["proto"] in ("SSL", "HTTPS") else "http"
        out.add((row["cip"], canonical_url(f"{scheme}://{row['eurl']}"), int(row["reqsize"]), int(row["respsize"]),
                 (row["reqmethod"],), (int(row["respcode"]),), (row["ua"],)))
    return out


def expected_netskope() -> set[tuple[Any, ...]]:
    return {(r["c-ip"], canonical_url(f"{r['cs-uri-scheme']}://{r['cs-host']}{r['cs-uri']}"), int(r["cs-bytes"]),
             int(r["sc-bytes"]), (r["cs-method"],), (int(r["sc-status"]),), (r["cs-user-agent"],)) for r in NETSKOPE}


@pytest.fixture(params=("ladybug", "neo4j"))
def engine(request: pytest.FixtureRequest, tmp_path: Path, neo4j_store: GraphStore | None) -> Iterator[list[str]]:
    if request.param == "ladybug":
        yield ["--engine", "ladybug", "--db", str(tmp_path / "swg.lbdb")]
        return
    if neo4j_store is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but GRAPHPIVOT_NEO4J_URI is not set")
        pytest.skip("no Neo4j (set GRAPHPIVOT_NEO4J_URI)")
    neo4j_store.clear()
    yield ["--engine", "neo4j"]


@pytest.mark.parametrize(("preset", "make", "want", "bad_lines"), [
    ("zscaler-nss", zscaler_file, expected_zscaler, [2, 4]),
    ("netskope", netskope_file, expected_netskope, [4]),
])
def test_preset_loads_without_a_mapping(engine: list[str], tmp_path: Path, neo4j_store: GraphStore | None,
                                        preset: str, make: Any, want: Any, bad_lines: list[int]) -> None:
    path = make(tmp_path)
    rejects = tmp_path / "rejects.ndjson"
    result = CliRunner().invoke(app, [*engine, "load", "proxy", str(path), "--preset", preset,
                                      "--rejects", str(rejects), "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["source"] == preset
    lines = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert [(r["file"], r["line"]) for r in lines] == [(str(path), n) for n in bad_lines]
    store = neo4j_store if engine[1] == "neo4j" else LadybugStore(Path(engine[3]))
    assert store is not None
    try:
        got = check_rels(store, "Host", "REQUESTED", "URL", "bytes_out", "bytes_in", "methods", "statuses",
                         "user_agents")
    finally:
        if engine[1] == "ladybug":
            store.close()
    assert got == want()
