"""Ids compared as the mapping says (helpers.io.ids)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import CONFIG
from helpers.core.errors import DataValidationError
from helpers.core.mapping import load_mapping
from helpers.io.ids import normalise_ids
from helpers.io.loaders import LoadedTable

ALL_KEPT = {"case": "keep", "leading_zeros": "keep", "inner_spaces": "keep"}


def _mapping(**ids):
    base = load_mapping(CONFIG, "sample_distributor")
    return base.model_copy(update={"ids": type(base.ids)(**ids)})


def _table(ids: list[str | None], file: str = "orders.csv") -> LoadedTable:
    data = pd.DataFrame(
        {
            "customer_id": pd.Series(ids, dtype="string"),
            "source_file": file,
            "source_row": range(2, len(ids) + 2),
        }
    )
    return LoadedTable(data=data, invalid=pd.Series(pd.NA, index=data.index, dtype="string"), files=[])


def _run(mapping, **tables: list[str | None]) -> dict[str, list]:
    loaded = {name: _table(ids, f"{name}.csv") for name, ids in tables.items()}
    normalise_ids(loaded, mapping)
    return {name: lt.data["customer_id"].tolist() for name, lt in loaded.items()}


def test_rules_write_every_id_the_same_way():
    mapping = _mapping(case="upper", leading_zeros="strip", inner_spaces="remove")
    out = _run(mapping, customers=["C001", " 0042 ", None], orders=["c 001", "42", "000"])
    assert out == {"customers": ["C001", "42", pd.NA], "orders": ["C001", "42", "0"]}


def test_kept_aspects_keep_look_alikes_apart():
    out = _run(_mapping(**ALL_KEPT), customers=["C001"], orders=["c001", "C 001", "0C001"])
    assert out["orders"] == ["c001", "C 001", "0C001"]


@pytest.mark.parametrize(
    ("aspect", "one", "other", "words"),
    [
        ("case", "C001", "c001", "case"),
        ("leading_zeros", "42", "00042", "leading zeros"),
        ("inner_spaces", "C001", "C 001", "spaces inside"),
    ],
)
def test_an_undecided_aspect_stops_naming_both_spellings_and_the_rarer_ones_row(aspect, one, other, words):
    mapping = _mapping(**{**ALL_KEPT, aspect: None})
    with pytest.raises(DataValidationError) as err:
        _run(mapping, customers=[one, "C777"], orders=[one, one, "C777", other])
    message = str(err.value)
    assert f"differ only in their {words}" in message and repr(one) in message and repr(other) in message
    assert (err.value.file, err.value.row, err.value.value) == ("orders.csv", 5, other)
    assert err.value.column == "客户编号"


@settings(deadline=None)  # each example runs the loader
@given(st.lists(st.from_regex(r"[A-Za-z0 ]{0,2}[0-9]{1,4}", fullmatch=True), min_size=1, max_size=30))
@example(["0 00"])  # spaces removed before leading zeros are stripped, or a re-run changes it again
def test_decided_rules_never_refuse_and_are_idempotent(ids):
    mapping = _mapping(case="lower", leading_zeros="strip", inner_spaces="remove")
    once = _run(mapping, orders=ids)["orders"]
    assert _run(mapping, orders=once)["orders"] == once
    assert all(v == v.lower() and " " not in v and (v == "0" or not v.startswith("0")) for v in once)
