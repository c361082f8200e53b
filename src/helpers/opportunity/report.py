"""What stage 05 shows and writes: the findings first, the tiers, the open leads to follow, the history check.

Notebook helpers display tables and notes; :func:`opportunity_metrics` is ``opportunity_metrics.json`` and
:func:`priority_workbook` the sales team's Excel priority table. Words come from the label registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import parse_period
from helpers.io.excel import Sheet, Workbook
from helpers.opportunity.settings import FACTORS, TIERS
from helpers.reporting.display import Table, display_all, literal, note
from helpers.shared import json_ready

if TYPE_CHECKING:
    from helpers.opportunity.history import HistoryCheck
    from helpers.opportunity.stage import OpportunityRun

__all__ = [
    "TIER_COLOURS",
    "display_all",
    "check_table",
    "method_note",
    "evidence_table",
    "findings_note",
    "growth_at_risk_table",
    "growth_list_table",
    "growth_note",
    "open_deals_table",
    "performance_table",
    "pipeline_table",
    "opportunity_metrics",
    "priority_list_table",
    "priority_workbook",
    "tiers_table",
    "weights_table",
    "win_rates_table",
]

#: Background colour of each tier in the workbook.
TIER_COLOURS = {"priority": "#C6EFCE", "nurture": "#FFEB9C", "watch": "#EDEDED"}


def _h(key: str) -> str:
    return LABELS.text("opportunity_column", key)


def _tier(key: object) -> str:
    return LABELS.text("opportunity_tier", key) if isinstance(key, str) else ""


def _factor(key: str) -> str:
    return LABELS.text("opportunity_factor", key)


def _pct(x: float) -> str:
    return LABELS.say("n/a", "无数据") if x is None or pd.isna(x) else f"{x:.0%}"


def opportunity_metrics(run: OpportunityRun) -> dict[str, Any]:
    """``opportunity_metrics.json``: the check against won/lost history, the weights it suggests, the tiers."""
    check = run.check
    growth = run.growth
    growth_summary = {
        "customers": len(growth),
        "with_suggestions": int(growth["top_item"].notna().sum()) if len(growth) else 0,
        "items": run.growth_item,
        "retain_first": int(growth["retain_first"].sum()) if len(growth) else 0,
    }
    if check is None:
        return {"status": "no_leads", "reason": "the data hold no lead table", "growth": growth_summary}
    open_ = _open(run)
    return json_ready(
        {
            "status": check.status,
            "reason": check.reason,
            "expert_auc": check.expert_auc,
            "model_auc": check.model_auc,
            "evaluation": {"test_from": check.cutoff, "sizes": check.sizes},
            "win_rates": check.win_rates.to_dict(orient="index"),
            "weights": check.suggested.to_dict(orient="index"),
            "calibration": check.calibration,
            "win_probability": (
                "given"
                if len(check.probabilities)
                else check.probability_reason or check.reason or "there are no open deals"
            ),
            "open_deals": {
                "deals": len(open_),
                "value": _open_value(open_).sum(min_count=1),
                "expected_value": open_["expected_value"].sum(min_count=1),
            },
            "growth": growth_summary,
            "tiers": run.score.tiers.model_dump(),
            "currency": run.currency,
        }
    )


# --------------------------------------------------------------------------- findings
def _open(run: OpportunityRun) -> pd.DataFrame:
    t = run.table
    return t.loc[~t["outcome"].isin(["won", "lost"])]


def _open_value(open_: pd.DataFrame) -> pd.Series:
    """What each open deal is worth: its deal value, or its budget standing in (as its expected value uses)."""
    deal = open_["deal_value"].astype("float64")
    return deal.where(deal > 0).fillna(open_["budget"].astype("float64"))


def findings_note(run: OpportunityRun) -> None:
    """The findings, first: whom to follow, whether the score picks the winners, what the history suggests."""
    if not run.has_leads:
        note(
            LABELS.say(
                "**The data hold no lead table**, so there are no leads to score. Map the CRM's leads or opportunities "
                'export as the `leads` table (README, "Your own data") to score them.',
                "**数据中没有线索表**，因此没有可评分的销售线索。请将 CRM 导出的线索或商机数据映射为 `leads` 表"
                "（见 README“Your own data”一节），即可对其评分。",
            )
        )
        return
    t, check = run.table, run.check
    open_ = _open(run)
    per_tier = open_["tier"].value_counts()
    if open_["score"].isna().all():
        lines = [
            LABELS.say(
                f"- **The {len(open_):,} open leads have no expert score:** the lead table holds none of its four "
                "factors for them (company size, industry, budget, decision-maker contact), so they have no tier. Map "
                "those columns to score the leads; the model fitted on the history (below) ranks them meanwhile.",
                f"- **{len(open_):,} 条未关闭线索没有专家评分：**线索表中缺少这些线索的全部四项评分因素"
                f"（{'、'.join(_factor(f) for f in FACTORS)}），因此无法分层。映射这些列即可为线索评分；"
                "在此之前，由基于历史数据拟合的模型（见下文）为其排序。",
            )
        ]
    else:
        priority, nurture, watch = (int(per_tier.get(tier, 0)) for tier in TIERS)
        carried = open_["deal_value"].notna().any() and per_tier.get("priority", 0)
        value = open_.loc[open_["tier"].eq("priority"), "deal_value"].sum()
        lines = [
            LABELS.say(
                f"- **{priority:,} of the {len(open_):,} open leads are *priority follow-up* "
                f"(优先跟进)** — a score of {run.score.tiers.priority:g} or more; {nurture:,} are "
                f"*nurture* and {watch:,} *long-term watch*."
                + (f" Together the priority ones carry {value:,.0f} {run.currency} of deal value." if carried else ""),
                f"- **{len(open_):,} 条未关闭线索中，{priority:,} 条属于 *{_tier('priority')}* 级**"
                f"（评分 {run.score.tiers.priority:g} 分及以上）；{nurture:,} 条属于 *{_tier('nurture')}*，"
                f"{watch:,} 条属于 *{_tier('watch')}*。"
                + (f"{_tier('priority')}线索的交易金额合计 {value:,.0f} {run.currency}。" if carried else ""),
            )
        ]
    lines.extend(_pipeline_findings(run))
    if check is not None and check.left_out:
        left_out = [f"{_context_name(c)} — {literal(why)}" for c, why in check.left_out.items()]
        lines.append(
            LABELS.say(
                "- **Left out of the fitted model:** "
                + "; ".join(left_out)
                + ". Such columns are written when a deal closes; a model using them would read the outcome, not "
                "predict it.",
                "- **未纳入拟合模型：**"
                + "；".join(left_out)
                + "。这类字段在交易关闭时才会填写；使用它们的模型等于直接读取结果，而不是预测结果。",
            )
        )
    if check is not None and check.status == "ok":
        lines.extend(_check_findings(run, check))
    elif check is not None:
        lines.append(
            LABELS.say(
                f"- **The expert score could not be checked against won/lost history:** {literal(check.reason)}.",
                f"- **专家评分无法用赢单/丢单历史进行检验：**{literal(check.reason)}。",
            )
        )
    missing = t["factors_missing"].fillna("").ne("").mean()
    if missing:
        lines.append(
            LABELS.say(
                f"- {_pct(missing)} of the leads miss at least one factor; their score is re-weighted over the factors "
                "they have (the table's coverage says how much of the weight that is).",
                f"- {_pct(missing)} 的线索至少缺少一项评分因素；其评分按已有因素重新分配权重"
                "（表中的覆盖率显示这些因素占总权重的比例）。",
            )
        )
    weak = check is not None and check.status == "ok" and not check.expert_auc >= run.settings.check.min_auc
    if weak and not check.probabilities.empty:
        lines.append(
            LABELS.say(
                "- **What to do:** until the expert score's scales are set for this client (target industries, size "
                "bands, decision-maker levels), follow the open deals by their win probability (section 2), which the "
                "client's own history supports; the Excel priority table holds it for every lead.",
                "- **建议：**在为该客户设定专家评分的标准（目标行业、规模分档、决策人层级）之前，请按赢单概率"
                "（第 2 节）跟进未关闭的交易，该概率有客户自身的历史数据支撑；Excel 优先级表列出了每条线索的赢单概率。",
            )
        )
    else:
        action = literal(run.settings.actions["priority"])
        lines.append(
            LABELS.say(
                f"- **What to do:** {action} — for the priority leads listed below "
                "and, with every lead's points, in the Excel priority table.",
                f"- **建议：**{action}——针对下方列出的{_tier('priority')}线索；Excel 优先级表中也列出了这些线索"
                "及每条线索的各项得分。",
            )
        )
    lines.extend(_growth_findings(run))
    note("\n".join(lines))


def _check_findings(run: OpportunityRun, check: HistoryCheck) -> list[str]:
    """The expert score and the fitted model on the held-out deals, in two lines (one without an expert score)."""
    lines = []
    closed = check.sizes["test"]["deals"]
    deals = LABELS.say(
        f"{closed:,} deals closed from {check.cutoff:%Y-%m-%d}", f"{check.cutoff:%Y-%m-%d} 以来关闭的 {closed:,} 笔交易"
    )
    if not np.isnan(check.expert_auc):
        if check.expert_auc >= run.settings.check.min_auc:
            rates = {tier: _pct(check.win_rates["test_win_rate"].get(tier)) for tier in TIERS}
            lines.append(
                LABELS.say(
                    f"- **The expert score picks winners.** On the {deals} (learned from none of them), it ranks a "
                    f"won deal above a lost one {check.expert_auc:.0%} of the time (AUC {check.expert_auc:.2f}); "
                    f"*priority* deals won {rates['priority']}, *nurture* {rates['nurture']}, *watch* "
                    f"{rates['watch']}.",
                    f"- **专家评分能够识别赢单。**在 {deals}上（评分未从这些交易中学习），任取一笔赢单和一笔丢单，"
                    f"它有 {check.expert_auc:.0%} 的概率把赢单排在前面（AUC {check.expert_auc:.2f}）；"
                    f"*{_tier('priority')}* 交易的赢单率为 {rates['priority']}，*{_tier('nurture')}* 为 "
                    f"{rates['nurture']}，*{_tier('watch')}* 为 {rates['watch']}。",
                )
            )
        else:
            lines.append(
                LABELS.say(
                    f"- **The expert score hardly picks winners here:** on the {deals} its AUC is "
                    f"{check.expert_auc:.2f} (0.5 = guessing). Read the tiers with care and look at the weights the "
                    "history suggests below.",
                    f"- **专家评分在这里几乎无法识别赢单：**在 {deals}上，其 AUC 仅为 {check.expert_auc:.2f}"
                    "（0.5 相当于随机猜测）。请谨慎解读分层结果，并参考下方根据历史数据建议的权重。",
                )
            )
    gap = check.model_auc - check.expert_auc
    better = gap > 0.02
    verdict = (
        ""
        if np.isnan(gap)
        else LABELS.say(
            f" does {'better' if better else 'about as well'}", "比专家评分表现更好" if better else "与专家评分表现相当"
        )
    )
    suggested = check.suggested["suggested"]
    advice = ""
    if suggested.notna().any():
        top = suggested.idxmax()
        factor, weight, configured = _factor(top), suggested.max(), check.suggested.loc[top, "current"]
        advice = LABELS.say(
            f" The history suggests more weight on {factor} ({weight:.0f} of 100 against {configured:.0f} "
            "configured) — advice for the consultant; the configured weights stay until changed.",
            f"历史数据建议提高{factor}的权重（建议 {weight:.0f} 分，满分 100，当前配置为 {configured:.0f} 分）——"
            "这是给顾问的建议；在修改配置之前，仍沿用已配置的权重。",
        )
    lines.append(
        LABELS.say(
            f"- **A model fitted on the client's own history{verdict}**: AUC {check.model_auc:.2f} on the {deals}, "
            "using the expert score's factors plus the lead's source, product, owner and sector where the data hold "
            "them.",
            f"- **基于客户自身历史数据拟合的模型{verdict}**：在 {deals}上 AUC 为 {check.model_auc:.2f}；该模型使用"
            "专家评分的各项因素，并在数据具备时加入线索的来源、产品、负责人和行业。",
        )
        + advice
    )
    return lines


def _money(run: OpportunityRun, amount: float) -> str:
    return f"{amount:,.0f} {run.currency}"


def _context_name(column: str) -> str:
    if LABELS.has("opportunity_factor", column):
        return _factor(column)
    return LABELS.text("pipeline_by", column)


def _pipeline_findings(run: OpportunityRun) -> list[str]:
    """The open pipeline in one line: its value, what the calibrated model expects of it, or why it says nothing."""
    open_ = _open(run)
    check = run.check
    if open_.empty or check is None:
        return []
    if check.probabilities.empty:
        reason = literal(check.probability_reason or check.reason)
        return [
            LABELS.say(
                f"- **The open deals get no win probability:** {reason}; rank them by the expert score.",
                f"- **未关闭的交易没有赢单概率：**{reason}；请按专家评分为其排序。",
            )
        ]
    if open_["expected_value"].isna().all():
        p = open_["win_probability"]
        return [
            LABELS.say(
                f"- **The {len(open_):,} open deals have a calibrated win probability** from the model fitted on the "
                f"client's history — {p.min():.0%} to {p.max():.0%}, {p.mean():.0%} on average — but the CRM records "
                "no deal value or budget, so there is no expected value.",
                f"- **{len(open_):,} 笔未关闭交易已有校准后的赢单概率**（来自基于客户历史数据拟合的模型）："
                f"介于 {p.min():.0%} 至 {p.max():.0%} 之间，平均 {p.mean():.0%}；但 CRM 未记录交易金额或预算，"
                "因此无法计算预期价值。",
            )
        ]
    expected = _money(run, open_["expected_value"].sum())
    value = _money(run, _open_value(open_).where(open_["expected_value"].notna()).sum())
    budget = open_["value_basis"].eq("budget").sum()
    best = open_.sort_values("expected_value", ascending=False).iloc[0]
    lead, best_value = literal(best["lead_id"]), _money(run, best["expected_value"])
    return [
        LABELS.say(
            f"- **The {len(open_):,} open deals are worth {value}; the model fitted on the client's history "
            f"expects {expected} of it to be won** (calibrated win probability x value). The largest "
            f"expected value is lead {lead} ({best_value}, {best['win_probability']:.0%} to win).",
            f"- **{len(open_):,} 笔未关闭交易总值 {value}；基于客户历史数据拟合的模型预计其中 {expected} 能够赢单**"
            f"（校准后的赢单概率 × 金额）。预期价值最高的是线索 {lead}（{best_value}，赢单概率 "
            f"{best['win_probability']:.0%}）。",
        )
        + (
            LABELS.say(
                f" For {budget:,} of them the CRM holds no deal value and the stated budget stands in.",
                f"其中 {budget:,} 笔交易在 CRM 中没有交易金额，以填报的预算代替。",
            )
            if budget
            else ""
        )
    ]


def _growth_findings(run: OpportunityRun) -> list[str]:
    """Growth among existing customers, in a line or two: who to grow, and who to keep first."""
    g = run.growth
    if not run.has_orders:
        return []
    if g.empty:
        return [
            LABELS.say(
                "- **No existing customer bought in the window**, so there is no growth among them to show.",
                "- **窗口期内没有现有客户下单**，因此无法展示现有客户的增长机会。",
            )
        ]
    keep = g["retain_first"]
    safe = g.loc[~keep]
    days = run.settings.growth.window_days
    suggested, kept, rising = int(g["top_item"].notna().sum()), int(keep.sum()), int(safe["rising"].sum())
    cross, wallet = _money(run, safe["cross_sell_value"].sum()), _money(run, safe["wallet_gap"].sum())
    has_wallet = safe["wallet_gap"].notna().any()
    lines = [
        LABELS.say(
            f"- **Growth among existing customers:** {suggested:,} of the {len(g):,} "
            f"customers who bought in the last {days} days do not buy yet what similar "
            f"customers buy. Leaving out the {kept:,} to retain first, the cross-sell potential comes to "
            f"{cross}"
            + (f" and the gap to their wallet to {wallet}" if has_wallet else "")
            + f"; {rising:,} of them are buying more in the window's later half than in its "
            "earlier half.",
            f"- **现有客户的增长机会：**过去 {days} 天内下单的 {len(g):,} 位客户中，有 {suggested:,} 位"
            f"尚未购买相似客户常买的产品。除去需优先保留的 {kept:,} 位客户，交叉销售潜力合计 {cross}"
            + (f"，钱包缺口合计 {wallet}" if has_wallet else "")
            + f"；其中 {rising:,} 位客户在窗口期后半段的消费额高于前半段。",
        )
    ]
    high = g["risk_band"].eq("high").fillna(False)
    fell = keep & ~high
    if keep.any():
        risky, fallen, falling = int(high.sum()), int(fell.sum()), run.settings.growth.falling
        parts = []
        if high.any():
            parts.append(
                LABELS.say(f"{risky:,} at high churn risk (stage 04)", f"{risky:,} 位在阶段 04 被判为高流失风险")
            )
        if fell.any():
            parts.append(
                LABELS.say(
                    f"{fallen:,} stage 04 did not score whose spend in the window's later half fell "
                    f"{falling:.0%} or more",
                    f"{fallen:,} 位未经阶段 04 评分、但窗口期后半段消费额下降 {falling:.0%} 及以上",
                )
            )
        action = literal(run.settings.growth.actions["retain_first"])
        lines.append(
            LABELS.say(
                f"- **{kept:,} to retain first** — {' and '.join(parts)} — are listed apart: {action}.",
                f"- **{kept:,} 位客户需优先保留**（{'；'.join(parts)}），已单独列出：{action}。",
            )
        )
    return lines


# --------------------------------------------------------------------------- tables
def tiers_table(run: OpportunityRun) -> Table | None:
    """Leads and open leads per tier."""
    if not run.has_leads:
        return None
    t = run.table
    open_ = _open(run)
    frame = pd.DataFrame(
        {
            _h("tier"): [_tier(k) for k in TIERS],
            _h("leads"): [int(t["tier"].eq(k).sum()) for k in TIERS],
            _h("open_leads"): [int(open_["tier"].eq(k).sum()) for k in TIERS],
            _h("share"): [100 * open_["tier"].eq(k).mean() if len(open_) else np.nan for k in TIERS],
        }
    )
    return Table(
        frame,
        ints=[_h("leads"), _h("open_leads")],
        pct=[_h("share")],
        caption=LABELS.text("caption", "opportunity_tiers"),
        uid="opportunity_tiers",
    )


def _list_frame(rows: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "lead_id",
        "company_name",
        "owner",
        "source",
        "product",
        "stage",
        "industry",
        *[f"{f}_points" for f in FACTORS],
        "score",
        "tier",
        "win_probability",
        "action",
    ]
    frame = rows[[c for c in columns if c in rows and rows[c].notna().any()]].copy()
    if "tier" in frame:
        frame["tier"] = frame["tier"].map(_tier)
    if "win_probability" in frame:
        frame["win_probability"] = frame["win_probability"] * 100
    return frame.rename(columns={c: _h(c) for c in frame.columns})


def priority_list_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """The open leads to follow first: best score first, with each factor's points."""
    if not run.has_leads:
        return None
    open_ = _open(run)
    if open_.empty:
        return None
    frame = _list_frame(open_.head(limit))
    caption = LABELS.text("caption", "opportunity_list")
    if len(open_) > limit:
        caption += LABELS.say(
            f" — {limit} of {len(open_):,}; the Excel priority table holds every lead",
            f"（前 {limit} 条，共 {len(open_):,} 条；全部线索见 Excel 优先级表）",
        )
    points = [_h(f"{f}_points") for f in FACTORS if _h(f"{f}_points") in frame]
    return Table(
        frame, decimals=[*points, _h("score")], pct=[_h("win_probability")], caption=caption, uid="opportunity_list"
    )


