"""The CLV verdict, the choice among candidate models, the fallback rule and the churned-potential warning.

Unit tests on hand-made figures (no model is fitted), plus one real-data check on Online Retail 2011-11.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pydantic
import pytest

from conftest import SETTINGS, clean, shared_file, with_changes
from helpers.core.periods import parse_period
from helpers.segmentation.clv import (
    COMPARISON_COLUMNS,
    VERDICT_LEVELS,
    ClvVerdict,
    PeriodClv,
    clv_use,
    clv_verdict,
    compare_models,
    fallback_value,
    period_clv,
)
from helpers.segmentation.gradings import value_matrix
from helpers.segmentation.report import churned_potential_sentence, clv_record, clv_verdict_sentence
from helpers.segmentation.scorecard import churned_potential

CLV = SETTINGS.segmentation.clv
VERDICT = CLV.verdict  # reliable: |error| <= 15 %, correlation >= 0.5; ranking only: correlation >= 0.3
MATRIX = SETTINGS.segmentation.value_matrix


def _errors(error: float, corr: float) -> dict[str, float]:
    return {"total_error_pct": error, "correlation": corr, "mae": 1.0}


# --------------------------------------------------------------------------- verdict
@pytest.mark.parametrize(
    "error, corr, alive, level",
    [
        (-2.0, 0.6, 0.0, "reliable"),
        (15.0, 0.5, 0.0, "reliable"),  # both thresholds inclusive
        (-15.1, 0.9, 0.0, "ranking_only"),  # total off, order good
        (3.0, 0.49, 0.0, "ranking_only"),
        (-20.0, 0.3, 0.0, "ranking_only"),
        (-44.9, 0.06, 0.0, "not_reliable"),  # the Online Retail finding
        (1.0, 0.29, 0.0, "not_reliable"),
        (-2.0, 0.6, 0.95, "ranking_only"),  # degenerate dropout: at best ranking only
        (-2.0, 0.1, 0.95, "not_reliable"),
        (np.nan, np.nan, 0.0, "not_reliable"),  # no holdout purchase: nothing to compare
    ],
)
def test_verdict_thresholds(error, corr, alive, level):
    verdict = clv_verdict(_errors(error, corr), alive, VERDICT)
    assert verdict.level == level and verdict.checked
    assert verdict.ranks == (level != "not_reliable") and verdict.in_money == (level == "reliable")
    assert ("no dropout" in " ".join(verdict.reasons)) == (alive >= VERDICT.degenerate_share)


def test_verdict_reasons_state_the_figures_and_the_thresholds_in_words():
    verdict = clv_verdict(_errors(-44.9, 0.06), 0.0, VERDICT)
    text = " ".join(verdict.reasons)
    assert "-44.9%" in text and "0.06" in text and "±15%" in text and "0.50" in text and "0.30" in text
    assert "segmentation" not in text and "_" not in text  # no config keys or column names


def test_without_a_holdout_check_the_verdict_is_not_checked_and_not_relied_on():
    verdict = clv_verdict(None, 0.0, VERDICT)
    assert verdict == ClvVerdict("not_reliable", False, verdict.reasons)
    assert "no holdout check" in verdict.reasons[0] and not verdict.ranks


def test_verdict_settings_are_validated():
    with pytest.raises(pydantic.ValidationError, match="ranking_only.min_correlation"):
        with_changes(VERDICT, ranking_only={"min_correlation": 0.8})
    with pytest.raises(
        pydantic.ValidationError, match="purchase_priors: give the priors of modified_bgnbd, pareto_nbd"
    ):
        with_changes(CLV, purchase_priors={"bgnbd": CLV.purchase_priors["bgnbd"]})
    with pytest.raises(pydantic.ValidationError, match="purchase_priors.pareto_nbd needs exactly"):
        with_changes(CLV, purchase_priors={**CLV.purchase_priors, "pareto_nbd": CLV.purchase_priors["bgnbd"]})


# --------------------------------------------------------------------------- choice
def _check(error: float, corr: float, alive: float = 0.0, ll: float = -100.0) -> SimpleNamespace:
    fit = SimpleNamespace(log_likelihood=ll, alive_share=alive, degenerate=alive >= VERDICT.degenerate_share)
    return SimpleNamespace(errors=_errors(error, corr), fit=fit)


def _chosen(checks: dict[str, SimpleNamespace]) -> str:
    table = compare_models(checks, CLV)  # type: ignore[arg-type]
    assert list(table.columns) == COMPARISON_COLUMNS and list(table["model"]) == list(checks)
    assert table["chosen"].sum() == 1
    return str(table.loc[table["chosen"], "model"].iloc[0])


def test_choice_prefers_the_best_verdict_then_the_smallest_total_error_then_correlation():
    # A smaller total error does not beat a better verdict.
    assert _chosen({"bgnbd": _check(1.0, 0.35), "modified_bgnbd": _check(-12.0, 0.6)}) == "modified_bgnbd"
    # Equal verdicts: the smallest absolute error of the total, whatever the sign.
    assert _chosen({"bgnbd": _check(-9.0, 0.7), "pareto_nbd": _check(4.0, 0.6)}) == "pareto_nbd"
    # Equal error: the higher correlation; all equal: the first candidate.
    assert _chosen({"bgnbd": _check(5.0, 0.6), "pareto_nbd": _check(-5.0, 0.8)}) == "pareto_nbd"
    assert _chosen({"bgnbd": _check(5.0, 0.6), "pareto_nbd": _check(5.0, 0.6)}) == "bgnbd"
    # A degenerate dropout demotes a model that fits the holdout well.
    table = compare_models({"bgnbd": _check(-1.0, 0.9, alive=1.0), "pareto_nbd": _check(-10.0, 0.55)}, CLV)  # type: ignore[arg-type]
    assert list(table["verdict"]) == ["ranking_only", "reliable"] and list(table["chosen"]) == [False, True]
    assert list(table["degenerate"]) == [True, False]


# --------------------------------------------------------------------------- fallback
@pytest.fixture
def customers() -> dict[str, pd.Series]:
    idx = pd.Index(["A", "B", "C", "D", "E"], name="customer_id")
    return {
        # E: silent for a year yet the model gives them the top CLV (what Online Retail showed).
        "behaviour": pd.Series(["active", "dormant", "churned", "active", "churned"], index=idx, dtype="string"),
        "monetary": pd.Series([1000.0, 800.0, 5000.0, -50.0, 100.0], index=idx),
        "profit": pd.Series([10.0, 10.0, 10.0, 10.0, 1.0], index=idx),
        "predictions": pd.DataFrame(
            {"clv": [100.0, 50.0, 10.0, 20.0, 9000.0], "projected_sales": [110.0, 55.0, 11.0, 22.0, 9900.0]},
            index=idx,
        ),
    }


def test_fallback_value_is_spend_times_the_recency_weight(customers):
    value = fallback_value(customers["monetary"], customers["behaviour"], CLV.fallback)
    # Weights active 1, dormant 0.5, churned 0; a negative net spend counts as 0.
    assert value.to_dict() == {"A": 1000.0, "B": 400.0, "C": 0.0, "D": 0.0, "E": 0.0}
    unknown = customers["behaviour"].copy()
    unknown["A"] = "not_available"
    assert np.isnan(fallback_value(customers["monetary"], unknown, CLV.fallback)["A"])


def _use(customers, level: str, cut: str = "median"):
    verdict = ClvVerdict(level, True, ("because",))
    return clv_use(customers["predictions"], verdict, customers["monetary"], customers["behaviour"], CLV.fallback, cut)


def test_not_reliable_clv_feeds_neither_the_value_matrix_nor_projected_sales(customers):
    use = _use(customers, "not_reliable")
    assert use.matrix_basis == use.projected_basis == "fallback_value"
    assert use.future_value.equals(use.fallback) and use.projected_sales.equals(use.fallback)
    matrix = value_matrix(use.future_value, customers["profit"], MATRIX)
    # The churned customer with the top CLV is not "high potential" on last year's spend by recency.
    assert matrix["E"] == "inefficient"
    assert value_matrix(customers["predictions"]["clv"], customers["profit"], MATRIX)["E"] == "high_potential"


def test_ranking_only_clv_ranks_but_its_money_does_not_reach_the_scorecard(customers):
    use = _use(customers, "ranking_only")
    assert use.future_value.equals(customers["predictions"]["clv"]) and use.projected_basis == "fallback_value"
    # With fixed money cuts the value matrix compares amounts, so the fallback is used there too.
    assert _use(customers, "ranking_only", cut="fixed").matrix_basis == "fallback_value"
    reliable = _use(customers, "reliable", cut="fixed")
    assert reliable.matrix_basis == "clv" and reliable.projected_sales.equals(
        customers["predictions"]["projected_sales"]
    )


# --------------------------------------------------------------------------- churned but potential
def test_churned_customers_graded_potential_are_flagged_and_counted():
    idx = pd.Index(["A", "B", "C", "D"], name="customer_id")
    behaviour = pd.Series(["churned", "active", "churned", pd.NA], index=idx, dtype="string")
    klass = pd.Series(["potential", "potential", "core", "potential"], index=idx, dtype="string")
    flagged = churned_potential(behaviour, klass)
    assert flagged.dtype == bool and flagged.tolist() == [True, False, False, False]
    grades = pd.DataFrame({"scorecard_class": klass, "churned_potential": flagged})
    sentence = churned_potential_sentence(grades)
    assert sentence is not None and sentence.startswith("1 of the 3 customers graded potential")
    assert churned_potential_sentence(grades.assign(churned_potential=False)) is None


# --------------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.slow
def test_online_retail_2011_11_gets_a_verdict_from_three_candidates():
    period = parse_period("2011-11")
    orders = clean(shared_file("online_retail.parquet"), "2011-11").result.tables["orders"]
    clv = period_clv(orders, period.as_of, CLV)
    table = clv.comparison
    assert list(table["model"]) == ["bgnbd", "modified_bgnbd", "pareto_nbd"] and table["chosen"].sum() == 1
    assert table["verdict"].isin(VERDICT_LEVELS).all() and table["total_error_pct"].notna().all()
    chosen = table.loc[table["chosen"]].iloc[0]
    assert clv.fit is not None and clv.fit.model == chosen["model"] and clv.verdict.checked
    assert clv.verdict.level in VERDICT_LEVELS and len(clv.verdict.reasons) >= 2
    # The verdict rests on the holdout check of the chosen model (and on its full-history fit's dropout).
    assert VERDICT_LEVELS.index(clv.verdict.level) >= VERDICT_LEVELS.index(chosen["verdict"])
    idx = clv.summary.index
    monetary = pd.Series(1.0, index=idx)
    use = clv_use(clv.predictions, clv.verdict, monetary, pd.Series("active", index=idx), CLV.fallback, MATRIX.cut)
    sentence = clv_verdict_sentence(clv, use)
    assert sentence.startswith("Lifetime value:") and f"Why: {clv.fit.name}, chosen among 3 models" in sentence
    record = clv_record(clv, use)
    assert record["verdict"]["level"] == clv.verdict.level and len(record["comparison"]) == 3


def test_the_report_says_first_what_an_unreliable_clv_does_not_feed(customers):
    verdict = ClvVerdict("not_reliable", True, ("the forecast was -44.9% off", "the correlation is 0.06"))
    use = _use(customers, "not_reliable")
    comparison = pd.DataFrame([{"model": m} for m in CLV.candidates], columns=COMPARISON_COLUMNS)
    clv = PeriodClv(
        pd.DataFrame(), customers["predictions"], SimpleNamespace(name="BG/NBD"), None, comparison, verdict, []
    )
    sentence = clv_verdict_sentence(clv, use)  # type: ignore[arg-type]
    assert sentence.startswith("Lifetime value: not reliable for this period. CLV is shown for reference only")
    assert "does not feed the value matrix, the potential class or projected sales" in sentence
    assert "active customers ×1, dormant ×0.5, churned ×0" in sentence
    assert "Why: BG/NBD, chosen among 3 models by the holdout check: the forecast was -44.9% off" in sentence
    ranking = clv_verdict_sentence(
        PeriodClv(**{**clv.__dict__, "verdict": ClvVerdict("ranking_only", True, ("x",))}),
        _use(customers, "ranking_only"),
    )  # type: ignore[arg-type]
    assert "CLV's money figures are not used: it orders customers in the value matrix" in ranking


def test_a_spend_model_that_collapsed_is_said():
    from helpers.segmentation.clv import _flat_spend

    flat = pd.DataFrame({"expected_spend": [1492.44, 1492.45, 1492.44]})
    assert "no difference between customers" in _flat_spend(flat)[0] and "1,492.44" in _flat_spend(flat)[0]
    assert _flat_spend(pd.DataFrame({"expected_spend": [20.0, 35.0, 80.0]})) == []
    assert _flat_spend(pd.DataFrame({"expected_spend": [np.nan, np.nan]})) == []
