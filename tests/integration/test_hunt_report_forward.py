"""A hunt report to forward (#16 item 7): defanged indicators (live with ``--no-defang``), a TLP banner from the
strictest marking of the intel behind the findings, identifiers never broken mid-token in headless Chromium,
long tables as counts in HTML but whole in JSON, and a JSON report whose size follows the findings, not the intel.

Intel with mixed TLPs is written as real STIX 2.1 bundles and a MISP event and read by their loaders; telemetry
is the demo scenario's plus one host's DNS look-ups of the marked names."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ioc_fanger
import pytest
from graphpivot.loaders.intel.misp import read_misp
from graphpivot.loaders.intel.stix import read_stix
from support import browse, load, rows
from typer.testing import CliRunner, Result

from graphpivot.cli import app
from graphpivot.demo_scenario import PASTE_C2, scenario
from graphpivot.model import Edge, Record, entity
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

T_LOAD = 1_790_000_000
HOST = "10.0.0.12"
# name -> (where its intel comes from, the TLP that intel carries); RED is intel no host touched
MARKED = {
    "green.tlp-test.example": ("stix", "green"),
    "amber.tlp-test.example": ("stix", "amber"),
    "strict.tlp-test.example": ("misp", "amber+strict"),  # the event is tagged tlp:clear and tlp:amber+strict
    "red.tlp-test.example": ("stix", "red"),
}
TLP_IDS = {"green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
           "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
           "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}
EXTRA_DOMAINS, EXTRA_EMAILS = 3000, 300


def cli(store: GraphStore, *args: str) -> Result:
    if store.engine == "ladybug":
        store.close()
        base = ["--db", store.location]
    else:
        base = ["--engine", "neo4j"]
    return CliRunner().invoke(app, [*base, *args])


def reopened(store: GraphStore) -> GraphStore:
    """The store to write to after a CLI run (which closed an embedded one)."""
    return LadybugStore(Path(store.location)) if store.engine == "ladybug" else store


def hunt(store: GraphStore, path: Path, *extra: str) -> str:
    done = cli(store, "hunt", "--report", str(path), *extra)
    assert done.exit_code == 0, done.stderr
    return path.read_text(encoding="utf-8")


def stix_bundle(n: int, name: str, tlp: str) -> dict[str, Any]:
    marking = {"type": "marking-definition", "spec_version": "2.1", "id": TLP_IDS[tlp],
               "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": tlp}}
    indicator = {"type": "indicator", "spec_version": "2.1",
                 "id": f"indicator--00000000-0000-4000-8000-0000000001{n:02d}",
                 "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                 "pattern": f"[domain-name:value = '{name}']", "pattern_type": "stix",
                 "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [TLP_IDS[tlp]]}
    return {"type": "bundle", "id": f"bundle--00000000-0000-4000-8000-0000000000{n:02d}",
            "objects": [marking, indicator]}


def misp_event(name: str) -> dict[str, Any]:
    return {"Event": {
        "uuid": "5f0c3a6e-0000-4000-8000-00000000f001", "info": "strict sharing", "date": "2026-01-01",
        "timestamp": "1767225600", "Tag": [{"name": "tlp:clear"}, {"name": "tlp:amber+strict"}],
        "Attribute": [{"uuid": "5f0c3a6e-0000-4000-8000-00000000f101", "type": "domain", "category": "Network activity",
                       "value": name, "to_ids": True, "timestamp": "1767225600"}],
    }}


def marked_intel(tmp: Path) -> Iterator[Record]:
    """The mixed-TLP intel through the STIX and MISP loaders, and the demo host looking each name up but RED's."""
    for n, (name, (kind, tlp)) in enumerate(MARKED.items()):
        path = tmp / f"intel-{n}.json"
        path.write_text(json.dumps(stix_bundle(n, name, tlp) if kind == "stix" else misp_event(name)), "utf-8")
        yield from (read_stix if kind == "stix" else read_misp)(path, f"tlp{n}", observed_at=T_LOAD)
        if tlp != "red":
            yield entity("Host", HOST)
            yield Edge("QUERIED", "Host", HOST, "Domain", name,
                       {"first_seen": 1_780_000_000, "last_seen": 1_780_086_400, "count": 2, "sources": ["t-dns"]})


