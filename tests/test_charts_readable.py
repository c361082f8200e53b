"""Charts a reviewer can read: no empty panels, axes on the data, legends clear of bars, panels big enough."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from helpers.indicators.charts import plot_indicator_distributions
from helpers.opportunity.charts import plot_win_rates
from helpers.reporting.charts import MIN_PANEL_INCHES, plot_distribution
from helpers.reporting.style import use_report_style
from helpers.segmentation.charts import plot_class_share, plot_gradings, plot_tier_counts, plot_value_matrix
from helpers.segmentation.gradings import NOT_AVAILABLE


@pytest.fixture(autouse=True)
def _report_style():
    use_report_style()  # the report's CJK font: the labels measure as they render
    yield
    plt.close("all")


def _grading(name: str, classes: list[str], n: int = 200, seed: int = 0) -> pd.Series:
    values = np.random.default_rng(seed).choice(classes, size=n)
    return pd.Series(values, index=pd.RangeIndex(n, name="customer_id"), name=name, dtype="string")


def _gradings(*, needs_available: bool = True) -> dict[str, pd.Series]:
    needs = ["personalised", "price_sensitive", "quality_seeking"] if needs_available else [NOT_AVAILABLE]
    return {
        "value_tier": _grading("value_tier", ["high", "medium", "low"]),
        "behaviour_state": _grading("behaviour_state", ["active", "dormant", "churned"]),
        "needs_type": _grading("needs_type", needs),
        "satisfaction_class": _grading("satisfaction_class", ["satisfied", "neutral", NOT_AVAILABLE]),
    }


def _panel_inches(ax) -> tuple[float, float]:
    """Width and height of an Axes' drawing area, in inches."""
    box = ax.get_window_extent()
    return box.width / ax.figure.dpi, box.height / ax.figure.dpi


def _bar_boxes(ax) -> list:
    return [
        p.get_window_extent()
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_width() and p.get_height() and p.get_visible()
    ]


# --------------------------------------------------------------------------- no empty panel
def test_unavailable_grading_draws_no_panel():
    fig, ax = plt.subplots()
    plot_tier_counts(ax, pd.Series([NOT_AVAILABLE] * 5, name="needs_type", dtype="string"))
    assert not ax.get_visible()


def test_gradings_leave_out_an_unavailable_one():
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))  # the notebook's figure
    shown = plot_gradings(axes, _gradings(needs_available=False))
    assert len(shown) == 3
    assert [ax for ax in fig.axes if ax.get_visible()] == shown
    assert all(ax.patches for ax in shown)  # every panel left has bars


def test_empty_distribution_and_class_share_are_hidden():
    fig, axes = plt.subplots(1, 2)
    plot_distribution(axes[0], pd.Series([np.nan, np.nan]), title="t", xlabel="x")
    summary = pd.DataFrame(
        {"share": [np.nan, np.nan], "customers": [0, 0]}, index=["important_value", "general_win_back"]
    )
    plot_class_share(axes[1], summary)
    assert not axes[0].get_visible() and not axes[1].get_visible()


# --------------------------------------------------------------------------- small multiples
def test_grading_panels_are_at_least_the_minimum_size():
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    shown = plot_gradings(axes, _gradings())
    fig.canvas.draw()
    for ax in shown:
        width, height = _panel_inches(ax)
        assert width >= MIN_PANEL_INCHES[0] - 0.05 and height >= MIN_PANEL_INCHES[1] - 0.05, (width, height)


def test_indicator_distributions_are_at_least_the_minimum_size():
    rng = np.random.default_rng(1)
    n = 500
    indicators = pd.DataFrame(
        {
            "active_in_window": True,
            "recency_days": rng.integers(0, 365, n),
            "frequency": rng.integers(1, 20, n),
            "monetary": rng.lognormal(8, 1.5, n),
        }
    )
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))  # the notebook's figure
    plot_indicator_distributions(axes, indicators, "CNY")
    fig.tight_layout()  # as the notebook does after
    fig.canvas.draw()
    for ax in fig.axes:
        width, height = _panel_inches(ax)
        assert width >= MIN_PANEL_INCHES[0] - 0.05 and height >= MIN_PANEL_INCHES[1] - 0.05, (width, height)


