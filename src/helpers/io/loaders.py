"""Read client exports (CSV, TXT, Excel, Parquet) into canonical tables.

Data contract
-------------
Input: a dataset path (one file, or a folder) and a mapping (``config/mappings``).
Output: one DataFrame per mapped table with the canonical columns of
:mod:`helpers.core.schema` (parsed to their kinds) plus ``source_file`` and
``source_row``, the place a user finds the raw row: for CSV and Excel the
header is row 1, so the first data row is row 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.mapping import Mapping, TableMapping, all_mappings, load_mapping, mapping_path
from helpers.core.privacy import mask_personal_data_in
from helpers.core.schema import LEAD_OUTCOMES, ORDER_STATUSES, TABLES
from helpers.io.parsing import CURRENCY_SIGNS, PARSERS, currency_sign, number_problem, parse_date

__all__ = [
    "EXCEL_SUFFIXES",
    "check_fx",
    "Dataset",
    "file_columns",
    "line_currency",
    "load_dataset",
    "load_table",
    "LoadedTable",
    "MONEY_COLUMNS",
    "Plausible",
    "read_file",
    "resolve_dataset",
]

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
_ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese clients' CSVs come in one of these
_ALLOWED_VALUES = {("orders", "status"): ORDER_STATUSES, ("leads", "outcome"): LEAD_OUTCOMES}
_RANGES = {("surveys", "nps_score"): (0, 10), ("tickets", "satisfaction"): (1, 5)}
#: Columns holding money: a currency sign in their text must agree with the line's currency.
MONEY_COLUMNS = frozenset({"unit_price", "amount", "list_price", "unit_cost", "budget"})


@dataclass
class Dataset:
    """A dataset resolved against its mapping: which files feed which table."""

    path: Path
    mapping: Mapping
    files: dict[str, list[Path]] = field(default_factory=dict)
    mapping_file: Path | None = None

    @property
    def all_files(self) -> list[Path]:
        """Every data file, then the mapping's own file: what the cleaned tables depend on."""
        found = [p for paths in self.files.values() for p in paths]
        return found + ([self.mapping_file] if self.mapping_file else [])

    @property
    def single_file(self) -> bool:
        return self.path.is_file()


@dataclass(frozen=True)
class Plausible:
    """Plausible ranges (inclusive, either end open): a value outside is invalid like an unparsable one.

    Attributes
    ----------
    numbers
        Canonical number column (``quantity``, ``amount`` …, in any table) -> (min, max).
    dates
        (min, max) of every date column.
    """

    numbers: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    dates: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None)

    def range_of(self, column: str, kind: str) -> tuple[object, object]:
        if kind == "date":
            return self.dates
        return self.numbers.get(column, (None, None))


@dataclass
class LoadedTable:
    """A canonical table as loaded, and the rows whose values could not be parsed."""

    data: pd.DataFrame
    invalid: pd.Series  # per row: the canonical column name of the first invalid value, or NA
    files: list[dict[str, object]]


# --------------------------------------------------------------------------- reading files
def _csv_kwargs(path: Path, table: TableMapping) -> dict[str, object]:
    opts = table.read
    sep = opts.sep if opts.sep is not None else (r"\s+" if path.suffix.lower() == ".txt" else ",")
    kwargs: dict[str, object] = {"sep": sep, "dtype": str, "keep_default_na": False, "skiprows": opts.skiprows}
    if not opts.header:
        kwargs["header"] = None
        kwargs["names"] = opts.names
    elif opts.names:
        kwargs["header"] = 0
        kwargs["names"] = opts.names
    if sep != r"\s+":
        kwargs["engine"] = "c"
    return kwargs


def _read_csv(path: Path, table: TableMapping, nrows: int | None = None) -> pd.DataFrame:
    kwargs = _csv_kwargs(path, table)
    encodings = [table.read.encoding] if table.read.encoding else list(_ENCODINGS)
    for i, enc in enumerate(encodings):
        try:
            return pd.read_csv(path, encoding=enc, nrows=nrows, **kwargs)
        except UnicodeDecodeError:
            if i == len(encodings) - 1:
                raise DataValidationError(
                    f"cannot decode the file as {' or '.join(encodings)}; set tables.<table>.read.encoding",
                    file=path.name,
                ) from None
        except pd.errors.EmptyDataError:
            raise DataValidationError("the file is empty: not even a header line", file=path.name) from None
        except pd.errors.ParserError as exc:
            raise DataValidationError(f"cannot read as delimited text: {exc}", file=path.name) from None
    raise AssertionError("unreachable")


