"""Dataset mappings: which client file feeds which canonical table, and which column which column.

A mapping (``config/mappings/<name>.yaml``) describes one export format. The
optional parts (read options, value maps, order-line rules) default to "none":
a mapping names only what its export has.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from helpers.core.config import Strict, read_yaml, validated
from helpers.core.errors import ConfigError
from helpers.core.schema import TABLES

__all__ = [
    "IdRules",
    "Mapping",
    "OrderRules",
    "ReadOptions",
    "TableMapping",
    "all_mappings",
    "load_mapping",
    "mapping_path",
]


class ReadOptions(Strict):
    sep: str | None = None
    encoding: str | None = None
    header: bool = True
    names: list[str] | None = None
    skiprows: int = Field(0, ge=0)
    #: Workbooks: read hidden sheets too (by default they are skipped and listed: they often hold test lines).
    hidden_sheets: bool = False


class TableMapping(Strict):
    files: list[str] = Field(min_length=1)
    read: ReadOptions = ReadOptions()
    columns: dict[str, str] = Field(min_length=1)
    values: dict[str, dict[str, str]] = {}


class IdRules(Strict):
    """How customer and product ids are compared across the tables (``ids:`` in a mapping).

    Each aspect left out (None) is checked instead: two spellings that differ
    only in it (``c00020`` / ``C00020``, ``00042`` / ``42``, ``C 001`` / ``C001``)
    stop the run naming both, since whether they are one customer or two is
    the client's call, not ours. Ends are always stripped of spaces.
    """

    #: keep: c00020 and C00020 are two customers; upper/lower: one (written in that case).
    case: Literal["keep", "upper", "lower"] | None = None
    #: keep: 00042 and 42 are two; strip: one (42).
    leading_zeros: Literal["keep", "strip"] | None = None
    #: keep: "C 001" and "C001" are two; remove: one (C001).
    inner_spaces: Literal["keep", "remove"] | None = None


class OrderRules(Strict):
    return_order_prefixes: list[str] = []
    adjustment_order_prefixes: list[str] = []
    non_product_codes: list[str] = []
    duplicate_key: list[str] | None = None
    # Exports without order numbers (CDNOW) hold identical rows that are separate purchases,
    # and zero-value purchases that purchase-count models count.
    keep_exact_duplicates: bool = False
    keep_zero_amount: bool = False


class Mapping(Strict):
    name: str
    title: str
    credit: str = ""
    currency: str = Field(min_length=3, max_length=3)
    reporting_currency: str = Field(min_length=3, max_length=3)
    fx_to_reporting: dict[str, float] = {}
    date_formats: list[str] = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]
    #: The decimal mark of numbers written as text: "." (1,234.56) or "," (1.234,56). Undeclared, a text
    #: number whose comma could be either (12,5 · 1,234 · 1.234,56) is invalid rather than guessed.
    decimal_mark: Literal[".", ","] | None = None
    detect_columns: list[str] = []
    detect_filenames: list[str] = []
    tables: dict[str, TableMapping]
    rules: OrderRules = OrderRules()
    ids: IdRules = IdRules()

    @model_validator(mode="after")
    def _check_tables(self) -> Mapping:
        if "orders" not in self.tables:
            raise ValueError("a mapping needs an 'orders' table")
        for table, tm in self.tables.items():
            if table not in TABLES:
                raise ValueError(f"unknown table {table!r}; known: {', '.join(TABLES)}")
            schema = TABLES[table]
            for canonical in list(tm.columns) + list(tm.values):
                if canonical not in schema:
                    raise ValueError(
                        f"tables.{table}: unknown canonical column {canonical!r}; known: {', '.join(schema)}"
                    )
            missing = [c.name for c in schema.values() if c.required and c.name not in tm.columns]
            if missing:
                raise ValueError(f"tables.{table}: required column(s) not mapped: {', '.join(missing)}")
        order_cols = self.tables["orders"].columns
        if "unit_price" not in order_cols and "amount" not in order_cols:
            raise ValueError("tables.orders: map unit_price or amount (or both)")
        if self.rules.duplicate_key:
            unknown = [c for c in self.rules.duplicate_key if c not in TABLES["orders"]]
            if unknown:
                raise ValueError(f"rules.duplicate_key: unknown column(s) {unknown}")
        for cur, rate in self.fx_to_reporting.items():
            if rate <= 0:
                raise ValueError(f"fx_to_reporting.{cur} must be positive, got {rate}")
        return self

    def fx_rate(self, currency: str) -> float | None:
        """Units of reporting currency per unit of ``currency`` (None when unknown)."""
        if currency == self.reporting_currency:
            return 1.0
        return self.fx_to_reporting.get(currency)

    def detects(self, columns: list[str], filename: str) -> bool:
        """Whether a single file with these columns / this name is in this mapping's format."""
        if self.detect_columns and set(self.detect_columns) <= set(columns):
            return True
        return any(fnmatch.fnmatch(filename, pat) for pat in self.detect_filenames)


def mapping_path(config_dir: Path, name_or_path: str) -> Path:
    """Resolve a mapping given by name (``online_retail``) or by path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate
    return Path(config_dir) / "mappings" / f"{name_or_path}.yaml"


def load_mapping(config_dir: Path, name_or_path: str) -> Mapping:
    """Read and validate one dataset mapping."""
    path = mapping_path(config_dir, name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (Path(config_dir) / "mappings").glob("*.yaml")))
        raise ConfigError(f"mapping {name_or_path!r} not found ({path}); built-in mappings: {known}")
    data = read_yaml(path)
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    return validated(Mapping, data, path)


def all_mappings(config_dir: Path) -> list[tuple[Path, Mapping]]:
    """Every mapping under ``config_dir/mappings`` with its file, sorted by file name."""
    return [(p, load_mapping(config_dir, str(p))) for p in sorted((Path(config_dir) / "mappings").glob("*.yaml"))]
