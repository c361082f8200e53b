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
    said = f"{LABELS.text('kpi', name)} {format_kpi(name, r['current'])}" + (f" {money}" if money else "")
    if pd.isna(r["previous"]):
        return said
    if name == "revenue" and pd.notna(r["pct_change"]):
        change = f"{r['pct_change']:+.1%}"
    else:
        change = format_kpi(name, r["change"], change=True)
    return LABELS.say(f"{said} ({change})", f"{said}（{change}）")


def findings(run: IndicatorRun) -> list[str]:
    """Three to five findings in plain words, with their numbers (Markdown list items without the dash)."""
    trend = run.trend
    if trend.empty:  # a customer snapshot or a lead list: the report says why there are no KPIs
        return []
    current = trend.iloc[-1]
    previous = trend.iloc[-2] if len(trend) > 1 else pd.Series(pd.NA, index=current.index, dtype=object)
    c = kpi_comparison(current, previous)
    label, before = c.attrs.get("periods", (str(current.get("period", "")), ""))
    if len(trend) > 1:
        against = LABELS.say(f" against {before}", f"与 {before} 对比")
    else:
        against = LABELS.say(" (no earlier period in the data to compare with)", "（数据中没有可供对比的更早期间）")
    revenue, active, new = (
        _kpi(c, "revenue", money=run.currency),
        _kpi(c, "active_customers"),
        _kpi(c, "new_customers"),
    )
    lines = [
        LABELS.say(
            f"**This period{against}:** {revenue}; {active}, of them {new}.",
            f"**本期{against}：** {revenue}；{active}，其中{new}。",
        )
    ]
    rates = [k for k in ("repurchase_rate", "retention_rate", "churn_rate") if pd.notna(c.loc[k, "current"])]
    if rates:
        said = [_kpi(c, k) for k in rates]
        lines.append(LABELS.say("**Loyalty:** " + "; ".join(said) + ".", "**客户忠诚度：** " + "；".join(said) + "。"))
    spend = run.indicators["monetary"] if "monetary" in run.indicators else pd.Series(dtype=float)
    if (spend > 0).sum() >= 5:
        share = concentration(spend)
        top20, top10 = f"{share['top_20pct_share']:.1%}", f"{share['top_10pct_share']:.1%}"
        lines.append(
            LABELS.say(
                f"**Concentration:** the top 20% of customers make {top20} of the look-back "
                f"window's revenue (the top 10%: {top10}).",
                f"**收入集中度：** 消费额排名前 20% 的客户贡献了回溯期内 {top20} 的收入（前 10% 的客户：{top10}）。",
            )
        )
    worse = [
        LABELS.text("kpi", k)
        for k, sign in (("churn_rate", 1), ("repurchase_rate", -1), ("retention_rate", -1))
        if pd.notna(c.loc[k, "change"]) and sign * c.loc[k, "change"] >= _NOTABLE_POINTS
    ]
    if worse:
        todo = LABELS.say(
            f"{' and '.join(worse)} moved the wrong way by a point or more: the churn report (stage 04) lists who "
            "is at risk and why.",
            f"{'、'.join(worse)}向不利方向变动了一个百分点或以上："
            "流失预警报告（阶段 04）列出了哪些客户存在流失风险及其原因。",
        )
    elif len(trend) > 1:
        todo = LABELS.say(
            "loyalty held this period; the grading (stage 03) says which customers to serve how.",
            "本期客户忠诚度保持稳定；客户分级（阶段 03）说明了各类客户应如何服务。",
        )
    else:
        todo = LABELS.say(
            "with no earlier period, read the figures as a baseline; the grading (stage 03) says whom to serve how.",
            "由于没有更早的期间，请将以上数字视为基线；客户分级（阶段 03）说明了各类客户应如何服务。",
        )
    lines.append(LABELS.say(f"**What to do:** {todo}", f"**建议：** {todo}"))
    return lines


def findings_note(run: IndicatorRun) -> None:
    """The findings as the report's first lines (nothing without order KPIs)."""
    lines = findings(run)
    if lines:
        note("\n".join(f"- {line}" for line in lines))