def check_table(run: OpportunityRun) -> Table | None:
    """The expert score and the fitted model on the same held-out deals."""
    check = run.check
    if check is None or check.status != "ok":
        return None
    frame = pd.DataFrame(
        {
            _h("measure"): [_h("expert"), _h("model")],
            "AUC": [check.expert_auc, check.model_auc],
            _h("test_deals"): [check.sizes["test"]["deals"]] * 2,
            _h("wins"): [check.sizes["test"]["wins"]] * 2,
        }
    )
    return Table(
        frame,
        decimals=["AUC"],
        ints=[_h("test_deals"), _h("wins")],
        caption=LABELS.text("caption", "opportunity_check")
        + LABELS.say(f" ({check.cutoff:%Y-%m-%d} →)", f"（{check.cutoff:%Y-%m-%d} 起关闭的商机）"),
        uid="opportunity_check",
    )


def win_rates_table(run: OpportunityRun) -> Table | None:
    """Deals, wins and win rate per tier: the test deals and every closed deal."""
    check = run.check
    if check is None or check.win_rates.empty:
        return None
    w = check.win_rates
    frame = pd.DataFrame(
        {
            _h("tier"): [_tier(k) for k in w.index],
            _h("test_deals"): w["test_deals"].to_numpy(),
            _h("test_win_rate"): w["test_win_rate"].to_numpy() * 100,
            _h("deals"): w["deals"].to_numpy(),
            _h("win_rate"): w["win_rate"].to_numpy() * 100,
        }
    )
    return Table(
        frame,
        ints=[_h("test_deals"), _h("deals")],
        pct=[_h("test_win_rate"), _h("win_rate")],
        caption=LABELS.text("caption", "opportunity_win_rates"),
        uid="opportunity_win_rates",
    )


