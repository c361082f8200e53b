"""Standardise free-text categories (industry, region, country) with config lists.

Matching ignores case, spaces and the separators people put between the two
industry levels (``制造业-汽车零部件``, ``制造业 / 汽车零部件``, ``制造业—汽车零部件``).
Values that match nothing are kept as raw text and reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.config import read_yaml
from helpers.core.errors import ConfigError

__all__ = [
    "LOOKUP_FILES",
    "TAXONOMY_FILES",
    "Lookups",
    "load_lookups",
    "load_synonyms",
    "load_taxonomy",
    "normalise_key",
    "standardise_industry",
    "standardise_names",
    "unmatched",
]

#: The standardisation lists in ``config/``: the industry taxonomy, regions and countries.
TAXONOMY_FILE, REGIONS_FILE, COUNTRIES_FILE = "industry_taxonomy.yaml", "regions.yaml", "countries.yaml"
#: The industry taxonomies a mapping may choose (``industry_taxonomy``): Chinese (the default) and English.
TAXONOMY_FILES = {"cn": TAXONOMY_FILE, "en": "industry_taxonomy_en.yaml"}
LOOKUP_FILES = (*TAXONOMY_FILES.values(), REGIONS_FILE, COUNTRIES_FILE)


@dataclass(frozen=True)
class Lookups:
    """Standardisation lists from ``config/``."""

    taxonomy: dict[str, dict[str, list[str]]]
    regions: dict[str, list[str]]
    countries: dict[str, list[str]]


_SEPARATORS = re.compile(r"[\s\-_/\\—–－·、|]+")


def normalise_key(text: str) -> str:
    """The form two spellings are compared in."""
    return _SEPARATORS.sub("", str(text)).casefold()


def _lookup(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """``table[normalise_key(value)]`` per value (NA when absent), computed once per distinct value:
    an order table repeats a few dozen countries millions of times."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    found = np.array(
        [table.get(normalise_key(v), pd.NA) if isinstance(v, str) else pd.NA for v in uniques] + [pd.NA], dtype=object
    )
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
        ``industry_l1``, ``industry_l2`` (NA where unmatched), ``industry``
        (``"level1-level2"``, or the text as written, stripped, where unmatched:
        never emptied) and ``industry_listed`` (boolean: found in the taxonomy;
        NA without a value).
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
    written = values.astype("string").str.strip().replace("", pd.NA)
    return pd.DataFrame(
        {
            "industry_l1": l1,
            "industry_l2": l2,
            "industry": (l1 + "-" + l2).astype("string").fillna(written),
            "industry_listed": _listed(l1, written),
        }
    )


def _listed(standard: pd.Series, written: pd.Series) -> pd.Series:
    """True where a value found its standard name, False where it is kept as written, NA without a value."""
    return standard.notna().astype("boolean").where(written.notna(), pd.NA)


def standardise_names(values: pd.Series, synonyms: dict[str, list[str]]) -> pd.DataFrame:
    """Map synonyms onto standard names (regions, countries); a value not listed is kept as written.

    Returns
    -------
    pd.DataFrame
        ``name`` (the standard name, or the value as written, stripped) and
        ``listed`` (boolean: found in the list; NA without a value).
    """
    table = {normalise_key(s): std for std, syns in synonyms.items() for s in [std, *syns]}
    mapped = _lookup(values, table)
    written = values.astype("string").str.strip().replace("", pd.NA)
    return pd.DataFrame({"name": mapped.fillna(written), "listed": _listed(mapped, written)})


def unmatched(raw: pd.Series, listed: pd.Series) -> pd.Series:
    """Counts of the raw values kept as written because no standard name matched (for the cleaning report)."""
    miss = listed.eq(False).fillna(False).astype(bool)
    return raw[miss].astype("string").str.strip().value_counts()


def load_synonyms(config_dir: Path, filename: str) -> dict[str, list[str]]:
    """Read a ``standard name: [synonym, ...]`` list (regions, countries)."""
    path = Path(config_dir) / filename
    data = read_yaml(path)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v) for k, v in data.items()
    ):
        raise ConfigError(f"{path}: expected 'standard name: [synonym, ...]' entries")
    return data


def load_taxonomy(config_dir: Path, filename: str = TAXONOMY_FILE) -> dict[str, dict[str, list[str]]]:
    """Read the two-level industry taxonomy ``level1: {level2: [synonym, ...]}``."""
    path = Path(config_dir) / filename
    data = read_yaml(path)
    ok = isinstance(data, dict) and all(
        isinstance(l1, str)
        and isinstance(l2s, dict)
        and all(isinstance(l2, str) and isinstance(syn, list) for l2, syn in l2s.items())
        for l1, l2s in data.items()
    )
    if not ok:
        raise ConfigError(f"{path}: expected 'level1: {{level2: [synonym, ...]}}' entries")
    return data  # type: ignore[return-value]


def load_lookups(config_dir: Path, taxonomy: str = "cn") -> Lookups:
    """The three standardisation lists of ``config_dir`` (:data:`LOOKUP_FILES`), validated.

    ``taxonomy`` chooses the industry taxonomy (a key of :data:`TAXONOMY_FILES`).
    """
    return Lookups(
        taxonomy=load_taxonomy(config_dir, TAXONOMY_FILES[taxonomy]),
        regions=load_synonyms(config_dir, REGIONS_FILE),
        countries=load_synonyms(config_dir, COUNTRIES_FILE),
    )
