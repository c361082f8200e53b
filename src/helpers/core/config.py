"""Validated configuration: how every YAML file under ``config/`` is read.

Everything an analyst may change per client lives in ``config/`` as YAML and is
validated by a pydantic model, so a typo fails at once naming the file and the
key instead of silently falling back to a default.

**Every default stands in one place: the shipped YAML files.** The models here
and in each stage's ``settings`` module carry no defaults of their own (a test
keeps it so), and the functions that take a setting take it as an argument.
The settings file has one section per stage (its declaration names it) plus
:class:`AnalysisSettings`, shared by every stage; the whole model is assembled
from the stage declarations by :func:`helpers.pipeline.registry.settings_model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from helpers.core.errors import ConfigError

__all__ = [
    "require_keys",
    "AnalysisSettings",
    "ReportSettings",
    "Bounds",
    "Strict",
    "canonical",
    "load_model",
    "read_yaml",
    "validated",
]

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AnalysisSettings(Strict):
    """The ``analysis`` section: what every stage that looks at customers shares."""

    lookback_days: int = Field(gt=0, description="look-back window of the customer indicators, in days")
    churn_horizon_days: int = Field(
        ge=7, le=730, description="churned = no order within this many days after a date (label and KPI)"
    )


class ReportSettings(Strict):
    """The ``reports`` section: how every stage's report shows data."""

    max_text_chars: int = Field(
        ge=20, description="longest text a report shows in a table cell or note; longer text ends in '…'"
    )
    language: Literal["zh", "en", "both"] = Field(
        description="the language of headings, labels, charts, workbooks and the index: zh, en or both"
    )
    audience: Literal["client", "internal"] = Field(
        description=(
            "client: no settings keys, file paths, fingerprints or model tables; internal: adds the method details, "
            "the model tables and the tables written for later stages"
        )
    )


class Bounds(Strict):
    """An inclusive range; either end may be open (``{min: 10}``, ``{max: 30}``)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


def read_yaml(path: Path) -> object:
    """The parsed content of a YAML file, or a :class:`ConfigError` naming the file."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def validated(model: type[M], data: object, path: Path | str) -> M:
    """``model.model_validate(data)``; errors name the file and every bad key path.

    Raises
    ------
    ConfigError
        ``"<path>: rfm.cut: Input should be 'median', 'mean', ...; clv: Field required"``.
    """
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def load_model(model: type[M], path: Path) -> M:
    """Read a YAML file and validate it against ``model``."""
    return validated(model, read_yaml(path), path)


def canonical(model: BaseModel) -> dict[str, Any]:
    """A model as plain JSON-able data (for hashing and for the manifest)."""
    return model.model_dump(mode="json")


def require_keys(given: Mapping[str, object], keys: Sequence[str], field: str) -> None:
    """Raise the error naming the keys of ``keys`` that ``given`` (the settings field ``field``) lacks."""
    missing = [k for k in keys if k not in given]
    if missing:
        raise ValueError(f"{field}: give one for each of {', '.join(keys)}; missing {', '.join(missing)}")
