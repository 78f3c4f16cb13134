"""Shared CLI state: settings, opening the store, error exits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from graphpivot.output import SafeConsole, markup_value

if TYPE_CHECKING:
    from graphpivot.config import Settings
    from graphpivot.store import GraphStore

err = SafeConsole(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {markup_value(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@dataclass
class State:
    """What every command needs: the root options, and the settings they select (read on first use)."""

    engine: str | None = None
    db_path: Path | None = None
    profile: str | None = None

    @classmethod
    def from_options(cls, *, engine: str | None, db_path: Path | None, profile: str | None = None) -> State:
        return cls(engine, db_path, profile)

    @cached_property
    def settings(self) -> Settings:
        """Config file profile, then ``GRAPHPIVOT_*`` variables, then the root options; exits on a bad config."""
        from graphpivot.config import ConfigError, from_env

        try:
            settings = from_env(profile=self.profile)
        except ConfigError as exc:
            fail(str(exc))
        if self.engine:
            settings.engine = self.engine
        if self.db_path is not None:
            settings.db_path = self.db_path
            settings.engine = settings.engine or "ladybug"
        return settings

    @contextmanager
    def store(
        self, *, existing: bool = False, reference: bool = True, on_note: Callable[[str], None] | None = None
    ) -> Iterator[GraphStore]:
        """Open the configured store, or exit with a message saying how to fix it.

        ``existing``: a read command. An embedded database that does not exist is refused (a mistyped
        ``--db`` would otherwise be created empty and answer "nothing found"), and it is opened
        read-only, so a scheduled job writing to it neither blocks nor is blocked by the analyst.
        With ``reference`` (the default) reference data that is missing or older than this
        installation's (noise list, web-service catalogue, warninglists) is installed first, and a
        note on stderr (or to ``on_note``) says so: results never depend on whether ``db init`` ran.
        """
        from graphpivot.store import StoreUnavailable

        read_only = existing and self.settings.resolved_engine == "ladybug"
        if read_only and not self.settings.db_path.exists():
            fail(f"no embedded database at {self.settings.db_path}; check --db / GRAPHPIVOT_DB, load data into it, "
                 "or create it with 'graphpivot db init'")
        try:
            store = self._open(read_only, reference, on_note or _note)
        except StoreUnavailable as exc:
            fail(str(exc))
        lost: tuple[type[Exception], ...] = ()
        if self.settings.resolved_engine == "neo4j":  # the driver (heavy to import) only when it is in use
            from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

            lost = (ServiceUnavailable, SessionExpired, TransientError)
        try:
            yield store
        except lost as exc:
            # The server went away (stopped, restarted, network) for longer than the driver's retries
            # last. Each batch is its own transaction and loads merge, so the same command run again
            # completes the graph; store.location is the URI without credentials (check_uri).
            reason = " ".join(str(exc).split()) or type(exc).__name__
            fail(f"lost the connection to Neo4j at {store.location} ({type(exc).__name__}: {reason[:300]}); "
                 "what was committed before stays: run the same command again once the server is back "
                 "(a load merges, so a rerun completes it)")
        finally:
            store.close()

    def _open(self, read_only: bool, reference: bool, note: Callable[[str], None]) -> GraphStore:
        """The store, its reference data brought up to date first when ``reference``.

        A read-only store whose schema or reference data is not current is reopened as a writer just long
        enough to bring them up to date (waiting for another writer as any write does), then opened read-only again.
        """
        from graphpivot.reference.install import ensure_reference, stale
        from graphpivot.store import open_store

        store = open_store(self.settings, read_only=read_only)
        if not reference:
            return store
        if read_only:
            from graphpivot.store.embedded import LadybugStore

            try:
                current = isinstance(store, LadybugStore) and store.schema_current() and not stale(store)
            except Exception:  # no schema yet: the writer below creates it
                current = False
            if current:
                return store
            store.close()
            store = open_store(self.settings)
        try:
            for line in ensure_reference(store):
                note(line)
        except BaseException:
            store.close()
            raise
        if read_only:
            store.close()
            store = open_store(self.settings, read_only=True)
        return store


def _note(text: str) -> None:
    err.print(text, markup=False)


def state(ctx: typer.Context) -> State:
    """The :class:`State` the root callback put on the context."""
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State.from_options(engine=None, db_path=None)
        ctx.find_root().obj = obj
    return obj