# --------------------------------------------------------------------------- legends
def _assert_legend_clear(ax) -> None:
    ax.figure.canvas.draw()
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent()
    covered = [bar for bar in _bar_boxes(ax) if box.overlaps(bar)]
    assert not covered, f"legend {box} covers bars {covered}"


def test_win_rate_legend_covers_no_bar():
    win_rates = pd.DataFrame(
        {
            "test_win_rate": [0.3, 0.5, 0.7],
            "test_deals": [10, 10, 10],
            "win_rate": [0.35, 0.55, 0.75],
            "deals": [9] * 3,
        },
        index=["watch", "nurture", "priority"],  # the tallest bars on the right, under the old legend
    )
    fig, ax = plt.subplots(figsize=(7, 3.6))
    plot_win_rates(ax, win_rates)
    _assert_legend_clear(ax)


def test_distribution_legend_covers_no_bar():
    # Probability alive: a tall bar at the right end, where the median's legend used to sit.
    values = pd.Series(np.r_[np.full(500, 0.99), np.random.default_rng(2).uniform(0, 1, 60)])
    fig, ax = plt.subplots(figsize=(6, 3.6))
    plot_distribution(ax, values, title="p", xlabel="x")
    _assert_legend_clear(ax)


# --------------------------------------------------------------------------- value matrix
def _value_matrix_data(n: int = 400) -> tuple[pd.Series, pd.Series, pd.Series, dict[str, float]]:
    rng = np.random.default_rng(3)
    index = pd.RangeIndex(n, name="customer_id")
    clv = pd.Series(rng.lognormal(9, 1.2, n), index=index, name="clv")
    profit = pd.Series(rng.lognormal(7, 1.5, n) - 200, index=index)  # a few small losses
    cuts = {"clv": float(clv.median()), "gross_profit": float(profit.median())}
    high_clv, high_profit = clv >= cuts["clv"], profit >= cuts["gross_profit"]
    classes = pd.Series(
        np.select(
            [high_clv & high_profit, high_clv, high_profit], ["strategic", "high_potential", "basic"], "inefficient"
        ),
        index=index,
        name="value_matrix",
        dtype="string",
    )
    return clv, profit, classes, cuts


def _symlog_span(ax, axis: str, low: float, high: float) -> tuple[float, float, float]:
    """Data and limits in the axis' own scale: (data span, room below, room above)."""
    transform = (ax.xaxis if axis == "x" else ax.yaxis).get_transform()
    lim = ax.get_xlim() if axis == "x" else ax.get_ylim()
    t = np.ravel(transform.transform(np.array([lim[0], low, high, lim[1]])))
    return t[2] - t[1], t[1] - t[0], t[3] - t[2]


def test_value_matrix_axes_hug_the_data():
    clv, profit, classes, cuts = _value_matrix_data()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plot_value_matrix(ax, clv, profit, classes, cuts)
    for axis, values in (("x", clv), ("y", profit)):
        span, below, above = _symlog_span(ax, axis, values.min(), values.max())
        assert 0 < below <= 0.1 * span and 0 < above <= 0.1 * span, (axis, span, below, above)
    # The cut lines stay inside the axes.
    assert ax.get_xlim()[0] < cuts["clv"] < ax.get_xlim()[1]
    assert ax.get_ylim()[0] < cuts["gross_profit"] < ax.get_ylim()[1]
    assert ax.get_xlim()[0] > -1_000  # no decades of negative CLV where nobody is


def test_value_matrix_without_classified_customers_draws_no_panel():
    clv, profit, classes, cuts = _value_matrix_data(20)
    fig, ax = plt.subplots()
    plot_value_matrix(ax, clv, profit, pd.Series(NOT_AVAILABLE, index=classes.index, dtype="string"), cuts)
    assert not ax.get_visible()
