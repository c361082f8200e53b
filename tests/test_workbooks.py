"""The workbooks for the client's team read as words: labelled headers, levels as numbers, a notes sheet.

The unit tests build small workbooks; the slow ones write the workbooks of
stages 03, 04 and 05 from a run of a small sample and read them back as a
reader opens them.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import ROOT
from helpers.cleaning.ledger import REASONS
from helpers.core.labels import LABELS
from helpers.io.excel import LEVEL, RAW_NAME, Sheet, Workbook

#: The stage workbooks for the client's team: output name -> the stage that writes it.
WORKBOOKS = {
    "grading_workbook": "03_rfm_segmentation",
    "churn_risk_list": "04_churn_model",
    "opportunity_priority": "05_opportunity_scoring",
}
NOTES = LABELS.text("workbook_notes", "sheet")


def _items(ws) -> list[str]:
    """The first column of a sheet below its header."""
    return [row[0] for row in ws.iter_rows(min_row=2, max_col=1, values_only=True)]


# --------------------------------------------------------------------------- small workbooks
def test_a_column_named_like_code_needs_a_header():
    frame = pd.DataFrame({"rfm_class": ["a"], "Customers": [1]})
    with pytest.raises(ValueError, match=r"no header for the columns \['rfm_class'\]"):
        Sheet("t", frame)
    assert Sheet("t", frame, headers={"rfm_class": "RFM class"}).header("rfm_class") == "RFM class"
    assert Sheet("t", frame, headers={"rfm_class": "RFM class"}).header("Customers") == "Customers"


def test_the_notes_sheet_comes_first_and_says_what_each_sheet_is(tmp_path):
    a = Sheet("A", pd.DataFrame({"x": [1]}), headers={"x": "X"}, description="the first table")
    b = Sheet("B", pd.DataFrame({"y": [2]}), headers={"y": "Y"}, description="the second table")
    path = Workbook([a, b], about={"Report": "test"}).write(tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [NOTES, "A", "B"]
    notes = dict(book[NOTES].iter_rows(min_row=2, values_only=True))
    assert notes["Report"] == "test" and notes["A"] == "the first table" and notes["B"] == "the second table"


def test_a_workbook_with_nothing_to_say_gets_no_notes_sheet(tmp_path):
    path = Workbook([Sheet("A", pd.DataFrame({"X": [1]}))]).write(tmp_path / "book.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["A"]


def test_a_level_column_is_written_as_a_whole_number(tmp_path):
    frame = pd.DataFrame({"Level": [1.0, 4.0, None]})
    path = Workbook([Sheet("L", frame, formats={"Level": LEVEL})]).write(tmp_path / "book.xlsx")
    ws = openpyxl.load_workbook(path)["L"]
    assert [ws["A2"].number_format, ws["A3"].number_format] == ["0", "0"] and ws["A3"].value == 4


# --------------------------------------------------------------------------- the sample run
@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three stage workbooks of a small sample's run, written to files."""
    from helpers.pipeline.memory import run_in_memory
    from helpers.sample_data import generate

    folder = tmp_path_factory.mktemp("workbooks") / "sample"
    generate(folder, n_customers=120, seed=7)
    run = run_in_memory(ROOT, "2025Q4", data=folder, last=5)
    out = folder.parent / "books"
    return {name: run.results[stage].outputs[name].write(out / f"{name}.xlsx") for name, stage in WORKBOOKS.items()}


def _raw_keys() -> set[str]:
    """Keys a reader must never see as a cell: factor, level and reason keys, class keys."""
    from helpers.segmentation.settings import load_scorecard

    keys = {f.key for f in load_scorecard(ROOT / "config").factors}
    keys |= {"level_1", "level_2", "level_3", "level_4", "within_tolerance", "all", *REASONS}
    for namespace in ("churn_reason", "churn_rule", "rfm_class", "scorecard_class", "risk_band"):
        keys |= set(LABELS.keys(namespace))
    return {k for k in keys if RAW_NAME.fullmatch(k)}


@pytest.mark.slow
@pytest.mark.parametrize("name", WORKBOOKS)
def test_no_header_or_cell_is_a_raw_name(books, name):
    keys = _raw_keys()
    book = openpyxl.load_workbook(books[name])
    for ws in book.worksheets:
        headers = [c.value for c in ws[1]]
        raw = [h for h in headers if h is None or RAW_NAME.fullmatch(str(h))]
        assert not raw, f"{name}: sheet {ws.title} has raw headers {raw}"
        cells = {v for row in ws.iter_rows(min_row=2, values_only=True) for v in row if isinstance(v, str)}
        assert not cells & keys, f"{name}: sheet {ws.title} shows keys {sorted(cells & keys)}"
        factor_keys = [k for k in keys if "_" in k]
        assert not [k for k in factor_keys for v in cells if k in v], f"{name}: sheet {ws.title} shows keys"


@pytest.mark.slow
@pytest.mark.parametrize("name", WORKBOOKS)
def test_the_notes_sheet_lists_every_other_sheet(books, name):
    book = openpyxl.load_workbook(books[name])
    assert book.sheetnames[0] == NOTES
    notes = dict(book[NOTES].iter_rows(min_row=2, values_only=True))
    for sheet in book.sheetnames[1:]:
        assert notes.get(sheet), f"{name}: the notes sheet does not say what {sheet} is"
    assert sum(sheet == NOTES for sheet in book.sheetnames) == 1


@pytest.mark.slow
def test_levels_are_numbers_and_the_pyramid_shares_percentages(books):
    book = openpyxl.load_workbook(books["grading_workbook"])
    ws = book[LABELS.text("workbook", "factor_levels")]
    levels = [c for col in ws.iter_cols(min_col=2, min_row=2) for c in col]
    assert levels and not [c.number_format for c in levels if "%" in c.number_format]
    assert {c.value for c in levels} <= {1, 2, 3, 4, None}
    pyramid = book[LABELS.text("workbook", "pyramid")]
    header = [c.value for c in pyramid[1]]
    for key in ("share", "target", "deviation"):
        column = header.index(LABELS.text("column", key)) + 1
        formats = {pyramid.cell(r, column).number_format for r in range(2, pyramid.max_row + 1)}
        assert formats == {"0.0%"}, key
