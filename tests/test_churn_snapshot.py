"""Churn recorded by the client: a customer snapshot without orders, the held-out check, blanks scored, the
retention curve by tenure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from snapshot_fixture import CONTRACTS_MAPPING, SNAPSHOT_MAPPING, write_contracts, write_snapshot

from conftest import ROOT, SETTINGS
from helpers.churn.models import _tightest
from helpers.churn.recorded import (
    current_at,
    holdout_rows,
    left_within,
    recorded_churn,
    retention_at,
    retention_curve,
)
from helpers.churn.report import churn_metrics
from helpers.core.config import validated
from helpers.core.mapping import Mapping
from helpers.pipeline.memory import run_in_memory


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("snapshot")
    truth = write_snapshot(folder / "data").set_index("customerID")
    (folder / "mapping.yaml").write_text(SNAPSHOT_MAPPING, encoding="utf-8")
    run = run_in_memory(ROOT, "2026-10", data=folder / "data", mapping=str(folder / "mapping.yaml"), last=4)
    return run, truth


def test_a_mapping_without_orders_needs_a_recorded_churn_column():
    base = {"name": "x", "title": "x", "currency": "USD", "reporting_currency": "USD"}
    ok = validated(
        Mapping,
        base | {"tables": {"customers": {"files": ["a.csv"], "columns": {"customer_id": "id", "churned": "Churn"}}}},
        "x.yaml",
    )
    assert ok.snapshot and ok.main_table == "customers"
    with pytest.raises(Exception, match="a customer snapshot"):
        validated(
            Mapping, base | {"tables": {"customers": {"files": ["a.csv"], "columns": {"customer_id": "id"}}}}, "x.yaml"
        )
    with pytest.raises(Exception, match="only the customers table takes attributes"):
        validated(
            Mapping,
            base
            | {
                "tables": {
                    "customers": {"files": ["a.csv"], "columns": {"customer_id": "id", "churned": "Churn"}},
                    "tickets": {
                        "files": ["t.csv"],
                        "columns": {"customer_id": "c", "opened_at": "d"},
                        "attributes": {"Channel": "channel"},
                    },
                }
            },
            "x.yaml",
        )


def test_the_snapshot_reads_its_attributes_numbers_with_blank_text_and_categories(snapshot_run):
    run, truth = snapshot_run
    customers = run.outputs["customers"].set_index("customer_id")
    assert len(customers) == len(truth) and len(run.outputs["orders"]) == 0
    total = customers["attr:Total charges"]
    assert total.dtype == "float64"
    # blank text where the tenure is 0 months: unknown, not 0 and not an error
    assert total.isna().equals(customers["tenure_months"].eq(0))
    assert customers["attr:Contract"].dtype == "string"
    assert customers["attr:Referral code"].isna().all()  # an empty column: unknown, and no feature
    assert customers["churned"].isna().sum() == truth["blanked"].sum()
    ledger = run.outputs["ledger"]
    assert len(ledger) == len(truth) and ledger["status"].eq("kept").all()  # every raw row accounted for
    assert any("customer snapshot" in w for w in run.results["01_data_cleaning"].warnings)


def test_blank_labels_are_scored_never_trained_on_and_the_scores_find_the_planted_churn(snapshot_run):
    run, truth = snapshot_run
    churn = run.results["04_churn_model"]
    assert churn.recorded and churn.fit.ok, churn.fit.reason
    labelled = int((~truth["blanked"]).sum())
    assert churn.fit.sizes["final_train"]["rows"] == labelled  # every labelled customer, no blank one
    assert churn.fit.sizes["test"]["rows"] + churn.fit.sizes["train"]["rows"] == labelled
    table = churn.table.set_index("customer_id")
    gone = truth.index[~truth["blanked"] & truth["churn_true"]]
    assert not table.index.isin(gone).any()  # recorded as gone: nobody left to call
    blank = truth.loc[truth["blanked"]]
    p = table["churn_probability"].reindex(blank.index)
    assert p.notna().all()
    assert roc_auc_score(blank["churn_true"], p) >= 0.7
    assert churn.fit.comparison.loc[churn.fit.chosen, "auc"] > churn.fit.comparison.loc["tenure", "auc"]
    record = churn_metrics(churn)
    json.dumps(record, allow_nan=False)
    assert record["label"] == "recorded" and record["windows"]["validation"] == "held_out"
    assert record["windows"]["recorded"]["blank"] == len(blank)
    high = table.loc[table["risk_band"].ne("low")]
    assert high["reasons"].ne("").all() and not high["reasons"].str.contains("nan|attr:", regex=True).any()


def test_the_retention_curve_by_tenure(snapshot_run):
    run, _ = snapshot_run
    churn = run.results["04_churn_model"]
    curve = churn.retention
    assert churn.retention_by == "attr:Contract"
    for _, part in curve.groupby("group"):
        values = part.sort_values("months")["retention"].to_numpy()
        assert values[0] == 1.0 and (np.diff(values) <= 1e-12).all()
    at = retention_at(curve)
    assert at.loc["Month-to-month", 12] < at.loc["Two year", 12]  # the planted contract effect


def test_kaplan_meier_by_hand():
    # 5 customers: left at 2, 3 (twice... one censored at 3), still there at 5 and 8.
    tenure = pd.Series([2, 3, 3, 5, 8])
    churned = pd.Series([True, True, False, False, False])
    curve = retention_curve(tenure, churned)
    s = dict(zip(curve["months"], curve["retention"], strict=True))
    assert s[2] == pytest.approx(4 / 5) and s[3] == pytest.approx(4 / 5 * 3 / 4)
    assert curve["months"].max() == 8  # flat to the longest tenure


def test_recorded_churn_from_a_flag_or_a_date():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "churned": pd.array([True, pd.NA, pd.NA, False], dtype="boolean"),
            "churn_date": pd.to_datetime(["2026-01-05", "2026-03-01", None, "2026-02-01"]),
        }
    )
    label = recorded_churn(customers, pd.Timestamp("2026-02-28"))
    # the flag decides; without it a date by the as-of date means gone, a later one staying, none unknown
    assert label.astype(object).where(label.notna(), None).tolist() == [True, False, None, False]
    # a table that records dates only: a customer without one is still a customer
    dates_only = recorded_churn(customers.drop(columns="churned"), pd.Timestamp("2026-02-28"))
    assert dates_only.tolist() == [True, False, False, True]


def test_the_held_out_split_is_stratified_and_seeded():
    features = pd.DataFrame({"x": np.arange(200.0)}, index=[f"c{i}" for i in range(200)])
    label = pd.Series(np.arange(200) % 4 == 0, index=features.index)
    test, train, every = holdout_rows(features, label, 0.3, 42, pd.Timestamp("2026-10-31"))
    again = holdout_rows(features, label, 0.3, 42, pd.Timestamp("2026-10-31"))[0]
    assert test.customer.tolist() == again.customer.tolist()
    assert test.churners == 15 and test.stayers == 45 and len(train) == 140 and len(every) == 200
    assert not set(test.customer) & set(train.customer)


def test_a_tree_rule_states_each_bound_once():
    conditions = [("t", "<=", 28.0, False), ("t", "<=", 2.0, False), ("m", ">", 5.0, True), ("m", ">", 9.0, False)]
    assert _tightest(conditions) == [("t", "<=", 2.0, False), ("m", ">", 9.0, False)]


def test_settings_hold_the_held_out_share():
    assert 0 < SETTINGS.churn.model.holdout_share < 1


def test_without_a_tenure_column_the_tenure_runs_from_registration_to_churn_or_the_snapshot():
    from helpers.churn.features import snapshot_features

    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "registration_date": pd.to_datetime(["2025-10-31", "2024-10-31"]),
            "churn_date": pd.to_datetime(["2026-04-30", None]),
        }
    )
    tenure = snapshot_features(customers, pd.Timestamp("2026-10-31"))["tenure_months"]
    assert tenure["a"] == pytest.approx(6, abs=0.1) and tenure["b"] == pytest.approx(24, abs=0.1)


@pytest.fixture(scope="module")
def contracts_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("contracts")
    truth = write_contracts(folder / "data").set_index("account_id")
    (folder / "mapping.yaml").write_text(CONTRACTS_MAPPING, encoding="utf-8")
    run = run_in_memory(ROOT, "2026-09", data=folder / "data", mapping=str(folder / "mapping.yaml"), last=4)
    return run.results["04_churn_model"], truth


def test_dated_churn_is_checked_out_of_time_on_the_customers_of_each_cut_off(contracts_run):
    churn, truth = contracts_run
    assert churn.recorded and not churn.held_out and churn.fit.ok, churn.fit.reason
    assert churn.windows.test == pd.Timestamp("2026-07-02") and len(churn.windows.validation_train) == 2
    record = churn_metrics(churn)
    assert record["label"] == "recorded_date" and record["windows"]["test_cutoff"] == "2026-07-02"
    # the rows of the test cut-off: accounts signed by then and not closed by then; churners closed in the 90 days
    closed, signed = truth["closed_on"], truth["signed_on"]
    at_test = signed.le("2026-07-02") & ~closed.le("2026-07-02")
    assert churn.fit.sizes["test"]["rows"] == int(at_test.sum())
    assert churn.fit.sizes["test"]["churners"] == int((at_test & closed.le("2026-09-30")).sum())
    table = churn.table.set_index("customer_id")
    assert not table.index.isin(truth.index[truth["closed_on"].notna()]).any()  # closed accounts are not scored
    # at past cut-offs, the export's numbers (seats today) are not features; categories and the tenure then are
    assert "attr:Seats" not in churn.today and {"attr:Plan", "tenure_months"} <= set(churn.fit.features)
    # the scores follow the planted hazard (plan and seats)
    assert table["churn_probability"].corr(truth["hazard"].reindex(table.index), method="spearman") > 0.6


def test_an_unknown_churn_is_in_no_cut_off_and_gone_without_a_date_neither():
    from helpers.churn.recorded import timeline

    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "registration_date": pd.to_datetime(["2025-01-01"] * 4),
            "churned": pd.array([True, True, pd.NA, False], dtype="boolean"),
            "churn_date": pd.to_datetime(["2026-01-05", None, None, None]),
        }
    )
    label = recorded_churn(customers, pd.Timestamp("2026-02-28"))
    line = timeline(customers, label)
    assert line["unplaced"].tolist() == [False, True, True, False]
    assert list(current_at(line, pd.Timestamp("2025-12-31"))) == ["a", "d"]
    assert list(current_at(line, pd.Timestamp("2026-01-05"))) == ["d"]  # gone on the day: not a customer of it
    assert left_within(line, pd.Timestamp("2025-12-31"), 90, pd.Index(["a", "d"])).tolist() == [True, False]


def test_a_running_total_of_the_export_day_does_not_make_random_churn_predictable(tmp_path):
    write_contracts(tmp_path / "data", planted=False)
    (tmp_path / "mapping.yaml").write_text(CONTRACTS_MAPPING, encoding="utf-8")
    run = run_in_memory(ROOT, "2026-09", data=tmp_path / "data", mapping=str(tmp_path / "mapping.yaml"), last=4)
    churn = run.results["04_churn_model"]
    assert not churn.held_out and "attr:Total billed" not in churn.today
    assert not churn.fit.ok  # nothing predicts this churn: the model fails its own check
    assert churn.fit.comparison["auc"].max() < 0.6
