"""Company KPIs and revenue concentration: hand-computed cases and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SETTINGS
from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.periods import parse_period
from helpers.indicators import kpis
from helpers.indicators.kpis import KPI_COLUMNS, KPI_DESCRIPTIONS, kpi_comparison
from helpers.shared import concentration, known_customers

PERIOD = parse_period("2024-03")  # previous period: 2024-02
#: The shipped look-back and satisfaction settings: what the tests' calls use unless they say otherwise.
DEFAULTS = {
    "lookback_days": SETTINGS.analysis.lookback_days,
    "churn_horizon_days": SETTINGS.analysis.churn_horizon_days,
    **SETTINGS.indicators.satisfaction(),
}


def period_kpis(orders: pd.DataFrame, period, **kwargs) -> pd.Series:
    return kpis.period_kpis(orders, period, **{**DEFAULTS, **kwargs})


def kpi_trend(orders: pd.DataFrame, period, **kwargs) -> pd.DataFrame:
    return kpis.kpi_trend(orders, period, **{**DEFAULTS, "n_periods": SETTINGS.indicators.trend_periods, **kwargs})


@pytest.fixture
def orders() -> pd.DataFrame:
    rows = [
        ("A", "O1", "2024-02-10", 100.0, "sale"),
        ("A", "O2", "2024-03-05", 30.0, "sale"),  # one order, two lines
        ("A", "O2", "2024-03-05", 20.0, "sale"),
        ("A", "R1", "2024-03-20", -10.0, "return"),
        ("B", "O3", "2024-02-15", 200.0, "sale"),  # active in Feb, not in Mar
        ("C", "O4", "2024-03-12", 300.0, "sale"),  # first-ever order in Mar
        ("D", "O5", "2023-12-01", 40.0, "sale"),
        ("D", "O6", "2024-03-28", 60.0, "sale"),
        ("F", "O7", "2024-04-03", 999.0, "sale"),  # after the as-of date
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "amount", "line_type"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


@pytest.fixture
def extra() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "E", "G"],
            "registration_date": pd.to_datetime(["2023-01-01", "2024-01-01", "2024-05-01"]),
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "A"],
            "survey_date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-02-20"]),
            "nps_score": pd.array([10, 9, 8, 2, 0], dtype="Int64"),
        }
    )
    tickets = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "A"],
            "opened_at": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-02-01"]),
            "satisfaction": pd.array([5, 4, 2, None, 1], dtype="Int64"),
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
            "created_date": pd.to_datetime(["2024-01-01"] * 6),
            "closed_date": pd.to_datetime(["2024-03-02", "2024-03-05", "2024-03-09", None, "2024-02-01", "2024-04-02"]),
            "outcome": ["won", "won", "lost", "open", "won", "lost"],
        }
    )
    return {"customers": customers, "surveys": surveys, "tickets": tickets, "leads": leads}


def test_period_kpis_by_hand(orders, extra):
    k = period_kpis(orders, PERIOD, **extra)
    assert list(k.index) == KPI_COLUMNS and set(KPI_DESCRIPTIONS) == set(KPI_COLUMNS)
    assert k["period"] == "2024-03" and k["as_of"] == pd.Timestamp("2024-03-31")
    assert k["customers_known"] == 5  # A, B, C, D by orders; E registered 1 Jan; not F, G
    assert k["active_customers"] == 3  # A, C, D
    assert k["new_customers"] == 1  # C
    assert k["revenue"] == pytest.approx(400.0)  # 30 + 20 - 10 + 300 + 60
    assert k["orders"] == 3  # O2, O4, O6
    assert k["avg_order_value"] == pytest.approx(400 / 3)  # revenue 400 (net of returns) over 3 orders
    # Window 2 Apr 2023 - 31 Mar 2024: A has O1, O2; B O3; C O4; D O5, O6 -> 2 of 4 repeat.
    assert k["repurchase_rate"] == pytest.approx(0.5)
    assert k["retention_rate"] == pytest.approx(0.5)  # Feb active A, B; A is back
    # The cut-off 90 days before 31 Mar (1 Jan) has less than 90 days of data before it (they start 1 Dec): n/a.
    assert pd.isna(k["churn_rate"])
    # 60 days: at risk on 31 Jan (a purchase in the year up to then) is D only, who bought again on 28 Mar.
    assert period_kpis(orders, PERIOD, churn_horizon_days=60)["churn_rate"] == pytest.approx(0.0)
    # With a 30-day horizon the cut-off is 1 Mar: A, B, D bought in the year before; B did not come back.
    assert period_kpis(orders, PERIOD, churn_horizon_days=30)["churn_rate"] == pytest.approx(1 / 3)
    assert k["nps"] == pytest.approx(25.0)  # Mar answers 10, 9, 8, 2: (2 - 1) / 4 x 100
    assert k["nps_responses"] == 4
    assert k["csat"] == pytest.approx(2 / 3)  # rated 5, 4, 2 in Mar
    assert k["lead_conversion_rate"] == pytest.approx(2 / 3)  # closed in Mar: won, won, lost


def test_missing_tables_are_na_not_zero(orders):
    k = period_kpis(orders, PERIOD)
    for name in ["nps", "nps_responses", "csat", "lead_conversion_rate"]:
        assert pd.isna(k[name]), name
    assert k["customers_known"] == 4


def test_tables_without_answers_in_period(orders, extra):
    surveys = extra["surveys"].iloc[[4]]  # only a February answer
    k = period_kpis(orders, PERIOD, surveys=surveys)
    assert pd.isna(k["nps"]) and k["nps_responses"] == 0


def test_kpi_trend_drops_periods_before_data_start(orders):
    trend = kpi_trend(orders, PERIOD, n_periods=6)
    # Data start 1 Dec 2023: Oct and Nov 2023 are dropped, not shown as zeros.
    assert trend["period"].tolist() == ["2023-12", "2024-01", "2024-02", "2024-03"]
    assert list(trend.columns) == KPI_COLUMNS
    assert pd.isna(trend.loc[0, "retention_rate"])  # Nov 2023 is before the data start
    assert trend.loc[1, "revenue"] == 0.0 and trend.loc[1, "orders"] == 0  # January: no orders, a real 0
    assert trend.loc[1, "retention_rate"] == 0.0  # D (December) did not come back
    assert pd.isna(trend.loc[2, "retention_rate"])  # nobody was active in January
    last = trend.iloc[-1]
    ref = period_kpis(orders, PERIOD)
    for name in KPI_COLUMNS:
        assert (pd.isna(last[name]) and pd.isna(ref[name])) or last[name] == ref[name], name
    with pytest.raises(ConfigError):
        kpi_trend(orders, PERIOD, n_periods=0)


def test_kpi_comparison(orders):
    trend = kpi_trend(orders, PERIOD, n_periods=2)
    cmp = kpi_comparison(trend.iloc[-1], trend.iloc[-2])
    # Feb: active A, B; Mar: A, C, D.
    assert cmp.loc["active_customers", ["current", "previous", "change"]].tolist() == [3.0, 2.0, 1.0]
    assert cmp.loc["active_customers", "pct_change"] == pytest.approx(0.5)
    assert np.isnan(cmp.loc["nps", "change"])
    assert cmp.attrs["periods"] == ("2024-03", "2024-02")


def test_missing_column(orders, extra):
    with pytest.raises(DataValidationError, match="leads"):
        period_kpis(orders, PERIOD, leads=extra["leads"].drop(columns=["outcome"]))


def test_concentration_by_hand():
    # Positive values 50, 30, 15, 5 (total 100); 0, -10 and NaN are left out.
    # Curve (customers, revenue): (0, 0), (.25, .5), (.5, .8), (.75, .95), (1, 1).
    c = concentration(pd.Series([50.0, 30.0, 15.0, 5.0, 0.0, -10.0, np.nan]))
    assert c["customers"] == 4 and c["left_out"] == 3
    assert c["top_10pct_share"] == pytest.approx(0.2)  # 0.1 / 0.25 of the first customer's 0.5
    assert c["top_20pct_share"] == pytest.approx(0.4)
    assert c["customers_for_80pct_share"] == pytest.approx(0.5)
    # Gini: ascending 5, 15, 30, 50: 2 x (5 + 30 + 90 + 200) / (4 x 100) - 5 / 4 = 0.375
    assert c["gini"] == pytest.approx(0.375)


def test_concentration_edge_cases():
    assert concentration(pd.Series([7.0]))["gini"] == pytest.approx(0.0)
    equal = concentration(pd.Series([1.0] * 10))
    assert equal["top_10pct_share"] == pytest.approx(0.1) and equal["gini"] == pytest.approx(0.0)
    empty = concentration(pd.Series([0.0, -1.0]))
    assert empty["customers"] == 0 and np.isnan(empty["gini"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_concentration_invariants(values):
    c = concentration(pd.Series(values))
    if c["customers"] == 0:
        return
    for key in ["top_10pct_share", "top_20pct_share", "customers_for_80pct_share"]:
        assert 0.0 <= c[key] <= 1.0 + 1e-12
    assert c["top_10pct_share"] <= c["top_20pct_share"] + 1e-12
    # Largest customers first: the top 10% hold at least 10% of revenue.
    assert c["top_10pct_share"] >= 0.1 - 1e-9
    assert -1e-9 <= c["gini"] < 1.0


_lines = st.lists(
    st.tuples(
        st.sampled_from("abcdef"),
        st.integers(0, 9),
        st.integers(0, 240),
        st.floats(-100, 1000, allow_nan=False),
        st.booleans(),
    ),
    min_size=1,
    max_size=50,
)


def _random_orders(lines) -> pd.DataFrame:
    start = pd.Timestamp("2023-09-01")
    return pd.DataFrame(
        {
            "customer_id": [c for c, *_ in lines],
            "order_id": [f"{c}{o}" for c, o, *_ in lines],
            "order_date": [start + pd.Timedelta(days=d) for _, _, d, _, _ in lines],
            "amount": [a for *_, a, _ in lines],
            "line_type": ["return" if r else "sale" for *_, r in lines],
        }
    )


@settings(max_examples=60, deadline=None)
@given(lines=_lines, future=_lines)
def test_kpi_invariants(lines, future):
    orders = _random_orders(lines)
    k = period_kpis(orders, PERIOD, lookback_days=120)
    for rate in ["repurchase_rate", "retention_rate", "churn_rate"]:
        assert pd.isna(k[rate]) or 0.0 <= k[rate] <= 1.0
    assert k["new_customers"] <= k["active_customers"] <= k["customers_known"]
    assert k["customers_known"] == len(known_customers(orders, PERIOD))
    in_period = orders[PERIOD.contains(orders["order_date"])]
    assert k["revenue"] == pytest.approx(in_period["amount"].sum(), abs=1e-6)
    # Orders after the as-of date change nothing.
    later = _random_orders(future)
    later["order_date"] = PERIOD.end_exclusive + (later["order_date"] - later["order_date"].min())
    k2 = period_kpis(pd.concat([orders, later], ignore_index=True), PERIOD, lookback_days=120)
    pd.testing.assert_series_equal(k, k2)
