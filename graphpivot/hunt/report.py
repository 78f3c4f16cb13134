"""The hunt report: ranked hosts and findings, evidence paths, ATT&CK ids, TLP, blind spots.

One Markdown text is the report (every value with its control characters and
Markdown punctuation escaped); HTML is the report's data through a Jinja2
template with autoescaping (:mod:`graphpivot.hunt.report_html`), so indicator
text can never inject markup; JSON carries the same content as data, with times in ISO 8601.

Markdown and HTML are for people and get forwarded: indicators are defanged there
(``evil[.]com``, ``hxxps://``) unless ``defang=False`` (``hunt --no-defang``). JSON is for
tools (``export stix --findings``): it keeps the real values, and each finding also carries
``indicator_defanged``. Every format names the most restrictive TLP marking of the intel the
report shows (the intel behind the findings and the indicators it could not check).
JSON stays proportional to the findings: queries are one entry per stored query (runs, rows,
seconds, the first run's parameters), with the Cypher only for the queries a finding or lead came from.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from graphpivot.attack import describe
from graphpivot.hunt.blindspots import CHANNEL_NAMES, CHANNELS
from graphpivot.hunt.defang import defang as defang_value
from graphpivot.hunt.defang import defang_step, defang_text
from graphpivot.hunt.model import Finding
from graphpivot.hunt.pack import HuntResult
from graphpivot.hunt.report_html import render_html
from graphpivot.hunt.vocabulary import Strength
from graphpivot.hunt.webservice_leads import Lead
from graphpivot.output import is_time_column, iso, terminal_safe
from graphpivot.tlp import RANK, label, strictest

REPORT_FORMATS = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".html": "html", ".htm": "html"}
MAX_ROWS = 200  # rows per table; the JSON report always has everything
LONG_TABLE = 25  # a longer table of unchecked indicators is summarised by counts in HTML (whole in JSON)
MAX_HOSTS_LISTED = 20
CSS = (
    "body{font-family:system-ui,sans-serif;margin:0 auto;padding:0 1em 2em;max-width:90em;line-height:1.4}"
    ".tlp{font:bold 1.25em ui-monospace,monospace;background:#000;padding:.35em .8em;margin:.8em 0}"
    ".tlp-red{color:#ff2b2b}.tlp-amber,.tlp-amber-strict{color:#ffc000}.tlp-green{color:#33ff00}"
    ".tlp-clear,.tlp-white{color:#fff}.tlp-none{color:#ddd;font-weight:normal}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3;white-space:nowrap}"
    ".id{white-space:nowrap;font-family:ui-monospace,monospace;font-size:90%}"
    "details{margin:.6em 0}summary{cursor:pointer}summary h2,summary h3{display:inline}"
)


def report_format(path: Path) -> str:
    """``markdown``, ``json`` or ``html`` from the file name; a clear error otherwise."""
    fmt = REPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: report must end in .md, .json or .html")
    return fmt


def write_report(result: HuntResult, path: Path, *, defang: bool = True) -> str:
    """Write the report in the format the file name asks for; returns the format.

    ``defang`` applies to Markdown and HTML; JSON always keeps the real values (plus a defanged copy).
    """
    fmt = report_format(path)
    if fmt == "json":
        text = to_json(result)
    elif fmt == "markdown":
        text = to_markdown(result, defang=defang)
    else:
        text = to_html(result, defang=defang)
    path.write_text(text, encoding="utf-8")
    return fmt


# ---------------------------------------------------------------- JSON


def with_iso_times(value: Any) -> Any:
    """Epoch seconds under time-named keys to ISO 8601, recursively."""
    if isinstance(value, dict):
        return {k: iso(v) if is_time_column(k) else with_iso_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_iso_times(v) for v in value]
    return value


def finding_data(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON report keeps it: the real indicator and its defanged spelling."""
    data = finding.as_dict()
    data["indicator_defanged"] = defang_value(finding.indicator)
    return data


