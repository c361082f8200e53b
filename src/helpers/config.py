"""Configuration: analysis settings, dataset mappings and standardisation lists.

Everything an analyst may change per client lives in ``config/`` as YAML and is
validated here, so a typo fails at once with the file and the key, instead of
silently falling back to a default.
"""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from helpers.errors import ConfigError
from helpers.schema import TABLES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- settings
class AnalysisSettings(_Strict):
    lookback_days: int = Field(365, gt=0, description="look-back window of the customer indicators")
    trend_periods: int = Field(12, gt=0, description="periods shown in the KPI trend")


class CleaningSettings(_Strict):
    on_invalid_value: Literal["error", "exclude"] = "error"
    drop_duplicate_lines: bool = True
    test_account_ids: list[str] = []
    test_account_name_patterns: list[str] = []


class SatisfactionSettings(_Strict):
    csat_satisfied_min: int = Field(4, ge=1, le=5)
    nps_promoter_min: int = Field(9, ge=0, le=10)
    nps_detractor_max: int = Field(6, ge=0, le=10)

    @model_validator(mode="after")
    def _nps_order(self) -> "SatisfactionSettings":
        if self.nps_detractor_max >= self.nps_promoter_min:
            raise ValueError("nps_detractor_max must be below nps_promoter_min")
        return self


class Settings(_Strict):
    analysis: AnalysisSettings = AnalysisSettings()
    cleaning: CleaningSettings = CleaningSettings()
    satisfaction: SatisfactionSettings = SatisfactionSettings()


# --------------------------------------------------------------------------- mappings
class ReadOptions(_Strict):
    sep: str | None = None
    encoding: str | None = None
    header: bool = True
    names: list[str] | None = None
    skiprows: int = Field(0, ge=0)


class TableMapping(_Strict):
    files: list[str] = Field(min_length=1)
    read: ReadOptions = ReadOptions()
    columns: dict[str, str] = Field(min_length=1)
    values: dict[str, dict[str, str]] = {}


class OrderRules(_Strict):
    return_order_prefixes: list[str] = []
    adjustment_order_prefixes: list[str] = []
    non_product_codes: list[str] = []
    duplicate_key: list[str] | None = None
    # Exports without order numbers (CDNOW) hold identical rows that are separate purchases,
    # and zero-value purchases that purchase-count models count.
    keep_exact_duplicates: bool = False
    keep_zero_amount: bool = False


class Mapping(_Strict):
    name: str
    title: str
    credit: str = ""
    currency: str = Field(min_length=3, max_length=3)
    reporting_currency: str = Field(min_length=3, max_length=3)
    fx_to_reporting: dict[str, float] = {}
    date_formats: list[str] = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]
    detect_columns: list[str] = []
    detect_filenames: list[str] = []
    tables: dict[str, TableMapping]
    rules: OrderRules = OrderRules()

    @model_validator(mode="after")
    def _check_tables(self) -> "Mapping":
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


# --------------------------------------------------------------------------- loading
def _read_yaml(path: Path) -> object:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def _validated(model: type[BaseModel], data: object, path: Path) -> BaseModel:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def load_settings(config_dir: Path) -> Settings:
    """Read and validate ``config_dir/settings.yaml``."""
    path = Path(config_dir) / "settings.yaml"
    return _validated(Settings, _read_yaml(path), path)  # type: ignore[return-value]


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
    data = _read_yaml(path)
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    return _validated(Mapping, data, path)  # type: ignore[return-value]


def all_mappings(config_dir: Path) -> list[Mapping]:
    """Every mapping under ``config_dir/mappings``, sorted by name."""
    return [load_mapping(config_dir, str(p)) for p in sorted((Path(config_dir) / "mappings").glob("*.yaml"))]


def load_synonyms(config_dir: Path, filename: str) -> dict[str, list[str]]:
    """Read a ``standard name: [synonym, ...]`` list (regions, countries)."""
    path = Path(config_dir) / filename
    data = _read_yaml(path)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v) for k, v in data.items()
    ):
        raise ConfigError(f"{path}: expected 'standard name: [synonym, ...]' entries")
    return data


def load_taxonomy(config_dir: Path, filename: str = "industry_taxonomy.yaml") -> dict[str, dict[str, list[str]]]:
    """Read the two-level industry taxonomy ``level1: {level2: [synonym, ...]}``."""
    path = Path(config_dir) / filename
    data = _read_yaml(path)
    ok = isinstance(data, dict) and all(
        isinstance(l1, str)
        and isinstance(l2s, dict)
        and all(isinstance(l2, str) and isinstance(syn, list) for l2, syn in l2s.items())
        for l1, l2s in data.items()
    )
    if not ok:
        raise ConfigError(f"{path}: expected 'level1: {{level2: [synonym, ...]}}' entries")
    return data  # type: ignore[return-value]
