"""The consolidated grading table (客户分级管理分析表): one row per graded customer, every stage's answer side by side.

Who the customer is (masked contacts), what they buy and are worth, how they behave, how they are graded by each
method, their churn risk and growth potential — and the final class with its action and contact plan (who
contacts them, how often, through which channel), configured per class.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["FINAL_COLUMNS", "NOT_AVAILABLE", "grading_table"]

#: The class of a customer the scorecard could not grade: no plan, no action.
NOT_AVAILABLE = "not_available"

#: Columns of the consolidated table, in order, and the stage table each comes from.
_SOURCES: dict[str, tuple[str, ...]] = {
    "grading": (
        "customer_name",
        "industry",
        "region",
        "rfm_class",
        "value_tier",
        "behaviour_state",
        "needs_type",
        "satisfaction_class",
        "recency_days",
        "frequency",
        "monetary",
        "gross_profit",
        "clv",
        "score",
        "scorecard_class",
    ),
    "customers": ("contact_name_masked", "contact_phone_masked", "contact_email_masked", "first_order_date"),
    "indicators": ("last_order_date", "interaction_rate", "repeat_customer", "tenure_days", "csat", "nps_class"),
    "churn": ("owner", "churn_probability", "risk_band"),
    "growth": ("growth_value", "top_item"),
}
#: Columns of the consolidated table, in order.
FINAL_COLUMNS = [
    "customer_id",
    *_SOURCES["grading"][:3],
    "owner",
    *_SOURCES["customers"],
    "last_order_date",
    *_SOURCES["grading"][3:-1],  # scorecard_class is the final class, shown once
    *[c for c in _SOURCES["indicators"] if c != "last_order_date"],
    "clv_verdict",
    "churn_probability",
    "risk_band",
    "growth_value",
    "top_item",
    "final_class",
    "action",
    "contact",
    "contact_frequency",
    "contact_channel",
]


def grading_table(
    grading: pd.DataFrame,
    *,
    customers: pd.DataFrame,
    indicators: pd.DataFrame,
    churn: pd.DataFrame | None,
    growth: pd.DataFrame | None,
    clv_verdict: str,
    plans: Mapping[str, Mapping[str, str]],
) -> pd.DataFrame:
    """One row per customer graded by stage 03, with what the other stages say of them.

    Parameters
    ----------
    grading
        Stage 03's ``grading`` (one row per graded customer); its ``scorecard_class`` is the final class.
    customers, indicators
        Stage 01's customers (masked contacts) and stage 02's indicators.
    churn, growth
        Stage 04's churn table and stage 05's growth table (None when absent): a customer they do not list gets NA.
    clv_verdict
        Stage 03's verdict on its lifetime-value model (``reliable``, ``ranking_only``, ``not_reliable``), beside
        every CLV so that nobody reads an unreliable one as a forecast.
    plans
        Final class -> ``action``, ``contact``, ``frequency``, ``channel``.

    Returns
    -------
    pandas.DataFrame
        :data:`FINAL_COLUMNS`, in the order of ``grading``.

    Raises
    ------
    ValueError
        A final class without a contact plan (the class is named).
    """
    ids = pd.Index(grading["customer_id"].astype(str), name="customer_id")
    tables = {"grading": grading, "customers": customers, "indicators": indicators, "churn": churn, "growth": growth}
    out = pd.DataFrame(index=ids)
    for source, columns in _SOURCES.items():
        frame = tables[source]
        keyed = (
            frame.assign(customer_id=frame["customer_id"].astype(str)).drop_duplicates("customer_id")
            if frame is not None
            else pd.DataFrame({"customer_id": pd.Series(dtype="string")})
        ).set_index("customer_id")
        for column in columns:
            out[column] = keyed[column].reindex(ids).to_numpy() if column in keyed else pd.NA
    out["clv_verdict"] = clv_verdict
    out["final_class"] = out["scorecard_class"].astype("string")
    unplanned = sorted(set(out["final_class"].dropna()) - set(plans) - {NOT_AVAILABLE})
    if unplanned:
        raise ValueError(f"no contact plan for class(es) {', '.join(unplanned)}: add them to the settings")
    for part in ("action", "contact", "frequency", "channel"):
        column = part if part in ("action", "contact") else f"contact_{part}"  # `frequency` is the purchases'
        out[column] = out["final_class"].map({k: v[part] for k, v in plans.items()}).astype("string")
    return out.reset_index()[FINAL_COLUMNS]
