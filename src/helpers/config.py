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


# Indicator columns a rule may test (see helpers.indicators.INDICATOR_COLUMNS); kept literal here so
# loading the settings does not import the indicator code.
RULE_COLUMNS = (
    "recency_days", "frequency", "monetary", "returns_amount", "avg_order_value", "gross_profit",
    "margin_rate", "distinct_products", "distinct_categories", "interactions", "interaction_rate",
    "tickets", "complaints", "avg_response_hours", "csat", "nps_score", "tenure_days", "avg_days_late",
    "overdue_amount",
)
#: The eight RFM classes (domain.md §3), by key.
RFM_CLASSES = (
    "important_value", "important_retain", "important_develop", "important_win_back",
    "general_value", "general_retain", "general_develop", "general_win_back",
)


class Bounds(_Strict):
    """An inclusive range; either end may be open."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> "Bounds":
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class _Rule(_Strict):
    name: str = Field(min_length=1)
    when: dict[str, Bounds] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_columns(self) -> "_Rule":
        unknown = [c for c in self.when if c not in RULE_COLUMNS]
        if unknown:
            raise ValueError(f"rule {self.name!r}: unknown indicator(s) {unknown}; known: {', '.join(RULE_COLUMNS)}")
        return self


class ClassOverride(_Rule):
    """Customers matching every condition get ``assign`` whatever their R/F/M cut says."""

    assign: Literal[RFM_CLASSES]  # type: ignore[valid-type]


class RfmFlag(_Rule):
    """A label added next to the class (e.g. churn risk) for customers matching every condition."""

    label: str = Field(min_length=1)


class RfmSettings(_Strict):
    cut: Literal["median", "mean", "quantile", "fixed"] = "median"
    quantile: float = Field(0.5, gt=0, lt=1)
    fixed: dict[Literal["recency_days", "frequency", "monetary"], float] = {}
    score_bins: int = Field(5, ge=2, le=10)
    overrides: list[ClassOverride] = []
    flags: list[RfmFlag] = []
    actions: dict[Literal[RFM_CLASSES], str] = {}  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _fixed_complete(self) -> "RfmSettings":
        if self.actions and set(self.actions) != set(RFM_CLASSES):
            raise ValueError(f"actions: give one for each class, missing {sorted(set(RFM_CLASSES) - set(self.actions))}")
        if self.cut == "fixed":
            missing = {"recency_days", "frequency", "monetary"} - set(self.fixed)
            if missing:
                raise ValueError(f"cut: fixed needs fixed.{', fixed.'.join(sorted(missing))}")
        return self


class ValueTierSettings(_Strict):
    weights: dict[Literal["monetary", "gross_profit"], float] = {"monetary": 0.5, "gross_profit": 0.5}
    high_top_share: float = Field(0.2, gt=0, lt=1)
    medium_top_share: float = Field(0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> "ValueTierSettings":
        if self.medium_top_share <= self.high_top_share:
            raise ValueError("medium_top_share must be above high_top_share")
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) <= 0:
            raise ValueError("weights must be non-negative and not all 0")
        return self


class BehaviourSettings(_Strict):
    active_max_days: int = Field(90, gt=0)
    churned_min_days: int = Field(180, gt=0)

    @model_validator(mode="after")
    def _order(self) -> "BehaviourSettings":
        if self.churned_min_days <= self.active_max_days:
            raise ValueError("churned_min_days must be above active_max_days")
        return self


class NeedsSettings(_Strict):
    personalised_min_custom_share: float = Field(0.2, ge=0, le=1)
    price_sensitive_min_discount: float = Field(0.05, ge=0, le=1)
    quality_min_premium_share: float = Field(0.5, ge=0, le=1)


class SatisfactionClassSettings(_Strict):
    satisfied_min_csat: float = Field(0.8, ge=0, le=1)
    unsatisfied_max_csat: float = Field(0.5, ge=0, le=1)
    unsatisfied_min_complaints: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _order(self) -> "SatisfactionClassSettings":
        if self.unsatisfied_max_csat >= self.satisfied_min_csat:
            raise ValueError("unsatisfied_max_csat must be below satisfied_min_csat")
        return self


class GradingSettings(_Strict):
    value_tier: ValueTierSettings = ValueTierSettings()
    behaviour: BehaviourSettings = BehaviourSettings()
    needs: NeedsSettings = NeedsSettings()
    satisfaction: SatisfactionClassSettings = SatisfactionClassSettings()


class ValueMatrixSettings(_Strict):
    cut: Literal["median", "mean", "quantile", "fixed"] = "median"
    quantile: float = Field(0.5, gt=0, lt=1)
    fixed: dict[Literal["clv", "gross_profit"], float] = {}

    @model_validator(mode="after")
    def _fixed_complete(self) -> "ValueMatrixSettings":
        if self.cut == "fixed" and set(self.fixed) != {"clv", "gross_profit"}:
            raise ValueError("cut: fixed needs fixed.clv and fixed.gross_profit")
        return self


#: Positive-support priors a CLV parameter may take (pymc_extras.prior.Prior names).
PRIOR_DISTRIBUTIONS = (
    "HalfFlat", "HalfNormal", "HalfStudentT", "HalfCauchy", "Gamma", "Weibull", "Exponential", "LogNormal",
)


class PriorSpec(_Strict):
    """``{dist: Weibull, alpha: 2, beta: 1}``: a distribution and its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)
    dist: Literal[PRIOR_DISTRIBUTIONS]  # type: ignore[valid-type]

    def kwargs(self) -> dict[str, float]:
        """The distribution's parameters."""
        extra = self.model_extra or {}
        bad = {k: v for k, v in extra.items() if not isinstance(v, (int, float))}
        if bad:
            raise ValueError(f"prior parameters must be numbers, got {bad}")
        return {k: float(v) for k, v in extra.items()}


