"""Two fresh projects running the same sample and period write byte-identical outputs.

Parquet tables, workbooks, HTML reports and JSON records (their timing fields
aside: ``*_at``, ``*seconds`` and the run's id, which is its start time) must
not differ by a byte: no random ids, no absolute paths, no clock in anything
but the timings.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import project_copy, run_grading
from helpers.sample_data import generate

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
PERIOD = "2025Q4"
#: Keys that hold when a run happened (the run id is its start time and process).
TIMING_KEYS = {"id", "run_id"}


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        kept = {k: v for k, v in value.items() if not k.endswith(("_at", "seconds")) and k not in TIMING_KEYS}
        return {k: _without_timings(v) for k, v in kept.items()}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def _run(root: Path) -> Path:
    data = root / "data" / "raw" / "sample"
    generate(data, n_customers=120, seed=5)
    done = run_grading(root, "--period", PERIOD, "--data", "data/raw/sample")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    roots = [project_copy(tmp_path_factory.mktemp(f"clone{i}")) for i in (1, 2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(_run, roots)
    return first, second


def _outputs(root: Path) -> dict[str, Path]:
    found = {}
    for folder in (root / "data" / "processed" / PERIOD, root / "reports" / PERIOD):
        for path in sorted(folder.rglob("*")):  # the alert digests are in a folder of their own
            if path.suffix in (".parquet", ".xlsx", ".html", ".json", ".eml"):
                found[str(path.relative_to(root))] = path
    return found


def test_the_same_files_are_written(two_runs):
    first, second = map(_outputs, two_runs)
    assert first.keys() == second.keys()
    assert {Path(k).suffix for k in first} == {".parquet", ".xlsx", ".html", ".json", ".eml"}


def test_every_output_is_byte_identical(two_runs):
    first, second = map(_outputs, two_runs)
    differ = []
    for name, path in first.items():
        other = second[name]
        if path.suffix == ".json":
            same = _without_timings(json.loads(path.read_text(encoding="utf-8"))) == _without_timings(
                json.loads(other.read_text(encoding="utf-8"))
            )
        else:
            same = path.read_bytes() == other.read_bytes()
        if not same:
            differ.append(name)
    assert not differ, f"outputs that differ between two clones: {differ}"


def test_records_hold_no_absolute_path(two_runs):
    for root in two_runs:
        for name, path in _outputs(root).items():
            if path.suffix in (".json", ".html"):
                text = path.read_text(encoding="utf-8")
                assert str(root) not in text and str(root.resolve()) not in text, f"{name} holds {root}"
