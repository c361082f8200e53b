"""Company KPIs per period (经营指标) and revenue concentration.

:func:`period_kpis` gives one period's figures, :func:`kpi_trend` the same for
the trailing periods, :func:`kpi_comparison` sets a period beside the previous
one, and :func:`concentration` measures how much of the revenue few customers
make. Like the indicators, a KPI whose table the data lack is NA, never 0, and
only data up to each period's as-of date are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError
from helpers.core.labels import LABELS
from helpers.core.periods import Period
from helpers.core.validation import require_columns
from helpers.indicators.customer import nps_class
from helpers.shared import MONEY_DECIMALS, earliest_churn_cutoff, lookback_start

__all__ = ["KPI_COLUMNS", "KPI_DESCRIPTIONS", "kpi_comparison", "kpi_trend", "period_kpis"]

#: Columns of :func:`kpi_trend` (and entries of :func:`period_kpis`), in order.
KPI_COLUMNS: list[str] = [
    "period",
    "as_of",
    "customers_known",
    "active_customers",
    "new_customers",
    "revenue",
    "orders",
    "avg_order_value",
    "repurchase_rate",
    "retention_rate",
    "churn_rate",
    "nps",
    "nps_responses",
    "csat",
    "lead_conversion_rate",
]

#: Plain-language meaning of every KPI.
KPI_DESCRIPTIONS: dict[str, str] = {
    "period": "Period (期间): the month, quarter or year the row describes.",
    "as_of": "As-of date (截止日期): the period's last day; only data up to this day are used.",
    "customers_known": ("Customers known (客户总数): customers registered, or with any order, by the as-of date."),
    "active_customers": "Active customers (活跃客户数): customers with at least one sales order in the period.",
    "new_customers": (
        "New customers (新客户数): customers whose first-ever order in the data falls in the period "
        "(in the data's first period every buyer counts as new)."
    ),
    "revenue": "Revenue (销售收入): net amount of the period's orders — sales minus returns.",
    "orders": "Orders (订单数): distinct sales orders in the period.",
    "avg_order_value": "Average order value (客单价): revenue of the period (net of returns) divided by its orders.",
    "repurchase_rate": (
        "Repurchase rate (复购率): among customers who ordered in the look-back window (by default the "
        "365 days up to the as-of date — not just the period), the share who placed 2 or more orders in it."
    ),
    "retention_rate": (
        "Retention rate (留存率): share of the previous period's active customers who are active again "
        "this period; empty when the previous period is before the data start or had no active customers."
    ),
    "churn_rate": (
        "Churn rate (流失率): among the customers who bought in the look-back window up to one churn horizon "
        "(by default 90 days) before the as-of date, the share who placed no order in that horizon — the "
        "definition stage 04's churn model learns; empty when the data do not reach back that far."
    ),
    "nps": (
        "Net Promoter Score (净推荐值): % promoters (answer 9–10) minus % detractors (0–6) among the "
        "period's survey answers, from −100 to 100; empty without answers."
    ),
    "nps_responses": "NPS responses (NPS 答卷数): survey answers given in the period.",
    "csat": (
        "Satisfaction, CSAT (满意度): share of the period's ratings — rated service tickets and reviews, on a "
        "1–5 scale — that are 'satisfied' or better (by default 4 or 5 of 5); empty without ratings."
    ),
    "lead_conversion_rate": (
        "Lead conversion rate (线索转化率): among leads closed in the period, the share won "
        "(won / (won + lost)); open leads do not count."
    ),
}

_KPI_DTYPES: dict[str, str] = {
    "period": "str",
    "as_of": "datetime64[ns]",
    "customers_known": "Int64",
    "active_customers": "Int64",
    "new_customers": "Int64",
    "revenue": "float64",
    "orders": "Int64",
    "avg_order_value": "float64",
    "repurchase_rate": "float64",
    "retention_rate": "float64",
    "churn_rate": "float64",
    "nps": "float64",
    "nps_responses": "Int64",
    "csat": "float64",
    "lead_conversion_rate": "float64",
}

_ORDER_COLUMNS = ["customer_id", "order_id", "order_date", "amount", "line_type"]
_REQUIRED = {
    "customers": ["customer_id", "registration_date"],
    "tickets": ["opened_at", "satisfaction"],
    "reviews": ["review_date", "rating_5"],
    "surveys": ["survey_date", "nps_score"],
    "leads": ["closed_date", "outcome"],
}


@dataclass(frozen=True)
class _Lines:
    """Order lines (collapsed per order and day) as NumPy arrays with integer codes.

    Built once per call so every period of a trend is a few vectorised masks
    instead of a fresh groupby on text ids.
    """

    customer: np.ndarray  # customer code per line
    order: np.ndarray  # (customer, order) code per line
    date: np.ndarray  # datetime64[ns] per line
    amount: np.ndarray
    is_sale: np.ndarray
    known_since: np.ndarray  # per customer code: first kept line (sale or return) or registration
    first_sale: np.ndarray  # per customer code: first sale, NaT if none
    registered_only: np.ndarray  # registration dates of customers without any order line
    data_start: pd.Timestamp  # NaT without orders


def _per_code_min(dates: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """Earliest date per code 0..n-1 (NaT for codes without rows)."""
    earliest = pd.Series(dates).groupby(codes).min().reindex(range(n))
    # copy=True: copy-on-write pandas hands out read-only views, and the caller updates this array.
    return earliest.to_numpy(dtype="datetime64[ns]", copy=True)


def _lines(orders: pd.DataFrame, customers: pd.DataFrame | None) -> _Lines:
    """Prepare the order lines (and registrations) for per-period masks.

    Lines are collapsed to one row per (customer, order, day, sale/return):
    periods start at midnight, so this loses nothing, and it turns hundreds of
    thousands of lines into roughly one row per order for every later mask.
    """
    require_columns(orders, _ORDER_COLUMNS, "orders")
    rows = orders.loc[orders["customer_id"].notna().to_numpy(dtype=bool), _ORDER_COLUMNS]
    customer, ids = pd.factorize(rows["customer_id"])
    # +1 so a line without an order id (code -1) gets its own code 0 instead of borrowing a neighbour's.
    order = pd.factorize(rows["order_id"])[0] + 1
    # Pair codes keep two customers' orders apart even if an export reuses an order number.
    pair = customer.astype(np.int64) * (int(order.max(initial=0)) + 1) + order
    collapsed = (
        pd.DataFrame(
            {
                "pair": pair,
                "day": rows["order_date"].dt.normalize().to_numpy(dtype="datetime64[ns]"),
                "is_sale": rows["line_type"].eq("sale").to_numpy(dtype=bool),
                "customer": customer,
                "amount": rows["amount"].to_numpy(dtype=float),
            }
        )
        .groupby(["pair", "day", "is_sale"], sort=False)
        .agg(customer=("customer", "first"), amount=("amount", "sum"))
        .reset_index()
    )
    date = collapsed["day"].to_numpy(dtype="datetime64[ns]")
    is_sale = collapsed["is_sale"].to_numpy(dtype=bool)
    code = collapsed["customer"].to_numpy()
    n = len(ids)
    known_since = _per_code_min(date, code, n)
    first_sale = _per_code_min(date[is_sale], code[is_sale], n)
    registered_only = np.array([], dtype="datetime64[ns]")
    if customers is not None:
        require_columns(customers, _REQUIRED["customers"], "customers")
        reg = customers.groupby("customer_id")["registration_date"].min().dropna()
        reg_dates = reg.to_numpy(dtype="datetime64[ns]")
        reg_code = pd.Index(ids).get_indexer(reg.index)
        ordered = reg_code >= 0
        registered_only = reg_dates[~ordered]
        # A customer with orders is known from whichever comes first, order or registration.
        known_since[reg_code[ordered]] = np.fmin(known_since[reg_code[ordered]], reg_dates[ordered])
    return _Lines(
        customer=code,
        order=collapsed["pair"].to_numpy(),
        date=date,
        amount=collapsed["amount"].to_numpy(dtype=float),
        is_sale=is_sale,
        known_since=known_since,
        first_sale=first_sale,
        registered_only=registered_only,
        data_start=pd.Timestamp(date.min()) if date.size else pd.NaT,
    )


def _in(dates: np.ndarray, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Mask of ``start <= date < end`` on a datetime64 array (NaT is outside)."""
    return (dates >= np.datetime64(start, "ns")) & (dates < np.datetime64(end, "ns"))


