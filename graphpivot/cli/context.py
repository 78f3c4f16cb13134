"""Shared CLI state: settings, opening the store, error exits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import typer
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

from graphpivot.config import ConfigError, Settings, from_env
from graphpivot.output import SafeConsole, markup_value
from graphpivot.reference.install import ensure_reference
from graphpivot.store import GraphStore, StoreUnavailable, open_store

err = SafeConsole(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {markup_value(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@dataclass
class State:
    """What every command needs: the settings."""

    settings: Settings

    @classmethod
    def from_options(cls, *, engine: str | None, db_path: Path | None, profile: str | None = None) -> State:
        try:
            settings = from_env(profile=profile)
        except ConfigError as exc:
            fail(str(exc))
        if engine:
            settings.engine = engine
        if db_path is not None:
            settings.db_path = db_path
            settings.engine = settings.engine or "ladybug"
        return cls(settings)

    @contextmanager
    def store(
        self, *, existing: bool = False, reference: bool = True, on_note: Callable[[str], None] | None = None
    ) -> Iterator[GraphStore]:
        """Open the configured store, or exit with a message saying how to fix it.

        ``existing``: a read command; an embedded database that does not exist is refused (a mistyped
        ``--db`` would otherwise be created empty and answer "nothing found").
        With ``reference`` (the default) reference data that is missing or older than this
        installation's (noise list, web-service catalogue, warninglists) is installed first, and a
        note on stderr (or to ``on_note``) says so: results never depend on whether ``db init`` ran.
        """
        path = self.settings.db_path
        if existing and self.settings.resolved_engine == "ladybug" and not path.exists():
            fail(f"no embedded database at {path}; check --db / GRAPHPIVOT_DB, load data into it, "
                 "or create it with 'graphpivot db init'")
        try:
            store = open_store(self.settings)
        except StoreUnavailable as exc:
            fail(str(exc))
        try:
            if reference:
                for note in ensure_reference(store):
                    (on_note or _note)(note)
            yield store
        except (ServiceUnavailable, SessionExpired, TransientError) as exc:
            # The server went away (stopped, restarted, network) for longer than the driver's retries
            # last. Each batch is its own transaction and loads merge, so the same command run again
            # completes the graph; store.location is the URI without credentials (check_uri).
            reason = " ".join(str(exc).split()) or type(exc).__name__
            fail(f"lost the connection to Neo4j at {store.location} ({type(exc).__name__}: {reason[:300]}); "
                 "what was committed before stays: run the same command again once the server is back "
                 "(a load merges, so a rerun completes it)")
        finally:
            store.close()


def _note(text: str) -> None:
    err.print(text, markup=False)


def state(ctx: typer.Context) -> State:
    """The :class:`State` the root callback put on the context."""
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State.from_options(engine=None, db_path=None)
        ctx.find_root().obj = obj
    return obj
