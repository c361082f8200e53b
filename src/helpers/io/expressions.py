"""Derived columns: DuckDB SQL expressions over an export's headers, unable to reach outside the rows.

A mapping may derive a canonical column from the headers of its files
(``derive: {is_complaint: "rating <= 2", amount: '"单价" * "数量"'}``). The
expression is DuckDB SQL, evaluated row by row on a connection that cannot
read or write files, load extensions, scan Python variables or change those
settings. Before it runs, DuckDB's own parser checks that the query is the one
expression over the rows and nothing else: no second statement, no subquery,
no aggregate or window function, no table function.

Headers are typed by their content before the expression sees them: a column
whose every value is a number (read with the mapping's decimal mark) is a
number, one whose every value is a date (the mapping's date formats) a
timestamp, any other text. Blank cells are NULL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from functools import cache
from typing import Any

import duckdb
import pandas as pd

from helpers.core.errors import ConfigError
from helpers.io.parsing import parse_date, parse_number

__all__ = ["check_expression", "evaluate_expressions", "expression_headers"]

_ROWS, _ROW, _VALUE = "__rows", "__row", "__value"
#: DuckDB settings that keep an expression inside the rows it is given (then locked).
_LOCKED = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config=dict(_LOCKED))
    con.execute("SET python_enable_replacements = false")  # no reading of Python variables by name
    con.execute("SET lock_configuration = true")
    return con


@cache
def _row_functions() -> frozenset[str]:
    """The names of DuckDB's scalar functions and macros: what an expression may call."""
    with _connection() as con:
        rows = con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('scalar', 'macro')"
        ).fetchall()
    return frozenset(name for (name,) in rows)


def _query(expression: str) -> str:
    # The newline ends a trailing "--" comment inside the parentheses; the parser then sees the whole query.
    return f"SELECT ({expression}\n) AS {_VALUE}, {_ROW} FROM {_ROWS} ORDER BY {_ROW}"


def _walk(node: Any) -> list[dict]:
    """Every dict in a parsed query, depth first."""
    found = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def check_expression(expression: str, where: str) -> set[str]:
    """The headers an expression reads; raise when it is anything but one expression over a row.

    Parameters
    ----------
    expression
        DuckDB SQL, e.g. ``rating <= 2`` or ``"单价" * "数量"``.
    where
        What to name in messages (``mapping x, tables.orders.derive.amount``).

    Raises
    ------
    ConfigError
        Not valid SQL, more than one expression or statement, a subquery, a table,
        aggregate or window function, or a header written with a dot but not quoted.
    """
    with _connection() as con:
        parsed = json.loads(con.execute("SELECT json_serialize_sql(?)", [_query(expression)]).fetchone()[0])
    if parsed.get("error"):
        raise ConfigError(f"{where}: not an expression DuckDB can read ({parsed.get('error_message')})")
    statements = parsed.get("statements", [])
    node = statements[0]["node"] if len(statements) == 1 else {}
    source = node.get("from_table") or {}
    if (
        node.get("type") != "SELECT_NODE"
        or len(node.get("select_list", [])) != 2
        or source.get("type") != "BASE_TABLE"
        or source.get("table_name") != _ROWS
        or node.get("where_clause")
        or node.get("group_expressions")
        or node.get("having")
    ):
        raise ConfigError(f"{where}: write one expression over the row's headers, nothing around it")
    headers: set[str] = set()
    allowed = _row_functions()
    for item in _walk(node["select_list"][0]):
        kind = item.get("class")
        if kind == "SUBQUERY":
            raise ConfigError(f"{where}: an expression works on one row; a subquery (SELECT …) is not allowed")
        if kind == "FUNCTION" and item.get("function_name") not in allowed:
            raise ConfigError(
                f"{where}: {item.get('function_name')}() is not a function of one row "
                "(tables, files, aggregates and windows are not allowed)"
            )
        if kind == "WINDOW":
            raise ConfigError(f"{where}: an expression works on one row; window functions are not allowed")
        if kind == "COLUMN_REF":
            names = item.get("column_names", [])
            if len(names) != 1:
                dotted = ".".join(names)
                raise ConfigError(f'{where}: write a header with a dot in double quotes: "{dotted}"')
            headers.add(names[0])
    return headers


def expression_headers(derive: MappingType[str, str], where: str) -> set[str]:
    """Every header the expressions of ``derive`` read (each expression checked)."""
    return set().union(*(check_expression(expr, f"{where}.{name}") for name, expr in derive.items()))


def _typed(values: pd.Series, decimal: str | None, date_formats: Sequence[str]) -> pd.Series:
    """A header's values as numbers, timestamps or text, by what all of them are; blanks are NULL."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return values
    text = values.astype("string").str.strip().replace("", pd.NA)
    present = text.notna()
    if not present.any():
        return pd.Series(None, index=values.index, dtype="float64")
    numbers, bad = parse_number(text, decimal)
    if not bad[present].any() and numbers[present].notna().all():
        return numbers.astype("float64")
    dates, bad = parse_date(text, list(date_formats))
    if not bad[present].any() and dates[present].notna().all():
        return dates
    return text.astype(object).where(present, None)


def evaluate_expressions(
    frame: pd.DataFrame,
    derive: MappingType[str, str],
    *,
    where: str,
    decimal: str | None = None,
    date_formats: Sequence[str] = ("%Y-%m-%d",),
) -> dict[str, pd.Series]:
    """Evaluate each expression of ``derive`` on every row of ``frame`` (columns = headers).

    Returns
    -------
    dict
        Canonical name -> the values, indexed like ``frame``.

    Raises
    ------
    ConfigError
        An expression that fails :func:`check_expression`, names a header no file has,
        or that DuckDB cannot evaluate on these values (the message says which headers
        are text, since that is the usual cause).
    """
    out: dict[str, pd.Series] = {}
    for name, expression in derive.items():
        here = f"{where}.{name}"
        headers = check_expression(expression, here)
        missing = sorted(headers - set(frame.columns))
        if missing:
            raise ConfigError(f"{here}: no file has the header(s) {missing}; the headers are {list(frame.columns)}")
        rows = pd.DataFrame({h: _typed(frame[h], decimal, date_formats) for h in sorted(headers)})
        rows[_ROW] = range(len(frame))
        with _connection() as con:
            con.register(_ROWS, rows.reset_index(drop=True))
            try:
                result = con.execute(_query(expression)).fetchdf()
            except duckdb.Error as exc:
                text = [h for h in sorted(headers) if rows[h].dtype == object]
                hint = f" (read as text: {', '.join(text)})" if text else ""
                first = str(exc).splitlines()[0]
                raise ConfigError(f"{here}: DuckDB cannot evaluate it on these values{hint}: {first}") from None
        out[name] = pd.Series(result[_VALUE].to_numpy(), index=frame.index)
    return out