def _share(numerator: float, denominator: int) -> float:
    """``numerator / denominator``, NaN when there is nothing to divide by (no basis is not 0%)."""
    return numerator / denominator if denominator else np.nan


def _kpi_row(
    lines: _Lines,
    period: Period,
    *,
    tickets: pd.DataFrame | None,
    surveys: pd.DataFrame | None,
    leads: pd.DataFrame | None,
    reviews: pd.DataFrame | None,
    lookback_days: int,
    churn_horizon_days: int,
    csat_satisfied_min: int,
    nps_promoter_min: int,
    nps_detractor_max: int,
) -> dict[str, object]:
    """The KPIs of one period as a dict keyed like :data:`KPI_COLUMNS` (NaN / NA where unknown)."""
    end = period.end_exclusive
    sale_in_period = _in(lines.date, period.start, end) & lines.is_sale
    active = np.unique(lines.customer[sale_in_period])
    n_orders = np.unique(lines.order[sale_in_period]).size
    # Customers are known from their first order or registration up to the as-of date.
    known = int(
        (lines.known_since < np.datetime64(end, "ns")).sum() + (lines.registered_only < np.datetime64(end, "ns")).sum()
    )

    window = _in(lines.date, lookback_start(period, lookback_days), end) & lines.is_sale
    # Orders per customer in the window: the customer of each distinct order, counted.
    _, window_orders = np.unique(
        lines.customer[window][np.unique(lines.order[window], return_index=True)[1]], return_counts=True
    )

    revenue = round(float(lines.amount[_in(lines.date, period.start, end)].sum()), MONEY_DECIMALS)
    previous = period.previous()
    retention = np.nan
    if not pd.isna(lines.data_start) and previous.end_exclusive > lines.data_start:
        prev_sale = _in(lines.date, previous.start, previous.end_exclusive) & lines.is_sale
        prev_active = np.unique(lines.customer[prev_sale])
        retention = _share(int(np.isin(prev_active, active).sum()), prev_active.size)
    # Churn as stage 04 labels it: customers who bought in the look-back window up to the cut-off (H days
    # before the as-of date) and then placed no order in the H days up to the as-of date.
    churn = np.nan
    cut = end - pd.Timedelta(days=churn_horizon_days)
    first = earliest_churn_cutoff(lines.data_start, churn_horizon_days)
    if first is not None and cut - pd.Timedelta(days=1) >= first:
        at_risk = np.unique(
            lines.customer[_in(lines.date, cut - pd.Timedelta(days=lookback_days), cut) & lines.is_sale]
        )
        came_back = np.unique(lines.customer[_in(lines.date, cut, end) & lines.is_sale])
        churn = _share(int((~np.isin(at_risk, came_back)).sum()), at_risk.size)

    row: dict[str, object] = {
        "period": period.label,
        "as_of": period.as_of,
        "customers_known": known,
        "active_customers": active.size,
        "new_customers": int(_in(lines.first_sale, period.start, end).sum()),
        "revenue": revenue,
        "orders": n_orders,
        "avg_order_value": _share(revenue, n_orders),
        "repurchase_rate": _share(int((window_orders >= 2).sum()), window_orders.size),
        "retention_rate": retention,
        "churn_rate": churn,
        "nps": np.nan,
        "nps_responses": pd.NA,
        "csat": np.nan,
        "lead_conversion_rate": np.nan,
    }
    if surveys is not None:
        scores = (
            surveys.loc[_in(surveys["survey_date"].to_numpy(dtype="datetime64[ns]"), period.start, end), "nps_score"]
            .dropna()
            .astype(float)
        )
        row["nps_responses"] = scores.size
        classes = nps_class(scores, nps_promoter_min=nps_promoter_min, nps_detractor_max=nps_detractor_max)
        row["nps"] = _share(int(classes.eq("promoter").sum()) - int(classes.eq("detractor").sum()), scores.size) * 100
    ratings = [  # the period's 1-5 ratings: rated tickets and reviews
        table.loc[_in(table[date].to_numpy(dtype="datetime64[ns]"), period.start, end), rating].dropna().astype(float)
        for table, date, rating in ((tickets, "opened_at", "satisfaction"), (reviews, "review_date", "rating_5"))
        if table is not None
    ]
    if ratings:
        rated = pd.concat(ratings, ignore_index=True)
        row["csat"] = _share(int((rated >= csat_satisfied_min).sum()), rated.size)
    if leads is not None:
        outcome = leads.loc[_in(leads["closed_date"].to_numpy(dtype="datetime64[ns]"), period.start, end), "outcome"]
        won, lost = int(outcome.eq("won").sum()), int(outcome.eq("lost").sum())
        row["lead_conversion_rate"] = _share(won, won + lost)
    return row


