"""The one Excel writer of the project's workbooks for people.

A :class:`Workbook` is data (sheets of tables, with headers and number formats);
:meth:`Workbook.write` turns it into an ``.xlsx`` file: bold wrapped headers,
frozen header row and first column, filters, column widths from the content,
fixed document properties (the same inputs give a byte-identical file), text
always stored as text (a value starting with ``=`` is never a formula), and an
atomic write (a killed run never leaves a half-written workbook).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.io.files import atomic_path

__all__ = ["MONEY", "PERCENT", "Sheet", "Workbook", "WORKBOOK_OPTIONS"]

#: Number formats.
PERCENT, MONEY, INTEGER = "0.0%", "#,##0.00", "#,##0"
#: xlsxwriter options: text stays text (no formulas, URLs or numbers made of strings).
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
_CREATED = pd.Timestamp("2000-01-01").to_pydatetime()
_MAX_WIDTH, _MIN_WIDTH = 48, 12


@dataclass(frozen=True)
class Sheet:
    """One sheet: a table, the headers people read, and the number formats.

    Attributes
    ----------
    name
        Sheet name (at most 31 characters).
    frame
        The data; its index is not written (put keys in columns).
    headers
        Column -> header; columns not listed keep their name.
    percent
        Columns shown as percentages (values are shares, 0.25 = 25%).
    formats
        Other column -> Excel number format; float columns default to ``#,##0.00``.
    width
        Column -> fixed width, for columns that should not follow their content.
    """

    name: str
    frame: pd.DataFrame
    headers: Mapping[str, str] = field(default_factory=dict)
    percent: Sequence[str] = ()
    formats: Mapping[str, str] = field(default_factory=dict)
    width: Mapping[str, int] = field(default_factory=dict)

    def number_format(self, column: str) -> str | None:
        if column in self.percent:
            return PERCENT
        if column in self.formats:
            return self.formats[column]
        return MONEY if pd.api.types.is_float_dtype(self.frame[column]) else None


@dataclass(frozen=True)
class Workbook:
    """A workbook of :class:`Sheet` s, written by :meth:`write`."""

    sheets: Sequence[Sheet]

    def write(self, path: Path) -> Path:
        """Write the workbook to ``path`` (atomically; the folder is created)."""
        options = {"options": WORKBOOK_OPTIONS}
        with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs=options) as writer:
            writer.book.set_properties({"created": _CREATED, "author": "customer-grading"})
            for sheet in self.sheets:
                _write_sheet(writer, sheet)
        return Path(path)


def _write_sheet(writer: pd.ExcelWriter, sheet: Sheet) -> None:
    frame = sheet.frame.reset_index(drop=True)
    headers = [str(sheet.headers.get(c, c)) for c in frame.columns]
    frame.set_axis(headers, axis=1).to_excel(writer, sheet_name=sheet.name, index=False)
    book, ws = writer.book, writer.sheets[sheet.name]
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1})
    formats: dict[str, object] = {}
    for i, column in enumerate(frame.columns):
        ws.write(0, i, headers[i], head)
        fmt = sheet.number_format(column)
        if fmt is not None and fmt not in formats:
            formats[fmt] = book.add_format({"num_format": fmt})
        if column in sheet.width:
            width = sheet.width[column]
        else:
            lengths = frame[column].map(lambda v: len(str(v)) if pd.notna(v) else 0)
            width = min(max(_MIN_WIDTH, int(lengths.quantile(0.9)) + 2 if len(frame) else _MIN_WIDTH), _MAX_WIDTH)
        ws.set_column(i, i, width, formats.get(fmt) if fmt else None)
    ws.set_row(0, 48)
    ws.freeze_panes(1, 1)
    if len(frame):
        ws.autofilter(0, 0, len(frame), len(frame.columns) - 1)
