import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.core.errors import PeriodError
from helpers.core.periods import latest_period, parse_period


@pytest.mark.parametrize(
    "label, kind, start, end",
    [
        ("2011-11", "month", "2011-11-01", "2011-11-30"),
        ("2012-02", "month", "2012-02-01", "2012-02-29"),
        ("2011Q4", "quarter", "2011-10-01", "2011-12-31"),
        ("2011q1", "quarter", "2011-01-01", "2011-03-31"),
        ("2011", "year", "2011-01-01", "2011-12-31"),
    ],
)
def test_parse_period(label, kind, start, end):
    p = parse_period(label)
    assert (p.kind, p.start, p.end, p.as_of) == (kind, pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(end))


@pytest.mark.parametrize("bad", ["2011-13", "2011-00", "2011Q5", "11-2011", "", "2011-1", "Nov 2011", "2011-11-30"])
def test_invalid_period_names_the_forms(bad):
    with pytest.raises(PeriodError, match="2011Q4"):
        parse_period(bad)


def test_previous_crosses_year_and_trailing_is_ordered():
    assert parse_period("2011-01").previous().label == "2010-12"
    assert parse_period("2011Q1").previous().label == "2010Q4"
    assert [p.label for p in parse_period("2011-02").trailing(3)] == ["2010-12", "2011-01", "2011-02"]


def test_contains_includes_the_whole_last_day():
    p = parse_period("2011-11")
    dates = pd.Series(pd.to_datetime(["2011-10-31 23:59", "2011-11-01 00:00", "2011-11-30 23:59", "2011-12-01 00:00"]))
    assert p.contains(dates).tolist() == [False, True, True, False]


def test_latest_period():
    assert latest_period(pd.Series(pd.to_datetime(["2011-01-05 00:00", "2011-12-09 12:50"]))).label == "2011-12"
    with pytest.raises(PeriodError):
        latest_period(pd.Series([], dtype="datetime64[ns]"))


@given(st.integers(1950, 2100), st.integers(1, 12))
def test_months_round_trip_and_tile(year, month):
    p = parse_period(f"{year:04d}-{month:02d}")
    assert p.label == f"{year:04d}-{month:02d}"
    assert p.shift(1).start == p.end_exclusive
    assert p.shift(1).previous() == p
