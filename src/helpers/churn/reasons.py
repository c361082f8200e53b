"""Why a customer is at risk, in words: the features that raise their churn probability most, with their values.

The contributions come from the chosen model itself (:meth:`contributions` of each model in
:mod:`helpers.churn.models`); only those that raise the risk are reasons. Each is phrased from the customer's own
values with the templates of the label registry (namespace ``churn_reason``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.churn.features import feature as feature_of
from helpers.churn.features import feature_label
from helpers.core.labels import LABELS

__all__ = ["reason_text", "top_reasons"]

#: What a reason already says about other features (their own reason would repeat it).
_SAYS = {
    "overdue_ratio": {"recency_days", "avg_gap_days"},
    "recency_days": {"overdue_ratio"},
    "orders_trend": {"orders_recent", "orders_before"},
    "complaints_trend": {"complaints_recent"},
    "complaints_recent": {"complaints_trend"},
}

#: Features that are a reason only when there is something: a complaint, a return, a late payment.
_PROBLEMS = frozenset(
    {"tickets", "complaints", "complaints_recent", "returns_share", "avg_days_late", "overdue_amount"}
)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.1f}"


def reason_text(
    feature: str,
    row: Mapping[str, Any],
    *,
    currency: str,
    trend_months: int,
    complaints_days: int,
    window_days: int,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The phrase for one feature of one customer (``row``: the customer's features); empty when the value is no
    reason a person would accept (a rising trend, fewer complaints, an unknown value), so the next one is shown."""
    value = row.get(feature)
    kind = feature_of(feature).kind
    if kind == "attribute" and not isinstance(value, str):  # a number the mapping kept: shown as it is
        if pd.isna(value):
            return ""
        return LABELS.format("churn_reason", "category", feature=feature_label(feature), value=_number(float(value)))
    if kind in ("category", "attribute"):
        if pd.isna(value) or (levels is not None and str(value) not in levels.get(feature, ())):
            return ""  # no value, or a level the model pooled with others: nothing to say about it
        return LABELS.format("churn_reason", "category", feature=feature_label(feature), value=value)
    if feature in ("orders_trend", "spend_trend", "interactions_trend"):
        word = feature.removesuffix("_trend")
        recent, before = float(row[f"{word}_recent"]), float(row[f"{word}_before"])
        if not (before > 0 and recent < before):
            return ""  # a steady or rising trend is no reason to leave, whatever weight a model gives it
        values = {"months": trend_months, "change": f"{(before - recent) / before:.0%}"}
        if word == "orders":
            values |= {"recent": _number(recent), "before": _number(before)}
        return LABELS.format("churn_reason", f"{word}_down", **values)
    if feature == "complaints_trend":
        recent = float(row.get("complaints_recent", np.nan))
        before = math.expm1(math.log1p(recent) - float(value)) if not math.isnan(recent) else np.nan
        if not recent > round(before):
            return ""  # fewer complaints than before is no reason to leave
        return LABELS.format(
            "churn_reason", feature, recent=_number(recent), before=_number(round(before)), days=complaints_days
        )
    if feature in _PROBLEMS and not value > 0:
        return ""  # no complaint, no return, nothing late: no reason to leave
    if feature == "overdue_ratio" and not pd.isna(value):
        return LABELS.format(
            "churn_reason", feature, value=_number(row["recency_days"]), gap=_number(row["avg_gap_days"])
        )
    if pd.isna(value):
        # Unknown is a reason only where its absence says something: no second purchase yet.
        return LABELS.text("churn_reason", "one_order") if feature in ("avg_gap_days", "overdue_ratio") else ""
    if feature == "tenure_months" and value == 1:
        return LABELS.text("churn_reason", "tenure_one_month")
    if kind == "money":
        shown = f"{value:,.0f} {currency}"
    elif kind == "ratio" and feature != "overdue_ratio":
        shown = f"{value:.0%}"
    else:
        shown = _number(float(value))
    return LABELS.format(
        "churn_reason", feature, value=shown, months=trend_months, days=complaints_days, window=window_days
    )


def top_reasons(
    contributions: pd.DataFrame,
    features: pd.DataFrame,
    k: int,
    *,
    currency: str,
    trend_months: int,
    complaints_days: int,
    window_days: int,
    levels: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The ``k`` strongest risk-raising reasons of each customer.

    Parameters
    ----------
    contributions
        Feature -> contribution per customer (same index as ``features``); positive raises the risk.
    features
        The customers' feature values.
    k
        How many reasons at most.
    currency, trend_months, complaints_days, window_days
        For the words: the amounts' currency, the trend span, the complaint window, the look-back window.
    levels
        The category levels the model knows, per feature: a customer's other level is no reason.

    Returns
    -------
    pd.DataFrame
        Index as ``features``; ``reasons`` (the phrases joined by "; ", empty when nothing raises the risk) and
        ``first`` (the feature behind the strongest reason, NA when none).
    """
    texts_of, first_of = {}, {}
    names = np.asarray(contributions.columns)
    values = contributions.to_numpy(dtype=float)
    # Strongest first; a stable sort keeps the columns' order among equal contributions.
    order = np.argsort(-values, axis=1, kind="stable")
    rows = features.reindex(contributions.index).to_dict("records")
    for i, cid in enumerate(contributions.index):
        ranked = order[i]
        raising = names[ranked[values[i, ranked] > 1e-9]]
        row = rows[i]
        texts: list[str] = []
        said: set[str] = set()
        for f in raising:
            if f in said:
                continue
            text = reason_text(
                f,
                row,
                currency=currency,
                trend_months=trend_months,
                complaints_days=complaints_days,
                window_days=window_days,
                levels=levels,
            )
            if text:
                first_of.setdefault(cid, f)
                texts.append(text)
                said |= _SAYS.get(f, set())
            if len(texts) == k:
                break
        texts_of[cid] = "; ".join(texts)
    return pd.DataFrame(
        {
            "reasons": pd.Series(texts_of, dtype="string").reindex(features.index).fillna(""),
            "first": pd.Series(first_of, dtype="string").reindex(features.index),
        }
    )
