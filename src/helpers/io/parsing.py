"""Parse raw export values into typed canonical columns.

Each parser takes a raw column (as read, often ``object`` with mixed types) and
returns the parsed column plus a boolean mask of values that were present but
could not be parsed. Parsing works on the distinct values only, because real
exports repeat dates, ids and prices many times: 541,909 order lines hold a
few tens of thousands of distinct timestamps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from helpers.core.privacy import mask_personal_data_in

__all__ = [
    "CURRENCY_SIGNS",
    "PARSERS",
    "currency_sign",
    "date_problem",
    "number_problem",
    "parse_attribute",
    "parse_bool",
    "parse_date",
    "parse_id",
    "parse_int",
    "parse_number",
    "parse_text",
]

_BLANK = {"", "nan", "none", "null", "na", "n/a", "nat", "-"}
_TRUE = {"1", "true", "yes", "y", "是", "有", "t", "x", "√"}
_FALSE = {"0", "false", "no", "n", "否", "无", "f"}
#: A currency sign in a number's text, and the currencies it can stand for.
CURRENCY_SIGNS: dict[str, frozenset[str]] = {
    "¥": frozenset({"CNY", "JPY"}),
    "￥": frozenset({"CNY", "JPY"}),
    "元": frozenset({"CNY"}),
    "$": frozenset({"USD", "HKD", "SGD", "AUD", "CAD", "NZD", "TWD", "MXN"}),
    "£": frozenset({"GBP"}),
    "€": frozenset({"EUR"}),
}
_SIGN = re.compile(r"^\s*([-+]?)\s*(?:US|HK|S|A|C|NZ|NT)?([¥￥$£€])\s*|(?<=\d)\s*(元)\s*$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
# Plain digits with an optional decimal part and exponent: what is left once grouping is understood.
_PLAIN = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_GROUPED_DOT = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")  # 1,234,567.89
_GROUPED_COMMA = re.compile(r"[-+]?\d{1,3}(\.\d{3})+(,\d+)?")  # 1.234.567,89
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")  # 12,5


def _blank(values: pd.Series) -> pd.Series:
    """Missing values, including text that only says 'missing'."""
    isna = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype("string").str.strip().str.lower()
        isna = isna | text.isin(_BLANK).fillna(False).astype(bool)
    return isna


def _by_unique(values: pd.Series, convert: Callable[[pd.Series], pd.Series], dtype: str) -> pd.Series:
    """Apply a vectorised ``convert`` to the distinct values and map back."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    converted = convert(pd.Series(uniques, dtype=object))
    out = converted.reindex(codes).reset_index(drop=True)  # code -1 (NA) -> NA
    out.index = values.index
    return out.astype(dtype)