def weights_table(run: OpportunityRun) -> Table | None:
    """Each factor's configured weight beside the one the history suggests."""
    check = run.check
    if check is None or check.suggested.empty:
        return None
    s = check.suggested
    frame = pd.DataFrame(
        {
            _h("factor"): [_factor(f) for f in s.index],
            _h("current"): s["current"].to_numpy(),
            _h("suggested"): s["suggested"].to_numpy(),
            _h("log_odds"): s["log_odds_per_full_points"].to_numpy(),
        }
    )
    return Table(
        frame,
        decimals=[_h("current"), _h("suggested"), _h("log_odds")],
        caption=LABELS.text("caption", "opportunity_weights"),
        uid="opportunity_weights",
    )


def evidence_table(run: OpportunityRun) -> Table | None:
    """Win rate of the closed deals by the share of each factor's points earned."""
    check = run.check
    if check is None or check.evidence.empty:
        return None
    e = check.evidence.reset_index()
    frame = pd.DataFrame(
        {
            _h("factor"): [_factor(f) for f in e["factor"]],
            _h("points"): e["points"].to_numpy() * 100,
            _h("deals"): e["deals"].to_numpy(),
            _h("win_rate"): e["win_rate"].to_numpy() * 100,
        }
    )
    return Table(
        frame,
        ints=[_h("deals")],
        pct=[_h("points"), _h("win_rate")],
        caption=LABELS.text("caption", "opportunity_evidence"),
        uid="opportunity_evidence",
    )


