"""Charts more than one stage draws: distributions, concentration curves, counts per class.

Each ``plot_*`` function takes the Axes to draw on and returns it, so a
notebook composes figures however it likes; titles and axis labels come from
the label registry (:data:`helpers.core.labels.LABELS`). The layout helpers
keep a chart readable: :func:`hide_panel` leaves out a panel with nothing to
show (the report says so in a sentence), :func:`fit_panels` wraps small
multiples into rows instead of shrinking them, and :func:`place_legend` puts a
legend where it covers no bar or point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter
from matplotlib.transforms import Bbox

from helpers.core.labels import LABELS
from helpers.reporting.style import thousands
from helpers.shared import concentration, concentration_curve

__all__ = ["MIN_PANEL_INCHES", "fit_panels", "hide_panel", "place_legend", "plot_distribution", "plot_lorenz"]

#: The smallest drawing area of one panel of small multiples (width, height in inches), axis labels not counted.
MIN_PANEL_INCHES = (3.2, 2.6)
# The widest figure a report page shows without scaling it down (inches).
_PAGE_WIDTH_INCHES = 13.0
# The corners tried for a legend inside the axes, before it goes outside on the right.
_LEGEND_CORNERS = ("upper right", "upper left", "lower right", "lower left", "center right", "center left")


def hide_panel(ax: Axes) -> Axes:
    """Leave out a panel that has nothing to show (a grading with no values), rather than draw an empty axis.

    The caller says why in a sentence; :func:`fit_panels` closes the gap.
    """
    ax.set_visible(False)
    return ax


def fit_panels(
    axes: Sequence[Axes], *, min_size: tuple[float, float] = MIN_PANEL_INCHES, max_width: float = _PAGE_WIDTH_INCHES
) -> list[Axes]:
    """Arrange the shown panels of one figure in rows so that each draws on at least ``min_size`` inches.

    Hidden panels (:func:`hide_panel`) are removed. As many panels go in a row
    as fit in the figure's width (at most ``max_width``, unless one panel needs
    more); the others wrap into more rows, and the figure grows in height
    instead of the panels shrinking.

    Parameters
    ----------
    axes
        The panels of one figure, drawn.
    min_size
        Smallest width and height of a panel's drawing area, in inches; its
        titles and tick labels come on top.
    max_width
        Widest figure, in inches.

    Returns
    -------
    list of Axes
        The panels shown, in their order.
    """
    panels = list(np.ravel(axes))
    if not panels:
        return []
    fig = panels[0].figure
    shown = [ax for ax in panels if ax.get_visible()]
    for ax in panels:
        if not ax.get_visible():
            ax.remove()
    if not shown:
        fig.set_size_inches(min_size[0], 0.2)  # nothing to draw: a sliver, not a blank page
        return []
    # Titles and tick labels take room beside each panel's drawing area: measure them at the current layout.
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    spare_w = spare_h = 0.0
    for ax in shown:
        outer, inner = ax.get_tightbbox(renderer), ax.get_window_extent(renderer)
        spare_w = max(spare_w, (outer.width - inner.width) / fig.dpi)
        spare_h = max(spare_h, (outer.height - inner.height) / fig.dpi)
    # Plus the padding tight_layout puts around each panel.
    cell_w, cell_h = min_size[0] + spare_w + 0.4, min_size[1] + spare_h + 0.4
    width = max(min(fig.get_figwidth(), max_width), cell_w)
    columns = max(1, min(len(shown), int(width // cell_w)))
    rows = math.ceil(len(shown) / columns)
    columns = math.ceil(len(shown) / rows)  # 4 panels in 2 rows: 2 + 2, not 3 + 1
    height_per_row = max(fig.get_figheight() / _grid_rows(panels[0]), cell_h)
    grid = fig.add_gridspec(rows, columns)
    for i, ax in enumerate(shown):
        ax.set_subplotspec(grid[i // columns, i % columns])
    fig.set_size_inches(max(width, columns * cell_w), rows * height_per_row)
    fig.tight_layout()
    return shown


def _grid_rows(ax: Axes) -> int:
    """Rows of the grid the panel was drawn in (1 for a lone Axes)."""
    spec = ax.get_subplotspec()
    return spec.get_gridspec().nrows if spec is not None else 1


def place_legend(ax: Axes, **kwargs) -> Legend:
    """A legend in a corner of the axes where it covers no bar, bar label or point, else outside on the right.

    Parameters
    ----------
    ax
        Axes with labelled artists, fully drawn (limits set).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.legend` (``fontsize``, ``frameon``...).

    Returns
    -------
    Legend
    """
    ax.figure.draw_without_rendering()  # settle the limits, so the bars are where they will be drawn
    renderer = ax.figure.canvas.get_renderer()
    obstacles = _obstacles(ax, renderer)
    for corner in _LEGEND_CORNERS:
        legend = ax.legend(loc=corner, **kwargs)
        box = legend.get_window_extent(renderer)
        if not any(box.overlaps(other) for other in obstacles):
            return legend
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def _obstacles(ax: Axes, renderer) -> list[Bbox]:
    """Window boxes of what a legend must not cover: bars, the texts on them and scatter points."""
    boxes = [
        p.get_window_extent(renderer)
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_visible() and p.get_width() and p.get_height()
    ]
    boxes += [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()]
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if collection.get_visible() and len(offsets):
            points = collection.get_offset_transform().transform(np.asarray(offsets, dtype=float))
            boxes += [Bbox.from_bounds(x - 2, y - 2, 4, 4) for x, y in points if np.isfinite([x, y]).all()]
    return boxes


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
        One value per customer; missing values are left out. With none left the
        panel is hidden (:func:`hide_panel`).
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
    if not v.size:  # nothing to count: no empty axis, the report says why
        return hide_panel(ax)
    median = float(np.median(v))
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
    if log:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=LABELS.text("chart", f"{counted}_axis"))
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    if v.size:
        place_legend(ax, frameon=False)
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
