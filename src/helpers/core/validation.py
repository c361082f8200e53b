"""Checks on the tables a stage receives, raising errors a user can act on."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from helpers.core.errors import DataValidationError

__all__ = ["require_columns"]


def require_columns(df: pd.DataFrame, columns: Iterable[str], table_name: str) -> None:
    """Raise when ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df
        The table to check.
    columns
        Column names the caller relies on.
    table_name
        The table's name as the user knows it (``orders``, ``tickets`` ...),
        used in the message.

    Raises
    ------
    DataValidationError
        Naming the table and every missing column, so one run reports them all.
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"the {table_name} table lacks the required column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, df.columns)) or 'no columns'}"
        )
