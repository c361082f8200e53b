"""Per-customer indicators (指标体系): value, behaviour and loyalty as of a period.

Every function here is pandas-in / pandas-out and reads only data dated up to
the period's as-of date, so re-running an old period after more data arrived
gives the same numbers. An indicator whose source table (or column) the data
do not have is an NA column — never 0 — and the reason is reported by
:func:`indicator_availability` and in ``result.attrs["unavailable"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.periods import Period
from helpers.core.validation import require_columns
from helpers.shared import MONEY_DECIMALS, known_customers, lookback_start

__all__ = [
    "INDICATOR_COLUMNS",
    "INDICATOR_DESCRIPTIONS",
    "customer_indicators",
    "indicator_availability",
    "nps_class",
]

#: Columns of :func:`customer_indicators`, in order.
INDICATOR_COLUMNS: list[str] = [
    "as_of",
    "first_order_date",
    "last_order_date",
    "recency_days",
    "frequency",
    "monetary",
    "returns_amount",
    "avg_order_value",
    "gross_profit",
    "margin_rate",
    "cost_coverage",
    "distinct_products",
    "distinct_categories",
    "interactions",
    "interaction_rate",
    "repeat_customer",
    "tickets",
    "complaints",
    "avg_response_hours",
    "csat",
    "nps_score",
    "nps_class",
    "tenure_days",
    "avg_days_late",
    "overdue_amount",
    "active_in_window",
]

_WINDOW = "the look-back window (by default the 365 days up to and including the as-of date)"

#: Plain-language meaning of every indicator, with the Chinese term reviewers know.
INDICATOR_DESCRIPTIONS: dict[str, str] = {
    "as_of": "As-of date (截止日期): the last day of the period; only data up to this day are used.",
    "first_order_date": "First purchase date (首次购买日期): day of the customer's first sale up to the as-of date.",
    "last_order_date": "Last purchase date (最近购买日期): day of the customer's latest sale up to the as-of date.",
    "recency_days": (
        "Recency, R (最近一次消费间隔): days from the last purchase to the as-of date; "
        "smaller means more active; empty if the customer has never bought."
    ),
    "frequency": f"Purchase count, F (购买频次): number of distinct sales orders in {_WINDOW}.",
    "monetary": f"Total spend, M (消费金额): net amount in {_WINDOW} — sales plus returns (returns are negative).",
    "returns_amount": (
        "Returns (退货金额): amount of returns and cancellations in the window, as a negative "
        "number (0 = none); total spend = sales + returns."
    ),
    "avg_order_value": (
        "Average order value (客单价): total spend M in the window (net of returns) divided by the "
        "number of orders (domain §2); empty when the customer placed no order in the window."
    ),
    "gross_profit": (
        "Profit contribution (利润贡献/毛利): amount minus cost of the customer's order lines in the window, "
        "over the lines whose cost is known; empty when no cost is known."
    ),
    "margin_rate": (
        "Gross margin rate (毛利率): profit contribution divided by the amount of the lines whose cost "
        "is known; empty when that amount is zero or negative."
    ),
    "cost_coverage": (
        "Cost coverage (成本覆盖率): share of the customer's sales amount in the window whose cost is known; "
        "below 1 means profit contribution covers only part of the sales."
    ),
    "distinct_products": "Products bought (购买产品数): distinct products in the customer's sales in the window.",
    "distinct_categories": (
        "Product diversity (品类数): distinct product categories in the customer's sales in the window."
    ),
    "interactions": (
        "Online interactions (线上互动次数): logins, webinar sign-ups, downloads … recorded in the window."
    ),
    "interaction_rate": "Online interaction rate (线上互动率): online interactions per 30 days of the window.",
    "repeat_customer": "Repeat customer (复购客户): true when the customer placed 2 or more orders in the window.",
    "tickets": "Service tickets (服务工单数): tickets the customer opened in the window.",
    "complaints": "Complaints (投诉次数): tickets in the window marked as complaints.",
    "avg_response_hours": (
        "Average response time (平均响应时长): mean hours until the first response to the customer's "
        "tickets in the window; empty without tickets."
    ),
    "csat": (
        "Satisfaction, CSAT (客户满意度): share of the customer's ratings in the window — rated tickets and "
        "reviews, on a 1–5 scale — that are 'satisfied' or better (by default 4 or 5 of 5); empty without ratings."
    ),
    "nps_score": (
        "NPS answer (净推荐值评分): the customer's latest 0–10 'would you recommend us' answer in the window."
    ),
    "nps_class": (
        "NPS group (推荐者/中立者/贬损者): promoter (by default 9–10), passive (7–8) or detractor (0–6), "
        "from the latest answer."
    ),
    "tenure_days": (
        "Relationship length (合作时长): days from registration (or, when unknown, the first purchase) "
        "to the as-of date."
    ),
    "avg_days_late": (
        "Average days late (平均逾期天数): mean days past the due date of the invoices paid in the window "
        "(paying early counts as 0)."
    ),
    "overdue_amount": ("Overdue amount (逾期应收金额): invoices due by the as-of date that were not paid by then."),
    "active_in_window": "Active (窗口期内活跃): true when the customer placed at least one order in the window.",
}

# Output dtypes: nullable integers so "not available" (NA) stays distinct from a real 0.
_DTYPES: dict[str, str] = {
    "as_of": "datetime64[ns]",
    "first_order_date": "datetime64[ns]",
    "last_order_date": "datetime64[ns]",
    "recency_days": "Int64",
    "frequency": "Int64",
    "monetary": "float64",
    "returns_amount": "float64",
    "avg_order_value": "float64",
    "gross_profit": "float64",
    "margin_rate": "float64",
    "cost_coverage": "float64",
    "distinct_products": "Int64",
    "distinct_categories": "Int64",
    "interactions": "float64",
    "interaction_rate": "float64",
    "repeat_customer": "bool",
    "tickets": "Int64",
    "complaints": "Int64",
    "avg_response_hours": "float64",
    "csat": "float64",
    "nps_score": "Int64",
    "nps_class": "string",
    "tenure_days": "Int64",
    "avg_days_late": "float64",
    "overdue_amount": "float64",
    "active_in_window": "bool",
}

# Columns each table must have; other columns an indicator needs are optional (see _SOURCES).
_REQUIRED: dict[str, list[str]] = {
    "orders": ["customer_id", "order_id", "order_date", "amount", "line_type"],
    "customers": ["customer_id", "registration_date"],
    "tickets": ["customer_id", "opened_at"],
    "reviews": ["customer_id", "review_date", "rating_5"],
    "surveys": ["customer_id", "survey_date", "nps_score"],
    "interactions": ["customer_id", "event_date"],
    "payments": ["customer_id", "due_date", "paid_date", "amount"],
}
# The date column that places a row in time, for the tables with optional columns.
_DATE_COLUMN = {"orders": "order_date", "tickets": "opened_at", "reviews": "review_date"}
# Indicators that need a table beyond orders, or an optional column: (table, column or None).
_SOURCES: dict[str, tuple[str, str | None]] = {
    "gross_profit": ("orders", "cost"),
    "margin_rate": ("orders", "cost"),
    "cost_coverage": ("orders", "cost"),
    "distinct_products": ("orders", "product_id"),
    "distinct_categories": ("orders", "category"),
    "interactions": ("interactions", None),
    "interaction_rate": ("interactions", None),
    "tickets": ("tickets", None),
    "complaints": ("tickets", "is_complaint"),
    "avg_response_hours": ("tickets", "response_hours"),
    "csat": ("tickets", "satisfaction"),
    "nps_score": ("surveys", None),
    "nps_class": ("surveys", None),
    "avg_days_late": ("payments", None),
    "overdue_amount": ("payments", None),
}
_TABLE_MISSING = {
    "tickets": "no service tickets in the data",
    "surveys": "no NPS survey answers in the data",
    "interactions": "no online interaction records in the data",
    "payments": "no payment records in the data",
}
_COLUMN_MISSING = {
    ("orders", "cost"): "no product costs in the data",
    ("orders", "product_id"): "no product ids in the data",
    ("orders", "category"): "no product categories in the data",
    ("tickets", "is_complaint"): "tickets do not say which are complaints",
    ("tickets", "response_hours"): "no ticket response times in the data",
    ("tickets", "satisfaction"): "no ticket satisfaction ratings or reviews in the data",
}


def nps_class(scores: pd.Series, *, nps_promoter_min: int, nps_detractor_max: int) -> pd.Series:
    """Classify 0–10 answers as promoter, passive or detractor (NA stays NA).

    Parameters
    ----------
    scores
        NPS answers, 0–10, NA where none.
    nps_promoter_min
        Lowest promoter answer.
    nps_detractor_max
        Highest detractor answer.

    Returns
    -------
    pd.Series
        ``string`` dtype, same index as ``scores``.
    """
    s = scores.astype("Float64")
    out = pd.Series(pd.NA, index=scores.index, dtype="string")
    out[s.ge(nps_promoter_min).fillna(False).astype(bool)] = "promoter"
    out[s.le(nps_detractor_max).fillna(False).astype(bool)] = "detractor"
    out[(s.gt(nps_detractor_max) & s.lt(nps_promoter_min)).fillna(False).astype(bool)] = "passive"
    return out


def _in_range(dates: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp) -> np.ndarray:
    """Mask of ``start <= date < end`` (no lower bound when ``start`` is None); NA dates are outside."""
    mask = dates < end
    if start is not None:
        mask &= dates >= start
    return mask.to_numpy(dtype=bool)


def _rows(df: pd.DataFrame, mask: np.ndarray, columns: list[str], idx: pd.Index) -> pd.DataFrame:
    """The masked rows of ``df``, only ``columns``, plus ``pos``: the customer's position in ``idx``.

    Selecting the columns before filtering keeps the row copy cheap, and
    integer positions make every later groupby cheaper than one on text ids.
    Rows of customers not in ``idx`` are dropped; the index is reset so boolean
    masks built from the result align.
    """
    rows = df.loc[mask, [c for c in columns if c in df.columns]].reset_index(drop=True)
    rows["pos"] = idx.get_indexer(rows["customer_id"])
    return rows.loc[rows["pos"].to_numpy() >= 0].reset_index(drop=True)


def _has_values(df: pd.DataFrame, table: str, column: str, period: Period) -> bool:
    """Whether ``column`` exists and holds a value in some row dated up to the as-of date."""
    if column not in df.columns:
        return False
    return bool(
        (df[column].notna().to_numpy(dtype=bool) & _in_range(df[_DATE_COLUMN[table]], None, period.end_exclusive)).any()
    )


def indicator_availability(
    orders: pd.DataFrame,
    period: Period,
    *,
    tickets: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which indicators the data can give, and why not when they cannot.

    An indicator is unavailable when its table is absent, or when its column
    is absent or empty in every row dated up to the as-of date (later rows are
    not looked at, so more recent data cannot change an old period's answer).

    Parameters
    ----------
    orders, tickets, surveys, interactions, payments, reviews
        Clean tables (contract §2); None when the data have no such table.
        Reviews give CSAT too, with or without tickets.
    period
        The reporting period.

    Returns
    -------
    pd.DataFrame
        Index ``indicator`` (every name of :data:`INDICATOR_COLUMNS`), columns
        ``available`` (bool) and ``reason`` (text, NA when available).
    """
    tables = {
        "orders": orders,
        "tickets": tickets,
        "surveys": surveys,
        "interactions": interactions,
        "payments": payments,
    }
    reasons: dict[str, str] = {}
    for indicator, (table, column) in _SOURCES.items():
        df = tables[table]
        if df is None:
            reasons[indicator] = _TABLE_MISSING[table]
        elif column is not None and not _has_values(df, table, column, period):
            reasons[indicator] = _COLUMN_MISSING[(table, column)]
    if reviews is not None and _has_values(reviews, "reviews", "rating_5", period):
        reasons.pop("csat", None)
    return pd.DataFrame(
        {
            "available": [c not in reasons for c in INDICATOR_COLUMNS],
            "reason": pd.array([reasons.get(c) for c in INDICATOR_COLUMNS], dtype="string"),
        },
        index=pd.Index(INDICATOR_COLUMNS, name="indicator"),
    )