def to_data(result: HuntResult) -> dict[str, Any]:
    """The whole report as plain data (real, live values: see :func:`for_display`)."""
    data: dict[str, Any] = with_iso_times(
        {
            "generated_at": result.generated_at,
            "engine": result.engine,
            "tlp": tlp_marking(result),
            "options": asdict(result.options),
            "first_use_window": {"new_since": iso(result.new_since), "new_until": iso(result.new_until)},
            "summary": summary(result),
            "hosts": [h.as_dict() for h in result.hosts()],
            "findings": [finding_data(f) for f in result.findings],
            "marked": [finding_data(f) for f in result.marked],
            "leads": [lead.as_dict() for lead in result.leads],
            "blind_spots": result.blind.as_dict(),
            "queries": query_runs(result),
        }
    )
    return data


def tlp_marking(result: HuntResult) -> dict[str, Any]:
    """The most restrictive TLP of the intel the report shows, and how many items carry each level.

    The intel shown is the intel behind each finding (hidden ones included) and each indicator
    the hunt could not check; items whose intel carries no marking are counted as ``unmarked``.
    """
    levels: list[str | None] = [f.tlp for f in [*result.findings, *result.marked]]
    intel = result.exposure.intel
    levels += [intel[(u.kind, u.key)].tlp if (u.kind, u.key) in intel else None for u in result.blind.unchecked]
    counts = Counter(lvl or "unmarked" for lvl in levels)
    level = strictest(levels)
    return {
        "level": level,
        "label": label(level),
        "items": dict(sorted(counts.items(), key=lambda kv: RANK.get(kv[0], -1), reverse=True)),
    }


def query_runs(result: HuntResult) -> list[dict[str, Any]]:
    """One entry per stored query and engine: runs (chunks), rows, seconds and the first run's parameters.

    The Cypher is kept for the queries a finding or lead came from (to re-run the evidence);
    the others are in the catalogue (``graphpivot pivot show ID``) and in ``--explain``.
    """
    cited = {h for f in [*result.findings, *result.marked] for h in [*f.hunts, f.query_id]}
    cited |= {lead.hunt for lead in result.leads}
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for r in result.runs:
        entry = entries.get((r.query_id, r.engine))
        if entry is None:
            entry = entries[(r.query_id, r.engine)] = {
                "id": r.query_id, "engine": r.engine, "runs": 0, "rows": 0, "seconds": 0.0,
                "params": {k: short_param(v) for k, v in r.params.items()},
            }
            if r.query_id in cited:
                entry["cypher"] = r.cypher
        entry["runs"] += 1
        entry["rows"] += r.rows
        entry["seconds"] += r.seconds
    for entry in entries.values():
        entry["seconds"] = round(entry["seconds"], 4)
    return list(entries.values())


PARAM_ITEMS_SHOWN = 20  # a list parameter (every indicator of a chunk) is shown by its head and its size


def short_param(value: Any) -> Any:
    """A parameter as the report keeps it: long lists cut to their first items plus a count."""
    if isinstance(value, list) and len(value) > PARAM_ITEMS_SHOWN:
        return {"first": value[:PARAM_ITEMS_SHOWN], "count": len(value)}
    return value


def to_json(result: HuntResult) -> str:
    return json.dumps(to_data(result), indent=1, default=str) + "\n"


def summary(result: HuntResult) -> dict[str, Any]:
    by_strength = {s.label: 0 for s in sorted(Strength, reverse=True)}
    for finding in result.findings:
        by_strength[finding.strength.label] += 1
    return {
        "findings": len(result.findings),
        "findings_by_strength": by_strength,
        "leads": len(result.leads),
        "hosts": len(result.hosts()),
        "indicators": len(result.exposure.intel),
        "indicators_unchecked": len(result.blind.unchecked),
        "infrastructure_reached": result.exposure.reached,
        "outside_window": result.exposure.outside_window,
        "queries": len(result.runs),
        "query_seconds": round(sum(r.seconds for r in result.runs), 3),
    }


