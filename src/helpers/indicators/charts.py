"""Charts of the indicators report (stage 02): top customers and the KPI trend."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from helpers.core.labels import LABELS
from helpers.reporting.charts import fit_panels, hide_panel, plot_distribution
from helpers.reporting.style import chart_text, thousands

__all__ = ["plot_indicator_distributions", "plot_kpi_overview", "plot_kpi_trend", "plot_top_customers"]


def plot_top_customers(ax: Axes, indicators: pd.DataFrame, n: int = 20, *, value_col: str = "monetary") -> Axes:
    """Horizontal bars of the ``n`` customers with the highest net spend in the window.

    Parameters
    ----------
    ax
        Axes to draw on.
    indicators
        Customer indicators (index ``customer_id``), from
        :func:`helpers.indicators.customer.customer_indicators`.
    n
        Number of customers shown.
    value_col
        The net-spend column to rank by.

    Returns
    -------
    Axes
    """
    top = indicators[value_col].dropna().nlargest(n).iloc[::-1]
    # Bars by position, labelled after: equal labels (two ids shortened alike) must not merge into one bar.
    positions = np.arange(len(top))
    ax.barh(positions, top.to_numpy(dtype=float), color=sns.color_palette()[0])
    ax.set_yticks(positions, [chart_text(c) for c in top.index])
    ax.set(
        title=LABELS.format("chart", "top_customers", n=len(top)),
        xlabel=LABELS.text("chart", "net_spend_axis"),
        ylabel=LABELS.text("chart", "customer_axis"),
    )
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.grid(axis="y", visible=False)
    return ax


def plot_kpi_trend(ax: Axes, trend: pd.DataFrame, columns: Sequence[str]) -> Axes:
    """Lines of KPIs over the periods of a trend table.

    Plot KPIs of one scale together (rates with rates, counts with counts):
    the lines share one y axis. Rates between 0 and 1 get a percent axis. When
    none of the KPIs has a value the panel is hidden.

    Parameters
    ----------
    ax
        Axes to draw on.
    trend
        Result of :func:`helpers.indicators.kpis.kpi_trend` (column ``period`` plus KPIs).
    columns
        KPI columns to draw.

    Returns
    -------
    Axes
    """
    labels = trend["period"].astype(str).tolist()
    positions = np.arange(len(labels))
    for column in columns:
        values = pd.to_numeric(trend[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(values).all():  # a KPI the data cannot give gets no empty legend entry
            continue
        ax.plot(positions, values, marker="o", linewidth=2, label=LABELS.text("kpi", column))
    if not ax.lines:  # no KPI the data can give: no empty axis, the report says why
        return hide_panel(ax)
    # From zero, so a 5% swing does not look like a collapse.
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_xticks(positions, labels, rotation=45 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
    is_rate = all(c.endswith("_rate") or c == "csat" for c in columns)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0) if is_rate else FuncFormatter(thousands))
    ax.set(title=LABELS.text("chart", "kpi_trend"), xlabel=LABELS.text("chart", "period_axis"))
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_kpi_overview(axes: Sequence[Axes], trend: pd.DataFrame, currency: str) -> Sequence[Axes]:
    """Two trend panels: revenue, and the rates (repurchase, retention, CSAT)."""
    plot_kpi_trend(axes[0], trend, ["revenue"]).set_ylabel(f"{LABELS.text('kpi', 'revenue')}, {currency}")
    plot_kpi_trend(axes[1], trend, ["repurchase_rate", "retention_rate", "csat"])
    return axes


def plot_indicator_distributions(axes: Sequence[Axes], indicators: pd.DataFrame, currency: str) -> Sequence[Axes]:
    """Recency, frequency and net spend (log scale) of the customers active in the look-back window.

    The panels wrap into rows of readable size (:func:`helpers.reporting.charts.fit_panels`); a panel
    without values is left out.
    """
    active = indicators[indicators["active_in_window"].fillna(False).astype(bool)]
    text = LABELS.text
    plot_distribution(
        axes[0], active["recency_days"], title=text("chart", "recency"), xlabel=text("chart", "recency_axis")
    )
    plot_distribution(
        axes[1], active["frequency"], title=text("chart", "frequency"), xlabel=text("chart", "frequency_axis")
    )
    plot_distribution(
        axes[2],
        active["monetary"],  # the chart leaves out net spend <= 0 and says how many; its median keeps them
        title=text("chart", "monetary"),
        xlabel=f"{text('chart', 'monetary_axis')}, {currency}",
        log=True,
    )
    fit_panels(axes)
    return axes
