"""Reference data is never silently missing: install it into any graph that lacks it, and record versions.

Three components, each a ``Reference`` node in the graph (key = component) with the
``version`` of the content installed:

* ``noise-list``: the noise list (``$GRAPHPIVOT_NOISE_FILE`` or the packaged one), version = digest of the file;
* ``webservices``: the web-service catalogue, version = digest of the file;
* ``warninglists``: the MISP warninglists of ``pymispwarninglists`` through graphpivot's meaning table
  (``$GRAPHPIVOT_LISTS_FILE`` on top), version = package version + digest of the table.

:func:`ensure_reference` runs whenever a command opens the graph: a component that is
missing, or whose version differs from what this installation would install, is
(re)installed, and the returned notes say so. ``db init`` runs :func:`install_all`,
which does the same unconditionally; results never depend on whether it ran.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphpivot.ingest import Ingestor, LoadSummary
from graphpivot.loaders.reference.webservice_catalogue import catalogue_path, read_web_services
from graphpivot.model import Node, Record, entity
from graphpivot.reference import noise_flags, warninglists
from graphpivot.reference.service_match import CATALOGUE_SOURCE, WebServiceIndex, link_existing
from graphpivot.store.base import GraphStore

REFERENCE_SOURCE = "reference"
COMPONENTS = ("noise-list", "webservices", "warninglists")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# ------------------------------------------------------------------ the catalogue (was in the CLI)


def catalogue_index(records: Iterable[Record]) -> WebServiceIndex:
    """The matching index of catalogue records (their WebService nodes)."""
    index = WebServiceIndex()
    for record in records:
        if isinstance(record, Node) and record.label == "WebService":
            index.add(record.key, record.props.get("domains", ()), record.props.get("url_prefixes", ()))
    return index


def install_catalogue(store: GraphStore, path: Path | None = None) -> LoadSummary:
    """Load the catalogue into an open store and link the Domains and URLs already there."""
    now = int(time.time())
    catalogue = list(read_web_services(path, observed_at=now))
    backfill = list(link_existing(store, catalogue_index(catalogue), now))
    return Ingestor(store, CATALOGUE_SOURCE, observed_at=now).run(itertools.chain(catalogue, backfill))


# ------------------------------------------------------------------ components


@dataclass
class Installed:
    """What one component's installation did, for the notes and ``db status``."""

    component: str
    version: str
    entries: int
    origin: str
    seconds: float
    detail: str = ""


def _noise(store: GraphStore) -> Installed:
    started = time.perf_counter()
    path = noise_flags.configured_noise_file()
    rules, rejects = noise_flags.install(store, path)
    detail = f"{len(rejects)} bad lines" if rejects else ""
    return Installed("noise-list", _digest(path), rules, str(path), time.perf_counter() - started, detail)


def _webservices(store: GraphStore) -> Installed:
    started = time.perf_counter()
    path = catalogue_path()
    summary = install_catalogue(store, path)
    detail = f"{summary.edges.get('OPERATED_BY', 0)} OPERATED_BY links, {summary.rejected} rejected rows"
    return Installed("webservices", _digest(path), summary.nodes.get("WebService", 0), str(path),
                     time.perf_counter() - started, detail)


def _warninglists(store: GraphStore) -> Installed:
    started = time.perf_counter()
    index = warninglists.configured_index()
    stats = warninglists.apply_lists(store, index)
    detail = (f"{len(set(index.names))} lists, {stats.listed} of {stats.nodes} Domain/IP nodes listed; "
              f"index built in {index.build_seconds:.1f} s, applied in {stats.seconds:.1f} s")
    if index.rejects:
        detail += f"; {len(index.rejects)} bad table lines"
    origin = str(warninglists.override_table() or warninglists.packaged_table())
    return Installed("warninglists", index.version, index.entries, origin, time.perf_counter() - started, detail)


def wanted_versions() -> dict[str, str]:
    """The version of each component this installation would install (cheap: no lists are read)."""
    return {
        "noise-list": _digest(noise_flags.configured_noise_file()),
        "webservices": _digest(catalogue_path()),
        "warninglists": warninglists.configured_version(),
    }


_INSTALLERS: dict[str, Callable[[GraphStore], Installed]] = {
    "noise-list": _noise,
    "webservices": _webservices,
    "warninglists": _warninglists,
}


def installed(store: GraphStore) -> dict[str, dict[str, Any]]:
    """The ``Reference`` nodes of the graph, by component."""
    rows = store.read(
        "MATCH (r:Reference) RETURN r.key AS key, r.version AS version, r.entries AS entries, "
        "r.installed_at AS installed_at, r.origin AS origin"
    )
    return {str(r["key"]): r for r in rows}


def _record(store: GraphStore, done: Installed) -> None:
    node = entity("Reference", done.component, version=done.version, entries=done.entries,
                  installed_at=int(time.time()), origin=done.origin)
    Ingestor(store, REFERENCE_SOURCE).run([node])


def install(store: GraphStore, components: Iterable[str] = COMPONENTS) -> list[Installed]:
    """Install these components now and record their versions."""
    store.init_schema()
    done = []
    for name in components:
        result = _INSTALLERS[name](store)
        _record(store, result)
        done.append(result)
    return done


def install_all(store: GraphStore) -> list[Installed]:
    """Every component, whatever the graph holds (``db init``)."""
    return install(store, COMPONENTS)


def stale(store: GraphStore) -> dict[str, str]:
    """Components that are missing or older than this installation's, with why."""
    have = installed(store)
    out = {}
    for name, version in wanted_versions().items():
        known = have.get(name)
        if known is None:
            out[name] = "missing"
        elif known["version"] != version:
            out[name] = f"installed {known['version']}, package has {version}"
    return out


def ensure_reference(store: GraphStore) -> list[str]:
    """Install what is missing or out of date; one note per component installed (nothing when all is current)."""
    store.init_schema()
    todo = stale(store)
    notes = []
    for done in install(store, [c for c in COMPONENTS if c in todo]):
        notes.append(
            f"reference data {done.component} {todo[done.component]}: installed {done.version} "
            f"({done.entries} entries{', ' + done.detail if done.detail else ''}) in {done.seconds:.1f} s"
        )
    return notes
