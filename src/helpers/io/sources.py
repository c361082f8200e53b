"""Read one client file into raw parts: a CSV or text file, each sheet of a workbook, a Parquet file.

Data contract
-------------
:func:`read_file` returns one :class:`Part` per file, or per workbook sheet:
the raw frame (every value as read, headers as typed), and the row number a
user sees for its first data row, so any later message can point at the cell.
A part that holds no rows of the table (a notes sheet, a hidden sheet) comes
back with ``frame=None`` and the reason, to be listed, never dropped silently.

Workbooks are read as clients make them: the header may sit below title rows
and merged group headings (the first row holding the mapped headers is the
header); hidden sheets are skipped unless the mapping reads them
(``read: {hidden_sheets: true}``); a formula cell without a saved value, and
a password-protected file, are errors that say so.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import python_calamine

from helpers.core.errors import DataValidationError
from helpers.core.mapping import TableMapping

__all__ = [
    "ENCODING_NAMES",
    "UNEXPECTED_ENCODING_NAMES",
    "EXCEL_SUFFIXES",
    "HEADER_SEARCH_ROWS",
    "Part",
    "SKIPPED",
    "detect_encoding",
    "file_columns",
    "read_file",
]

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
#: Rows of a sheet searched for the header (title rows and merged headings sit above it).
HEADER_SEARCH_ROWS = 30
_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE container: old .xls, or an encrypted OOXML workbook
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass(frozen=True)
class Part:
    """One file, or one sheet of a workbook, as read.

    Attributes
    ----------
    label
        ``file.csv``, or ``file.xlsx#Sheet`` for a sheet.
    frame
        The raw rows (headers as typed; blank rows left out), or None for a skipped part.
    source_rows
        The row number a spreadsheet (or a text editor) shows for each row of ``frame``.
    header_row
        The row number of the header (0 when the file has none).
    blank_rows
        Rows between the header and the last row that hold nothing (not data, so not counted).
    skipped
        Why the part was not read, a code of :data:`SKIPPED` (None when it was).
    skipped_rows
        How many rows of data a skipped part holds (``source_rows`` gives their numbers): every
        non-blank row, or the rows under the table's header when the sheet has one.
    read_as
        How a text file was decoded and split: ``"gb18030, comma-separated"``.
    """

    label: str
    frame: pd.DataFrame | None
    source_rows: np.ndarray
    header_row: int
    blank_rows: int = 0
    skipped: str | None = None
    skipped_rows: int = 0
    read_as: str | None = None

    @classmethod
    def of_rows(cls, label: str, frame: pd.DataFrame, first_row: int, header_row: int) -> Part:
        """A part from consecutive rows starting at ``first_row``; rows with nothing in them are dropped."""
        rows = np.arange(first_row, first_row + len(frame))
        if not frame.shape[1]:
            return cls(label, frame.reset_index(drop=True), rows, header_row)
        blank = (frame.isna().to_numpy() | (frame == "").to_numpy()).all(axis=1)
        if not blank.any():
            return cls(label, frame.reset_index(drop=True), rows, header_row)
        kept = frame.loc[~blank].reset_index(drop=True)
        return cls(label, kept, rows[~blank], header_row, blank_rows=int(blank.sum()))

    @classmethod
    def skip(cls, label: str, why: str, rows: np.ndarray) -> Part:
        """A part not read: ``why`` is a code of :data:`SKIPPED`, ``rows`` the row numbers of what it holds."""
        return cls(label, None, rows.astype(np.int64), 0, skipped=why, skipped_rows=len(rows))


#: Why a sheet is not read (the ledger's reason code -> the words of console messages and records).
SKIPPED = {"hidden_sheet": "hidden sheet", "sheet_without_headers": "none of the mapped columns"}


# --------------------------------------------------------------------------- text files
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
#: Encodings a client export may come in: tried by charset-normalizer when the file is not UTF-8.
_CANDIDATES = ["gb18030", "big5", "utf_16", "cp1252", "latin_1", "shift_jis", "euc_kr", "cp1251"]
#: How a reader knows each encoding; those not marked Unicode or Chinese are flagged in the report.
ENCODING_NAMES = {  # by Python's codec name (codecs.lookup(...).name)
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "gb18030": "GB18030 (Chinese)",
    "gbk": "GBK (Chinese)",
    "gb2312": "GB2312 (Chinese)",
    "big5": "Big5 (traditional Chinese)",
}
#: Encodings a Chinese client's export is not expected in: a file read so is flagged for a check.
UNEXPECTED_ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "iso8859-1": "Latin-1 (Western European)",
    "shift_jis": "Shift-JIS (Japanese)",
    "euc_kr": "EUC-KR (Korean)",
    "cp1251": "Windows-1251 (Cyrillic)",
}
_SEPARATORS = (",", ";", "\t", "|")
_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar", r"\s+": "whitespace"}


def detect_encoding(data: bytes) -> str:
    """The encoding of a text file's bytes: a byte-order mark, else UTF-8 if it decodes, else charset-normalizer.

    Raises
    ------
    DataValidationError
        (without a file name: the caller adds it) when no candidate decodes the bytes.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[: 1 << 20], cp_isolation=_CANDIDATES).best()
    if best is None:
        raise DataValidationError(f"cannot tell the text encoding (tried UTF-8 and {', '.join(_CANDIDATES)})")
    return best.encoding