def open_deals_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """The open deals with the largest expected value: score, tier, win probability, value and expected value."""
    open_ = _open(run)
    if open_.empty or open_["win_probability"].isna().all():
        return None
    rows = open_.sort_values(
        ["expected_value", "win_probability"], ascending=False, na_position="last", kind="stable"
    ).head(limit)
    columns = ["lead_id", "company_name", "owner", "stage", "product", "score", "tier", "win_probability"]
    frame = rows[[c for c in columns if rows[c].notna().any()]].copy()
    if "tier" in frame:
        frame["tier"] = frame["tier"].map(_tier)
    frame["win_probability"] = frame["win_probability"] * 100
    basis = rows["value_basis"].dropna().unique()
    if len(basis) > 1:  # one basis for every row is said once, in the header
        frame["value_basis"] = LABELS.relabel(rows, {"value_basis": "value_basis"})["value_basis"]
    if rows["expected_value"].notna().any():
        frame["value"] = _open_value(rows)
        frame["expected_value"] = rows["expected_value"]
    value_header = _h("budget") if list(basis) == ["budget"] else _h("deal_value")
    headers = {c: _h(c) for c in frame.columns if c != "value"} | {"value": value_header}
    caption = LABELS.text("caption", "opportunity_open_deals")
    if len(open_) > limit:
        caption += LABELS.say(
            f" — {limit} of {len(open_):,}, largest expected value first",
            f"（按预期金额从高到低，前 {limit} 笔，共 {len(open_):,} 笔）",
        )
    return Table(
        frame.rename(columns=headers),
        money=[value_header, _h("expected_value")],
        pct=[_h("win_probability")],
        decimals=[_h("score")],
        caption=caption,
        uid="opportunity_open_deals",
    )


