"""Settings of stage 01: the ``cleaning`` section of ``config/settings.yaml`` (defaults are in the YAML)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
from pydantic import field_validator, model_validator

from helpers.core.config import Bounds, Strict
from helpers.core.schema import TABLES
from helpers.io.loaders import Plausible

__all__ = ["CleaningSettings", "DateRange", "PlausibleRanges"]

#: Number columns of any table (``amount`` is both the order line's and the payment's).
NUMBER_COLUMNS = sorted({c.name for table in TABLES.values() for c in table.values() if c.kind in ("number", "int")})


class DateRange(Strict):
    """First and last plausible date (inclusive)."""

    min: dt.date
    max: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is after max {self.max}")
        return self


class PlausibleRanges(Strict):
    """Ranges outside which a number or date is junk, not data (invalid, like an unparsable value)."""

    #: Canonical number column -> range, in the file's own units whatever the currency: a guard, not a rule.
    numbers: dict[str, Bounds]
    dates: DateRange

    @field_validator("numbers")
    @classmethod
    def _known_columns(cls, numbers: dict[str, Bounds]) -> dict[str, Bounds]:
        unknown = sorted(set(numbers) - set(NUMBER_COLUMNS))
        if unknown:
            raise ValueError(f"unknown number column(s) {unknown}; known: {', '.join(NUMBER_COLUMNS)}")
        return numbers

    def limits(self) -> Plausible:
        """The ranges as the loader takes them."""
        return Plausible(
            numbers={k: (b.min, b.max) for k, b in self.numbers.items()},
            dates=(pd.Timestamp(self.dates.min), pd.Timestamp(self.dates.max) + pd.Timedelta(days=1, microseconds=-1)),
        )


class CleaningSettings(Strict):
    """How raw rows are judged (domain §1)."""

    #: ``error``: stop at an unparsable value naming file, column, row and value; ``exclude``: ledger it.
    on_invalid_value: Literal["error", "exclude"]
    #: Exact duplicate order lines (an order synced twice) are excluded.
    drop_duplicate_lines: bool
    test_account_ids: list[str]
    #: In customer names, case-insensitive; Latin words match whole words only.
    test_account_name_patterns: list[str]
    #: A value outside these ranges is invalid (``on_invalid_value`` decides: stop or ledger it).
    plausible: PlausibleRanges
