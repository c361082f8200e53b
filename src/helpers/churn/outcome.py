"""The churn label without leakage: cut-offs, who is at risk at each, and what happened in the horizon after.

Churned at a cut-off day *c* = a customer who bought in the look-back window up to *c* and made no purchase in the
``horizon_days`` after it, ``(c, c + H]``. Features of a cut-off come only from data dated up to *c*
(:mod:`helpers.churn.features`); the label only from the days after it. Customers first seen after *c* are not in
that cut-off's rows at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core.periods import Period
from helpers.shared import earliest_churn_cutoff

__all__ = [
    "DAY",
    "Windows",
    "as_of_period",
    "at_risk",
    "churn_outcome",
    "count_between",
    "horizon_fit",
    "purchase_gaps",
    "windows",
]

#: One day: a cut-off day *c* holds data dated before ``c + DAY``.
DAY = pd.Timedelta(days=1)


def count_between(
    dates: pd.Series,
    ids: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    customers: pd.Index | None = None,
    weights: pd.Series | None = None,
) -> pd.Series:
    """Rows (or the sum of ``weights``) per customer dated in ``[start, end)``; 0 for ``customers`` with none.

    Without ``customers``, only the customers with a row in the span are returned.
    """
    mask = ((dates >= start) & (dates < end)).to_numpy(dtype=bool)
    values = pd.Series(1.0, index=dates.index) if weights is None else weights.astype(float)
    counted = values[mask].groupby(ids[mask].to_numpy()).sum()
    return counted if customers is None else counted.reindex(customers, fill_value=0.0)


def as_of_period(day: pd.Timestamp, like: Period) -> Period:
    """A period ending on ``day`` (its as-of date), for functions that compute "as of a period"."""
    day = pd.Timestamp(day).normalize()
    return Period(label=f"{day:%Y-%m-%d}", kind=like.kind, start=day, end=day)


def _sales(orders: pd.DataFrame) -> pd.DataFrame:
    return orders.loc[orders["line_type"].eq("sale"), ["customer_id", "order_id", "order_date"]]


def at_risk(orders: pd.DataFrame, cutoff: pd.Timestamp, lookback_days: int) -> pd.Index:
    """Customers who bought in the look-back window ending on ``cutoff`` (the day included): the rows of a cut-off.

    Customers silent for longer are already lost, not at risk: counting them would make churn trivially easy to
    predict and flatter every model.
    """
    end = pd.Timestamp(cutoff).normalize() + DAY
    sales = _sales(orders)
    dates = sales["order_date"]
    mask = (dates >= end - pd.Timedelta(days=lookback_days)) & (dates < end)
    return pd.Index(sales.loc[mask, "customer_id"].unique(), name="customer_id").sort_values()


def churn_outcome(orders: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int, customers: pd.Index) -> pd.Series:
    """Whether each customer made no purchase in the ``horizon_days`` after ``cutoff``.

    Parameters
    ----------
    orders
        Clean orders (contract §2); only sale lines count as a purchase.
    cutoff
        The cut-off day; the horizon is ``(cutoff, cutoff + horizon_days]`` in whole days.
    horizon_days
        The churn horizon H.
    customers
        The customers to label (usually :func:`at_risk` at the cut-off).

    Returns
    -------
    pd.Series
        Boolean, index ``customers``: True = churned (no purchase in the horizon).
    """
    start = pd.Timestamp(cutoff).normalize() + DAY
    sales = _sales(orders)
    dates = sales["order_date"]
    bought = sales.loc[(dates >= start) & (dates < start + pd.Timedelta(days=horizon_days)), "customer_id"].unique()
    return pd.Series(~customers.isin(bought), index=customers, name="churned")


@dataclass(frozen=True)
class Windows:
    """The cut-offs of one period's run (each a day; data up to and including it).

    Attributes
    ----------
    score
        The as-of date: today's customers are scored with features as of this day.
    test
        ``as_of − H``: the latest cut-off whose outcome is fully observed; the out-of-time test.
    validation_train
        Cut-offs the model under test learns from: ``test − H``, ``test − 2H`` …, each labelled by the H days
        after it, so every label the model learns ends by the test cut-off.
    final_train
        Cut-offs the scoring model learns from: ``as_of − H``, ``as_of − 2H`` … (the test cut-off included).
    dropped
        Cut-offs left out because the data start less than one horizon before them
        (:func:`helpers.shared.earliest_churn_cutoff`). The features of the earliest kept cut-offs still see less
        than a full look-back year when the data are short; the out-of-time check measures the model as it is.
    test_usable
        Whether the test cut-off itself has a horizon of history before it.
    """

    score: pd.Timestamp
    test: pd.Timestamp
    validation_train: tuple[pd.Timestamp, ...]
    final_train: tuple[pd.Timestamp, ...]
    dropped: tuple[pd.Timestamp, ...]
    test_usable: bool = True


def windows(as_of: pd.Timestamp, horizon_days: int, count: int, data_start: pd.Timestamp | None) -> Windows:
    """The cut-offs for a run as of ``as_of``: ``count`` training cut-offs one horizon apart.

    A cut-off is kept only when the data hold at least one horizon of history before it (otherwise nobody's
    recency or trend could be measured there), the same rule as stage 02's KPI churn rate.
    """
    h = pd.Timedelta(days=horizon_days)
    as_of = pd.Timestamp(as_of).normalize()
    test = as_of - h
    first_usable = earliest_churn_cutoff(data_start, horizon_days)

    def usable(days: list[pd.Timestamp]) -> tuple[tuple[pd.Timestamp, ...], list[pd.Timestamp]]:
        ok = [d for d in days if first_usable is None or d >= first_usable]
        return tuple(ok), [d for d in days if d not in ok]

    validation, dropped_v = usable([test - k * h for k in range(1, count + 1)])
    final, dropped_f = usable([as_of - k * h for k in range(1, count + 1)])
    return Windows(
        as_of,
        test,
        validation,
        final,
        tuple(sorted(set(dropped_v + dropped_f))),
        first_usable is None or test >= first_usable,
    )


def purchase_gaps(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Days between a customer's consecutive purchase days, every customer, up to ``as_of`` (one value per gap)."""
    sales = _sales(orders)
    sales = sales.loc[sales["order_date"] < pd.Timestamp(as_of).normalize() + DAY]
    days = sales.assign(day=sales["order_date"].dt.normalize())[["customer_id", "day"]].drop_duplicates()
    days = days.sort_values(["customer_id", "day"])
    gaps = days.groupby("customer_id", sort=False)["day"].diff().dt.days.dropna()
    return gaps.astype(float).rename("gap_days").reset_index(drop=True)


def horizon_fit(gaps: pd.Series, horizon_days: int) -> dict[str, float]:
    """How the horizon compares with the time customers take between purchases.

    Returns
    -------
    dict
        ``gaps`` (how many), ``median``, ``p75``, ``p90`` (days), and ``within_horizon``: the share of the gaps no
        longer than the horizon — the share of returning purchases a customer makes "in time" and so is not
        wrongly labelled churned. NaN without a repeat purchase.
    """
    values = pd.to_numeric(gaps, errors="coerce").dropna().to_numpy(dtype=float)
    if values.size == 0:
        return {"gaps": 0, "median": np.nan, "p75": np.nan, "p90": np.nan, "within_horizon": np.nan}
    return {
        "gaps": int(values.size),
        "median": float(np.median(values)),
        "p75": float(np.quantile(values, 0.75)),
        "p90": float(np.quantile(values, 0.9)),
        "within_horizon": float((values <= horizon_days).mean()),
    }
