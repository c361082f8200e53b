"""Settings of stage 03: the ``segmentation`` section of ``config/settings.yaml`` and ``config/scorecard.yaml``.

RFM cut, overrides, flags and actions (domain §3); the other gradings; the value
matrix; the CLV model; and the multi-factor scorecard (domain §4). Every
default is in the YAML files, none here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from helpers.core.config import Bounds, Strict, load_model

__all__ = [
    "LEVELS",
    "MONEY_RULE_COLUMNS",
    "PRIOR_DISTRIBUTIONS",
    "RFM_CLASSES",
    "RULE_COLUMNS",
    "SCORECARD_CLASSES",
    "SCORECARD_FILE",
    "CLV_MODELS",
    "BehaviourSettings",
    "ClassOverride",
    "ClvFallbackSettings",
    "ClvSettings",
    "ClvVerdictSettings",
    "Factor",
    "GradingSettings",
    "McmcSettings",
    "NeedsSettings",
    "PotentialRule",
    "PriorSpec",
    "RfmFlag",
    "RfmSettings",
    "SatisfactionClassSettings",
    "Scorecard",
    "ScorecardClasses",
    "SegmentationSettings",
    "ValueMatrixSettings",
    "ValueTierSettings",
    "load_scorecard",
]

#: The scorecard's file in the config folder.
SCORECARD_FILE = "scorecard.yaml"

# Indicator columns a rule may test (see helpers.indicators.customer.INDICATOR_COLUMNS); kept literal here so
# loading the settings does not import the indicator code.
RULE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "returns_amount",
    "avg_order_value",
    "gross_profit",
    "margin_rate",
    "distinct_products",
    "distinct_categories",
    "interactions",
    "interaction_rate",
    "tickets",
    "complaints",
    "avg_response_hours",
    "csat",
    "nps_score",
    "tenure_days",
    "avg_days_late",
    "overdue_amount",
)
#: The rule columns that hold an amount of money: their bounds are in the rules' currency.
MONEY_RULE_COLUMNS = ("monetary", "returns_amount", "avg_order_value", "gross_profit", "overdue_amount")
#: The eight RFM classes (domain.md §3), by key.
RFM_CLASSES = (
    "important_value",
    "important_retain",
    "important_develop",
    "important_win_back",
    "general_value",
    "general_retain",
    "general_develop",
    "general_win_back",
)


class _Rule(Strict):
    name: str = Field(min_length=1)
    when: dict[str, Bounds] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_columns(self) -> _Rule:
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


class RfmSettings(Strict):
    currency: str = Field(min_length=3, max_length=3)  # of the amounts in `fixed` and in the rules
    cut: Literal["median", "mean", "quantile", "fixed"]
    quantile: float = Field(gt=0, lt=1)
    fixed: dict[Literal["recency_days", "frequency", "monetary"], float]
    score_bins: int = Field(ge=2, le=10)
    overrides: list[ClassOverride]
    flags: list[RfmFlag]
    actions: dict[Literal[RFM_CLASSES], str]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _fixed_complete(self) -> RfmSettings:
        if self.actions and set(self.actions) != set(RFM_CLASSES):
            raise ValueError(
                f"actions: give one for each class, missing {sorted(set(RFM_CLASSES) - set(self.actions))}"
            )
        if self.cut == "fixed":
            missing = {"recency_days", "frequency", "monetary"} - set(self.fixed)
            if missing:
                raise ValueError(f"cut: fixed needs fixed.{', fixed.'.join(sorted(missing))}")
        return self


class ValueTierSettings(Strict):
    weights: dict[Literal["monetary", "gross_profit"], float]
    high_top_share: float = Field(gt=0, lt=1)
    medium_top_share: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> ValueTierSettings:
        if self.medium_top_share <= self.high_top_share:
            raise ValueError("medium_top_share must be above high_top_share")
        if any(w < 0 for w in self.weights.values()) or sum(self.weights.values()) <= 0:
            raise ValueError("weights must be non-negative and not all 0")
        return self


class BehaviourSettings(Strict):
    active_max_days: int = Field(gt=0)
    churned_min_days: int = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> BehaviourSettings:
        if self.churned_min_days <= self.active_max_days:
            raise ValueError("churned_min_days must be above active_max_days")
        return self


class NeedsSettings(Strict):
    personalised_min_custom_share: float = Field(ge=0, le=1)
    price_sensitive_min_discount: float = Field(ge=0, le=1)
    quality_min_premium_share: float = Field(ge=0, le=1)


class SatisfactionClassSettings(Strict):
    satisfied_min_csat: float = Field(ge=0, le=1)
    unsatisfied_max_csat: float = Field(ge=0, le=1)
    unsatisfied_min_complaints: int = Field(ge=1)

    @model_validator(mode="after")
    def _order(self) -> SatisfactionClassSettings:
        if self.unsatisfied_max_csat >= self.satisfied_min_csat:
            raise ValueError("unsatisfied_max_csat must be below satisfied_min_csat")
        return self


class GradingSettings(Strict):
    value_tier: ValueTierSettings
    behaviour: BehaviourSettings
    needs: NeedsSettings
    satisfaction: SatisfactionClassSettings


class ValueMatrixSettings(Strict):
    cut: Literal["median", "mean", "quantile", "fixed"]
    quantile: float = Field(gt=0, lt=1)
    fixed: dict[Literal["clv", "gross_profit"], float]

    @model_validator(mode="after")
    def _fixed_complete(self) -> ValueMatrixSettings:
        if self.cut == "fixed" and set(self.fixed) != {"clv", "gross_profit"}:
            raise ValueError("cut: fixed needs fixed.clv and fixed.gross_profit")
        return self


#: Positive-support priors a CLV parameter may take (pymc_extras.prior.Prior names).
PRIOR_DISTRIBUTIONS = (
    "HalfFlat",
    "HalfNormal",
    "HalfStudentT",
    "HalfCauchy",
    "Gamma",
    "Weibull",
    "Exponential",
    "LogNormal",
)


class PriorSpec(Strict):
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


class McmcSettings(Strict):
    draws: int = Field(ge=50)
    tune: int = Field(ge=50)
    chains: int = Field(ge=1)
    target_accept: float = Field(gt=0, lt=1)


#: The purchase models PyMC-Marketing offers for non-contractual data -> their parameters.
CLV_MODELS: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "modified_bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
}


class ReliableThresholds(Strict):
    max_total_error_pct: float = Field(gt=0)
    min_correlation: float = Field(ge=-1, le=1)


class RankingThresholds(Strict):
    min_correlation: float = Field(ge=-1, le=1)


class ClvVerdictSettings(Strict):
    """When the chosen purchase model is reliable, usable for ranking only, or not reliable."""

    reliable: ReliableThresholds
    ranking_only: RankingThresholds
    degenerate_p_alive: float = Field(gt=0, lt=1)
    degenerate_share: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> ClvVerdictSettings:
        if self.ranking_only.min_correlation > self.reliable.min_correlation:
            raise ValueError("ranking_only.min_correlation must not be above reliable.min_correlation")
        return self


class ClvFallbackSettings(Strict):
    """The future-value rule used instead of CLV when the model is not reliable: spend x recency weight."""

    recency_weights: dict[Literal["active", "dormant", "churned"], float]

    @model_validator(mode="after")
    def _complete(self) -> ClvFallbackSettings:
        if set(self.recency_weights) != {"active", "dormant", "churned"}:
            raise ValueError("recency_weights needs active, dormant and churned")
        if any(w < 0 for w in self.recency_weights.values()):
            raise ValueError("recency_weights must not be negative")
        return self


class ClvSettings(Strict):
    time_unit: Literal["D", "W"]
    fit_method: Literal["map", "mcmc"]
    horizon_months: int = Field(ge=1, le=120)
    annual_discount_rate: float = Field(ge=0, lt=1)
    holdout_days: int = Field(ge=28)
    min_repeat_customers: int = Field(ge=3)
    seed: int
    compile_cache: str
    candidates: list[Literal[tuple(CLV_MODELS)]] = Field(min_length=1)  # type: ignore[valid-type]
    purchase_priors: dict[Literal[tuple(CLV_MODELS)], dict[str, PriorSpec]]  # type: ignore[valid-type]
    gamma_gamma_priors: dict[Literal["p", "q", "v"], PriorSpec]
    mcmc: McmcSettings
    verdict: ClvVerdictSettings
    fallback: ClvFallbackSettings

    @model_validator(mode="after")
    def _all_priors(self) -> ClvSettings:
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("candidates: name each model once")
        missing = [m for m in self.candidates if m not in self.purchase_priors]
        if missing:
            raise ValueError(f"purchase_priors: give the priors of {', '.join(missing)}")
        needs = [(f"purchase_priors.{m}", p, set(CLV_MODELS[m])) for m, p in self.purchase_priors.items()]
        for name, priors, needed in (*needs, ("gamma_gamma_priors", self.gamma_gamma_priors, {"p", "q", "v"})):
            if set(priors) != needed:
                raise ValueError(f"{name} needs exactly {', '.join(sorted(needed))}")
            for spec in priors.values():
                spec.kwargs()
        return self

    @property
    def monthly_discount_rate(self) -> float:
        """The annual rate as the equivalent monthly rate (PyMC-Marketing discounts monthly)."""
        return (1 + self.annual_discount_rate) ** (1 / 12) - 1


class SegmentationSettings(Strict):
    """The ``segmentation`` section: everything stage 03 reads from ``settings.yaml``."""

    rfm: RfmSettings
    gradings: GradingSettings
    value_matrix: ValueMatrixSettings
    clv: ClvSettings


# --------------------------------------------------------------------------- scorecard
#: The four-level scale of every scorecard factor (domain.md §4): 4 = best.
LEVELS = (1, 2, 3, 4)
#: The five classes of the scorecard, best first (core … small), then potential.
SCORECARD_CLASSES = ("core", "important", "ordinary", "small", "potential")


class Factor(Strict):
    """One scorecard factor.

    A ``data`` factor is computed from ``column`` of the grading table with the
    three cut points in ``cuts`` (level 4 needs the first, level 3 the second,
    level 2 the third) and says which way is better (``higher_is_better``: true
    for sales, false for days late). A ``manual`` factor is read from the
    consultant's input sheet and takes none of these three.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    number: int = Field(ge=1)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    weight: float = Field(ge=0)
    source: Literal["data", "manual"]
    column: str | None = None
    cuts: list[float] | None = None
    higher_is_better: bool | None = None
    money: bool = False  # the cuts are amounts in the scorecard's currency
    levels: dict[Literal[4, 3, 2, 1], str]  # what each level means, shown in the report and the sheet

    @model_validator(mode="after")
    def _data_rule(self) -> Factor:
        if self.source == "data":
            if not self.column or not self.cuts or len(self.cuts) != 3 or self.higher_is_better is None:
                raise ValueError(f"factor {self.key!r}: a data factor needs column, three cuts and higher_is_better")
            ordered = sorted(self.cuts, reverse=self.higher_is_better)
            if list(self.cuts) != ordered:
                direction = "descending" if self.higher_is_better else "ascending"
                raise ValueError(f"factor {self.key!r}: cuts must be {direction}, got {self.cuts}")
        elif self.column or self.cuts or self.higher_is_better is not None or self.money:
            raise ValueError(f"factor {self.key!r}: a manual factor takes no column, cuts, higher_is_better or money")
        if set(self.levels) != set(LEVELS):
            raise ValueError(f"factor {self.key!r}: describe levels 4, 3, 2 and 1")
        return self