def _per_customer(values: pd.Series, pos: pd.Series, how: str, idx: pd.Index, fill=np.nan) -> pd.Series:
    """Aggregate ``values`` by customer position and align to ``idx``; customers without rows get ``fill``."""
    grouped = getattr(values.groupby(pos.to_numpy(), sort=False), how)()
    return grouped.reindex(range(len(idx)), fill_value=fill).set_axis(idx)


def customer_indicators(
    orders: pd.DataFrame,
    period: Period,
    *,
    lookback_days: int,
    customers: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    reviews: pd.DataFrame | None = None,
    csat_satisfied_min: int,
    nps_promoter_min: int,
    nps_detractor_max: int,
) -> pd.DataFrame:
    """Value, behaviour and loyalty indicators of every customer known by the as-of date.

    Parameters
    ----------
    orders
        Clean orders table (contract §2): kept sale and return lines of all dates.
    period
        The reporting period; its as-of date is the last day used.
    lookback_days
        Length of the look-back window ``(as_of - lookback_days, as_of]`` for the
        windowed indicators (frequency, monetary, tickets …).
    customers, tickets, surveys, interactions, payments, reviews
        Clean tables, or None when the data have none: their indicators are then NA.
    csat_satisfied_min
        Lowest 1–5 rating (ticket satisfaction, review ``rating_5``) that counts as satisfied.
    nps_promoter_min, nps_detractor_max
        NPS group bounds (the ``indicators`` section of the settings).

    Returns
    -------
    pd.DataFrame
        One row per customer known by the as-of date (see :func:`known_customers`),
        index ``customer_id``, columns :data:`INDICATOR_COLUMNS` (meanings in
        :data:`INDICATOR_DESCRIPTIONS`). ``attrs["unavailable"]`` maps each
        unavailable indicator to the reason.

    Raises
    ------
    DataValidationError
        When a given table lacks a required column.
    ConfigError
        When ``lookback_days`` is not positive.
    """
    tables = {
        "orders": orders,
        "customers": customers,
        "tickets": tickets,
        "surveys": surveys,
        "interactions": interactions,
        "payments": payments,
        "reviews": reviews,
    }
    for name, df in tables.items():
        if df is not None:
            require_columns(df, _REQUIRED[name], name)
    start, end = lookback_start(period, lookback_days), period.end_exclusive
    as_of = period.as_of
    unavailable = (
        indicator_availability(
            orders,
            period,
            tickets=tickets,
            surveys=surveys,
            interactions=interactions,
            payments=payments,
            reviews=reviews,
        )["reason"]
        .dropna()
        .to_dict()
    )
    idx = known_customers(orders, period, customers)
    out: dict[str, pd.Series] = {"as_of": pd.Series(as_of, index=idx)}

    hist = _rows(
        orders,
        _in_range(orders["order_date"], None, end),
        _REQUIRED["orders"] + ["cost", "product_id", "category"],
        idx,
    )
    is_sale = hist["line_type"].eq("sale").to_numpy(dtype=bool)
    sales = hist.loc[is_sale]
    sale_day = sales["order_date"].dt.normalize()
    out["first_order_date"] = _per_customer(sale_day, sales["pos"], "min", idx)
    out["last_order_date"] = _per_customer(sale_day, sales["pos"], "max", idx)
    out["recency_days"] = (as_of - out["last_order_date"]).dt.days

    in_window = (hist["order_date"] >= start).to_numpy(dtype=bool)
    win = hist.loc[in_window]
    win_sale = hist.loc[in_window & is_sale]
    # An order spans several lines: count each (customer, order) once.
    orders_in_window = win_sale[["pos", "order_id"]].drop_duplicates()
    frequency = _per_customer(orders_in_window["order_id"], orders_in_window["pos"], "size", idx, 0)
    out["frequency"] = frequency
    out["monetary"] = _per_customer(win["amount"], win["pos"], "sum", idx, 0.0).round(MONEY_DECIMALS)
    sales_amount = _per_customer(win_sale["amount"], win_sale["pos"], "sum", idx, 0.0).round(MONEY_DECIMALS)
    out["returns_amount"] = (out["monetary"] - sales_amount).round(MONEY_DECIMALS)
    out["avg_order_value"] = out["monetary"] / frequency.where(frequency > 0)

    if "gross_profit" not in unavailable:
        known_cost = win["cost"].notna()
        # min_count=1: a customer whose lines all lack a cost has an unknown profit, not 0.
        profit = (win["amount"] - win["cost"]).groupby(win["pos"].to_numpy(), sort=False).sum(min_count=1)
        out["gross_profit"] = profit.reindex(range(len(idx)), fill_value=0.0).set_axis(idx).round(MONEY_DECIMALS)
        costed_amount = _per_customer(win["amount"].where(known_cost), win["pos"], "sum", idx, 0.0).round(
            MONEY_DECIMALS
        )
        out["margin_rate"] = out["gross_profit"] / costed_amount.where(costed_amount > 0)
        costed_sales = _per_customer(
            win_sale["amount"].where(win_sale["cost"].notna(), 0.0), win_sale["pos"], "sum", idx, 0.0
        )
        out["cost_coverage"] = costed_sales / sales_amount.where(sales_amount > 0)
    for column, name in (("product_id", "distinct_products"), ("category", "distinct_categories")):
        if name not in unavailable:
            out[name] = _per_customer(win_sale[column], win_sale["pos"], "nunique", idx, 0)
    out["repeat_customer"] = frequency >= 2
    out["active_in_window"] = frequency >= 1

    if interactions is not None:
        ev = _rows(interactions, _in_range(interactions["event_date"], start, end), ["customer_id", "count"], idx)
        # The schema's default: a row without a count is one event.
        counts = ev["count"].fillna(1.0) if "count" in ev.columns else pd.Series(1.0, index=ev.index)
        out["interactions"] = _per_customer(counts.astype(float), ev["pos"], "sum", idx, 0.0)
        out["interaction_rate"] = out["interactions"] / (lookback_days / 30)

    if tickets is not None:
        tk = _rows(
            tickets,
            _in_range(tickets["opened_at"], start, end),
            ["customer_id", "is_complaint", "response_hours", "satisfaction"],
            idx,
        )
        out["tickets"] = _per_customer(tk["pos"], tk["pos"], "size", idx, 0)
        if "complaints" not in unavailable:
            is_complaint = tk["is_complaint"].astype("boolean").fillna(False).astype("int64")
            out["complaints"] = _per_customer(is_complaint, tk["pos"], "sum", idx, 0)
        if "avg_response_hours" not in unavailable:
            out["avg_response_hours"] = _per_customer(tk["response_hours"].astype(float), tk["pos"], "mean", idx)

    if "csat" not in unavailable:
        ratings = []  # (pos, 1-5 rating) of rated tickets and reviews in the window
        if tickets is not None and "satisfaction" in tk:
            rated = tk.loc[tk["satisfaction"].notna()]
            ratings.append(pd.DataFrame({"pos": rated["pos"], "rating": rated["satisfaction"].astype(float)}))
        if reviews is not None:
            rv = _rows(reviews, _in_range(reviews["review_date"], start, end), ["customer_id", "rating_5"], idx)
            rv = rv.loc[rv["rating_5"].notna()]
            ratings.append(pd.DataFrame({"pos": rv["pos"], "rating": rv["rating_5"].astype(float)}))
        every = pd.concat(ratings, ignore_index=True)
        satisfied = (every["rating"] >= csat_satisfied_min).astype(float)
        out["csat"] = _per_customer(satisfied, every["pos"], "mean", idx)

    if surveys is not None:
        sv = _rows(
            surveys, _in_range(surveys["survey_date"], start, end), ["customer_id", "survey_date", "nps_score"], idx
        )
        sv = sv.loc[sv["nps_score"].notna()]
        # Stable sort keeps the file order among same-day answers, so "latest" is deterministic.
        latest = sv.sort_values("survey_date", kind="stable").drop_duplicates("pos", keep="last")
        score = _per_customer(latest["nps_score"].astype("Int64"), latest["pos"], "last", idx, pd.NA)
        out["nps_score"] = score
        out["nps_class"] = nps_class(score, nps_promoter_min=nps_promoter_min, nps_detractor_max=nps_detractor_max)

    registered = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    if customers is not None:
        reg = customers.loc[customers["registration_date"] < end, ["customer_id", "registration_date"]]
        reg_pos = pd.Series(idx.get_indexer(reg["customer_id"]), index=reg.index)
        registered = _per_customer(reg["registration_date"].dt.normalize(), reg_pos, "min", idx)
    out["tenure_days"] = (as_of - registered.fillna(out["first_order_date"])).dt.days

    if payments is not None:
        # Invoices settled in the window (for lateness) or due by the as-of date (for what is overdue).
        relevant = _in_range(payments["paid_date"], start, end) | _in_range(payments["due_date"], None, end)
        pay = _rows(payments, relevant, ["customer_id", "due_date", "paid_date", "amount"], idx)
        paid_by_as_of = pay["paid_date"] < end
        settled = pay.loc[paid_by_as_of & (pay["paid_date"] >= start)]
        # Early payment is "on time", not negative lateness, so it cannot offset late invoices.
        days_late = (settled["paid_date"].dt.normalize() - settled["due_date"].dt.normalize()).dt.days.clip(lower=0)
        out["avg_days_late"] = _per_customer(days_late.astype(float), settled["pos"], "mean", idx)
        overdue = pay.loc[~paid_by_as_of & (pay["due_date"] < end)]
        out["overdue_amount"] = _per_customer(overdue["amount"].astype(float), overdue["pos"], "sum", idx, 0.0).round(
            MONEY_DECIMALS
        )

    result = pd.DataFrame(index=idx)
    for column in INDICATOR_COLUMNS:
        values = out.get(column)
        if values is None:
            values = pd.Series(pd.NA if _DTYPES[column] in ("Int64", "string") else np.nan, index=idx)
        result[column] = values.astype(_DTYPES[column])
    result.attrs["unavailable"] = unavailable
    return result
