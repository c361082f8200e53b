"""The findings of stage 03, first on its report: the classes, where the revenue is, whether lifetime value can be
relied on, and what to do.

Every figure is computed from the tables the sections below print (the scorecard classes, the RFM summary, the
pyramid check), so the summary and the sections agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from helpers.core.labels import LABELS
from helpers.reporting.display import note
from helpers.segmentation.report import churned_potential_sentence, verdict_parts
from helpers.segmentation.settings import SCORECARD_CLASSES

if TYPE_CHECKING:
    from helpers.segmentation.stage import SegmentationRun

__all__ = ["findings", "findings_note", "graded_sentence", "top_classes_share"]

#: The classes whose share of net spend the findings of stage 03 and of the grading report print.
TOP_CLASSES = ("core", "important")


def top_classes_share(classes: pd.Series, spend: pd.Series) -> tuple[int, float | None]:
    """How many customers are core or important, and their share of the graded customers' net spend.

    One figure printed by stage 03's findings and by the grading report's: computed here for both.

    Parameters
    ----------
    classes
        Each customer's scorecard class (``not_available`` for one that could not be graded).
    spend
        Each customer's net spend over the look-back year (returns included), on the same index.

    Returns
    -------
    tuple
        The number of core and important customers, and their share of the net spend of the customers graded
        (``None`` when there are none, or the graded customers' net spend is not positive).
    """
    spend = spend.reindex(classes.index).astype("float64")
    total = spend[classes.ne("not_available")].sum()
    top = classes.isin(TOP_CLASSES)
    return int(top.sum()), (float(spend[top].sum() / total) if top.any() and total > 0 else None)


def graded_sentence(classes: pd.Series, spend: pd.Series) -> str:
    """How many customers are graded, per class, and the core and important customers' share of net spend.

    The first finding of stage 03 and of the grading report: one sentence for both.

    Parameters
    ----------
    classes, spend
        As for :func:`top_classes_share`.
    """
    counts = classes.value_counts()
    graded = int(classes.ne("not_available").sum())
    per_class = [(int(counts.get(c, 0)), LABELS.text("scorecard_class", c)) for c in SCORECARD_CLASSES]
    ungraded = int(counts.get("not_available", 0))
    unavailable = LABELS.text("scorecard_class", "not_available")
    top, share = top_classes_share(classes, spend)
    return LABELS.say(
        f"**{graded:,} customers graded:** "
        + ", ".join(f"{n:,} {name}" for n, name in per_class)
        + (f"; {ungraded:,} {unavailable}" if ungraded else "")
        + "."
        + (
            f" The {top:,} core and important customers bring {share:.0%} of the "
            "graded customers' net spend over the look-back year."
            if share is not None
            else ""
        ),
        f"**已分级客户 {graded:,} 位：** "
        + "，".join(f"{name} {n:,} 位" for n, name in per_class)
        + (f"；{unavailable} {ungraded:,} 位" if ungraded else "")
        + "。"
        + (
            f"其中 {top:,} 位核心客户和重要客户贡献了已分级客户在回溯年度内净消费的 {share:.0%}。"
            if share is not None
            else ""
        ),
    )


def findings(run: SegmentationRun) -> list[str]:
    """Three to six findings in plain words, with their numbers (Markdown list items without the dash)."""
    if run.segments.empty:  # no orders: the report says why nobody is graded
        return []
    lines = [graded_sentence(run.classes["scorecard_class"], run.segments["monetary"])]
    s = run.summary
    if "important_value" in s.index and s.loc["important_value", "customers"] > 0:
        iv = s.loc["important_value"]
        n_iv, iv_name = int(iv["customers"]), LABELS.text("rfm_class", "important_value")
        iv_share, iv_revenue = f"{iv['share']:.1%}", f"{iv['revenue_share']:.1%}"
        lines.append(
            LABELS.say(
                f"**RFM:** {n_iv:,} {iv_name} customers ({iv_share} of those graded) "
                f"bring {iv_revenue} of the revenue.",
                f"**RFM：** {iv_name}共 {n_iv:,} 位（占已分级客户的 {iv_share}），贡献了 {iv_revenue} 的收入。",
            )
        )
    headline, then, _ = verdict_parts(run.clv, run.use)
    lines.append(LABELS.say(f"**{headline}.** {then}", f"**{headline}。** {then}"))
    summary = run.pyramid.attrs.get("summary")
    if summary:
        lines.append(LABELS.say(f"**Pyramid:** {summary}", f"**客户金字塔：** {summary}"))
    churned = churned_potential_sentence(run.grades)
    lines.append(
        LABELS.say(f"**What to do:** {churned}", f"**建议：** {churned}")
        if churned
        else LABELS.say(
            "**What to do:** serve each class by its plan; the grading report (stage 06) gives each class its "
            "action and contact plan.",
            "**建议：** 按各类客户的服务方案提供服务；客户分级报告（阶段 06）为每类客户给出了行动建议和联系计划。",
        )
    )
    return lines


def findings_note(run: SegmentationRun) -> None:
    """The findings as the report's first lines."""
    lines = findings(run)
    if lines:
        note("\n".join(f"- {line}" for line in lines))
