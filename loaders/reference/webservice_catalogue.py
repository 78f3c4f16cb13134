"""The web-service catalogue: legitimate services adversaries abuse, as WebService nodes.

The catalogue is a CSV shipped in the package (``graphpivot/data/webservices.csv``)
or any file in the same shape: one row per ``domain`` (matching it and every name
under it) or per ``domain`` + ``url_prefix`` (matching URLs on that host whose
path starts there), with the service's ``slug``, ``name``, ``category``,
``abuse`` (c2, exfil, staging), ``attack_ids`` and ``source``; list cells are
``;``-separated and ``#`` lines are comments. Rows of one slug must agree on the
service's fields.

It yields a WebService per slug (carrying the domains and URL prefixes it
matches, which is how the ingest path links later loads), a Domain per catalogue
domain, and ``OPERATED_BY`` from each such Domain. Domains and URLs already in
the graph are linked by :func:`graphpivot.reference.service_match.link_existing`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from graphpivot.canonical import InvalidValue, canonical_domain
from graphpivot.model import Loaded, Node, Progress, Record, Reject, entity
from graphpivot.reference.service_match import WebServiceIndex, link_edge

CATEGORIES = ("paste", "file-share", "messaging", "code-hosting", "cloud-storage", "tunnel", "serverless", "social",
              "image-hosting")
ABUSE_TYPES = ("c2", "exfil", "staging")
COLUMNS = ("domain", "url_prefix", "slug", "name", "category", "abuse", "attack_ids", "source")
_ATTACK_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
_SERVICE_FIELDS = ("name", "category", "abuse", "attack_ids")


def catalogue_path() -> Path:
    """The catalogue shipped with graphpivot."""
    return Path(str(resources.files("graphpivot") / "data" / "webservices.csv"))


def read_web_services(path: Path | None = None, *, observed_at: int) -> Iterator[Record]:
    """Yield the catalogue's WebService and Domain nodes and their ``OPERATED_BY`` edges."""
    path = path or catalogue_path()
    services: dict[str, dict[str, Any]] = {}
    domain_rows: list[tuple[str, str]] = []
    lineno = rejected = 0
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(line for line in handle if not line.lstrip().startswith("#"))
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                yield Reject(str(path), None, f"catalogue lacks the columns {missing}", units=0)
                return
            for row in reader:
                lineno += 1
                try:
                    domain, prefix, slug, service = _parse(row)
                    _merge(services, slug, service)
                except InvalidValue as exc:
                    rejected += 1
                    yield Reject(str(path), lineno, str(exc), ",".join(str(v) for v in row.values()))
                    continue
                if prefix:
                    services[slug]["url_prefixes"].append(f"{domain}{prefix}")
                else:
                    services[slug]["domains"].append(domain)
                    domain_rows.append((domain, slug))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        # Nothing of a broken catalogue loads: the rows read so far are rejected with it.
        yield Reject(str(path), lineno or None, f"cannot read the catalogue: {exc}; nothing loaded",
                     units=lineno - rejected)
        yield Progress(str(path), lineno)
        return
    for slug, props in services.items():
        yield entity("WebService", slug, **props)
    index = WebServiceIndex()
    for slug, props in services.items():
        index.add(slug, props["domains"], props["url_prefixes"])
    for domain, _slug in domain_rows:
        yield Node("Domain", domain, {})
        best = index.match_domain(domain)
        if best is not None:
            yield link_edge("Domain", domain, best, observed_at)
    yield Loaded(str(path), lineno - rejected)
    yield Progress(str(path), lineno)


def _list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def _parse(row: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(domain, url prefix, slug, service fields) of one row; raises InvalidValue."""
    domain = canonical_domain(row.get("domain") or "")
    prefix = (row.get("url_prefix") or "").strip()
    if prefix and not prefix.startswith("/"):
        raise InvalidValue(f"url_prefix must start with '/': {prefix!r}")
    slug = entity("WebService", row.get("slug") or "").key
    category = (row.get("category") or "").strip()
    if category not in CATEGORIES:
        raise InvalidValue(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    abuse = _list(row.get("abuse"))
    if not abuse or any(a not in ABUSE_TYPES for a in abuse):
        raise InvalidValue(f"abuse {row.get('abuse')!r} must list some of {', '.join(ABUSE_TYPES)}")
    attack = _list(row.get("attack_ids"))
    bad = [a for a in attack if not _ATTACK_ID.match(a)]
    if bad:
        raise InvalidValue(f"not ATT&CK technique ids: {bad}")
    name = (row.get("name") or "").strip() or slug
    service = {"name": name, "category": category, "abuse": abuse, "attack_ids": attack,
               "references": _list(row.get("source"))}
    return domain, prefix, slug, service


def _merge(services: dict[str, dict[str, Any]], slug: str, service: dict[str, Any]) -> None:
    known = services.get(slug)
    if known is None:
        services[slug] = {**service, "domains": [], "url_prefixes": []}
        return
    differs = [f for f in _SERVICE_FIELDS if known[f] != service[f]]
    if differs:
        raise InvalidValue(f"rows of {slug!r} disagree on {', '.join(differs)}")
    known["references"] += [r for r in service["references"] if r not in known["references"]]
