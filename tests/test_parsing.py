import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.io.parsing import (
    currency_sign,
    number_problem,
    parse_bool,
    parse_date,
    parse_id,
    parse_int,
    parse_number,
)

FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"]


def test_mixed_dates_native_and_text():
    raw = pd.Series(
        [dt.datetime(2024, 3, 5, 10, 30), "2024/3/5", "2024年3月5日", "2024-03-05", 20240305, None, ""], dtype=object
    )
    parsed, bad = parse_date(raw, FORMATS)
    assert parsed.iloc[0] == pd.Timestamp("2024-03-05 10:30")
    assert (parsed.iloc[1:5] == pd.Timestamp("2024-03-05")).all()
    assert parsed.iloc[5:].isna().all()
    assert not bad.any()  # blanks are missing, not invalid


def test_unparsable_dates_are_flagged_not_guessed():
    parsed, bad = parse_date(pd.Series(["2024-03-05", "05/03/2024", "not a date"], dtype=object), FORMATS)
    assert bad.tolist() == [False, True, True]
    assert parsed.iloc[1:].isna().all()


@given(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.sampled_from(FORMATS))
def test_any_listed_format_round_trips(day, fmt):
    parsed, bad = parse_date(pd.Series([day.strftime(fmt)], dtype=object), FORMATS)
    assert not bad.any() and parsed.iloc[0] == pd.Timestamp(day)


def test_numbers_with_currency_signs_and_separators():
    parsed, bad = parse_number(pd.Series(["¥1,200.50", "3", " 4.5 ", "abc", None, "100元"], dtype=object))
    assert parsed.iloc[:3].tolist() == [1200.5, 3.0, 4.5]
    assert bad.tolist() == [False, False, False, True, False, False]
    assert parsed.iloc[5] == 100.0


def test_ids_drop_float_suffix_and_whitespace():
    parsed, _ = parse_id(pd.Series([17850.0, " C001 ", None, "00042"], dtype=object))
    assert parsed.tolist()[:2] == ["17850", "C001"] and parsed.isna().iloc[2] and parsed.iloc[3] == "00042"


def test_bools_in_chinese_and_english():
    parsed, bad = parse_bool(pd.Series(["是", "否", "yes", "0", "maybe", None], dtype=object))
    assert parsed.iloc[:4].tolist() == [True, False, True, False]
    assert bad.tolist() == [False, False, False, False, True, False]


def test_ints_reject_fractions():
    parsed, bad = parse_int(pd.Series(["4", 5.0, "4.5"], dtype=object))
    assert parsed.iloc[:2].tolist() == [4, 5] and bad.tolist() == [False, False, True]


def test_long_integer_ids_stay_exact():
    """17-19 digit order numbers (common in Chinese ERPs) must not pass through float."""
    parsed, _ = parse_id(pd.Series([20231105123456789, 20231105123456788]))
    assert parsed.tolist() == ["20231105123456789", "20231105123456788"]
    parsed, _ = parse_id(pd.Series([1.0, float("inf"), 1e20, None]))
    assert parsed.tolist()[:3] == ["1", "inf", "1e+20"] and parsed.isna().iloc[3]


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("1,234.56", ".", 1234.56),
        ("1,234", ".", 1234.0),
        ("1.234,56", ",", 1234.56),
        ("12,5", ",", 12.5),
        ("1 234,5", ",", 1234.5),
        ("1,234", ",", 1.234),
        ("1,234.56", None, 1234.56),  # a comma before a dot can only group thousands
        ("-¥3.5", ".", -3.5),
        ("US$ 5", ".", 5.0),
        ("1e3", None, 1000.0),
    ],
)
def test_the_decimal_mark_reads_text_numbers(text, mark, value):
    parsed, bad = parse_number(pd.Series([text], dtype=object), mark)
    assert not bad.iat[0] and parsed.iat[0] == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "mark", "why"),
    [
        ("12,5", None, "decimal mark"),
        ("1,234", None, "1,234 or 1.234"),
        ("1.234,56", None, "decimal mark"),
        ("12,5", ".", "not a number"),
        ("1,2345", ".", "not a number"),
        ("4.5", ",", "not a number"),
        ("inf", ".", "finite"),
        ("1e309", ".", "finite"),
        ("-inf", None, "finite"),
    ],
)
def test_numbers_that_cannot_be_read_one_way_are_invalid(text, mark, why):
    parsed, bad = parse_number(pd.Series([text], dtype=object), mark)
    assert bad.iat[0] and pd.isna(parsed.iat[0])
    assert why in number_problem(text, mark)


def test_native_numbers_ignore_the_decimal_mark_but_not_infinity():
    parsed, bad = parse_number(pd.Series([1234.5, float("inf"), None, 7], dtype=object), ",")
    assert parsed.iat[0] == 1234.5 and parsed.iat[3] == 7 and bad.tolist() == [False, True, False, False]
    parsed, bad = parse_number(pd.Series([1.0, float("-inf"), float("nan")]))
    assert bad.tolist() == [False, True, False]


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(lambda x: round(x, 2)))
def test_grouped_numbers_read_the_same_under_their_mark(x):
    dot = f"{x:,.2f}"
    comma = dot.replace(",", " ").replace(".", ",")
    assert parse_number(pd.Series([dot], dtype=object), ".")[0].iat[0] == pytest.approx(x)
    assert parse_number(pd.Series([comma], dtype=object), ",")[0].iat[0] == pytest.approx(x)


def test_currency_signs():
    assert [currency_sign(v) for v in ["$12.00", "US$ 5", "-¥3.5", "100元", "12", "€ 4", 12.0]] == [
        "$",
        "$",
        "¥",
        "元",
        None,
        "€",
        None,
    ]


def test_dates_beyond_pandas_range_are_invalid_not_a_crash():
    raw = pd.Series([dt.date(1500, 1, 1), dt.datetime(2300, 1, 1), "2300-01-01", dt.date(2020, 1, 1)], dtype=object)
    parsed, bad = parse_date(raw, FORMATS)
    assert bad.tolist() == [True, True, True, False] and parsed.iat[3] == pd.Timestamp("2020-01-01")
