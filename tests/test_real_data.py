"""End to end on the real shared data (skipped with the reason when ../shared/data is absent)."""

import json

import openpyxl
import pandas as pd
import pytest

from conftest import clean, project_copy, run_grading, shared_file
from helpers.segmentation.manual_input import INPUT_SHEET

pytestmark = pytest.mark.realdata


@pytest.mark.parametrize(
    "name, period, rows, customers, duplicates",
    [
        ("online_retail.parquet", "2011-11", 541_909, 4_372, 5_268),
        ("online_retail_II_year_2009_2010.parquet", "2010-11", 525_461, 4_383, 6_865),
    ],
)
def test_online_retail_ledger_accounts_for_every_row(name, period, rows, customers, duplicates):
    run = clean(shared_file(name), period)
    result = run.result
    recon = run.reconciliation.set_index("step")
    assert recon.loc["raw", "rows"] == rows
    assert recon.loc["kept_total", "rows"] + recon.loc["excluded_total", "rows"] == rows
    assert result.notes["raw_customer_ids"] == customers  # distinct customer ids before any filtering
    excluded = result.ledger[result.ledger["status"] == "excluded"]["reason"].value_counts()
    assert excluded["duplicate_line"] == duplicates  # as counted in shared/data/README.md
    raw = pd.read_parquet(shared_file(name))
    price, invoice = ("UnitPrice", "InvoiceNo") if "UnitPrice" in raw else ("Price", "Invoice")
    line = raw["Quantity"] * raw[price]
    # Credit invoices count as credits whatever their sign (Online Retail II has one "C" line with +1 quantity).
    signed = line.where(~raw[invoice].str.startswith("C"), -line.abs())
    assert recon.loc["raw", "amount"] == pytest.approx(signed.sum(), abs=0.01)
    assert recon.loc["kept_total", "amount"] + recon.loc["excluded_total", "amount"] == pytest.approx(
        recon.loc["raw", "amount"], abs=1e-6
    )


def test_online_retail_2011_11_end_to_end(tmp_path):
    data = shared_file("online_retail.parquet")
    root = project_copy(tmp_path)
    done = run_grading(root, "--period", "2011-11", "--data", str(data))
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((root / "data/processed/2011-11/manifest.json").read_text(encoding="utf-8"))
    assert manifest["input_rows"] == 541_909
    assert manifest["kept_rows"] + sum(manifest["excluded_rows"].values()) == 541_909
    assert manifest["inputs"][0]["sha256"] == "69cf7430662db52b58fa7f0514be2564b54203b90b50d22562692972dfaf03b2"
    assert manifest["raw_customer_ids"] == 4_372
    indicators = pd.read_parquet(root / "data/processed/2011-11/indicators.parquet")
    assert indicators["as_of"].eq(pd.Timestamp("2011-11-30")).all()
    assert indicators["last_order_date"].max() < pd.Timestamp("2011-12-01")  # nothing after the as-of date
    assert indicators["tickets"].isna().all() and indicators["nps_score"].isna().all()  # absent tables: n/a, not 0
    grades = pd.read_parquet(root / "data/processed/2011-11/grading.parquet")
    graded = indicators.loc[indicators["recency_days"].notna(), "customer_id"]
    assert len(grades) == len(graded) and set(grades["customer_id"]) == set(graded)
    assert grades["clv"].notna().all() and (grades["p_alive"].between(0, 1)).all()
    # No payments, surveys or manual sheet: those factors are reported missing, never scored as 0.
    levels = pd.read_parquet(root / "data/processed/2011-11/scorecard_levels.parquet")
    assert levels["credit"].isna().all() and levels["strategic_fit"].isna().all()
    # Pounds against cut points in yuan, no rate in the mapping: money factors graded by rank, not all "small".
    assert levels["last_year_sales"].value_counts(normalize=True)[1] == pytest.approx(0.5, abs=0.02)
    assert grades["scorecard_class"].value_counts(normalize=True).max() < 0.9
    assert not grades["rfm_class_source"].str.startswith("重要价值 rule").any()  # the CNY override is not applied
    assert (root / "reports/2011-11/customer_grading_2011-11.xlsx").is_file()
    for stage in ("01_data_cleaning", "02_indicators", "03_rfm_segmentation"):
        html = (root / "reports/2011-11" / f"{stage}.html").read_text(encoding="utf-8")
        assert "2011-11" in html.split("</title>")[0]
        assert "open_stage(" not in html and "import " not in html  # no code reaches the reviewer
        assert "data:image/png;base64" in html
    assert "2011-11/01_data_cleaning.html" in (root / "reports/index.html").read_text(encoding="utf-8")

    # A consultant's sheet naming a customer the data do not know stops stage 03 with the file, row and id.
    template = root / "reports/2011-11/scorecard_manual_template_2011-11.xlsx"
    book = openpyxl.load_workbook(template)
    sheet = book[INPUT_SHEET]
    sheet["A2"] = "99999"
    (root / "data/manual").mkdir(parents=True)
    book.save(root / "data/manual/scorecard_2011-11.xlsx")
    done = run_grading(root, "--period", "2011-11", "--data", str(data), "--stages", "03")
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "scorecard_2011-11.xlsx" in out and "99999" in out, out
    assert "Traceback" not in out


def test_transactions_only_cdnow_runs_every_stage_it_can_feed(tmp_path):
    data = shared_file("CDNOW_master.txt")
    root = project_copy(tmp_path)
    done = run_grading(root, "--period", "1997Q4", "--data", str(data))
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((root / "data/processed/1997Q4/manifest.json").read_text(encoding="utf-8"))
    assert manifest["input_rows"] == 69_659 and manifest["raw_customer_ids"] == 23_570
    kpis = pd.read_parquet(root / "data/processed/1997Q4/kpis.parquet").iloc[-1]
    assert pd.isna(kpis["nps"]) and pd.isna(kpis["csat"]) and kpis["active_customers"] > 0


def test_period_without_data_fails_naming_the_stage_and_the_data_span(tmp_path):
    data = shared_file("online_retail.parquet")
    root = project_copy(tmp_path)
    done = run_grading(root, "--period", "2015-01", "--data", str(data))
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "01_data_cleaning" in out and "no kept orders in period 2015-01" in out and "2010-12-01" in out
    assert "Traceback" not in out
