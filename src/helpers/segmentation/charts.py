"""Charts of stage 03: RFM classes, the R x F heat map, the value matrix, the small gradings and the CLV check.

Like :mod:`helpers.reporting.charts`, every function draws on a given Axes and
returns it; the words come from the label registry, and
:func:`helpers.reporting.style.use_report_style` (applied by ``open_stage``)
makes the Chinese ones render.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from helpers.core.labels import LABELS
from helpers.reporting.charts import fit_panels, hide_panel, place_legend, plot_distribution, plot_lorenz
from helpers.reporting.style import compact, thousands
from helpers.segmentation.gradings import NOT_AVAILABLE

__all__ = [
    "has_classes",
    "plot_class_revenue",
    "plot_class_share",
    "plot_clv_distributions",
    "plot_concentrations",
    "plot_gradings",
    "plot_holdout_by_frequency",
    "plot_rf_heatmap",
    "plot_scores",
    "plot_tier_counts",
    "plot_tracking",
    "plot_value_matrix",
]


def _class_labels(summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The class rows (total left out) and their labels."""
    classes = summary.drop(index="total", errors="ignore")
    return classes, [LABELS.text("rfm_class", key) for key in classes.index]


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
        Result of :func:`helpers.segmentation.rfm.segment_summary`; without a customer in a
        class the panel is hidden (:func:`helpers.reporting.charts.hide_panel`).

    Returns
    -------
    Axes
    """
    classes, labels = _class_labels(summary)
    share = classes["share"].to_numpy(dtype=float)
    if not np.nansum(share):  # no customer graded: no empty axis, the report says why
        return hide_panel(ax)
    texts = [f"{s:.1%} ({int(n):,})" if np.isfinite(s) else "–" for s, n in zip(share, classes["customers"])]
    _hbars(ax, labels, np.nan_to_num(share), texts, sns.color_palette()[0])
    ax.set(title=LABELS.text("chart", "class_share"), xlabel=LABELS.text("chart", "class_share_axis"))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return ax


def plot_class_revenue(ax: Axes, summary: pd.DataFrame) -> Axes:
    """Net revenue of each RFM class, in the class order, with amount and revenue share on each bar.

    Parameters
    ----------
    ax
        Axes to draw on.
    summary
        Result of :func:`helpers.segmentation.rfm.segment_summary`.

    Returns
    -------
    Axes
    """
    classes, labels = _class_labels(summary)
    revenue = classes["revenue"].to_numpy(dtype=float)
    texts = [
        f"{r:,.0f} ({s:.1%})" if np.isfinite(s) else f"{r:,.0f}"
        for r, s in zip(revenue, classes["revenue_share"].to_numpy(dtype=float))
    ]
    _hbars(ax, labels, revenue, texts, sns.color_palette()[2])
    ax.axvline(0, color="0.4", linewidth=0.8)  # a class with net returns shows left of zero
    ax.set(title=LABELS.text("chart", "class_revenue"), xlabel=LABELS.text("chart", "class_revenue_axis"))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # long amounts: few ticks so the labels do not collide
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    return ax


def plot_rf_heatmap(ax: Axes, matrix: pd.DataFrame) -> Axes:
    """Annotated heat map of the R-score x F-score grid (best recency on top).

    Parameters
    ----------
    ax
        Axes to draw on.
    matrix
        Result of :func:`helpers.segmentation.rfm.rf_matrix` (rows R score, columns F score;
        ``attrs["value"]`` says whether cells are customers or mean spend).

    Returns
    -------
    Axes
    """
    value = matrix.attrs.get("value", "customers")
    data = matrix.astype("float64")
    annot = data.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    sns.heatmap(
        data,
        ax=ax,
        annot=annot,
        fmt="",
        cmap="Blues",
        linewidths=0.5,
        linecolor="white",
        cbar_kws={
            "label": LABELS.text("chart", "rf_customers_bar" if value == "customers" else "rf_spend_bar"),
            "format": FuncFormatter(thousands),
        },
    )
    best = len(matrix.columns)
    ax.set(
        title=LABELS.text("chart", "rf_grid_customers" if value == "customers" else "rf_grid_spend"),
        xlabel=LABELS.format("chart", "f_score_axis", best=best),
        ylabel=LABELS.format("chart", "r_score_axis", best=best),
    )
    ax.tick_params(axis="y", rotation=0)
    ax.grid(False)  # the report style's grid would cross the cells
    return ax


def plot_value_matrix(
    ax: Axes, clv: pd.Series, gross_profit: pd.Series, classes: pd.Series, cuts: Mapping[str, float]
) -> Axes:
    """Scatter of CLV against profit contribution, coloured by value-matrix class, with the cut lines.

    Both axes are symlog, so zero and negative values stay visible beside the
    long positive tail; each axis spans the customers shown and its cut line,
    with a small margin, not decades where nobody is. Customers
    ``not_available`` are left out (the legend says how many); with none
    classified the panel is hidden.

    Parameters
    ----------
    ax
        Axes to draw on.
    clv, gross_profit
        Values per customer; ``clv`` is the future-value axis the matrix was cut on, CLV or (named
        ``fallback_value``) last year's spend weighted by recency, labelled as such.
    classes
        Result of :func:`helpers.segmentation.gradings.value_matrix`.
    cuts
        ``{"clv": cut, "gross_profit": cut}`` (``classes.attrs["cuts"]``).

    Returns
    -------
    Axes
    """
    data = pd.DataFrame({"clv": clv, "gross_profit": gross_profit}).reindex(classes.index)
    if not has_classes(classes):  # nobody on the matrix: no empty axis, the report says why
        return hide_panel(ax)
    keys = [k for k in LABELS.keys("value_matrix") if k != NOT_AVAILABLE]
    palette = dict(zip(keys, sns.color_palette(n_colors=4)))
    for key, colour in palette.items():
        part = data.loc[(classes == key).to_numpy(dtype=bool)]
        ax.scatter(
            part["clv"],
            part["gross_profit"],
            s=12,
            alpha=0.6,
            color=colour,
            label=LABELS.format(
                "chart_note", "class_count", label=LABELS.text("value_matrix", key), n=f"{len(part):,}"
            ),
        )
    missing = int((classes == NOT_AVAILABLE).sum())
    if missing:
        ax.scatter([], [], color="none", label=LABELS.format("chart_note", "not_shown", n=f"{missing:,}"))
    for value, line in ((cuts.get("clv"), ax.axvline), (cuts.get("gross_profit"), ax.axhline)):
        if value is not None and np.isfinite(value):
            line(value, color="0.3", linestyle="--", linewidth=1)
    values = np.abs(data.to_numpy(dtype=float))
    scale = float(np.nanmedian(values[values > 0])) if (values > 0).any() else 1.0
    # Linear below the power of ten under a tenth of the typical value, logarithmic beyond; the ticks
    # at +-linthresh would crowd the one at 0, so only 0 and the decades beyond are labelled.
    linthresh = 10.0 ** np.floor(np.log10(max(scale / 10, 1.0)))
    label = FuncFormatter(lambda v, _pos: compact(v) if v == 0 or abs(v) > linthresh * 1.5 else "")
    shown = data.loc[(classes != NOT_AVAILABLE).to_numpy(dtype=bool)]
    for column, axis, set_scale, set_lim in (
        ("clv", ax.xaxis, ax.set_xscale, ax.set_xlim),
        ("gross_profit", ax.yaxis, ax.set_yscale, ax.set_ylim),
    ):
        set_scale("symlog", linthresh=linthresh)
        axis.set_major_formatter(label)
        limits = _data_limits(shown[column].to_numpy(dtype=float), cuts.get(column), axis.get_transform())
        if limits is not None:
            set_lim(*limits)
    ax.set(
        title=LABELS.text("chart", "value_matrix"),
        xlabel=LABELS.text("chart", "fallback_axis" if clv.name == "fallback_value" else "clv_axis"),
        ylabel=LABELS.text("chart", "profit_axis"),
    )
    place_legend(ax, fontsize="small")
    return ax


def _data_limits(values: np.ndarray, cut: float | None, transform, margin: float = 0.05) -> tuple[float, float] | None:
    """Axis limits spanning the values and the cut, plus ``margin`` of that span on each side, in axis scale.

    The margin is taken after the axis transform (symlog), so it looks the same at both ends.
    """
    span = values[np.isfinite(values)]
    if cut is not None and np.isfinite(cut):
        span = np.append(span, cut)
    if not span.size:
        return None
    low, high = np.ravel(transform.transform(np.array([span.min(), span.max()])))
    pad = (high - low) * margin if high > low else 1.0
    lo, hi = np.ravel(transform.inverted().transform(np.array([low - pad, high + pad])))
    return float(lo), float(hi)


def plot_tier_counts(ax: Axes, series: pd.Series, namespace: str | None = None) -> Axes:
    """Bars of the customers in each class of a small grading, in the registry's class order.

    Parameters
    ----------
    ax
        Axes to draw on.
    series
        A grading from :mod:`helpers.segmentation.gradings` or the scorecard class; its name
        picks the title (label namespace ``grading``).
    namespace
        The label namespace of its classes (default: the series' name); ``not_available``
        is drawn only when some customer has it. When no customer has another class the
        panel is hidden (:func:`helpers.reporting.charts.hide_panel`).

    Returns
    -------
    Axes
    """
    if not has_classes(series):  # all "not available": no empty axis, the report says why
        return hide_panel(ax)
    name = str(series.name)
    namespace = namespace or name
    counts = series.value_counts()
    keys = [k for k in LABELS.keys(namespace) if k != NOT_AVAILABLE or counts.get(k, 0)]
    values = np.array([int(counts.get(k, 0)) for k in keys], dtype=float)
    total = values.sum()
    texts = [f"{int(v):,} ({v / total:.0%})" if total else "0" for v in values]
    colours = ["0.7" if k == NOT_AVAILABLE else sns.color_palette()[0] for k in keys]
    _hbars(ax, [LABELS.text(namespace, k) for k in keys], values, texts, colours)
    title = LABELS.text("grading", name) if LABELS.has("grading", name) else name
    ax.set(title=title, xlabel=LABELS.text("chart", "customers_axis"))
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    return ax


def has_classes(series: pd.Series) -> bool:
    """Whether some customer of a grading has a class other than ``not_available`` (it has a chart)."""
    return bool((series.notna() & (series != NOT_AVAILABLE)).any())


def plot_gradings(axes: Sequence[Axes], gradings: Mapping[str, pd.Series]) -> list[Axes]:
    """One bar panel per grading (value, behaviour, needs, satisfaction), in rows of readable panels.

    A grading no customer has a class of gets no panel (the report says why);
    the others wrap into rows of at least
    :data:`helpers.reporting.charts.MIN_PANEL_INCHES` each.

    Parameters
    ----------
    axes
        At least one Axes per grading, of one figure; those left over are removed.
    gradings
        Grading name to the class of each customer (``run.gradings``).

    Returns
    -------
    list of Axes
        The panels drawn.
    """
    panels = list(np.ravel(axes))
    for ax in panels[len(gradings) :]:
        hide_panel(ax)
    for ax, values in zip(panels, gradings.values()):
        plot_tier_counts(ax, values)
    return fit_panels(panels)


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
    ax.plot(positions, by_frequency["actual"], marker="o", linewidth=2, label=LABELS.text("chart_note", "actual"))
    ax.plot(
        positions,
        by_frequency["predicted"],
        marker="s",
        linewidth=2,
        linestyle="--",
        label=LABELS.text("chart_note", "predicted"),
    )
    ax.set_xticks(positions, [f"{lab}\n(n={n:,})" for lab, n in zip(by_frequency["label"], by_frequency["customers"])])
    ax.set(
        title=LABELS.text("chart", "holdout_title"),
        xlabel=LABELS.text("chart", "holdout_x"),
        ylabel=LABELS.text("chart", "holdout_y"),
    )
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
    ax.plot(tracking["date"], tracking["actual"], linewidth=2, label=LABELS.text("chart_note", "actual"))
    ax.plot(
        tracking["date"],
        tracking["predicted"],
        linewidth=2,
        linestyle="--",
        label=LABELS.text("chart_note", "predicted"),
    )
    ax.axvline(calibration_end, color="0.4", linestyle=":", linewidth=1)
    ax.annotate(
        LABELS.text("chart_note", "calibration_holdout"),
        xy=(calibration_end, 0.02),
        xycoords=("data", "axes fraction"),
        ha="center",
        fontsize="small",
        color="0.3",
        backgroundcolor="white",
    )
    ax.yaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set(
        title=LABELS.text("chart", "tracking_title"),
        xlabel=LABELS.text("chart", "tracking_x"),
        ylabel=LABELS.text("chart", "tracking_y"),
    )
    ax.legend(loc="upper left", fontsize="small")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_clv_distributions(axes: Sequence[Axes], predictions: pd.DataFrame, currency: str) -> Sequence[Axes]:
    """Probability alive and CLV (log scale) across customers."""
    text = LABELS.text
    plot_distribution(
        axes[0], predictions["p_alive"], title=text("chart", "p_alive"), xlabel=text("chart", "p_alive_axis")
    )
    plot_distribution(
        axes[1],
        predictions["clv"],  # the chart leaves out CLV <= 0 and says how many; its median keeps them
        log=True,
        title=text("chart", "clv"),
        xlabel=f"{text('chart', 'clv_log_axis')}, {currency}",
    )
    fit_panels(axes)
    return axes


def plot_concentrations(axes: Sequence[Axes], revenue: pd.Series, clv: pd.Series) -> Sequence[Axes]:
    """Concentration curves of past revenue and of lifetime value, side by side."""
    plot_lorenz(axes[0], revenue).set_title(LABELS.text("chart", "revenue_lorenz"))
    plot_lorenz(axes[1], clv).set_title(LABELS.text("chart", "clv_lorenz"))
    return axes


def plot_scores(axes: Sequence[Axes], scores: pd.DataFrame, classes: pd.DataFrame) -> Sequence[Axes]:
    """The scorecard score's distribution and the customers per scorecard class; without scores (no plan)
    neither panel is drawn."""
    plot_distribution(
        axes[0], scores["score"], title=LABELS.text("chart", "score"), xlabel=LABELS.text("chart", "score_axis")
    )
    plot_tier_counts(axes[1], classes["scorecard_class"])
    fit_panels(axes)
    return axes
