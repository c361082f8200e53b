"""The grading table (客户分级管理分析表): one row per graded customer, every label side by side.

Stage 03 joins the RFM class, the other gradings, the CLV model's figures, the
value matrix and the scorecard into this table. Later stages read it as
``grading.parquet`` (keys, not labels); consultants get it as an Excel workbook
with labels from the registry (:func:`helpers.segmentation.report.grading_workbook`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from helpers.core.validation import require_columns

__all__ = ["CLASS_COLUMNS", "GRADING_COLUMNS", "grading_table"]

#: Columns of the grading table, in order (their headers are in the label registry, namespace ``column``).
GRADING_COLUMNS: list[str] = [
    "customer_id",
    "customer_name",
    "industry",
    "region",
    "rfm_class",
    "rfm_code",
    "r_score",
    "f_score",
    "m_score",
    "rfm_class_source",
    "rfm_flags",
    "value_tier",
    "behaviour_state",
    "needs_type",
    "satisfaction_class",
    "recency_days",
    "frequency",
    "monetary",
    "gross_profit",
    "expected_purchases",
    "p_alive",
    "expected_spend",
    "projected_sales",
    "clv",
    "fallback_value",
    "value_matrix",
    "score",
    "scorecard_class",
    "score_tier",
    "churned_potential",
    "coverage",
    "provisional",
    "factors_missing",
    "suggested_action",
]
#: Class-key columns of the grading table -> the label namespace of their values.
CLASS_COLUMNS: dict[str, str] = {
    "rfm_class": "rfm_class",
    "value_tier": "value_tier",
    "behaviour_state": "behaviour_state",
    "needs_type": "needs_type",
    "satisfaction_class": "satisfaction_class",
    "value_matrix": "value_matrix",
    "scorecard_class": "scorecard_class",
    "score_tier": "scorecard_class",
}

# Parts of the table and the columns each must bring.
_PARTS: dict[str, list[str]] = {
    "segments": [
        "rfm_class",
        "rfm_code",
        "r_score",
        "f_score",
        "m_score",
        "rfm_class_source",
        "rfm_flags",
        "recency_days",
        "frequency",
        "monetary",
    ],
    "gradings": ["value_tier", "behaviour_state", "needs_type", "satisfaction_class"],
    "clv": ["expected_purchases", "p_alive", "expected_spend", "projected_sales", "clv", "fallback_value"],
    "scorecard": [
        "score",
        "scorecard_class",
        "score_tier",
        "churned_potential",
        "coverage",
        "provisional",
        "factors_missing",
    ],
}


def grading_table(
    segments: pd.DataFrame,
    gradings: pd.DataFrame,
    clv: pd.DataFrame,
    value_matrix: pd.Series,
    scorecard: pd.DataFrame,
    indicators: pd.DataFrame,
    customers: pd.DataFrame | None,
    actions: Mapping[str, str],
) -> pd.DataFrame:
    """Join every grading of the RFM population into one table.

    Parameters
    ----------
    segments
        :func:`helpers.segmentation.rfm.rfm_segments` (index customer_id): the graded customers.
    gradings
        Columns ``value_tier``, ``behaviour_state``, ``needs_type``, ``satisfaction_class`` (index customer_id).
    clv
        :func:`helpers.segmentation.clv.predict_clv` plus ``fallback_value``
        (:func:`helpers.segmentation.clv.fallback_value`), index customer_id; customers missing from it get NaN.
    value_matrix
        Value-matrix class per customer.
    scorecard
        Scores, classes and ``churned_potential``
        (:func:`helpers.segmentation.scorecard.churned_potential`), index customer_id.
    indicators
        Stage 02 indicators (index customer_id), for ``gross_profit``.
    customers
        Stage 01 customer base (column customer_id), for name, industry and region; None without one.
    actions
        Suggested action per RFM class key.

    Returns
    -------
    pd.DataFrame
        One row per customer of ``segments`` in its order, columns :data:`GRADING_COLUMNS`.

    Raises
    ------
    DataValidationError
        When a part lacks one of its columns.
    """
    for name, frame in (("segments", segments), ("gradings", gradings), ("clv", clv), ("scorecard", scorecard)):
        require_columns(frame, _PARTS[name], name)
    idx = segments.index
    table = pd.DataFrame(index=idx)
    if customers is not None:
        base = customers.set_index("customer_id")
        for col in ("customer_name", "industry", "region"):
            if col in base:
                table[col] = base[col].reindex(idx)
    table = table.join(segments[_PARTS["segments"]])
    table = table.join(gradings[_PARTS["gradings"]])
    table["gross_profit"] = indicators["gross_profit"].reindex(idx)
    table = table.join(clv[_PARTS["clv"]].reindex(idx))
    table["value_matrix"] = value_matrix.reindex(idx)
    table = table.join(scorecard[_PARTS["scorecard"]].reindex(idx))
    table["suggested_action"] = table["rfm_class"].map(dict(actions))
    out = table.rename_axis("customer_id").reset_index()
    return out.reindex(columns=GRADING_COLUMNS)