def _by_label(key: str) -> str:
    return LABELS.text("pipeline_by", key)


def _breakdown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table indexed by (by, level) flat, as people read it: the breakdown named, the overall row's level blank."""
    flat = frame.reset_index()
    flat["by"] = flat["by"].map(_by_label)
    flat["level"] = flat["level"].where(flat["level"].ne("all"), "")  # "all" is a key: its "by" says it
    return flat


def pipeline_table(run: OpportunityRun) -> Table | None:
    """The open deals by stage, owner, product and source: deals, value, expected value, mean win probability."""
    p = run.pipeline
    if p.empty:
        return None
    frame = _breakdown(p)
    frame["win_probability"] = frame["win_probability"] * 100
    frame = frame.rename(columns={"win_probability": "mean_probability"})
    frame = frame[[c for c in frame.columns if frame[c].notna().any()]]
    by = [_by_label(b) for b in p.index.get_level_values("by").unique()]
    return Table(
        frame.rename(columns={c: _h(c) for c in frame.columns}),
        ints=[_h("deals")],
        money=[_h("value"), _h("expected_value")],
        pct=[_h("mean_probability")],
        caption=LABELS.text("caption", "opportunity_pipeline")
        + LABELS.say(": " + ", ".join(by), "（按" + "、".join(by) + "）"),
        uid="opportunity_pipeline",
    )