def read_file(path: Path, table: TableMapping, nrows: int | None = None) -> list[tuple[str, pd.DataFrame, int]]:
    """Read one file into raw frames.

    Returns
    -------
    list of (source label, frame, row number of the first data row)
        One entry per Excel sheet (label ``file.xlsx#Sheet``), one for other formats.
    """
    suffix = path.suffix.lower()
    first_row = table.read.skiprows + (2 if table.read.header else 1)
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
        return [(path.name, frame.head(nrows) if nrows is not None else frame, 2)]
    if suffix in EXCEL_SUFFIXES:
        try:
            sheets = pd.read_excel(
                path,
                sheet_name=None,
                engine="calamine",
                dtype=object,
                nrows=nrows,
                header=0 if table.read.header else None,
                names=table.read.names,
                skiprows=table.read.skiprows,
            )
        except Exception as exc:  # calamine raises its own types for corrupt workbooks
            raise DataValidationError(f"cannot read the workbook: {exc}", file=path.name) from None
        return [(f"{path.name}#{name}", frame, first_row) for name, frame in sheets.items() if len(frame.columns)]
    if suffix in {".csv", ".txt", ".tsv"}:
        return [(path.name, _read_csv(path, table, nrows), first_row)]
    raise DataValidationError(
        "unsupported file type (use CSV, TXT, Excel or Parquet)", file=path.name, value=path.suffix
    )


def file_columns(path: Path, table: TableMapping) -> list[str]:
    """Column names of a file without reading its rows (of every sheet, for a workbook)."""
    if path.suffix.lower() == ".parquet":
        return list(pq.read_schema(path).names)
    return [str(c) for _, frame, _ in read_file(path, table, nrows=0) for c in frame.columns]


# --------------------------------------------------------------------------- resolving a dataset
def _matches(pattern: str, folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith((".", "~$")))


