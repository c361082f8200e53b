"""Churn features as of a cut-off: from the indicators of stage 02, trends, purchase rhythm and the customer's
attributes — each from data dated up to the cut-off only.

:func:`churn_features` computes stage 02's indicators as of the cut-off (the same function, on a period ending
there), adds the trend of the last ``trend_months`` against the months before, the purchase rhythm and the
complaint and interaction trends, and the customer's categorical attributes. A feature is offered only when the
table it comes from exists; :data:`FEATURES` says where each one comes from and how it reads in a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.churn.outcome import DAY, as_of_period, count_between
from helpers.core.labels import LABELS
from helpers.core.periods import Period
from helpers.core.schema import ATTRIBUTE_PREFIX
from helpers.indicators.customer import customer_indicators

__all__ = [
    "CATEGORICAL",
    "FEATURES",
    "Feature",
    "available_features",
    "by_customer",
    "churn_features",
    "feature",
    "feature_label",
    "is_categorical",
    "snapshot_features",
]


@dataclass(frozen=True)
class Feature:
    """One churn feature.

    Attributes
    ----------
    source
        The table it needs (``orders``, ``customers``, ``tickets`` …).
    kind
        ``count`` / ``money`` (log-scaled for the logistic model), ``days``, ``ratio``, ``trend`` (a log ratio,
        negative = falling), ``score`` or ``category``.
    model
        False for the counts behind a trend: kept for the words of a reason, left out of the models (with the
        trend they would say the same thing twice, and the logistic model could not be fitted).
    """

    source: str
    kind: str
    model: bool = True


#: Every feature the models may use, in the order reports list them. Meanings are in the label registry
#: (namespace ``churn_feature``), the phrases of reasons in ``churn_reason``.
FEATURES: dict[str, Feature] = {
    "recency_days": Feature("orders", "days"),
    "frequency": Feature("orders", "count"),
    "monetary": Feature("orders", "money"),
    "avg_order_value": Feature("orders", "money", model=False),  # = spend / orders: both are in
    "returns_share": Feature("orders", "ratio"),
    "tenure_days": Feature("orders", "days"),
    "distinct_products": Feature("orders", "count"),
    "distinct_categories": Feature("orders", "count"),
    "margin_rate": Feature("orders", "ratio"),
    "orders_recent": Feature("orders", "count", model=False),
    "orders_before": Feature("orders", "count", model=False),
    "orders_trend": Feature("orders", "trend"),
    "spend_trend": Feature("orders", "trend"),
    "spend_recent": Feature("orders", "money", model=False),
    "spend_before": Feature("orders", "money", model=False),
    "avg_gap_days": Feature("orders", "days"),
    "overdue_ratio": Feature("orders", "ratio"),
    "tickets": Feature("tickets", "count"),
    "complaints": Feature("tickets", "count"),
    "complaints_recent": Feature("tickets", "count"),
    "complaints_trend": Feature("tickets", "trend"),
    "avg_response_hours": Feature("tickets", "days"),
    "csat": Feature("tickets/reviews", "ratio"),
    "nps_score": Feature("surveys", "score"),
    "interactions": Feature("interactions", "count"),
    "interactions_trend": Feature("interactions", "trend"),
    "interactions_recent": Feature("interactions", "count", model=False),
    "interactions_before": Feature("interactions", "count", model=False),
    "avg_days_late": Feature("payments", "days"),
    "overdue_amount": Feature("payments", "money"),
    "industry": Feature("customers", "category"),
    "region": Feature("customers", "category"),
    "company_size": Feature("customers", "category"),
    "country": Feature("customers", "category"),
    "tenure_months": Feature("customers", "count"),
}
#: A customer attribute the mapping keeps (``attr:<name>``): a number or a category, as its values read.
_ATTRIBUTE = Feature("customers", "attribute")
#: The categorical features (encoded by each model).
CATEGORICAL = tuple(name for name, f in FEATURES.items() if f.kind == "category")
_INDICATOR_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "distinct_products",
    "distinct_categories",
    "margin_rate",
    "tickets",
    "complaints",
    "avg_response_hours",
    "csat",
    "nps_score",
    "interactions",
    "avg_days_late",
    "overdue_amount",
)


def _trend(recent: pd.Series, before: pd.Series) -> pd.Series:
    """log(1 + recent) − log(1 + before): 0 = steady, −0.69 = halved from 1 to 0, defined for every count."""
    return np.log1p(recent.clip(lower=0)) - np.log1p(before.clip(lower=0))


def churn_features(
    tables: Mapping[str, pd.DataFrame | None],
    cutoff: pd.Timestamp,
    customers: pd.Index,
    *,
    like: Period,
    lookback_days: int,
    trend_months: int,
    complaints_window_days: int,
    satisfaction: Mapping[str, int],
) -> pd.DataFrame:
    """The features of ``customers`` as of ``cutoff`` (the day included), from data dated up to it only.

    Parameters
    ----------
    tables
        Stage 01's tables by name (``orders`` required; ``customers``, ``tickets``, ``reviews``, ``surveys``,
        ``interactions``, ``payments`` may be ``None``).
    cutoff
        The cut-off day.
    customers
        The rows wanted (customers at risk at the cut-off, or today's customers).
    like
        The run's period (its kind names the as-of period the indicators are computed for).
    lookback_days, trend_months, complaints_window_days
        The look-back window of the indicators; the recent span of the trends; the complaint window.
    satisfaction
        The CSAT / NPS thresholds of stage 02 (``csat_satisfied_min`` …).

    Returns
    -------
    pd.DataFrame
        Index ``customer_id`` (``customers``), one column per feature of :data:`FEATURES` whose table exists;
        NaN where a customer has no value (never 0 for "unknown").
    """
    orders = tables["orders"]
    end = pd.Timestamp(cutoff).normalize() + DAY
    period = as_of_period(cutoff, like)
    known = {name: tables.get(name) for name in ("tickets", "surveys", "interactions", "payments", "reviews")}
    ind = customer_indicators(
        orders,
        period,
        lookback_days=lookback_days,
        customers=tables.get("customers"),
        **known,
        **satisfaction,
    ).reindex(customers)
    out = pd.DataFrame(index=customers)
    unavailable = ind.attrs.get("unavailable", {})
    for name in _INDICATOR_FEATURES:
        if name not in unavailable and not _source_absent(FEATURES[name], tables):
            out[name] = pd.to_numeric(ind[name], errors="coerce").astype(float)

    sales = orders.loc[orders["line_type"].eq("sale") & (orders["order_date"] < end)]
    gross = sales.groupby("customer_id")["amount"].sum().reindex(customers)
    returns = orders.loc[orders["line_type"].eq("return") & (orders["order_date"] < end)]
    returned = -returns.groupby("customer_id")["amount"].sum().reindex(customers, fill_value=0.0)
    out["returns_share"] = (returned / gross.where(gross > 0)).clip(0, 1)

    recent_start = end - pd.DateOffset(months=trend_months)
    before_start = end - pd.DateOffset(months=2 * trend_months)
    per_order = sales.drop_duplicates(["customer_id", "order_id"])
    ids, dates = per_order["customer_id"], per_order["order_date"]
    out["orders_recent"] = count_between(dates, ids, recent_start, end, customers)
    out["orders_before"] = count_between(dates, ids, before_start, recent_start, customers)
    out["orders_trend"] = _trend(out["orders_recent"], out["orders_before"])
    spend_recent = count_between(
        sales["order_date"], sales["customer_id"], recent_start, end, customers, sales["amount"]
    )
    spend_before = count_between(
        sales["order_date"], sales["customer_id"], before_start, recent_start, customers, sales["amount"]
    )
    out["spend_trend"] = _trend(spend_recent, spend_before)
    out["spend_recent"], out["spend_before"] = spend_recent, spend_before

    days = sales.assign(day=sales["order_date"].dt.normalize())[["customer_id", "day"]].drop_duplicates()
    span = days.groupby("customer_id")["day"].agg(["min", "max", "size"]).reindex(customers)
    out["avg_gap_days"] = ((span["max"] - span["min"]).dt.days / (span["size"] - 1).where(span["size"] > 1)).astype(
        float
    )
    out["overdue_ratio"] = out["recency_days"] / out["avg_gap_days"].where(out["avg_gap_days"] > 0)

    tickets = tables.get("tickets")
    if tickets is not None and "complaints" in out.columns:
        complaint = tickets["is_complaint"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        tk = tickets.loc[complaint]
        window = pd.Timedelta(days=complaints_window_days)
        recent = count_between(tk["opened_at"], tk["customer_id"], end - window, end, customers)
        before = count_between(tk["opened_at"], tk["customer_id"], end - 2 * window, end - window, customers)
        out["complaints_recent"] = recent
        out["complaints_trend"] = _trend(recent, before)
    interactions = tables.get("interactions")
    if interactions is not None and "interactions" in out.columns:
        counts = interactions["count"].fillna(1.0).astype(float) if "count" in interactions else None
        recent = count_between(
            interactions["event_date"], interactions["customer_id"], recent_start, end, customers, counts
        )
        before = count_between(
            interactions["event_date"], interactions["customer_id"], before_start, recent_start, customers, counts
        )
        out["interactions_trend"] = _trend(recent, before)
        out["interactions_recent"], out["interactions_before"] = recent, before

    master = tables.get("customers")
    if master is not None:
        # Which attributes exist is decided on the whole customer table, so every cut-off and today's
        # customers get the same columns (a subset may all lack a region).
        attributes = master.drop_duplicates("customer_id").set_index("customer_id")
        for name in CATEGORICAL:
            column = "industry_l1" if name == "industry" and "industry_l1" in attributes else name
            if column in attributes and attributes[column].notna().any():
                out[name] = attributes[column].reindex(customers).astype("string")
        # The mapping's own attributes, categories only: their values are those of the export day, and a number
        # (a running total, a balance) may have moved since the cut-off with the very churn it would predict.
        for column in [c for c in attributes.columns if c.startswith(ATTRIBUTE_PREFIX)]:
            if not _numeric(attributes[column]):
                out[column] = attributes[column].reindex(customers).astype("string")
    return out[
        [name for name in FEATURES if name in out.columns] + [c for c in out.columns if c.startswith(ATTRIBUTE_PREFIX)]
    ]


def feature(name: str) -> Feature:
    """The description of a feature: one of :data:`FEATURES`, or a customer attribute of the mapping."""
    return _ATTRIBUTE if name.startswith(ATTRIBUTE_PREFIX) else FEATURES[name]


def feature_label(name: str) -> str:
    """How reports name a feature: its label, or the name the mapping gave a customer attribute."""
    return (
        name.removeprefix(ATTRIBUTE_PREFIX) if name.startswith(ATTRIBUTE_PREFIX) else LABELS.text("churn_feature", name)
    )


def is_categorical(frame: pd.DataFrame, name: str) -> bool:
    """Whether a feature column is a category (encoded by each model) rather than a number."""
    if name in CATEGORICAL:
        return True
    return name.startswith(ATTRIBUTE_PREFIX) and not pd.api.types.is_numeric_dtype(frame[name])


def by_customer(customers: pd.DataFrame) -> pd.DataFrame:
    """Stage 01's customers table indexed by customer id as text, one row per customer."""
    table = customers.assign(customer_id=customers["customer_id"].astype(str)).drop_duplicates("customer_id")
    return table.set_index("customer_id")


def snapshot_features(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The features of a customer snapshot: tenure, the mapping's attributes and the standard attributes.

    Parameters
    ----------
    customers
        Stage 01's customers table.
    as_of
        The snapshot's date: without a tenure column, the tenure runs from the registration date to it (or to the
        churn date of a customer who left).

    Returns
    -------
    pd.DataFrame
        Index ``customer_id``; ``tenure_months`` when the data give it, each ``attr:<name>`` column (numbers as
        floats, NaN where blank; categories as text), and the categorical attributes of :data:`FEATURES` the
        table holds, all as of the export. Order history is not used: without dates to compute it as of a
        cut-off, a customer who left has stopped ordering, and their order history would reveal the label
        rather than predict it.
    """
    table = by_customer(customers)
    out = pd.DataFrame(index=table.index)
    if "tenure_months" in table and table["tenure_months"].notna().any():
        out["tenure_months"] = table["tenure_months"].astype(float)
    elif "registration_date" in table and table["registration_date"].notna().any():
        end = pd.Series(pd.Timestamp(as_of).normalize(), index=table.index)
        if "churn_date" in table:
            end = table["churn_date"].where(table["churn_date"].notna() & (table["churn_date"] < end), end)
        out["tenure_months"] = ((end - table["registration_date"]).dt.days / (365.25 / 12)).clip(lower=0)
    for name in CATEGORICAL:
        column = "industry_l1" if name == "industry" and "industry_l1" in table else name
        if column in table and table[column].notna().any():
            out[name] = table[column].astype("string")
    for column in (c for c in table.columns if c.startswith(ATTRIBUTE_PREFIX)):
        values = table[column]
        out[column] = values.astype(float) if _numeric(values) else values.astype("string")
    return out


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _source_absent(feature: Feature, tables: Mapping[str, pd.DataFrame | None]) -> bool:
    """Whether none of the tables a feature may come from exists (``tickets/reviews``: either will do)."""
    return all(tables.get(name) is None for name in feature.source.split("/"))


def available_features(frame: pd.DataFrame) -> list[str]:
    """The model features of ``frame`` that vary: a column all missing or one value for everyone tells nothing."""
    used = []
    for name in frame.columns:
        if not feature(name).model:
            continue
        values = frame[name].dropna()
        if values.nunique() > 1:
            used.append(name)
    return used
