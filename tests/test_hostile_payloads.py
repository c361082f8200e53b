"""Script, formula and personal-data payloads in every free-text field, through the real command.

A small sample gets a payload in every field a reader can see, and phone
numbers and e-mail addresses typed into half of them (see :mod:`hostile`).
Every HTML page must be free of live tags and attributes while still showing
the payloads as text; no workbook cell may be, or become when edited, a
formula; and no output of any kind (HTML, Excel, Parquet, JSON, executed
notebooks) may hold a planted phone number or e-mail address.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import project_copy, run_grading
from helpers.core.labels import LABELS
from helpers.sample_data import generate
from hostile import (
    FORMULAS,
    ID_PAYLOADS,
    SHEET_PAYLOAD,
    XSS,
    formula_cells,
    live_markup,
    personal_data_in,
    plant_payloads,
)

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
PERIOD = "2025Q4"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = project_copy(tmp_path_factory.mktemp("hostile"))
    data = root / "data" / "raw" / "sample"
    generate(data, n_customers=120, seed=11)
    planted = plant_payloads(data)
    # Ids as free text, compared exactly (the sample's mapping upper-cases them, which would blunt the payloads).
    mapping = root / "exact_ids.yaml"
    text = (root / "config" / "mappings" / "sample_distributor.yaml").read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^ids: .*$", "ids: {case: keep, leading_zeros: keep, inner_spaces: keep}", text)
    assert n == 1
    mapping.write_text(text, encoding="utf-8")
    done = run_grading(root, "--period", PERIOD, "--data", str(data), "--mapping", str(mapping))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return root, planted


@pytest.fixture(scope="module")
def project(run) -> Path:
    return run[0]


def pages(root: Path) -> list[Path]:
    found = sorted((root / "reports").rglob("*.html"))
    assert len(found) >= 4, found  # three stage reports and the index
    return found


def visible(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style\b.*?</style>", " ", page, flags=re.S)))


def test_no_report_has_live_markup(project):
    for path in pages(project):
        found = live_markup(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: live markup from data: {sorted(set(found))[:8]}"


def test_the_payloads_are_shown_as_text(project):
    """Escaped, not dropped: the reviewer sees what the export holds."""
    cleaning = visible((project / "reports" / PERIOD / "01_data_cleaning.html").read_text(encoding="utf-8"))
    assert SHEET_PAYLOAD in cleaning  # the sheet name, in the input files table
    assert "<script>alert(101)</script>" in cleaning  # an unmatched industry spelling, in a note
    indicators = visible((project / "reports" / PERIOD / "02_indicators.html").read_text(encoding="utf-8"))
    assert ID_PAYLOADS[0] in indicators  # the busiest customer's id, in the top-customer table
    assert any(p in indicators for p in XSS)  # customer names


def test_no_workbook_has_a_formula(project):
    books = sorted((project / "reports").rglob("*.xlsx"))
    assert len(books) >= 2, books
    for path in books:
        assert not formula_cells(path), f"{path.name}: {formula_cells(path)[:5]}"


def test_workbook_text_is_kept_exactly(project):
    """The guard is a cell style: the values read back are the names as the export spelled them."""
    path = project / "reports" / PERIOD / f"customer_grading_{PERIOD}.xlsx"
    sheet = load_workbook(path)[LABELS.text("workbook", "grading")]
    header = [c.value for c in sheet[1]]
    ids = [r[0] for r in sheet.iter_rows(min_row=2, max_col=1, values_only=True)]
    names = [
        r[header.index(LABELS.text("column", "customer_name"))] for r in sheet.iter_rows(min_row=2, values_only=True)
    ]
    table = pd.read_parquet(project / "data" / "processed" / PERIOD / "grading.parquet")
    assert ids == table["customer_id"].tolist()
    assert "=1+C2" in ids
    assert any(str(n).startswith(tuple(f.strip()[:1] for f in FORMULAS)) for n in names)
    guarded = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.quotePrefix]
    assert guarded and all(c.value[:1] in "=+-@\t\r" for c in guarded)


def test_no_output_holds_personal_data(run):
    root, planted = run
    assert len(planted) > 200  # typed into free text, and the contact columns
    found = personal_data_in(root, planted)
    assert not found, f"{len(found)} personal data found, e.g. {found[:5]}"


def test_masked_contacts_are_still_recognisable(project):
    """Masked, not dropped: the name keeps its words and the number its ends."""
    customers = pd.read_parquet(project / "data" / "processed" / PERIOD / "customers.parquet")
    names = customers["customer_name"].dropna()
    assert names.str.contains(r"139\*{4}\d{4}").any()
    assert names.str.contains(r"l\*\*\*@example\.com\.cn").any()
    assert names.str.contains("公司").all()
