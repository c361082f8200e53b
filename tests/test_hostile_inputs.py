"""The hostile-input corpus through the real command: nothing silent, nothing unexplained.

For every case of :mod:`hostile_corpus`: the exit code, no traceback, a
message naming what it must (file, column, row, value, the cause), and for a
run that succeeds, every raw row accounted for: ``input_rows = kept +
excluded`` against the rows the test wrote. The cases run side by side (each
is its own project and process), one per core.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hostile_corpus import CASES, run_case

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, object, Path]]:
    base = tmp_path_factory.mktemp("corpus")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = {c.name: pool.submit(run_case, c, base / c.name) for c in CASES}
    return {name: (*run.result(), base / name) for name, run in runs.items()}


def test_the_corpus_is_large_and_named_uniquely():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, outcomes):
    outcome, export, folder = outcomes[case.name]
    assert not outcome.traceback, outcome.traceback
    assert outcome.exit == case.exit, outcome.message
    for fragment in case.says:
        assert fragment in outcome.message, f"{fragment!r} not in: {outcome.message}"
    if case.exit:
        return
    for table, written in export.rows.items():
        figures = outcome.rows.get(table)
        if written == 0 and figures is None:
            continue
        assert figures["input_rows"] == written, (table, figures)
        assert figures["kept_rows"] + sum(figures["excluded_rows"].values()) == written, (table, figures)
    excluded = outcome.rows["orders"]["excluded_rows"]
    for reason, count in case.ledger.items():
        assert excluded.get(reason) == count, excluded
    if case.check is not None:
        case.check(folder / "project")
