"""Settings of stage 02: the ``indicators`` section of ``config/settings.yaml`` (defaults are in the YAML)."""

from __future__ import annotations

from pydantic import Field, model_validator

from helpers.core.config import Strict

__all__ = ["IndicatorSettings"]


class IndicatorSettings(Strict):
    """The KPI trend and the satisfaction thresholds of the indicators (domain §2)."""

    trend_periods: int = Field(gt=0, description="periods shown in the KPI trend, this one included")
    csat_satisfied_min: int = Field(ge=1, le=5, description="CSAT: lowest 1-5 rating that counts as satisfied")
    nps_promoter_min: int = Field(ge=0, le=10, description="NPS promoters: this answer or higher")
    nps_detractor_max: int = Field(ge=0, le=10, description="NPS detractors: this answer or lower")

    @model_validator(mode="after")
    def _nps_order(self) -> IndicatorSettings:
        if self.nps_detractor_max >= self.nps_promoter_min:
            raise ValueError("nps_detractor_max must be below nps_promoter_min")
        return self

    def satisfaction(self) -> dict[str, int]:
        """The three satisfaction thresholds as keyword arguments of the indicator and KPI functions."""
        return {
            "csat_satisfied_min": self.csat_satisfied_min,
            "nps_promoter_min": self.nps_promoter_min,
            "nps_detractor_max": self.nps_detractor_max,
        }
