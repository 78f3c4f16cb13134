"""The command starts light: sub-commands load on use, completion knows query ids, parameters and formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer

from graphpivot.catalog import Catalog
from graphpivot.cli import app
from graphpivot.cli.lazy import COMMANDS

HEAVY = ("polars", "networkx", "neo4j", "ladybug", "pyarrow", "dns.resolver", "cryptography.x509", "pymisp",
         "jinja2", "stix2")


def _modules_after(argv: list[str]) -> set[str]:
    """Heavy modules loaded by one run of the command with ``argv`` (in a fresh interpreter)."""
    code = ("import sys, json\nfrom graphpivot.cli import app\n"
            f"try:\n    app({argv!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_root_help_and_version_load_no_heavy_library() -> None:
    assert _modules_after(["--help"]) == set()
    assert _modules_after(["--version"]) == set()


def test_a_sub_command_loads_only_what_it_needs() -> None:
    assert _modules_after(["pivot", "list", "--help"]) == set()
    assert _modules_after(["load", "zeek", "--help"]).isdisjoint({"polars", "networkx", "neo4j", "ladybug"})


def test_listed_help_is_each_command_own() -> None:
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    for name, lazy in COMMANDS.items():
        real = lazy.load(name)
        assert (real.help or "").strip().splitlines()[0] == lazy.help, name
    assert set(root.list_commands(ctx)) == set(COMMANDS)


def _complete(words: str) -> list[str]:
    env = {**os.environ, "_GRAPHPIVOT_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    done = subprocess.run([sys.executable, "-m", "graphpivot"], env=env, capture_output=True, text=True, check=False)
    return done.stdout.split()


def test_completion_of_query_ids() -> None:
    ids = {q.id for q in Catalog()}
    assert set(_complete("graphpivot pivot run ")) == ids
    assert set(_complete("graphpivot pivot run shared-")) == {i for i in ids if i.startswith("shared-")}
    assert set(_complete("graphpivot export graph --pivot sub")) == {i for i in ids if i.startswith("sub")}


@pytest.mark.parametrize("words", ["graphpivot pivot run shared-ip -p ", "graphpivot pivot run -f json shared-ip -p ",
                                   "graphpivot export graph --pivot shared-ip -p "])
def test_completion_of_the_query_parameters(words: str) -> None:
    want = {f"{name}=" for name in Catalog().get("shared-ip").header.params}
    assert set(_complete(words)) == want


def test_completion_of_output_formats() -> None:
    assert _complete("graphpivot pivot run shared-ip -f n") == ["ndjson"]
