"""Stage 04 end to end in memory: the generated sample's planted churn, and Online Retail out of time."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conftest import ROOT, SETTINGS, shared_file
from helpers.churn.report import churn_metrics
from helpers.pipeline.memory import run_in_memory
from helpers.sample_data import generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("churn_sample") / "sample"
    generate(folder, seed=20251231)
    run = run_in_memory(ROOT, "2025Q4", data=folder, last=4).results["04_churn_model"]
    return run, pd.read_parquet(folder / "_truth" / "customers_truth.parquet").set_index("customer_id")


def test_the_sample_model_is_validated_and_finds_the_planted_churn(sample_run):
    run, truth = sample_run
    assert run.fit.ok, run.fit.reason
    checked = run.fit.comparison
    assert checked.loc[run.fit.chosen, "auc"] >= 0.7  # out of time, on the observed outcome
    table = run.table.set_index("customer_id")
    # The planted truth: customers the simulation made leave by the as-of date (complaints and slow service
    # raise their hazard); the scores rank them far above the others.
    gone = truth["churn_month"].reindex(table.index)
    planted = (gone.notna() & (gone <= pd.Timestamp("2025-12-01"))).to_numpy()
    assert 0 < planted.sum() < len(planted)
    assert roc_auc_score(planted, table["churn_probability"]) >= 0.75


def test_the_churn_table_agrees_with_itself(sample_run):
    run, _ = sample_run
    t = run.table
    bands = SETTINGS.churn.risk_bands
    assert t["customer_id"].is_unique and t["churn_probability"].between(0.01, 0.99).all()
    assert (t["risk_band"].eq("high") == (t["churn_probability"] >= bands.high)).all()
    assert t["churn_probability"].is_monotonic_decreasing  # riskiest first
    high = t.loc[t["risk_band"].eq("high")]
    assert len(high) and high["reasons"].ne("").all() and high["action"].eq(SETTINGS.churn.actions["high"]).all()
    assert not t["reasons"].str.contains("nan|None|—", regex=True).any()
    record = churn_metrics(run)
    json.dumps(record, allow_nan=False)  # no NaN in the metrics file
    assert record["chosen"] == run.fit.chosen and set(record["models"]) >= {"recency", "logistic", "tree", "boosting"}
    assert record["windows"]["test_outcome"] == ["2025-10-03", "2025-12-31"]


@pytest.mark.realdata
def test_online_retail_out_of_time_the_chosen_model_beats_recency_alone():
    data = shared_file("online_retail.parquet")
    run = run_in_memory(ROOT, "2011-09", data=data, last=4).results["04_churn_model"]
    c = run.fit.comparison
    assert run.fit.ok, run.fit.reason
    assert c.loc[run.fit.chosen, "auc"] > c.loc["recency", "auc"]
    assert run.windows.test == pd.Timestamp("2011-07-02")  # the outcome (to 2011-09-30) lies inside the data
    assert np.isfinite(c.loc[["recency", "logistic", "tree", "boosting"], "auc"]).all()


def test_columns_the_data_lack_are_left_out_of_the_list_and_the_workbook(sample_run, tmp_path):
    import openpyxl

    from helpers.churn.report import risk_list_table, risk_workbook

    run, _ = sample_run
    run = dataclasses.replace(run, table=run.table.assign(customer_name=pd.NA, owner=pd.NA, rfm_class=pd.NA))
    shown = risk_list_table(run).frame.columns
    assert not any("name" in str(c).lower() or "RFM" in str(c) for c in shown)
    path = risk_workbook(run).write(tmp_path / "risk.xlsx")
    headers = [c.value for c in openpyxl.load_workbook(path)["Risk list"][1]]
    assert not any("name" in str(h).lower() or "RFM" in str(h) for h in headers)