def _check_tables(**tables: pd.DataFrame | None) -> None:
    """Raise DataValidationError when a given table lacks a column the KPIs need."""
    for name, df in tables.items():
        if df is not None:
            require_columns(df, _REQUIRED[name], name)


def period_kpis(
    orders: pd.DataFrame,
    period: Period,
    *,
    customers: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    lookback_days: int,
    churn_horizon_days: int,
    csat_satisfied_min: int,
    nps_promoter_min: int,
    nps_detractor_max: int,
) -> pd.Series:
    """Company KPIs of one period.

    Parameters
    ----------
    orders
        Clean orders table (contract §2): kept sale and return lines of all dates.
    period
        The reporting period.
    customers, tickets, surveys, leads, reviews
        Clean tables, or None when the data have none: their KPIs are then NA.
    lookback_days
        Window for the repurchase rate, ending with the as-of date.
    churn_horizon_days
        The churn horizon H: the churn rate is that of the customers at risk H days before the as-of date.
    csat_satisfied_min
        Lowest 1–5 ticket rating that counts as satisfied.
    nps_promoter_min, nps_detractor_max
        NPS group bounds (the ``indicators`` section of the settings).

    Returns
    -------
    pd.Series
        Indexed by :data:`KPI_COLUMNS` (meanings in :data:`KPI_DESCRIPTIONS`),
        named after the period; NA where a figure cannot be computed.

    Raises
    ------
    DataValidationError
        When a given table lacks a required column.
    """
    _check_tables(tickets=tickets, surveys=surveys, leads=leads, reviews=reviews)
    row = _kpi_row(
        _lines(orders, customers),
        period,
        tickets=tickets,
        surveys=surveys,
        leads=leads,
        reviews=reviews,
        lookback_days=lookback_days,
        churn_horizon_days=churn_horizon_days,
        csat_satisfied_min=csat_satisfied_min,
        nps_promoter_min=nps_promoter_min,
        nps_detractor_max=nps_detractor_max,
    )
    return pd.Series(row, name=period.label)[KPI_COLUMNS]


