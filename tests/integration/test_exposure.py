"""``graphpivot exposure`` end to end on both engines: evidence, windows, expansion, JSON, --explain, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import browser_editor_text, load
from typer.testing import CliRunner, Result

from graphpivot.cli import app
from graphpivot.demo_scenario import C2_IP, EXPOSED, IMPLANT_JA3, PASTE_C2, SEED, scenario, t
from graphpivot.hunt.exposure import Exposure
from graphpivot.hunt.model import Options
from graphpivot.hunt.runner import Runner
from graphpivot.hunt.vocabulary import Strength
from graphpivot.store.base import GraphStore

REQUIRED_KEYS = {"host", "indicator", "evidence", "strength", "first_seen", "last_seen", "path", "sources"}


def cli(store: GraphStore, *args: str) -> Result:
    """Run the CLI against the graph the fixture loaded (the embedded one is closed first: one opener at a time)."""
    if store.engine == "ladybug":
        store.close()
        base = ["--db", store.location]
    else:
        base = ["--engine", "neo4j"]
    return CliRunner().invoke(app, [*base, *args])


@pytest.fixture
def demo_store(store: GraphStore) -> GraphStore:
    load(store, scenario(), source="demo")
    return store


def by_pair(findings: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["host"], f["indicator"]): f for f in findings}


def test_json_findings_carry_evidence_times_paths_and_sources(demo_store: GraphStore) -> None:
    result = cli(demo_store, "exposure", SEED, C2_IP, PASTE_C2, IMPLANT_JA3, "--format", "json")
    assert result.exit_code == 0, result.stderr
    findings = json.loads(result.stdout)
    assert findings and all(set(f) >= REQUIRED_KEYS for f in findings)
    got = by_pair(findings)
    seed = got[("10.0.0.9", SEED)]
    assert (seed["evidence"], seed["strength"]) == ("exact-domain", "strong")
    assert (seed["first_seen"], seed["last_seen"]) == ("2026-10-07T00:00:00Z", "2026-10-07T00:00:00Z")
    assert seed["path"] == ["Host:10.0.0.9", "-QUERIED->", f"Domain:{SEED}"]
    assert seed["sources"] == ["demo:apt-report-1"] and seed["threats"] == ["demo actor"]
    assert got[("10.0.0.40", SEED)]["evidence"] == "subdomain"
    assert (got[("10.0.0.12", PASTE_C2)]["evidence"], got[("10.0.0.12", PASTE_C2)]["strength"]) == (
        "exact-url", "very strong")
    assert got[("10.0.0.33", IMPLANT_JA3)]["evidence"] == "client-fingerprint"
    # The flow to the C2 IP counts; the trap host's flow to it in November (IP reused) does not.
    assert got[("10.0.0.9", C2_IP)]["evidence"] == "exact-ip"
    assert ("10.0.0.8", C2_IP) not in got
    # An analyst looking the seed up after the report's window is not exposure.
    assert ("10.0.0.66", SEED) not in got
    # Benign users of the paste site are told apart: weak, a web-service domain alone.
    paste_users = [f for f in findings if f["indicator"] == PASTE_C2 and f["host"] != "10.0.0.12"]
    assert len(paste_users) == 25 and {(f["evidence"], f["strength"]) for f in paste_users} == {("web-service", "weak")}


def test_ranking_is_strongest_first(demo_store: GraphStore) -> None:
    result = Exposure(Runner(demo_store), Options(expand=True)).run([], all_indicators=True)
    keys = [(-int(f.strength), -f.confidence) for f in result.findings]
    assert keys == sorted(keys)
    assert {f.host for f in result.findings if f.strength >= Strength.LOW} == set(EXPOSED)


def test_since_until_restrict_and_clip(demo_store: GraphStore) -> None:
    result = cli(demo_store, "exposure", SEED, "--since", "2026-10-08", "--until", "2026-10-10T12:00:00Z",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = by_pair(json.loads(result.stdout))
    assert ("10.0.0.9", SEED) not in got  # queried on 7 October
    sub = got[("10.0.0.40", SEED)]  # queried 9..11 October: clipped to the window
    assert (sub["first_seen"], sub["last_seen"]) == ("2026-10-09T00:00:00Z", "2026-10-10T12:00:00Z")


def test_expand_reaches_shared_infrastructure_below_the_fanout(demo_store: GraphStore) -> None:
    runner = Runner(demo_store)
    wide = Exposure(runner, Options(expand=True)).run([SEED])
    reached = by_pair([f.as_dict() for f in wide.findings])
    via_shared = reached[("10.0.0.5", SEED)]
    assert via_shared["evidence"] == "infrastructure" and via_shared["strength"] == "pivot"  # was "low" before #10
    assert via_shared["pivot"]["seed"] == SEED and via_shared["pivot"]["max_degree"] <= 4
    assert "Domain:login-verify.net" in via_shared["path"]
    # With a fan-out cap below every attribute's degree nothing is reached.
    narrow = Exposure(runner, Options(expand=True, max_fanout=1)).run([SEED])
    assert narrow.reached == 0 and not [f for f in narrow.findings if f.evidence == "infrastructure"]
    # Without the cap the shared-hosting hub lets 300 shops through: its customers would become findings.
    hub = Exposure(runner, Options(expand=True, max_fanout=10_000)).run([SEED])
    assert hub.reached > 300
    assert "10.0.0.7" in {f.host for f in hub.findings}  # the shop customer
    assert "10.0.0.7" not in {f.host for f in wide.findings}


def test_explain_prints_exact_cypher_and_parameters(demo_store: GraphStore) -> None:
    result = cli(demo_store, "exposure", SEED, "--explain", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "// exposure-domain on " in result.stderr
    assert "MATCH (h:Host)-[q:QUERIED]->(d)" in result.stderr
    params = [json.loads(line.split("// params: ", 1)[1]) for line in result.stderr.splitlines()
              if line.startswith("// params: ")]
    assert {"indicators": [SEED], "since": 0, "until": 253402300799} in params
    json.loads(result.stdout)  # stdout stays clean JSON


def test_browser_links(demo_store: GraphStore) -> None:
    result = cli(demo_store, "exposure", SEED, "--browser", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    links = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if "/browser/?cmd=edit&arg=" in line]
    assert links and all(link.startswith("http://127.0.0.1:7474/browser/?cmd=edit&arg=") for link in links)
    text = browser_editor_text(links[0])
    assert f':param indicators => ["{SEED}"];' in text.splitlines()
    assert "MATCH" in text and text.endswith(";")
    assert result.stdout.startswith("strength,confidence,host,indicator")


def test_hunt_prints_a_browser_link_per_finding(demo_store: GraphStore) -> None:
    result = cli(demo_store, "hunt", "--browser")
    assert result.exit_code == 0, result.stderr
    links = [line for line in result.stderr.splitlines() if "/browser/?cmd=edit&arg=" in line]
    assert len(links) >= 7  # the demo's seven exposed hosts each have a finding
    assert all(":param indicators => " in browser_editor_text(line.split(": ", 1)[1]) for line in links)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evil.example", "--since", "last tuesday"], "--since: not a time"),
        (["bad..name.example"], "seed 'bad..name.example' is not a URL, IP, domain or fingerprint"),
        (["evil.example", "--min-strength", "huge"], "--min-strength: unknown strength 'huge'"),
        (["evil.example", "--format", "xml"], "unknown format 'xml'"),
        (["evil.example", "--since", "2026-10-10", "--until", "2026-10-01"], "--since is after --until"),
        (["evil.example", "--max-fanout", "-1"], "--max-fanout must not be negative"),
        ([], "give at least one seed, or --all-indicators"),
    ],
)
def test_bad_input_is_a_clear_error(store: GraphStore, args: list[str], message: str) -> None:
    result = cli(store, "exposure", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_unknown_query_parameter_names_it(demo_store: GraphStore) -> None:
    runner = Runner(demo_store)
    with pytest.raises(ValueError, match="exposure-domain: unknown parameter 'domains'"):
        runner.run("exposure-domain", {"domains": [SEED]})
    with pytest.raises(ValueError, match="exposure-ip: parameter 'indicators'"):
        runner.run("exposure-ip", {"indicators": ["not-an-ip"]})


def test_a_seed_no_intel_mentions_is_checked_with_an_open_window(demo_store: GraphStore) -> None:
    result = Exposure(Runner(demo_store)).run(["benign-bakery.com", "never-seen.example"])
    (finding,) = result.findings
    assert (finding.host, finding.evidence, finding.strength) == ("10.0.0.8", "exact-domain", Strength.STRONG)
    assert "seed" in finding.sources and (finding.first_seen, finding.last_seen) == (t("2026-11-20"), t("2026-11-25"))
