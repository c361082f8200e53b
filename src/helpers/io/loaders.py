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

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.mapping import Mapping, TableMapping, all_mappings, load_mapping, mapping_path
from helpers.core.privacy import mask_personal_data_in
from helpers.core.schema import LEAD_OUTCOMES, ORDER_STATUSES, TABLES
from helpers.io.ids import normalise_ids
from helpers.io.parsing import CURRENCY_SIGNS, PARSERS, currency_sign, date_problem, number_problem, parse_date
from helpers.io.sources import HEADER_SEARCH_ROWS, SKIPPED, file_columns, read_file

__all__ = [
    "check_fx",
    "Dataset",
    "line_currency",
    "load_dataset",
    "load_table",
    "LoadedTable",
    "MONEY_COLUMNS",
    "Plausible",
    "resolve_dataset",
]

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


SKIPPED_COLUMNS = ["source_file", "source_row", "reason"]


@dataclass
class LoadedTable:
    """A canonical table as loaded, and the rows whose values could not be parsed."""

    data: pd.DataFrame
    invalid: pd.Series  # per row: the canonical column name of the first invalid value, or NA
    files: list[dict[str, object]]
    #: Rows of sheets not read (hidden, or without the table's headers): source_file, source_row, reason.
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))


# --------------------------------------------------------------------------- resolving a dataset
def _matches(pattern: str, folder: Path) -> list[Path]:
    """The files of ``folder`` a mapping's pattern names; never one outside the folder, never a broken link."""
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise ConfigError(f"the file pattern {pattern!r} reaches outside the data folder; name files inside it")
    root = folder.resolve()
    found = []
    for path in sorted(folder.glob(pattern)):
        if path.name.startswith((".", "~$")):  # hidden files and Office's lock files
            continue
        if not path.exists():
            raise DataValidationError(
                f"a broken link: it points to {os.readlink(path)}, which does not exist", file=path.name
            )
        if not path.resolve().is_relative_to(root):
            raise DataValidationError(
                f"a link to a file outside the data folder ({path.resolve()}): copy the file into the folder",
                file=path.name,
            )
        if path.is_file():
            found.append(path)
    return found


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
    frames, file_info, skipped = [], [], []
    for path in dataset.files[table]:
        for part in read_file(path, tm):
            info: dict[str, object] = {"file": part.label, "table": table, "rows": len(part.source_rows)}
            if part.blank_rows:
                info["blank_rows"] = part.blank_rows
            if part.read_as:
                info["read_as"] = part.read_as
            if part.frame is None:
                # A sheet with none of the table's headers (a notes or pivot sheet), or a hidden one: listed, not read.
                file_info.append({**info, "skipped_rows": part.skipped_rows, "skipped": SKIPPED[part.skipped]})
                skipped.append(
                    pd.DataFrame({"source_file": part.label, "source_row": part.source_rows, "reason": part.skipped})
                )
                continue
            raw = part.frame
            raw.columns = [str(c).strip() for c in raw.columns]
            _refuse_duplicate_headers(list(raw.columns), tm, part.label, part.header_row)
            missing = [src for src in tm.columns.values() if src not in raw.columns]
            if missing:
                raise DataValidationError(
                    f"mapped column(s) {missing} not found in the {table} file; it has: {list(raw.columns)[:20]} "
                    f"(is mapping {mapping.name} the one for these files?)",
                    file=part.label,
                    column=missing[0],
                    row=part.header_row or None,
                )
            out = pd.DataFrame({canonical: raw[src].to_numpy() for canonical, src in tm.columns.items()})
            out["source_file"] = part.label
            out["source_row"] = part.source_rows.astype("int64")
            frames.append(out)
            file_info.append(info)
    if not frames:
        skipped = "; ".join(f"{f['file']}: {f['skipped']}" for f in file_info)
        raise DataValidationError(
            f"no sheet holds the mapped {table} headers {list(tm.columns.values())} in its first "
            f"{HEADER_SEARCH_ROWS} rows ({skipped})",
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
            why = "date"  # worded per value by date_problem
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
            elif why == "date":
                why = date_problem(value, mapping.date_formats)
            raise DataValidationError(
                f"{table}: {why}; {int(mask.sum())} such row(s)",
                file=str(data["source_file"].iat[i]),
                column=tm.columns[canonical],
                row=int(data["source_row"].iat[i]),
                value=value,
            )
        invalid = invalid.mask(invalid.isna() & bad, canonical)
        data[canonical] = data[canonical].where(~bad)
    return LoadedTable(
        data=data,
        invalid=invalid,
        files=file_info,
        skipped=pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame(columns=SKIPPED_COLUMNS),
    )


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
    """Load every table the dataset has files for (see :func:`load_table`), ids compared as the mapping says."""
    loaded = {table: load_table(dataset, table, on_invalid=on_invalid, limits=limits) for table in dataset.files}
    normalise_ids(loaded, dataset.mapping)
    check_fx(loaded["orders"].data, dataset.mapping)
    return loaded
