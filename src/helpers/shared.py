"""Analysis utilities several stages share: the look-back window, the customer base, money rounding, concentration.

Pandas in, pandas out; every function reads only data dated up to the period's
as-of date, so re-running an old period after new data arrived gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError
from helpers.core.periods import Period

__all__ = [
    "MONEY_DECIMALS",
    "ReadsCleanedData",
    "concentration",
    "concentration_curve",
    "earliest_churn_cutoff",
    "json_ready",
    "known_customers",
    "lookback_start",
]

#: Decimals money sums are rounded to: sums of positive and negative amounts leave float residue
#: (2e-13 where the exact net is 0) that would read as a tiny positive spend; 6 decimals is far
#: below any currency's smallest unit.
MONEY_DECIMALS = 6


def lookback_start(period: Period, lookback_days: int) -> pd.Timestamp:
    """First instant of the look-back window ``(as_of - lookback_days, as_of]``.

    Parameters
    ----------
    period
        The reporting period; the window ends with its as-of date.
    lookback_days
        Length of the window in days (365 = the year up to and including the as-of date).

    Returns
    -------
    pd.Timestamp
        Midnight of the window's first day; the window holds ``start <= date < period.end_exclusive``.

    Raises
    ------
    ConfigError
        When ``lookback_days`` is not positive.
    """
    if lookback_days < 1:
        raise ConfigError(f"lookback_days must be at least 1 day, got {lookback_days}")
    return period.end_exclusive - pd.Timedelta(days=lookback_days)


def earliest_churn_cutoff(data_start: pd.Timestamp | None, horizon_days: int) -> pd.Timestamp | None:
    """The first day churn can be measured from: one horizon after the data start (None without data).

    Before it, nobody's purchases over a horizon can be seen, so a cut-off there would call every customer
    new and every silence churn. Stage 04's cut-offs and stage 02's KPI churn rate both start here.
    """
    if data_start is None or pd.isna(data_start):
        return None
    return pd.Timestamp(data_start).normalize() + pd.Timedelta(days=horizon_days)


def known_customers(orders: pd.DataFrame, period: Period, customers: pd.DataFrame | None = None) -> pd.Index:
    """Customers known by the as-of date, sorted.

    A customer is known when the customers table has them registered on or
    before the as-of date, or when they have any kept order line (sale or
    return) up to the as-of date. A customer without a registration date is
    known only through their orders, since nothing tells when they arrived —
    except in data without any order line (a customer snapshot), where the
    customer table is the data: a customer it lists without a date is known.

    Parameters
    ----------
    orders
        Clean orders table (contract §2).
    period
        The reporting period.
    customers
        Clean customers table, or None when the data have none.

    Returns
    -------
    pd.Index
        Customer ids, named ``customer_id``.
    """
    end = period.end_exclusive
    ids = [orders.loc[orders["order_date"] < end, "customer_id"]]
    if customers is not None:
        ids.append(customers.loc[customers["registration_date"] < end, "customer_id"])
        if orders.empty:
            ids.append(customers.loc[customers["registration_date"].isna(), "customer_id"])
    return pd.Index(pd.concat(ids).dropna().unique(), name="customer_id").sort_values()


def concentration_curve(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative revenue share against cumulative customer share, largest customers first.

    Parameters
    ----------
    values
        Revenue (or any amount) per customer. Only positive values are used:
        customers with zero or net-negative revenue (returns) add no share.

    Returns
    -------
    tuple of np.ndarray
        ``(customer_share, revenue_share)``, both starting at 0 and ending at 1;
        empty arrays when no value is positive.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    positive = np.sort(v[v > 0])[::-1]
    if positive.size == 0:
        return np.array([]), np.array([])
    cumulative = np.cumsum(positive)
    # Divide by the last cumulative sum (not sum()) so the curve ends at exactly 1.
    revenue_share = np.concatenate([[0.0], cumulative / cumulative[-1]])
    customer_share = np.arange(positive.size + 1) / positive.size
    return customer_share, revenue_share


def concentration(values: pd.Series) -> dict[str, float]:
    """How concentrated revenue is among customers (Pareto / Lorenz figures).

    Only positive values are used, because a customer with zero or net-negative
    revenue cannot hold a share of revenue; how many were left out is returned.
    Shares are read off the concentration curve with linear interpolation, so
    "top 10%" is exact even when 10% of the customers is not a whole number.

    Parameters
    ----------
    values
        Revenue per customer (e.g. the ``monetary`` indicator).

    Returns
    -------
    dict
        ``customers`` (positive values used), ``left_out`` (zero, negative or
        missing values), ``top_10pct_share`` and ``top_20pct_share`` (share of
        revenue made by the top 10% / 20% of customers), ``gini`` (0 = equal,
        towards 1 = one customer makes everything) and ``customers_for_80pct_share``
        (smallest share of customers, largest first, that makes 80% of revenue).
        Shares are NaN when no value is positive.
    """
    x, y = concentration_curve(values)
    n = max(x.size - 1, 0)
    out: dict[str, float] = {"customers": n, "left_out": len(values) - n}
    if n == 0:
        return out | dict.fromkeys(["top_10pct_share", "top_20pct_share", "gini", "customers_for_80pct_share"], np.nan)
    # Gini = 1 - 2 x (area under the ascending Lorenz curve); the descending curve mirrors it.
    area_descending = np.sum((y[1:] + y[:-1]) / 2) / n
    return out | {
        "top_10pct_share": float(np.interp(0.1, x, y)),
        "top_20pct_share": float(np.interp(0.2, x, y)),
        "gini": float(2 * area_descending - 1),
        "customers_for_80pct_share": float(np.interp(0.8, y, x)),
    }


class ReadsCleanedData:
    """For the results of stages that read stage 01's ``cleaning`` record: the data's title and currency."""

    inputs: Mapping[str, Any]

    @property
    def currency(self) -> str:
        """The reporting currency every amount is in."""
        return str(self.inputs["cleaning"]["reporting_currency"])

    @property
    def data_title(self) -> str:
        """The dataset's title (its mapping's), for report headings."""
        return str(self.inputs["cleaning"]["mapping_title"])

    @property
    def has_orders(self) -> bool:
        """Whether the data hold order lines (a customer snapshot holds none)."""
        orders = self.inputs.get("orders")
        return orders is not None and len(orders) > 0

    #: What the stage shows that needs order lines (said first on data without any).
    needs_orders: ClassVar[str] = "the figures of this report"

    @property
    def without_orders(self) -> list[str]:
        """The sentence a stage says first on data without order lines (a customer snapshot or a lead history), or
        none."""
        if self.has_orders:
            return []
        read = {entry["table"] for entry in self.inputs["cleaning"].get("inputs", [])}
        if "customers" in read:
            kind, instead = "a customer snapshot", "stage 04 models the churn the data record"
        else:
            kind, instead = "a lead history", "stage 05 scores the leads and checks the score against their outcomes"
        return [
            f"these data hold no order lines ({kind}): {self.needs_orders} need order history and are not "
            f"available; {instead}"
        ]


def json_ready(value: Any) -> Any:
    """A record as JSON holds it: NaN -> None, numpy scalars -> Python, dates as ``YYYY-MM-DD`` (the metrics files
    later stages and tests read)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return value
