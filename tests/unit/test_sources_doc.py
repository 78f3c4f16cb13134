"""docs/sources.md and the README's Loading section name every ``graphpivot load`` command with an example."""

from __future__ import annotations

import re
from pathlib import Path

from graphpivot.cli.load import COMMANDS

REPO = Path(__file__).resolve().parents[2]


def _examples(text: str) -> set[str]:
    return set(re.findall(r"graphpivot load ([a-z0-9-]+) ", text))


def test_every_load_command_has_an_example() -> None:
    sources = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    loading = readme[readme.index("## Loading"):readme.index("## Findings out")]
    assert _examples(sources) == set(COMMANDS)
    assert _examples(loading) == set(COMMANDS)
    for preset in ("zscaler-nss", "netskope"):
        assert f"--preset {preset}" in sources and f"--preset {preset}" in loading
