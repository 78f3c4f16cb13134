"""Issue #12: every loader fed mutated copies of the real sample files (hypothesis picks the cases).

On every case: no exception escapes, ``read = loaded + rejected + skipped`` holds,
every reject names its file and a reason, and its text prints terminal-safe. A
sample of cases is also loaded into both real engines, whose node and edge counts
must be what the load summary says.

Each loader gets every mutation kind once (fixed cases, so CI covers them all), every
sample file unmutated, and hypothesis's cases of one to three mutations in a row.
``GRAPHPIVOT_FUZZ_CASES`` is the total number of hypothesis cases (default 140, spread
over the loader families; e.g. 20000 for a long local run, which also draws new random
cases instead of CI's fixed ones); ``GRAPHPIVOT_FUZZ_DB_CASES`` the cases per engine
(default one per loader family). The counts run are printed at the end of the pytest output.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest
from fuzzing import CASES, FAMILIES, HOSTILE, MUTATIONS, T0, Family, case_file, mutate, sample_bytes, samples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphpivot.ingest import Ingestor, LoadSummary
from graphpivot.output import terminal_safe
from graphpivot.store.base import GraphStore

TOTAL = int(os.environ.get("GRAPHPIVOT_FUZZ_CASES", "140"))
PER_FAMILY = max(1, TOTAL // len(FAMILIES))
DB_CASES = int(os.environ.get("GRAPHPIVOT_FUZZ_DB_CASES", str(len(FAMILIES))))
LONG = TOTAL > 1000
FUZZ = settings(
    max_examples=PER_FAMILY,
    deadline=None,
    database=None,
    derandomize=not LONG,  # CI: the same cases every run; long runs: new ones each time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
mutations = st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3)


def check(summary: LoadSummary, path: Path) -> None:
    """What must hold after any load, whatever the input."""
    assert summary.balanced, summary.unbalanced
    assert summary.read == summary.loaded + summary.rejected_units + summary.skipped_units
    assert summary.rejected >= len(summary.rejects)
    for reject in summary.rejects:
        assert reject.file in (str(path), summary.source) and reject.reason, reject
        assert reject.units >= 0
        shown = terminal_safe(f"{reject} {reject.raw}")
        assert not any(c in shown for c in "\x1b\r\x00\u202e"), shown


def run_case(family: Family, original: Path, names: list[str], seed: int, hostile: str, tmp: Path,
             store: GraphStore | None = None) -> LoadSummary:
    data = mutate(sample_bytes(original, family.whole), names, seed, hostile)
    path = case_file(tmp, original, data)
    summary = Ingestor(store, "fuzz", dry_run=store is None, batch_size=1_000_000, observed_at=T0).run(
        family.read(path))
    check(summary, path)
    return summary


@pytest.fixture(scope="module")
def case_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="graphpivot-fuzz-"))


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_loader_survives_mutated_samples(family: Family, data_dir: Path, case_dir: Path) -> None:
    files = samples(family, data_dir, case_dir)
    assert files, f"no sample files for {family.name}"

    @FUZZ
    @given(index=st.integers(0, len(files) - 1), names=mutations, seed=st.integers(0, 2**32 - 1),
           hostile=hostile_text)
    def one(index: int, names: list[str], seed: int, hostile: str) -> None:
        run_case(family, files[index], names, seed, hostile, Path(tempfile.mkdtemp(dir=case_dir)))
        CASES[f"loaders: {family.name}"] += 1

    one()
    for n, name in enumerate(sorted(MUTATIONS)):  # every mutation kind, whatever hypothesis drew
        run_case(family, files[n % len(files)], [name], n, HOSTILE[n % len(HOSTILE)],
                 Path(tempfile.mkdtemp(dir=case_dir)))
        CASES[f"loaders: {family.name}"] += 1
    for original in files:  # and every file unmutated: the baseline the mutations start from
        run_case(family, original, [], 0, "", Path(tempfile.mkdtemp(dir=case_dir)))
        CASES[f"loaders: {family.name}"] += 1


def test_mutated_cases_load_as_counted(store: GraphStore, data_dir: Path, case_dir: Path) -> None:
    """A sample of cases on a real engine: the graph holds exactly the nodes and edges the summary counts."""
    rng = random.Random(12 if not LONG else None)
    for n in range(DB_CASES):
        family = FAMILIES[n % len(FAMILIES)]
        files = samples(family, data_dir, case_dir)
        names = rng.sample(sorted(MUTATIONS), rng.randint(1, 2))
        case = (family.name, files[rng.randrange(len(files))], names, rng.randrange(2**32), rng.choice(HOSTILE))
        store.clear()
        summary = run_case(family, case[1], names, case[3], case[4], Path(tempfile.mkdtemp(dir=case_dir)), store)
        nodes, edges = store.counts()
        assert {k: v for k, v in nodes.items() if v} == dict(+summary.nodes), case
        assert {k: v for k, v in edges.items() if v} == dict(+summary.edges), case
        CASES[f"loaded into {store.engine}"] += 1
    store.clear()
