"""``graphpivot demo``: a realistic scenario in a throwaway embedded graph, hunted, scored against its truth."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from graphpivot.catalog import Catalog
from graphpivot.config import Settings
from graphpivot.demo_scenario import EXPOSED, NOT_EXPOSED, SEED, SOURCE, WINDOW, scenario, t
from graphpivot.hunt.model import Options
from graphpivot.hunt.pack import HuntResult, run_hunt
from graphpivot.hunt.report import report_format, write_report
from graphpivot.hunt.runner import Runner
from graphpivot.hunt.vocabulary import Strength
from graphpivot.ingest import Ingestor
from graphpivot.maintenance import refresh
from graphpivot.output import SafeConsole, iso, render
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

out = SafeConsole(markup=True)  # the demo's own text; graph values go through render()

# What a pivot without hub or time rules does: every domain sharing any IP or name server with an
# indicator domain, every domain on an indicator IP, and every host that ever resolved one of them.
NAIVE_TWO_HOP = """
MATCH (i:Domain)-[:RESOLVES_TO]->(:IP)<-[:RESOLVES_TO]-(d:Domain)<-[:QUERIED]-(h:Host)
WHERE i.indicator = true
RETURN DISTINCT h.key AS host
UNION
MATCH (i:Domain)-[:NS]->(:Domain)<-[:NS]-(d:Domain)<-[:QUERIED]-(h:Host)
WHERE i.indicator = true
RETURN DISTINCT h.key AS host
UNION
MATCH (ip:IP)<-[:RESOLVES_TO]-(d:Domain)<-[:QUERIED]-(h:Host)
WHERE ip.indicator = true
RETURN DISTINCT h.key AS host
UNION
MATCH (h:Host)-[:QUERIED]->(i:Domain)
WHERE i.indicator = true
RETURN DISTINCT h.key AS host
"""


def naive_hosts(store: GraphStore) -> set[str]:
    """Hosts a naive, unbounded two-hop expansion from the indicators would blame."""
    return {row["host"] for row in store.read(NAIVE_TWO_HOP)}


def reported_hosts(result: HuntResult, floor: Strength = Strength.LOW) -> set[str]:
    """Hosts with an exposure finding at or above ``floor`` (weak findings are leads, not verdicts)."""
    return {f.host for f in result.findings if f.strength >= floor}


def score(flagged: set[str]) -> dict[str, Any]:
    """True and false positives against the scenario's ground truth."""
    truth = set(EXPOSED)
    hits = flagged & truth
    return {
        "flagged": len(flagged),
        "true_positives": len(hits),
        "false_positives": len(flagged - truth),
        "missed": sorted(truth - flagged),
        "precision": len(hits) / len(flagged) if flagged else 1.0,
        "recall": len(hits) / len(truth),
    }


def _verdict(host: str) -> str:
    if host in EXPOSED:
        return "exposed: " + EXPOSED[host]
    if host in NOT_EXPOSED:
        return "trap: " + NOT_EXPOSED[host]
    return "benign"


def demo(
    report: Annotated[
        Path | None, typer.Option("--report", "-r", help="Also write the hunt report: FILE.md, FILE.json or FILE.html.")
    ] = None,
) -> None:
    """Build a realistic enterprise in a temporary embedded graph, hunt in it, and score the hunt against the truth."""
    if report is not None:
        try:
            report_format(report)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--report") from None
    with tempfile.TemporaryDirectory(prefix="graphpivot-demo-") as tmp:
        store = LadybugStore(Path(tmp) / "demo.lbdb", query_timeout=Settings().query_timeout)
        try:
            store.init_schema()
            summary = Ingestor(store, SOURCE).run(scenario())
            refresh(store)
            out.print(
                f"[bold]1. Loaded the demo enterprise[/]: {sum(summary.nodes.values())} node and "
                f"{sum(summary.edges.values())} edge upserts. An actor report (valid {WINDOW[0]}..{WINDOW[1]}) names "
                f"{SEED}, cdn-sync.net, 203.0.113.10, a paste URL and an implant JA3; 60 workstations browse CDN "
                "sites, shops, a paste site and an IP-lookup service; a bakery took the actor's IP in November."
            )
            pivot = Catalog().get("shared-ip")
            out.print(f"\n[bold]2. Pivot[/] shared-ip from {SEED}: hub IPs skipped, times must overlap.")
            rows = store.read(pivot.cypher_for(store.engine), pivot.bind({"seed": SEED}))
            render(rows, "table", pivot.header.columns)
            result = run_hunt(Runner(store), Options(expand=True), new_since=t(WINDOW[0]))
            _show(result, naive_hosts(store))
            if report is not None:
                write_report(result, report)
                out.print(f"\nReport written to {report}.")
        finally:
            store.close()


def _show(result: HuntResult, naive: set[str]) -> None:
    out.print("\n[bold]3. Hunt[/] (graphpivot hunt): every indicator, expanded, graded; hosts ranked:")
    rows = [{**h.as_dict(), "truth": _verdict(h.host)} for h in result.hosts() if h.strength > Strength.WEAK]
    render(rows, "table", ["host", "strength", "confidence", "evidence", "indicators", "truth"])
    weak = sorted({f.host for f in result.findings if f.strength == Strength.WEAK} - reported_hosts(result))
    out.print(f"Weak only (a popular web service, or a 'suspicious' IP-lookup service): {len(weak)} hosts, "
              f"{sum(h in EXPOSED for h in weak)} of them truly exposed: listed for review, not blamed.")
    ours, theirs = score(reported_hosts(result)), score(naive)
    out.print(
        f"\n[bold]4. Against the truth[/] ({len(EXPOSED)} exposed hosts): graded hunt flags {ours['flagged']}, "
        f"{ours['true_positives']} true, {ours['false_positives']} false (precision {ours['precision']:.0%}, "
        f"recall {ours['recall']:.0%}). A naive unbounded 2-hop expansion flags {theirs['flagged']}: "
        f"{theirs['true_positives']} true, {theirs['false_positives']} false (precision {theirs['precision']:.0%}, "
        f"recall {theirs['recall']:.0%}); the hub and time rules removed those false positives."
    )
    out.print("\n[bold]5. Web-service hunts[/] (AN2028: paste C2, exfiltration, C2 client fingerprints):")
    render([lead.as_dict() for lead in result.leads if lead.strength > Strength.WEAK], "table",
           ["host", "strength", "hunt", "summary"])
    blind = result.blind
    out.print(f"\n[bold]6. Blind spots[/]: {len(blind.silent_hosts)} host(s) with no telemetry "
              f"({', '.join(blind.silent_hosts)}); {len(blind.unchecked)} indicator(s) not checkable "
              f"({', '.join(u.kind for u in blind.unchecked)}); {result.exposure.outside_window} observation(s) "
              "outside the report's validity window dropped.")
    for gap in blind.gaps:
        out.print(f"  no {gap.channel} telemetry {iso(gap.start)} .. {iso(gap.end)}")
    out.print("\nNext: 'graphpivot pivot list', 'graphpivot exposure --all-indicators --expand', "
              "'graphpivot hunt --report hunt.html' on your own data.")

