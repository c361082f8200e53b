"""helpers.runner: the ``grading`` command, on a throwaway project with tiny stage notebooks."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.errors import ConfigError
from helpers.runner import discover_stages, main, select_stages

PARAMETERS = 'period = ""\ndata = ""\nmapping = ""\nproject_root = ""'
CLEANING = {
    "mapping": "online_retail",
    "inputs": [{"file": "orders.csv", "table": "orders", "rows": 10, "sha256": "ab" * 32}],
    "tables": {"orders": {"input_rows": 10, "kept_rows": 7, "excluded_rows": {"missing_customer_id": 3}}},
    "input_rows": 10,
    "kept_rows": 7,
    "excluded_rows": {"missing_customer_id": 3},
    "available_tables": ["orders"],
}
# Stage 01 writes cleaning.json where the contract says, from the parameters it was given.
WRITE_CLEANING = f"""import json, pathlib
out = pathlib.Path(project_root) / "data" / "processed" / period
out.mkdir(parents=True, exist_ok=True)
figures = {CLEANING!r}
figures["seen_parameters"] = {{"data": data, "mapping": mapping}}
(out / "cleaning.json").write_text(json.dumps(figures), encoding="utf-8")"""
PLOT = "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()"
TABLE = "import pandas as pd\npd.DataFrame({'kept': [7], 'input': [10]})"
FAIL = (
    "from helpers.errors import DataValidationError\n"
    "raise DataValidationError('order_date is not a date', file='orders.csv', column='下单日期', row=7, value='abc')"
)


def _write_stage(path: Path, heading: str, *code: str) -> None:
    nb = new_notebook(
        cells=[
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_markdown_cell(f"# {heading}"),
            *(new_code_cell(c) for c in code),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, path)


def _project(root: Path, stages: dict[str, tuple[str, ...]]) -> Path:
    """A project folder with ``notebooks/<stem>.ipynb`` for each stage and a data file."""
    (root / "notebooks").mkdir(parents=True)
    for stem, code in stages.items():
        _write_stage(root / "notebooks" / f"{stem}.ipynb", stem, *code)
    (root / "orders.csv").write_text("InvoiceNo,CustomerID\n1,c1\n", encoding="utf-8")
    return root


def _grading(*argv: str) -> tuple[int, str, str]:
    """Run ``grading`` in-process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str]:
    """A two-stage project run once for the whole module (each kernel start costs seconds)."""
    root = _project(
        tmp_path_factory.mktemp("good"),
        {"01_data_cleaning": (WRITE_CLEANING,), "02_indicators": (PLOT, TABLE)},
    )
    code, out, err = _grading(
        "run", "--period", "2011-11", "--data", str(root / "orders.csv"), "--mapping", "online_retail",
        "--root", str(root),
    )
    return root, code, out, err


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str]:
    """A project whose first stage raises a DataValidationError, with a stale cleaning.json from before."""
    root = _project(tmp_path_factory.mktemp("failed"), {"01_data_cleaning": (FAIL,), "02_indicators": (TABLE,)})
    stale = root / "data" / "processed" / "2011Q4" / "cleaning.json"
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps(CLEANING), encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    code, out, err = _grading("run", "--period", "2011Q4", "--data", str(root / "orders.csv"), "--root", str(root))
    return root, code, out, err


# ----------------------------------------------------------- without a kernel