def extra_intel() -> Iterator[Record]:
    """A big list nobody touched: domains (checked, no finding) and e-mail addresses (no hunt can check them)."""
    report = entity("Report", "bulk:list", name="bulk list", source="bulk")
    yield report
    for n in range(EXTRA_DOMAINS):
        yield entity("Domain", f"bulk{n}.untouched.example", indicator=True)
        yield Edge("MENTIONS", "Report", report.key, "Domain", f"bulk{n}.untouched.example", {"first_seen": T_LOAD})
    for n in range(EXTRA_EMAILS):
        yield entity("Email", f"ops{n}@bulk.example", indicator=True)
        yield Edge("MENTIONS", "Report", report.key, "Email", f"ops{n}@bulk.example", {"first_seen": T_LOAD})


@pytest.fixture
def marked_store(store: GraphStore, tmp_path: Path) -> GraphStore:
    load(store, scenario(), source="demo")
    load(store, marked_intel(tmp_path), source="intel")
    return store


def test_defanged_by_default_live_with_no_defang(marked_store: GraphStore, tmp_path: Path) -> None:
    page = hunt(marked_store, tmp_path / "hunt.html")
    live = hunt(marked_store, tmp_path / "live.html", "--no-defang")
    text = hunt(marked_store, tmp_path / "hunt.md")
    data = json.loads(hunt(marked_store, tmp_path / "hunt.json"))
    for shown in (page, text):
        assert "hxxps://pastebin[.]com/raw/Xk3dP9Qa" in shown and "cdn-sync[.]net" in shown
        assert "amber[.]tlp-test[.]example" in shown and "203[.]0[.]113[.]10" in shown
        for real in (PASTE_C2, "cdn-sync.net", "amber.tlp-test.example", "203.0.113.10", "evil-update.com"):
            assert real not in shown, real
        assert HOST in shown  # internal hosts stay as the inventory spells them
    assert PASTE_C2 in live and "cdn-sync.net" in live and "[.]" not in live and "hxxp" not in live
    indicators = {f["indicator"] for f in data["findings"]}
    assert {PASTE_C2, "cdn-sync.net", "amber.tlp-test.example"} <= indicators  # JSON keeps the real values
    for finding in data["findings"]:
        assert ioc_fanger.fang(finding["indicator_defanged"]) == finding["indicator"]
    by_name = {f["indicator"]: f for f in data["findings"]}
    assert by_name[PASTE_C2]["indicator_defanged"] == "hxxps://pastebin[.]com/raw/Xk3dP9Qa"


def test_tlp_banner_is_the_strictest_marking_behind_the_findings(marked_store: GraphStore, tmp_path: Path) -> None:
    reports = rows(marked_store, "MATCH (r:Report) WHERE r.tlp IS NOT NULL RETURN r.tlp AS tlp")
    assert sorted(r["tlp"] for r in reports) == ["amber", "amber+strict", "green", "red"]  # stored by the loaders
    data = json.loads(hunt(marked_store, tmp_path / "hunt.json"))
    by_name = {f["indicator"]: f for f in data["findings"]}
    assert {name: by_name[name]["tlp"] for name in MARKED if name in by_name} == {
        "green.tlp-test.example": "green", "amber.tlp-test.example": "amber",
        "strict.tlp-test.example": "amber+strict"}  # RED's name was never looked up: no finding
    assert data["tlp"]["level"] == "amber+strict" and data["tlp"]["label"] == "TLP:AMBER+STRICT"
    assert data["tlp"]["items"]["green"] == 1 and data["tlp"]["items"]["unmarked"] >= 1
    page = hunt(marked_store, tmp_path / "hunt.html")
    body = page[page.index("<body>"):]
    assert re.match(r'<body>\s*<div id="tlp" class="tlp tlp-amber-strict" data-tlp="amber\+strict">TLP:AMBER\+STRICT'
                    r"</div>", body), body[:300]
    assert "TLP:RED" not in page
    text = hunt(marked_store, tmp_path / "hunt.md")
    assert text.startswith("**TLP:AMBER+STRICT**\n")


def test_demo_without_marking_says_so(store: GraphStore, tmp_path: Path) -> None:
    load(store, scenario(), source="demo")
    data = json.loads(hunt(store, tmp_path / "hunt.json"))
    assert data["tlp"]["level"] is None and set(data["tlp"]["items"]) == {"unmarked"}
    page = hunt(store, tmp_path / "hunt.html")
    assert 'class="tlp tlp-none"' in page and "No TLP marking" in page


