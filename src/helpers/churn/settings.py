"""Settings of stage 04: the ``churn`` section of ``config/settings.yaml`` (every default is in the YAML).

The churn horizon itself is shared (``analysis.churn_horizon_days``): stage 02's KPI churn rate uses the same
definition as the label the models learn.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from helpers.core.config import Strict

__all__ = ["RISK_BANDS", "ChurnSettings", "EarlyWarningSettings", "ModelSettings", "RiskBands"]

#: The risk bands, highest first.
RISK_BANDS = ("high", "medium", "low")


class RiskBands(Strict):
    """Lowest churn probability of each band (``high`` ≥ 0.7 is the domain's list for account managers)."""

    high: float = Field(gt=0, le=1)
    medium: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> RiskBands:
        if self.medium >= self.high:
            raise ValueError(f"medium ({self.medium}) must be below high ({self.high})")
        return self


class EarlyWarningSettings(Strict):
    """The early-warning rules of domain §5; a rule set to ``null`` is off."""

    activity_drop: float | None = Field(
        gt=0, lt=1, description="orders (or interactions) this period down by at least this share vs the previous"
    )
    silent_months: int | None = Field(gt=0, description="no order in this many calendar months up to the as-of date")
    complaints_window_days: int | None = Field(
        gt=0, description="complaints in the last this-many days above those of the same span before"
    )


class ModelSettings(Strict):
    """How the models are trained, checked and chosen."""

    training_windows: int = Field(ge=1, le=12, description="cut-offs stacked to train on, one horizon apart")
    min_class_customers: int = Field(ge=5, description="fewest churners and non-churners a window needs")
    min_auc: float = Field(gt=0.5, lt=1, description="an out-of-time AUC below this fails the model")
    prefer_simple_within: float = Field(ge=0, lt=0.5, description="AUC margin the challenger must beat")
    tree_max_depth: int = Field(ge=1, le=6)
    tree_min_leaf_share: float = Field(gt=0, lt=0.5)
    calibration: Literal["auto", "isotonic", "sigmoid"]
    isotonic_min_rows: int = Field(ge=100, description="with auto: isotonic from this many training rows")
    calibration_folds: int = Field(ge=2, le=10)
    holdout_share: float = Field(
        gt=0, lt=1, description="recorded churn: the share of labelled customers held out as the test (stratified)"
    )
    seed: int

    @model_validator(mode="after")
    def _folds_fit_the_smallest_class(self) -> ModelSettings:
        if self.calibration_folds > self.min_class_customers:
            raise ValueError(
                f"calibration_folds ({self.calibration_folds}) may not exceed min_class_customers "
                f"({self.min_class_customers}): every fold needs churners and customers who stayed"
            )
        return self


class ChurnSettings(Strict):
    """The ``churn`` section: everything stage 04 reads from ``settings.yaml``."""

    trend_months: int = Field(ge=1, le=12, description="the recent span of the trend features, in months")
    risk_bands: RiskBands
    top_reasons: int = Field(ge=1, le=10)
    early_warning: EarlyWarningSettings
    model: ModelSettings
    actions: dict[Literal["high", "medium", "low"], str]

    @model_validator(mode="after")
    def _every_band_has_an_action(self) -> ChurnSettings:
        missing = [b for b in RISK_BANDS if b not in self.actions]
        if missing:
            raise ValueError(f"actions: give one for every risk band; missing {', '.join(missing)}")
        return self
