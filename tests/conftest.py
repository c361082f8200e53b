"""Shared test fixtures: project paths, the shared real data, small canonical tables."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from helpers.config import load_settings
from helpers.loaders import LoadedTable

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
SHARED_DATA = ROOT.parent / "shared" / "data"
# One PyTensor compile cache for the whole test session, notebook subprocesses included (they run in
# scratch project copies, whose own .cache would start cold every time).
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / '.cache' / 'pytensor'}")


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
    return LoadedTable(data=data, invalid=pd.Series(pd.NA, index=data.index, dtype="string"), files=[{"file": file, "table": "?", "rows": len(data)}])


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


def run_grading(root: Path, *args: str) -> "subprocess.CompletedProcess[str]":
    """Run the command-line entry point as a user would, in ``root``."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "helpers", "run", "--root", str(root), *args],
        capture_output=True, text=True, cwd=root, timeout=900,
    )