def _sniff_separator(header: str) -> str:
    """The separator the header line uses most (outside quotes); a comma when it has none."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {sep: outside.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(path: Path, table: TableMapping, nrows: int | None = None) -> tuple[pd.DataFrame, str, str]:
    """The file's rows as text, with the encoding and separator it was read with (declared or found)."""
    opts = table.read
    data = path.read_bytes()
    if not data.strip():
        raise DataValidationError("the file is empty: not even a header line", file=path.name)
    try:
        encoding = opts.encoding or detect_encoding(data)
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataValidationError(
            f"cannot decode the file as {opts.encoding}: {exc}; fix tables.<table>.read.encoding", file=path.name
        ) from None
    except DataValidationError as exc:
        raise DataValidationError(f"{exc}; set tables.<table>.read.encoding", file=path.name) from None
    if opts.sep is not None:
        sep = opts.sep
    elif path.suffix.lower() == ".txt":
        sep = r"\s+"
    else:
        lines = text.lstrip("\ufeff").splitlines()
        sep = _sniff_separator(lines[opts.skiprows] if len(lines) > opts.skiprows else "")
    kwargs: dict[str, object] = {
        "sep": sep,
        "dtype": str,
        "keep_default_na": False,
        "skiprows": opts.skiprows,
        "skip_blank_lines": False,  # so row numbers match the file; blank rows are dropped after numbering
        "nrows": nrows,
    }
    if not opts.header:
        kwargs.update(header=None, names=opts.names)
    elif opts.names:
        kwargs.update(header=0, names=opts.names)
    if sep != r"\s+":
        kwargs["engine"] = "c"
    try:
        frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), **kwargs)
    except pd.errors.EmptyDataError:
        raise DataValidationError("the file is empty: not even a header line", file=path.name) from None
    except pd.errors.ParserError as exc:
        raise DataValidationError(
            f"cannot read as {_SEPARATOR_NAMES.get(sep, repr(sep))}-separated text: {exc}", file=path.name
        ) from None
    return frame, encoding, sep


# --------------------------------------------------------------------------- workbooks
def _refuse_encrypted(path: Path) -> None:
    """A password-protected .xlsx is an OLE container holding an ``EncryptedPackage`` stream."""
    with path.open("rb") as f:
        head = f.read(8)
        if head != _CFB_MAGIC or path.suffix.lower() == ".xls":
            return
        body = f.read(4_000_000)
    if "EncryptedPackage".encode("utf-16-le") in body or path.suffix.lower() in (".xlsx", ".xlsm"):
        raise DataValidationError(
            "the workbook is password-protected: open it, remove the password (File > Info > Protect Workbook) "
            "and save it, or export the data without one",
            file=path.name,
        )


def _sheet_xml_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part in an .xlsx/.xlsm package."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    paths = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _formulas_without_values(path: Path, sheets: list[str]) -> dict[str, list[str]]:
    """Sheet -> cells holding a formula but no saved value (read as empty, they would lose data silently).

    Only .xlsx/.xlsm packages store formulas readably; a sheet without any
    formula is recognised from its bytes without parsing it.
    """
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    found: dict[str, list[str]] = {}
    try:
        with zipfile.ZipFile(path) as book:
            parts = _sheet_xml_paths(book)
            for sheet in sheets:
                part = parts.get(sheet)
                if part is None or part not in book.namelist():
                    continue
                with book.open(part) as f:
                    if not any(b"<f" in chunk for chunk in iter(lambda f=f: f.read(1 << 20), b"")):
                        continue
                cells = []
                with book.open(part) as f:
                    for _, cell in ElementTree.iterparse(f):
                        if cell.tag != f"{_MAIN_NS}c":
                            continue
                        formula, value = cell.find(f"{_MAIN_NS}f"), cell.find(f"{_MAIN_NS}v")
                        inline = cell.find(f"{_MAIN_NS}is")
                        if formula is not None and (value is None or not (value.text or "")) and inline is None:
                            cells.append(cell.get("r", "?"))
                        cell.clear()
                if cells:
                    found[sheet] = cells
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return {}  # not a package we can inspect: calamine reports what it can read
    return found


def _header_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_row(grid: pd.DataFrame, wanted: set[str], start: int) -> tuple[int | None, int]:
    """The first row from ``start`` (within :data:`HEADER_SEARCH_ROWS`) holding the most mapped headers."""
    best, best_hits = None, 0
    for i in range(start, min(len(grid), start + HEADER_SEARCH_ROWS)):
        hits = len(wanted & {_header_text(v) for v in grid.iloc[i]})
        if hits > best_hits:
            best, best_hits = i, hits
            if hits == len(wanted):
                break
    return best, best_hits


