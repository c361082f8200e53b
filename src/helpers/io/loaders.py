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

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.mapping import Join, Mapping, TableMapping, all_mappings, load_mapping, mapping_path
from helpers.core.privacy import mask_personal_data_in
from helpers.core.schema import ATTRIBUTE_PREFIX, LEAD_OUTCOMES, ORDER_STATUSES, TABLES
from helpers.io.expressions import evaluate_expressions
from helpers.io.ids import normalise_id_values, normalise_ids
from helpers.io.parsing import (
    CURRENCY_SIGNS,
    PARSERS,
    currency_sign,
    date_problem,
    number_problem,
    parse_attribute,
    parse_date,
    parse_id,
)
from helpers.io.sources import HEADER_SEARCH_ROWS, SKIPPED, file_columns, read_file

__all__ = [
    "check_fx",
    "Dataset",
    "joined_table",
    "line_currency",
    "load_dataset",
    "load_table",
    "LoadedTable",
    "MONEY_COLUMNS",
    "Plausible",
    "resolve_dataset",
]

_ALLOWED_VALUES = {("orders", "status"): ORDER_STATUSES, ("leads", "outcome"): LEAD_OUTCOMES}
_RANGES = {("surveys", "nps_score"): (0, 10), ("tickets", "satisfaction"): (1, 5), ("orders", "discount"): (0, 1)}
#: Columns holding money: a currency sign in their text must agree with the line's currency.
MONEY_COLUMNS = frozenset({"unit_price", "amount", "cost", "profit", "list_price", "unit_cost", "budget", "deal_value"})


@dataclass
class Dataset:
    """A dataset resolved against its mapping: which files feed which table."""

    path: Path
    mapping: Mapping
    files: dict[str, list[Path]] = field(default_factory=dict)
    mapping_file: Path | None = None
    #: table -> join name -> the files joined onto the table's rows.
    joins: dict[str, dict[str, list[Path]]] = field(default_factory=dict)

    @property
    def all_files(self) -> list[Path]:
        """Every data file, then the mapping's own file: what the cleaned tables depend on."""
        found = [p for _, paths in self.sources() for p in paths]
        return list(dict.fromkeys(found)) + ([self.mapping_file] if self.mapping_file else [])

    def sources(self) -> list[tuple[str, list[Path]]]:
        """(ledger table, files) for every table and every file joined onto one (``orders+orders_header``)."""
        out = []
        for table, paths in self.files.items():
            out.append((table, paths))
            out += [(joined_table(table, name), found) for name, found in self.joins.get(table, {}).items()]
        return out

    @property
    def single_file(self) -> bool:
        return self.path.is_file()


def joined_table(table: str, join: str) -> str:
    """The ledger's name for the rows of a file joined onto ``table``: they are accounted apart."""
    return f"{table}+{join}"


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


OTHER_ROW_COLUMNS = ["table", "source_file", "source_row", "reason"]
#: The columns that say where a row came from (``.<join>``: the joined file's row), not headers of the export.
_PLACE = re.compile(r"source_(?:file|row)(?:\..+)?")


@dataclass
class LoadedTable:
    """A canonical table as loaded, and the rows whose values could not be parsed."""

    data: pd.DataFrame
    invalid: pd.Series  # per row: the canonical column name of the first invalid value, or NA
    files: list[dict[str, object]]
    #: Rows of the table's files that are not rows of the table, each with its ledger table and reason:
    #: sheets not read (hidden, or without the table's headers) and the rows of joined files.
    other_rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OTHER_ROW_COLUMNS))
    #: Per row: why it cannot be used whatever its values (a required join found no row), or NA.
    refused: pd.Series | None = None

    def load_reasons(self) -> pd.Series:
        """Per row: the ledger reason already decided at load (``unmatched_<join>``, ``invalid_<column>``), or NA."""
        reasons = ("invalid_" + self.invalid).astype("string")
        return reasons if self.refused is None else self.refused.fillna(reasons)


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


