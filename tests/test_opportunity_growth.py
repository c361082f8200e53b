"""Stage 05 beyond the expert score: win probability and expected value of open deals, the pipeline and the closed
deals by stage / owner / product, growth among existing customers with churn risk beside it — and the stage end
to end on a CRM pipeline shaped unlike the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crm_fixture import CRM_PERIOD, write_crm
from funnel_fixture import FUNNEL_PERIOD, write_funnel
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CONFIG, ROOT
from helpers.opportunity.deals import expected_values, performance, pipeline
from helpers.opportunity.expert import expert_scores
from helpers.opportunity.growth import GROWTH_COLUMNS, co_purchase, growth_table
from helpers.opportunity.history import won_lost_check
from helpers.opportunity.settings import load_opportunity_score
from helpers.pipeline.memory import run_in_memory

SCORE = load_opportunity_score(CONFIG)
ACTIONS = {k: k for k in ("retain_first", "cross_sell", "wallet", "rising", "maintain")}


# --------------------------------------------------------------------------- expected value, pipeline, performance
def _deals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": ["A", "B", "C", "D", "E"],
            "outcome": ["open", "open", "open", "won", "lost"],
            "deal_value": [1000.0, np.nan, np.nan, 500.0, 0.0],
            "budget": [np.nan, 2000.0, np.nan, np.nan, np.nan],
            "stage": ["Prospecting", "Engaging", "Engaging", "Won", "Lost"],
            "owner": ["Ann", "Bob", "Ann", "Ann", "Bob"],
            "created_date": pd.to_datetime(["2024-10-01", "2024-11-01", "2024-12-01", "2024-01-01", "2024-02-01"]),
            "closed_date": pd.to_datetime([None, None, None, "2024-01-31", "2024-03-02"]),
        }
    )


def test_expected_value_is_probability_times_the_deal_value_with_the_budget_standing_in():
    deals = _deals()
    ev = expected_values(deals, pd.Series({"A": 0.5, "B": 0.25, "C": 0.8, "D": 0.9}))
    assert ev["expected_value"].tolist()[:2] == [500.0, 500.0]
    assert ev["value_basis"].tolist()[:2] == ["deal_value", "budget"]
    assert pd.isna(ev["expected_value"].iloc[2]) and pd.isna(ev["value_basis"].iloc[2])  # no value at all
    assert ev.loc[3:, ["win_probability", "expected_value"]].isna().all().all()  # closed deals get none
    assert expected_values(deals, pd.Series(dtype="float64"))["expected_value"].isna().all()


def test_the_pipeline_and_the_closed_deals_add_up_per_breakdown():
    deals = pd.concat([_deals(), expected_values(_deals(), pd.Series({"A": 0.5, "B": 0.25}))], axis=1)
    p = pipeline(deals)
    assert set(p.index.get_level_values("by")) == {"stage", "owner"}
    for by in ("stage", "owner"):
        assert p.loc[by, "deals"].sum() == 3
        assert p.loc[by, "value"].sum() == pytest.approx(3000.0)
        assert p.loc[by, "expected_value"].sum() == pytest.approx(1000.0)
    perf = performance(deals)
    assert perf.loc[("all", "all"), ["deals", "wins"]].tolist() == [2, 1]
    assert perf.loc[("all", "all"), "days_to_win"] == 30 and perf.loc[("all", "all"), "days_to_close"] == 30
    assert perf.loc[("owner", "Ann"), "win_rate"] == 1.0 and perf.loc[("owner", "Bob"), "win_rate"] == 0.0
    assert performance(deals.iloc[:3]).empty


def _signal(n: int, strength: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    contact = rng.choice(["已接触决策人", "未接触"], n)
    p = np.where(contact == "已接触决策人", 0.5 + strength, 0.5 - strength)
    outcome = np.where(rng.random(n) < p, "won", "lost")
    outcome[-20:] = "open"
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "company_size": "大型",
            "decision_maker": contact,
            "outcome": outcome,
            "closed_date": pd.date_range("2023-01-01", periods=n, freq="D").where(outcome != "open"),
        }
    )


def test_open_deals_get_a_win_probability_only_from_a_model_that_passed_its_test():
    strong = _signal(600, 0.3, seed=1)
    check = won_lost_check(
        strong, expert_scores(strong, SCORE, fx=1.0), SCORE.weights(), test_share=0.3, min_deals=20, min_auc=0.6, seed=1
    )
    assert check.model_auc > 0.7 and check.probability_reason == ""
    assert sorted(check.probabilities.index) == sorted(strong["lead_id"].iloc[-20:])
    contacted = strong.set_index("lead_id")["decision_maker"].eq("已接触决策人").reindex(check.probabilities.index)
    assert check.probabilities[contacted].min() > 0.65 > 0.35 > check.probabilities[~contacted].max()
    assert check.calibration["brier"] < check.calibration["base_brier"]

    noise = _signal(600, 0.0, seed=2)
    check = won_lost_check(
        noise, expert_scores(noise, SCORE, fx=1.0), SCORE.weights(), test_share=0.3, min_deals=20, min_auc=0.6, seed=1
    )
    assert check.status == "ok" and check.probabilities.empty
    assert "below the 0.60 it needs" in check.probability_reason or "no closer" in check.probability_reason


# --------------------------------------------------------------------------- growth among existing customers
@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=3, max_size=30))
def test_propensities_are_shares_and_never_suggest_what_is_bought(rows):
    spend = pd.DataFrame(np.array(rows, dtype=float) * 100, columns=list("wxyz"))
    propensity, because, typical = co_purchase(spend, min_buyers=1, max_items=10)
    if propensity.empty:
        return
    values = propensity.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()
    assert (values[spend[propensity.columns].to_numpy() > 0] == 0).all()
    assert typical.between(0, 1).all()


def test_co_purchase_names_what_the_buyers_of_an_item_also_buy():
    # 10 buy A and B, 10 buy A only, 5 buy C only; the last customer buys A alone
    spend = pd.DataFrame(
        [[100, 50, 0]] * 10 + [[100, 0, 0]] * 10 + [[0, 0, 80]] * 5,
        columns=["A", "B", "C"],
        dtype=float,
    )
    propensity, because, _ = co_purchase(spend, min_buyers=5, max_items=10)
    assert propensity.iloc[-6]["B"] == pytest.approx(0.5)  # half of A's buyers buy B
    assert because.iloc[-6]["B"] == "A"
    assert propensity.iloc[-6]["C"] == 0.0  # no buyer of A buys C
    assert propensity.iloc[-1]["A"] == 0.0 and propensity.iloc[-1]["B"] == 0.0


def _orders() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for i in range(30):
        items = ["A", "B"] if i < 20 else ["A"]
        for item in items:
            rows.append((f"C{i:02d}", "2024-03-01", item, 100.0))
            rows.append((f"C{i:02d}", "2024-09-01", item, 100.0 if i != 25 else 10.0))
    rows.append(("C99", "2024-06-01", "A", -50.0))  # only a return: no net spend, not a growth customer
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "category", "amount"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["product_id"] = orders["category"]
    customers = pd.DataFrame({"customer_id": [f"C{i:02d}" for i in range(30)], "customer_name": "x"})
    customers["wallet"] = np.where(customers.index == 21, 1000.0, np.nan)
    return orders, customers


def _growth_table(orders: pd.DataFrame, customers: pd.DataFrame, churn: pd.DataFrame | None):
    return growth_table(
        orders,
        customers,
        churn,
        start=pd.Timestamp("2024-01-01"),
        end=pd.Timestamp("2025-01-01"),
        min_buyers=5,
        max_items=10,
        suggestions=3,
        min_propensity=0.2,
        rising=0.2,
        falling=0.5,
        low_wallet_share=0.5,
        actions=ACTIONS,
    )


def _growth(churn: pd.DataFrame | None) -> pd.DataFrame:
    table, item = _growth_table(*_orders(), churn)
    assert item == "category" and table.columns.tolist() == GROWTH_COLUMNS
    return table.set_index("customer_id")


def test_growth_lists_every_buyer_once_with_suggestions_wallet_and_trend():
    g = _growth(None)
    assert sorted(g.index) == [f"C{i:02d}" for i in range(30)]  # the return-only customer is not a buyer
    assert g.loc["C22", "top_item"] == "B" and g.loc["C22", "top_propensity"] == pytest.approx(20 / 30)
    assert pd.isna(g.loc["C05", "top_item"]) and g.loc["C05", "cross_sell_value"] == 0
    yearly = 200 * 365 / 366  # the window (2024, a leap year) annualised
    assert g.loc["C21", "wallet_gap"] == pytest.approx(1000 - yearly) and g.loc["C21", "wallet_share"] == pytest.approx(
        yearly / 1000
    )
    assert g.loc["C25", "trend"] == pytest.approx(-0.9)
    # not scored by stage 04: the sharp fall alone puts C25 with the customers to retain first, last
    assert g.loc["C25", "retain_first"] and g.index[-1] == "C25" and g.loc["C25", "action"] == "retain_first"
    assert g.loc["C21", "growth_value"] == pytest.approx(g.loc["C21", "cross_sell_value"] + 1000 - yearly)


def test_churn_risk_from_stage_04_decides_who_is_retained_first():
    churn = pd.DataFrame(
        {
            "customer_id": ["C22", "C25"],
            "churn_probability": [0.9, 0.1],
            "risk_band": ["high", "low"],
            "owner": ["Ann", "Bob"],
        }
    )
    g = _growth(churn)
    assert g.loc["C22", "retain_first"] and g.loc["C22", "action"] == "retain_first"
    assert not g.loc["C25", "retain_first"]  # scored low risk: its fall does not override the model
    assert g.loc["C22", "owner"] == "Ann" and g.loc["C22", "churn_probability"] == 0.9
    assert g["retain_first"].tolist() == sorted(g["retain_first"].tolist())  # those to retain first come last


# --------------------------------------------------------------------------- a CRM pipeline, end to end
@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("crm")
    mapping = write_crm(folder)
    return run_in_memory(ROOT, CRM_PERIOD, data=folder, mapping=str(mapping), last=5)


@pytest.mark.slow
def test_on_a_crm_pipeline_the_stage_runs_end_to_end(crm):
    run = crm.results["05_opportunity_scoring"]
    check = run.check
    assert check.status == "ok", check.reason
    # the planted owner and product effects are what the expert score cannot see and the fitted model can
    assert check.model_auc >= 0.68 and check.model_auc > check.expert_auc + 0.08
    open_ = run.table.loc[run.table["outcome"].eq("open")]
    assert len(open_) > 50 and open_["win_probability"].between(0, 1).all()
    assert (open_["expected_value"] == open_["win_probability"] * open_["deal_value"]).all()
    assert abs(check.calibration["predicted"] - check.calibration["observed"]) < 0.08
    assert set(run.pipeline.index.get_level_values("by")) == {"stage", "owner", "product"}
    assert run.pipeline.loc["stage", "deals"].sum() == len(open_)
    by = set(run.performance.index.get_level_values("by"))
    assert {"all", "owner", "product", "sector"} <= by
    closed = run.table["outcome"].isin(["won", "lost"]).sum()
    assert run.performance.loc[("all", "all"), "deals"] == closed
    # growth: the order lines carry products, no category; every account with won deals in the year is listed
    assert run.growth_item == "product_id"
    orders = crm.outputs["orders"]
    year = orders.loc[orders["order_date"] >= pd.Timestamp("2024-01-01")]
    assert set(run.growth["customer_id"]) == set(year.groupby("customer_id")["amount"].sum().loc[lambda s: s > 0].index)
    metrics = run.outputs["opportunity_metrics"]
    assert metrics["win_probability"] == "given" and metrics["growth"]["items"] == "product_id"
    sheets = [sheet.name for sheet in run.outputs["opportunity_priority"].all_sheets()]
    assert len(sheets) == 7  # about, priority, check, weights, pipeline, performance, growth


# --------------------------------------------------------------------------- a marketing funnel, leads alone
@pytest.fixture(scope="module")
def funnel(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("funnel")
    mapping = write_funnel(folder)
    return run_in_memory(ROOT, FUNNEL_PERIOD, data=folder, mapping=str(mapping), last=5)


def test_a_lead_history_alone_runs_and_the_model_leaves_out_what_closing_writes(funnel):
    assert "a lead history" in funnel.results["01_data_cleaning"].warnings[0]
    assert "no churn to model" in funnel.results["04_churn_model"].warnings[0]
    run = funnel.results["05_opportunity_scoring"]
    check = run.check
    assert check.status == "ok", check.reason
    # the sales rep and the segment are filled for won deals only: left out, named, and the model stays honest
    assert {"owner", "sector"} <= set(check.left_out)
    assert any("leaves out" in w and "owner" in w for w in run.warnings)
    assert check.model_auc < 0.8
    open_ = run.table.loc[run.table["outcome"].eq("open")]
    assert len(open_) > 100 and open_["tier"].isna().all()  # no factor of the expert score for open leads
    if check.probabilities.empty:
        assert check.probability_reason
    else:
        assert open_["win_probability"].between(0, 1).all() and open_["expected_value"].isna().all()
    assert run.growth.empty and run.outputs["opportunity_metrics"]["open_deals"]["value"] is None


def test_a_deal_value_written_only_at_closing_is_kept_out_of_the_model():
    deals = _signal(600, 0.0, seed=3)  # the contact says nothing; the deal value gives the outcome away
    deals["budget"] = 100_000.0
    deals["deal_value"] = np.where(deals["outcome"].eq("won"), 90_000.0, 0.0)
    scored = expert_scores(deals, SCORE, fx=1.0)
    check = won_lost_check(deals, scored, SCORE.weights(), test_share=0.3, min_deals=20, min_auc=0.6, seed=1)
    assert "budget" in check.left_out and "deal value" in check.left_out["budget"]
    assert check.model_auc < 0.65  # without the leak there is nothing to learn
    assert check.expert_auc > 0.9  # the expert score's budget points still read it: flattered, and said so


def test_a_zero_deal_value_is_not_known_yet_and_the_budget_stands_in():
    deals = _deals().assign(deal_value=[0.0, np.nan, np.nan, 500.0, 0.0], budget=[800.0, 2000.0, np.nan, 1, 1])
    ev = expected_values(deals, pd.Series({"A": 0.5, "B": 0.25}))
    assert ev["value_basis"].iloc[0] == "budget" and ev["expected_value"].iloc[0] == 400.0


def test_growth_without_item_columns_or_churn_columns_still_ranks_the_customers():
    orders, customers = _orders()
    orders = orders.drop(columns=["category", "product_id"])
    churn = pd.DataFrame({"customer_id": ["C01"], "something_else": [1]})  # a churn table without its columns
    table, item = _growth_table(orders, customers, churn)
    assert item is None and len(table) == 30 and table["top_item"].isna().all()
    assert table["risk_band"].isna().all() and table.loc[table["customer_id"].eq("C21"), "action"].item() == "wallet"
