"""What an enricher is, what it looks up and what one lookup returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from graphpivot.model import Node, Record, entity

# Outcomes that are an answer from the service: the target needs no retry until --max-age.
ANSWERED = frozenset(
    {"ok", "nxdomain", "nodata", "not_found", "expired", "self_signed", "not_yet_valid", "reserved"}
)
# Failures worth another attempt within the run (the service may answer next time).
TRANSIENT = frozenset({"timeout", "servfail", "unreachable", "http_error", "partial", "error"})
# Planned by a run that has not looked the target up yet.
PENDING = "pending"
# The RDAP service when none is configured: ipwhois's bootstrap redirector (``ipwhois.rdap.BOOTSTRAP_URL``).
DEFAULT_RDAP_URL = "https://rdap-bootstrap.arin.net/bootstrap"


@dataclass(frozen=True, order=True)
class Target:
    """A node to enrich (``label``, canonical ``key``), with a port for services that need one."""

    label: str
    key: str
    port: int | None = None

    @property
    def ref(self) -> str:
        """``key`` or ``key:port`` (``[v6]:port``): the target part of its Enrichment key."""
        if self.port is None:
            return self.key
        host = f"[{self.key}]" if ":" in self.key else self.key
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.label} {self.ref}"

    @classmethod
    def from_ref(cls, label: str, ref: str) -> Target:
        """The inverse of :attr:`ref`."""
        if ref.startswith("["):
            host, _, port = ref[1:].partition("]:")
            return cls(label, host, int(port))
        host, sep, port = ref.rpartition(":")
        if sep and port.isdigit() and ":" not in host:
            return cls(label, host, int(port))
        return cls(label, ref)


@dataclass
class Lookup:
    """The result of one attempt at one target: its records and how it ended."""

    target: Target
    outcome: str
    reason: str
    records: list[Record] = field(default_factory=list)
    attempts: int = 1

    @property
    def answered(self) -> bool:
        """True when the service gave an answer (even "no such name"), False for failures."""
        return self.outcome in ANSWERED

    @property
    def transient(self) -> bool:
        return self.outcome in TRANSIENT


class Enricher(Protocol):
    """One service: ``lookup`` never raises for network or data problems, it returns an outcome."""

    job: str
    labels: tuple[str, ...]
    # False for a service that answers from its own records (passive DNS): nothing reaches the target,
    # so indicator infrastructure needs no --active.
    touches_targets: bool
    # True for a service whose answers are history (passive DNS): edges keep the service's own first/last
    # seen and count; an edge this source already holds is merged with count 0, so a re-run adds nothing.
    history: bool

    def lookup(self, target: Target, observed_at: int) -> Lookup:
        """One attempt; records carry ``observed_at`` as their time."""

    def describe(self) -> str:
        """What the job will contact, for the plan shown before it runs."""


def enrichment_key(job: str, target: Target) -> str:
    return f"{job}:{target.label}:{target.ref}"


def run_key(job: str) -> str:
    return f"{job}:run"


def outcome_node(job: str, lookup: Lookup, *, run: str, observed_at: int) -> Node:
    """The Enrichment record of one target: finished, or ``pending`` while its run is under way."""
    return entity(
        "Enrichment",
        enrichment_key(job, lookup.target),
        job=job,
        target_kind=lookup.target.label,
        target=lookup.target.ref,
        outcome=lookup.outcome,
        reason=lookup.reason,
        attempts=lookup.attempts,
        run=run,
        checked_at=observed_at,
        first_seen=observed_at,
        last_seen=observed_at,
    )
