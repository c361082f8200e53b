"""Reporting periods: a month (``2011-11``), a quarter (``2011Q4``) or a year (``2011``).

The as-of date of a period is its last day; everything "as of the period" is
computed from data up to and including that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from helpers.core.errors import PeriodError

__all__ = ["latest_period", "parse_period", "parse_periods", "Period", "PeriodKind"]

PeriodKind = Literal["month", "quarter", "year"]

_PATTERNS: list[tuple[PeriodKind, re.Pattern[str]]] = [
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})[Qq]([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
]
_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class Period:
    """One reporting period.

    Attributes
    ----------
    label
        Canonical label: ``2011-11``, ``2011Q4`` or ``2011``.
    kind
        ``month``, ``quarter`` or ``year``.
    start
        First day, at midnight.
    end
        Last day, at midnight (the as-of date).
    """

    label: str
    kind: PeriodKind
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def as_of(self) -> pd.Timestamp:
        """The as-of date: the period's last day."""
        return self.end

    @property
    def end_exclusive(self) -> pd.Timestamp:
        """Midnight after the last day; data with ``date < end_exclusive`` belong to the period or before."""
        return self.end + pd.Timedelta(days=1)

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask of the timestamps that fall within the period (any time of day)."""
        return (dates >= self.start) & (dates < self.end_exclusive)

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (negative: earlier), of the same kind."""
        p = pd.Period(self.start, freq=_FREQ[self.kind]) + n
        return _from_pandas(p, self.kind)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return self.shift(-1)

    def trailing(self, n: int) -> list[Period]:
        """The last ``n`` periods of this kind, oldest first, ending with this one."""
        return [self.shift(k) for k in range(-(n - 1), 1)]

    def __str__(self) -> str:
        return self.label


def _label(p: pd.Period, kind: PeriodKind) -> str:
    if kind == "month":
        return f"{p.year:04d}-{p.month:02d}"
    if kind == "quarter":
        return f"{p.year:04d}Q{p.quarter}"
    return f"{p.year:04d}"


def _from_pandas(p: pd.Period, kind: PeriodKind) -> Period:
    return Period(
        label=_label(p, kind),
        kind=kind,
        start=p.start_time.normalize(),
        end=p.end_time.normalize(),
    )


def parse_period(text: str) -> Period:
    """Parse a period label.

    Parameters
    ----------
    text
        ``YYYY-MM`` (month), ``YYYYQn`` (quarter) or ``YYYY`` (year).

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        When the label matches none of the forms or names an impossible month.
    """
    s = str(text).strip()
    for kind, pattern in _PATTERNS:
        m = pattern.match(s)
        if not m:
            continue
        year = int(m.group(1))
        if kind == "month":
            month = int(m.group(2))
            if not 1 <= month <= 12:
                break
            p = pd.Period(year=year, month=month, freq="M")
        elif kind == "quarter":
            p = pd.Period(year=year, quarter=int(m.group(2)), freq="Q")
        else:
            p = pd.Period(year=year, freq="Y")
        if not 1900 <= year <= 2200:
            break
        return _from_pandas(p, kind)
    raise PeriodError(f"invalid period {text!r}: use a month like 2011-11, a quarter like 2011Q4 or a year like 2011")


def latest_period(dates: pd.Series, kind: PeriodKind = "month") -> Period:
    """The period of the given kind that holds the latest date in ``dates``."""
    last = pd.Timestamp(dates.max())
    if pd.isna(last):
        raise PeriodError("the data hold no dated orders, so no period can be chosen")
    return _from_pandas(pd.Period(last, freq=_FREQ[kind]), kind)


def parse_periods(text: str) -> list[Period]:
    """Several periods: a range ``2011-01..2011-12`` (both ends included) or a list ``2011-10,2011-11``.

    Raises
    ------
    PeriodError
        A bad label, a range whose ends are of different kinds or in the wrong order, or nothing given.
    """
    text = str(text).strip()
    if ".." in text:
        first, _, last = text.partition("..")
        start, end = parse_period(first), parse_period(last)
        if start.kind != end.kind:
            raise PeriodError(f"the range {text!r} mixes a {start.kind} and a {end.kind}: use two of one kind")
        if end.start < start.start:
            raise PeriodError(f"the range {text!r} ends before it starts")
        periods = [start]
        while periods[-1].label != end.label:
            periods.append(periods[-1].shift(1))
        return periods
    periods = [parse_period(item) for item in text.split(",") if item.strip()]
    if not periods:
        raise PeriodError("no period given: use a range 2011-01..2011-12 or a list 2011-10,2011-11")
    return list({p.label: p for p in periods}.values())
