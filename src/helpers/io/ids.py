"""Customer and product ids compared as the mapping says: case, leading zeros, inner spaces.

The same customer typed ``C00020`` in the master and ``c00020`` in an order
export becomes two customers unless someone decides otherwise. The mapping's
``ids:`` section decides each aspect (:class:`helpers.core.mapping.IdRules`);
:func:`normalise_ids` writes every id the way it says, and for each aspect it
leaves open, refuses two spellings that differ only in it, naming both.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from typing import TYPE_CHECKING

import pandas as pd

from helpers.core.errors import DataValidationError
from helpers.core.mapping import IdRules, Mapping

if TYPE_CHECKING:
    from helpers.io.loaders import LoadedTable

__all__ = ["JOIN_IDS", "normalise_id_values", "normalise_ids"]

#: The ids that join the tables (a customer's orders to its master record, a line to its product's cost).
JOIN_IDS = ("customer_id", "product_id")
# In this order: spaces go before leading zeros are stripped, or "0 00" would become "00", then "0" on a re-run.
_MERGED = {"case": "upper", "inner_spaces": "remove", "leading_zeros": "strip"}
_WORDS = {"case": "case", "leading_zeros": "leading zeros", "inner_spaces": "spaces inside"}


def _written(values: pd.Series, aspect: str, how: str | None) -> pd.Series:
    """``values`` with one aspect applied as ``how`` says (``keep`` and None leave them as they are)."""
    if how == "upper":
        return values.str.upper()
    if how == "lower":
        return values.str.lower()
    if how == "strip":
        return values.str.replace(r"^0+(?=.)", "", regex=True)
    if how == "remove":
        return values.str.replace(r"\s+", "", regex=True)
    return values


def normalise_id_values(values: pd.Series, rules: IdRules) -> pd.Series:
    """Ids written as ``rules`` say (ends stripped; an aspect left open is left as it is)."""
    out = values.astype("string").str.strip()
    for aspect in _MERGED:
        out = _written(out, aspect, getattr(rules, aspect))
    return out


def normalise_ids(loaded: MappingType[str, LoadedTable], mapping: Mapping) -> None:
    """Write the join ids of every loaded table as ``mapping.ids`` says; refuse undecided look-alikes.

    Raises
    ------
    DataValidationError
        Two spellings of a customer (or product) id that differ only in an
        aspect the mapping leaves open: the message names both, and the file,
        column and row of the second.
    """
    rules = mapping.ids
    for column in JOIN_IDS:
        holders = {table: lt for table, lt in loaded.items() if column in lt.data.columns}
        for lt in holders.values():
            lt.data[column] = normalise_id_values(lt.data[column], rules)
        open_aspects = [a for a in _MERGED if getattr(rules, a) is None]
        if not holders or not open_aspects:
            continue
        spellings = pd.Series(
            pd.concat([lt.data[column] for lt in holders.values()]).dropna().unique(), dtype="string"
        ).sort_values(ignore_index=True)
        for aspect in open_aspects:
            key = _written(spellings, aspect, _MERGED[aspect])
            alike = key.duplicated(keep=False)
            if alike.any():
                first = key[alike].iloc[0]
                one, other = spellings[key == first].iloc[:2]
                _refuse(holders, mapping, column, aspect, one, other)


def _refuse(
    holders: MappingType[str, LoadedTable], mapping: Mapping, column: str, aspect: str, one: str, other: str
) -> None:
    """Raise naming both spellings, pointing at a row of the rarer one (most likely the typo)."""
    counts = {v: sum(int((lt.data[column] == v).sum()) for lt in holders.values()) for v in (one, other)}
    shown = one if counts[one] < counts[other] else other
    table, lt = next((t, lt) for t, lt in holders.items() if (lt.data[column] == shown).any())
    i = int((lt.data[column] == shown).to_numpy().nonzero()[0][0])
    thing = column.removesuffix("_id")
    raise DataValidationError(
        f"{thing} ids {one!r} and {other!r} differ only in their {_WORDS[aspect]}: say in mapping "
        f"{mapping.name} whether they are one {thing} (ids: {{{aspect}: {_MERGED[aspect]}}}) or two "
        f"(ids: {{{aspect}: keep}})",
        file=str(lt.data["source_file"].iat[i]),
        column=mapping.tables[table].source_of(column),
        row=int(lt.data["source_row"].iat[i]),
        value=shown,
    )
