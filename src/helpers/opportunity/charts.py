"""Charts of stage 05: the win rate of each tier. Like :mod:`helpers.reporting.charts`, a function draws on a
given Axes and returns it; words come from the label registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from helpers.core.labels import LABELS
from helpers.reporting.charts import place_legend

__all__ = ["plot_win_rates"]


def plot_win_rates(ax: Axes, win_rates: pd.DataFrame) -> Axes:
    """Win rate per tier: the held-out test deals beside every closed deal, with the deal counts on the bars."""
    tiers = list(win_rates.index)
    x = np.arange(len(tiers))
    for offset, (rate, count, key) in zip(
        (-0.2, 0.2),
        (("test_win_rate", "test_deals", "test_deals"), ("win_rate", "deals", "deals")),
        strict=True,
    ):
        values = win_rates[rate].astype(float).fillna(0).to_numpy()
        bars = ax.bar(x + offset, values, width=0.38, label=LABELS.text("opportunity_column", key))
        for bar, n in zip(bars, win_rates[count].to_numpy(), strict=True):
            ax.annotate(
                f"n={int(n)}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
    ax.set_xticks(x, [LABELS.text("opportunity_tier", t) for t in tiers])
    ax.set(title=LABELS.text("caption", "opportunity_win_rates"), ylabel=LABELS.text("opportunity_column", "win_rate"))
    ax.set_ylim(0, min(1.0, max(0.1, float(win_rates[["test_win_rate", "win_rate"]].max().max()) * 1.25)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    place_legend(ax, frameon=False)  # a corner free of bars and counts, else beside the chart
    return ax