def performance_table(run: OpportunityRun) -> Table | None:
    """The closed deals' win rate and time to close, overall and by owner, sector, product and source."""
    p = run.performance
    if p.empty:
        return None
    frame = _breakdown(p)
    frame["win_rate"] = frame["win_rate"] * 100
    frame = frame[[c for c in frame.columns if frame[c].notna().any()]]
    return Table(
        frame.rename(columns={c: _h(c) for c in frame.columns}),
        ints=[_h("deals"), _h("wins"), _h("days_to_win"), _h("days_to_close")],
        pct=[_h("win_rate")],
        money=[_h("won_value")],
        caption=LABELS.text("caption", "opportunity_performance"),
        uid="opportunity_performance",
    )


def _g(key: str) -> str:
    return LABELS.text("growth_column", key)


def _growth_frame(rows: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "customer_id",
        "customer_name",
        "owner",
        "spend",
        "suggestions",
        "because",
        "cross_sell_value",
        "trend",
        "wallet_share",
        "growth_value",
        "churn_probability",
        "risk_band",
    ]
    frame = rows[[c for c in columns if c in rows and rows[c].notna().any()]].copy()
    if rows["wallet_gap"].isna().all():  # the growth value is the cross-sell value alone: show it once
        frame = frame.drop(columns="growth_value")
    for c in ("trend", "wallet_share", "churn_probability"):
        if c in frame:
            frame[c] = frame[c] * 100
    return LABELS.relabel(frame, {"risk_band": "risk_band"}).rename(columns={c: _g(c) for c in frame.columns})


def _growth_view(frame: pd.DataFrame, caption: str, uid: str) -> Table:
    return Table(
        frame,
        money=[_g("spend"), _g("cross_sell_value"), _g("growth_value")],
        pct=[_g("trend"), _g("wallet_share"), _g("churn_probability")],
        caption=caption,
        uid=uid,
    )


def growth_note(run: OpportunityRun) -> None:
    """What the growth list rests on, for this data: items or products, wallet or not, churn beside it."""
    if not run.has_orders:
        note(
            LABELS.say(
                "**These data hold no order lines**, so growth among existing customers (what they do not buy yet, "
                "their share of wallet, their trend) cannot be shown.",
                "**数据中没有订单明细**，因此无法展示现有客户的增长机会（尚未购买的品类、钱包份额、消费趋势）。",
            )
        )
        return
    if run.growth.empty:
        note(
            LABELS.say(
                "**No customer bought in the window**: there is no growth among existing customers to show.",
                "**窗口期内没有客户下单**：没有可展示的现有客户增长机会。",
            )
        )
        return
    by_category = run.growth_item == "category"
    items = LABELS.say(
        "categories" if by_category else "products (the order lines carry no category)",
        "品类" if by_category else "产品（订单明细中没有品类信息）",
    )
    item = "品类" if by_category else "产品"
    wallet = (
        LABELS.say(
            "Share of wallet compares their spend with the wallet the customer table records.",
            "钱包份额将客户的消费额与客户表中记录的钱包规模进行比较。",
        )
        if run.growth["wallet"].notna().any()
        else LABELS.say(
            "The customer table records no wallet (the customer's spend on what the client sells, ours and "
            "competitors'), so there is no share-of-wallet gap; map `wallet` to add it.",
            "客户表中没有记录钱包规模（客户在本公司所售品类上的全部支出，含本公司与竞争对手），因此无法计算钱包"
            "缺口；映射 `wallet` 列即可加入。",
        )
    )
    note(
        LABELS.say(
            f"Suggestions name {items} a customer does not buy yet, with the share of the buyers of something they "
            f"do buy who also buy it; the column beside says which. {wallet} Churn risk comes from stage 04.",
            f"推荐列出客户尚未购买的{items}，并附上购买比例：在购买了该客户某一已购{item}的客户中，同时购买推荐"
            f"{item}的比例；旁边一列注明依据的是哪个已购{item}。{wallet}流失风险来自阶段 04。",
        )
    )