_FLAT = PriorSpec(dist="HalfFlat")


class McmcSettings(_Strict):
    draws: int = Field(1000, ge=50)
    tune: int = Field(1000, ge=50)
    chains: int = Field(2, ge=1)
    target_accept: float = Field(0.9, gt=0, lt=1)


class ClvSettings(_Strict):
    time_unit: Literal["D", "W"] = "W"
    fit_method: Literal["map", "mcmc"] = "map"
    horizon_months: int = Field(12, ge=1, le=120)
    annual_discount_rate: float = Field(0.10, ge=0, lt=1)
    holdout_days: int = Field(182, ge=28)
    min_repeat_customers: int = Field(20, ge=3)
    seed: int = 42
    compile_cache: str = ".cache/pytensor"
    bgnbd_priors: dict[Literal["r", "alpha", "a", "b"], PriorSpec] = dict.fromkeys(("r", "alpha", "a", "b"), _FLAT)
    gamma_gamma_priors: dict[Literal["p", "q", "v"], PriorSpec] = dict.fromkeys(("p", "q", "v"), _FLAT)
    mcmc: McmcSettings = McmcSettings()

    @model_validator(mode="after")
    def _all_priors(self) -> "ClvSettings":
        for name, priors, needed in (("bgnbd_priors", self.bgnbd_priors, {"r", "alpha", "a", "b"}),
                                     ("gamma_gamma_priors", self.gamma_gamma_priors, {"p", "q", "v"})):
            if set(priors) != needed:
                raise ValueError(f"{name} needs exactly {', '.join(sorted(needed))}")
            for spec in priors.values():
                spec.kwargs()
        return self

    @property
    def monthly_discount_rate(self) -> float:
        """The annual rate as the equivalent monthly rate (PyMC-Marketing discounts monthly)."""
        return (1 + self.annual_discount_rate) ** (1 / 12) - 1


class Settings(_Strict):
    analysis: AnalysisSettings = AnalysisSettings()
    cleaning: CleaningSettings = CleaningSettings()
    satisfaction: SatisfactionSettings = SatisfactionSettings()
    rfm: RfmSettings = RfmSettings()
    gradings: GradingSettings = GradingSettings()
    value_matrix: ValueMatrixSettings = ValueMatrixSettings()
    clv: ClvSettings = ClvSettings()


