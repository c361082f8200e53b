"""Tests of the 13-factor scorecard: levels, scores, classes, pyramid check and loyalty input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.labels import LABELS
from helpers.core.periods import parse_period
from helpers.segmentation import scorecard as sc
from helpers.segmentation.settings import SCORECARD_CLASSES, Factor, Scorecard, load_scorecard

CONFIG = Path(__file__).resolve().parents[1] / "config"
CARD = load_scorecard(CONFIG)
KEYS = [f.key for f in CARD.factors]


def _card(**classes) -> Scorecard:
    """Two data factors (weights 3 and 1, one of each direction) and one manual (weight 1)."""
    return Scorecard.model_validate(
        {
            "currency": "CNY",
            "money_cuts": "amounts",
            "money_fallback": "percentiles",
            "money_percentiles": [0.99, 0.80, 0.50],
            "min_coverage": 0.5,
            "classes": {
                **CARD.classes.model_dump(),
                "potential": {"value_matrix": ["high_potential"], "factor_min": {"prospects": 3}},
                **classes,
            },
            "factors": [
                {
                    "key": "sales",
                    "number": 1,
                    "name_zh": "销售额",
                    "name_en": "Sales",
                    "weight": 3,
                    "source": "data",
                    "column": "monetary",
                    "higher_is_better": True,
                    "money": True,
                    "cuts": [10, 5, 1],
                    "levels": {4: "a", 3: "b", 2: "c", 1: "d"},
                },
                {
                    "key": "late",
                    "number": 2,
                    "name_zh": "逾期",
                    "name_en": "Days late",
                    "weight": 1,
                    "source": "data",
                    "column": "avg_days_late",
                    "higher_is_better": False,
                    "cuts": [3, 30, 90],
                    "levels": {4: "a", 3: "b", 2: "c", 1: "d"},
                },
                {
                    "key": "prospects",
                    "number": 3,
                    "name_zh": "前景",
                    "name_en": "Prospects",
                    "weight": 1,
                    "source": "manual",
                    "levels": {4: "a", 3: "b", 2: "c", 1: "d"},
                },
            ],
        }
    )


def _levels(rows: dict[str, list], index: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, index=pd.Index(index or [f"c{i}" for i in range(len(next(iter(rows.values()))))], name="customer_id")
    )
    return frame.astype("Int64")


# --------------------------------------------------------------------------- levels
def test_cuts_higher_is_better_boundaries():
    values = [10, 9.99, 5, 4.99, 1, 0.99, -3, np.nan, 1e9]
    table = pd.DataFrame({"monetary": values, "avg_days_late": 0.0}, index=[f"c{i}" for i in range(len(values))])
    levels = sc.factor_levels(table, _card())
    assert levels["sales"].tolist() == [4, 3, 3, 2, 2, 1, 1, pd.NA, 4]
    assert levels["sales"].dtype == "Int64"


def test_cuts_lower_is_better_boundaries():
    values = [-5, 0, 3, 3.01, 30, 30.5, 90, 90.01, np.nan]
    table = pd.DataFrame({"monetary": 0.0, "avg_days_late": values}, index=[f"c{i}" for i in range(len(values))])
    assert sc.factor_levels(table, _card())["late"].tolist() == [4, 4, 4, 3, 3, 2, 2, 1, pd.NA]


def test_integer_columns_and_config_cuts():
    table = pd.DataFrame(
        {
            "gross_profit": [300_000.0, 299_999.0, 30_000.0, np.nan],
            "monetary": pd.array([1_000_000, 999_999, 49_999, None], dtype="Int64"),
            "tenure_years": [5.0, 3.0, 0.99, 1.0],
        },
        index=list("abcd"),
    )
    levels = sc.factor_levels(table, CARD)
    assert levels["last_year_profit"].tolist() == [4, 3, 2, pd.NA]
    assert levels["last_year_sales"].tolist() == [4, 3, 1, pd.NA]
    assert levels["relationship_length"].tolist() == [4, 3, 1, 2]
    assert list(levels.columns) == KEYS


def test_missing_factors_are_named_with_the_reason():
    table = pd.DataFrame({"monetary": [1.0, 2.0], "credit_days_late": [np.nan, np.nan]}, index=["a", "b"])
    table.attrs["unavailable"] = {"credit_days_late": "no payments in the data"}
    levels = sc.factor_levels(table, CARD)
    missing = levels.attrs["missing"]
    # The columns are named in words, never by their raw names.
    assert missing["projected_sales"] == f"{LABELS.text('signal', 'projected_sales')} is not in the grading table"
    assert missing["credit"] == f"{LABELS.text('signal', 'credit_days_late')}: no payments in the data"
    assert "projected_sales" not in missing["projected_sales"] and "credit_days_late" not in missing["credit"]
    assert missing["prospects"] == "no manual input sheet for this period"
    assert "last_year_sales" not in missing
    assert levels["credit"].isna().all() and levels["prospects"].isna().all()


def test_manual_levels_align_to_the_table():
    table = pd.DataFrame(
        {"monetary": [1.0, 2.0, 3.0], "avg_days_late": 1.0}, index=pd.Index(["a", "b", "c"], name="customer_id")
    )
    manual = pd.DataFrame(
        {"prospects": pd.array([4, 2, 1], dtype="Int64")},
        index=pd.Index(["c", "a", "zz"], dtype="string", name="customer_id"),
    )
    levels = sc.factor_levels(table, _card(), manual)
    assert levels["prospects"].tolist() == [2, pd.NA, 4]
    assert "prospects" not in levels.attrs["missing"]
    empty = sc.factor_levels(table, _card(), manual.iloc[:0])
    assert empty.attrs["missing"]["prospects"] == "not assessed in the manual input sheet"


def test_bad_manual_level_and_non_numeric_column_are_refused():
    table = pd.DataFrame({"monetary": [1.0], "avg_days_late": 1.0}, index=["a"])
    with pytest.raises(DataValidationError, match="1-4.*'prospects'.*5"):
        sc.factor_levels(table, _card(), pd.DataFrame({"prospects": [5]}, index=["a"]))
    with pytest.raises(DataValidationError, match="high"):
        sc.factor_levels(table, _card(), pd.DataFrame({"prospects": ["high"]}, index=["a"]))
    with pytest.raises(ConfigError, match="not numeric"):
        sc.factor_levels(table.assign(monetary=["x"]), _card())


# --------------------------------------------------------------------------- scores
def test_score_arithmetic_reweighting_and_coverage():
    levels = _levels(
        {
            "sales": [4, 1, 4, 4, None, 3, None],
            "late": [4, 1, 1, None, 4, None, None],
            "prospects": [4, 1, None, None, None, None, None],
        }
    )
    s = sc.scorecard_scores(levels, _card())
    assert list(s.columns) == sc.SCORE_COLUMNS
    assert s["score"].iloc[0] == 100.0 and s["score"].iloc[1] == 0.0
    # sales 4 (w3) + late 1 (w1): mean level 13/4 = 3.25 -> 75
    assert s["score"].iloc[2] == pytest.approx(75.0)
    assert s["coverage"].iloc[2] == pytest.approx(4 / 5)
    # only sales (w3) at 4: re-weighted to 100 whatever is missing; coverage 3/5
    assert s["score"].iloc[3] == 100.0 and s["coverage"].iloc[3] == pytest.approx(0.6)
    # only late (w1): coverage 1/5 < 0.5 -> provisional
    assert s["score"].iloc[4] == 100.0 and s["coverage"].iloc[4] == pytest.approx(0.2)
    assert s["provisional"].tolist() == [False, False, False, False, True, False, True]
    assert s["score"].iloc[5] == pytest.approx(200 / 3)
    assert np.isnan(s["score"].iloc[6]) and s["coverage"].iloc[6] == 0
    assert s["factors_used"].tolist() == [3, 3, 2, 1, 1, 1, 0]
    assert s["factors_missing"].tolist() == [
        "",
        "",
        "prospects",
        "late,prospects",
        "sales,prospects",
        "late,prospects",
        "sales,late,prospects",
    ]


def test_full_scorecard_extremes():
    for level, expected in ((4, 100.0), (1, 0.0)):
        s = sc.scorecard_scores(_levels({k: [level] for k in KEYS}), CARD)
        assert s["score"].iloc[0] == expected and s["coverage"].iloc[0] == pytest.approx(1.0)
    # the manual factors weigh 42 of 100: data alone is not provisional, manual alone is
    data_only = _levels({k: [3 if f.source == "data" else None] for k, f in zip(KEYS, CARD.factors)})
    assert sc.scorecard_scores(data_only, CARD)["coverage"].iloc[0] == pytest.approx(0.58)
    manual_only = _levels({k: [3 if f.source == "manual" else None] for k, f in zip(KEYS, CARD.factors)})
    assert bool(sc.scorecard_scores(manual_only, CARD)["provisional"].iloc[0])


# --------------------------------------------------------------------------- classes
def _scores(values: list[float], index: list[str] | None = None) -> pd.DataFrame:
    idx = pd.Index(index or [f"c{i:03d}" for i in range(len(values))], name="customer_id")
    return pd.DataFrame({"score": values}, index=idx)


def test_thresholds_and_labels():
    scores = _scores([85, 84.99, 65, 64.9, 40, 39.99, 0, np.nan])
    levels = _levels({"prospects": [None] * 8}, list(scores.index))
    c = sc.scorecard_classes(scores, levels, None, _card())
    assert list(c.columns) == sc.CLASS_COLUMNS
    assert c["score_tier"].tolist() == [
        "core",
        "important",
        "important",
        "ordinary",
        "ordinary",
        "small",
        "small",
        "not_available",
    ]
    assert c["scorecard_class"].tolist() == c["score_tier"].tolist()
    assert c["class_zh"].tolist()[:4] == ["核心客户", "重要客户", "重要客户", "普通客户"]
    assert c["class_zh"].iloc[5] == "中小客户" and c["class_en"].iloc[-1] == "not available"
    assert c.attrs["method"] == "thresholds" and c.attrs["unavailable"] == {}
    none = sc.scorecard_classes(_scores([np.nan]), _levels({"prospects": [None]}), None, _card())
    assert "scorecard_class" in none.attrs["unavailable"]


def test_quota_fills_the_pyramid():
    scores = _scores(list(np.linspace(100, 0, 100)))
    card = _card(method="quota")
    c = sc.scorecard_classes(scores, _levels({"prospects": [None] * 100}, list(scores.index)), None, card)
    counts = c["score_tier"].value_counts()
    assert counts.to_dict() == {"core": 1, "important": 19, "ordinary": 30, "small": 50}
    assert c["score_tier"].iloc[0] == "core" and c["score_tier"].iloc[-1] == "small"
    assert c.attrs["method"] == "quota"


def test_quota_never_splits_ties_and_ignores_input_order():
    # 10 customers; core 1%, important 19%, ordinary 30% -> bounds at positions 0, 2, 5
    values = [90, 80, 80, 80, 40, 40, 40, 30, 20, 10]
    scores = _scores(values)
    card = _card(method="quota")
    levels = _levels({"prospects": [None] * 10}, list(scores.index))
    c = sc.scorecard_classes(scores, levels, None, card)
    # the 80s straddle the important/ordinary bound: all take the tier of the best-ranked one (important);
    # the 40s (positions 4-6) straddle the ordinary/small bound and are all ordinary
    assert c["score_tier"].tolist() == [
        "important",
        "important",
        "important",
        "important",
        "ordinary",
        "ordinary",
        "ordinary",
        "small",
        "small",
        "small",
    ]
    shuffled = scores.iloc[[7, 2, 9, 0, 5, 1, 8, 3, 6, 4]]
    again = sc.scorecard_classes(shuffled, levels, None, card)
    pd.testing.assert_series_equal(again["score_tier"].reindex(c.index), c["score_tier"])
    # NaN scores stay out of the ranking
    with_na = sc.scorecard_classes(
        _scores([np.nan, *np.linspace(100, 0, 100)]),
        _levels({"prospects": [None] * 101}, [f"c{i:03d}" for i in range(101)]),
        None,
        card,
    )
    assert with_na["score_tier"].iloc[0] == "not_available"
    assert (with_na["score_tier"] == "core").sum() == 1


def test_potential_rule():
    scores = _scores([90, 50, 50, 20, 20, 20, 20])
    vm = pd.Series(
        ["high_potential", "high_potential", "basic", None, "strategic", "basic", "not_available"], index=scores.index
    )
    levels = _levels({"prospects": [4, None, 2, None, 3, 2, None]}, list(scores.index))
    c = sc.scorecard_classes(scores, levels, vm, _card())
    assert c["score_tier"].tolist() == ["core", "ordinary", "ordinary", "small", "small", "small", "small"]
    assert c["scorecard_class"].tolist() == ["core", "potential", "ordinary", "small", "potential", "small", "small"]
    assert c.loc[c["scorecard_class"] == "potential", "class_zh"].eq("潜在客户").all()
    # without a value matrix only the factor rule applies
    assert sc.scorecard_classes(scores, levels, None, _card())["scorecard_class"].tolist()[1] == "ordinary"


def test_pyramid_check_numbers():
    tiers = ["core"] * 2 + ["important"] * 18 + ["ordinary"] * 30 + ["small"] * 50 + ["not_available"] * 3
    classes = pd.DataFrame({"score_tier": tiers, "scorecard_class": tiers})
    classes.loc[60:70, "scorecard_class"] = "potential"  # counted in their tier
    check = sc.pyramid_check(classes, _card(pyramid_tolerance=0.005))
    assert check["customers"].tolist() == [2, 18, 30, 50]
    assert check["share"].tolist() == pytest.approx([0.02, 0.18, 0.30, 0.50])
    assert check["target"].tolist() == pytest.approx([0.01, 0.19, 0.30, 0.50])
    assert check["deviation"].tolist() == pytest.approx([0.01, -0.01, 0.0, 0.0])
    assert check["within_tolerance"].tolist() == [False, False, True, True]
    assert check.attrs["graded"] == 100 and check.attrs["not_graded"] == 3
    assert not check.attrs["within_tolerance"] and "core 2% vs 1%" in check.attrs["summary"]
    loose = sc.pyramid_check(classes, _card(pyramid_tolerance=0.01))
    assert loose.attrs["within_tolerance"] and loose["within_tolerance"].all()
    empty = sc.pyramid_check(classes.iloc[100:], _card())
    assert not empty.attrs["within_tolerance"] and empty["customers"].sum() == 0


def test_factor_table():
    table = pd.DataFrame({"monetary": [20.0, 6.0, 6.0, np.nan], "avg_days_late": np.nan}, index=list("abcd"))
    manual = pd.DataFrame({"prospects": pd.array([3, None], dtype="Int64")}, index=["a", "b"])
    ft = sc.factor_table(sc.factor_levels(table, _card(), manual), _card())
    assert ft["key"].tolist() == ["sales", "late", "prospects"]
    sales = ft.iloc[0]
    assert (sales["customers"], sales["coverage"], sales["level_4"], sales["level_3"], sales["level_1"]) == (
        3,
        0.75,
        1,
        2,
        0,
    )
    assert sales["status"] == "used" and pd.isna(sales["reason"]) and sales["weight_share"] == 0.6
    assert ft.iloc[1]["status"] == "missing" and "no customer has a value" in ft.iloc[1]["reason"]
    assert ft.iloc[2]["customers"] == 1 and ft.iloc[2]["source"] == "manual"


# --------------------------------------------------------------------------- properties
level_cells = st.one_of(st.none(), st.integers(1, 4))
rows = st.lists(st.lists(level_cells, min_size=len(KEYS), max_size=len(KEYS)), min_size=1, max_size=30)


def _frame(data: list[list[int | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        data, columns=KEYS, index=pd.Index([f"c{i:03d}" for i in range(len(data))], name="customer_id")
    ).astype("Int64")


@settings(max_examples=60, deadline=None)
@given(rows)
def test_score_is_within_0_100_and_nan_only_without_factors(data):
    levels = _frame(data)
    s = sc.scorecard_scores(levels, CARD)
    has = levels.notna().any(axis=1).to_numpy()
    assert s["score"][has].between(0, 100).all()
    assert s["score"][~has].isna().all()
    assert s["coverage"].between(0, 1).all()


@settings(max_examples=60, deadline=None)
@given(rows, st.integers(0, len(KEYS) - 1), st.data())
def test_score_is_monotone_in_every_level(data, factor, draw):
    levels = _frame(data)
    row = draw.draw(st.integers(0, len(data) - 1))
    current = levels.iat[row, factor]
    if pd.isna(current) or current == 4:
        return
    better = levels.copy()
    better.iat[row, factor] = current + 1
    before = sc.scorecard_scores(levels, CARD)["score"].iloc[row]
    after = sc.scorecard_scores(better, CARD)["score"].iloc[row]
    assert after >= before


@settings(max_examples=40, deadline=None)
@given(
    rows,
    st.sampled_from(["thresholds", "quota"]),
    st.lists(
        st.sampled_from(["strategic", "high_potential", "basic", "inefficient", "not_available"]),
        min_size=30,
        max_size=30,
    ),
)
def test_every_customer_gets_exactly_one_class(data, method, vm):
    levels = _frame(data)
    card = CARD.model_copy(update={"classes": CARD.classes.model_copy(update={"method": method})})
    scores = sc.scorecard_scores(levels, card)
    value_matrix = pd.Series(vm[: len(levels)], index=levels.index)
    c = sc.scorecard_classes(scores, levels, value_matrix, card)
    assert c.index.equals(levels.index)
    assert c["scorecard_class"].isin([*SCORECARD_CLASSES, "not_available"]).all()
    assert ((c["scorecard_class"] == "not_available").to_numpy(dtype=bool) == scores["score"].isna().to_numpy()).all()
    promoted = c["scorecard_class"] != c["score_tier"]
    assert (c.loc[promoted, "scorecard_class"] == "potential").all()
    assert c.loc[promoted, "score_tier"].isin(["ordinary", "small"]).all()
    assert sc.pyramid_check(c, card)["customers"].sum() == scores["score"].notna().sum()


# --------------------------------------------------------------------------- order_month_share
def _orders(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [f"o{i}" for i in range(len(rows))],
            "order_date": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "amount": [10.0 if r[2] == "sale" else -10.0 for r in rows],
            "line_type": [r[2] for r in rows],
        }
    )


def test_order_month_share_counts_calendar_months_with_a_sale():
    orders = _orders(
        [
            ("A", "2024-12-31 23:59", "sale"),  # before the window
            ("A", "2025-01-01 00:00", "sale"),  # first instant of the window: January
            ("A", "2025-01-31 23:59", "sale"),  # still January
            ("A", "2025-02-01 00:00", "sale"),  # February
            ("A", "2025-12-31 23:59", "sale"),  # last instant: December
            ("A", "2026-01-01 00:00", "sale"),  # after the as-of date
            ("B", "2024-06-01", "sale"),  # known, nothing in the window
            ("B", "2025-03-05", "return"),  # a return is not a purchase
            ("C", "2026-01-05", "sale"),  # not known by the as-of date
            *[("D", f"2025-{m:02d}-15", "sale") for m in range(1, 13)],
        ]
    )
    share = sc.order_month_share(orders, parse_period("2025Q4"), 365)
    assert share.index.tolist() == ["A", "B", "D"] and share.index.name == "customer_id"
    assert share.name == "order_month_share" and share.attrs["months"] == 12
    assert share.tolist() == pytest.approx([3 / 12, 0.0, 1.0])


def test_order_month_share_partial_first_month_and_leap_year():
    orders = _orders([("A", "2024-11-27", "sale"), ("A", "2024-11-26", "sale"), ("B", "2025-12-01", "sale")])
    wide = sc.order_month_share(orders, parse_period("2025-12"), 400)  # window from 2024-11-27: Nov 2024..Dec 2025
    assert wide.attrs["months"] == 14 and wide.tolist() == pytest.approx([1 / 14, 1 / 14])
    leap = sc.order_month_share(
        _orders([("A", "2024-01-01", "sale"), ("A", "2024-01-02", "sale")]), parse_period("2024"), 365
    )  # 2024 has 366 days: the window starts 2 January
    assert leap.attrs["months"] == 12 and leap.iloc[0] == pytest.approx(1 / 12)
    with pytest.raises(DataValidationError, match="line_type"):
        sc.order_month_share(orders.drop(columns="line_type"), parse_period("2025-12"), 365)


def test_credit_days_late_counts_open_overdue_invoices():
    from helpers.segmentation.scorecard import credit_days_late

    period = parse_period("2025Q4")  # as of 2025-12-31
    indicators = pd.DataFrame(
        {"avg_days_late": [2.0, np.nan, 10.0, np.nan]}, index=pd.Index(["A", "B", "C", "D"], name="customer_id")
    )
    payments = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "C"],
            "due_date": pd.to_datetime(["2025-12-01", "2025-09-01", "2025-12-20", "2026-01-15"]),
            # B never paid; C's December invoice was paid after the as-of date; C's January one is not due yet.
            "paid_date": pd.to_datetime(["2025-12-03", None, "2026-01-05", None]),
        }
    )
    got = credit_days_late(indicators, payments, period)
    assert got["A"] == 2.0  # paid invoices only: their average lateness
    assert got["B"] == 121.0  # 2025-09-01 to 2025-12-31, unpaid: hard to collect, not missing
    assert got["C"] == 11.0  # open since 2025-12-20 (11 days) beats the paid average of 10
    assert np.isnan(got["D"])  # no invoices at all: not available
    assert credit_days_late(indicators, None, period).equals(indicators["avg_days_late"].rename("credit_days_late"))


def test_scorecard_inputs_tenure_falls_back_to_the_first_order_and_says_so():
    period = parse_period("2025Q4")
    indicators = pd.DataFrame(
        {"tenure_days": [2000, 400], "avg_days_late": [1.0, np.nan]}, index=pd.Index(["A", "B"], name="customer_id")
    )
    orders = pd.DataFrame(
        {
            "customer_id": ["A"],
            "order_id": ["o1"],
            "order_date": pd.to_datetime(["2025-12-01"]),
            "amount": [10.0],
            "line_type": ["sale"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["A", "B"], "registration_date": pd.to_datetime(["2020-06-01", None])})
    table = sc.scorecard_inputs(
        indicators,
        indicators.index,
        orders=orders,
        period=period,
        lookback_days=365,
        projected_sales=pd.Series([5.0, 6.0], index=indicators.index),
        value_matrix=pd.Series(["basic", "strategic"], index=indicators.index),
        customers=customers,
    )
    assert table.loc["A", "tenure_years"] == pytest.approx(2000 / 365.25)
    assert table.loc["B", "tenure_years"] == pytest.approx(400 / 365.25)  # from the first order (stage 02)
    assert "for 1 customer without a registration date" in table.attrs["column_notes"]["tenure_years"]
    levels = sc.factor_levels(table, CARD)
    assert levels.loc["B", "relationship_length"] == 2  # 1.1 years
    assert "first order" in levels.attrs["notes"]["relationship_length"]
    registered = sc.scorecard_inputs(
        indicators.loc[["A"]],
        pd.Index(["A"]),
        orders=orders,
        period=period,
        lookback_days=365,
        projected_sales=pd.Series([5.0], index=["A"]),
        value_matrix=pd.Series(["basic"], index=["A"]),
        customers=customers,
    )
    assert "column_notes" not in registered.attrs
    assert table.loc["B", "order_month_share"] == 0.0  # no sale in the window
    assert table.loc["A", "credit_days_late"] == 1.0 and np.isnan(table.loc["B", "credit_days_late"])


def test_a_data_factor_says_which_way_is_better_and_a_manual_one_does_not():
    """No direction is assumed for a data factor: it is written in the config, once."""
    base = {
        "key": "x",
        "number": 1,
        "name_zh": "甲",
        "name_en": "X",
        "weight": 1,
        "levels": {4: "a", 3: "b", 2: "c", 1: "d"},
    }
    with pytest.raises(ValueError, match="a data factor needs column, three cuts and higher_is_better"):
        Factor.model_validate({**base, "source": "data", "column": "monetary", "cuts": [3, 2, 1]})
    with pytest.raises(ValueError, match="a manual factor takes no column, cuts, higher_is_better or money"):
        Factor.model_validate({**base, "source": "manual", "higher_is_better": True})
    assert all(f.higher_is_better is not None for f in CARD.factors if f.source == "data")
