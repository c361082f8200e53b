"""Charts of stage 03: RFM classes, the R x F heat map, the value matrix and the small gradings.

Like :mod:`helpers.plots`, every function draws on a given Axes and returns
it; labels carry the Chinese term and the English one, so call
:func:`helpers.plots.use_report_style` first for the CJK font.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from helpers.gradings import GRADING_LABELS, NOT_AVAILABLE
from helpers.plots import _thousands

_GRADING_TITLES = {
    "value_tier": "Value tier (价值分层)",
    "behaviour_state": "Behaviour state (行为状态)",
    "needs_type": "Needs type (需求类型)",
    "satisfaction_class": "Satisfaction (满意度分层)",
    "value_matrix": "Value matrix (价值矩阵)",
}


def _compact(x: float) -> str:
    """``1.5M``, ``20k``, ``-300``: short tick labels for wide log axes."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.3g}{suffix}"
    return f"{x:,.0f}"


def _class_labels(summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The class rows (total left out) and their "重要价值客户 important value" labels."""
    classes = summary.drop(index="total", errors="ignore")
    return classes, [f"{zh} {en}" for zh, en in zip(classes["class_zh"], classes["class_en"])]


def _hbars(ax: Axes, labels: list[str], values: np.ndarray, texts: list[str], colour) -> None:
    """Horizontal bars, first label on top, a value label beside each bar."""
    positions = np.arange(len(labels))[::-1]
    bars = ax.barh(positions, values, color=colour)
    ax.set_yticks(positions, labels)
    ax.bar_label(bars, labels=texts, padding=3, fontsize="small")
    ax.margins(x=0.25)
    ax.grid(axis="y", visible=False)


def plot_class_share(ax: Axes, summary: pd.DataFrame) -> Axes:
    """Share of customers in each RFM class, in the class order, with share and count on each bar.

    Parameters
    ----------
    ax
        Axes to draw on.
    summary
        Result of :func:`helpers.rfm.segment_summary`.

    Returns
    -------
    Axes
    """
    classes, labels = _class_labels(summary)
    share = classes["share"].to_numpy(dtype=float)
    texts = [f"{s:.1%} ({int(n):,})" if np.isfinite(s) else "–" for s, n in zip(share, classes["customers"])]
    _hbars(ax, labels, np.nan_to_num(share), texts, sns.color_palette()[0])
    ax.set(title="Customers by RFM class (RFM 客户分层：客户占比)", xlabel="Share of customers (客户占比)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return ax


def plot_class_revenue(ax: Axes, summary: pd.DataFrame) -> Axes:
    """Net revenue of each RFM class, in the class order, with amount and revenue share on each bar.

    Parameters
    ----------
    ax
        Axes to draw on.
    summary
        Result of :func:`helpers.rfm.segment_summary`.

    Returns
    -------
    Axes
    """
    classes, labels = _class_labels(summary)
    revenue = classes["revenue"].to_numpy(dtype=float)
    texts = [f"{r:,.0f} ({s:.1%})" if np.isfinite(s) else f"{r:,.0f}"
             for r, s in zip(revenue, classes["revenue_share"].to_numpy(dtype=float))]
    _hbars(ax, labels, revenue, texts, sns.color_palette()[2])
    ax.axvline(0, color="0.4", linewidth=0.8)  # a class with net returns shows left of zero
    ax.set(title="Net revenue by RFM class (RFM 客户分层：销售额)", xlabel="Net spend in the window (消费金额)")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # long amounts: few ticks so the labels do not collide
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    return ax


def plot_rf_heatmap(ax: Axes, matrix: pd.DataFrame) -> Axes:
    """Annotated heat map of the R-score x F-score grid (best recency on top).

    Parameters
    ----------
    ax
        Axes to draw on.
    matrix
        Result of :func:`helpers.rfm.rf_matrix` (rows R score, columns F score;
        ``attrs["value"]`` says whether cells are customers or mean spend).

    Returns
    -------
    Axes
    """
    value = matrix.attrs.get("value", "customers")
    data = matrix.astype("float64")
    annot = data.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    sns.heatmap(data, ax=ax, annot=annot, fmt="", cmap="Blues", linewidths=0.5, linecolor="white",
                cbar_kws={"label": "Customers (客户数)" if value == "customers" else "Mean net spend (平均消费金额)",
                          "format": FuncFormatter(_thousands)})
    what = "customers (客户数)" if value == "customers" else "mean net spend (平均消费金额)"
    best = len(matrix.columns)
    ax.set(title=f"RFM grid: {what} by R and F score",
           xlabel=f"F score: purchase count (购买频次评分, {best} = most)",
           ylabel=f"R score: recency (最近消费评分, {best} = most recent)")
    ax.tick_params(axis="y", rotation=0)
    ax.grid(False)  # the report style's grid would cross the cells
    return ax


def plot_value_matrix(
    ax: Axes, clv: pd.Series, gross_profit: pd.Series, classes: pd.Series, cuts: Mapping[str, float]
) -> Axes:
    """Scatter of CLV against profit contribution, coloured by value-matrix class, with the cut lines.

    Both axes are symlog, so zero and negative values stay visible beside the
    long positive tail. Customers ``not_available`` are left out (the legend
    says how many).

    Parameters
    ----------
    ax
        Axes to draw on.
    clv, gross_profit
        Values per customer.
    classes
        Result of :func:`helpers.gradings.value_matrix`.
    cuts
        ``{"clv": cut, "gross_profit": cut}`` (``classes.attrs["cuts"]``).

    Returns
    -------
    Axes
    """
    data = pd.DataFrame({"clv": clv, "gross_profit": gross_profit}).reindex(classes.index)
    labels = GRADING_LABELS["value_matrix"]
    palette = dict(zip([k for k in labels if k != NOT_AVAILABLE], sns.color_palette(n_colors=4)))
    for key, colour in palette.items():
        part = data.loc[(classes == key).to_numpy(dtype=bool)]
        zh, en = labels[key]
        ax.scatter(part["clv"], part["gross_profit"], s=12, alpha=0.6, color=colour,
                   label=f"{zh} {en} ({len(part):,})")
    missing = int((classes == NOT_AVAILABLE).sum())
    if missing:
        ax.scatter([], [], color="none", label=f"{missing:,} customers not available (不可用) not shown")
    for value, line in ((cuts.get("clv"), ax.axvline), (cuts.get("gross_profit"), ax.axhline)):
        if value is not None and np.isfinite(value):
            line(value, color="0.3", linestyle="--", linewidth=1)
    values = np.abs(data.to_numpy(dtype=float))
    scale = float(np.nanmedian(values[values > 0])) if (values > 0).any() else 1.0
    # Linear below the power of ten under a tenth of the typical value, logarithmic beyond; the ticks
    # at +-linthresh would crowd the one at 0, so only 0 and the decades beyond are labelled.
    linthresh = 10.0 ** np.floor(np.log10(max(scale / 10, 1.0)))
    label = FuncFormatter(lambda v, _pos: _compact(v) if v == 0 or abs(v) > linthresh * 1.5 else "")
    for axis, set_scale in ((ax.xaxis, ax.set_xscale), (ax.yaxis, ax.set_yscale)):
        set_scale("symlog", linthresh=linthresh)
        axis.set_major_formatter(label)
    ax.set(title="Value matrix: CLV x profit contribution (价值矩阵)",
           xlabel="Customer lifetime value, CLV (客户生命周期价值)",
           ylabel="Profit contribution (利润贡献)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_tier_counts(ax: Axes, series: pd.Series, labels: Mapping[str, tuple[str, str]]) -> Axes:
    """Bars of the customers in each class of a small grading, in the order of ``labels``.

    Parameters
    ----------
    ax
        Axes to draw on.
    series
        A grading from :mod:`helpers.gradings` (its name picks the title).
    labels
        Class key -> (Chinese, English), e.g. ``GRADING_LABELS["value_tier"]``;
        ``not_available`` is drawn only when some customer has it.

    Returns
    -------
    Axes
    """
    counts = series.value_counts()
    keys = [k for k in labels if k != NOT_AVAILABLE or counts.get(k, 0)]
    values = np.array([int(counts.get(k, 0)) for k in keys], dtype=float)
    total = values.sum()
    texts = [f"{int(v):,} ({v / total:.0%})" if total else "0" for v in values]
    colours = ["0.7" if k == NOT_AVAILABLE else sns.color_palette()[0] for k in keys]
    _hbars(ax, [f"{labels[k][0]} {labels[k][1]}" for k in keys], values, texts, colours)
    ax.set(title=_GRADING_TITLES.get(str(series.name), str(series.name)), xlabel="Customers (客户数)")
    ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
    return ax