def _defang_finding(f: dict[str, Any]) -> None:
    f["indicator"] = defang_value(f.get("indicator"))
    f["touched"] = [defang_value(t) for t in f.get("touched") or []]
    f["path"] = [defang_step(step) for step in f.get("path") or []]
    pivot = f.get("pivot")
    if isinstance(pivot, dict):
        pivot["seed"] = defang_value(pivot.get("seed"))
        pivot["via"] = [defang_value(v) for v in pivot.get("via") or []]


def for_display(data: dict[str, Any], *, defang: bool = True) -> dict[str, Any]:
    """The report data as Markdown and HTML show it: indicator values defanged unless ``defang`` is False.

    Defanged: each finding's indicator, what the host touched, the evidence path's non-host steps and the
    pivot's seed and route; the hosts' indicators; the leads' subjects and the URLs in their summaries;
    the unchecked indicators. Hosts (internal assets) stay as they are.
    """
    shown = copy.deepcopy(data)
    if not defang:
        return shown
    for f in [*shown.get("findings", []), *shown.get("marked", [])]:
        _defang_finding(f)
    for h in shown.get("hosts", []):
        h["indicators"] = [defang_value(i) for i in h.get("indicators") or []]
    for lead in shown.get("leads", []):
        lead["subject"] = defang_value(lead.get("subject"))
        lead["summary"] = defang_text(lead.get("summary"))
    for u in shown.get("blind_spots", {}).get("unchecked", []):
        u["key"] = defang_value(u.get("key"))
    return shown


# ---------------------------------------------------------------- Markdown


def code(value: Any) -> str:
    """A value as a Markdown code span, safe inside a table cell (CR, LF and other controls escaped)."""
    text = terminal_safe(value).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else ""


def plain(value: Any) -> str:
    """Free text for a table cell: control characters and Markdown punctuation escaped."""
    text = terminal_safe(value)
    for char in "\\`*_{}[]<>#|!":
        text = text.replace(char, "\\" + char)
    return text


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _time(value: int | None) -> str:
    return str(iso(value)) if value is not None else "open"


def _more(shown: int, total: int, what: str) -> list[str]:
    return [f"\n_{total - shown} more {what} are in the JSON report._"] if total > shown else []


def _identity(value: Any) -> Any:
    return value


class _Show:
    """How Markdown spells indicator values: defanged (the default) or live."""

    def __init__(self, defang: bool) -> None:
        self.value = defang_value if defang else _identity
        self.step = defang_step if defang else _identity
        self.text = defang_text if defang else _identity


def _techniques(ids: list[str]) -> str:
    """``T1071.004 DNS, T1102 Web Service``: ids with their ATT&CK names."""
    return ", ".join(f"{t} {name}" if (name := describe(t)["name"]) else t for t in ids)


def _findings_section(findings: list[Finding], show: _Show) -> list[str]:
    lines = ["## Exposure findings", ""]
    if not findings:
        return [*lines, "No internal host touched an indicator (see the blind spots before reading this as clean)."]
    shown = findings[:MAX_ROWS]
    rows = [
        [str(n), plain(f.strength.label), f"{f.confidence:.2f}", code(f.host), code(show.value(f.indicator)),
         plain(f.evidence),
         _time(f.first_seen), _time(f.last_seen), plain(_techniques(f.attack)), code(", ".join(f.sources))]
        for n, f in enumerate(shown, 1)
    ]
    lines += table(
        ["#", "strength", "confidence", "host", "indicator", "evidence", "first seen", "last seen", "ATT&CK", "intel"],
        rows,
    )
    lines += _more(len(shown), len(findings), "findings")
    lines += ["", "### Evidence paths", ""]
    for n, f in enumerate(shown, 1):
        lines.append(f"{n}. {code(' '.join(show.step(step) for step in f.path))}")
        details = [f"{f.observations} observation(s), {f.count} event(s)"]
        if f.bytes_out:
            details.append(f"{f.bytes_out:,} bytes out")
        if f.pivot is not None:
            details.append(f"pivot from {code(show.value(f.pivot.seed))} stage {f.pivot.stage}, "
                           f"max degree {f.pivot.max_degree}")
        details.append(f"valid {_time(f.valid_from)} .. {_time(f.valid_until)}")
        if f.threats:
            details.append("threats " + ", ".join(code(t) for t in f.threats))
        if f.intel_techniques:
            details.append("intel ATT&CK " + plain(_techniques(f.intel_techniques)))
        details.append("telemetry " + ", ".join(code(t) for t in f.telemetry))
        if f.events:  # what to pull from the SIEM (Zeek uid, EVE flow_id, community_id, file:line)
            details.append("raw events " + ", ".join(code(e) for e in f.events))
        lines.append("   " + "; ".join(details) + ".")
        if f.reasons:
            lines.append("   Graded: " + plain("; ".join(f.reasons)) + ".")
    return lines