def _files_for(mapping: Mapping, folder: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for table, tm in mapping.tables.items():
        found: list[Path] = []
        for pattern in tm.files:
            found += [p for p in _matches(pattern, folder) if p not in found]
        if found:
            files[table] = found
    return files


def resolve_dataset(data: str | Path, mapping: str | None, config_dir: Path) -> Dataset:
    """Find the mapping and the files of a dataset.

    Parameters
    ----------
    data
        A file (the ``orders`` table) or a folder of exports.
    mapping
        A mapping name or YAML path; empty/None detects it: for a file, by its
        column names or file name; for a folder, the one mapping whose files are there.
    config_dir
        The project's ``config`` folder.

    Raises
    ------
    DataValidationError
        When the path does not exist, or no file feeds the orders table.
    ConfigError
        When no mapping (or more than one) fits.
    """
    path = Path(data).expanduser().resolve()
    if not path.exists():
        raise DataValidationError("the data path does not exist", file=str(data))
    if mapping:
        chosen, source = load_mapping(config_dir, mapping), mapping_path(config_dir, mapping)
    elif path.is_file():
        candidates = [
            (p, m) for p, m in all_mappings(config_dir) if m.detects(file_columns(path, m.tables["orders"]), path.name)
        ]
        if len(candidates) != 1:
            names = ", ".join(m.name for _, m in candidates) or "none"
            raise ConfigError(
                f"cannot tell the format of {path.name} (matching mappings: {names}); "
                "pass MAPPING=<name> or write config/mappings/<name>.yaml (see README, 'Your own data')"
            )
        source, chosen = candidates[0]
    else:
        candidates = [
            (p, m) for p, m in all_mappings(config_dir) if not m.detect_columns and "orders" in _files_for(m, path)
        ]
        if len(candidates) != 1:
            names = ", ".join(m.name for _, m in candidates) or "none"
            raise ConfigError(
                f"cannot tell which mapping fits the folder {path} (matching mappings: {names}); pass MAPPING=<name>"
            )
        source, chosen = candidates[0]

    if path.is_file():
        files = {"orders": [path]}
    else:
        files = _files_for(chosen, path)
        if "orders" not in files:
            raise DataValidationError(
                f"no orders file in the folder (mapping {chosen.name} looks for {chosen.tables['orders'].files})",
                file=str(path),
            )
    return Dataset(path=path, mapping=chosen, files=files, mapping_file=Path(source).resolve())


# --------------------------------------------------------------------------- loading tables
def _apply_value_map(raw: pd.Series, value_map: dict[str, str]) -> pd.Series:
    """Translate raw spellings (``已完成`` -> ``completed``); unlisted values pass through to validation."""
    as_text = raw.astype("string").str.strip()
    return as_text.map(value_map).astype("string").fillna(as_text)


def _refuse_duplicate_headers(headers: list[str], tm: TableMapping, label: str, header_row: int) -> None:
    """Raise when a mapped header appears twice: which of the columns holds the data cannot be known.

    The readers rename a repeated header ``name.1``, ``name.2``; a header
    repeated once stripped of spaces stays a plain duplicate.
    """
    for source in tm.columns.values():
        places = [i + 1 for i, h in enumerate(headers) if h == source or re.fullmatch(rf"{re.escape(source)}\.\d+", h)]
        if len(places) > 1:
            raise DataValidationError(
                f"the header appears {len(places)} times (columns {', '.join(map(str, places))}): which one holds "
                "the data cannot be known; rename or delete the others in the file",
                file=label,
                column=source,
                row=header_row,
            )


def _shown(bound: object) -> str:
    if bound is None:
        return "…"
    if isinstance(bound, pd.Timestamp):
        return f"{bound:%Y-%m-%d}"
    return f"{bound:,.10g}"


def _currency_sign_conflicts(
    table: str, data: pd.DataFrame, raw: pd.DataFrame, mapping: Mapping
) -> dict[str, tuple[pd.Series, str]]:
    """Money columns whose text carries a currency sign the line's currency contradicts (``$12.00`` on CNY).

    The line's currency is its ``currency`` column on order lines, else the
    mapping's currency.
    """
    if "currency" in data and table == "orders":
        currency = data["currency"].fillna(mapping.currency).astype("string").str.upper()
    else:
        currency = pd.Series(mapping.currency, index=data.index, dtype="string")
    conflicts = {}
    for canonical in [c for c in raw.columns if c in MONEY_COLUMNS]:
        texts = raw[canonical]
        if not (texts.dtype == object or pd.api.types.is_string_dtype(texts)):
            continue
        signs = pd.Series([currency_sign(v) for v in texts], index=texts.index, dtype=object)
        signed = signs.notna()
        if not signed.any():
            continue
        clash = pd.Series(False, index=texts.index)
        clash[signed] = [cur not in CURRENCY_SIGNS[sign] for sign, cur in zip(signs[signed], currency[signed])]
        if clash.any():
            i = clash.to_numpy().nonzero()[0][0]
            conflicts[canonical] = (
                clash,
                f"the currency sign {signs.iat[i]} contradicts the line's currency {currency.iat[i]}",
            )
    return conflicts


def load_table(
    dataset: Dataset, table: str, *, on_invalid: str = "error", limits: Plausible | None = None
) -> LoadedTable:
    """Read every file of one table, map its columns and parse them.

    Parameters
    ----------
    dataset
        From :func:`resolve_dataset`.
    table
        A canonical table name present in ``dataset.files``.
    on_invalid
        ``error``: raise at the first invalid value; ``exclude``: return the
        rows in ``LoadedTable.invalid`` so cleaning can ledger them. Invalid
        means unparsable (or, for numbers, readable two ways, or not finite),
        outside the plausible range of ``limits``, or a money text whose
        currency sign contradicts the line's currency.
    limits
        Plausible ranges of numbers and dates (none when omitted).

    Raises
    ------
    DataValidationError
        A mapped column missing from a file, or (``on_invalid="error"``) an
        unparsable value: the message names the file, column, row and value.
    """
    mapping = dataset.mapping
    tm = mapping.tables[table]
    schema = TABLES[table]
    limits = limits or Plausible()
    frames, file_info = [], []
    for path in dataset.files[table]:
        for label, raw, first_row in read_file(path, tm):
            raw.columns = [str(c).strip() for c in raw.columns]
            _refuse_duplicate_headers(list(raw.columns), tm, label, first_row - 1)
            missing = [src for src in tm.columns.values() if src not in raw.columns]
            if path.suffix.lower() in EXCEL_SUFFIXES and len(missing) == len(tm.columns):
                # A workbook sheet with none of the table's columns (a notes or pivot sheet) holds no rows of it.
                file_info.append(
                    {
                        "file": label,
                        "table": table,
                        "rows": 0,
                        "skipped_rows": len(raw),
                        "skipped": "none of the mapped columns",
                    }
                )
                continue
            if missing:
                raise DataValidationError(
                    f"mapped column(s) {missing} not found in the {table} file; it has: {list(raw.columns)[:20]} "
                    f"(is mapping {mapping.name} the one for these files?)",
                    file=label,
                    column=missing[0],
                )
            out = pd.DataFrame({canonical: raw[src].to_numpy() for canonical, src in tm.columns.items()})
            out["source_file"] = label
            out["source_row"] = pd.RangeIndex(first_row, first_row + len(raw))
            frames.append(out)
            file_info.append({"file": label, "table": table, "rows": len(raw)})
    if not frames:
        raise DataValidationError(
            f"no sheet has the mapped {table} columns {list(tm.columns.values())} (is the header in row 1?)",
            file=", ".join(p.name for p in dataset.files[table]),
        )
    data = pd.concat(frames, ignore_index=True)
    if table == "orders" and data.empty:
        raise DataValidationError(
            "the order lines hold a header but no rows: there is nothing to grade",
            file=", ".join(str(f["file"]) for f in file_info),
        )

    raw_data = data[list(tm.columns)].copy()  # the values as read, for messages and currency signs
    problems: dict[str, list[tuple[pd.Series, str]]] = {}  # column -> (invalid rows, why), in the mapping's order
    for canonical in tm.columns:
        kind = schema[canonical].kind
        raw = data[canonical]
        if canonical in tm.values:
            raw = _apply_value_map(raw, tm.values[canonical])
        if kind == "date":
            parsed, bad = parse_date(raw, mapping.date_formats)
            why = f"unparsable date (formats tried: {mapping.date_formats})"
        elif kind in ("number", "int"):
            parsed, bad = PARSERS[kind](raw, mapping.decimal_mark)
            why = "number"  # worded per value by number_problem
        else:
            parsed, bad = PARSERS[kind](raw)
            why = f"not a valid {kind}"
        if kind == "text" and not schema[canonical].personal:
            parsed = mask_personal_data_in(parsed)  # a phone typed into a name never leaves the loader
        found = [(bad, why)]
        allowed = _ALLOWED_VALUES.get((table, canonical))
        if allowed is not None:
            found.append(
                (
                    parsed.notna() & ~parsed.isin(allowed),
                    f"unknown value (expected one of {list(allowed)}; add it to tables.{table}.values.{canonical})",
                )
            )
        low, high = _RANGES.get((table, canonical), limits.range_of(canonical, kind))
        if low is not None or high is not None:
            outside = pd.Series(False, index=parsed.index)
            if low is not None:
                outside |= (parsed < low).fillna(False).astype(bool)
            if high is not None:
                outside |= (parsed > high).fillna(False).astype(bool)
            span = f"{_shown(low)} to {_shown(high)}"
            found.append(
                (
                    outside,
                    f"outside the scale {span}"
                    if (table, canonical) in _RANGES
                    else f"outside the plausible range {span} (cleaning.plausible in config/settings.yaml)",
                )
            )
        problems[canonical] = [(mask.fillna(False).astype(bool), text) for mask, text in found]
        data[canonical] = parsed
    for canonical, conflict in _currency_sign_conflicts(table, data, raw_data, mapping).items():
        problems[canonical].append(conflict)

    invalid = pd.Series(pd.NA, index=data.index, dtype="string")
    for canonical, found in problems.items():
        bad = pd.concat([mask for mask, _ in found], axis=1).any(axis=1)
        if not bad.any():
            continue
        if on_invalid == "error":
            mask, why = next((m, w) for m, w in found if m.any())
            i = mask.to_numpy().nonzero()[0][0]
            value = raw_data[canonical].iat[i]
            if why == "number":
                why = number_problem(value, mapping.decimal_mark)
            raise DataValidationError(
                f"{table}: {why}; {int(mask.sum())} such row(s)",
                file=str(data["source_file"].iat[i]),
                column=tm.columns[canonical],
                row=int(data["source_row"].iat[i]),
                value=value,
            )
        invalid = invalid.mask(invalid.isna() & bad, canonical)
        data[canonical] = data[canonical].where(~bad)
    return LoadedTable(data=data, invalid=invalid, files=file_info)


def line_currency(orders: pd.DataFrame, mapping: Mapping) -> pd.Series:
    """Each order line's currency code: its own, else the mapping's."""
    if "currency" not in orders:
        return pd.Series(mapping.currency, index=orders.index, dtype="string")
    return orders["currency"].fillna(mapping.currency).str.upper()


def check_fx(orders: pd.DataFrame, mapping: Mapping) -> None:
    """Raise when an order line's currency has no conversion rate to the reporting currency."""
    if mapping.fx_rate(mapping.currency) is None:  # also prices costs, payments and budgets
        raise ConfigError(
            f"mapping {mapping.name}: no fx_to_reporting rate for {mapping.currency} -> {mapping.reporting_currency}"
        )
    if "currency" not in orders:
        return
    currencies = line_currency(orders, mapping)
    for cur in currencies.unique():
        if mapping.fx_rate(cur) is None:
            i = (currencies == cur).to_numpy().nonzero()[0][0]
            raise DataValidationError(
                f"no exchange rate for {cur}; add fx_to_reporting.{cur} to mapping {mapping.name}",
                file=str(orders["source_file"].iat[i]),
                column=mapping.tables["orders"].columns["currency"],
                row=int(orders["source_row"].iat[i]),
                value=cur,
            )


def load_dataset(
    dataset: Dataset, *, on_invalid: str = "error", limits: Plausible | None = None
) -> dict[str, LoadedTable]:
    """Load every table the dataset has files for (see :func:`load_table`)."""
    loaded = {table: load_table(dataset, table, on_invalid=on_invalid, limits=limits) for table in dataset.files}
    check_fx(loaded["orders"].data, dataset.mapping)
    return loaded