def _files_matching(patterns: list[str], folder: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        found += [p for p in _matches(pattern, folder) if p not in found]
    return found


def _files_for(mapping: Mapping, folder: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for table, tm in mapping.tables.items():
        found = _files_matching(tm.files, folder)
        if found:
            files[table] = found
    return files


def _joins_for(mapping: Mapping, folder: Path, files: dict[str, list[Path]]) -> dict[str, dict[str, list[Path]]]:
    """The files of every join of every table that has files; a join without a file is an error."""
    joins: dict[str, dict[str, list[Path]]] = {}
    for table in files:
        for join in mapping.tables[table].join:
            found = _files_matching(join.files, folder)
            if not found:
                raise DataValidationError(
                    f"mapping {mapping.name} joins {join.files} onto the {table} rows (tables.{table}.join, "
                    f"{join.name}), but no file of the folder matches",
                    file=str(folder),
                )
            joins.setdefault(table, {})[join.name] = found
    return joins


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
            (p, m)
            for p, m in all_mappings(config_dir)
            if m.detects(file_columns(path, m.tables[m.main_table]), path.name)
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
            (p, m) for p, m in all_mappings(config_dir) if not m.detect_columns and m.main_table in _files_for(m, path)
        ]
        if len(candidates) != 1:
            names = ", ".join(m.name for _, m in candidates) or "none"
            raise ConfigError(
                f"cannot tell which mapping fits the folder {path} (matching mappings: {names}); pass MAPPING=<name>"
            )
        source, chosen = candidates[0]

    main = chosen.main_table
    if path.is_file():
        files = {main: [path]}
        if chosen.tables[main].join:
            raise ConfigError(f"mapping {chosen.name} joins other files onto the {main} rows: pass the folder")
        joins: dict[str, dict[str, list[Path]]] = {}
    else:
        files = _files_for(chosen, path)
        if main not in files:
            raise DataValidationError(
                f"no {main} file in the folder (mapping {chosen.name} looks for {chosen.tables[main].files})",
                file=str(path),
            )
        joins = _joins_for(chosen, path, files)
    return Dataset(path=path, mapping=chosen, files=files, mapping_file=Path(source).resolve(), joins=joins)


# --------------------------------------------------------------------------- loading tables
def _apply_value_map(raw: pd.Series, value_map: dict[str, str]) -> pd.Series:
    """Translate raw spellings (``已完成`` -> ``completed``); unlisted values pass through to validation."""
    as_text = raw.astype("string").str.strip()
    return as_text.map(value_map).astype("string").fillna(as_text)


def _refuse_duplicate_headers(headers: list[str], needed: list[str], label: str, header_row: int) -> None:
    """Raise when a mapped header appears twice: which of the columns holds the data cannot be known.

    The readers rename a repeated header ``name.1``, ``name.2``; a header
    repeated once stripped of spaces stays a plain duplicate.
    """
    for source in needed:
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
    file_info: list[dict[str, object]] = []
    other: list[pd.DataFrame] = []
    joined = [
        (join, _read_rows(dataset.joins[table][join.name], join, joined_table(table, join.name), file_info, other))
        for join in tm.join
    ]
    joined_headers = {h for _, frame in joined for h in frame.columns}
    lines = _read_rows(dataset.files[table], tm, table, file_info, other, elsewhere=joined_headers)
    if table == "orders" and lines.empty:
        raise DataValidationError(
            "the order lines hold a header but no rows: there is nothing to grade",
            file=", ".join(str(f["file"]) for f in file_info if f["table"] == table),
        )
    refused = pd.Series(pd.NA, index=lines.index, dtype="string")
    origins: dict[str, str] = {}  # header on the lines -> the join that brought it
    for join, rows in joined:
        refused = _join(lines, refused, join, rows, dataset.mapping, table, other, origins)
    # A bad value in a joined header is shown where it is: the joined file and its row.
    found_in = {
        canonical: (lines[f"source_file.{origins[h]}"], lines[f"source_row.{origins[h]}"])
        for canonical, h in tm.columns.items()
        if h in origins
    }
    data = _canonical(lines, tm, mapping, table)

    raw_data = data[tm.canonical].copy()  # the values as read, for messages and currency signs
    problems: dict[str, list[tuple[pd.Series, str]]] = {}  # column -> (invalid rows, why), in the mapping's order
    for canonical in tm.canonical:
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
        scale = tm.scale if canonical == "score" else None
        low, high = (
            (scale.min, scale.max) if scale else _RANGES.get((table, canonical), limits.range_of(canonical, kind))
        )
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
                    if (table, canonical) in _RANGES or scale
                    else f"outside the plausible range {span} (cleaning.plausible in config/settings.yaml)",
                )
            )
        problems[canonical] = [(mask.fillna(False).astype(bool), text) for mask, text in found]
        data[canonical] = parsed
    for label in tm.attributes:
        data[ATTRIBUTE_PREFIX + label] = parse_attribute(data[ATTRIBUTE_PREFIX + label], mapping.decimal_mark)
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
            files, rows = found_in.get(canonical, (data["source_file"], data["source_row"]))
            raise DataValidationError(
                f"{table}: {why}; {int(mask.sum())} such row(s)",
                file=str(files.iat[i]),
                column=tm.source_of(canonical),
                row=int(rows.iat[i]),
                value=value,
            )
        invalid = invalid.mask(invalid.isna() & bad, canonical)
        data[canonical] = data[canonical].where(~bad)
    return LoadedTable(
        data=data,
        invalid=invalid,
        files=file_info,
        other_rows=pd.concat(other, ignore_index=True) if other else pd.DataFrame(columns=OTHER_ROW_COLUMNS),
        refused=refused if tm.join else None,
    )