# --------------------------------------------------------------------------- scorecard
#: The four-level scale of every scorecard factor (domain.md §4): 4 = best.
LEVELS = (1, 2, 3, 4)
#: The five classes of the scorecard, best first (core … small), then potential.
SCORECARD_CLASSES = ("core", "important", "ordinary", "small", "potential")


class Factor(_Strict):
    """One scorecard factor.

    A ``data`` factor is computed from ``column`` of the grading table with the
    three cut points in ``cuts`` (level 4 needs the first, level 3 the second,
    level 2 the third; ``higher_is_better: false`` reverses the comparisons).
    A ``manual`` factor is read from the consultant's input sheet.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    number: int = Field(ge=1)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    weight: float = Field(ge=0)
    source: Literal["data", "manual"]
    column: str | None = None
    cuts: list[float] | None = None
    higher_is_better: bool = True
    levels: dict[Literal[4, 3, 2, 1], str]  # what each level means, shown in the report and the sheet

    @model_validator(mode="after")
    def _data_rule(self) -> "Factor":
        if self.source == "data":
            if not self.column or not self.cuts or len(self.cuts) != 3:
                raise ValueError(f"factor {self.key!r}: a data factor needs column and three cuts")
            ordered = sorted(self.cuts, reverse=self.higher_is_better)
            if list(self.cuts) != ordered:
                direction = "descending" if self.higher_is_better else "ascending"
                raise ValueError(f"factor {self.key!r}: cuts must be {direction}, got {self.cuts}")
        elif self.column or self.cuts:
            raise ValueError(f"factor {self.key!r}: a manual factor takes no column or cuts")
        if set(self.levels) != set(LEVELS):
            raise ValueError(f"factor {self.key!r}: describe levels 4, 3, 2 and 1")
        return self


class PotentialRule(_Strict):
    """An ordinary or small customer is graded potential when any condition holds."""

    value_matrix: list[Literal["strategic", "high_potential", "basic", "inefficient"]] = ["high_potential"]
    factor_min: dict[str, int] = {}


class ScorecardClasses(_Strict):
    method: Literal["thresholds", "quota"] = "thresholds"
    thresholds: dict[Literal["core", "important", "ordinary"], float] = {"core": 85, "important": 65, "ordinary": 40}
    targets: dict[Literal["core", "important", "ordinary", "small"], float] = {
        "core": 0.01, "important": 0.19, "ordinary": 0.30, "small": 0.50,
    }
    pyramid_tolerance: float = Field(0.05, ge=0, le=1)
    potential: PotentialRule = PotentialRule()

    @model_validator(mode="after")
    def _order(self) -> "ScorecardClasses":
        t = self.thresholds
        if set(t) != {"core", "important", "ordinary"} or not (t["core"] > t["important"] > t["ordinary"]):
            raise ValueError("thresholds need core > important > ordinary (scores 0-100)")
        if set(self.targets) != {"core", "important", "ordinary", "small"} or abs(sum(self.targets.values()) - 1) > 1e-9:
            raise ValueError("targets need core, important, ordinary and small, adding up to 1")
        return self


class Scorecard(_Strict):
    currency: str = Field("CNY", min_length=3, max_length=3)
    min_coverage: float = Field(0.5, ge=0, le=1)
    classes: ScorecardClasses = ScorecardClasses()
    factors: list[Factor] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "Scorecard":
        keys = [f.key for f in self.factors]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"factor keys must be unique, repeated: {dupes}")
        if sum(f.weight for f in self.factors) <= 0:
            raise ValueError("factor weights add up to 0")
        unknown = [k for k in self.classes.potential.factor_min if k not in keys]
        if unknown:
            raise ValueError(f"classes.potential.factor_min: unknown factor(s) {unknown}")
        return self


def load_scorecard(config_dir: Path, filename: str = "scorecard.yaml") -> Scorecard:
    """Read and validate the scorecard factors, weights and class rules."""
    path = Path(config_dir) / filename
    return _validated(Scorecard, _read_yaml(path), path)  # type: ignore[return-value]


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
