"""``enrich pdns`` against a loopback HTTP server replaying real DNSDB answers (shared pdns-cof-dnsdb-ninoseki).

The recorded bodies are served at the DNSDB API v1 paths they were fetched from (see the sample's
PROVENANCE.md), and in the v2 SAF framing for ``--api dnsdb2``. What the graph holds is computed from
the files independently of the loader.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from enrich_servers import outcomes, run_job
from support import check_rels, load, shared_data

from graphpivot.enrich.joblog import JobLog
from graphpivot.enrich.pdns_enricher import PdnsEnricher
from graphpivot.enrich.prepare import JobRequest, show_plan
from graphpivot.enrich.runner import RunInfo
from graphpivot.model import entity
from graphpivot.store.base import GraphStore

KEY = "test-key-not-a-secret"
SAMPLE = "pdns-cof-dnsdb-ninoseki"
ANSWERS = {  # v1 path -> recorded body
    "/lookup/rrset/name/www.farsightsecurity.com": "dnsdb_lookup_rrset_name_www.farsightsecurity.com.jsonl",
    "/lookup/rdata/ip/154.9.205.199": "dnsdb_lookup_rdata_ip_154.9.205.199.jsonl",
}


class CofServer:
    """Serves recorded COF bodies; 401 without the key, 404 for anything it has no record of."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        bodies = {path: (shared_data() / SAMPLE / name).read_text(encoding="utf-8") for path, name in ANSWERS.items()}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.requests[path] += 1
                if self.headers.get("X-API-Key") != KEY:
                    self.send_error(401)
                    return
                v2 = path.startswith("/dnsdb/v2/")
                body = bodies.get(path.removeprefix("/dnsdb/v2"))
                if body is None:
                    self.send_error(404)
                    return
                if v2:
                    lines = [json.dumps({"obj": json.loads(x)}) for x in body.splitlines() if x.strip()]
                    body = "\n".join([json.dumps({"cond": "begin"}), *lines, json.dumps({"cond": "succeeded"})]) + "\n"
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cof() -> Iterator[CofServer]:
    server = CofServer()
    yield server
    server.stop()


def _expected(name: str) -> tuple[set[tuple[Any, ...]], int]:
    """(domain, ip, first, last, count) of every A/AAAA answer in a recorded body, and its line count."""
    lines = [json.loads(x) for x in (shared_data() / SAMPLE / name).read_text(encoding="utf-8").splitlines() if x]
    want = set()
    for obj in lines:
        rdata = obj["rdata"] if isinstance(obj["rdata"], list) else [obj["rdata"]]
        for value in rdata:
            want.add((obj["rrname"].rstrip(".").lower(), value, obj["time_first"], obj["time_last"], obj["count"]))
    return want, len(lines)


@pytest.mark.parametrize("api", ["dnsdb", "dnsdb2"])
def test_history_of_indicators_without_active(store: GraphStore, cof: CofServer, api: str) -> None:
    load(store, [entity("Domain", "www.farsightsecurity.com", indicator=True),
                 entity("IP", "154.9.205.199", indicator=True), entity("Domain", "unknown.example")], source="intel")
    enricher = PdnsEnricher(cof.url, api=api, timeout=5, key=KEY)
    plan, summary, _ = run_job(store, enricher, JobRequest(targets=["all"]))
    planned = {t.key for t in plan.targets}
    assert {"www.farsightsecurity.com", "154.9.205.199", "unknown.example"} <= planned  # passive by nature
    shown = io.StringIO()
    show_plan(JobLog("pdns", as_json=False, stream=shown), enricher, plan,
              RunInfo("r1", 1_700_000_000, False, "all"), active=False)
    assert "passive (the service answers from its own records" in shown.getvalue()
    by_name, _ = _expected(ANSWERS["/lookup/rrset/name/www.farsightsecurity.com"])
    by_ip, lines = _expected(ANSWERS["/lookup/rdata/ip/154.9.205.199"])
    got = check_rels(store, "Domain", "RESOLVES_TO", "IP", "first_seen", "last_seen", "count")
    assert got >= by_name | by_ip
    assert {row for row in got if row[1] == "154.9.205.199"} == by_ip and len(by_ip) == lines == 22
    done = outcomes(store, "pdns")
    assert done["Domain:www.farsightsecurity.com"]["outcome"] == "ok"
    assert done["IP:154.9.205.199"]["outcome"] == "ok"
    assert done["Domain:unknown.example"]["outcome"] == "not_found"  # an answer: not retried within --max-age
    prefix = "/dnsdb/v2" if api == "dnsdb2" else ""
    assert cof.requests[f"{prefix}/lookup/rrset/name/www.farsightsecurity.com"] == 1
    assert summary.exit_code == 0
    # The same history fetched again by a later run adds no count: it is not a new observation.
    run_job(store, enricher, JobRequest(targets=["all"]), now=2_000_000_000)
    assert cof.requests[f"{prefix}/lookup/rrset/name/www.farsightsecurity.com"] == 2
    assert check_rels(store, "Domain", "RESOLVES_TO", "IP", "first_seen", "last_seen", "count") == got


def test_wrong_key_is_a_clear_outcome(store: GraphStore, cof: CofServer) -> None:
    load(store, [entity("Domain", "www.farsightsecurity.com", indicator=True)], source="intel")
    _, _, _ = run_job(store, PdnsEnricher(cof.url, api="dnsdb", timeout=5, key="wrong"),
                      JobRequest(explicit=["www.farsightsecurity.com"]))
    done = outcomes(store, "pdns")["Domain:www.farsightsecurity.com"]
    assert done["outcome"] == "bad_request" and "refused the credentials" in done["reason"]
    assert not check_rels(store, "Domain", "RESOLVES_TO", "IP")


@pytest.mark.parametrize("base", ["http://pdns.example", "file:///tmp", "ftp://127.0.0.1"])
def test_pdns_base_url_must_be_https(base: str) -> None:
    with pytest.raises(ValueError, match="passive DNS base URL must be https"):
        PdnsEnricher(base, api="dnsdb", timeout=5)


def test_url_shapes(tmp_path: Path) -> None:
    from graphpivot.enrich.base import Target

    e = PdnsEnricher("https://api.example/", api="circl", timeout=5)
    assert e.url(Target("Domain", "a.example")) == "https://api.example/pdns/query/a.example"
    e = PdnsEnricher("https://api.example", api="dnsdb2", timeout=5, limit=5)
    assert e.url(Target("IP", "2001:db8::1")) == "https://api.example/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A1?limit=5"
