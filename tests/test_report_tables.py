"""The report tables: what a reviewer reads, built from results, with words from the label registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import CONFIG, SETTINGS, with_changes
from helpers.cleaning import report as cr
from helpers.cleaning.ledger import ledger_entries, reconciliation, summary
from helpers.core.labels import LABELS
from helpers.core.mapping import load_mapping
from helpers.indicators import report as ir
from helpers.indicators.kpis import kpi_comparison
from helpers.segmentation import report as sr
from helpers.segmentation.gradings import behaviour_state, value_tier
from helpers.segmentation.rfm import rfm_segments, segment_summary

H = LABELS.text


def _ledger() -> pd.DataFrame:
    data = pd.DataFrame({"source_file": "o.csv", "source_row": range(2, 7)})
    reason = pd.Series(["sale", "sale", "return", "cancelled_order", "invalid_order_date"], dtype="string")
    amount = pd.Series([100.0, 50.0, -20.0, 30.0, np.nan])
    return ledger_entries("orders", data, reason, amount)


def test_the_reconciliation_reads_in_words():
    table = cr.reconciliation_table(reconciliation(_ledger()), "CNY").frame
    assert list(table.columns) == [
        H("column", "step"),
        H("column", "reason"),
        H("column", "rows"),
        f"{H('column', 'amount')}, CNY",
        H("column", "rows_pct"),
        H("column", "amount_pct"),
    ]
    steps = table[H("column", "step")].tolist()
    assert steps[0] == H("reconciliation_step", "raw") and steps[-1] == H("reconciliation_step", "excluded_total")
    reasons = table[H("column", "reason")].tolist()
    assert H("reason", "cancelled_order") in reasons
    # An unparsable value names the field in words, never the raw column name.
    invalid = LABELS.format("reason", "invalid", field=H("field", "order_date"))
    assert invalid in reasons and not any("order_date" in r for r in reasons)
    raw, kept = table.iloc[0], table[table[H("column", "step")] == H("reconciliation_step", "kept_total")].iloc[0]
    assert raw[H("column", "rows")] == 5 and kept[H("column", "rows")] == 3
    assert kept[f"{H('column', 'amount')}, CNY"] == pytest.approx(130.0)


def test_the_tables_table_lists_every_table_with_its_reasons():
    record = summary(_ledger())
    table = cr.tables_table(record, load_mapping(CONFIG, "online_retail")).frame
    orders = table.iloc[0]
    assert orders[H("column", "table")] == H("table", "orders")
    assert orders[H("column", "input_rows")] == 5 and orders[H("column", "excluded_total")] == 2
    assert H("reason", "cancelled_order") + ": 1" in orders[H("column", "excluded_by_reason")]
    customers = table[table[H("column", "table")] == H("table", "customers")].iloc[0]
    assert customers[H("column", "excluded_by_reason")] == H("table_status", "not_mapped")


def _indicators() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "recency_days": pd.array([5, 200, 30, 400, 10], dtype="Int64"),
            "frequency": pd.array([12, 3, 1, 1, 8], dtype="Int64"),
            "monetary": [900.0, 500.0, 50.0, 20.0, 700.0],
            "gross_profit": [300.0, 100.0, 10.0, np.nan, 200.0],
        },
        index=pd.Index([f"C{i}" for i in range(5)], name="customer_id"),
    )
    frame.attrs["unavailable"] = {}
    return frame


def test_the_segment_summary_shows_class_names_and_totals():
    rfm = with_changes(SETTINGS.segmentation.rfm, overrides=[], flags=[])
    summary_ = segment_summary(rfm_segments(_indicators(), rfm))
    table = sr.segment_summary_table(summary_, "GBP").frame
    classes = table[H("column", "rfm_class")].tolist()
    assert classes[:2] == [H("rfm_class", "important_value"), H("rfm_class", "important_retain")]
    assert classes[-1] == H("rfm_class", "total")
    total = table.iloc[-1]
    assert total[H("column", "customers")] == 5 and total[H("column", "customer_share")] == pytest.approx(100.0)
    assert total[f"{H('column', 'revenue')}, GBP"] == pytest.approx(2170.0)


def test_the_gradings_table_names_gradings_and_classes():
    graded = _indicators()
    gradings = {
        "value_tier": value_tier(graded, SETTINGS.segmentation.gradings.value_tier),
        "behaviour_state": behaviour_state(graded, SETTINGS.segmentation.gradings.behaviour),
    }
    table = sr.gradings_table(gradings).frame
    assert set(table[H("column", "grading")]) == {H("grading", "value_tier"), H("grading", "behaviour_state")}
    active = table[table[H("column", "class")] == H("behaviour_state", "active")].iloc[0]
    assert active[H("column", "customers")] == 3 and active[H("column", "share")] == pytest.approx(60.0)


def test_the_kpi_table_formats_each_kind():
    current = pd.Series({"period": "2024-03", "revenue": 1200.0, "orders": 10, "retention_rate": 0.75, "nps": 20.0})
    previous = pd.Series({"period": "2024-02", "revenue": 1000.0, "orders": 8, "retention_rate": 0.5, "nps": 30.0})
    table = ir.kpi_table(kpi_comparison(current, previous), "CNY").frame.set_index(H("column", "kpi"))
    revenue = table.loc[f"{H('kpi', 'revenue')}, CNY"]
    assert (revenue["2024-03"], revenue[H("column", "change")], revenue[H("column", "pct_change")]) == (
        "1,200.00",
        "+200.00",
        "+20.0%",
    )
    retention = table.loc[H("kpi", "retention_rate")]
    assert (retention["2024-03"], retention[H("column", "change")]) == ("75.0%", "+25.0 pts")
    assert table.loc[H("kpi", "nps"), H("column", "change")] == "-10 pts"
    assert table.loc[H("kpi", "csat"), "2024-03"] == "n/a"  # unknown is n/a, never 0


@pytest.fixture
def language():
    """Switch the registry's language for one test, and back."""
    before = LABELS.language

    def switch(lang: str) -> None:
        LABELS.language = lang

    yield switch
    LABELS.language = before


def test_one_setting_switches_every_word_of_a_table(language):
    rfm = with_changes(SETTINGS.segmentation.rfm, overrides=[], flags=[])
    summary_ = segment_summary(rfm_segments(_indicators(), rfm))
    language("zh")
    zh = sr.segment_summary_table(summary_, "CNY").frame
    language("en")
    en = sr.segment_summary_table(summary_, "CNY").frame
    assert list(zh.columns)[:2] == ["RFM分层", "客户数"] and list(en.columns)[:2] == ["RFM class", "Customers"]
    assert zh.iloc[0, 0] == "重要价值客户" and en.iloc[0, 0] == "important value"
