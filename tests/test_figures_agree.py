"""A figure printed twice reads the same: tables, charts and the workbook of stages 02 and 03 agree.

Each report shows some quantities in more than one place (a table and a chart,
the HTML and the Excel workbook). Where both print the same quantity they must
give the same number; where they print different ones (customers per class
against customers per score tier, override matches against class changes) the
two must add up and say which is which. The unit tests build small tables; the
slow test checks the same on a run of the sample data.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from conftest import ROOT, SETTINGS, with_changes
from helpers.core.labels import LABELS
from helpers.indicators import report as ir
from helpers.indicators.charts import plot_indicator_distributions
from helpers.reporting.charts import plot_distribution
from helpers.segmentation import report as sr
from helpers.segmentation.charts import plot_clv_distributions, plot_scores
from helpers.segmentation.rfm import override_effect, rfm_segments
from helpers.segmentation.scorecard import pyramid_check
from helpers.segmentation.settings import RfmSettings, load_scorecard
from helpers.segmentation.stage import SegmentationRun

#: The look-back indicators the stage 02 histograms draw, in the order of their axes.
CHARTED = ("recency_days", "frequency", "monetary")


@pytest.fixture
def notes(monkeypatch) -> list[str]:
    """What stage 03's report functions show, as text."""
    shown: list[str] = []
    monkeypatch.setattr(sr, "note", shown.append)
    return shown


def _axes(n: int) -> list[Axes]:
    fig, axes = plt.subplots(1, n)
    return list(np.atleast_1d(axes))


def _median_line(ax: Axes) -> float:
    """The x of the median the chart marks (its only line)."""
    (line,) = ax.get_lines()
    return float(line.get_xdata()[0])


def _bar_counts(ax: Axes) -> dict[str, int]:
    """Label -> length of each horizontal bar of a counts chart."""
    labels = [t.get_text() for t in ax.get_yticklabels()]
    positions = [int(round(p)) for p in ax.get_yticks()]
    widths = {int(round(bar.get_y() + bar.get_height() / 2)): bar.get_width() for bar in ax.patches}
    return {label: int(widths[p]) for label, p in zip(labels, positions)}


def _row(table, column: str, label: str) -> pd.Series:
    """The row of a report table whose ``column`` header reads ``label``."""
    frame = table.frame
    (hit,) = np.flatnonzero(frame[LABELS.headers([column])[column]].astype(str).str.startswith(label))
    return frame.iloc[hit]


# --------------------------------------------------------------------------- stage 02: median of a distribution
def _indicator_medians_agree(indicators: pd.DataFrame, currency: str) -> None:
    """Each histogram's median line is the median of the summary table's row for the same indicator."""
    table = ir.indicator_summary(indicators, currency)
    axes = _axes(3)
    plot_indicator_distributions(axes, indicators, currency)
    for ax, column in zip(axes, CHARTED):
        median = _row(table, "indicator", LABELS.text("indicator", column))[LABELS.headers(["median"])["median"]]
        assert _median_line(ax) == pytest.approx(median), column
    plt.close("all")


def test_the_spend_histogram_marks_the_median_the_summary_table_prints():
    rng = np.random.default_rng(3)
    n = 300
    monetary = rng.lognormal(9, 1.2, n)
    monetary[:40] = -rng.uniform(10, 500, 40)  # returns exceeding purchases: off the log axis, not off the median
    indicators = pd.DataFrame(
        {
            "active_in_window": True,
            "recency_days": rng.integers(0, 365, n).astype(float),
            "frequency": rng.integers(1, 20, n).astype(float),
            "monetary": monetary,
        },
        index=pd.Index([f"C{i:03d}" for i in range(n)], name="customer_id"),
    )
    _indicator_medians_agree(indicators, "CNY")
    ax = _axes(1)[0]
    plot_distribution(ax, indicators["monetary"], title="spend", xlabel="CNY", log=True)
    assert "40" in ax.get_title()  # the chart says how many customers it leaves out
    plt.close("all")


