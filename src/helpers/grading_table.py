"""The grading table (客户分级管理分析表): one row per graded customer, every label side by side.

Stage 03 joins the RFM class, the other gradings, the CLV model's figures, the
value matrix and the scorecard into this table. Later stages read it as
``grading.parquet`` (keys, not labels); consultants get it as an Excel workbook
with bilingual labels, the summaries and the model figures (:func:`write_workbook`).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from helpers.validation import require_columns

#: Columns of the grading table, in order, with what each holds.
GRADING_COLUMNS: dict[str, str] = {
    "customer_id": "Customer id (客户编号)",
    "customer_name": "Customer name (客户名称)",
    "industry": "Industry (行业)",
    "region": "Region (区域)",
    "rfm_class": "RFM class (RFM分层)",
    "rfm_code": "RFM scores R, F, M (RFM评分, higher = better)",
    "r_score": "R score",
    "f_score": "F score",
    "m_score": "M score",
    "rfm_class_source": "How the class was set: the cut, or an override rule (分层依据)",
    "rfm_flags": "Flags such as churn risk (标记)",
    "value_tier": "Value tier (价值等级)",
    "behaviour_state": "Behaviour state (行为状态)",
    "needs_type": "Needs type (需求类型)",
    "satisfaction_class": "Satisfaction (满意度)",
    "recency_days": "Days since last order, R (最近消费间隔)",
    "frequency": "Orders in the look-back window, F (购买频次)",
    "monetary": "Net spend in the look-back window, M (消费金额)",
    "gross_profit": "Profit contribution in the look-back window (利润贡献)",
    "expected_purchases": "Expected purchases over the CLV horizon (预计购买次数)",
    "p_alive": "Probability alive (存活概率)",
    "expected_spend": "Expected spend per purchase (预计客单价)",
    "projected_sales": "Projected sales over the CLV horizon (预计销售额)",
    "clv": "CLV, discounted (客户生命周期价值)",
    "value_matrix": "Value matrix CLV x profit (价值矩阵)",
    "score": "Scorecard score 0-100 (综合评分)",
    "scorecard_class": "Scorecard class (客户等级)",
    "score_tier": "Pyramid tier by score (金字塔层级)",
    "coverage": "Share of the scorecard weight available (评分覆盖率)",
    "provisional": "Grade rests on too few factors (暂定)",
    "factors_missing": "Scorecard factors not available (缺失因子)",
    "suggested_action": "Suggested action (建议行动)",
}

# Parts of the table and the columns each must bring.
_PARTS: dict[str, list[str]] = {
    "segments": ["rfm_class", "rfm_code", "r_score", "f_score", "m_score", "rfm_class_source", "rfm_flags",
                 "recency_days", "frequency", "monetary"],
    "gradings": ["value_tier", "behaviour_state", "needs_type", "satisfaction_class"],
    "clv": ["expected_purchases", "p_alive", "expected_spend", "projected_sales", "clv"],
    "scorecard": ["score", "scorecard_class", "score_tier", "coverage", "provisional", "factors_missing"],
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
        :func:`helpers.rfm.rfm_segments` (index customer_id): the graded customers.
    gradings
        Columns ``value_tier``, ``behaviour_state``, ``needs_type``, ``satisfaction_class`` (index customer_id).
    clv
        :func:`helpers.clv.predict_clv` (index customer_id); customers missing from it get NaN.
    value_matrix
        Value-matrix class per customer.
    scorecard
        Scores and classes (index customer_id).
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
    return out.reindex(columns=list(GRADING_COLUMNS))


def labelled(table: pd.DataFrame, labels: Mapping[str, Mapping[str, tuple[str, str]]]) -> pd.DataFrame:
    """The table with class keys replaced by "中文 English" labels, for people.

    Parameters
    ----------
    table
        The grading table (or any frame with class-key columns).
    labels
        Column -> key -> (Chinese, English).

    Returns
    -------
    pd.DataFrame
        A copy; columns without labels are unchanged, unknown keys stay as they are.
    """
    out = table.copy()
    for column, mapping in labels.items():
        if column in out:
            text = {key: f"{zh} {en}" for key, (zh, en) in mapping.items()}
            out[column] = out[column].map(lambda v, t=text: t.get(v, v) if pd.notna(v) else v)
    return out


def _write_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, headers: Mapping[str, str],
                 number_formats: Mapping[str, str]) -> None:
    frame = frame.rename(columns={c: headers.get(c, c) for c in frame.columns})
    frame.to_excel(writer, sheet_name=name, index=False)
    book, sheet = writer.book, writer.sheets[name]
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1})
    formats = {fmt: book.add_format({"num_format": fmt}) for fmt in set(number_formats.values())}
    for i, column in enumerate(frame.columns):
        sheet.write(0, i, column, head)
        source = next((k for k, v in headers.items() if v == column), column)
        lengths = frame[column].map(lambda v: len(str(v)) if pd.notna(v) else 0)
        width = min(max(12, int(lengths.quantile(0.9)) + 2 if len(frame) else 12), 48)
        sheet.set_column(i, i, width, formats.get(number_formats.get(source, "")))
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, 1)
    if len(frame):
        sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)


def write_workbook(path: Path, sheets: Mapping[str, tuple[pd.DataFrame, Mapping[str, str]]],
                   about: Mapping[str, str]) -> Path:
    """Write the consultant's workbook: an "about" sheet, then one formatted sheet per table.

    Parameters
    ----------
    path
        The ``.xlsx`` to write (its folder is created).
    sheets
        Sheet name -> (table, column headers); columns whose name contains ``share``,
        ``rate``, ``p_alive`` or ``coverage`` are formatted as percent, money-like
        columns with thousands separators.
    about
        Key -> value lines of the first sheet (period, data, settings used …).

    Returns
    -------
    Path
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        # Fixed document properties: the same inputs give the same workbook.
        writer.book.set_properties({"created": pd.Timestamp("2000-01-01").to_pydatetime(), "author": "customer-grading"})
        about_frame = pd.DataFrame({"item": list(about), "value": list(about.values())})
        _write_sheet(writer, "说明 About", about_frame, {"item": "项目 Item", "value": "内容 Value"}, {})
        writer.sheets["说明 About"].set_column(1, 1, 100)
        for name, (frame, headers) in sheets.items():
            formats = {}
            for column in frame.columns:
                if any(k in column for k in ("share", "rate", "p_alive", "coverage")):
                    formats[column] = "0.0%"
                elif pd.api.types.is_float_dtype(frame[column]):
                    formats[column] = "#,##0.00"
            _write_sheet(writer, name, frame, headers, formats)
    return path
