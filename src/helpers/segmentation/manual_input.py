"""The consultant's manual input sheet of the scorecard (an Excel workbook per period).

Factors the data cannot measure (importance of our product, industry standing,
share of wallet …) are assessed by the consultant. :func:`write_manual_template`
writes a workbook with one row per customer and one input column per manual
factor; :func:`read_manual_input` reads it back with strict validation, so a
typo names the file, column, row and value instead of silently becoming a level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import DataValidationError
from helpers.core.mapping import IdRules
from helpers.io.excel import Cells, open_workbook
from helpers.io.files import atomic_path
from helpers.io.ids import normalise_id_values
from helpers.io.parsing import parse_id, parse_int
from helpers.segmentation.settings import LEVELS, Factor, Scorecard

__all__ = [
    "ID_HEADER",
    "INPUT_SHEET",
    "INSTRUCTIONS_SHEET",
    "factor_header",
    "find_manual_input",
    "manual_file_name",
    "ManualTemplate",
    "read_manual_input",
    "write_manual_template",
]

#: Sheet with the instructions and level descriptions.
INSTRUCTIONS_SHEET = "说明 Instructions"
#: Sheet the consultant fills in.
INPUT_SHEET = "手工评分 Manual input"
#: Header of the customer id column; columns are recognised by the ``[key]`` at the end of the header.
ID_HEADER = "客户编号 Customer ID [customer_id]"

_KEY = re.compile(r"\[([^\[\]]+)\](?:\.\d+)?\s*$")  # "[key]" at the end; ".1" is pandas' mark of a repeated header
_INPUT_FILL = "#FFF2CC"
_CONTEXT_FILL = "#EDEDED"
_HEADER_FILL = "#D9E1F2"
_HEAD = {"bold": True, "bg_color": _HEADER_FILL, "border": 1, "text_wrap": True, "valign": "top"}


def manual_file_name(period_label: str) -> str:
    """``scorecard_<period>.xlsx``: the name the stage looks for."""
    return f"scorecard_{period_label}.xlsx"


def factor_header(factor: Factor) -> str:
    """Header of a manual factor's input column: ``<number> <name_zh> <name_en> [key]``."""
    return f"{factor.number} {factor.name_zh} {factor.name_en} [{factor.key}]"


def _manual_factors(scorecard: Scorecard) -> list[Factor]:
    return [f for f in scorecard.factors if f.source == "manual"]


# --------------------------------------------------------------------------- writing
def _instructions(cells: Cells, scorecard: Scorecard, period_label: str) -> None:
    ws = cells.book.add_worksheet(INSTRUCTIONS_SHEET)
    bold, box = {"bold": True}, {"border": 1, "text_wrap": True, "valign": "top"}
    ws.set_column(0, 0, 8)
    ws.set_column(1, 3, 22)
    ws.set_column(4, 4, 8)
    ws.set_column(5, 8, 26)
    title = f"客户分级评分卡 · 手工评分表 — Scorecard manual input, period {period_label}"
    cells.write(ws, 0, 0, title, {**bold, "font_size": 14})
    steps = [
        "1. 在「手工评分 Manual input」表中，为每位客户的每个手工因子填写 1–4 的整数（4 = 最好）。"
        "Enter a whole number 1–4 for every customer and manual factor in the sheet 'Manual input' (4 = best).",
        "2. 不了解的因子请留空：留空 = 未评估，该因子不计入该客户的得分，其余因子重新加权。"
        "Leave a cell blank when you cannot assess it: blank = not assessed; the factor then drops out of "
        "that customer's score and the other factors are re-weighted.",
        "3. 灰色列仅供参考，读取时忽略。请勿修改客户编号和列标题末尾的 [key]；列可以调整顺序，行可以排序或删除。"
        "Grey columns are context only and ignored when the sheet is read. Do not change the customer ids or "
        "the [key] at the end of a header; columns may be reordered, rows sorted or deleted.",
        f"4. 保存为 data/manual/{manual_file_name(period_label)}，然后重新运行评分阶段。"
        f"Save as data/manual/{manual_file_name(period_label)} and re-run the grading stage.",
    ]
    for i, text in enumerate(steps):
        ws.merge_range(2 + i, 0, 2 + i, 8, "", cells.format({"text_wrap": True, "valign": "top"}))
        cells.write(ws, 2 + i, 0, text, {"text_wrap": True, "valign": "top"})
        ws.set_row(2 + i, 45)
    row = 3 + len(steps)
    cells.write(ws, row, 0, "手工因子及等级含义 Manual factors and what each level means", bold)
    headers = [
        "编号 No.",
        "因子 Factor",
        "Factor",
        "键 Key",
        "权重 Weight",
        "4 (最好 best)",
        "3",
        "2",
        "1 (最差 worst)",
    ]
    cells.write_row(ws, row + 1, 0, headers, _HEAD)
    for j, f in enumerate(_manual_factors(scorecard)):
        levels = [f.levels[k] for k in sorted(LEVELS, reverse=True)]
        cells.write_row(ws, row + 2 + j, 0, [f.number, f.name_zh, f.name_en, f.key, f.weight, *levels], box)
    row = row + 3 + len(_manual_factors(scorecard))
    data = [f for f in scorecard.factors if f.source == "data"]
    if data:
        cells.write(ws, row, 0, "由数据计算的因子（无需填写）Factors computed from the data (nothing to enter)", bold)
        cells.write_row(ws, row + 1, 0, ["编号 No.", "因子 Factor", "Factor", "键 Key", "权重 Weight"], _HEAD)
        for j, f in enumerate(data):
            cells.write_row(ws, row + 2 + j, 0, [f.number, f.name_zh, f.name_en, f.key, f.weight], box)


