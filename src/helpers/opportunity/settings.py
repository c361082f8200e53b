"""Settings of stage 05: the expert score's ``config/opportunity.yaml`` and the ``opportunity`` section of
``config/settings.yaml`` (every default is in the YAML files, none here).

Domain §6: company size 20, industry match 25, budget adequacy 30, decision-maker contact 25; tiers at 80 and 50.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from helpers.core.config import Strict, load_model, require_keys

__all__ = [
    "FACTORS",
    "GROWTH_ACTIONS",
    "OPPORTUNITY_FILE",
    "TIERS",
    "BudgetBand",
    "BudgetFactor",
    "IndustryFactor",
    "LevelFactor",
    "OpportunityFactors",
    "OpportunityScore",
    "OpportunitySettings",
    "GrowthSettings",
    "HistoryCheckSettings",
    "Tiers",
    "load_opportunity_score",
]

#: The score's file in the config folder.
OPPORTUNITY_FILE = "opportunity.yaml"
#: The factors, in the order reports list them.
FACTORS = ("company_size", "industry_match", "budget", "decision_maker")
#: The tiers, best first: 优先跟进, 重点培育, 长期观察.
TIERS = ("priority", "nurture", "watch")

Share = Field(ge=0, le=1)


def _key(text: object) -> str:
    """How level names are matched: case and spaces ignored."""
    return "".join(str(text).split()).casefold()


def _as_written(table: dict[str, float], value: object) -> float | None:
    """The entry of ``table`` whose name is ``value`` as the client writes it, None when not listed."""
    wanted = _key(value)
    return next((amount for name, amount in table.items() if _key(name) == wanted), None)


class LevelFactor(Strict):
    """A factor read from a text column: each written value -> a share of the factor's points."""

    weight: float = Field(gt=0)
    levels: dict[str, float] = Field(min_length=1)

    @model_validator(mode="after")
    def _shares(self) -> LevelFactor:
        bad = {k: v for k, v in self.levels.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"levels: each share of the points is 0–1, got {bad}")
        keys = [_key(k) for k in self.levels]
        if len(set(keys)) != len(keys):
            raise ValueError("levels: two names differ only in case or spaces")
        return self

    def share(self, value: object) -> float | None:
        """The share of the points for a written value, None when the value is not listed."""
        return _as_written(self.levels, value)


class IndustryFactor(Strict):
    """Industry match: a target industry gets every point, another of a target's sector ``same_sector``."""

    weight: float = Field(gt=0)
    target_industries: list[str] = Field(min_length=1)
    same_sector: float = Share
    other: float = Share


class BudgetBand(Strict):
    """A budget ratio at least ``ratio`` earns ``points`` (a share of the factor's points)."""

    ratio: float = Field(ge=0)
    points: float = Share


class BudgetFactor(Strict):
    """Budget adequacy: the budget against the deal value, or against the typical budget of the lead's size."""

    weight: float = Field(gt=0)
    typical_budget: dict[str, float] = {}
    bands: list[BudgetBand] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> BudgetFactor:
        ratios = [b.ratio for b in self.bands]
        if ratios != sorted(ratios, reverse=True) or len(set(ratios)) != len(ratios):
            raise ValueError(f"bands: ratios from the highest down, each once; got {ratios}")
        points = [b.points for b in self.bands]
        if points != sorted(points, reverse=True):
            raise ValueError(f"bands: a higher ratio may not earn fewer points; got {points}")
        if ratios[-1] != 0:
            raise ValueError("bands: the last band starts at ratio 0, so every budget gets a band")
        if any(v <= 0 for v in self.typical_budget.values()):
            raise ValueError("typical_budget: amounts above 0")
        return self

    def typical(self, size: object) -> float | None:
        """The typical budget of a size band as written, None when not listed."""
        return _as_written(self.typical_budget, size)


class OpportunityFactors(Strict):
    company_size: LevelFactor
    industry_match: IndustryFactor
    budget: BudgetFactor
    decision_maker: LevelFactor


class Tiers(Strict):
    """Lowest score of each tier (the rest: long-term watch)."""

    priority: float = Field(gt=0, le=100)
    nurture: float = Field(gt=0, le=100)

    @model_validator(mode="after")
    def _order(self) -> Tiers:
        if self.nurture >= self.priority:
            raise ValueError(f"nurture ({self.nurture}) must be below priority ({self.priority})")
        return self


class OpportunityScore(Strict):
    """``config/opportunity.yaml``: the factors, their weights and scales, and the tiers."""

    currency: str = Field(min_length=3, max_length=3)
    factors: OpportunityFactors
    tiers: Tiers

    def weights(self) -> dict[str, float]:
        """Factor -> weight, in :data:`FACTORS` order."""
        return {name: getattr(self.factors, name).weight for name in FACTORS}


class HistoryCheckSettings(Strict):
    """How the expert score is checked against won/lost history."""

    test_share: float = Field(gt=0, lt=1, description="the latest share of the closed deals held out as the test")
    min_deals: int = Field(ge=5, description="fewest wins and losses each of the training and test deals need")
    min_auc: float = Field(ge=0.5, le=1, description="the fitted model's lowest test AUC to give win probabilities")
    seed: int


#: The growth actions, in the order a customer is given the first that applies.
GROWTH_ACTIONS = ("retain_first", "cross_sell", "wallet", "rising", "maintain")


class GrowthSettings(Strict):
    """Growth among existing customers: co-purchase, share of wallet, trend (:mod:`helpers.opportunity.growth`)."""

    window_days: int = Field(ge=30, description="the look-back window up to the as-of date")
    min_buyers: int = Field(ge=2, description="fewest buyers an item needs to suggest others or be suggested")
    max_items: int = Field(ge=2, description="the items with the most buyers used (products can run to thousands)")
    suggestions: int = Field(ge=1, le=10, description="suggestions kept per customer")
    min_propensity: float = Field(gt=0, le=1, description="the least share of similar buyers a suggestion needs")
    rising: float = Field(gt=0, description="spend growth of the window's later half over its earlier half")
    falling: float = Field(gt=0, le=1, description="spend fall of the later half that means retain first")
    low_wallet_share: float = Field(gt=0, le=1, description="a share of wallet below this asks for more of it")
    actions: dict[Literal["retain_first", "cross_sell", "wallet", "rising", "maintain"], str]

    @model_validator(mode="after")
    def _every_action(self) -> GrowthSettings:
        require_keys(self.actions, GROWTH_ACTIONS, "actions")
        return self


class OpportunitySettings(Strict):
    """The ``opportunity`` section of ``settings.yaml``."""

    check: HistoryCheckSettings
    actions: dict[Literal["priority", "nurture", "watch"], str]
    growth: GrowthSettings

    @model_validator(mode="after")
    def _every_tier_has_an_action(self) -> OpportunitySettings:
        require_keys(self.actions, TIERS, "actions")
        return self


def load_opportunity_score(config_dir: Path) -> OpportunityScore:
    """Read and validate ``config_dir/opportunity.yaml``."""
    return load_model(OpportunityScore, Path(config_dir) / OPPORTUNITY_FILE)
