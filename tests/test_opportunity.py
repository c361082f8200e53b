"""The expert opportunity score of domain §6 (sub-scores, re-weighting, tiers) and its check against won/lost
history, out of time, on hand-made deals and on the sample's planted wins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from conftest import CONFIG, ROOT
from helpers.core.catalog import ProjectPaths
from helpers.core.config import validated
from helpers.core.periods import parse_period
from helpers.opportunity.expert import expert_scores, opportunity_tiers, sub_scores
from helpers.opportunity.history import won_lost_check
from helpers.opportunity.settings import OpportunityScore, load_opportunity_score
from helpers.pipeline.context import stage_context
from helpers.pipeline.memory import run_in_memory
from helpers.pipeline.registry import load_settings
from helpers.sample_data import generate

SCORE = load_opportunity_score(CONFIG)


def _leads(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)], **columns})


def test_the_defaults_are_the_domain_s():
    assert SCORE.weights() == {"company_size": 20, "industry_match": 25, "budget": 30, "decision_maker": 25}
    assert (SCORE.tiers.priority, SCORE.tiers.nurture) == (80, 50)


def test_sizes_and_contacts_are_matched_as_written_and_unlisted_ones_are_named():
    leads = _leads(
        company_size=["大型", " Large ", "巨型", None], decision_maker=["已接触决策人", "未接触", "CEO", None]
    )
    shares = sub_scores(leads, SCORE, fx=1.0)
    assert shares["company_size"].tolist()[:2] == [1.0, 1.0] and shares["company_size"].iloc[2:].isna().all()
    assert shares["decision_maker"].tolist()[:2] == [1.0, 0.0] and shares["decision_maker"].iloc[2:].isna().all()
    assert shares.attrs["unlisted"] == {"company_size": ["巨型"], "decision_maker": ["CEO"]}


def test_industry_match_target_sector_other_and_unknown():
    leads = _leads(industry=["制造业-汽车零部件", "制造业-食品饮料", "服务业-软件", None])
    assert sub_scores(leads, SCORE, fx=1.0)["industry_match"].tolist()[:3] == [1.0, 0.4, 0.0]
    assert np.isnan(sub_scores(leads, SCORE, fx=1.0)["industry_match"].iloc[3])


def test_budget_against_the_deal_value_else_the_typical_budget_of_the_size():
    leads = _leads(
        budget=[100_000, 100_000, 100_000, 30_000, 100_000, None],
        deal_value=[90_000, 200_000, None, None, None, 50_000],
        company_size=["小型", "小型", "中型", "中型", "巨型", "小型"],
    )
    points = sub_scores(leads, SCORE, fx=1.0)["budget"]
    # 1.11 of the deal -> 1.0; 0.5 -> 0.4; 0.4 of the typical 250k -> 0.4; 0.12 -> 0.1; no typical, no deal; no budget
    assert points.iloc[:4].tolist() == [1.0, 0.4, 0.4, 0.1] and points.iloc[4:].isna().all()
    # the typical budgets are in CNY: without a rate to the reporting currency only the deal value can judge
    assert sub_scores(leads, SCORE, fx=None)["budget"].notna().tolist() == [True, True, False, False, False, False]


def test_every_factor_full_is_100_and_a_missing_one_is_re_weighted():
    leads = _leads(
        company_size=["大型", "大型"],
        industry=["制造业-化工", "制造业-化工"],
        budget=[2_000_000, None],
        decision_maker=["已接触决策人", "仅接触采购"],
    )
    scored = expert_scores(leads, SCORE, fx=1.0)
    assert scored["score"].iloc[0] == 100 and scored["tier"].iloc[0] == "priority"
    # no budget: (20 + 25 + 0.5 * 25) / 70
    assert scored["score"].iloc[1] == pytest.approx(100 * 57.5 / 70)
    assert scored["factors_missing"].iloc[1] == "budget" and scored["coverage"].iloc[1] == pytest.approx(0.7)


@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=1, max_size=30))
def test_tiers_at_their_thresholds(values):
    score = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    tier = opportunity_tiers(score, SCORE.tiers)
    expected = ["priority" if v >= 80 else "nurture" if v >= 50 else "watch" for v in score.dropna()]
    assert tier.dropna().tolist() == expected and tier.isna().sum() == score.isna().sum()
    assert opportunity_tiers(pd.Series([80.0, 79.999999, 50.0, 49.99]), SCORE.tiers).tolist() == [
        "priority",
        "nurture",
        "nurture",
        "watch",
    ]


def test_settings_are_checked():
    data = SCORE.model_dump()
    data["tiers"] = {"priority": 50, "nurture": 60}
    with pytest.raises(Exception, match="must be below priority"):
        validated(OpportunityScore, data, "opportunity.yaml")
    data = SCORE.model_dump()
    data["factors"]["budget"]["bands"] = [{"ratio": 0.5, "points": 0.5}, {"ratio": 1.0, "points": 1.0}]
    with pytest.raises(Exception, match="from the highest down"):
        validated(OpportunityScore, data, "opportunity.yaml")


def _history(n: int, wins: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    leads = _leads(
        company_size=["大型"] * n,
        decision_maker=(["已接触决策人", "未接触"] * n)[:n],
        outcome=["won"] * wins + ["lost"] * (n - wins),
        closed_date=pd.date_range("2025-01-01", periods=n, freq="D")[::-1],
    )
    return leads, expert_scores(leads, SCORE, fx=1.0)


def test_without_both_outcomes_or_enough_deals_there_is_no_check_and_it_says_why():
    leads, scored = _history(40, 0)
    check = won_lost_check(leads, scored, SCORE.weights(), test_share=0.3, min_deals=5, min_auc=0.6, seed=1)
    assert check.status == "no_history" and "0 of them won" in check.reason
    leads, scored = _history(40, 6)
    check = won_lost_check(leads, scored, SCORE.weights(), test_share=0.3, min_deals=5, min_auc=0.6, seed=1)
    assert check.status == "no_history" and "at least 5 of each" in check.reason


def test_the_test_deals_are_the_latest_closed():
    leads, scored = _history(100, 50)
    check = won_lost_check(leads, scored, SCORE.weights(), test_share=0.3, min_deals=5, min_auc=0.6, seed=1)
    assert check.sizes["test"]["deals"] == 30 and check.sizes["train"]["deals"] == 70
    assert check.cutoff == leads["closed_date"].sort_values().iloc[70]


@pytest.fixture(scope="module")
def sample_leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("opportunity") / "sample"
    generate(folder, seed=20251231)
    return run_in_memory(ROOT, "2025Q4", data=folder, last=1).outputs["leads"]


@pytest.mark.slow
def test_on_the_sample_priority_wins_more_than_nurture_which_wins_more_than_watch(sample_leads):
    scored = expert_scores(sample_leads, SCORE, fx=1.0)
    outcome = sample_leads.set_index(sample_leads["lead_id"].astype(str))["outcome"]
    closed = outcome.isin(["won", "lost"])
    won = outcome[closed].eq("won")
    rates = won.groupby(scored.loc[closed[closed].index, "tier"]).mean()
    assert rates["priority"] > rates["nurture"] > rates["watch"]
    assert roc_auc_score(won, scored.loc[won.index, "score"]) >= 0.65


@pytest.mark.slow
def test_on_the_sample_history_recovers_the_planted_weights_out_of_time(sample_leads):
    scored = expert_scores(sample_leads, SCORE, fx=1.0)
    check = won_lost_check(sample_leads, scored, SCORE.weights(), test_share=0.3, min_deals=30, min_auc=0.6, seed=42)
    assert check.status == "ok", check.reason
    assert check.expert_auc >= 0.65 and check.model_auc >= 0.7
    # planted: the decision-maker contact moves the odds most, then the budget; size barely
    suggested = check.suggested["suggested"]
    assert suggested.idxmax() == "decision_maker" and suggested["budget"] > suggested["company_size"]
    assert check.suggested["suggested"].sum() == pytest.approx(100)
    rates = check.win_rates["win_rate"]
    assert rates["priority"] > rates["nurture"] > rates["watch"]


def test_without_a_lead_table_the_stage_says_so(tmp_path):
    generate(tmp_path / "sample", n_customers=60, seed=4)
    (tmp_path / "sample" / "leads.xlsx").unlink()
    cleaned = run_in_memory(ROOT, "2025Q4", data=tmp_path / "sample", last=1).outputs
    ctx = stage_context(5, ProjectPaths(ROOT), parse_period("2025Q4"), load_settings(CONFIG), {})
    opportunity = ctx.compute({"leads": cleaned.get("leads"), "cleaning": cleaned["cleaning"]})
    assert not opportunity.has_leads and opportunity.table.empty
    assert opportunity.warnings == ["the data hold no lead table: there are no leads to score"]
    assert opportunity.outputs["opportunity_metrics"]["status"] == "no_leads"


def test_the_priority_table_colours_each_tier(tmp_path):
    import openpyxl

    from helpers.io.excel import Sheet, Workbook
    from helpers.opportunity.report import TIER_COLOURS

    frame = pd.DataFrame({"Lead": ["L1", "L2"], "tier": ['priority "A"', "watch"]})
    fills = {"tier": {'priority "A"': TIER_COLOURS["priority"], "watch": "#EDEDED"}}
    Workbook([Sheet("t", frame, headers={"tier": "Tier"}, fills=fills)]).write(tmp_path / "t.xlsx")
    rules = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"].conditional_formatting
    formulas = sorted(f for r in rules for rule in r.rules for f in rule.formula)
    assert formulas == ['"priority ""A"""', '"watch"'] and all(str(r.sqref) == "B2:B3" for r in rules)