def parse_id(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers as text; whole numbers lose their ``.0`` (``17850.0`` -> ``"17850"``).

    Text ids keep leading zeros (``"00042"``). Only a column that mixes numbers
    and text (an Excel column typed cell by cell) is converted value by value.
    """
    blank = _blank(values)
    present = values.where(~blank)
    no_error = pd.Series(False, index=values.index)
    kind = pd.api.types.infer_dtype(present, skipna=True)
    if kind in ("string", "empty"):
        return present.astype("string").str.strip(), no_error
    if kind == "integer":  # exact: 17-19 digit order numbers must not pass through float
        return present.astype("Int64").astype("string"), no_error
    if kind in ("floating", "mixed-integer-float"):
        numbers = present.astype("float64")
        # Only floats that hold a whole number exactly (below 2**53) lose their ".0"; others stay as written.
        whole = (np.isfinite(numbers) & (numbers == np.floor(numbers)) & (numbers.abs() < 2**53)).to_numpy(dtype=bool)
        text = numbers.astype("string")
        text[whole] = numbers[whole].astype("int64").astype("string")
        return text.where(numbers.notna()), no_error

    def convert(u: pd.Series) -> pd.Series:
        def one(v: object) -> object:
            if isinstance(v, (float, np.floating)) and float(v).is_integer():
                return str(int(v))
            return str(v).strip()

        return u.map(one)

    return _by_unique(present, convert, "string"), no_error


def parse_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Free text, stripped; blanks become NA."""
    blank = _blank(values)
    parsed = values.where(~blank).astype("string").str.strip()
    return parsed, pd.Series(False, index=values.index)


def currency_sign(text: object) -> str | None:
    """The currency sign a number's text carries (``"$12.00"`` -> ``"$"``), else None."""
    if not isinstance(text, str):
        return None
    match = _SIGN.search(text)
    return (match.group(2) or match.group(3)) if match else None


def _number_text(text: str, decimal: str | None) -> float | None:
    """The number a text holds under the decimal mark ``decimal`` (None: undeclared), or None.

    Currency signs and spaces go first. With ``.`` commas group thousands
    (``1,234.5``); with ``,`` dots or spaces do (``1.234,5``). Undeclared, a
    comma is only accepted where it cannot be a decimal comma (``1,234.50``),
    so ``12,5``, ``1,234`` and ``1.234,56`` are refused rather than guessed.
    """
    body = _SPACES.sub("", _SIGN.sub(r"\1", text))
    if _PLAIN.fullmatch(body) and not (decimal == "," and "." in body):
        return float(body)
    if decimal in (".", None) and _GROUPED_DOT.fullmatch(body) and (decimal == "." or "." in body):
        return float(body.replace(",", ""))
    if decimal == "," and (_GROUPED_COMMA.fullmatch(body) or _DECIMAL_COMMA.fullmatch(body)):
        return float(body.replace(".", "").replace(",", "."))
    return None


def number_problem(value: object, decimal: str | None) -> str:
    """Why ``value`` is not a usable number, in words for an error message."""
    body = _SPACES.sub("", _SIGN.sub(r"\1", str(value)))
    try:
        infinite = not np.isfinite(float(body))
    except ValueError:
        infinite = False
    if infinite or (isinstance(value, str) and _number_text(value, decimal) is not None):
        return "not a finite number"
    if decimal is None and "," in body and re.fullmatch(r"[-+]?[\d.,]+", body):
        readings = [f"{r:,.10g}" for r in (_number_text(body, "."), _number_text(body, ",")) if r is not None]
        return (
            "the comma may be a decimal mark or a thousands separator"
            + (f" (read as {' or '.join(readings)})" if readings else "")
            + "; declare the decimal mark in the mapping (decimal_mark: '.' or ',')"
        )
    return "not a number" + (f" (the mapping's decimal mark is '{decimal}')" if decimal else "")


def parse_number(values: pd.Series, decimal: str | None = ".") -> tuple[pd.Series, pd.Series]:
    """Floats; text may carry thousands separators and a currency sign (``¥1,200.50``).

    ``decimal`` is the decimal mark of text values (native numbers pass as
    they are): ``.``, ``,``, or None when the mapping does not say, in which
    case a text that reads differently under the two marks is invalid. A
    non-finite value (``inf``, ``1e309``, ``NaN`` typed as text) is invalid
    too: it would poison every sum it enters.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.astype("float64")
        present = ~values.isna() if not pd.api.types.is_float_dtype(values) else pd.Series(True, index=values.index)
        bad = present & ~np.isfinite(parsed) & ~(values.isna() & pd.api.types.is_float_dtype(values))
        return parsed.where(~bad), bad
    blank = _blank(values)

    def convert(u: pd.Series) -> pd.Series:
        def one(v: object) -> float:
            if isinstance(v, (bool, np.bool_)):
                return np.nan
            if isinstance(v, (int, float, np.integer, np.floating)):
                return float(v)
            number = _number_text(str(v), decimal)
            return np.nan if number is None else number

        return pd.Series([one(v) for v in u], index=u.index, dtype="float64")

    parsed = _by_unique(values.where(~blank), convert, "float64")
    finite = pd.Series(np.isfinite(parsed.to_numpy()), index=parsed.index)
    return parsed.where(finite), ~finite & ~blank


def parse_int(values: pd.Series, decimal: str | None = ".") -> tuple[pd.Series, pd.Series]:
    """Whole numbers (nullable ``Int64``); 4.0 is fine, 4.5 is invalid."""
    numbers, invalid = parse_number(values, decimal)
    fractional = numbers.notna() & (numbers != np.round(numbers))
    invalid = invalid | fractional
    return numbers.where(~fractional).round().astype("Int64"), invalid


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no in English or Chinese (是/否), 1/0, true/false; blanks are NA."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), pd.Series(False, index=values.index)
    blank = _blank(values)
    text = values.where(~blank).astype("string").str.strip().str.lower()
    text = text.str.replace(r"\.0$", "", regex=True)
    parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
    parsed[text.isin(_TRUE).fillna(False).astype(bool)] = True
    parsed[text.isin(_FALSE).fillna(False).astype(bool)] = False
    return parsed, parsed.isna() & ~blank


def date_problem(value: object, formats: list[str]) -> str:
    """Why ``value`` is not a usable date, in words for an error message."""
    text = str(value).strip()
    for fmt in formats:
        try:
            day = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return f"a date far outside any plausible range ({day:%Y-%m-%d})"
    if isinstance(value, (dt.date, np.datetime64)):
        return f"a date far outside any plausible range ({value})"
    return f"unparsable date (formats tried: {formats})"


def _nanoseconds(stamps: pd.Series) -> pd.Series:
    """Timestamps at nanosecond resolution; one outside its range (year 1500, 2300) becomes NaT (invalid)."""
    inside = (stamps >= pd.Timestamp.min) & (stamps <= pd.Timestamp.max)
    return stamps.where(inside).astype("datetime64[ns]")


def parse_date(values: pd.Series, formats: list[str]) -> tuple[pd.Series, pd.Series]:
    """Timestamps from native dates or text in any of ``formats`` (tried in order).

    Integers such as ``19970101`` are read as text, so ``%Y%m%d`` covers them.
    Text dates are never guessed: a value no format matches is invalid, because
    a silent day/month swap is worse than a clear error.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        parsed_ns = _nanoseconds(parsed)
        return parsed_ns, parsed_ns.isna() & parsed.notna()
    blank = _blank(values)

    def convert(u: pd.Series) -> pd.Series:
        out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
        native = u.map(lambda v: isinstance(v, (dt.date, pd.Timestamp, np.datetime64)))
        if native.any():
            out[native] = _nanoseconds(pd.to_datetime(u[native].astype(object), errors="coerce"))
        text = u[~native].map(
            lambda v: (
                str(int(v))
                if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer()
                else str(v).strip()
            )
        )
        for fmt in formats:
            todo = out.loc[text.index].isna()
            if not todo.any():
                break
            attempt = _nanoseconds(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
            out.loc[attempt.index] = out.loc[attempt.index].fillna(attempt)
        return out

    parsed = _by_unique(values.where(~blank), convert, "datetime64[ns]")
    return parsed, parsed.isna() & ~blank


def parse_attribute(values: pd.Series, decimal: str | None = ".") -> pd.Series:
    """A customer attribute: numbers when every non-blank value reads as one (blanks NaN; an empty column is all
    NaN), else text.

    Text is stripped, blanks are NA, and phone numbers and e-mail addresses in it are masked.
    """
    numbers, bad = parse_number(values, decimal)
    if not bad.any():  # every filled value a number (or none filled: an empty column, all NaN)
        return numbers
    text, _ = parse_text(values.astype("string") if pd.api.types.is_numeric_dtype(values) else values)
    return mask_personal_data_in(text)


PARSERS: dict[str, Callable[[pd.Series], tuple[pd.Series, pd.Series]]] = {
    "id": parse_id,
    "text": parse_text,
    "number": parse_number,
    "int": parse_int,
    "bool": parse_bool,
}