class PotentialRule(Strict):
    """An ordinary or small customer is graded potential when any condition holds."""

    value_matrix: list[Literal["strategic", "high_potential", "basic", "inefficient"]]
    factor_min: dict[str, int]


class ScorecardClasses(Strict):
    method: Literal["thresholds", "quota"]
    thresholds: dict[Literal["core", "important", "ordinary"], float]
    targets: dict[Literal["core", "important", "ordinary", "small"], float]
    pyramid_tolerance: float = Field(ge=0, le=1)
    potential: PotentialRule

    @model_validator(mode="after")
    def _order(self) -> ScorecardClasses:
        t = self.thresholds
        if set(t) != {"core", "important", "ordinary"} or not (t["core"] > t["important"] > t["ordinary"]):
            raise ValueError("thresholds need core > important > ordinary (scores 0-100)")
        if (
            set(self.targets) != {"core", "important", "ordinary", "small"}
            or abs(sum(self.targets.values()) - 1) > 1e-9
        ):
            raise ValueError("targets need core, important, ordinary and small, adding up to 1")
        return self


class Scorecard(Strict):
    currency: str = Field(min_length=3, max_length=3)
    money_cuts: Literal["amounts", "percentiles"]
    money_fallback: Literal["percentiles", "not_comparable"]
    money_percentiles: list[float] = Field(min_length=3, max_length=3)
    min_coverage: float = Field(ge=0, le=1)
    classes: ScorecardClasses
    factors: list[Factor] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Scorecard:
        keys = [f.key for f in self.factors]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"factor keys must be unique, repeated: {dupes}")
        p = self.money_percentiles
        if not all(0 < v < 1 for v in p) or sorted(p, reverse=True) != p or len(set(p)) < 3:
            raise ValueError(f"money_percentiles must be three descending shares between 0 and 1, got {p}")
        if sum(f.weight for f in self.factors) <= 0:
            raise ValueError("factor weights add up to 0")
        unknown = [k for k in self.classes.potential.factor_min if k not in keys]
        if unknown:
            raise ValueError(f"classes.potential.factor_min: unknown factor(s) {unknown}")
        return self


def load_scorecard(config_dir: Path) -> Scorecard:
    """Read and validate ``config_dir/scorecard.yaml``: the factors, weights and class rules."""
    return load_model(Scorecard, Path(config_dir) / SCORECARD_FILE)