def _leads_section(leads: list[Lead], show: _Show) -> list[str]:
    lines = ["## Web-service hunts (AN2028: T1102, T1567, T1583.006)", ""]
    if not leads:
        return [*lines, "No web-service lead."]
    shown = leads[:MAX_ROWS]
    rows = [
        [str(n), plain(lead.strength.label), f"{lead.confidence:.2f}", code(lead.host), plain(lead.hunt),
         plain(show.text(lead.summary)), plain("; ".join(lead.reasons)), _time(lead.first_seen), _time(lead.last_seen),
         plain(", ".join(lead.attack))]
        for n, lead in enumerate(shown, 1)
    ]
    lines += table(
        ["#", "strength", "confidence", "host", "hunt", "what", "why", "first seen", "last seen", "ATT&CK"], rows
    )
    return lines + _more(len(shown), len(leads), "leads")


def _hosts_line(hosts: list[str]) -> str:
    listed = ", ".join(code(h) for h in hosts[:MAX_HOSTS_LISTED])
    return listed + (f" and {len(hosts) - MAX_HOSTS_LISTED} more" if len(hosts) > MAX_HOSTS_LISTED else "")


def _blind_section(result: HuntResult, show: _Show) -> list[str]:
    blind = result.blind
    lines = ["## Blind spots", "", "What the hunt could not see: no finding there means *not looked at*, not *clean*."]
    lines.append("")
    if blind.silent_hosts:
        lines.append(f"- **Hosts with no telemetry at all** ({len(blind.silent_hosts)} of {blind.hosts}): "
                     + _hosts_line(blind.silent_hosts))
    for channel in (c for c in CHANNELS if c not in blind.missing_channels):
        hosts = [h for h in blind.hosts_without.get(channel, []) if h not in blind.silent_hosts]
        if hosts:
            lines.append(f"- Hosts without {CHANNEL_NAMES[channel]} ({len(hosts)}): {_hosts_line(hosts)}")
    for channel in blind.missing_channels:
        lines.append(f"- **No {CHANNEL_NAMES[channel]} telemetry in the graph** for the window.")
    for channel, sources in blind.sources.items():
        spans = ", ".join(f"{_time(a)} .. {_time(b)}" for a, b in blind.coverage.get(channel, []))
        lines.append(f"- {CHANNEL_NAMES[channel]} from {', '.join(code(s) for s in sources)} covers {spans}.")
    for gap in blind.gaps:
        lines.append(f"- **Gap**: no {CHANNEL_NAMES[gap.channel]} from {_time(gap.start)} to {_time(gap.end)}.")
    if blind.outside_window:
        lines.append(f"- {blind.outside_window} observation(s) fell outside their indicator's validity window "
                     "and were not counted (IP reuse, look-ups after the report).")
    lines.append("- Telemetry edges are aggregates (first and last seen per host and target), so coverage is an "
                 "upper bound and first/last seen are clipped, not re-counted, at window edges.")
    if blind.unchecked:
        lines += ["", f"### Indicators that could not be checked ({len(blind.unchecked)})", ""]
        shown = blind.unchecked[:MAX_ROWS]
        lines += table(["kind", "indicator", "why"],
                       [[plain(u.kind), code(show.value(u.key)), plain(u.reason)] for u in shown])
        lines += _more(len(shown), len(blind.unchecked), "unchecked indicators")
    return lines