def _read_workbook(path: Path, table: TableMapping, nrows: int | None) -> list[Part]:
    _refuse_encrypted(path)
    opts = table.read
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = book.sheets_metadata
    except python_calamine.PasswordError:
        raise DataValidationError("the workbook is password-protected: remove the password", file=path.name) from None
    except Exception as exc:  # calamine raises its own types for corrupt workbooks
        raise DataValidationError(f"cannot read the workbook: {exc}", file=path.name) from None
    wanted = table.headers()
    parts: list[Part] = []
    readable = []
    for meta in sheets:
        label = f"{path.name}#{meta.name}"
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue  # chart sheets hold no cells
        if meta.visible != python_calamine.SheetVisibleEnum.Visible and not opts.hidden_sheets:
            # Often test lines or an old copy: not read (read: {hidden_sheets: true} reads it), but its rows counted.
            rows = np.empty(0, dtype=np.int64)
            if nrows is None:
                seen = _sheet_part(label, _grid(path, meta.name, label, None), table, wanted, None)
                rows = seen.source_rows
            parts.append(Part.skip(label, "hidden_sheet", rows))
            continue
        readable.append(meta.name)
    unsaved = _formulas_without_values(path, readable)
    for name in readable:
        label = f"{path.name}#{name}"
        if name in unsaved:
            cells = unsaved[name]
            raise DataValidationError(
                f"{len(cells)} formula cell(s) without a saved value ({', '.join(cells[:8])}"
                f"{' …' if len(cells) > 8 else ''}): read as empty they would lose data; open the file in "
                "Excel or LibreOffice and save it (which calculates them), or export values",
                file=label,
                row=int(re.sub(r"\D", "", cells[0]) or 0) or None,
            )
        limit = None if nrows is None else opts.skiprows + HEADER_SEARCH_ROWS + nrows + 1
        parts.append(_sheet_part(label, _grid(path, name, label, limit), table, wanted, nrows))
    return parts


def _grid(path: Path, sheet: str, label: str, limit: int | None) -> pd.DataFrame:
    """A sheet's cells from A1 (row ``i`` is spreadsheet row ``i + 1``), as they were saved."""
    try:
        return pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="calamine", nrows=limit)
    except Exception as exc:
        raise DataValidationError(f"cannot read the sheet: {exc}", file=label) from None


def _sheet_part(label: str, grid: pd.DataFrame, table: TableMapping, wanted: set[str], nrows: int | None) -> Part:
    """One sheet's rows under its header; a sheet without any mapped header is a skipped part.

    ``grid`` is the sheet from cell A1 (row ``i`` of it is spreadsheet row ``i + 1``).
    """
    opts = table.read
    if opts.header:
        at, _hits = _header_row(grid, wanted, opts.skiprows)
        if at is None:
            filled = grid.notna().to_numpy() & (grid != "").to_numpy()
            return Part.skip(label, "sheet_without_headers", np.flatnonzero(filled.any(axis=1)) + 1)
        headers = [_header_text(v) for v in grid.iloc[at]]
    else:
        at = opts.skiprows - 1
        headers = [str(n) for n in (opts.names or range(grid.shape[1]))]
    body = grid.iloc[at + 1 :, : len(headers)]
    body = body.set_axis(headers[: body.shape[1]], axis=1)
    part = Part.of_rows(label, body, first_row=at + 2, header_row=at + 1)
    if nrows is not None and part.frame is not None:
        return Part(label, part.frame.head(nrows), part.source_rows[:nrows], part.header_row, part.blank_rows)
    return part


def read_file(path: Path, table: TableMapping, nrows: int | None = None) -> list[Part]:
    """Read one file into raw parts: one per workbook sheet, one for any other file.

    ``nrows`` reads only the first rows (to look at the columns).
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        frame = frame.head(nrows) if nrows is not None else frame
        return [Part(path.name, frame, np.arange(2, len(frame) + 2), header_row=1)]
    if suffix in EXCEL_SUFFIXES:
        return _read_workbook(path, table, nrows)
    if suffix in {".csv", ".txt", ".tsv"}:
        header = table.read.skiprows + 1 if table.read.header else 0
        frame, encoding, sep = _read_csv(path, table, nrows)
        part = Part.of_rows(path.name, frame, first_row=header + 1, header_row=header)
        codec = codecs.lookup(encoding).name
        shown = ENCODING_NAMES.get(codec) or UNEXPECTED_ENCODING_NAMES.get(codec, encoding)
        return [dataclasses.replace(part, read_as=f"{shown}, {_SEPARATOR_NAMES.get(sep, repr(sep))}-separated")]
    raise DataValidationError(
        "unsupported file type (use CSV, TXT, Excel or Parquet)", file=path.name, value=path.suffix
    )


def file_columns(path: Path, table: TableMapping) -> list[str]:
    """Column names of a file without reading its rows (of every sheet, for a workbook)."""
    if path.suffix.lower() == ".parquet":
        return list(pq.read_schema(path).names)
    return [str(c) for part in read_file(path, table, nrows=0) if part.frame is not None for c in part.frame.columns]