def _read_rows(
    paths: list[Path],
    spec: TableMapping | Join,
    ledger_table: str,
    file_info: list[dict[str, object]],
    other: list[pd.DataFrame],
    elsewhere: set[str] = frozenset(),
) -> pd.DataFrame:
    """Every row of some files of one table (or join), headers as written, with ``source_file``/``source_row``.

    Sheets not read are listed in ``file_info`` and their rows added to ``other``. A header the
    mapping names must be in each part, unless a joined file has it (``elsewhere``).
    """
    frames = []
    needed = (
        [spec.right_key]
        if isinstance(spec, Join)
        else [h for h in [*spec.columns.values(), *spec.attributes.values()] if h not in elsewhere]
    )
    needed += [] if isinstance(spec, Join) else [j.left_key for j in spec.join if j.left_key not in elsewhere]
    for path in paths:
        for part in read_file(path, spec):
            info: dict[str, object] = {"file": part.label, "table": ledger_table, "rows": len(part.source_rows)}
            if part.blank_rows:
                info["blank_rows"] = part.blank_rows
            if part.read_as:
                info["read_as"] = part.read_as
            if part.frame is None:
                # A sheet with none of the table's headers (a notes or pivot sheet), or a hidden one: listed, not read.
                file_info.append({**info, "skipped_rows": part.skipped_rows, "skipped": SKIPPED[part.skipped]})
                other.append(
                    pd.DataFrame(
                        {
                            "table": ledger_table,
                            "source_file": part.label,
                            "source_row": part.source_rows,
                            "reason": part.skipped,
                        }
                    )
                )
                continue
            raw = part.frame
            raw.columns = [str(c).strip() for c in raw.columns]
            _refuse_duplicate_headers(list(raw.columns), needed, part.label, part.header_row)
            missing = list(dict.fromkeys(h for h in needed if h not in raw.columns))
            if missing:
                raise DataValidationError(
                    f"mapped column(s) {missing} not found in the {ledger_table.replace('+', ', join ')} file; "
                    f"it has: {list(raw.columns)[:20]} (is the mapping the one for these files?)",
                    file=part.label,
                    column=missing[0],
                    row=part.header_row or None,
                )
            raw["source_file"] = part.label  # the part's frame is ours: no copy
            raw["source_row"] = part.source_rows.astype("int64")
            frames.append(raw)
            file_info.append(info)
    if not frames:
        skipped = "; ".join(f"{f['file']}: {f['skipped']}" for f in file_info if f["table"] == ledger_table)
        raise DataValidationError(
            f"no sheet holds the mapped {ledger_table.replace('+', ', join ')} headers {sorted(spec.headers())} "
            f"in its first {HEADER_SEARCH_ROWS} rows "
            f"({skipped})",
            file=", ".join(p.name for p in paths),
        )
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _join_keys(values: pd.Series, mapping: Mapping) -> pd.Series:
    return normalise_id_values(parse_id(values)[0], mapping.ids)