def growth_list_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """The customers to grow first: not at high churn risk, largest growth potential first."""
    g = run.growth
    if g.empty:
        return None
    safe = g.loc[~g["retain_first"]]
    caption = LABELS.text("caption", "growth_list")
    if len(safe) > limit:
        caption += LABELS.say(
            f" — {limit} of {len(safe):,}; the Excel priority table holds every customer",
            f"（前 {limit} 位，共 {len(safe):,} 位；全部客户见 Excel 优先级表）",
        )
    return _growth_view(_growth_frame(safe.head(limit)), caption, "growth_list")


def growth_at_risk_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """Customers with growth potential who are at high churn risk or buying far less: keep them first."""
    g = run.growth
    high = g.loc[g["retain_first"]] if len(g) else g
    if high.empty:
        return None
    return _growth_view(_growth_frame(high.head(limit)), LABELS.text("caption", "growth_at_risk"), "growth_at_risk")


def method_note(run: OpportunityRun) -> None:
    """How the score is made, in words."""
    f = run.score.factors
    weighted = [f"{_factor(k)} {v:g}" for k, v in run.score.weights().items()]
    weights = ", ".join(weighted)
    item = "品类" if run.growth_item == "category" else "产品"
    note(
        LABELS.say(
            f"**The expert score (专家评分)** adds the points a lead earns on four factors — {weights} — out of 100. "
            "Company size and decision-maker contact earn their points as the client writes them (each written value "
            "has its share of the points in the score's settings); industry match gives every point to the client's "
            f"{len(f.industry_match.target_industries)} target industries and {f.industry_match.same_sector:.0%} to "
            "another industry of a target's sector; budget adequacy compares the budget with the deal value, or with "
            "the typical budget of the lead's size. A factor the data cannot give for a lead drops out and the others "
            f"are re-weighted — unknown is not bad. {run.money.describe('The typical budgets', '典型预算')}\n\n"
            "**The check (历史检验).** The closed deals are ordered by closing date; the latest "
            f"{run.settings.check.test_share:.0%} are the test. A logistic regression learns winning from the earlier "
            "deals' factors (and source, product, owner and sector where the data hold them), and both it and the "
            "expert score are judged on the test deals. The weights the history suggests come from a logistic "
            "regression on the four factors over every closed deal.\n\n"
            "**Win probability (赢单概率).** The fitted model is calibrated (Platt scaling, cross-validated). When it "
            f"ranks the test deals with an AUC of at least {run.settings.check.min_auc:.2f} and its probabilities are "
            "closer to their outcomes than the training win rate (Brier score), it is refitted on every closed deal "
            "and gives each open deal its win probability — the chance it is won once it closes, learned from deals "
            "that did close, so a deal left open far longer than usual is rated as if it were moving; expected value "
            "is that probability times the deal value "
            "(the stated budget when the CRM holds no deal value). Otherwise the open deals get none, and the report "
            "says why.\n\n"
            "**Growth among existing customers (客户增长机会).** Over the last "
            f"{run.settings.growth.window_days} days: for what a customer does not buy yet, the largest share, over "
            "what they do buy, of its buyers who buy it too (an item needs "
            f"{run.settings.growth.min_buyers} buyers to count; a suggestion "
            f"{run.settings.growth.min_propensity:.0%} or more); its value is that share times what buyers typically "
            "spend on it relative to the rest of their purchases, scaled to the customer's spend. The trend compares "
            f"the window's later half with its earlier half (rising from +{run.settings.growth.rising:.0%}).",
            "**专家评分**将线索在四项因素上的得分相加（"
            + "、".join(weighted)
            + "），满分 100 分。企业规模和决策人接触按客户填写的取值计分（每个取值对应的分数比例见评分设置）；"
            f"行业匹配对客户的 {len(f.industry_match.target_industries)} 个目标行业给满分，对与目标行业同属一个"
            f"行业大类的其他行业给 {f.industry_match.same_sector:.0%} 的分数；预算充足度将预算与商机金额比较，"
            "没有商机金额时与同规模线索的典型预算比较。数据无法为某条线索提供的因素不参与计分，其余因素重新分配"
            f"权重——未知不等于差。{run.money.describe('The typical budgets', '典型预算')}\n\n"
            "**历史检验。**已关闭的商机按关闭日期排序，最近的 "
            f"{run.settings.check.test_share:.0%} 作为测试集。逻辑回归从较早商机的各项因素（以及数据具备时的来源、"
            "产品、负责人和行业）中学习赢单规律，该模型与专家评分都在测试商机上评估。历史数据建议的权重来自"
            "在全部已关闭商机上仅用四项因素拟合的逻辑回归。\n\n"
            "**赢单概率。**拟合模型经过校准（Platt 缩放，交叉验证）。当它对测试商机排序的 AUC 不低于 "
            f"{run.settings.check.min_auc:.2f}，且其概率比训练集的赢单率更接近实际结果（Brier 分数）时，模型会"
            "在全部已关闭商机上重新拟合，并为每笔未关闭商机给出赢单概率，即该商机关闭时赢单的可能性。由于它是从"
            "已关闭的商机中学到的，停留时间远超通常的商机也按仍在推进来评估。预期金额等于该概率乘以商机金额"
            "（CRM 中没有商机金额时以填报的预算代替）。否则未关闭商机不给出赢单概率，报告会说明原因。\n\n"
            f"**客户增长机会。**基于过去 {run.settings.growth.window_days} 天的数据：对客户尚未购买的每个"
            f"{item}，在客户已购的各{item}中，取其购买者同时购买该{item}的最大比例（一个{item}至少需要 "
            f"{run.settings.growth.min_buyers} 位购买者才纳入计算；比例达到 "
            f"{run.settings.growth.min_propensity:.0%} 及以上才作为推荐）；其价值等于该比例乘以购买者在该{item}"
            "上的典型消费相对其其他购买的比例，再按客户的消费额换算。消费趋势比较窗口期后半段与前半段的消费"
            f"（增长 +{run.settings.growth.rising:.0%} 及以上视为上升）。",
        )
    )


