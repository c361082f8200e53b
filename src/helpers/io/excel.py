"""The one Excel writer of the project's workbooks for people.

Two layers, both used by every workbook the project writes:

- :class:`Cells` writes single values into an ``xlsxwriter`` workbook opened by
  :func:`open_workbook`: numbers as numbers, dates as dates, and **text always
  as text**. Text that a spreadsheet would run as a formula once someone edits
  the cell (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return: OWASP's list for CSV/formula injection) is stored with Excel's
  quote prefix, the in-file form of the leading ``'`` OWASP recommends: the
  cell shows the text exactly as it is and stays text when edited.
- A :class:`Workbook` is data (sheets of tables, with headers and number
  formats); :meth:`Workbook.write` lays it out: bold wrapped headers, frozen
  header row and first column, filters, column widths from the content. Its
  first sheet is the notes sheet, "About (说明)": what the workbook is (report,
  period, data …) and what each of the other sheets holds, from their
  descriptions, so every workbook explains itself the same way.

Workbooks have fixed document properties (the same inputs give a
byte-identical file) and are written atomically (a killed run never leaves a
half-written workbook).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from helpers.core.labels import LABELS
from helpers.io.files import atomic_path

__all__ = [
    "Cells",
    "FORMULA_STARTS",
    "LEVEL",
    "MONEY",
    "PERCENT",
    "Sheet",
    "Workbook",
    "WORKBOOK_OPTIONS",
    "notes_sheet",
    "open_workbook",
]

#: Number formats. A scorecard level (1-4) is a whole number, never a share: LEVEL, not PERCENT.
PERCENT, MONEY, INTEGER, LEVEL = "0.0%", "#,##0.00", "#,##0", "0"
DATE, DATETIME = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
#: xlsxwriter options: text stays text (no formulas, URLs or numbers made of strings).
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CREATED = dt.datetime(2000, 1, 1)
#: A column name as code writes it (``rfm_class``, ``score``): never a header a reader sees.
RAW_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
_MAX_WIDTH, _MIN_WIDTH = 48, 12


def open_workbook(path: Path, *, created: dt.datetime = CREATED, **properties: str) -> xlsxwriter.Workbook:
    """An ``xlsxwriter`` workbook with text-stays-text options and fixed document properties.

    ``properties`` (title, author …) go to the file's properties; the creation
    date is fixed (else xlsxwriter writes the current time), so identical
    inputs give identical bytes. Close the workbook to write the file.
    """
    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    book.set_properties({"author": "customer-grading", **properties, "created": created})
    return book


class Cells:
    """Writes values into one workbook's sheets, each as its type, text never as a formula.

    Formats are given as property dicts (``{"bold": True}``) and made once per
    workbook; a date gets ``yyyy-mm-dd`` (or with the time when it has one)
    unless the properties carry a ``num_format``.
    """

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self._formats: dict[tuple[tuple[str, object], ...], Format] = {}

    def format(self, props: Mapping[str, object] | None) -> Format | None:
        """The workbook's format for ``props`` (None for no properties)."""
        if not props:
            return None
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(dict(props))
        return self._formats[key]

    def write(
        self, ws: Worksheet, row: int, col: int, value: object, props: Mapping[str, object] | None = None
    ) -> None:
        """Write ``value`` at (``row``, ``col``); a missing value leaves the cell blank (with its format)."""
        props = dict(props or {})
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            if props:
                ws.write_blank(row, col, None, self.format(props))
        elif isinstance(value, str):
            if value.startswith(FORMULA_STARTS):
                props["quote_prefix"] = True
            ws.write_string(row, col, value, self.format(props))
        elif isinstance(value, (bool, np.bool_)):
            ws.write_boolean(row, col, bool(value), self.format(props))
        elif isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
            stamp = pd.Timestamp(value)
            props.setdefault("num_format", DATE if stamp == stamp.normalize() else DATETIME)
            ws.write_datetime(row, col, stamp.tz_localize(None).to_pydatetime(), self.format(props))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            number = float(value)
            if math.isfinite(number):
                ws.write_number(row, col, number, self.format(props))
            else:  # Excel has no infinity: say it in words rather than leave the cell blank
                ws.write_string(row, col, "inf" if number > 0 else "-inf", self.format(props))
        else:
            self.write(ws, row, col, str(value), props)

    def write_row(
        self, ws: Worksheet, row: int, col: int, values: Iterable[object], props: Mapping[str, object] | None = None
    ) -> None:
        """Write ``values`` across from (``row``, ``col``)."""
        for j, value in enumerate(values):
            self.write(ws, row, col + j, value, props)

    def write_column(
        self, ws: Worksheet, row: int, col: int, values: Iterable[object], props: Mapping[str, object] | None = None
    ) -> None:
        """Write ``values`` down from (``row``, ``col``)."""
        for i, value in enumerate(values):
            self.write(ws, row + i, col, value, props)


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
        Column -> header. A column not listed keeps its name, which must then be words already
        (a column named like code, ``rfm_class``, without a header is an error).
    percent
        Columns shown as percentages (values are shares, 0.25 = 25%).
    formats
        Other column -> Excel number format; float columns default to ``#,##0.00``.
    width
        Column -> fixed width, for columns that should not follow their content.
    fills
        Column -> {cell text: background colour}: a class or tier coloured as the report colours it (kept by
        sorting and filtering, as a conditional format).
    description
        What the sheet holds, in a sentence: listed on the workbook's notes sheet.
    """

    name: str
    frame: pd.DataFrame
    headers: Mapping[str, str] = field(default_factory=dict)
    percent: Sequence[str] = ()
    formats: Mapping[str, str] = field(default_factory=dict)
    width: Mapping[str, int] = field(default_factory=dict)
    fills: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        raw = [str(c) for c in self.frame.columns if c not in self.headers and RAW_NAME.fullmatch(str(c))]
        if raw:
            raise ValueError(f"sheet {self.name}: no header for the columns {raw} (add labels for them)")

    def header(self, column: str) -> str:
        """The header people read above ``column``."""
        return str(self.headers.get(column, column))

    def number_format(self, column: str) -> str | None:
        if column in self.percent:
            return PERCENT
        if column in self.formats:
            return self.formats[column]
        return MONEY if pd.api.types.is_float_dtype(self.frame[column]) else None


@dataclass(frozen=True)
class Workbook:
    """A workbook of :class:`Sheet` s, written by :meth:`write`.

    Attributes
    ----------
    sheets
        The tables, in order.
    about
        Item -> value saying what the workbook is (report, period, data …): the top of the notes sheet.
        With neither ``about`` nor any sheet description, no notes sheet is written.
    """

    sheets: Sequence[Sheet]
    about: Mapping[str, object] = field(default_factory=dict)

    def all_sheets(self) -> list[Sheet]:
        """The sheets as written: the notes sheet first (when there is something to say), then the tables."""
        if not self.about and not any(sheet.description for sheet in self.sheets):
            return list(self.sheets)
        return [notes_sheet(self.about, self.sheets), *self.sheets]

    def write(self, path: Path) -> Path:
        """Write the workbook to ``path`` (atomically; the folder is created)."""
        with atomic_path(path) as tmp:
            book = open_workbook(tmp)
            cells = Cells(book)
            for sheet in self.all_sheets():
                _write_sheet(cells, sheet)
            book.close()
        return Path(path)


def notes_sheet(about: Mapping[str, object], sheets: Sequence[Sheet]) -> Sheet:
    """The notes sheet, "About (说明)": the workbook's ``about`` items, then each sheet's name and description.

    Parameters
    ----------
    about
        Item -> value: what the workbook is.
    sheets
        The other sheets of the workbook, in order.
    """
    n = lambda key: LABELS.text("workbook_notes", key)
    rows = [*about.items(), (n("sheets"), n("sheets_text")), *((s.name, s.description) for s in sheets)]
    frame = pd.DataFrame(rows, columns=["item", "value"])
    return Sheet(n("sheet"), frame, headers=LABELS.headers(["item", "value"]), width={"value": 100})


_HEADER = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}


def _write_sheet(cells: Cells, sheet: Sheet) -> None:
    frame = sheet.frame.reset_index(drop=True)
    ws = cells.book.add_worksheet(sheet.name)
    headers = [sheet.header(c) for c in frame.columns]
    cells.write_row(ws, 0, 0, headers, _HEADER)
    for i, column in enumerate(frame.columns):
        fmt = sheet.number_format(column)
        props = {"num_format": fmt} if fmt else None
        values = frame[column]
        if column in sheet.width:
            width = sheet.width[column]
        else:
            lengths = values.map(lambda v: len(str(v)) if pd.notna(v) else 0)
            width = min(max(_MIN_WIDTH, int(lengths.quantile(0.9)) + 2 if len(frame) else _MIN_WIDTH), _MAX_WIDTH)
        ws.set_column(i, i, width, cells.format(props))
        cells.write_column(ws, 1, i, values.astype(object).tolist(), props)
    for column, colours in sheet.fills.items():
        if column not in frame or not len(frame):
            continue
        i = list(frame.columns).index(column)
        for text, colour in colours.items():
            quoted = '"' + str(text).replace('"', '""') + '"'  # an Excel string literal
            ws.conditional_format(
                1,
                i,
                len(frame),
                i,
                {"type": "cell", "criteria": "==", "value": quoted, "format": cells.format({"bg_color": colour})},
            )
    ws.set_row(0, 48)
    ws.freeze_panes(1, 1)
    if len(frame):
        ws.autofilter(0, 0, len(frame), len(frame.columns) - 1)