def kpi_trend(
    orders: pd.DataFrame,
    period: Period,
    *,
    customers: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    lookback_days: int,
    churn_horizon_days: int,
    csat_satisfied_min: int,
    nps_promoter_min: int,
    nps_detractor_max: int,
    n_periods: int,
) -> pd.DataFrame:
    """Company KPIs of the trailing periods, oldest first, ending with ``period``.

    Parameters
    ----------
    orders, period, customers, tickets, surveys, leads, reviews, lookback_days, churn_horizon_days
        As in :func:`period_kpis`.
    csat_satisfied_min, nps_promoter_min, nps_detractor_max
        As in :func:`period_kpis`.
    n_periods
        How many periods (of ``period``'s kind) to go back, ``period`` included.

    Returns
    -------
    pd.DataFrame
        One row per period, columns :data:`KPI_COLUMNS`. Periods that end before
        the first order in the data are left out rather than shown as zeros.

    Raises
    ------
    ConfigError
        When ``n_periods`` is below 1.
    DataValidationError
        When a given table lacks a required column.
    """
    if n_periods < 1:
        raise ConfigError(f"n_periods must be at least 1, got {n_periods}")
    _check_tables(tickets=tickets, surveys=surveys, leads=leads, reviews=reviews)
    lines = _lines(orders, customers)
    rows = [
        _kpi_row(
            lines,
            p,
            tickets=tickets,
            surveys=surveys,
            leads=leads,
            reviews=reviews,
            lookback_days=lookback_days,
            churn_horizon_days=churn_horizon_days,
            csat_satisfied_min=csat_satisfied_min,
            nps_promoter_min=nps_promoter_min,
            nps_detractor_max=nps_detractor_max,
        )
        for p in period.trailing(n_periods)
        # the period itself always has a row (all "not available" for data without order lines)
        if p == period or (not pd.isna(lines.data_start) and p.end_exclusive > lines.data_start)
    ]
    return pd.DataFrame(rows, columns=KPI_COLUMNS).astype(_KPI_DTYPES)


def _as_float(values: pd.Series, names: list[str]) -> np.ndarray:
    """KPI values as floats, NA (pd.NA or NaN) as NaN."""
    return np.array([np.nan if pd.isna(values.get(n)) else float(values.get(n)) for n in names])


def kpi_comparison(current: pd.Series, previous: pd.Series) -> pd.DataFrame:
    """Set a period's KPIs beside the previous period's.

    Parameters
    ----------
    current, previous
        Results of :func:`period_kpis`, or rows of :func:`kpi_trend`.

    Returns
    -------
    pd.DataFrame
        Index ``kpi`` (the numeric KPIs), columns ``label``, ``current``,
        ``previous``, ``change`` (current − previous; for rates a change in share
        points, 0.05 = 5 points) and ``pct_change`` (change relative to the
        previous value; NA when that is 0 or unknown). ``attrs["periods"]`` holds
        the two period labels.
    """
    names = [c for c in KPI_COLUMNS if c not in ("period", "as_of")]
    cur, prev = _as_float(current, names), _as_float(previous, names)
    change = cur - prev
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(prev != 0, change / np.abs(prev), np.nan)
    out = pd.DataFrame(
        {
            "label": [LABELS.text("kpi", n) for n in names],
            "current": cur,
            "previous": prev,
            "change": change,
            "pct_change": pct,
        },
        index=pd.Index(names, name="kpi"),
    )
    out.attrs["periods"] = (_period_label(current, "this period"), _period_label(previous, "previous period"))
    return out


def _period_label(kpis: pd.Series, default: str) -> str:
    """The ``period`` entry as text, ``default`` when it is missing (e.g. an all-NA stand-in row)."""
    label = kpis.get("period")
    return default if label is None or pd.isna(label) else str(label)
