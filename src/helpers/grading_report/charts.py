"""Charts of stage 06: the KPI trend, one small panel per KPI. Like :mod:`helpers.reporting.charts`, a function draws
on given Axes and returns them; words come from the label registry."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from helpers.core.labels import LABELS
from helpers.grading_report.kpis import SHARE_KPIS

__all__ = ["drawable_kpis", "plot_kpi_trend"]


def drawable_kpis(panel: pd.DataFrame, kpis: Sequence[str]) -> tuple[list[str], list[str]]:
    """Which KPIs have a trend to draw: values for at least two periods.

    Parameters
    ----------
    panel
        Result of :func:`helpers.grading_report.kpis.kpi_panel` (index the KPI name, column ``trend``).
    kpis
        The KPIs wanted, in order.

    Returns
    -------
    drawn : list of str
        The KPIs of ``kpis`` in the panel with values for two periods or more, in the order of ``kpis``.
    absent : list of str
        The KPIs of ``kpis`` in the panel with values for fewer than two periods. A KPI the panel lacks is in
        neither list.
    """
    drawn, absent = [], []
    for name in kpis:
        if name not in panel.index:
            continue
        values = pd.to_numeric(pd.Series(panel.loc[name, "trend"]), errors="coerce")
        (drawn if values.notna().sum() >= 2 else absent).append(name)
    return drawn, absent


def plot_kpi_trend(axes: Sequence[Axes], panel: pd.DataFrame, kpis: Sequence[str]) -> Sequence[Axes]:
    """Each KPI of ``kpis`` over the periods of the panel (oldest first), this period marked; a KPI the panel lacks,
    or has values for fewer than two periods (:func:`drawable_kpis`), leaves its panel empty with a word saying so."""
    periods = panel.attrs.get("periods", [])
    x = np.arange(len(periods))
    drawn, _ = drawable_kpis(panel, kpis)
    for ax, name in zip(axes, kpis, strict=False):
        ax.set_title(LABELS.text("kpi", name), fontsize=10)
        if name not in drawn:
            ax.text(0.5, 0.5, LABELS.text("common", "not_available"), ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        values = np.asarray(panel.loc[name, "trend"], dtype=float)
        ax.plot(x, values, marker="o", markersize=3, linewidth=1.4)
        ax.plot(x[-1:], values[-1:], marker="o", markersize=7, color="C3")
        step = max(1, len(periods) // 4)
        ax.set_xticks(x[::step], [periods[i] for i in range(0, len(periods), step)], fontsize=8)
        if name in SHARE_KPIS:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(axis="y", alpha=0.3)
    return axes