def to_markdown(result: HuntResult, *, defang: bool = True) -> str:
    """The report as Markdown, its indicators defanged unless ``defang`` is False."""
    show = _Show(defang)
    s = summary(result)
    tlp = tlp_marking(result)
    strengths = ", ".join(f"{n} {label}" for label, n in s["findings_by_strength"].items() if n)
    window = f"{_time(result.options.since)} .. {_time(result.options.until)}"
    lines = [
        f"**{tlp['label']}**" if tlp["label"] else "**No TLP marking** on the intel behind this report.",
        "",
        "# graphpivot hunt report",
        "",
        f"Generated {iso(result.generated_at)} on {result.engine}. Hunt window {window}; first-use window "
        f"{_time(result.new_since)} .. {_time(result.new_until)}. Times are UTC. Evidence strength, strongest first: "
        "exact URL or client fingerprint > exact domain or IP > subdomain or URL site > infrastructure reached "
        "through a low-degree attribute > a web-service domain alone.",
        "",
        "## Summary",
        "",
        *table(
            ["what", "count"],
            [
                ["exposure findings (host, indicator)", f"{s['findings']} ({strengths or 'none'})"],
                ["web-service leads", str(s["leads"])],
                ["hosts with a finding or lead", str(s["hosts"])],
                ["indicators checked", f"{s['indicators'] - len(result.exposure.unchecked)} of {s['indicators']}"],
                ["infrastructure reached by expansion", str(s["infrastructure_reached"])],
                ["queries run", f"{s['queries']} in {s['query_seconds']} s"],
            ],
        ),
        "",
        "## Hosts, ranked",
        "",
    ]
    hosts = result.hosts()
    lines += table(
        ["#", "host", "strongest", "confidence", "findings", "leads", "evidence", "indicators", "first seen",
         "last seen"],
        [
            [str(n), code(h.host), plain(h.strength.label), f"{h.confidence:.2f}", str(h.findings), str(h.leads),
             plain(", ".join(h.evidence)), code(", ".join(show.value(i) for i in h.indicators)), _time(h.first_seen),
             _time(h.last_seen)]
            for n, h in enumerate(hosts[:MAX_ROWS], 1)
        ],
    )
    lines += _more(min(len(hosts), MAX_ROWS), len(hosts), "hosts")
    lines += ["", *_findings_section(result.findings, show), "", *_leads_section(result.leads, show), "",
              *_blind_section(result, show)]
    if result.marked:
        lines += ["", f"## Hidden by triage marks ({len(result.marked)})", ""]
        lines += table(
            ["host", "indicator", "mark"],
            [[code(f.host), code(show.value(f.indicator)), plain(f.reasons[-1])] for f in result.marked[:MAX_ROWS]],
        )
    lines += ["", "## Queries run", ""]
    lines += table(
        ["query", "engine", "rows", "seconds"],
        [[code(r.query_id), plain(r.engine), str(r.rows), f"{r.seconds:.3f}"] for r in result.runs],
    )
    lines.append("\nThe JSON report (and `--explain`) carries each query's Cypher and parameters.")
    return "\n".join(lines) + "\n"


def to_html(result: HuntResult, *, defang: bool = True) -> str:
    """The report as a standalone HTML page (Jinja2, autoescaped; see :mod:`graphpivot.hunt.report_html`)."""
    return render_html(for_display(to_data(result), defang=defang), CSS, MAX_ROWS, long_table=LONG_TABLE)
