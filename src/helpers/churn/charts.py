"""Charts of stage 04: the purchase gaps against the horizon, calibration, today's churn probabilities and the
retention by tenure.

Like :mod:`helpers.reporting.charts`, every function draws on a given Axes and returns it; words come from the
label registry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from helpers.core.labels import LABELS
from helpers.reporting.charts import place_legend, plot_distribution

__all__ = ["plot_calibration", "plot_purchase_gaps", "plot_retention", "plot_risk_distribution"]


def _c(key: str) -> str:
    return LABELS.text("chart", key)


def plot_purchase_gaps(ax: Axes, gaps: pd.Series, horizon_days: int) -> Axes:
    """Histogram of the days between a customer's purchases, with the churn horizon marked."""
    plot_distribution(ax, gaps, title=_c("purchase_gaps"), xlabel=_c("purchase_gaps_axis"), counted="gaps")
    if not ax.get_visible():  # no gaps to show
        return ax
    ax.axvline(horizon_days, color="#C00000", linewidth=1.5)
    ax.annotate(
        LABELS.format("chart", "churn_horizon", days=horizon_days),
        xy=(horizon_days, 0.95),
        xycoords=("data", "axes fraction"),
        xytext=(4, 0),
        textcoords="offset points",
        color="#C00000",
        va="top",
    )
    place_legend(ax, frameon=False)  # again: the horizon's label now takes a corner too
    return ax


def plot_calibration(ax: Axes, before: pd.DataFrame, after: pd.DataFrame) -> Axes:
    """Observed churn against the mean predicted probability per group, before and after calibration."""
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label=_c("calibration_ideal"))
    for table, key, style in ((before, "calibration_before", "o-"), (after, "calibration_after", "s-")):
        if len(table):
            ax.plot(table["predicted"], table["observed"], style, markersize=4, label=_c(key))
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        title=_c("calibration"),
        xlabel=_c("calibration_predicted"),
        ylabel=_c("calibration_observed"),
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="upper left", frameon=False)
    return ax


def plot_risk_distribution(ax: Axes, probability: pd.Series, thresholds: dict[str, float]) -> Axes:
    """Histogram of today's churn probabilities, with the band thresholds marked."""
    values = pd.to_numeric(probability, errors="coerce").dropna().to_numpy(dtype=float)
    counts, _, _ = ax.hist(values, bins=np.linspace(0, 1, 21), color="#4472C4", edgecolor="white")
    if counts.size and counts.max() > 0:  # headroom: the band names at the top stay clear of the bars
        ax.set_ylim(0, counts.max() * 1.3)
    for band, threshold in thresholds.items():
        ax.axvline(threshold, color="#C00000" if band == "high" else "#ED7D31", linewidth=1.2)
        ax.annotate(
            LABELS.text("risk_band", band),
            xy=(threshold, 0.95),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            va="top",
        )
    ax.set(title=_c("risk_distribution"), xlabel=_c("risk_distribution_axis"), xlim=(0, 1))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return ax


def plot_retention(ax: Axes, curve: pd.DataFrame) -> Axes:
    """The Kaplan–Meier retention by tenure as steps: every group of ``curve`` (``""`` = all customers, drawn
    thicker, with its 95 % band)."""
    for group, part in curve.groupby("group", sort=False):
        part = part.sort_values("months")
        overall = group == ""
        ax.step(
            part["months"],
            part["retention"],
            where="post",
            linewidth=2.2 if overall else 1.3,
            color="black" if overall else None,
            label=_c("retention_all") if overall else str(group),
        )
        if overall:
            ax.fill_between(part["months"], part["lower"], part["upper"], step="post", color="0.85")
    ax.set(title=_c("retention"), xlabel=_c("retention_axis"), ylabel=_c("retention_share"), ylim=(0, 1.02))
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="lower left", frameon=False)
    return ax
