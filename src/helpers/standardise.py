"""Standardise free-text categories (industry, region, country) with config lists.

Matching ignores case, spaces and the separators people put between the two
industry levels (``制造业-汽车零部件``, ``制造业 / 汽车零部件``, ``制造业—汽车零部件``).
Values that match nothing are kept as raw text and reported, never guessed.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_SEPARATORS = re.compile(r"[\s\-_/\\—–－·、|]+")


def normalise_key(text: str) -> str:
    """The form two spellings are compared in."""
    return _SEPARATORS.sub("", str(text)).casefold()


def _lookup(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """``table[normalise_key(value)]`` per value (NA when absent), computed once per distinct value:
    an order table repeats a few dozen countries millions of times."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    found = np.array([table.get(normalise_key(v), pd.NA) if isinstance(v, str) else pd.NA for v in uniques] + [pd.NA],
                     dtype=object)
    return pd.Series(found[codes], index=values.index, dtype="string")  # code -1 (NA) takes the last entry


def standardise_industry(values: pd.Series, taxonomy: dict[str, dict[str, list[str]]]) -> pd.DataFrame:
    """Map raw industry text onto the two-level taxonomy.

    Parameters
    ----------
    values
        Raw industry text.
    taxonomy
        ``level1: {level2: [synonym, ...]}`` from ``config/industry_taxonomy.yaml``.

    Returns
    -------
    pd.DataFrame
        ``industry_l1``, ``industry_l2``, ``industry`` (``"level1-level2"``), NA where unmatched.
    """
    to_l1: dict[str, str] = {}
    to_l2: dict[str, str] = {}
    for l1, level2s in taxonomy.items():
        for l2, synonyms in level2s.items():
            for spelling in [f"{l1}-{l2}", l2, *synonyms]:
                key = normalise_key(spelling)
                if key not in to_l1:  # the first listed meaning wins
                    to_l1[key], to_l2[key] = l1, l2
    l1 = _lookup(values, to_l1)
    l2 = _lookup(values, to_l2)
    return pd.DataFrame({"industry_l1": l1, "industry_l2": l2, "industry": (l1 + "-" + l2).astype("string")})


def standardise_names(values: pd.Series, synonyms: dict[str, list[str]], *, keep_unknown: bool) -> pd.Series:
    """Map synonyms onto standard names (regions, countries).

    ``keep_unknown`` keeps an unlisted value as it is (countries: any country is
    valid) instead of NA (regions: a closed list).
    """
    table = {normalise_key(s): std for std, syns in synonyms.items() for s in [std, *syns]}
    mapped = _lookup(values, table)
    if keep_unknown:
        mapped = mapped.fillna(values.astype("string").str.strip())
    return mapped


def unmatched(raw: pd.Series, standard: pd.Series) -> pd.Series:
    """Counts of the raw values that found no standard name (for the cleaning report)."""
    miss = raw.notna() & standard.isna()
    return raw[miss].value_counts()
