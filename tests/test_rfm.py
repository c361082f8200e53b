"""RFM segmentation: scores and ties, cuts, the eight classes, overrides, flags, summary, heat-map grid."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from conftest import SETTINGS, with_changes
from helpers.core.errors import DataValidationError
from helpers.core.labels import LABELS, Label
from helpers.reporting.style import use_report_style
from helpers.segmentation.charts import plot_class_revenue, plot_class_share, plot_rf_heatmap
from helpers.segmentation.rfm import (
    RFM_CLASS_BY_HIGH,
    SEGMENT_COLUMNS,
    SUMMARY_COLUMNS,
    mid_rank_percentile,
    rf_matrix,
    rfm_cuts,
    rfm_high_low,
    rfm_scores,
    rfm_segments,
    segment_summary,
)
from helpers.segmentation.settings import RFM_CLASSES, RfmSettings

#: The rfm settings without override and flag rules, for tests of the cut itself.
PLAIN = with_changes(SETTINGS.segmentation.rfm, overrides=[], flags=[])

FIXED = {"recency_days": 90, "frequency": 2, "monetary": 1000}


def indicators(recency, frequency, monetary, ids=None, **extra) -> pd.DataFrame:
    """A minimal stage 02 indicators table."""
    n = len(recency)
    idx = pd.Index(ids or [f"C{i:03d}" for i in range(n)], name="customer_id")
    df = pd.DataFrame(
        {
            "recency_days": pd.array(recency, dtype="Int64"),
            "frequency": pd.array(frequency, dtype="Int64"),
            "monetary": np.asarray(monetary, dtype=float),
            **extra,
        },
        index=idx,
    )
    df.attrs["unavailable"] = {}
    return df


def fixed(**kwargs) -> RfmSettings:
    return with_changes(PLAIN, cut="fixed", fixed=FIXED, **kwargs)


# --------------------------------------------------------------------------- labels and mapping
def test_labels_follow_the_config_order_and_domain_names():
    assert tuple(LABELS.keys("rfm_class")) == (*RFM_CLASSES, "total")
    assert LABELS.label("rfm_class", "important_value") == Label("重要价值客户", "important value")
    assert LABELS.label("rfm_class", "general_win_back") == Label("一般挽留客户", "general win-back")
    assert sorted(RFM_CLASS_BY_HIGH.values()) == sorted(RFM_CLASSES)


@pytest.mark.parametrize("pattern", list(itertools.product([True, False], repeat=3)))
def test_each_high_low_pattern_maps_to_its_class(pattern):
    r_high, f_high, m_high = pattern
    df = indicators([10 if r_high else 200], [5 if f_high else 1], [5000 if m_high else 10])
    seg = rfm_segments(df, fixed())
    row = seg.iloc[0]
    assert (row["r_high"], row["f_high"], row["m_high"]) == pattern
    expected = {
        (True, True, True): "important_value",
        (False, True, True): "important_retain",
        (True, False, True): "important_develop",
        (False, False, True): "important_win_back",
        (True, True, False): "general_value",
        (False, True, False): "general_retain",
        (True, False, False): "general_develop",
        (False, False, False): "general_win_back",
    }[pattern]
    assert row["rfm_class"] == expected
    label = LABELS.label("rfm_class", expected)
    assert (row["rfm_class_zh"], row["rfm_class_en"]) == (label.zh, label.en)
    assert row["rfm_class_source"] == "cut"


# --------------------------------------------------------------------------- scores and ties
def test_all_tied_customers_get_the_middle_score():
    df = indicators([30] * 7, [2] * 7, [100.0] * 7)
    scores = rfm_scores(df, bins=5)
    assert (scores == 3).all().all()
    assert (rfm_scores(df, bins=4) == 3).all().all()  # floor(4 / 2) + 1


def test_distinct_values_spread_evenly_over_the_bins():
    df = indicators(list(range(10, 0, -1)), list(range(1, 11)), list(range(1, 11)))
    scores = rfm_scores(df, bins=5)
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores["f_score"].tolist() == expected
    assert scores["m_score"].tolist() == expected
    assert scores["r_score"].tolist() == expected  # recency 10 .. 1: the smallest recency is best


def test_fewer_distinct_values_than_bins_leave_scores_unused():
    # Three customers on 1 order, one on 2: mid-rank percentiles 0.375 and 0.875.
    df = indicators([5, 5, 5, 5], [1, 1, 1, 2], [10.0, 10.0, 10.0, 20.0])
    scores = rfm_scores(df, bins=5)
    assert scores["f_score"].tolist() == [2, 2, 2, 5]
    seg = rfm_segments(df, PLAIN)
    assert seg.attrs["score_levels_used"] == {"r_score": [3], "f_score": [2, 5], "m_score": [2, 5]}


def test_ties_share_a_score_whatever_the_row_order():
    values = [3, 1, 3, 2, 3, 5, 1, 3]
    df = indicators([1] * 8, values, values)
    scores = rfm_scores(df, bins=5)
    for v in set(values):
        assert scores.loc[[x == v for x in values], "f_score"].nunique() == 1
    shuffled = df.iloc[::-1]
    pd.testing.assert_frame_equal(rfm_scores(shuffled, bins=5).loc[df.index], scores)


def test_na_values_are_left_out_of_the_ranking():
    df = indicators([None, 10, 20], [0, 1, 2], [0.0, 1.0, 2.0])
    scores = rfm_scores(df, bins=2)
    assert pd.isna(scores["r_score"].iloc[0])
    assert scores["r_score"].iloc[1:].tolist() == [2, 1]
    assert mid_rank_percentile(pd.Series([1.0, None, 2.0])).tolist()[::2] == [0.25, 0.75]


# --------------------------------------------------------------------------- cuts
def test_median_cut_is_strict_so_the_typical_customer_is_low():
    df = indicators([10, 20, 30], [1, 1, 3], [100.0, 200.0, 300.0])
    settings = with_changes(PLAIN, cut="median")
    assert rfm_cuts(df, settings) == {"recency_days": 20.0, "frequency": 1.0, "monetary": 200.0}
    high = rfm_high_low(df, settings)
    assert high["r_high"].tolist() == [True, False, False]
    assert high["f_high"].tolist() == [False, False, True]
    assert high["m_high"].tolist() == [False, False, True]
    assert high.attrs["cuts"]["monetary"] == 200.0


def test_mean_cut():
    df = indicators([0, 0, 30], [1, 1, 4], [0.0, 0.0, 90.0])
    cuts = rfm_cuts(df, with_changes(PLAIN, cut="mean"))
    assert cuts == {"recency_days": 10.0, "frequency": 2.0, "monetary": 30.0}
    assert rfm_high_low(df, with_changes(PLAIN, cut="mean"))["r_high"].tolist() == [True, True, False]


def test_quantile_cut_leaves_the_best_share_beyond_it_on_every_dimension():
    df = indicators(list(range(1, 11)), list(range(1, 11)), list(range(1, 11)))
    settings = with_changes(PLAIN, cut="quantile", quantile=0.8)
    cuts = rfm_cuts(df, settings)
    assert cuts["frequency"] == pytest.approx(8.2)
    assert cuts["recency_days"] == pytest.approx(2.8)  # 0.2 quantile: smaller recency is better
    high = rfm_high_low(df, settings)
    assert high[["r_high", "f_high", "m_high"]].sum().tolist() == [2, 2, 2]


def test_fixed_cut_is_inclusive():
    df = indicators([90, 91], [2, 1], [1000.0, 999.99])
    high = rfm_high_low(df, fixed())
    assert high.iloc[0].tolist() == [True, True, True]
    assert high.iloc[1].tolist() == [False, False, False]
    assert rfm_cuts(df, fixed()) == {k: float(v) for k, v in FIXED.items()}


# --------------------------------------------------------------------------- overrides and flags
def _rules(*rules, flags=()):
    return fixed(overrides=list(rules), flags=list(flags))


def test_first_matching_override_wins_and_bounds_are_inclusive():
    df = indicators(
        [30, 30, 31, 200],
        [10, 10, 10, 1],
        [100000.0, 5.0, 100000.0, 5.0],
        ids=["on_bounds", "low_m", "r_too_old", "plain"],
    )
    settings = _rules(
        {
            "name": "vip",
            "assign": "important_value",
            "when": {"recency_days": {"max": 30}, "frequency": {"min": 10}, "monetary": {"min": 100000}},
        },
        {"name": "busy", "assign": "general_value", "when": {"frequency": {"min": 10}}},
        {"name": "never reached", "assign": "important_develop", "when": {"frequency": {"min": 10}}},
    )
    seg = rfm_segments(df, settings)
    assert seg.loc["on_bounds", ["rfm_class", "rfm_class_source"]].tolist() == ["important_value", "vip"]
    assert seg.loc["low_m", ["rfm_class", "rfm_class_source"]].tolist() == ["general_value", "busy"]
    assert seg.loc["r_too_old", ["rfm_class", "rfm_class_source"]].tolist() == ["general_value", "busy"]
    assert seg.loc["plain", ["rfm_class", "rfm_class_source"]].tolist() == ["general_win_back", "cut"]
    # The override changes the class, not the high/low flags of the cut (which say important value here).
    assert seg.loc["r_too_old", ["r_high", "f_high", "m_high"]].tolist() == [True, True, True]


def test_a_condition_on_a_missing_value_does_not_hold():
    df = indicators([10, 10], [3, 3], [50.0, 50.0], ids=["no_csat", "csat"], csat=[np.nan, 0.2])
    df.attrs["unavailable"] = {}
    settings = _rules(
        {"name": "unhappy", "assign": "important_win_back", "when": {"csat": {"max": 0.5}}},
        flags=[{"name": "low_csat", "label": "低满意 low CSAT", "when": {"csat": {"max": 0.5}}}],
    )
    seg = rfm_segments(df, settings)
    assert seg.loc["no_csat", "rfm_class_source"] == "cut"
    assert seg.loc["no_csat", "rfm_flags"] == ""
    assert seg.loc["csat", "rfm_class"] == "important_win_back"
    assert seg.loc["csat", "rfm_flags"] == "低满意 low CSAT"


def test_flags_are_joined_in_order():
    df = indicators([100, 10], [1, 5], [10.0, 5000.0])
    settings = _rules(
        flags=[
            {"name": "churn_risk", "label": "流失风险 churn risk", "when": {"recency_days": {"min": 90}}},
            {"name": "one_order", "label": "单次购买 one order", "when": {"frequency": {"max": 1}}},
        ]
    )
    seg = rfm_segments(df, settings)
    assert seg["rfm_flags"].tolist() == ["流失风险 churn risk; 单次购买 one order", ""]


def test_rule_on_an_unavailable_indicator_is_reported():
    df = indicators([10], [3], [50.0], csat=[np.nan])
    df.attrs["unavailable"] = {"csat": "no ticket satisfaction ratings in the data"}
    settings = _rules({"name": "unhappy", "assign": "important_win_back", "when": {"csat": {"max": 0.5}}})
    seg = rfm_segments(df, settings)
    assert "no ticket satisfaction ratings" in seg.attrs["unavailable"]["override unhappy"]


def test_missing_rule_column_is_a_clear_error():
    df = indicators([10], [3], [50.0])
    settings = _rules({"name": "unhappy", "assign": "important_win_back", "when": {"csat": {"max": 0.5}}})
    with pytest.raises(DataValidationError, match="csat"):
        rfm_segments(df, settings)


# --------------------------------------------------------------------------- segments, summary, grid
def test_customers_without_a_purchase_are_excluded_and_counted():
    df = indicators([None, 5, 400], [0, 2, 0], [0.0, 300.0, 0.0])
    seg = rfm_segments(df, PLAIN)
    assert list(seg.columns) == SEGMENT_COLUMNS
    assert seg.index.tolist() == ["C001", "C002"] and seg.index.name == "customer_id"
    assert seg.attrs["excluded"]["count"] == 1
    assert "no purchase" in seg.attrs["excluded"]["reason"]
    assert seg["rfm_code"].tolist() == [f"{r}{f}{m}" for r, f, m in zip(seg["r_score"], seg["f_score"], seg["m_score"])]


def test_summary_has_every_class_and_a_total():
    df = indicators([5, 6, 300, 400], [4, 4, 1, 0], [1000.0, 3000.0, 500.0, -100.0])
    seg = rfm_segments(df, fixed())
    summary = segment_summary(seg)
    assert summary.index.tolist() == [*RFM_CLASSES, "total"]
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary.loc["general_value", "customers"] == 0
    assert np.isnan(summary.loc["general_value", "avg_order_value"])
    iv = summary.loc["important_value"]
    assert (iv["customers"], iv["revenue"], iv["avg_order_value"]) == (2, 4000.0, 500.0)
    assert iv["median_monetary"] == 2000.0
    total = summary.loc["total"]
    assert total["revenue"] == 4400.0 and total["customers"] == 4
    assert iv["revenue_share"] == pytest.approx(4000 / 4400)
    # Net spend: the customer with net returns (-100) lowers their class's share.
    gwb = summary.loc["general_win_back"]
    assert (gwb["customers"], gwb["revenue"], gwb["avg_order_value"]) == (2, 400.0, 400.0)
    assert summary.loc[list(RFM_CLASSES), "revenue_share"].sum() == pytest.approx(1.0)


def test_rf_matrix_counts_and_means():
    df = indicators(list(range(1, 11)), list(range(1, 11)), [float(v) for v in range(10, 110, 10)])
    seg = rfm_segments(df, PLAIN)
    counts = rf_matrix(seg)
    assert counts.index.tolist() == [5, 4, 3, 2, 1] and counts.columns.tolist() == [1, 2, 3, 4, 5]
    assert counts.to_numpy().sum() == 10
    assert counts.loc[5, 1] == 2  # most recent customers bought least often here
    means = rf_matrix(seg, "monetary")
    assert means.loc[5, 1] == 15.0 and np.isnan(means.loc[5, 5])
    with pytest.raises(ValueError):
        rf_matrix(seg, "orders")


def test_empty_input_gives_empty_segments_and_a_zero_summary():
    df = indicators([None], [0], [0.0])
    seg = rfm_segments(df, PLAIN)
    assert seg.empty and seg.attrs["excluded"]["count"] == 1
    summary = segment_summary(seg)
    assert summary["customers"].sum() == 0
    assert rf_matrix(seg).to_numpy().sum() == 0


def test_plots_draw_and_return_their_axes():
    use_report_style()
    df = indicators([1, 50, 100, 200], [5, 3, 2, 1], [9000.0, 4000.0, 100.0, -50.0])
    seg = rfm_segments(df, PLAIN)
    summary = segment_summary(seg)
    fig, axes = plt.subplots(1, 4)
    assert plot_class_share(axes[0], summary) is axes[0]
    assert plot_class_revenue(axes[1], summary) is axes[1]
    assert plot_rf_heatmap(axes[2], rf_matrix(seg)) is axes[2]
    assert plot_rf_heatmap(axes[3], rf_matrix(seg, "monetary")) is axes[3]
    assert len(axes[0].patches) == 8
    plt.close(fig)


# --------------------------------------------------------------------------- properties
@st.composite
def customer_tables(draw):
    n = draw(st.integers(1, 40))
    recency = draw(st.lists(st.one_of(st.none(), st.integers(0, 400)), min_size=n, max_size=n))
    frequency = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    monetary = draw(
        st.lists(
            st.sampled_from([-50.0, 0.0, 10.0, 99.5, 1000.0, 25000.0]) | st.floats(-1e3, 1e6), min_size=n, max_size=n
        )
    )
    return indicators(recency, frequency, monetary)


SETTINGS = st.builds(
    lambda cut, q, bins: with_changes(PLAIN, cut=cut, quantile=q, fixed=FIXED, score_bins=bins),
    st.sampled_from(["median", "mean", "quantile", "fixed"]),
    st.floats(0.05, 0.95),
    st.integers(2, 10),
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_tables(), SETTINGS)
def test_every_buyer_gets_exactly_one_class_and_the_summary_adds_up(df, settings):
    seg = rfm_segments(df, settings)
    buyers = df["recency_days"].notna()
    assert seg.index.tolist() == df.index[buyers.to_numpy()].tolist()
    assert seg["rfm_class"].isin(RFM_CLASSES).all()
    summary = segment_summary(seg)
    classes = summary.loc[list(RFM_CLASSES)]
    assert classes["customers"].sum() == summary.loc["total", "customers"] == len(seg)
    if len(seg):
        assert classes["share"].sum() == pytest.approx(1.0)
        assert classes["revenue"].sum() == pytest.approx(summary.loc["total", "revenue"], abs=1e-6)


@hsettings(max_examples=60, deadline=None)
@given(customer_tables(), st.integers(2, 10))
def test_scores_stay_in_range_and_follow_the_values(df, bins):
    scores = rfm_scores(df, bins)
    for column, score, better in (
        ("recency_days", "r_score", -1),
        ("frequency", "f_score", 1),
        ("monetary", "m_score", 1),
    ):
        known = df[column].notna().to_numpy()
        s = scores.loc[known, score].astype(int).to_numpy()
        v = df.loc[known, column].astype(float).to_numpy() * better
        assert ((s >= 1) & (s <= bins)).all()
        order = np.argsort(v, kind="stable")
        assert (np.diff(s[order]) >= 0).all()  # a better value never gets a lower score
        for value in np.unique(v):
            assert len(set(s[v == value])) == 1  # ties share a score
