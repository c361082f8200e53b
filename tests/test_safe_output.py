"""Text from data stays text: notes, tables and chart labels in HTML, cells in Excel."""

from __future__ import annotations

import datetime as dt
import html
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from helpers.io.excel import FORMULA_STARTS, Cells, Sheet, Workbook, open_workbook
from helpers.reporting.display import Note, Table, literal, set_text_limit
from helpers.reporting.style import chart_text
from hostile import PAYLOADS, live_markup


# --------------------------------------------------------------------------- notes
def test_note_marks_become_tags():
    page = Note("**Bold** and *italic* and `code`\n\nSecond paragraph.")._repr_html_()
    assert page == ("<p><strong>Bold</strong> and <em>italic</em> and <code>code</code></p><p>Second paragraph.</p>")


def test_note_lists_are_lists_and_their_items_escaped():
    page = Note("Intro:\n\n- one **a**\n- <b>two</b>\n\n- not\na list")._repr_html_()
    assert page == (
        "<p>Intro:</p><ul><li>one <strong>a</strong></li><li>&lt;b&gt;two&lt;/b&gt;</li></ul><p>- not\na list</p>"
    )


def test_note_heading_and_text_form():
    note = Note("Text", heading="01 · <Title>")
    assert note._repr_html_().startswith("<h1>01 · &lt;Title&gt;</h1>")
    assert repr(note) == "01 · <Title>\n\nText"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_note_escapes_whatever_it_is_given(payload):
    for text in (payload, f"**{payload}**", f"`{payload}`", literal(payload)):
        page = Note(text)._repr_html_()
        assert not live_markup(page), page
        assert "<script" not in page and "<img" not in page


@given(st.text(min_size=1, max_size=60))
def test_literal_text_reads_back_exactly(value):
    """Whatever a value holds (marks, tags, backslashes), a note shows it as typed."""
    page = Note(f"Name: {literal(value)}.")._repr_html_()
    assert not live_markup(page)
    shown = page.removeprefix("<p>").removesuffix("</p>")
    expected = html.escape(f"Name: {value}.".strip(), quote=True)
    if "\n" not in value and "\r" not in value and "\ue000" not in value and "\ue001" not in value:
        assert shown == expected


def test_marks_in_a_value_are_not_read_as_marks():
    page = Note("Spelled " + literal("**x** `y` *z* a\\b"))._repr_html_()
    assert page == "<p>Spelled **x** `y` *z* a\\b</p>"


# --------------------------------------------------------------------------- tables
def test_table_escapes_cells_headers_and_caption():
    frame = pd.DataFrame({"<b onclick=x()>name</b>": ["<script>alert(1)</script>"], "spend": [1.5]})
    page = Table(frame, money=["spend"], caption="<img src=x onerror=alert(2)>")._repr_html_()
    assert not live_markup(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b onclick=x()&gt;name&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "1.50" in page


# --------------------------------------------------------------------------- charts
def test_chart_text_keeps_dollars_and_shortens():
    assert chart_text("$x^{$") == r"\$x^{\$"
    assert chart_text("a\tb\nc") == "a b c"
    assert chart_text("x" * 50, limit=10) == "x" * 9 + "…"


def test_a_broken_math_name_does_not_stop_a_chart():
    fig, ax = plt.subplots()
    ax.set_yticks([0, 1], [chart_text(r"$\frac{1}{$"), chart_text("$$")])
    fig.canvas.draw()  # raises on bad mathtext without the escaping
    plt.close(fig)


# --------------------------------------------------------------------------- workbooks
def _decoded(text: str) -> str:
    """A cell's text with OOXML's ``_xHHHH_`` escapes of control characters decoded (openpyxl leaves them)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


@pytest.fixture
def written(tmp_path):
    values = [
        *PAYLOADS,
        "plain",
        "-",
        "a-b",
        3,
        2.5,
        float("nan"),
        None,
        pd.NA,
        pd.NaT,
        float("inf"),
        True,
        pd.Timestamp("2025-03-01"),
        dt.datetime(2025, 3, 1, 12, 30),
        np.int64(7),
    ]
    path = tmp_path / "cells.xlsx"
    book = open_workbook(path)
    ws = book.add_worksheet("s")
    Cells(book).write_column(ws, 0, 0, values, {"bold": True})
    book.close()
    return values, load_workbook(path)["s"]


def test_text_is_text_and_formula_looking_text_is_guarded(written):
    values, ws = written
    for i, value in enumerate(values, start=1):
        cell = ws.cell(i, 1)
        assert cell.data_type != "f"
        if isinstance(value, str):
            assert _decoded(cell.value) == value
            assert bool(cell.quotePrefix) == (len(value) > 0 and value.startswith(FORMULA_STARTS))
            assert cell.font.b


def test_cells_keep_their_types(written):
    values, ws = written
    got = {repr(v): ws.cell(i, 1).value for i, v in enumerate(values, start=1)}
    assert got["3"] == 3 and got["2.5"] == 2.5 and got["np.int64(7)"] == 7
    assert got["nan"] is None and got["None"] is None and got["<NA>"] is None and got["NaT"] is None
    assert got["inf"] == "inf"
    assert got["True"] is True
    assert got[repr(pd.Timestamp("2025-03-01"))] == dt.datetime(2025, 3, 1)
    moment = dt.datetime(2025, 3, 1, 12, 30)
    with_time = ws.cell(next(i for i, v in enumerate(values, start=1) if v is not pd.NA and v == moment), 1)
    assert with_time.value == dt.datetime(2025, 3, 1, 12, 30) and with_time.number_format == "yyyy-mm-dd hh:mm:ss"


def test_workbooks_are_byte_identical_and_guarded(tmp_path):
    frame = pd.DataFrame({"name": ["=1+1", "ok"], "when": pd.to_datetime(["2025-01-02", None]), "x": [1.0, None]})
    book = Workbook([Sheet("t", frame, headers={"name": "=Name", "when": "When", "x": "X"})])
    first, second = book.write(tmp_path / "a.xlsx"), book.write(tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()
    ws = load_workbook(first)["t"]
    assert ws["A1"].value == "=Name" and ws["A1"].quotePrefix and ws["A1"].data_type == "s"
    assert ws["A2"].value == "=1+1" and ws["A2"].quotePrefix
    assert ws["B2"].number_format == "yyyy-mm-dd" and ws["B3"].value is None
    assert ws["C2"].value == 1.0 and ws["C3"].value is None


def test_long_texts_are_cut_in_reports_only_when_a_limit_is_set():
    frame = pd.DataFrame({"name": ["x" * 5000, "short"]})
    try:
        set_text_limit(50)
        page = Table(frame)._repr_html_()
        assert "x" * 49 + "…" in page and "x" * 50 not in page and "short" in page
        assert Note("Name: " + literal("y" * 500))._repr_html_() == "<p>Name: " + "y" * 49 + "…</p>"
    finally:
        set_text_limit(None)
    assert "x" * 5000 in Table(frame)._repr_html_()