def test_a_median_off_the_log_axis_is_named_not_drawn():
    ax = _axes(1)[0]
    plot_distribution(ax, pd.Series([-5.0, -1.0, 0.0, 2.0, 8.0]), title="t", xlabel="x", log=True)
    assert ax.get_lines()[0].get_xdata().size == 0  # a legend entry only
    assert ax.get_legend().get_texts()[0].get_text() == LABELS.format("chart_note", "median", value="0.00")
    plt.close("all")


# --------------------------------------------------------------------------- stage 03: classes and pyramid
def _classes_agree(classes: pd.DataFrame, scores: pd.DataFrame, pyramid: pd.DataFrame) -> None:
    """The classes table, the class chart and the pyramid table add up: tier = class + its potential customers."""
    table = sr.scorecard_classes_table(classes, scores).frame
    h = LABELS.headers(["class", "customers"])
    per_class = dict(zip(table[h["class"]], table[h["customers"]]))
    axes = _axes(2)
    plot_scores(axes, scores, classes)
    charted = {k: v for k, v in _bar_counts(axes[1]).items() if v}
    assert charted == per_class
    plt.close("all")

    shown = sr.pyramid_table(pyramid).frame
    p = LABELS.headers(["score_tier", "tier_customers", "tier_potential"])
    assert shown[p["tier_potential"]].sum() == per_class.get(LABELS.text("scorecard_class", "potential"), 0)
    for _, row in shown.iterrows():
        in_class = per_class.get(row[p["score_tier"]], 0)
        assert row[p["tier_customers"]] == in_class + row[p["tier_potential"]], row[p["score_tier"]]
    assert LABELS.text("caption", "pyramid") in sr.pyramid_table(pyramid).caption  # says it counts by score tier


def test_the_pyramid_adds_up_to_the_scorecard_classes():
    card = load_scorecard(ROOT / "config")
    tiers = ["core"] * 3 + ["important"] * 10 + ["ordinary"] * 30 + ["small"] * 57 + ["not_available"] * 2
    klass = list(tiers)
    for i in (20, 21, 22, 60, 61):  # ordinary and small customers singled out as potential
        klass[i] = "potential"
    index = pd.Index([f"C{i:03d}" for i in range(len(tiers))], name="customer_id")
    score = np.linspace(95, 1, len(tiers))
    score[-2:] = np.nan
    scores = pd.DataFrame({"score": score, "provisional": False}, index=index)
    classes = pd.DataFrame({"score_tier": tiers, "scorecard_class": klass}, index=index)
    pyramid = pyramid_check(classes, card)
    assert pyramid["potential"].tolist() == [0, 0, 3, 2]
    _classes_agree(classes, scores, pyramid)


# --------------------------------------------------------------------------- stage 03: override rules
def _overrides_agree(
    segments: pd.DataFrame, settings: RfmSettings, workbook_about: str | None, notes: list[str]
) -> pd.DataFrame:
    """The report's override sentences, the workbook's and the per-customer source column tell the same counts."""
    effect = override_effect(segments, [o.name for o in settings.overrides])
    sentences = sr.override_sentences(segments, settings)
    sr.rfm_method_note(segments, settings, "CNY")
    for sentence in sentences:
        assert sentence in notes[-1]
        if workbook_about is not None:
            assert sentence in workbook_about
    for name, row in effect.iterrows():
        assert int(segments["rfm_class_source"].eq(name).sum()) == row["matched"]
        assert f"{name}: {row['matched']:,} customers match it; it changed the class of {row['changed']:,}" in (
            " ".join(sentences)
        )
    return effect


def test_an_override_that_agrees_with_the_cut_is_counted_as_matched_not_changed(notes):
    rules = with_changes(
        SETTINGS.segmentation.rfm,
        flags=[],
        overrides=[
            {"name": "vip", "assign": "important_value", "when": {"frequency": {"min": 10}}},
            {"name": "lapsed", "assign": "important_win_back", "when": {"recency_days": {"min": 300}}},
        ],
    )
    n = 40
    indicators = pd.DataFrame(
        {
            "recency_days": pd.array([5] * 10 + [320] * 5 + [100] * 25, dtype="Int64"),
            "frequency": pd.array([12] * 10 + [1] * 5 + [3] * 25, dtype="Int64"),
            "monetary": [90_000.0] * 10 + [50.0] * 5 + [2_000.0] * 25,
        },
        index=pd.Index([f"C{i:03d}" for i in range(n)], name="customer_id"),
    )
    indicators.attrs["unavailable"] = {}
    segments = rfm_segments(indicators, rules)
    effect = _overrides_agree(segments, rules, None, notes)
    # vip customers are important value by the cut already; lapsed ones would be general win-back.
    assert effect.loc["vip"].tolist() == [10, 0]
    assert effect.loc["lapsed"].tolist() == [5, 5]


