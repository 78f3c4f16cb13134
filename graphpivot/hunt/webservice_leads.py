"""AN2028 web-service hunts: graded leads from the ``ws-*`` stored hunts.

Adversaries run C2 and exfiltration through paste sites, chat webhooks, tunnels
and file sharing that everyone may reach (ATT&CK T1102, T1567, T1583.006; analytic
AN2028). None of these leads names an indicator; each says what about the use of
a web service stands out: an adversary-shaped URL, a large upload, a service few
hosts use, a first use, or a client fingerprint known for C2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphpivot.hunt.model import Options
from graphpivot.hunt.processes import classify
from graphpivot.hunt.runner import Runner
from graphpivot.hunt.vocabulary import Strength


@dataclass
class Lead:
    """One host and one web-service observation worth a look."""

    hunt: str
    host: str
    subject: str
    strength: Strength
    confidence: float
    first_seen: int
    last_seen: int
    summary: str
    attack: list[str]
    reasons: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hunt": self.hunt,
            "host": self.host,
            "subject": self.subject,
            "strength": self.strength.label,
            "strength_rank": int(self.strength),
            "confidence": self.confidence,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "summary": self.summary,
            "attack": self.attack,
            "reasons": self.reasons,
            "detail": self.detail,
        }

    def sort_key(self) -> tuple[int, float, int, str, str]:
        return (-int(self.strength), -self.confidence, -self.last_seen, self.host, self.subject)


def _specific_url(row: dict[str, Any], options: Options) -> Lead:
    shared = row["users"] > options.rare_hosts
    reasons = [f"URL shaped like a per-adversary resource ({row['marker']!r})"]
    if shared:
        reasons.append(f"{row['users']} internal hosts request it: more likely a shared, benign resource")
    if "POST" in (row.get("methods") or []) or "PUT" in (row.get("methods") or []):
        reasons.append("the host sends data to it (POST/PUT)")
    where = f" on {row['service']}" if row.get("service") else ""
    return Lead(
        "ws-specific-url",
        row["host"],
        row["url"],
        Strength.LOW if shared else Strength.MEDIUM,
        0.3 if shared else 0.55,
        row["first_seen"],
        row["last_seen"],
        f"requested {row['url']}{where} {row['count']} time(s)",
        [],
        reasons,
    )


def _large_upload(row: dict[str, Any], options: Options) -> Lead:
    return Lead(
        "ws-large-upload",
        row["host"],
        row["service"],
        Strength.MEDIUM,
        0.55,
        row["first_seen"],
        row["last_seen"],
        f"sent {row['bytes_out']:,} bytes to {row['service']} ({row['channel']}: {row['target']})",
        [],
        [f"at least {options.upload_bytes:,} bytes out to a {row.get('category') or 'web'} service"],
    )


def _rare_service(row: dict[str, Any], options: Options) -> Lead:
    return Lead(
        "ws-rare-service",
        row["host"],
        row["service"],
        Strength.LOW,
        0.35,
        row["first_seen"],
        row["last_seen"],
        f"uses {row['service']} ({row.get('category') or 'web service'}, abused for "
        f"{', '.join(row.get('abuse') or []) or 'unknown'})",
        list(row.get("attack_ids") or []),
        [f"only {row['users']} internal host(s) use it (at most {options.rare_hosts})"],
    )


def _first_seen(row: dict[str, Any], options: Options) -> Lead:
    reasons = ["the host's first use of the service falls inside the hunt window"]
    if row["first_in_enterprise"]:
        reasons.append("no internal host used it before")
    return Lead(
        "ws-first-seen",
        row["host"],
        row["service"],
        Strength.LOW,
        0.4 if row["first_in_enterprise"] else 0.25,
        row["first_seen"],
        row["last_seen"],
        f"started using {row['service']} ({row.get('category') or 'web service'})",
        list(row.get("attack_ids") or []),
        reasons,
    )


def _c2_client(row: dict[str, Any], options: Options) -> Lead:
    shared = row["users"] > options.rare_hosts
    reasons = [f"client fingerprint tied to {', '.join(row['threats']) or 'an indicator'}"]
    if shared:
        reasons.append(f"{row['users']} internal hosts share it: possibly a common TLS library")
    if row.get("services"):
        reasons.append(f"meanwhile the host used {', '.join(row['services'])}")
    return Lead(
        "ws-c2-client",
        row["host"],
        row["fingerprint"],
        Strength.LOW if shared else Strength.STRONG,
        0.3 if shared else 0.7,
        row["first_seen"],
        row["last_seen"],
        f"TLS client {row['fingerprint']} ({', '.join(row['threats']) or 'indicator'})",
        [],
        reasons,
    )


LEAD_HUNTS: dict[str, Callable[[dict[str, Any], Options], Lead]] = {
    "ws-specific-url": _specific_url,
    "ws-large-upload": _large_upload,
    "ws-rare-service": _rare_service,
    "ws-first-seen": _first_seen,
    "ws-c2-client": _c2_client,
}


def web_service_leads(runner: Runner, options: Options, *, new_since: int, new_until: int) -> list[Lead]:
    """Run every ``ws-*`` hunt and grade its rows; ``new_since..new_until`` is the first-seen window."""
    window = {"since": options.since, "until": options.until}
    params: dict[str, dict[str, Any]] = {
        "ws-specific-url": window,
        "ws-large-upload": {**window, "min_bytes": options.upload_bytes, "tolerance": options.tolerance},
        "ws-rare-service": {**window, "max_hosts": options.rare_hosts},
        "ws-first-seen": {"since": new_since, "until": new_until},
        "ws-c2-client": {**window, "tolerance": options.tolerance},
    }
    leads: list[Lead] = []
    for hunt, make in LEAD_HUNTS.items():
        attack = runner.query(hunt).header.attack
        for row in runner.run(hunt, params[hunt]):
            lead = make(row, options)
            lead.attack = sorted({*attack, *lead.attack})
            lead.detail = row
            leads.append(lead)
    images = _process_images(runner, options)
    for lead in leads:
        grade_by_process(lead, images.get((lead.host, str(lead.detail.get("service")))))
    return sorted(leads, key=Lead.sort_key)


def _process_images(runner: Runner, options: Options) -> dict[tuple[str, str], set[str]]:
    """Per (host, web service) the process images endpoint telemetry saw reaching it (``ws-processes``)."""
    found: dict[tuple[str, str], set[str]] = {}
    params = {"since": options.since, "until": options.until, "tolerance": options.tolerance}
    for row in runner.run("ws-processes", params):
        found.setdefault((row["host"], row["service"]), set()).add(row["process"])
    return found


def grade_by_process(lead: Lead, images: set[str] | None) -> None:
    """A script host or user-folder binary reaching the service raises the lead one step, named in the reasons."""
    if not images:
        return
    classes = [classify(image) for image in sorted(images)]
    lead.detail = {**lead.detail, "processes": sorted(images)}
    raising = [c for c in classes if c.raises]
    if raising:
        lead.strength = Strength(min(int(lead.strength) + 1, int(Strength.VERY_STRONG)))
        lead.confidence = round(min(lead.confidence + 0.2, 0.95), 2)
        lead.reasons.append(
            "reached by " + "; ".join(c.describe() for c in raising) + ", not only by a browser"
        )
    elif all(c.kind == "browser" for c in classes):
        lead.reasons.append("only a browser reached it: " + ", ".join(sorted({c.name for c in classes})))
    else:
        lead.reasons.append("reached by " + ", ".join(sorted({c.name for c in classes})))