def test_json_report_follows_the_findings_and_keeps_long_tables(store: GraphStore, tmp_path: Path) -> None:
    load(store, scenario(), source="demo")
    small = hunt(store, tmp_path / "demo.json")
    base = json.loads(small)
    findings = len(base["findings"])
    assert findings >= 40
    assert len(small.encode()) < 20_000 * findings + 50_000
    again = reopened(store)
    load(again, extra_intel(), source="bulk")
    big = hunt(again, tmp_path / "bulk.json")
    bulk = json.loads(big)
    assert len(bulk["findings"]) == findings and bulk["summary"]["indicators"] >= base["summary"]["indicators"] + 3300
    unchecked = bulk["blind_spots"]["unchecked"]
    assert len(unchecked) == len(base["blind_spots"]["unchecked"]) + EXTRA_EMAILS  # the whole long table
    assert {f"ops{n}@bulk.example" for n in range(EXTRA_EMAILS)} <= {u["key"] for u in unchecked}
    # 3,300 more indicators and more chunked query runs: the report grows by the unchecked rows, not by the runs
    rows_size = len(json.dumps(unchecked[len(base["blind_spots"]["unchecked"]):], indent=1).encode())
    assert len(big.encode()) - len(small.encode()) < rows_size * 1.5 + 4_000
    runs = {q["id"]: q for q in bulk["queries"]}
    assert runs["exposure-domain"]["runs"] >= 2 and "cypher" in runs["exposure-domain"]  # a finding's query
    assert all("cypher" not in q for q in bulk["queries"] if q["id"] == "indicator-intel")
    page = hunt(again, tmp_path / "bulk.html")
    section = page[page.index("Indicators that could not be checked"):]
    assert f"Indicators that could not be checked ({len(unchecked)})" in page
    assert re.search(rf"<td>Email</td><td>[^<]*</td><td>{len(unchecked)}</td>", section), section[:1500]
    assert section.count("@bulk") < 30  # a few examples, not the 300 rows


MEASURE = """<script>
for (const d of document.querySelectorAll('details')) d.open = true;
const ids = [...document.querySelectorAll('.id')];
const broken = ids.filter(e => e.getClientRects().length !== 1).map(e => e.textContent);
const tlp = document.getElementById('tlp');
document.body.dataset.ids = ids.length;
document.body.dataset.broken = JSON.stringify(broken);
document.body.dataset.first = document.body.firstElementChild.id;
document.body.dataset.banner = tlp ? tlp.textContent : '';
document.body.dataset.bannerTop = tlp ? Math.round(tlp.getBoundingClientRect().top) : -1;
</script>"""


def measured(page: str, tmp: Path, name: str, style: str = "") -> dict[str, str]:
    """The page with its CSP dropped and a measuring script added, opened in a narrow headless Chromium."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    html = html.replace("</head>", f"<style>{style}</style></head>").replace("</body>", MEASURE + "</body>")
    path = tmp / name
    path.write_text(html, encoding="utf-8")
    dom = browse(path, tmp, "--window-size=700,900", "--dump-dom")
    body = re.search(r"<body[^>]*>", dom)
    assert body, dom[:500]
    return {k: v.replace("&quot;", '"') for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', body.group(0))}


def test_html_report_in_chromium_keeps_identifiers_whole(tmp_path: Path) -> None:
    """One engine: the page is rendered from the same data on both (the tests above run on each)."""
    lb = LadybugStore(tmp_path / "graph.lbdb")
    lb.init_schema()
    load(lb, scenario(), source="demo")
    load(lb, marked_intel(tmp_path), source="intel")
    load(lb, extra_intel(), source="bulk")
    page = hunt(lb, tmp_path / "hunt.html")
    got = measured(page, tmp_path, "measure.html")
    assert int(got["ids"]) > 150, got
    assert json.loads(got["broken"]) == [], got["broken"]
    assert got["first"] == "tlp" and got["banner"] == "TLP:AMBER+STRICT" and int(got["banner-top"]) < 50
    # the same check sees breaks when identifiers may wrap anywhere (as word-break: break-all let them)
    loose = measured(page, tmp_path, "loose.html", ".id{white-space:normal!important;word-break:break-all}")
    assert len(json.loads(loose["broken"])) > 0
    shot = tmp_path / "hunt.png"
    browse(tmp_path / "hunt.html", tmp_path, "--window-size=1280,1600", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