def test_stages_are_numbered_notebooks_in_order(tmp_path):
    for name in ("10_late.ipynb", "02_b.ipynb", "01_a.ipynb", "scratch.ipynb", "1_short.ipynb", "03_notes.md"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [p.name for p in discover_stages(tmp_path)] == ["01_a.ipynb", "02_b.ipynb", "10_late.ipynb"]


def test_select_stages_by_number():
    stages = [Path("01_a.ipynb"), Path("02_b.ipynb"), Path("10_c.ipynb")]
    assert select_stages(stages, None) == stages
    assert select_stages(stages, "10, 1") == [stages[0], stages[2]]
    with pytest.raises(ConfigError, match="no stage '04'.*01, 02, 10"):
        select_stages(stages, "01,04")


def test_bad_period_exits_2_with_the_message(tmp_path):
    code, out, err = _grading("run", "--period", "2011-13", "--data", str(tmp_path), "--root", str(tmp_path))
    assert code == 2
    assert "invalid period '2011-13'" in err and "Traceback" not in out + err


def test_missing_data_exits_2_with_the_message(tmp_path):
    code, _, err = _grading("run", "--period", "2011-11", "--data", str(tmp_path / "nope.csv"), "--root", str(tmp_path))
    assert code == 2 and "nope.csv does not exist" in err


def test_python_dash_m_helpers_is_the_same_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "helpers", "run", "--period", "2011Q5", "--data", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 2
    assert "invalid period '2011Q5'" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------- a good run

def test_good_run_prints_progress_and_exits_0(good_run):
    _, code, out, err = good_run
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("[1/2] 01_data_cleaning ... ") and lines[0].endswith(" s")
    assert lines[1].startswith("[2/2] 02_indicators ... ")


def test_stages_get_the_parameters(good_run):
    root, *_ = good_run
    cleaning = json.loads((root / "data/processed/2011-11/cleaning.json").read_text(encoding="utf-8"))
    assert cleaning["seen_parameters"] == {"data": str(root / "orders.csv"), "mapping": "online_retail"}


def test_manifest_holds_parameters_stages_versions_and_cleaning_figures(good_run):
    root, *_ = good_run
    manifest = json.loads((root / "data/processed/2011-11/manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"] == {
        "period": "2011-11", "as_of": "2011-11-30", "data": str(root / "orders.csv"), "mapping": "online_retail",
    }
    assert manifest["status"] == "ok" and manifest["error"] is None
    assert manifest["started_at"] <= manifest["finished_at"]
    assert [s["name"] for s in manifest["stages"]] == ["01_data_cleaning", "02_indicators"]
    assert all(s["status"] == "ok" and s["seconds"] > 0 for s in manifest["stages"])
    assert manifest["stages"][1]["html"] == "reports/2011-11/02_indicators.html"
    assert {"python", "pandas", "papermill", "nbconvert"} <= manifest["versions"].keys()
    for key in ("input_rows", "kept_rows", "excluded_rows", "inputs"):
        assert manifest[key] == CLEANING[key]


def test_each_stage_has_an_executed_notebook_and_titled_html(good_run):
    root, *_ = good_run
    period_dir = root / "reports" / "2011-11"
    assert sorted(p.name for p in period_dir.iterdir()) == [
        "01_data_cleaning.html", "01_data_cleaning.ipynb", "02_indicators.html", "02_indicators.ipynb",
    ]
    html = (period_dir / "02_indicators.html").read_text(encoding="utf-8")
    assert "<title>02 Indicators — 2011-11</title>" in html
    assert 'src="data:image/png;base64,' in html and "plt.plot" not in html


def test_index_links_every_stage_with_row_figures(good_run):
    root, *_ = good_run
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="2011-11/01_data_cleaning.html"' in index and 'href="2011-11/02_indicators.html"' in index
    assert "7 / 10" in index


def test_rerunning_one_stage_and_the_index_command(good_run):
    root, *_ = good_run
    code, out, _ = _grading(
        "run", "--period", "2011Q4", "--data", str(root / "orders.csv"), "--stages", "02", "--root", str(root)
    )
    assert code == 0 and out.startswith("[1/1] 02_indicators")
    (root / "reports" / "index.html").unlink()
    assert _grading("index", "--root", str(root))[0] == 0
    index = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert index.index("2011Q4/02_indicators.html") < index.index("2011-11/01_data_cleaning.html")


# ----------------------------------------------------------- a failed run

def test_failed_stage_exits_1_naming_stage_and_error_without_traceback(failed_run):
    _, code, out, err = failed_run
    assert code == 1
    assert "[1/2] 01_data_cleaning ... failed after" in out
    assert "02_indicators" not in out
    assert (
        "error: stage 01_data_cleaning failed: DataValidationError: order_date is not a date "
        "(file orders.csv, column '下单日期', row 7, value 'abc')"
    ) in err
    assert "Traceback" not in out + err and "---------" not in out + err


def test_failed_run_keeps_a_partial_report_and_a_failed_manifest(failed_run):
    root, *_ = failed_run
    html = (root / "reports" / "2011Q4" / "01_data_cleaning.html").read_text(encoding="utf-8")
    assert "order_date is not a date" in html
    assert not (root / "reports" / "2011Q4" / "02_indicators.ipynb").exists()
    manifest = json.loads((root / "data/processed/2011Q4/manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    assert manifest["error"].startswith("01_data_cleaning: DataValidationError: order_date is not a date")
    assert "input_rows" not in manifest, "a failed run must not report an older run's cleaning figures"
