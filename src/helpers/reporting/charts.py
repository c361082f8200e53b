"""Charts more than one stage draws: distributions, concentration curves, counts per class.

Each ``plot_*`` function takes the Axes to draw on and returns it, so a
notebook composes figures however it likes; titles and axis labels come from
the label registry (:data:`helpers.core.labels.LABELS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from helpers.core.labels import LABELS
from helpers.reporting.style import thousands
from helpers.shared import concentration, concentration_curve

__all__ = ["plot_distribution", "plot_lorenz"]


def plot_distribution(
    ax: Axes, values: pd.Series, *, title: str, xlabel: str, log: bool = False, counted: str = "customers"
) -> Axes:
    """Histogram of one indicator across customers, with the median marked.

    The median is of every value given, before the log axis leaves out zero and
    negative values or the linear axis gathers the tail: it is the median the
    reports' tables print for the same customers.

    Parameters
    ----------
    ax
        Axes to draw on.
    values
        One value per customer; missing values are left out.
    title, xlabel
        Chart title and x-axis label.
    log
        Log-scaled x axis for skewed amounts; zero and negative values cannot
        be shown on it and are left out (the title says how many). On a linear
        axis a long tail above the 99th percentile is gathered in the last bar
        (the title says so).
    counted
        What one value is, for the y axis and the note (``customers``, or ``gaps``: the labels
        ``chart.<counted>_axis`` and ``chart_note.capped_<counted>``).

    Returns
    -------
    Axes
    """
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    median = float(np.median(v)) if v.size else np.nan
    if log:
        dropped = int((v <= 0).sum())
        v = v[v > 0]
        if dropped:
            title = f"{title}\n{LABELS.format('chart_note', 'nonpositive_hidden', n=f'{dropped:,}')}"
    elif v.size >= 100:
        # A few extreme customers would squeeze everyone else into one bar: gather the top 1% in the last bar.
        cap = float(np.quantile(v, 0.99))
        if v.max() > 2 * cap > 0:
            above = f"{int((v > cap).sum()):,}"
            note = "capped" if counted == "customers" else f"capped_{counted}"
            title = f"{title}\n{LABELS.format('chart_note', note, n=above, cap=f'{cap:,.4g}')}"
            v = np.minimum(v, cap)
    if v.size:
        if log and v.min() < v.max():
            bins = np.logspace(np.log10(v.min()), np.log10(v.max()), 40)
        elif not log and np.all(v == np.round(v)) and v.max() - v.min() <= 60:
            # Counts (orders, tickets): one bar per whole number instead of gaps between 40 bins.
            bins = np.arange(v.min() - 0.5, v.max() + 1.5)
        else:
            bins = 40
        ax.hist(v, bins=bins, color=sns.color_palette()[0], edgecolor="white", linewidth=0.5)
        shown = f"{median:,.0f}" if abs(median) >= 100 else f"{median:,.2f}"
        label = LABELS.format("chart_note", "median", value=shown)
        if log and median <= 0:  # off a log axis: named in the legend, not drawn
            ax.plot([], [], color="0.25", linestyle="--", linewidth=1, label=label)
        else:
            ax.axvline(median, color="0.25", linestyle="--", linewidth=1, label=label)
        ax.legend(loc="upper right", frameon=False)
    if log:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=LABELS.text("chart", f"{counted}_axis"))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    return ax


def plot_lorenz(ax: Axes, values: pd.Series) -> Axes:
    """Revenue concentration curve (帕累托/洛伦兹曲线), largest customers first.

    Marks the share of revenue made by the top 10% and 20% of customers and
    shows the Gini coefficient in the legend. Only positive values are used
    (see :func:`helpers.shared.concentration`).

    Parameters
    ----------
    ax
        Axes to draw on.
    values
        Revenue per customer.

    Returns
    -------
    Axes
    """
    x, y = concentration_curve(values)
    stats = concentration(values)
    if x.size:
        ax.plot(
            x,
            y,
            color=sns.color_palette()[0],
            linewidth=2,
            label=LABELS.format("chart_note", "lorenz_curve", gini=f"{stats['gini']:.2f}"),
        )
        for share, key, colour in ((0.1, "top_10pct_share", "C1"), (0.2, "top_20pct_share", "C2")):
            ax.plot([share, share, 0], [0, stats[key], stats[key]], color=colour, linestyle=":", linewidth=1)
            ax.scatter(
                [share],
                [stats[key]],
                color=colour,
                zorder=3,
                label=LABELS.format("chart_note", "top_share", share=f"{share:.0%}", revenue=f"{stats[key]:.0%}"),
            )
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label=LABELS.text("chart_note", "equality"))
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        title=LABELS.text("chart", "lorenz_title"),
        xlabel=LABELS.text("chart", "lorenz_x"),
        ylabel=LABELS.text("chart", "lorenz_y"),
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="lower right", fontsize="small")
    return ax
