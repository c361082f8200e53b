"""Settings of stage 06: the ``grading_report`` section of ``config/settings.yaml`` (every default is there, none here).

Domain §4 (the five classes) and §7 (differentiated actions and a contact plan per class; warnings that reach the
people who must act).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from helpers.core.config import Strict, require_keys
from helpers.grading_report.alerts import ALERT_KINDS

__all__ = ["CLASSES", "AlertSettings", "ContactPlan", "GradingReportSettings", "MailSettings", "SmtpSettings"]

#: The final classes (domain §4), best first; ``potential`` is off the ladder.
CLASSES = ("core", "important", "ordinary", "small", "potential")


class ContactPlan(Strict):
    """What a class gets: the action, who contacts them, how often, through which channel."""

    action: str = Field(min_length=1)
    contact: str = Field(min_length=1)
    frequency: str = Field(min_length=1)
    channel: str = Field(min_length=1)


class AlertSettings(Strict):
    """Which alerts fire and what each asks for."""

    key_classes: list[Literal["core", "important", "ordinary", "small", "potential"]] = Field(min_length=1)
    shrink_share: float = Field(gt=0, lt=1, description="a class with this share fewer customers is an alert")
    actions: dict[Literal["churn_high", "downgraded", "early_warning", "class_shrank"], str]

    @model_validator(mode="after")
    def _every_kind(self) -> AlertSettings:
        require_keys(self.actions, ALERT_KINDS, "actions")
        return self


class SmtpSettings(Strict):
    """Where digests are sent. Credentials are never here: only the names of the environment variables."""

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    starttls: bool
    username_env: str | None = Field(description="the variable holding the user name (null: no login)")
    password_env: str | None = Field(description="the variable holding the password")


class MailSettings(Strict):
    """The alert digests: who sends, the subject and opening line, and who receives whose alerts."""

    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    subject: str = Field(min_length=1, description="may hold {period}, {owner} and {alerts}")
    intro: str = Field(min_length=1, description="may hold {period}, {owner} and {alerts}")
    recipients: dict[str, list[str]] = Field(description="owner as the data name them -> addresses")
    everyone: list[str] = Field(description="alerts with no owner, or an owner not listed, go here")
    rows_per_kind: int = Field(ge=1, description="alerts listed per kind in a digest; the rest are counted")
    more: str = Field(min_length=1, description="the line under a cut list; {more}: how many are not listed")
    smtp: SmtpSettings | None = Field(description="null: the digests are written, not sent")


class GradingReportSettings(Strict):
    """The ``grading_report`` section of ``settings.yaml``."""

    plans: dict[Literal["core", "important", "ordinary", "small", "potential"], ContactPlan]
    kpis: list[str] = Field(min_length=1, description="stage 02's KPIs shown in the panel, in order")
    history_periods: int = Field(
        ge=1,
        le=24,
        description="earlier periods read from data/processed/: the previous one for migration, all for the CLV trend",
    )
    alerts: AlertSettings
    mail: MailSettings

    @model_validator(mode="after")
    def _every_class_has_a_plan(self) -> GradingReportSettings:
        from helpers.indicators.kpis import KPI_DESCRIPTIONS

        require_keys(self.plans, CLASSES, "plans")
        unknown = [k for k in self.kpis if k not in KPI_DESCRIPTIONS]
        if unknown:
            raise ValueError(f"kpis: unknown KPI(s) {', '.join(unknown)}; known: {', '.join(KPI_DESCRIPTIONS)}")
        return self
