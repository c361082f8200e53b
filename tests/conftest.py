"""Shared test fixtures: project paths, the shared real data, small canonical tables, the shipped settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from helpers.cleaning.stage import CleaningRun
from helpers.core.catalog import ProjectPaths
from helpers.core.periods import parse_period
from helpers.io.loaders import LoadedTable, resolve_dataset
from helpers.pipeline.context import StageContext, stage_context
from helpers.pipeline.registry import load_settings

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
SHARED_DATA = ROOT.parent / "shared" / "data"
# One PyTensor compile cache for the whole test session, notebook subprocesses included (they run in
# scratch project copies, whose own .cache would start cold every time).
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")


#: The shipped settings: the one place every default stands (tests change copies with `with_changes`).
SETTINGS = load_settings(CONFIG)


def with_changes(model: Any, **changes: Any) -> Any:
    """A settings section with some values changed, validated as the YAML would be."""
    return type(model).model_validate({**model.model_dump(), **changes})


def context(stage: str, period: str, root: Path = ROOT, **params: Any) -> StageContext:
    """A stage's context on a project folder (the repository by default), settings as shipped."""
    return stage_context(stage, ProjectPaths(root), parse_period(period), SETTINGS, params)


def clean(data: Path, period: str, mapping: str = "") -> CleaningRun:
    """Stage 01's computation on a dataset, in memory (nothing written)."""
    ctx = context("01", period, data=str(data), mapping=mapping)
    return ctx.compute({"raw": resolve_dataset(data, mapping or None, CONFIG)})


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"real data not available: {path} is absent (it sits beside the project in CI)")
    return path


def loaded(frame: pd.DataFrame, file: str = "test.csv") -> LoadedTable:
    """Wrap a hand-built canonical frame as if a loader had read it (header = row 1)."""
    data = frame.reset_index(drop=True).copy()
    data["source_file"] = file
    data["source_row"] = range(2, len(data) + 2)
    return LoadedTable(
        data=data,
        invalid=pd.Series(pd.NA, index=data.index, dtype="string"),
        files=[{"file": file, "table": "?", "rows": len(data)}],
    )


@pytest.fixture
def config_dir() -> Path:
    return CONFIG


@pytest.fixture
def settings():
    return load_settings(CONFIG)


def project_copy(tmp_path: Path) -> Path:
    """A scratch project root that uses the repo's config and notebooks but writes its own outputs."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("config", "notebooks"):
        (root / name).symlink_to(ROOT / name, target_is_directory=True)
    return root


def run_grading(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command-line entry point as a user would, in ``root``."""
    return subprocess.run(
        [sys.executable, "-m", "helpers", "run", "--root", str(root), *args],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=900,
    )