def _ids(index: pd.Index) -> pd.Index:
    """Customer ids as the project writes them (``17850.0`` -> ``"17850"``)."""
    parsed, _ = parse_id(pd.Series(index, dtype=object))
    return pd.Index(parsed.to_numpy(dtype=object), name="customer_id")


def _context(customers: pd.DataFrame, context_columns: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    """Column -> header of the context columns to write."""
    if context_columns is None:
        chosen = {str(c): str(c) for c in customers.columns}
    elif isinstance(context_columns, Mapping):
        chosen = {str(c): str(h) for c, h in context_columns.items()}
    else:
        chosen = {str(c): str(c) for c in context_columns}
    absent = [c for c in chosen if c not in customers.columns]
    if absent:
        raise ValueError(f"context column(s) not in customers: {', '.join(absent)}")
    clashing = [h for h in chosen.values() if _KEY.search(h)]
    if clashing:
        raise ValueError(f"context headers must not end in '[...]' (reserved for input columns): {clashing}")
    return chosen


def write_manual_template(
    path: Path,
    customers: pd.DataFrame,
    scorecard: Scorecard,
    *,
    period_label: str,
    existing: pd.DataFrame | None = None,
    context_columns: Mapping[str, str] | Sequence[str] | None = None,
) -> Path:
    """Write the consultant's input workbook for one period.

    Parameters
    ----------
    path
        The ``.xlsx`` to write (its folder is created).
    customers
        One row per customer to assess, index ``customer_id`` (unique), in the
        order the rows should appear (e.g. by sales, largest first). Its columns
        are written as grey read-only context (name, RFM class, last year's
        sales …), numbers, dates and text as they are.
    scorecard
        The validated scorecard: one input column per manual factor.
    period_label
        The period (``2025Q4``), shown in the instructions.
    existing
        Levels to pre-fill (index ``customer_id``, columns manual factor keys),
        e.g. the sheet read back or last period's assessments. Rows for
        customers not in ``customers`` are left out: the sheet lists exactly
        ``customers``.
    context_columns
        Which columns of ``customers`` to write: a list, or a mapping
        column -> header (for bilingual headers). None: every column, headed by its name.

    Returns
    -------
    Path
        ``path``. Identical inputs give a byte-identical file (fixed workbook properties).

    Raises
    ------
    ValueError
        Duplicate customer ids, a context column not in ``customers`` or a
        context header ending in ``[...]`` (reserved for input columns).
    """
    path = Path(path)
    ids = _ids(customers.index)
    if ids.has_duplicates:
        raise ValueError(f"customer ids must be unique, repeated: {sorted(set(ids[ids.duplicated()]))[:5]}")
    context = _context(customers, context_columns)
    factors = _manual_factors(scorecard)
    prefill = pd.DataFrame(index=ids)
    if existing is not None:
        prefill = existing.set_axis(_ids(existing.index)).reindex(ids)
    path.parent.mkdir(parents=True, exist_ok=True)

    book = open_workbook(path, title=f"Scorecard manual input {period_label}")
    cells = Cells(book)
    _instructions(cells, scorecard, period_label)
    ws = book.add_worksheet(INPUT_SHEET)
    ws.activate()  # the workbook opens on the input sheet: it is what the consultant opens the file for
    context_cell = {"bg_color": _CONTEXT_FILL}
    input_cell = {"bg_color": _INPUT_FILL, "align": "center", "border": 1, "border_color": "#BFBFBF"}

    headers = [ID_HEADER, *context.values(), *(factor_header(f) for f in factors)]
    cells.write_row(ws, 0, 0, headers, _HEAD)
    ws.set_row(0, 60)
    cells.write_column(ws, 1, 0, ids.tolist(), {**context_cell, "bold": True})
    ws.set_column(0, 0, 14)
    for j, (column, header) in enumerate(context.items(), start=1):
        values = customers[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        props = {**context_cell, "num_format": "#,##0.##"} if numeric else context_cell
        cells.write_column(ws, 1, j, values.astype(object).tolist(), props)
        ws.set_column(j, j, 28 if column == "customer_name" else max(10, min(24, len(header) + 2)))
    first_input = 1 + len(context)
    n = len(ids)
    for j, f in enumerate(factors, start=first_input):
        values = prefill[f.key] if f.key in prefill.columns else pd.Series(pd.NA, index=ids)
        cells.write_column(ws, 1, j, values.astype(object).tolist(), input_cell)
        ws.set_column(j, j, 20)
        if n:
            meaning = "; ".join(f"{k} = {f.levels[k]}" for k in sorted(LEVELS, reverse=True))
            ws.data_validation(
                1,
                j,
                n,
                j,
                {
                    "validate": "integer",
                    "criteria": "between",
                    "minimum": 1,
                    "maximum": 4,
                    "ignore_blank": True,
                    "input_title": f"{f.number} {f.name_zh}"[:32],
                    "input_message": f"1-4 or blank. {meaning}"[:255],
                    "error_title": "1-4 only",
                    "error_message": "请填写 1–4 的整数或留空。Enter a whole number 1-4, or leave blank.",
                },
            )
    ws.freeze_panes(1, 2 if next(iter(context), None) == "customer_name" else 1)  # keep id (and name) in view
    ws.autofilter(0, 0, max(n, 1), len(headers) - 1)
    book.close()
    return path


@dataclass(frozen=True)
class ManualTemplate:
    """The manual input sheet of one period, as data: written by :meth:`write` (a stage output)."""

    customers: pd.DataFrame
    scorecard: Scorecard
    period_label: str
    existing: pd.DataFrame | None = None
    context_columns: Mapping[str, str] | None = None

    def write(self, path: Path) -> Path:
        """Write the template to ``path`` atomically (see :func:`write_manual_template`)."""
        with atomic_path(path) as tmp:
            write_manual_template(
                tmp,
                self.customers,
                self.scorecard,
                period_label=self.period_label,
                existing=self.existing,
                context_columns=self.context_columns,
            )
        return Path(path)


# --------------------------------------------------------------------------- reading
def _column_key(header: object) -> str | None:
    """The ``[key]`` a header ends with (a bare ``customer_id`` header counts too); None for context columns."""
    text = str(header).strip()
    match = _KEY.search(text)
    if match:
        return match.group(1).strip()
    return "customer_id" if text == "customer_id" else None


def read_manual_input(
    path: Path, scorecard: Scorecard, known_customers: pd.Index, id_rules: IdRules | None = None
) -> pd.DataFrame:
    """Read the consultant's levels, refusing anything that is not a clear level 1-4.

    Columns are found by the ``[key]`` at the end of their header, so they may
    be reordered; columns without one (context) are ignored. A blank cell is
    "not assessed"; a row without a customer id and without levels is skipped.

    Parameters
    ----------
    path
        The filled-in workbook (sheet :data:`INPUT_SHEET`).
    scorecard
        The validated scorecard (which factors are manual).
    known_customers
        Customer ids of the grading table: every id in the sheet must be one.
    id_rules
        How the data's ids were written (the mapping's ``ids:``, recorded by stage 01): the
        sheet's ids are written the same way, so a typed ``c001`` finds ``C001`` when the
        mapping says case does not matter.

    Returns
    -------
    pd.DataFrame
        Index ``customer_id`` (the ids as in ``known_customers``; Excel numbers
        such as ``17850.0`` read as ``17850``), in sheet order; one ``Int64``
        column per manual factor key, in config order (NA = not assessed; all NA
        for a factor without a column). ``attrs``: ``file``, ``absent_factors``
        (manual factor keys with no column in the sheet).

    Raises
    ------
    DataValidationError
        Missing file or sheet, no customer id column, an unknown or repeated
        ``[key]`` column, an unknown or duplicate customer id, a row with levels
        but no id, or a level that is not a whole number 1-4 — naming the file,
        column, Excel row and value.
    """
    path = Path(path)
    where = f"{path.name}#{INPUT_SHEET}"
    if not path.is_file():
        raise DataValidationError("the manual input workbook does not exist", file=str(path))
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:
        raise DataValidationError(f"cannot read the manual input workbook: {exc}", file=str(path)) from None
    with book:
        if INPUT_SHEET not in book.sheet_names:
            raise DataValidationError(
                f"the workbook has no sheet {INPUT_SHEET!r} (it has {', '.join(map(repr, book.sheet_names))})",
                file=path.name,
            )
        raw = pd.read_excel(book, sheet_name=INPUT_SHEET, dtype=object)

    manual = {f.key: f for f in _manual_factors(scorecard)}
    data_keys = {f.key for f in scorecard.factors if f.source == "data"}
    id_col: str | None = None
    columns: dict[str, str] = {}  # factor key -> header
    for header in raw.columns:
        key = _column_key(header)
        if key is None:
            continue
        if key == "customer_id":
            if id_col is not None:
                raise DataValidationError("the customer id column appears twice", file=where, column=str(header))
            id_col = header
        elif key in manual:
            if key in columns:
                raise DataValidationError(f"the column of factor {key!r} appears twice", file=where, column=str(header))
            columns[key] = header
        elif key in data_keys:
            raise DataValidationError(
                f"factor {key!r} is computed from the data and cannot be entered by hand",
                file=where,
                column=str(header),
            )
        else:
            raise DataValidationError(
                f"unknown factor column [{key}]; the manual factors are {', '.join(manual)}",
                file=where,
                column=str(header),
            )
    if id_col is None:
        raise DataValidationError(
            f"no customer id column (a header ending in [customer_id], e.g. {ID_HEADER!r})",
            file=where,
        )

    excel_row = pd.Series(np.arange(len(raw)) + 2, index=raw.index)  # header = row 1
    ids = normalise_id_values(parse_id(raw[id_col])[0], id_rules or IdRules())
    levels: dict[str, pd.Series] = {}
    for key, header in columns.items():
        parsed, invalid = parse_int(raw[header])
        # a TRUE/FALSE cell is not a level (and would hash equal to 1/0 when parsed)
        boolean = raw[header].map(lambda v: isinstance(v, (bool, np.bool_))).astype(bool)
        invalid = invalid | boolean | (parsed.notna() & ~parsed.isin(LEVELS)).fillna(False).astype(bool)
        if invalid.any():
            first = invalid.to_numpy().nonzero()[0][0]
            raise DataValidationError(
                "a level must be a whole number 1-4 (or blank = not assessed)",
                file=where,
                column=str(header),
                row=int(excel_row.iloc[first]),
                value=raw[header].iloc[first],
            )
        levels[key] = parsed.astype("Int64")

    has_level = pd.DataFrame(levels, index=raw.index).notna().any(axis=1).reindex(raw.index, fill_value=False)
    orphan = ids.isna() & has_level
    if orphan.any():
        first = orphan.to_numpy().nonzero()[0][0]
        raise DataValidationError(
            "a row has levels but no customer id", file=where, column=str(id_col), row=int(excel_row.iloc[first])
        )
    keep = ids.notna().to_numpy()
    ids, excel_row = ids[keep], excel_row[keep]
    repeated = ids.duplicated(keep="first")
    if repeated.any():
        dup = ids[repeated].iloc[0]
        rows = excel_row[ids == dup].tolist()
        raise DataValidationError(
            f"customer id appears more than once (rows {', '.join(map(str, rows))})",
            file=where,
            column=str(id_col),
            row=int(rows[1]),
            value=dup,
        )
    position = known_customers.astype(str).get_indexer(ids.astype(str))
    unknown = position < 0
    if unknown.any():
        first = unknown.nonzero()[0][0]
        raise DataValidationError(
            f"customer id not among the customers of this period ({int(unknown.sum())} unknown id(s) in the sheet)",
            file=where,
            column=str(id_col),
            row=int(excel_row.iloc[first]),
            value=ids.iloc[first],
        )
    index = known_customers[position]
    index.name = "customer_id"
    blank = pd.array([pd.NA] * len(index), dtype="Int64")
    out = pd.DataFrame({key: levels[key].array[keep] if key in levels else blank for key in manual}, index=index)
    out.attrs.update(file=str(path), absent_factors=[k for k in manual if k not in columns])
    return out


def find_manual_input(project_root: Path, data: str | Path | None, period_label: str) -> Path | None:
    """The manual input workbook of a period, if there is one.

    Looks first in the project (``<project_root>/data/manual/scorecard_<period>.xlsx``,
    where the consultant saves it), then beside the dataset
    (``<data>/manual/scorecard_<period>.xlsx`` when ``data`` is a folder: a
    dataset can ship its consultant inputs, as the sample does).

    Parameters
    ----------
    project_root
        The project folder.
    data
        The dataset (folder or file) of the run; a relative path is taken relative to the working
        folder, as the loaders take it.
    period_label
        The period (``2025Q4``).

    Returns
    -------
    Path or None
        The first candidate that exists, or None.
    """
    root = Path(project_root)
    name = manual_file_name(period_label)
    candidates = [root / "data" / "manual" / name]
    if data:
        folder = Path(data).expanduser().resolve()
        if folder.is_dir():
            candidates.append(folder / "manual" / name)
    return next((p for p in candidates if p.is_file()), None)
