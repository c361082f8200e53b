"""No raw column name, class key or reason code reaches a reviewer: every word comes from the label registry.

Every stage runs on a small sample; the visible text of each HTML report (code
spans aside: config keys and mapping names are shown to analysts as code) and
the headers and class columns of the grading workbook are scanned for the raw
identifiers of the catalog's tables, the reason codes, the factor keys and the
class keys.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import CONFIG, ROOT, run_grading
from helpers.cleaning.ledger import REASONS
from helpers.core.labels import LABELS
from helpers.core.schema import TABLES
from helpers.indicators.customer import INDICATOR_COLUMNS
from helpers.pipeline import registry
from helpers.sample_data import generate
from helpers.segmentation.grading_table import CLASS_COLUMNS, GRADING_COLUMNS
from helpers.segmentation.gradings import GRADING_CLASSES
from helpers.segmentation.settings import RFM_CLASSES, load_scorecard

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
PERIOD = "2025Q4"


def raw_names() -> set[str]:
    """Identifiers with an underscore a reader must never see: columns, keys and codes."""
    names = {
        *GRADING_COLUMNS,
        *INDICATOR_COLUMNS,
        *REASONS,
        *RFM_CLASSES,
        *CLASS_COLUMNS,
        *(k for classes in GRADING_CLASSES.values() for k in classes),
        *(f.key for f in load_scorecard(CONFIG).factors),
        *(c for t in TABLES.values() for c in t),
        "level_4",
        "level_3",
        "level_2",
        "level_1",
        "tenure_years",
        "credit_days_late",
        "order_month_share",
        "within_tolerance",
        "class_zh",
        "class_en",
        "rfm_class_zh",
        "rfm_class_en",
        "weight_share",
    }
    return {n for n in names if "_" in n}


def visible_text(page: str) -> str:
    """The text a reader sees: no style, script or code spans, no tags, entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<code\b.*?</code>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("words") / "project"
    root.mkdir()
    for name in ("config", "notebooks"):
        (root / name).symlink_to(ROOT / name, target_is_directory=True)
    generate(root / "data" / "raw" / "sample", n_customers=120, seed=11)
    done = run_grading(root, "--period", PERIOD, "--data", str(root / "data" / "raw" / "sample"))
    assert done.returncode == 0, done.stdout + done.stderr
    return root


@pytest.mark.parametrize("stage", [s.key for s in registry.stages()])
def test_reports_show_words_not_raw_names(project, stage):
    text = visible_text((project / "reports" / PERIOD / f"{stage}.html").read_text(encoding="utf-8"))
    found = sorted(name for name in raw_names() if re.search(rf"(?<![\w.`]){re.escape(name)}(?![\w`])", text))
    assert not found, f"{stage}.html shows raw names: {found}"


def test_the_grading_workbook_speaks_words(project):
    path = project / "reports" / PERIOD / f"customer_grading_{PERIOD}.xlsx"
    book = pd.read_excel(path, sheet_name=None, engine="calamine")
    for name, sheet in book.items():
        raw = [c for c in sheet.columns if str(c) in raw_names()]
        assert not raw, f"sheet {name} has raw headers {raw}"
    grading = book[LABELS.text("workbook", "grading")]
    table = pd.read_parquet(project / "data" / "processed" / PERIOD / "grading.parquet")
    # The workbook is the table: same customers in the same order, classes as labels, figures unchanged.
    assert grading[LABELS.text("column", "customer_id")].astype(str).tolist() == table["customer_id"].tolist()
    rfm = grading[LABELS.text("column", "rfm_class")].tolist()
    assert rfm == [LABELS.text("rfm_class", k) for k in table["rfm_class"]]
    score = grading[LABELS.text("column", "score")]
    assert score.round(6).tolist() == table["score"].round(6).tolist()
    missing = grading[LABELS.text("column", "factors_missing")].dropna()
    assert not any(key in text for text in missing for key in raw_names()), "factor keys in the workbook"
