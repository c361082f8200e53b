"""The gradings beside RFM: rule boundaries, precedence and not-available behaviour."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from conftest import SETTINGS, with_changes
from helpers.core.errors import DataValidationError
from helpers.core.labels import LABELS, Label
from helpers.core.periods import parse_period
from helpers.reporting.style import use_report_style
from helpers.segmentation.charts import plot_tier_counts, plot_value_matrix
from helpers.segmentation.gradings import (
    GRADING_CLASSES,
    NEEDS_SIGNALS,
    behaviour_state,
    needs_signals,
    needs_type,
    satisfaction_class,
    value_matrix,
    value_tier,
)

GRADINGS = SETTINGS.segmentation.gradings
VALUE_MATRIX = SETTINGS.segmentation.value_matrix

# March 2024 with a 60-day window: 1 Feb - 31 Mar 2024.
PERIOD = parse_period("2024-03")
LOOKBACK = 60


def frame(ids: list[str], unavailable: dict[str, str] | None = None, **columns) -> pd.DataFrame:
    df = pd.DataFrame(columns, index=pd.Index(ids, name="customer_id"))
    df.attrs["unavailable"] = unavailable or {}
    return df


def test_every_grading_has_bilingual_labels_and_not_available():
    for grading, classes in GRADING_CLASSES.items():
        assert classes[-1] == "not_available", grading
        assert tuple(LABELS.keys(grading)) == classes, grading  # the registry lists the same classes, in order
        assert LABELS.label(grading, "not_available") == Label("无数据", "no data")  # its own class, never a default
    assert LABELS.label("value_matrix", "strategic") == Label("战略型", "strategic")
    assert LABELS.label("needs_type", "no_clear_preference").zh == "无明显偏好"


# --------------------------------------------------------------------------- value tier
def test_value_tier_takes_the_top_shares():
    ids = [f"C{i}" for i in range(10)]
    df = frame(ids, monetary=np.arange(10, 0, -1) * 100.0, gross_profit=np.arange(10, 0, -1) * 10.0)
    tier = value_tier(df, GRADINGS.value_tier)
    assert tier.name == "value_tier" and tier.index.name == "customer_id"
    assert tier.tolist() == ["high"] * 2 + ["medium"] * 3 + ["low"] * 5
    assert tier.attrs["weights"] == {"monetary": 0.5, "gross_profit": 0.5}
    assert tier.attrs["cuts"]["high_top_share"] == 0.2
    assert tier.attrs["cuts"]["high_min_score"] == pytest.approx(0.85)


def test_value_tier_keeps_ties_together():
    # Three customers tie on top: their mid-rank share from the top is 0.3 / 2 = 0.15 < 0.2, all high.
    df = frame(
        list("ABCDEFGHIJ"),
        monetary=[9.0, 9.0, 9.0, 5, 4, 3, 2, 1, 1, 1],
        gross_profit=[1.0, 1.0, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1],
    )
    tier = value_tier(df, GRADINGS.value_tier)
    assert tier.tolist()[:3] == ["high"] * 3
    assert tier.loc[["H", "I", "J"]].nunique() == 1


def test_value_tier_uses_spend_alone_without_profit():
    df = frame(
        list("ABCDE"),
        unavailable={"gross_profit": "no product costs in the data"},
        monetary=[50.0, 40, 30, 20, 10],
        gross_profit=[np.nan] * 5,
    )
    tier = value_tier(df, GRADINGS.value_tier)
    assert tier.attrs["weights"] == {"monetary": 1.0}
    assert "spend alone" in tier.attrs["basis"] and "no product costs" in tier.attrs["basis"]
    assert tier.tolist() == ["high", "medium", "low", "low", "low"]
    # Listed unavailable is enough, even when stale values sit in the column.
    df["gross_profit"] = [1.0, 2, 3, 4, 5]
    assert value_tier(df, GRADINGS.value_tier).tolist() == ["high", "medium", "low", "low", "low"]


def test_value_tier_not_available_without_spend():
    df = frame(["A", "B"], monetary=[np.nan, 10.0], gross_profit=[np.nan, 1.0])
    tier = value_tier(df, GRADINGS.value_tier)
    assert tier["A"] == "not_available"
    assert tier["B"] != "not_available"


@hsettings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 10.0, 100.0, 5000.0]), st.sampled_from([-5.0, 0.0, 3.0, 900.0])),
        min_size=1,
        max_size=40,
    )
)
def test_value_tier_is_monotone_and_ties_share_a_tier(rows):
    df = frame([f"C{i}" for i in range(len(rows))], monetary=[m for m, _ in rows], gross_profit=[g for _, g in rows])
    tier = value_tier(df, GRADINGS.value_tier)
    rank = tier.map({"high": 2, "medium": 1, "low": 0})
    for (m1, g1), r1 in zip(rows, rank):
        for (m2, g2), r2 in zip(rows, rank):
            if m1 >= m2 and g1 >= g2:
                assert r1 >= r2  # at least as good on both: never a lower tier
    assert tier.isin(["high", "medium", "low"]).all()


# --------------------------------------------------------------------------- behaviour
def test_behaviour_state_boundaries():
    df = frame(list("ABCDEF"), recency_days=pd.array([0, 90, 91, 179, 180, None], dtype="Int64"))
    state = behaviour_state(df, with_changes(GRADINGS.behaviour, active_max_days=90, churned_min_days=180))
    assert state.tolist() == ["active", "active", "dormant", "dormant", "churned", "not_available"]
    assert state.attrs["cuts"] == {"active_max_days": 90, "churned_min_days": 180}
    assert "never bought" in state.attrs["unavailable"]["recency_days"]


# --------------------------------------------------------------------------- needs
def _orders(rows):
    cols = ["customer_id", "order_id", "order_date", "product_id", "quantity", "amount", "line_type", "is_custom"]
    df = pd.DataFrame(rows, columns=cols)
    df["order_date"] = pd.to_datetime(df["order_date"], format="ISO8601")
    df["product_id"] = df["product_id"].astype("string")
    df["is_custom"] = df["is_custom"].astype("boolean")
    return df


ORDERS = _orders(
    [
        ("A", "O1", "2024-02-10", "p1", 2.0, 180.0, "sale", False),  # 10% off a list value of 200
        ("A", "O2", "2024-03-01", "p2", 1.0, 300.0, "sale", True),  # custom, premium, at list price
        ("A", "R1", "2024-03-05", "p1", -1.0, -90.0, "return", False),  # returns are not purchase mix
        ("A", "O0", "2024-01-01", "p2", 1.0, 1000.0, "sale", True),  # before the window
        ("A", "O9", "2024-04-02", "p1", 1.0, 1.0, "sale", False),  # after the as-of date
        ("B", "O3", "2024-03-31 23:00", "p3", 4.0, 200.0, "sale", None),  # custom unknown: left out of that share
        ("B", "O4", "2024-03-20", None, 1.0, 100.0, "sale", True),  # a made-to-order line without a product
        ("C", "O5", "2024-02-01", "p4", 1.0, 50.0, "sale", False),  # product not in the catalogue
    ]
)
PRODUCTS = pd.DataFrame(
    {
        "product_id": pd.array(["p1", "p2", "p5", "p3", "p6", "p7"], dtype="string"),
        "category": ["X", "X", "X", "Y", "Y", "Y"],
        "list_price": [100.0, 300.0, 200.0, 50.0, 80.0, np.nan],  # medians: X 200, Y 65
    }
)


def test_needs_signals_by_hand():
    signals = needs_signals(ORDERS, PRODUCTS, PERIOD, LOOKBACK)
    assert list(signals.columns) == NEEDS_SIGNALS
    assert signals.index.tolist() == ["A", "B", "C"] and signals.index.name == "customer_id"
    a, b, c = (signals.loc[k] for k in "ABC")
    assert a["custom_share"] == pytest.approx(300 / 480)
    assert a["discount_rate"] == pytest.approx(1 - 480 / 500)
    assert a["premium_share"] == pytest.approx(300 / 480)
    assert b["custom_share"] == 1.0 and b["discount_rate"] == 0.0 and b["premium_share"] == 0.0
    assert c["custom_share"] == 0.0 and np.isnan(c["discount_rate"]) and np.isnan(c["premium_share"])
    assert signals.attrs["unavailable"] == {}


def test_needs_signals_say_what_the_data_lack():
    no_products = needs_signals(ORDERS, None, PERIOD, LOOKBACK)
    assert no_products[["discount_rate", "premium_share"]].isna().all().all()
    assert no_products.attrs["unavailable"]["discount_rate"] == "no product table in the data"
    assert no_products["custom_share"].notna().any()

    plain = needs_signals(ORDERS.drop(columns="is_custom"), PRODUCTS.drop(columns="category"), PERIOD, LOOKBACK)
    assert plain["custom_share"].isna().all() and plain["premium_share"].isna().all()
    assert "which are custom" in plain.attrs["unavailable"]["custom_share"]
    assert "categories" in plain.attrs["unavailable"]["premium_share"]
    assert plain["discount_rate"].notna().any()

    empty_flags = ORDERS.assign(is_custom=pd.array([None] * len(ORDERS), dtype="boolean"))
    assert "custom_share" in needs_signals(empty_flags, PRODUCTS, PERIOD, LOOKBACK).attrs["unavailable"]
    no_prices = needs_signals(ORDERS, PRODUCTS.assign(list_price=np.nan), PERIOD, LOOKBACK)
    assert "list prices" in no_prices.attrs["unavailable"]["discount_rate"]
    no_ids = needs_signals(ORDERS.drop(columns="product_id"), PRODUCTS, PERIOD, LOOKBACK)
    assert "product ids" in no_ids.attrs["unavailable"]["premium_share"]
    with pytest.raises(DataValidationError, match="amount"):
        needs_signals(ORDERS.drop(columns="amount"), PRODUCTS, PERIOD, LOOKBACK)


def test_needs_type_order_boundaries_and_not_available():
    signals = pd.DataFrame(
        {
            "custom_share": [0.2, 0.5, 0.19, 0.0, np.nan, np.nan, 0.0],
            "discount_rate": [0.5, 0.05, 0.049, 0.0, np.nan, np.nan, np.nan],
            "premium_share": [0.9, 0.9, 0.5, 0.49, 0.7, np.nan, np.nan],
        },
        index=pd.Index(list("ABCDEFG"), name="customer_id"),
    )
    signals.attrs["unavailable"] = {"x": "y"}
    kind = needs_type(signals, GRADINGS.needs)
    assert kind.tolist() == [
        "personalised",
        "personalised",
        "quality_seeking",
        "no_clear_preference",
        "quality_seeking",
        "not_available",
        "no_clear_preference",
    ]
    assert kind.attrs["unavailable"] == {"x": "y"}
    assert kind.attrs["cuts"]["price_sensitive_min_discount"] == 0.05
    price = needs_type(signals.assign(custom_share=0.0), GRADINGS.needs)
    assert price["B"] == "price_sensitive" and price["C"] == "quality_seeking"


def test_needs_type_of_customers_without_sales_in_the_window():
    signals = needs_signals(ORDERS, PRODUCTS, PERIOD, LOOKBACK, customers=pd.Index(["A", "Z"]))
    assert signals.index.tolist() == ["A", "Z"] and signals.index.name == "customer_id"
    kind = needs_type(signals, GRADINGS.needs)
    assert kind.to_dict() == {"A": "personalised", "Z": "not_available"}


# --------------------------------------------------------------------------- satisfaction
def test_satisfaction_boundaries_and_precedence():
    df = frame(
        list("ABCDEFGHIJ"),
        csat=[0.49, 0.5, 0.79, 0.8, 0.9, np.nan, np.nan, np.nan, np.nan, np.nan],
        nps_class=pd.array(
            [None, None, None, None, "detractor", "promoter", "promoter", None, None, "passive"], dtype="string"
        ),
        complaints=pd.array([0, 0, 0, 0, 0, 2, 1, 0, None, None], dtype="Int64"),
        tickets=pd.array([1, 0, 0, 0, 0, 3, 1, 2, None, None], dtype="Int64"),
    )
    cls = satisfaction_class(df, GRADINGS.satisfaction)
    assert cls.tolist() == [
        "unsatisfied",
        "neutral",
        "neutral",
        "satisfied",
        "unsatisfied",  # a detractor is unsatisfied whatever the CSAT
        "unsatisfied",  # complaints win over a promoter answer
        "satisfied",
        "neutral",  # no CSAT/NPS, tickets without a complaint: neutral
        "not_available",
        "neutral",
    ]
    # Never in touch (no ticket, no survey): no data, not neutral — 0 complaints says nothing.
    silent = satisfaction_class(df.iloc[[7]].assign(tickets=pd.array([0], dtype="Int64")), GRADINGS.satisfaction)
    assert silent.tolist() == ["not_available"]
    assert LABELS.text("satisfaction_class", "not_available").endswith("no data")
    assert cls.attrs["cuts"]["unsatisfied_min_complaints"] == 2


def test_satisfaction_reports_missing_sources():
    df = frame(
        ["A"],
        unavailable={"csat": "no service tickets in the data", "complaints": "no service tickets"},
        csat=[np.nan],
        nps_class=pd.array([None], dtype="string"),
        complaints=pd.array([None], dtype="Int64"),
    )
    cls = satisfaction_class(df, GRADINGS.satisfaction)
    assert cls.tolist() == ["not_available"]
    assert set(cls.attrs["unavailable"]) == {"csat", "nps_class", "complaints"}
    assert cls.attrs["unavailable"]["csat"] == "no service tickets in the data"


# --------------------------------------------------------------------------- value matrix
def test_value_matrix_quadrants_with_a_strict_median():
    idx = pd.Index(list("ABCDE"), name="customer_id")
    clv = pd.Series([10.0, 10.0, 1.0, 1.0, 5.0], index=idx)
    profit = pd.Series([10.0, 1.0, 10.0, 1.0, 5.0], index=idx)
    vm = value_matrix(clv, profit, VALUE_MATRIX)
    assert vm.name == "value_matrix"
    assert vm.tolist() == ["strategic", "high_potential", "basic", "inefficient", "inefficient"]  # E on both medians
    assert vm.attrs["cuts"] == {"clv": 5.0, "gross_profit": 5.0}


def test_value_matrix_fixed_is_inclusive_and_missing_values_are_not_available():
    clv = pd.Series([5.0, 4.9, np.nan, 7.0], index=["A", "B", "C", "D"])
    profit = pd.Series([3.0, 3.0, 3.0, np.nan, 9.0], index=["A", "B", "C", "D", "E"])
    vm = value_matrix(clv, profit, with_changes(VALUE_MATRIX, cut="fixed", fixed={"clv": 5, "gross_profit": 3}))
    assert vm.to_dict() == {
        "A": "strategic",
        "B": "basic",
        "C": "not_available",
        "D": "not_available",
        "E": "not_available",
    }


def test_value_matrix_mean_and_quantile_cuts_and_unavailable_clv():
    clv = pd.Series([0.0, 0.0, 0.0, 100.0])
    profit = pd.Series([1.0, 2.0, 3.0, 4.0])
    mean = value_matrix(clv, profit, with_changes(VALUE_MATRIX, cut="mean"))
    assert mean.attrs["cuts"] == {"clv": 25.0, "gross_profit": 2.5}
    q = value_matrix(clv, profit, with_changes(VALUE_MATRIX, cut="quantile", quantile=0.75))
    assert q.attrs["cuts"]["gross_profit"] == pytest.approx(3.25)
    assert q.tolist() == ["inefficient", "inefficient", "inefficient", "strategic"]
    none = pd.Series(np.nan, index=clv.index)
    none.attrs["unavailable"] = {"clv": "fewer than 20 repeat customers"}
    na = value_matrix(none, profit, VALUE_MATRIX)
    assert (na == "not_available").all()
    assert na.attrs["unavailable"] == {"clv": "fewer than 20 repeat customers"}


def test_grading_plots_draw_and_return_their_axes():
    use_report_style()
    clv = pd.Series([-50.0, 0.0, 300.0, 5e5, np.nan], index=list("ABCDE"))
    profit = pd.Series([1.0, -20.0, 40.0, 9e4, 3.0], index=list("ABCDE"))
    vm = value_matrix(clv, profit, VALUE_MATRIX)
    fig, axes = plt.subplots(1, 2)
    assert plot_value_matrix(axes[0], clv, profit, vm, vm.attrs["cuts"]) is axes[0]
    assert plot_tier_counts(axes[1], vm) is axes[1]
    assert len(axes[1].patches) == 5  # four classes and the not-available bar
    plt.close(fig)
