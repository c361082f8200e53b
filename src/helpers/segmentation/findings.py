"""The findings of stage 03, first on its report: the classes, where the revenue is, whether lifetime value can be
relied on, and what to do.

Every figure is computed from the tables the sections below print (the scorecard classes, the RFM summary, the
pyramid check), so the summary and the sections agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.core.labels import LABELS
from helpers.reporting.display import note
from helpers.segmentation.report import _verdict_parts, churned_potential_sentence
from helpers.segmentation.settings import SCORECARD_CLASSES

if TYPE_CHECKING:
    from helpers.segmentation.stage import SegmentationRun

__all__ = ["findings", "findings_note"]


def findings(run: SegmentationRun) -> list[str]:
    """Three to six findings in plain words, with their numbers (Markdown list items without the dash)."""
    if run.segments.empty:  # no orders: the report says why nobody is graded
        return []
    classes = run.classes["scorecard_class"]
    counts = classes.value_counts()
    graded = classes.ne("not_available")
    # net spend, returns included: the figure the grading report's findings print for the same customers
    spend = run.segments["monetary"].reindex(classes.index).astype("float64")
    total = spend[graded].sum()
    top = classes.isin(["core", "important"])
    lines = [
        f"**{int(graded.sum()):,} customers graded:** "
        + ", ".join(f"{int(counts.get(c, 0)):,} {LABELS.text('scorecard_class', c)}" for c in SCORECARD_CLASSES)
        + (
            f"; {int(counts['not_available']):,} {LABELS.text('scorecard_class', 'not_available')}"
            if counts.get("not_available", 0)
            else ""
        )
        + "."
        + (
            f" The {int(top.sum()):,} core and important customers bring {spend[top].sum() / total:.0%} of the "
            "graded customers' net spend over the look-back year."
            if top.any() and total > 0
            else ""
        )
    ]
    s = run.summary
    if "important_value" in s.index and s.loc["important_value", "customers"] > 0:
        iv = s.loc["important_value"]
        lines.append(
            f"**RFM:** {int(iv['customers']):,} {LABELS.text('rfm_class', 'important_value')} customers "
            f"({iv['share']:.1%} of those graded) bring {iv['revenue_share']:.1%} of the revenue."
        )
    headline, then, _ = _verdict_parts(run.clv, run.use)
    lines.append(f"**{headline}.** {then}")
    summary = run.pyramid.attrs.get("summary")
    if summary:
        lines.append(f"**Pyramid:** {summary}")
    churned = churned_potential_sentence(run.grades)
    lines.append(
        f"**What to do:** {churned}"
        if churned
        else "**What to do:** serve each class by its plan; the grading report (stage 06) gives each class its "
        "action and contact plan."
    )
    return lines


def findings_note(run: SegmentationRun) -> None:
    """The findings as the report's first lines."""
    lines = findings(run)
    if lines:
        note("\n".join(f"- {line}" for line in lines))