# --------------------------------------------------------------------------- the sample run
@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    from helpers.pipeline.memory import run_in_memory
    from helpers.sample_data import generate

    folder = tmp_path_factory.mktemp("figures") / "sample"
    generate(folder)
    return run_in_memory(ROOT, "2025Q4", data=folder, last=3)


@pytest.mark.slow
def test_the_sample_reports_print_each_figure_alike(sample_run, notes):
    indicators = sample_run.results["02_indicators"]
    _indicator_medians_agree(indicators.indicators, indicators.currency)

    run: SegmentationRun = sample_run.results["03_rfm_segmentation"]
    _classes_agree(run.classes, run.scores, run.pyramid)
    workbook = sr.grading_workbook(run)
    book = {sheet.name: sheet.frame for sheet in workbook.sheets}
    w = lambda key: LABELS.text("workbook", key)
    pd.testing.assert_frame_equal(
        book[w("pyramid")][["tier_customers", "tier_potential"]].reset_index(drop=True),
        run.pyramid[["customers", "potential"]]
        .set_axis(["tier_customers", "tier_potential"], axis=1)
        .reset_index(drop=True),
    )
    about = workbook.about
    settings = RfmSettings.model_validate(run.segments.attrs["settings"])
    assert settings.overrides, "the shipped settings have an override rule"
    _overrides_agree(run.segments, settings, about[w("overrides")], notes)
    grading = book[w("grading")]
    for rule in settings.overrides:
        matched = override_effect(run.segments, [rule.name]).at[rule.name, "matched"]
        assert int(grading["rfm_class_source"].eq(rule.name).sum()) == matched

    # The CLV table and the CLV chart: the same customers, the same median.
    predictions = run.clv.predictions.reindex(run.segments.index)
    table = sr.clv_summary_table(predictions, run.currency)
    axes = _axes(2)
    plot_clv_distributions(axes, predictions, run.currency)
    median = _row(table, "figure", LABELS.text("column", "clv"))[LABELS.headers(["median"])["median"]]
    assert _median_line(axes[1]) == pytest.approx(median)
    plt.close("all")


@pytest.mark.slow
def test_each_report_opens_with_findings_whose_figures_its_tables_print(sample_run):
    from helpers.cleaning.findings import findings as cleaning_findings
    from helpers.indicators.findings import findings as indicator_findings
    from helpers.segmentation.findings import findings as segmentation_findings

    said = {
        "01_data_cleaning": cleaning_findings(sample_run.results["01_data_cleaning"]),
        "02_indicators": indicator_findings(sample_run.results["02_indicators"]),
        "03_rfm_segmentation": segmentation_findings(sample_run.results["03_rfm_segmentation"]),
    }
    for key, lines in said.items():
        assert 3 <= len(lines) <= 6, key
        assert lines[-1].startswith("**What to do:**"), key

    cleaning = sample_run.results["01_data_cleaning"]
    orders = cleaning.record["tables"]["orders"]
    assert f"{orders['kept_rows']:,} of {orders['input_rows']:,} kept" in said["01_data_cleaning"][1]

    indicators = sample_run.results["02_indicators"]
    kpis = ir.period_kpi_table(indicators.trend, indicators.currency).frame
    revenue = kpis.loc[kpis.iloc[:, 0].str.startswith(LABELS.text("kpi", "revenue")), kpis.columns[1]].iloc[0]
    assert f"{revenue} {indicators.currency}" in said["02_indicators"][0]  # the KPI table's figure, as printed

    run: SegmentationRun = sample_run.results["03_rfm_segmentation"]
    table = sr.scorecard_classes_table(run.classes, run.scores).frame
    for name, customers in zip(table.iloc[:, 0], table.iloc[:, 1], strict=True):
        assert f"{int(customers):,} {name}" in said["03_rfm_segmentation"][0]
