"""Shared CLI state: settings, opening the store, error exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from graphpivot.config import Settings, from_env
from graphpivot.reference.install import ensure_reference
from graphpivot.store import GraphStore, StoreUnavailable, open_store

err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@dataclass
class State:
    """What every command needs: the settings."""

    settings: Settings

    @classmethod
    def from_options(cls, *, engine: str | None, db_path: Path | None) -> State:
        settings = from_env()
        if engine:
            settings.engine = engine
        if db_path is not None:
            settings.db_path = db_path
            settings.engine = settings.engine or "ladybug"
        return cls(settings)

    @contextmanager
    def store(self, *, reference: bool = True) -> Iterator[GraphStore]:
        """Open the configured store, or exit with a message saying how to fix it.

        With ``reference`` (the default) reference data that is missing or older than this
        installation's (noise list, web-service catalogue, warninglists) is installed first, and a
        note on stderr says so: results never depend on whether ``db init`` ran.
        """
        try:
            store = open_store(self.settings)
        except StoreUnavailable as exc:
            fail(str(exc))
        try:
            if reference:
                for note in ensure_reference(store):
                    err.print(note, markup=False)
            yield store
        finally:
            store.close()


def state(ctx: typer.Context) -> State:
    """The :class:`State` the root callback put on the context."""
    obj = ctx.find_root().obj
    if not isinstance(obj, State):
        obj = State.from_options(engine=None, db_path=None)
        ctx.find_root().obj = obj
    return obj
