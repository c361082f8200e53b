"""Standardise free-text categories (industry, region, country) with config lists.

Matching ignores case, spaces and the separators people put between the two
industry levels (``制造业-汽车零部件``, ``制造业 / 汽车零部件``, ``制造业—汽车零部件``).
Values that match nothing are kept as raw text and reported, never guessed.
"""
from __future__ import annotations

import re

import pandas as pd

_SEPARATORS = re.compile(r"[\s\-_/\\—–－·、|]+")


def normalise_key(text: str) -> str:
    """The form two spellings are compared in."""
    return _SEPARATORS.sub("", str(text)).casefold()


def _keys(values: pd.Series) -> pd.Series:
    return values.astype(object).map(lambda v: normalise_key(v) if isinstance(v, str) else None)


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
    keys = _keys(values)
    l1 = keys.map(to_l1).astype("string")
    l2 = keys.map(to_l2).astype("string")
    return pd.DataFrame({"industry_l1": l1, "industry_l2": l2, "industry": (l1 + "-" + l2).astype("string")})


def standardise_names(values: pd.Series, synonyms: dict[str, list[str]], *, keep_unknown: bool) -> pd.Series:
    """Map synonyms onto standard names (regions, countries).

    ``keep_unknown`` keeps an unlisted value as it is (countries: any country is
    valid) instead of NA (regions: a closed list).
    """
    table = {normalise_key(s): std for std, syns in synonyms.items() for s in [std, *syns]}
    mapped = _keys(values).map(table).astype("string")
    if keep_unknown:
        mapped = mapped.fillna(values.astype("string").str.strip())
    return mapped


def unmatched(raw: pd.Series, standard: pd.Series) -> pd.Series:
    """Counts of the raw values that found no standard name (for the cleaning report)."""
    miss = raw.notna() & standard.isna()
    return raw[miss].value_counts()
