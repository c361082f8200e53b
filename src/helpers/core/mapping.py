"""Dataset mappings: which client file feeds which canonical table, and which column which column.

A mapping (``config/mappings/<name>.yaml``) describes one export format. The
optional parts (read options, value maps, order-line rules) default to "none":
a mapping names only what its export has.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from helpers.core.config import Strict, read_yaml, validated
from helpers.core.errors import ConfigError
from helpers.core.schema import TABLES

__all__ = [
    "IdRules",
    "Join",
    "Mapping",
    "Scale",
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


class Join(Strict):
    """Another file whose rows are joined onto each row of a table's files, many to one.

    ``on`` names the key: one header found in both files, or ``{header so far: header in
    this file}``. The joined file's key must be unique (a repeated key would copy lines and
    their money). Its other headers become available to ``columns`` and ``derive``; one
    that an earlier file already has is reached as ``<name>.<header>``.
    """

    files: list[str] = Field(min_length=1)
    on: str | dict[str, str]
    #: How the file is called in messages and in qualified headers (default: the first pattern's stem).
    name: str | None = None
    read: ReadOptions = ReadOptions()
    #: True: a row whose key finds no row here is excluded with a reason. False: kept, with blanks.
    required: bool = True

    @model_validator(mode="before")
    @classmethod
    def _on_as_written(cls, data: Any) -> Any:
        # YAML 1.1 reads an unquoted `on:` key as the boolean true; `on` is what the writer meant.
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _check_on(self) -> Join:
        if isinstance(self.on, dict) and len(self.on) != 1:
            raise ValueError("join.on: one key, as a header name or {header so far: header in this file}")
        if self.name is None:
            self.name = Path(self.files[0]).stem.replace("*", "").strip("_-. ") or "joined"
        return self

    @property
    def left_key(self) -> str:
        return self.on if isinstance(self.on, str) else next(iter(self.on))

    @property
    def right_key(self) -> str:
        return self.on if isinstance(self.on, str) else next(iter(self.on.values()))

    def headers(self) -> set[str]:
        """The headers to look for when finding the header row of one of its sheets."""
        return {self.right_key}


class Scale(Strict):
    """A rating scale, e.g. 1-5 stars or 0-10 points; the top of the scale is the best."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not self.min < self.max:
            raise ValueError(f"scale: min ({self.min}) must be below max ({self.max})")
        return self


class TableMapping(Strict):
    """Which files feed one canonical table, and where each canonical column comes from.

    A canonical column comes from a header (``columns``), a fixed value (``constants``:
    ``quantity: 1`` for an export of amounts only) or a DuckDB SQL expression over the
    headers (``derive``: ``is_complaint: "rating <= 2"``); see :mod:`helpers.io.expressions`.
    """

    files: list[str] = Field(min_length=1)
    read: ReadOptions = ReadOptions()
    join: list[Join] = []
    columns: dict[str, str] = {}
    constants: dict[str, str | int | float | bool] = {}
    derive: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    #: Customers table only: other columns kept as the customer's attributes, ``{name shown: header}``.
    #: Each becomes a churn feature: a number when every non-blank value reads as one, else a category.
    attributes: dict[str, str] = {}
    #: The rating scale of a reviews table (min, max): a score outside it is an error.
    scale: Scale | None = None

    @model_validator(mode="after")
    def _check_sources(self) -> TableMapping:
        if not (self.columns or self.constants or self.derive):
            raise ValueError("map at least one column (columns, constants or derive)")
        seen: dict[str, str] = {}
        for part in ("columns", "constants", "derive"):
            for canonical in getattr(self, part):
                if canonical in seen:
                    raise ValueError(f"column {canonical!r} is given in both {seen[canonical]} and {part}")
                seen[canonical] = part
        names = [j.name for j in self.join]
        if len(set(names)) != len(names):
            raise ValueError(f"join: two joined files share a name ({', '.join(names)}); give each a name")
        return self

    @property
    def canonical(self) -> list[str]:
        """Every canonical column this table maps, in the mapping's order."""
        return [*self.columns, *self.constants, *self.derive]

    def source_of(self, canonical: str) -> str:
        """Where a canonical column comes from, as a message names it (the header, or the rule)."""
        if canonical in self.columns:
            return self.columns[canonical]
        if canonical in self.constants:
            return f"{canonical} (constant {self.constants[canonical]!r})"
        return f"{canonical} (derived: {self.derive[canonical]})"

    def headers(self) -> set[str]:
        """The headers to look for when finding the header row of one of its sheets."""
        return set(self.columns.values()) | set(self.attributes.values()) | {j.left_key for j in self.join}


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
    #: Which shipped industry taxonomy standardises industries: cn (industry_taxonomy.yaml) or en.
    industry_taxonomy: Literal["cn", "en"] = "cn"
    date_formats: list[str] = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]
    #: The decimal mark of numbers written as text: "." (1,234.56) or "," (1.234,56). Undeclared, a text
    #: number whose comma could be either (12,5 · 1,234 · 1.234,56) is invalid rather than guessed.
    decimal_mark: Literal[".", ","] | None = None
    detect_columns: list[str] = []
    detect_filenames: list[str] = []
    tables: dict[str, TableMapping]
    rules: OrderRules = OrderRules()
    ids: IdRules = IdRules()

    @property
    def snapshot(self) -> bool:
        """No order lines: a customer snapshot (one row per customer with its churn recorded), or a lead history
        (a CRM pipeline or marketing funnel alone)."""
        return "orders" not in self.tables

    @property
    def main_table(self) -> str:
        """The table a single file feeds: the order lines, a snapshot's customers, or a lead history's leads."""
        if not self.snapshot:
            return "orders"
        return "customers" if "customers" in self.tables else "leads"

    @model_validator(mode="after")
    def _check_tables(self) -> Mapping:
        if "orders" not in self.tables:
            customers = self.tables.get("customers")
            recorded = customers is not None and {"churned", "churn_date"} & set(customers.canonical)
            if not recorded and "leads" not in self.tables:
                raise ValueError(
                    "a mapping needs an 'orders' table, a 'customers' table that maps churned or churn_date "
                    "(a customer snapshot), or a 'leads' table (a lead history)"
                )
        for table, tm in self.tables.items():
            if tm.attributes and table != "customers":
                raise ValueError(f"tables.{table}: only the customers table takes attributes")
        for table, tm in self.tables.items():
            if table not in TABLES:
                raise ValueError(f"unknown table {table!r}; known: {', '.join(TABLES)}")
            schema = TABLES[table]
            for canonical in tm.canonical + list(tm.values):
                if canonical not in schema:
                    raise ValueError(
                        f"tables.{table}: unknown canonical column {canonical!r}; known: {', '.join(schema)}"
                    )
            missing = [c.name for c in schema.values() if c.required and c.name not in tm.canonical]
            if missing:
                raise ValueError(f"tables.{table}: required column(s) not mapped: {', '.join(missing)}")
        reviews = self.tables.get("reviews")
        if reviews is not None:
            if reviews.scale is None:
                raise ValueError("tables.reviews: declare the rating scale, e.g. scale: {min: 1, max: 5}")
            if not {"customer_id", "order_id"} & set(reviews.canonical):
                raise ValueError("tables.reviews: map customer_id, or order_id to find the customer from the orders")
        for table, tm in self.tables.items():
            if tm.scale is not None and table != "reviews":
                raise ValueError(f"tables.{table}: only a reviews table takes a scale")
        order_cols = self.tables["orders"].canonical if "orders" in self.tables else ["amount"]
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
