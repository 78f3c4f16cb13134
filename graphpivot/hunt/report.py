"""The hunt report: ranked hosts and findings, evidence paths, ATT&CK ids, blind spots.

One Markdown text is the report (every value with its control characters and
Markdown punctuation escaped); HTML is the report's data through a Jinja2
template with autoescaping (:mod:`graphpivot.hunt.report_html`), so indicator
text can never inject markup; JSON carries the same content as data, with times in ISO 8601.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from graphpivot.hunt.blindspots import CHANNEL_NAMES, CHANNELS
from graphpivot.hunt.model import Finding
from graphpivot.hunt.pack import HuntResult
from graphpivot.hunt.report_html import render_html
from graphpivot.hunt.vocabulary import Strength
from graphpivot.hunt.webservice_leads import Lead
from graphpivot.output import is_time_column, iso, terminal_safe

REPORT_FORMATS = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".html": "html", ".htm": "html"}
MAX_ROWS = 200  # rows per table; the JSON report always has everything
MAX_HOSTS_LISTED = 20
CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:80em;line-height:1.4}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;"
    "vertical-align:top}th{background:#f3f3f3}code{font-size:90%;word-break:break-all}"
)


def report_format(path: Path) -> str:
    """``markdown``, ``json`` or ``html`` from the file name; a clear error otherwise."""
    fmt = REPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: report must end in .md, .json or .html")
    return fmt


def write_report(result: HuntResult, path: Path) -> str:
    """Write the report in the format the file name asks for; returns the format."""
    fmt = report_format(path)
    text = {"markdown": to_markdown, "json": to_json, "html": to_html}[fmt](result)
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


def to_data(result: HuntResult) -> dict[str, Any]:
    """The whole report as plain data."""
    data: dict[str, Any] = with_iso_times(
        {
            "generated_at": result.generated_at,
            "engine": result.engine,
            "options": asdict(result.options),
            "first_use_window": {"new_since": result.new_since, "new_until": result.new_until},
            "summary": summary(result),
            "hosts": [h.as_dict() for h in result.hosts()],
            "findings": [f.as_dict() for f in result.findings],
            "marked": [f.as_dict() for f in result.marked],
            "leads": [lead.as_dict() for lead in result.leads],
            "blind_spots": result.blind.as_dict(),
            "queries": [
                {"id": r.query_id, "engine": r.engine, "rows": r.rows, "seconds": round(r.seconds, 4),
                 "cypher": r.cypher, "params": {k: short_param(v) for k, v in r.params.items()}}
                for r in result.runs
            ],
        }
    )
    return data


PARAM_ITEMS_SHOWN = 20  # a list parameter (every indicator of a chunk) is shown by its head and its size


def short_param(value: Any) -> Any:
    """A parameter as the report keeps it: long lists cut to their first items plus a count."""
    if isinstance(value, list) and len(value) > PARAM_ITEMS_SHOWN:
        return {"first": value[:PARAM_ITEMS_SHOWN], "count": len(value)}
    return value


def to_json(result: HuntResult) -> str:
    return json.dumps(to_data(result), indent=2, default=str) + "\n"


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


def _findings_section(findings: list[Finding]) -> list[str]:
    lines = ["## Exposure findings", ""]
    if not findings:
        return [*lines, "No internal host touched an indicator (see the blind spots before reading this as clean)."]
    shown = findings[:MAX_ROWS]
    rows = [
        [str(n), plain(f.strength.label), f"{f.confidence:.2f}", code(f.host), code(f.indicator), plain(f.evidence),
         _time(f.first_seen), _time(f.last_seen), plain(", ".join(f.attack)), code(", ".join(f.sources))]
        for n, f in enumerate(shown, 1)
    ]
    lines += table(
        ["#", "strength", "confidence", "host", "indicator", "evidence", "first seen", "last seen", "ATT&CK", "intel"],
        rows,
    )
    lines += _more(len(shown), len(findings), "findings")
    lines += ["", "### Evidence paths", ""]
    for n, f in enumerate(shown, 1):
        lines.append(f"{n}. {code(' '.join(f.path))}")
        details = [f"{f.observations} observation(s), {f.count} event(s)"]
        if f.bytes_out:
            details.append(f"{f.bytes_out:,} bytes out")
        if f.pivot is not None:
            details.append(f"pivot from {code(f.pivot.seed)} stage {f.pivot.stage}, max degree {f.pivot.max_degree}")
        details.append(f"valid {_time(f.valid_from)} .. {_time(f.valid_until)}")
        if f.threats:
            details.append("threats " + ", ".join(code(t) for t in f.threats))
        details.append("telemetry " + ", ".join(code(t) for t in f.telemetry))
        if f.events:  # what to pull from the SIEM (Zeek uid, EVE flow_id, community_id, file:line)
            details.append("raw events " + ", ".join(code(e) for e in f.events))
        lines.append("   " + "; ".join(details) + ".")
        if f.reasons:
            lines.append("   Graded: " + plain("; ".join(f.reasons)) + ".")
    return lines


def _leads_section(leads: list[Lead]) -> list[str]:
    lines = ["## Web-service hunts (AN2028: T1102, T1567, T1583.006)", ""]
    if not leads:
        return [*lines, "No web-service lead."]
    shown = leads[:MAX_ROWS]
    rows = [
        [str(n), plain(lead.strength.label), f"{lead.confidence:.2f}", code(lead.host), plain(lead.hunt),
         plain(lead.summary), plain("; ".join(lead.reasons)), _time(lead.first_seen), _time(lead.last_seen),
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


def _blind_section(result: HuntResult) -> list[str]:
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
        lines += table(["kind", "indicator", "why"], [[plain(u.kind), code(u.key), plain(u.reason)] for u in shown])
        lines += _more(len(shown), len(blind.unchecked), "unchecked indicators")
    return lines


def to_markdown(result: HuntResult) -> str:
    """The report as Markdown."""
    s = summary(result)
    strengths = ", ".join(f"{n} {label}" for label, n in s["findings_by_strength"].items() if n)
    window = f"{_time(result.options.since)} .. {_time(result.options.until)}"
    lines = [
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
             plain(", ".join(h.evidence)), code(", ".join(h.indicators)), _time(h.first_seen), _time(h.last_seen)]
            for n, h in enumerate(hosts[:MAX_ROWS], 1)
        ],
    )
    lines += _more(min(len(hosts), MAX_ROWS), len(hosts), "hosts")
    lines += ["", *_findings_section(result.findings), "", *_leads_section(result.leads), "", *_blind_section(result)]
    if result.marked:
        lines += ["", f"## Hidden by triage marks ({len(result.marked)})", ""]
        lines += table(
            ["host", "indicator", "mark"],
            [[code(f.host), code(f.indicator), plain(f.reasons[-1])] for f in result.marked[:MAX_ROWS]],
        )
    lines += ["", "## Queries run", ""]
    lines += table(
        ["query", "engine", "rows", "seconds"],
        [[code(r.query_id), plain(r.engine), str(r.rows), f"{r.seconds:.3f}"] for r in result.runs],
    )
    lines.append("\nThe JSON report (and `--explain`) carries each query's Cypher and parameters.")
    return "\n".join(lines) + "\n"


def to_html(result: HuntResult) -> str:
    """The report as a standalone HTML page (Jinja2, autoescaped; see :mod:`graphpivot.hunt.report_html`)."""
    return render_html(to_data(result), CSS, MAX_ROWS)
