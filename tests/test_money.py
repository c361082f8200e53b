"""Money thresholds that travel: config amounts in CNY applied to data in GBP or USD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.pipeline.registry import load_settings
from helpers.segmentation import report as sr
from helpers.segmentation import scorecard as sc
from helpers.segmentation.money import MoneyBasis, money_basis, rfm_in_data_currency
from helpers.segmentation.rfm import rfm_segments
from helpers.segmentation.settings import load_scorecard

CONFIG = Path(__file__).resolve().parents[1] / "config"
CARD = load_scorecard(CONFIG)
RFM = load_settings(CONFIG).segmentation.rfm


@pytest.fixture
def notes(monkeypatch) -> list[str]:
    """What the report functions show, as text."""
    shown: list[str] = []
    monkeypatch.setattr(sr, "note", shown.append)
    return shown


GBP_NO_RATE = MoneyBasis("CNY", "GBP", None)
USD = money_basis("CNY", "USD", {"CNY": 0.14, "EUR": 1.1})


def _table(monetary: list[float]) -> pd.DataFrame:
    n = len(monetary)
    return pd.DataFrame(
        {
            "monetary": monetary,
            "gross_profit": [m * 0.3 for m in monetary],
            "projected_sales": monetary,
            "credit_days_late": [np.nan] * n,
            "order_month_share": [0.5] * n,
            "tenure_years": [2.0] * n,
        },
        index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"),
    )


def test_the_basis_says_same_converted_or_not_comparable():
    assert money_basis("CNY", "CNY", {}).rate == 1.0 and not money_basis("CNY", "CNY", {}).converted
    assert USD.rate == 0.14 and USD.converted and USD.convert(100_000) == pytest.approx(14_000)
    assert not money_basis("CNY", "GBP", {"USD": 0.8}).comparable
    assert "no exchange rate for CNY" in GBP_NO_RATE.describe()
    assert GBP_NO_RATE.describe("Cut points").startswith("Cut points are set in CNY")
    assert "1 CNY = 0.14 USD" in USD.describe()
    with pytest.raises(ValueError, match="no exchange rate from CNY to GBP"):
        GBP_NO_RATE.convert(1.0)


def test_money_cut_points_are_converted_with_the_mappings_rate():
    # 1M CNY of sales = 140k USD: level 4 from 140k, 3 from 70k, 2 from 7k.
    table = _table([150_000, 100_000, 10_000, 1_000])
    levels = sc.factor_levels(table, CARD, money=USD)
    assert levels["last_year_sales"].tolist() == [4, 3, 2, 1]
    assert levels.attrs["cuts"]["last_year_sales"]["cuts"] == pytest.approx([140e3, 70e3, 7e3])
    assert levels.attrs["cuts"]["last_year_sales"]["basis"] == "converted"
    # Factors that are not money keep their cuts whatever the currency.
    assert levels.attrs["cuts"]["loyalty"]["basis"] == "as_set"
    # The same amounts read as CNY grade everyone small on sales: what the conversion prevents.
    assert sc.factor_levels(table, CARD)["last_year_sales"].tolist() == [2, 2, 1, 1]


def test_without_a_rate_money_factors_are_graded_by_rank_in_the_typical_pyramid(notes):
    table = _table([float(v) for v in range(1, 201)])  # 200 customers, spends 1..200 GBP
    levels = sc.factor_levels(table, CARD, money=GBP_NO_RATE)
    counts = levels["last_year_sales"].value_counts()
    assert (counts[4], counts[3], counts[2], counts[1]) == (2, 38, 60, 100)  # 1% / 19% / 30% / 50%
    assert levels.attrs["cuts"]["last_year_sales"]["basis"] == "percentiles"
    scores = sc.scorecard_scores(levels, CARD)
    classes = sc.scorecard_classes(scores, levels, pd.Series("basic", index=table.index), CARD)
    assert classes["scorecard_class"].nunique() > 1  # never everyone small
    sr.scorecard_basis_note(levels, CARD)
    text = " ".join(notes)
    assert "graded by rank" in text and "level 4 for the top 1%" in text and "GBP" in text


def test_consumer_data_can_be_graded_by_rank_even_in_the_scorecards_currency(notes):
    # Yearly spends of a consumer shop, in CNY: the B2B amounts would put them all on level 1.
    table = _table([float(v) for v in range(10, 2010, 10)])
    assert sc.factor_levels(table, CARD, money=money_basis("CNY", "CNY", {}))["last_year_sales"].eq(1).all()
    by_rank = CARD.model_copy(update={"money_cuts": "percentiles"})
    levels = sc.factor_levels(table, by_rank, money=money_basis("CNY", "CNY", {}))
    assert levels["last_year_sales"].value_counts().sort_index().tolist() == [100, 60, 38, 2]
    assert levels["loyalty"].notna().all() and levels.attrs["cuts"]["loyalty"]["basis"] == "as_set"
    sr.scorecard_basis_note(levels, by_rank)
    assert "set to grade money by rank" in notes[0]


def test_not_comparable_leaves_the_money_factors_out_and_says_why():
    card = CARD.model_copy(update={"money_fallback": "not_comparable"})
    levels = sc.factor_levels(_table([5.0, 50.0]), card, money=GBP_NO_RATE)
    assert levels["last_year_sales"].isna().all() and levels["loyalty"].notna().all()
    assert "amounts in CNY and the data are in GBP" in levels.attrs["missing"]["projected_sales"]
    table = sc.factor_table(levels, card).set_index("key")
    assert table.loc["last_year_profit", "status"] == "missing"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e8, allow_nan=False), min_size=1, max_size=60),
    st.floats(min_value=1e-3, max_value=1e3),
)
def test_converted_levels_do_not_depend_on_the_currency(values, rate):
    """Amounts x rate graded with cuts x rate give the levels the amounts give with the cuts as set."""
    table = _table(values)
    as_set = sc.factor_levels(table, CARD)
    money = ["gross_profit", "monetary", "projected_sales"]
    scaled = table.assign(**{c: table[c] * rate for c in money})
    converted = sc.factor_levels(scaled, CARD, money=MoneyBasis("CNY", "XXX", rate))
    for key, column in zip(("last_year_profit", "last_year_sales", "projected_sales"), money):
        # Float rounding exactly at a cut may move a value by one level: compare the others exactly.
        assert (as_set[key] - converted[key]).abs().max() <= 1
        cuts = np.array(converted.attrs["cuts"][key]["cuts"])
        clear = ~np.isclose(scaled[column].to_numpy()[:, None], cuts, rtol=1e-9, atol=0).any(axis=1)
        assert as_set[key][clear].equals(converted[key][clear])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e8, allow_nan=False), min_size=1, max_size=80))
def test_rank_levels_never_put_a_larger_amount_lower(values):
    levels = sc.factor_levels(_table(values), CARD, money=GBP_NO_RATE)["last_year_sales"].to_numpy(dtype=float)
    if len(set(values)) < 2:  # no rank to grade by
        assert np.isnan(levels).all()
        return
    order = np.argsort(values, kind="stable")
    assert (np.diff(levels[order]) >= 0).all()
    assert (levels[np.array(values) <= 0] == 1).all()  # nothing spent is never above level 1
    for v in set(values):  # equal amounts, equal levels
        assert len(set(levels[np.array(values) == v])) == 1


def test_ties_take_the_lower_level_and_one_value_for_all_is_no_rank(notes):
    mostly_nothing = sc.factor_levels(_table([0.0] * 6 + [10.0, 20.0, 30.0, 40.0]), CARD, money=GBP_NO_RATE)
    assert mostly_nothing["last_year_sales"].tolist() == [1] * 6 + [2, 2, 3, 3]  # top 1% of 10: nobody
    same = sc.factor_levels(_table([1000.0] * 10), CARD, money=GBP_NO_RATE)
    assert same["last_year_sales"].isna().all()
    assert "every customer has the same value" in same.attrs["missing"]["last_year_sales"]
    card = CARD.model_copy(update={"money_fallback": "not_comparable"})
    sr.scorecard_basis_note(sc.factor_levels(_table([5.0, 50.0]), card, money=GBP_NO_RATE), card)
    assert "are left out of the score" in notes[-1]


def test_rfm_rules_with_amounts_are_converted_or_not_applied():
    converted, notes = rfm_in_data_currency(RFM, USD)
    assert notes == {}
    rule = converted.overrides[0]
    assert rule.when["monetary"].min == pytest.approx(100_000 * 0.14)
    assert rule.when["frequency"].min == RFM.overrides[0].when["frequency"].min  # not an amount
    dropped, notes = rfm_in_data_currency(RFM, GBP_NO_RATE)
    assert dropped.overrides == [] and dropped.flags == []  # both test spend
    assert set(notes) == {f"override {RFM.overrides[0].name}", f"flag {RFM.flags[0].name}"}
    assert "no exchange rate" in notes[f"override {RFM.overrides[0].name}"]
    same, notes = rfm_in_data_currency(RFM, money_basis("CNY", "CNY", {}))
    assert same is RFM and notes == {}


def test_a_fixed_spend_cut_is_converted_or_falls_back_to_the_median():
    fixed = RFM.model_copy(update={"cut": "fixed"})
    converted, _ = rfm_in_data_currency(fixed, USD)
    assert converted.fixed["monetary"] == pytest.approx(RFM.fixed["monetary"] * 0.14)
    assert converted.fixed["frequency"] == RFM.fixed["frequency"]
    median, notes = rfm_in_data_currency(fixed, GBP_NO_RATE)
    assert median.cut == "median" and "medians instead" in notes["cut"]


def test_an_override_in_yuan_does_not_fire_on_pounds(notes):
    # 150,000 GBP-worth of spend in 12 orders last week: the CNY rule would fire as if these were yuan.
    indicators = pd.DataFrame(
        {
            "recency_days": [3, 200, 10, 40],
            "frequency": [12, 1, 2, 3],
            "monetary": [150_000.0, 20.0, 900.0, 5_000.0],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    ).astype({"recency_days": "Int64", "frequency": "Int64"})
    as_yuan = rfm_segments(indicators, RFM)
    assert as_yuan.loc["a", "rfm_class_source"] == RFM.overrides[0].name
    as_pounds = rfm_segments(indicators, RFM, GBP_NO_RATE)
    assert (as_pounds["rfm_class_source"] == "cut").all()
    assert "not applied" in as_pounds.attrs["unavailable"][f"override {RFM.overrides[0].name}"]
    sr.rfm_method_note(as_pounds, RFM, "GBP")
    assert "not applied" in " ".join(notes) and "no exchange rate for CNY" in " ".join(notes)
