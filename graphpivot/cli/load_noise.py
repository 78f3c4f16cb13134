"""``graphpivot load noise``: the noise list (CDNs, parking, registrar NS, privacy e-mail, free CAs, sinkholes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.cli.context import err, state
from graphpivot.cli.loading import check_paths, run_load
from graphpivot.cli.options import LoadFlags, option_block
from graphpivot.loaders.reference.noise_list import read_noise_list
from graphpivot.reference.noise_flags import (
    NOISE_FILE_ENV,
    NOISE_SOURCE,
    apply_noise,
    configured_noise_file,
    load_rules,
    reset_noise,
)


@option_block(LoadFlags, into="flags")
def noise(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help=f"Noise list CSV (default: ${NOISE_FILE_ENV}, else the list shipped with graphpivot)."),
    ] = None,
    *,
    flags: LoadFlags,
) -> None:
    """Replace the graph's noise flags with a noise list; pivots skip (or flag) what it marks."""
    configured = configured_noise_file()
    path = path or configured
    check_paths([path])
    st = state(ctx)
    if not flags.dry_run:
        with st.store() as store:
            store.init_schema()
            reset_noise(store)
    run_load(st, NOISE_SOURCE, read_noise_list(path, NOISE_SOURCE), flags, observed_at=int(time.time()))
    if not flags.dry_run and path.resolve() != configured.resolve():
        with st.store() as store:
            apply_noise(store, load_rules(path)[0])
        err.print(
            f"note: later loads apply {configured}; set {NOISE_FILE_ENV}={path} to keep applying this list",
            markup=False,
        )
