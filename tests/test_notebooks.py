"""The stage notebooks executed end to end on small generated data, with nbval.

nbval runs each notebook as committed (in ``--nbval-lax`` mode: only cells marked
``# NBVAL_CHECK_OUTPUT`` are compared), after Papermill's parameter injection
points it at a scratch project with a small sample. The reference output of the
reconciliation cell is what the helpers compute for the same data, so the test
checks that the report shows exactly that table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from conftest import ROOT, clean, project_copy
from helpers.cleaning.report import reconciliation_table
from helpers.sample_data import generate

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
PERIOD = "2025Q4"
CHECKED = "# NBVAL_CHECK_OUTPUT"


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project_copy(tmp_path_factory.mktemp("nb"))
    generate(root / "data" / "raw" / "sample", n_customers=120, seed=7)
    (root / "nbtest").mkdir()
    return root


def expected_reconciliation(root: Path) -> dict[str, str]:
    run = clean(root / "data" / "raw" / "sample", PERIOD)
    data, _ = DisplayFormatter().format(reconciliation_table(run.reconciliation, run.currency))
    return data


def prepared(name: str, root: Path, expected: dict[str, str] | None = None) -> Path:
    nb = load_notebook_node(str(ROOT / "notebooks" / name))  # as Papermill reads it (adds empty tags)
    assert not any(c.get("outputs") for c in nb.cells), f"{name} is committed with outputs"
    nb = parameterize_notebook(
        nb,
        {
            "period": PERIOD,
            "data": str(root / "data" / "raw" / "sample"),
            "mapping": "",
            "project_root": str(root),
            "run_id": "",
        },
    )
    checked = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(CHECKED)]
    if expected is not None:
        assert len(checked) == 1, f"{name} should have one {CHECKED} cell"
        checked[0].outputs = [nbformat.v4.new_output("execute_result", data=expected, execution_count=1)]
        checked[0].execution_count = 1  # nbval ignores the outputs of a cell that was never run
    path = root / "nbtest" / name
    nbformat.write(nb, path)
    return path


def nbval(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(path.parent),
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=600,
    )


def test_stage_01_runs_and_shows_the_reconciliation(small_project):
    done = nbval(prepared("01_data_cleaning.ipynb", small_project, expected_reconciliation(small_project)))
    assert done.returncode == 0, done.stdout[-4000:]
    assert (small_project / "data/processed" / PERIOD / "ledger.parquet").exists()


def test_stage_02_runs_on_stage_01_tables(small_project):
    if not (small_project / "data/processed" / PERIOD / "orders.parquet").exists():
        nbval(prepared("01_data_cleaning.ipynb", small_project))
    done = nbval(prepared("02_indicators.ipynb", small_project))
    assert done.returncode == 0, done.stdout[-4000:]
    assert (small_project / "data/processed" / PERIOD / "indicators.parquet").exists()


def test_stage_03_grades_every_customer_and_writes_the_workbooks(small_project):
    processed = small_project / "data/processed" / PERIOD
    if not (processed / "indicators.parquet").exists():
        nbval(prepared("01_data_cleaning.ipynb", small_project))
        nbval(prepared("02_indicators.ipynb", small_project))
    done = nbval(prepared("03_rfm_segmentation.ipynb", small_project))
    assert done.returncode == 0, done.stdout[-4000:]
    grades = pd.read_parquet(processed / "grading.parquet")
    indicators = pd.read_parquet(processed / "indicators.parquet")
    # Every customer who bought up to the as-of date is graded, once.
    assert grades["customer_id"].is_unique
    assert set(grades["customer_id"]) == set(indicators.loc[indicators["recency_days"].notna(), "customer_id"])
    assert grades["rfm_class"].notna().all() and grades["suggested_action"].notna().all()
    summary = pd.read_parquet(processed / "segment_summary.parquet")
    assert summary.loc[summary["class_en"] != "total", "customers"].sum() == len(grades)
    # The sample ships a filled-in manual sheet: the manual factors are used.
    levels = pd.read_parquet(processed / "scorecard_levels.parquet")
    assert levels["strategic_fit"].notna().any()
    reports = small_project / "reports" / PERIOD
    assert (reports / f"customer_grading_{PERIOD}.xlsx").is_file()
    assert (reports / f"scorecard_manual_template_{PERIOD}.xlsx").is_file()


def test_a_wrong_reconciliation_fails_the_notebook_test(small_project):
    expected = expected_reconciliation(small_project)
    expected["text/plain"] = expected["text/plain"].replace("raw rows (input)", "raw rows (tampered)")
    assert "raw rows (tampered)" in expected["text/plain"]
    done = nbval(prepared("01_data_cleaning.ipynb", small_project, expected))
    assert done.returncode != 0 and "raw rows (tampered)" in done.stdout


def test_stage_04_scores_churn_or_says_why_not(small_project):
    processed = small_project / "data/processed" / PERIOD
    if not (processed / "grading.parquet").exists():
        for name in ("01_data_cleaning.ipynb", "02_indicators.ipynb", "03_rfm_segmentation.ipynb"):
            nbval(prepared(name, small_project))
    done = nbval(prepared("04_churn_model.ipynb", small_project))
    assert done.returncode == 0, done.stdout[-4000:]
    churn = pd.read_parquet(processed / "churn.parquet")
    metrics = json.loads((processed / "churn_metrics.json").read_text(encoding="utf-8"))
    assert churn["customer_id"].is_unique and churn["action"].notna().all()
    assert metrics["status"] in {"ok", "failed", "no_model"}
    # Probabilities only from a model that passed its own check; otherwise none, and the reason is given.
    assert (
        churn["churn_probability"].notna().all()
        if metrics["status"] == "ok"
        else churn["churn_probability"].isna().all()
    )
    assert metrics["status"] == "ok" or metrics["reason"]
    assert (small_project / "reports" / PERIOD / f"churn_risk_list_{PERIOD}.xlsx").is_file()


def test_stage_05_scores_every_lead_and_checks_the_score_against_history(small_project):
    processed = small_project / "data/processed" / PERIOD
    if not (processed / "churn.parquet").exists():  # run alone: the stages it reads first
        for notebook in ("01_data_cleaning", "02_indicators", "03_rfm_segmentation", "04_churn_model"):
            nbval(prepared(f"{notebook}.ipynb", small_project))
    done = nbval(prepared("05_opportunity_scoring.ipynb", small_project))
    assert done.returncode == 0, done.stdout[-4000:]
    leads = pd.read_parquet(processed / "leads.parquet")
    table = pd.read_parquet(processed / "opportunities.parquet")
    metrics = json.loads((processed / "opportunity_metrics.json").read_text(encoding="utf-8"))
    assert sorted(table["lead_id"]) == sorted(leads["lead_id"].astype(str))  # every lead, once
    assert table["score"].between(0, 100).all() and table["tier"].isin(["priority", "nurture", "watch"]).all()
    assert metrics["status"] in {"ok", "no_history"} and (metrics["status"] == "ok" or metrics["reason"])
    assert (small_project / "reports" / PERIOD / f"opportunity_priority_{PERIOD}.xlsx").is_file()
    growth = pd.read_parquet(processed / "growth.parquet")
    churn = pd.read_parquet(processed / "churn.parquet")
    assert growth["customer_id"].is_unique and len(growth) > 0
    at_high_risk = set(churn.loc[churn["risk_band"].eq("high"), "customer_id"])
    assert set(growth.loc[growth["retain_first"], "customer_id"]) >= at_high_risk & set(growth["customer_id"])


def test_stage_06_writes_the_grading_table_the_alerts_and_their_digests(small_project):
    processed = small_project / "data/processed" / PERIOD
    if not (processed / "growth.parquet").exists():  # run alone: the stages it reads first
        for notebook in (
            "01_data_cleaning",
            "02_indicators",
            "03_rfm_segmentation",
            "04_churn_model",
            "05_opportunity_scoring",
        ):
            nbval(prepared(f"{notebook}.ipynb", small_project))
    done = nbval(prepared("06_grading_report.ipynb", small_project))
    assert done.returncode == 0, done.stdout[-4000:]
    grading = pd.read_parquet(processed / "grading.parquet")
    final = pd.read_parquet(processed / "grading_final.parquet")
    assert final["customer_id"].tolist() == grading["customer_id"].astype(str).tolist()  # every graded customer
    assert (final["final_class"] == grading["scorecard_class"].astype(str)).all()
    alerts = pd.read_parquet(processed / "alerts.parquet")
    assert len(alerts) and pd.read_parquet(processed / "migration.parquet").empty  # no previous period here
    reports = small_project / "reports" / PERIOD
    assert (reports / f"customer_grading_report_{PERIOD}.xlsx").is_file()
    assert sorted(p.suffix for p in (reports / "alerts").iterdir()) and all(
        p.suffix == ".eml" for p in (reports / "alerts").iterdir()
    )
