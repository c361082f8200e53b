"""Adding a stage is adding a declaration, a notebook and a helper: nothing else to wire.

In a temporary copy of the project, a throwaway stage 09 (customers per band of
net spend, read from stage 02's indicators) is added as a sub-package with a
``stage.py`` and a helper module, a notebook and its settings section. The
runner finds it, runs the earlier stages it needs (01 and 02, not 03), passes its
own parameter from the command line, and writes its declared output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT
from helpers.sample_data import generate

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

DECLARATION = '''
"""Stage 09 (a test's throwaway): customers per band of net spend."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.core.catalog import Output
from helpers.core.config import Strict
from helpers.pipeline.spec import Param, Stage
from helpers.spend_bands.bands import spend_bands

__all__ = ["STAGE"]


class SpendBandSettings(Strict):
    edges: list[float]


@dataclass
class SpendBandRun:
    bands: pd.DataFrame

    @property
    def outputs(self):
        return {"spend_bands": self.bands}


def compute(inputs, ctx):
    return SpendBandRun(spend_bands(inputs["indicators"], ctx.section.edges, ctx.params["band_name"]))


STAGE = Stage(
    number=9, name="spend_bands", title_zh="消费分档", title_en="Spend bands",
    question="How many customers spend how much?",
    inputs=("indicators",),
    outputs=(Output("spend_bands", "spend_bands.parquet", "customers per band of net spend", row="band"),),
    config_section="spend_bands", settings=SpendBandSettings,
    params=(Param("band_name", "band", "what a band is called"),),
    compute=compute,
)
'''

HELPER = '''
"""Customers per band of net spend."""
from __future__ import annotations

import pandas as pd

__all__ = ["spend_bands"]


def spend_bands(indicators: pd.DataFrame, edges: list[float], name: str) -> pd.DataFrame:
    """Customers whose net spend falls in each band ``[edge, next edge)``."""
    bands = pd.cut(indicators["monetary"], bins=[*edges, float("inf")], right=False)
    counts = bands.value_counts(sort=False)
    return pd.DataFrame({name: [str(b) for b in counts.index], "customers": counts.to_numpy()})
'''

PARAMETERS = (
    'period = "2025Q4"\ndata = ""\nmapping = ""\nproject_root = ".."\nrun_id = ""\nlang = ""\naudience = ""\n'
    'band_name = "band"'
)
CALL = (
    "from helpers.pipeline import open_stage\n"
    'stage = open_stage("09", period=period, data=data, mapping=mapping, project_root=project_root, '
    "run_id=run_id, lang=lang, audience=audience, band_name=band_name)\n"
    "run = stage.run()\n"
    "run.bands"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("copy") / "project"
    for folder in ("src", "notebooks", "config"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    package = root / "src" / "helpers" / "spend_bands"
    package.mkdir()
    (package / "__init__.py").write_text('"""Stage 09: spend bands."""\n', encoding="utf-8")
    (package / "stage.py").write_text(textwrap.dedent(DECLARATION), encoding="utf-8")
    (package / "bands.py").write_text(textwrap.dedent(HELPER), encoding="utf-8")
    notebook = new_notebook(
        cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}), new_code_cell(CALL)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(notebook, root / "notebooks" / "09_spend_bands.ipynb")
    with open(root / "config" / "settings.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n# Stage 09 - spend bands (a test's throwaway stage).\nspend_bands:\n  edges: [0, 1000, 100000]\n")
    generate(root / "data" / "raw" / "sample", n_customers=80, seed=3)
    return root


def grading(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command, with the copy's package first on the path (kernels inherit it)."""
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "helpers", *args], capture_output=True, text=True, cwd=root, env=env, timeout=900
    )


def test_the_new_stage_is_discovered_and_offers_its_parameter(project):
    done = grading(project, "run", "--help")
    assert done.returncode == 0, done.stderr
    assert "--band-name BAND_NAME" in done.stdout and "stage 09: what a band is called" in done.stdout


def test_the_runner_resolves_its_inputs_and_writes_its_declared_output(project):
    done = grading(
        project,
        "run",
        "--period",
        "2025Q4",
        "--data",
        "data/raw/sample",
        "--stages",
        "09",
        "--band-name",
        "spend band",
        "--root",
        str(project),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ... ")[0] for line in lines[:3]] == [
        "[1/3] 01_data_cleaning",
        "[2/3] 02_indicators",
        "[3/3] 09_spend_bands",
    ]  # 03 is not needed
    processed = project / "data" / "processed" / "2025Q4"
    bands = pd.read_parquet(processed / "spend_bands.parquet")
    indicators = pd.read_parquet(processed / "indicators.parquet")
    assert list(bands.columns) == ["spend band", "customers"]
    assert bands["customers"].sum() == (indicators["monetary"] >= 0).sum()
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["stages"]["09_spend_bands"]
    assert entry["inputs"]["indicators"] == manifest["stages"]["02_indicators"]["outputs"]["indicators"]["sha256"]
    assert entry["parameters"] == {"band_name": "spend band"}
    assert (project / "reports" / "2025Q4" / "09_spend_bands.html").is_file()
    assert "09 Spend bands (消费分档)" in (project / "reports" / "index.html").read_text(encoding="utf-8")


def test_its_settings_section_makes_it_out_of_date(project):
    settings = project / "config" / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("edges: [0, 1000, 100000]", "edges: [0, 500]"), encoding="utf-8"
    )
    done = grading(project, "status", "--period", "2025Q4", "--data", "data/raw/sample", "--root", str(project))
    said = " ".join(done.stdout.split())  # the columns are as wide as the longest stage name
    assert "09_spend_bands out of date: its settings changed (spend_bands)" in said
    assert "02_indicators up to date" in said