def _join(
    lines: pd.DataFrame,
    refused: pd.Series,
    join: Join,
    rows: pd.DataFrame,
    mapping: Mapping,
    table: str,
    other: list[pd.DataFrame],
    origins: dict[str, str],
) -> pd.Series:
    """Add the headers of ``rows`` to ``lines`` by key (many lines to one row), in place.

    Every row of the joined file is accounted for in ``other`` (``joined`` or ``join_unmatched``);
    returns ``refused`` with ``unmatched_<join>`` on the lines a required join found no row for.
    The joined row's place is added as ``source_file.<join>`` / ``source_row.<join>``, and
    ``origins`` maps each header added to the join's name.
    """
    if join.left_key not in lines.columns:
        raise ConfigError(
            f"mapping {mapping.name}, tables.{table}.join {join.name}: there is no header {join.left_key!r} "
            f"to join on; the headers so far are {[c for c in lines.columns if not c.startswith('source_')]}"
        )
    right = _join_keys(rows[join.right_key], mapping)
    repeated = right.notna() & right.duplicated(keep=False)
    if repeated.any():
        same = right[repeated].iloc[0]
        at = right[right == same].index[:2]
        raise DataValidationError(
            f"the key repeats (rows {rows['source_row'].iat[at[0]]} and {rows['source_row'].iat[at[1]]}): "
            f"a file joined onto the {table} rows needs one row per key, or lines and their money would be copied",
            file=str(rows["source_file"].iat[at[1]]),
            column=join.right_key,
            row=int(rows["source_row"].iat[at[1]]),
            value=same,
        )
    known = right.notna().to_numpy()
    lookup = pd.Series(np.flatnonzero(known), index=right[known].to_numpy())
    position = _join_keys(lines[join.left_key], mapping).map(lookup).fillna(-1).astype("int64").to_numpy()
    found = position >= 0
    for header in [c for c in rows.columns if c not in (join.right_key, "source_file", "source_row")]:
        values = np.full(len(lines), None, dtype=object)
        values[found] = rows[header].to_numpy(dtype=object)[position[found]]
        name = header if header not in lines.columns else f"{join.name}.{header}"
        lines[name] = values
        origins[name] = join.name
    for place in ("source_file", "source_row"):
        values = np.full(len(lines), None, dtype=object)
        values[found] = rows[place].to_numpy(dtype=object)[position[found]]
        lines[f"{place}.{join.name}"] = values
    used = np.zeros(len(rows), dtype=bool)
    used[position[found]] = True
    other.append(
        pd.DataFrame(
            {
                "table": joined_table(table, join.name),
                "source_file": rows["source_file"].to_numpy(),
                "source_row": rows["source_row"].to_numpy(),
                "reason": np.where(used, "joined", "join_unmatched"),
            }
        )
    )
    if not join.required:
        return refused
    return refused.mask(refused.isna() & ~found, f"unmatched_{join.name}")


def _canonical(lines: pd.DataFrame, tm: TableMapping, mapping: Mapping, table: str) -> pd.DataFrame:
    """The canonical columns from headers, constants and expressions, with ``source_file``/``source_row``."""
    out = pd.DataFrame(index=lines.index)
    for canonical, header in tm.columns.items():
        out[canonical] = lines[header].to_numpy()
    for canonical, value in tm.constants.items():
        out[canonical] = pd.Series([value] * len(lines), index=lines.index, dtype=object)
    derived = evaluate_expressions(
        lines.drop(columns=[c for c in lines.columns if _PLACE.fullmatch(c)]),
        tm.derive,
        where=f"mapping {mapping.name}, tables.{table}.derive",
        decimal=mapping.decimal_mark,
        date_formats=mapping.date_formats,
    )
    for canonical, values in derived.items():
        out[canonical] = values.astype(object)
    out = out[tm.canonical]
    for label, header in tm.attributes.items():
        out[ATTRIBUTE_PREFIX + label] = lines[header].to_numpy()
    out["source_file"] = lines["source_file"].to_numpy()
    out["source_row"] = lines["source_row"].to_numpy()
    return out


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
    if dataset.mapping.snapshot:  # no order lines: the later stages see an empty order table
        loaded["orders"] = _no_order_lines()
    normalise_ids(loaded, dataset.mapping)
    check_fx(loaded["orders"].data, dataset.mapping)
    return loaded


def _no_order_lines() -> LoadedTable:
    """The order table of a customer snapshot: every canonical column, no row."""
    kinds = {"id": "string", "text": "string", "date": "datetime64[ns]", "number": "float64", "int": "Int64"}
    data = pd.DataFrame(
        {name: pd.Series(dtype=kinds.get(c.kind, "boolean")) for name, c in TABLES["orders"].items()}
        | {"source_file": pd.Series(dtype="string"), "source_row": pd.Series(dtype="int64")}
    )
    return LoadedTable(data=data, invalid=pd.Series(pd.NA, index=data.index, dtype="string"), files=[])
