"""Per-customer indicators and the CLV summary: hand-computed cases and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SETTINGS
from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.periods import parse_period
from helpers.core.validation import require_columns
from helpers.indicators import customer as ci
from helpers.indicators.customer import (
    INDICATOR_COLUMNS,
    INDICATOR_DESCRIPTIONS,
    indicator_availability,
)
from helpers.segmentation.clv import clv_summary
from helpers.shared import known_customers

T = pd.Timestamp
#: The shipped look-back and satisfaction settings: what the tests' calls use unless they say otherwise.
DEFAULTS = {"lookback_days": SETTINGS.analysis.lookback_days, **SETTINGS.indicators.satisfaction()}


def customer_indicators(orders: pd.DataFrame, period, **kwargs) -> pd.DataFrame:
    return ci.customer_indicators(orders, period, **{**DEFAULTS, **kwargs})


# March 2024, 60-day window: 2024-04-01 - 60 days = 2024-02-01, so the window is 1 Feb - 31 Mar.
PERIOD = parse_period("2024-03")
LOOKBACK = 60


def _orders(rows: list[tuple]) -> pd.DataFrame:
    """Orders table from (customer, order, date, product, category, amount, cost, line_type) rows."""
    df = pd.DataFrame(
        rows, columns=["customer_id", "order_id", "order_date", "product_id", "category", "amount", "cost", "line_type"]
    )
    df["order_date"] = pd.to_datetime(df["order_date"], format="ISO8601")
    df["amount"] = df["amount"].astype(float)
    df["cost"] = df["cost"].astype(float)
    return df


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    orders = _orders(
        [
            ("A", "O1", "2024-01-10", "p1", "X", 100.0, 60.0, "sale"),  # before the window
            ("A", "O1", "2024-01-10", "p2", "Y", 50.0, 30.0, "sale"),  # before the window
            ("A", "O2", "2024-02-15", "p1", "X", 200.0, 120.0, "sale"),
            ("A", "O3", "2024-03-20 10:30", "p3", "Z", 80.0, np.nan, "sale"),  # cost unknown
            ("A", "R1", "2024-03-25", "p1", "X", -40.0, -24.0, "return"),
            ("A", "O9", "2024-04-05", "p4", "X", 1000.0, 1.0, "sale"),  # after the as-of date
            ("B", "O4", "2023-12-01", "p2", "Y", 500.0, 300.0, "sale"),  # only before the window
            ("E", "O5", "2024-04-02", "p1", "X", 70.0, 40.0, "sale"),  # first order after the as-of
        ]
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "registration_date": pd.to_datetime(["2023-06-01", None, "2024-03-05", "2024-04-10"]),
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
            "customer_id": ["A", "A", "A", "A", "A", "C"],
            "opened_at": pd.to_datetime(
                ["2024-02-10", "2024-03-01", "2024-03-15", "2024-01-05", "2024-04-03", "2024-03-10"]
            ),
            "is_complaint": [True, False, False, True, True, False],
            "response_hours": [2.0, 4.0, 6.0, 10.0, 1.0, 1.0],
            "satisfaction": pd.array([5, 3, None, 1, 1, 4], dtype="Int64"),
        }
    )
    surveys = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "C"],
            "survey_date": pd.to_datetime(["2024-02-01", "2024-03-30", "2024-04-02", "2024-01-15", "2024-03-10"]),
            "nps_score": pd.array([10, 6, 10, 9, 8], dtype="Int64"),
        }
    )
    interactions = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A"],
            "event_date": pd.to_datetime(["2024-02-05", "2024-03-05", "2024-01-01"]),
            "event_type": ["login", "webinar", "login"],
            "count": [3.0, np.nan, 5.0],
        }
    )
    payments = pd.DataFrame(
        {
            "invoice_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
            "customer_id": ["A", "A", "A", "A", "A", "B", "A"],
            "due_date": pd.to_datetime(
                ["2024-02-10", "2024-03-01", "2024-03-20", "2024-03-25", "2024-04-15", "2023-11-01", "2024-04-20"]
            ),
            "paid_date": pd.to_datetime(
                ["2024-02-15", "2024-02-25", None, "2024-04-05", None, "2023-11-20", "2024-03-30"]
            ),
            "amount": [100.0, 50.0, 70.0, 30.0, 999.0, 10.0, 20.0],
        }
    )
    return {
        "orders": orders,
        "customers": customers,
        "tickets": tickets,
        "surveys": surveys,
        "interactions": interactions,
        "payments": payments,
    }


def _all(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return customer_indicators(
        tables["orders"],
        PERIOD,
        lookback_days=LOOKBACK,
        customers=tables["customers"],
        tickets=tables["tickets"],
        surveys=tables["surveys"],
        interactions=tables["interactions"],
        payments=tables["payments"],
    )


def test_columns_and_descriptions(tables):
    ind = _all(tables)
    assert list(ind.columns) == INDICATOR_COLUMNS
    assert set(INDICATOR_DESCRIPTIONS) == set(INDICATOR_COLUMNS)
    assert ind.index.name == "customer_id"


def test_known_customers_by_as_of(tables):
    # A, B: orders by the as-of; C: registered 5 Mar; D registered 10 Apr and E first
    # ordered 2 Apr, both after the as-of date 31 Mar.
    ind = _all(tables)
    assert list(ind.index) == ["A", "B", "C"]
    assert list(known_customers(tables["orders"], PERIOD)) == ["A", "B"]


def test_value_indicators_by_hand(tables):
    a = _all(tables).loc["A"]
    assert a["as_of"] == T("2024-03-31")
    assert a["first_order_date"] == T("2024-01-10")
    assert a["last_order_date"] == T("2024-03-20")  # the time of day is dropped
    assert a["recency_days"] == 11  # 31 Mar - 20 Mar
    assert a["frequency"] == 2  # O2, O3 (O1 is before 1 Feb, R1 is a return)
    assert a["monetary"] == pytest.approx(240.0)  # 200 + 80 - 40
    assert a["returns_amount"] == pytest.approx(-40.0)
    assert a["avg_order_value"] == pytest.approx(120.0)  # net spend (200 + 80 - 40) / 2 orders
    assert a["gross_profit"] == pytest.approx(64.0)  # (200 - 120) + (-40 - -24); O3 has no cost
    assert a["margin_rate"] == pytest.approx(0.4)  # 64 / (200 - 40)
    assert a["cost_coverage"] == pytest.approx(200 / 280)  # costed sales / all sales
    assert a["distinct_products"] == 2  # p1, p3
    assert a["distinct_categories"] == 2  # X, Z
    assert bool(a["repeat_customer"]) and bool(a["active_in_window"])
    assert a["tenure_days"] == 304  # 31 Mar 2024 - 1 Jun 2023


def test_customer_without_window_orders(tables):
    ind = _all(tables)
    b = ind.loc["B"]
    assert b["recency_days"] == 121  # 31 Mar 2024 - 1 Dec 2023: 31 + 31 + 29 + 30
    assert b["frequency"] == 0 and b["monetary"] == 0.0 and b["returns_amount"] == 0.0
    assert pd.isna(b["avg_order_value"]) and pd.isna(b["margin_rate"]) and pd.isna(b["cost_coverage"])
    assert b["gross_profit"] == 0.0 and b["distinct_products"] == 0
    assert not b["repeat_customer"] and not b["active_in_window"]
    assert b["tenure_days"] == 121  # no registration date: from the first order
    c = ind.loc["C"]  # registered, never ordered
    assert pd.isna(c["recency_days"]) and pd.isna(c["first_order_date"]) and c["frequency"] == 0
    assert c["tenure_days"] == 26  # 31 Mar - 5 Mar


def test_service_and_loyalty_by_hand(tables):
    ind = _all(tables)
    a, b, c = ind.loc["A"], ind.loc["B"], ind.loc["C"]
    assert a["tickets"] == 3  # T1, T2, T3 (T4 before, T5 after the window)
    assert a["complaints"] == 1  # T1
    assert a["avg_response_hours"] == pytest.approx(4.0)  # (2 + 4 + 6) / 3
    assert a["csat"] == pytest.approx(0.5)  # rated 5 and 3; one of two >= 4
    assert b["tickets"] == 0 and b["complaints"] == 0
    assert pd.isna(b["avg_response_hours"]) and pd.isna(b["csat"])
    assert c["csat"] == pytest.approx(1.0)
    assert a["nps_score"] == 6 and a["nps_class"] == "detractor"  # latest in window: 30 Mar
    assert pd.isna(b["nps_score"]) and pd.isna(b["nps_class"])  # only answer before the window
    assert c["nps_score"] == 8 and c["nps_class"] == "passive"
    assert a["interactions"] == pytest.approx(4.0)  # 3 + 1 (a row without count is 1 event)
    assert a["interaction_rate"] == pytest.approx(2.0)  # 4 per 60 days = 2 per 30 days
    assert c["interactions"] == 0.0


def test_payments_by_hand(tables):
    ind = _all(tables)
    a, b, c = ind.loc["A"], ind.loc["B"], ind.loc["C"]
    # Paid in the window: P1 5 days late, P2 and P7 (due after the as-of) early = 0 -> 5 / 3.
    assert a["avg_days_late"] == pytest.approx(5 / 3)
    # P3 unpaid 70 + P4 paid after the as-of 30; P5 is not due yet.
    assert a["overdue_amount"] == pytest.approx(100.0)
    assert pd.isna(b["avg_days_late"]) and b["overdue_amount"] == 0.0  # P6 paid before the window
    assert pd.isna(c["avg_days_late"]) and c["overdue_amount"] == 0.0


def test_missing_tables_are_na_not_zero(tables):
    ind = customer_indicators(tables["orders"], PERIOD, lookback_days=LOOKBACK)
    for column in [
        "interactions",
        "interaction_rate",
        "tickets",
        "complaints",
        "avg_response_hours",
        "csat",
        "nps_score",
        "nps_class",
        "avg_days_late",
        "overdue_amount",
    ]:
        assert ind[column].isna().all(), column
    assert ind.attrs["unavailable"]["tickets"] == "no service tickets in the data"
    assert ind.attrs["unavailable"]["overdue_amount"] == "no payment records in the data"
    assert ind["frequency"].notna().all()


def test_unknown_costs_and_categories_are_na():
    orders = _orders(
        [
            ("A", "O1", "2024-03-01", "p1", None, 10.0, np.nan, "sale"),
            ("A", "O2", "2024-04-02", "p1", "X", 10.0, 5.0, "sale"),
        ]
    )  # costs only after the as-of
    ind = customer_indicators(orders, PERIOD, lookback_days=LOOKBACK)
    assert ind[["gross_profit", "margin_rate", "cost_coverage", "distinct_categories"]].isna().all().all()
    avail = indicator_availability(orders, PERIOD)
    assert avail.loc["gross_profit", "reason"] == "no product costs in the data"
    assert avail.loc["distinct_categories", "reason"] == "no product categories in the data"
    assert bool(avail.loc["monetary", "available"]) and pd.isna(avail.loc["monetary", "reason"])


def test_partly_unknown_cost_gives_na_profit_for_uncosted_customer():
    orders = _orders(
        [
            ("A", "O1", "2024-03-01", "p1", "X", 10.0, 4.0, "sale"),
            ("B", "O2", "2024-03-02", "p2", "X", 20.0, np.nan, "sale"),
        ]
    )
    ind = customer_indicators(orders, PERIOD, lookback_days=LOOKBACK)
    assert ind.loc["A", "gross_profit"] == pytest.approx(6.0)
    assert pd.isna(ind.loc["B", "gross_profit"]) and ind.loc["B", "cost_coverage"] == 0.0


def test_missing_column_names_table_and_columns(tables):
    with pytest.raises(DataValidationError, match=r"orders table .*amount, line_type"):
        customer_indicators(tables["orders"].drop(columns=["amount", "line_type"]), PERIOD)
    with pytest.raises(DataValidationError, match="tickets"):
        customer_indicators(tables["orders"], PERIOD, tickets=tables["tickets"].drop(columns=["opened_at"]))
    require_columns(tables["orders"], ["amount"], "orders")  # present: no error


def test_bad_lookback(tables):
    with pytest.raises(ConfigError):
        customer_indicators(tables["orders"], PERIOD, lookback_days=0)


# --- invariants -----------------------------------------------------------------------------

START = T("2023-11-01")
_lines = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(0, 12),  # order number
        st.integers(0, 200),  # days after START (up to ~May 2024)
        st.integers(0, 23),  # hour
        st.floats(-50, 500, allow_nan=False).map(lambda x: round(x, 2)),
        st.booleans(),  # return line
    ),
    min_size=1,
    max_size=40,
)


def _random_orders(lines: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [c for c, *_ in lines],
            "order_id": [f"{'C' if r else ''}{c}{o}" for c, o, _, _, _, r in lines],
            "order_date": [START + pd.Timedelta(days=d, hours=h) for _, _, d, h, _, _ in lines],
            "product_id": [f"p{o % 3}" for _, o, *_ in lines],
            "category": [f"k{o % 2}" for _, o, *_ in lines],
            "amount": [-abs(a) if r else a for *_, a, r in lines],
            "cost": [abs(a) / 2 for *_, a, _ in lines],
            "line_type": ["return" if r else "sale" for *_, r in lines],
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_lines, lookback=st.integers(1, 200))
def test_invariants(lines, lookback):
    orders = _random_orders(lines)
    ind = customer_indicators(orders, PERIOD, lookback_days=lookback)
    end, start = PERIOD.end_exclusive, PERIOD.end_exclusive - pd.Timedelta(days=lookback)
    hist = orders[orders["order_date"] < end]
    window = hist[hist["order_date"] >= start]
    expected_monetary = window.groupby("customer_id")["amount"].sum().reindex(ind.index, fill_value=0.0)
    np.testing.assert_allclose(ind["monetary"], expected_monetary, atol=1e-6)
    distinct_orders = hist.groupby("customer_id")["order_id"].nunique().reindex(ind.index, fill_value=0)
    assert (ind["frequency"] <= distinct_orders).all()
    assert (ind["frequency"] >= 0).all()
    assert (ind["recency_days"].dropna() >= 0).all()
    assert (ind["returns_amount"] <= 0).all()
    assert (ind["repeat_customer"] == (ind["frequency"] >= 2)).all()
    assert set(ind.index) == set(hist["customer_id"])


@settings(max_examples=40, deadline=None)
@given(lines=_lines, future=_lines)
def test_future_orders_change_nothing(lines, future):
    orders = _random_orders(lines)
    later = _random_orders(future)
    # Move every extra line to the day after the as-of date or later.
    later["order_date"] = PERIOD.end_exclusive + (later["order_date"] - START)
    before = customer_indicators(orders, PERIOD, lookback_days=90)
    after = customer_indicators(pd.concat([orders, later], ignore_index=True), PERIOD, lookback_days=90)
    pd.testing.assert_frame_equal(before, after)
    assert before.attrs == after.attrs


# --- CLV summary ----------------------------------------------------------------------------


@pytest.fixture
def transactions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["X", "X", "X", "X", "Y", "Z", "X"],
            "order_date": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 17:00",
                    "2024-01-08",
                    "2024-01-15",
                    "2024-01-20",
                    "2024-01-05",
                    "2024-02-03",
                ],
                format="ISO8601",
            ),  # last: after the end
            "amount": [10.0, 5.0, 20.0, 30.0, 7.0, 40.0, 99.0],
        }
    )


def test_clv_summary_by_hand(transactions):
    s = clv_summary(transactions, observation_end="2024-01-31", time_unit="D")
    # X: days 1 Jan (10 + 5 = 15), 8 Jan (20), 15 Jan (30); 3 Feb is after the end.
    assert s.loc["X"].to_dict() == pytest.approx(
        {"frequency": 2.0, "recency": 14.0, "T": 30.0, "monetary_value": 25.0}
    )  # (20 + 30) / 2
    assert s.loc["Y"].to_dict() == pytest.approx(
        {"frequency": 0.0, "recency": 0.0, "T": 11.0, "monetary_value": 0.0}
    )  # 31 - 20 Jan
    assert s.loc["Z", "T"] == 26.0
    assert list(s.index) == ["X", "Y", "Z"]


def test_clv_summary_calibration_and_weeks(transactions):
    s = clv_summary(transactions, observation_end="2024-01-31", calibration_end="2024-01-10", time_unit="W")
    # Y first bought on 20 Jan, after the calibration end: left out.
    assert list(s.index) == ["X", "Z"]
    # X in calibration: 1 Jan (15), 8 Jan (20): 1 repeat, recency 7 days, T = 10 Jan - 1 Jan = 9 days.
    # Holdout: 15 Jan (30); holdout length 31 Jan - 10 Jan = 21 days.
    assert s.loc["X"].to_dict() == pytest.approx(
        {
            "frequency": 1.0,
            "recency": 1.0,
            "T": 9 / 7,
            "monetary_value": 20.0,
            "frequency_holdout": 1.0,
            "monetary_value_holdout": 30.0,
            "duration_holdout": 3.0,
        }
    )
    assert s.loc["Z", ["frequency_holdout", "monetary_value_holdout"]].tolist() == [0.0, 0.0]


def test_clv_summary_bad_parameters(transactions):
    with pytest.raises(ConfigError):
        clv_summary(transactions, observation_end="2024-01-31", time_unit="M")
    with pytest.raises(ConfigError):
        clv_summary(transactions, observation_end="2024-01-31", calibration_end="2024-02-10", time_unit="D")
    with pytest.raises(DataValidationError, match="transactions"):
        clv_summary(transactions, observation_end="2024-01-31", amount_col="value", time_unit="D")