# --------------------------------------------------------------------------- the workbook
def priority_workbook(run: OpportunityRun) -> Workbook:
    """The sales team's priority table (销售机会优先级表): about, every lead with its points, the check, the weights."""
    s = lambda key: LABELS.text("opportunity_sheet", key)
    says = lambda key: LABELS.text("sheet_note", key)
    period = parse_period(run.period_label)
    t = run.table
    tiers = run.score.tiers
    about = {
        s("report"): s("report_name"),
        s("period"): f"{period.label} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d})",
        s("data"): run.data_title,
        s("leads"): f"{len(t):,}",
        s("open"): f"{int((~t['outcome'].isin(['won', 'lost'])).sum()):,}" if len(t) else "0",
        s("tiers"): LABELS.format(
            "opportunity_sheet",
            "tiers_text",
            priority=f"{tiers.priority:g}",
            nurture=f"{tiers.nurture:g}",
            below=f"{tiers.priority - 0.01:g}",
        ),
        s("checked"): (
            LABELS.say(
                f"AUC {run.check.expert_auc:.2f} / {run.check.model_auc:.2f}",
                f"{_h('expert')} AUC {run.check.expert_auc:.2f} / {_h('model')} AUC {run.check.model_auc:.2f}",
            )
            if run.check is not None and run.check.status == "ok"
            else (run.check.reason if run.check is not None else "—")
        ),
    }
    leads = t.copy()
    leads = leads[[c for c in leads.columns if leads[c].notna().any() or c in ("lead_id", "score", "tier")]]
    if "tier" in leads:
        leads["tier"] = leads["tier"].map(_tier)
    leads = LABELS.relabel(leads, {"outcome": "lead_outcome", "value_basis": "value_basis"})
    sheets = [
        Sheet(
            s("priority"),
            leads,
            headers={c: _h(c) for c in leads.columns},
            percent=["coverage", "win_probability"],
            formats={"score": "0.0", **{f"{f}_points": "0.0" for f in FACTORS}},
            fills={"tier": {_tier(k): colour for k, colour in TIER_COLOURS.items()}},
            description=says("priority"),
        ),
    ]
    if run.check is not None and not run.check.win_rates.empty:
        w = run.check.win_rates.rename(index=_tier).reset_index(names="tier")
        sheets.append(
            Sheet(
                s("check"),
                w,
                headers={c: _h(c) for c in w.columns},
                percent=["test_win_rate", "win_rate"],
                description=says("check"),
            )
        )
        weights = run.check.suggested.rename(index=_factor).reset_index(names="factor")
        sheets.append(
            Sheet(
                s("weights"),
                weights.rename(columns={"log_odds_per_full_points": "log_odds"}),
                headers={c: _h(c) for c in ["factor", "current", "suggested", "log_odds"]},
                description=says("weights"),
            )
        )
    for key, frame in (("pipeline", run.pipeline), ("performance", run.performance)):
        if not frame.empty:
            flat = _breakdown(frame)
            flat = flat[[c for c in flat.columns if flat[c].notna().any()]]
            sheets.append(
                Sheet(
                    s(key),
                    flat,
                    headers={c: _h("mean_probability" if c == "win_probability" else c) for c in flat.columns},
                    percent=["win_rate", "win_probability"],
                    formats={c: "0" for c in ("days_to_win", "days_to_close")},
                    description=says(key),
                )
            )
    if not run.growth.empty:
        growth = LABELS.relabel(run.growth, {"risk_band": "risk_band"})
        growth = growth[[c for c in growth.columns if growth[c].notna().any() or c == "customer_id"]]
        sheets.append(
            Sheet(
                s("growth"),
                growth,
                headers={c: _g(c) for c in growth.columns},
                percent=["top_propensity", "trend", "wallet_share", "churn_probability"],
                description=says("growth"),
            )
        )
    return Workbook(sheets, about=about)
