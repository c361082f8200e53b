"""The findings of stage 02, first on its report: how the company's KPIs moved and how concentrated revenue is.

Figures are formatted by :func:`helpers.indicators.report.format_kpi`, as the KPI table below prints them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from helpers.core.labels import LABELS
from helpers.indicators.kpis import kpi_comparison
from helpers.indicators.report import format_kpi
from helpers.reporting.display import note
from helpers.shared import concentration

if TYPE_CHECKING:
    from helpers.indicators.stage import IndicatorRun

__all__ = ["findings", "findings_note"]

#: A rate that moved by this much (share points) is worth a reviewer's attention.
_NOTABLE_POINTS = 0.01


def _kpi(c: pd.DataFrame, name: str, *, money: str = "") -> str:
    r = c.loc[name]
    shown = format_kpi(name, r["current"]) + (f" {money}" if money else "")
    if pd.isna(r["previous"]):
        return f"{LABELS.text('kpi', name)} {shown}"
    if name == "revenue" and pd.notna(r["pct_change"]):
        return f"{LABELS.text('kpi', name)} {shown} ({r['pct_change']:+.1%})"
    return f"{LABELS.text('kpi', name)} {shown} ({format_kpi(name, r['change'], change=True)})"


def findings(run: IndicatorRun) -> list[str]:
    """Three to five findings in plain words, with their numbers (Markdown list items without the dash)."""
    trend = run.trend
    if trend.empty:  # a customer snapshot or a lead list: the report says why there are no KPIs
        return []
    current = trend.iloc[-1]
    previous = trend.iloc[-2] if len(trend) > 1 else pd.Series(pd.NA, index=current.index, dtype=object)
    c = kpi_comparison(current, previous)
    label, before = c.attrs.get("periods", (str(current.get("period", "")), ""))
    against = f" against {before}" if len(trend) > 1 else " (no earlier period in the data to compare with)"
    lines = [
        f"**This period{against}:** {_kpi(c, 'revenue', money=run.currency)}; {_kpi(c, 'active_customers')}, "
        f"of them {_kpi(c, 'new_customers')}."
    ]
    rates = [k for k in ("repurchase_rate", "retention_rate", "churn_rate") if pd.notna(c.loc[k, "current"])]
    if rates:
        lines.append("**Loyalty:** " + "; ".join(_kpi(c, k) for k in rates) + ".")
    spend = run.indicators["monetary"] if "monetary" in run.indicators else pd.Series(dtype=float)
    if (spend > 0).sum() >= 5:
        share = concentration(spend)
        lines.append(
            f"**Concentration:** the top 20% of customers make {share['top_20pct_share']:.1%} of the look-back "
            f"window's revenue (the top 10%: {share['top_10pct_share']:.1%})."
        )
    worse = [
        LABELS.text("kpi", k)
        for k, sign in (("churn_rate", 1), ("repurchase_rate", -1), ("retention_rate", -1))
        if pd.notna(c.loc[k, "change"]) and sign * c.loc[k, "change"] >= _NOTABLE_POINTS
    ]
    if worse:
        todo = (
            f"{' and '.join(worse)} moved the wrong way by a point or more: the churn report (stage 04) lists who "
            "is at risk and why."
        )
    elif len(trend) > 1:
        todo = "loyalty held this period; the grading (stage 03) says which customers to serve how."
    else:
        todo = "with no earlier period, read the figures as a baseline; the grading (stage 03) says whom to serve how."
    lines.append(f"**What to do:** {todo}")
    return lines


def findings_note(run: IndicatorRun) -> None:
    """The findings as the report's first lines (nothing without order KPIs)."""
    lines = findings(run)
    if lines:
        note("\n".join(f"- {line}" for line in lines))
