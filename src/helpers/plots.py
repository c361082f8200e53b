"""Report charts: one style for every notebook, and plot functions that draw on a given Axes.

Each ``plot_*`` function takes the Axes to draw on and returns it, so a
notebook composes figures however it likes. Titles and axis labels are in
English with the Chinese term in parentheses, so :func:`use_report_style`
registers a CJK font first.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from helpers.kpis import KPI_LABELS, concentration, concentration_curve

# System Noto CJK families to fall back on when the mplfonts package is missing.
_SYSTEM_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC")


def _bundled_cjk_font() -> Path | None:
    """The Noto Sans CJK SC file shipped with mplfonts, when that package is installed."""
    try:
        import mplfonts
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    return path if path.is_file() else None


def use_report_style() -> str | None:
    """Apply the report look and make Chinese labels render.

    Sets a seaborn white-grid theme, registers Noto Sans CJK SC (from mplfonts,
    else a system Noto/Source Han CJK font) as the first sans-serif font, and
    draws minus signs as ASCII hyphens because CJK fonts lack the Unicode minus
    glyph.

    Returns
    -------
    str or None
        The CJK font family used, or None when none was found (Chinese text
        then shows as empty boxes).
    """
    sns.set_theme(style="whitegrid", context="notebook")
    family = None
    bundled = _bundled_cjk_font()
    if bundled is not None:
        font_manager.fontManager.addfont(str(bundled))
        family = font_manager.FontProperties(fname=str(bundled)).get_name()
    else:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        family = next((name for name in _SYSTEM_CJK_FAMILIES if name in installed), None)
    mpl.rcParams.update({
        "font.family": "sans-serif",
        "axes.unicode_minus": False,
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
    })
    if family is not None:
        mpl.rcParams["font.sans-serif"] = [family] + [
            f for f in mpl.rcParams["font.sans-serif"] if f != family
        ]
    return family


def _thousands(x: float, _pos: int) -> str:
    return f"{x:,.0f}"


def plot_distribution(
    ax: Axes, values: pd.Series, *, title: str, xlabel: str, log: bool = False
) -> Axes:
    """Histogram of one indicator across customers, with the median marked.

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

    Returns
    -------
    Axes
    """
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if log:
        dropped = int((v <= 0).sum())
        v = v[v > 0]
        if dropped:
            title = f"{title}\n({dropped:,} customers with zero or negative values not shown)"
    elif v.size >= 100:
        # A few extreme customers would squeeze everyone else into one bar: gather the top 1% in the last bar.
        cap = float(np.quantile(v, 0.99))
        if v.max() > 2 * cap > 0:
            title = f"{title}\n({int((v > cap).sum()):,} customers above {cap:,.4g} shown in the last bar)"
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
        median = float(np.median(v))
        ax.axvline(median, color="0.25", linestyle="--", linewidth=1, label=f"Median (中位数) {median:,.0f}" if abs(median) >= 100 else f"Median (中位数) {median:,.2f}")
        ax.legend(loc="upper right", frameon=False)
    if log:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel="Customers (客户数)")
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    return ax


def plot_top_customers(
    ax: Axes, indicators: pd.DataFrame, n: int = 20, *, value_col: str = "monetary"
) -> Axes:
    """Horizontal bars of the ``n`` customers with the highest ``value_col``.

    Parameters
    ----------
    ax
        Axes to draw on.
    indicators
        Customer indicators (index ``customer_id``), e.g. from
        :func:`helpers.indicators.customer_indicators`.
    n
        Number of customers shown.
    value_col
        Column to rank by; net spend in the look-back window by default.

    Returns
    -------
    Axes
    """
    top = indicators[value_col].dropna().nlargest(n).iloc[::-1]
    ax.barh(top.index.astype(str), top.to_numpy(dtype=float), color=sns.color_palette()[0])
    label = "net spend in the window (消费金额)" if value_col == "monetary" else value_col
    ax.set(title=f"Top {len(top)} customers by {label}", xlabel=label.capitalize(), ylabel="Customer (客户编号)")
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.grid(axis="y", visible=False)
    return ax


def plot_lorenz(ax: Axes, values: pd.Series) -> Axes:
    """Revenue concentration curve (帕累托/洛伦兹曲线), largest customers first.

    Marks the share of revenue made by the top 10% and 20% of customers and
    shows the Gini coefficient in the legend. Only positive values are used
    (see :func:`helpers.kpis.concentration`).

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
        ax.plot(x, y, color=sns.color_palette()[0], linewidth=2,
                label=f"Customers, largest first (Gini 基尼系数 = {stats['gini']:.2f})")
        for share, key, colour in ((0.1, "top_10pct_share", "C1"), (0.2, "top_20pct_share", "C2")):
            ax.plot([share, share, 0], [0, stats[key], stats[key]], color=colour, linestyle=":", linewidth=1)
            ax.scatter([share], [stats[key]], color=colour, zorder=3,
                       label=f"Top {share:.0%} of customers make {stats[key]:.0%} of revenue")
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="Perfect equality (完全平均)")
    ax.set(xlim=(0, 1), ylim=(0, 1.02),
           title="Revenue concentration (收入集中度)",
           xlabel="Cumulative share of customers (客户累计占比)",
           ylabel="Cumulative share of revenue (收入累计占比)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_kpi_trend(ax: Axes, trend: pd.DataFrame, columns: Sequence[str]) -> Axes:
    """Lines of KPIs over the periods of a trend table.

    Plot KPIs of one scale together (rates with rates, counts with counts):
    the lines share one y axis. Rates between 0 and 1 get a percent axis.

    Parameters
    ----------
    ax
        Axes to draw on.
    trend
        Result of :func:`helpers.kpis.kpi_trend` (column ``period`` plus KPIs).
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
        ax.plot(positions, values, marker="o", linewidth=2, label=KPI_LABELS.get(column, column))
    # From zero, so a 5% swing does not look like a collapse.
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_xticks(positions, labels, rotation=45 if len(labels) > 6 else 0,
                  ha="right" if len(labels) > 6 else "center")
    is_rate = all(c.endswith("_rate") or c == "csat" for c in columns)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0) if is_rate else FuncFormatter(_thousands))
    ax.set(title="KPI trend by period (指标趋势)", xlabel="Period (期间)")
    ax.legend(loc="best", fontsize="small")
    return ax


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
    bars = ax.barh(data["reason_label"].astype(str), data["rows"].to_numpy(dtype=float),
                   color=sns.color_palette()[3])
    amounts = pd.to_numeric(data["amount"], errors="coerce")
    ax.bar_label(bars, labels=[
        f"{int(r):,} rows" + ("" if pd.isna(a) else f" · amount {a:,.0f}")
        for r, a in zip(data["rows"], amounts)
    ], padding=3, fontsize="small")
    ax.margins(x=0.45)
    ax.set(title="Rows excluded in cleaning, by reason (剔除原因)", xlabel="Rows (行数)", ylabel="")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.grid(axis="y", visible=False)
    return ax


def plot_holdout_by_frequency(ax: Axes, by_frequency: pd.DataFrame) -> Axes:
    """Actual against predicted holdout purchases per calibration frequency (Fader, Hardie & Lee 2005, Fig. 3).

    Parameters
    ----------
    ax
        Axes to draw on.
    by_frequency
        ``ClvValidation.by_frequency``: ``label``, ``customers``, ``actual``, ``predicted``.

    Returns
    -------
    Axes
    """
    positions = np.arange(len(by_frequency))
    ax.plot(positions, by_frequency["actual"], marker="o", linewidth=2, label="Actual (实际)")
    ax.plot(positions, by_frequency["predicted"], marker="s", linewidth=2, linestyle="--",
            label="BG/NBD prediction (模型预测)")
    ax.set_xticks(positions, [f"{lab}\n(n={n:,})" for lab, n in zip(by_frequency["label"], by_frequency["customers"])])
    ax.set(title="Holdout purchases by calibration frequency (验证期购买次数)",
           xlabel="Repeat purchases in the calibration period (校准期复购次数)",
           ylabel="Mean purchases in the holdout period")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_tracking(ax: Axes, tracking: pd.DataFrame, calibration_end: pd.Timestamp) -> Axes:
    """Cumulative repeat purchases, actual against the model, with the calibration / holdout split.

    Parameters
    ----------
    ax
        Axes to draw on.
    tracking
        ``ClvValidation.tracking``: ``date``, ``actual``, ``predicted``.
    calibration_end
        Last day of the calibration period (a vertical line).

    Returns
    -------
    Axes
    """
    ax.plot(tracking["date"], tracking["actual"], linewidth=2, label="Actual (实际)")
    ax.plot(tracking["date"], tracking["predicted"], linewidth=2, linestyle="--", label="BG/NBD prediction (模型预测)")
    ax.axvline(calibration_end, color="0.4", linestyle=":", linewidth=1)
    ax.annotate(" calibration | holdout ", xy=(calibration_end, 0.02), xycoords=("data", "axes fraction"),
                ha="center", fontsize="small", color="0.3", backgroundcolor="white")
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set(title="Cumulative repeat purchases (累计复购次数)", xlabel="Date", ylabel="Repeat purchases")
    ax.legend(loc="upper left", fontsize="small")
    ax.tick_params(axis="x", labelrotation=30)
    return ax
