import datetime as dt

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from helpers.io.parsing import parse_bool, parse_date, parse_id, parse_int, parse_number

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
