"""Charts of the data-cleaning report (stage 01)."""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from helpers.core.labels import LABELS
from helpers.reporting.style import thousands

__all__ = ["plot_excluded_by_reason"]


def plot_excluded_by_reason(ax: Axes, reconciliation: pd.DataFrame) -> Axes:
    """Bars of the rows excluded in cleaning, per reason, with the amount they carried.

    Parameters
    ----------
    ax
        Axes to draw on.
    reconciliation
        One row per exclusion reason with columns ``reason_label``, ``rows``
        and ``amount``.

    Returns
    -------
    Axes
    """
    data = reconciliation.sort_values("rows")
    bars = ax.barh(data["reason_label"].astype(str), data["rows"].to_numpy(dtype=float), color=sns.color_palette()[3])
    amounts = pd.to_numeric(data["amount"], errors="coerce")
    ax.bar_label(
        bars,
        labels=[
            LABELS.format("chart_note", "row_only" if r == 1 else "rows_only", rows=f"{int(r):,}")
            if pd.isna(a)
            else LABELS.format(
                "chart_note", "row_amount" if r == 1 else "rows_amount", rows=f"{int(r):,}", amount=f"{a:,.0f}"
            )
            for r, a in zip(data["rows"], amounts)
        ],
        padding=3,
        fontsize="small",
    )
    ax.margins(x=0.45)
    ax.set(title=LABELS.text("chart", "excluded_title"), xlabel=LABELS.text("chart", "rows_axis"), ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.grid(axis="y", visible=False)
    return ax
