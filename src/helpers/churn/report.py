"""What stage 04 shows and writes: the findings first, the out-of-time check, the reasons, the rules, the files.

Notebook helpers display tables and notes; :func:`churn_metrics` is ``churn_metrics.json`` and
:func:`risk_workbook` the account managers' Excel risk list. Words come from the label registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from helpers.churn.features import feature, feature_label
from helpers.churn.recorded import retention_at
from helpers.churn.rules import RULES, rule_summary
from helpers.churn.settings import RISK_BANDS
from helpers.core.labels import LABELS
from helpers.core.periods import parse_period
from helpers.core.schema import ATTRIBUTE_PREFIX
from helpers.io.excel import Sheet, Workbook
from helpers.reporting.display import Table, display_all, literal, note
from helpers.shared import json_ready

if TYPE_CHECKING:
    from helpers.churn.stage import ChurnRun
    from helpers.churn.training import ChurnFit

__all__ = [
    "bands_table",
    "calibration_table",
    "choice_note",
    "churn_metrics",
    "coefficients_table",
    "display_all",
    "comparison_table",
    "features_table",
    "findings_note",
    "horizon_note",
    "meaning_note",
    "meaning_table",
    "risk_list_table",
    "risk_workbook",
    "rule_check_table",
    "rules_table",
    "retention_note",
    "section_intro",
    "tree_rules_note",
]

#: How far below the threshold the observed churn of the customers above it may be for "means what it says".
_CALIBRATION_TOLERANCE = 0.1
_METRICS = [
    "rows",
    "churn_rate",
    "auc",
    "pr_auc",
    "brier",
    "lift_top_decile",
    "capture_top_decile",
    "precision",
    "recall",
    "flagged",
]


def _m(key: str) -> str:
    return LABELS.text("churn_metric", key)


def _model(name: str) -> str:
    return LABELS.text("churn_model", name)


def churn_metrics(run: ChurnRun) -> dict[str, Any]:
    """``churn_metrics.json``: the check of every model and baseline, the choice, the calibration, the windows."""
    fit, w = run.fit, run.windows
    models = {name: row.to_dict() for name, row in fit.comparison.iterrows()} if len(fit.comparison) else {}
    if run.held_out:
        windows: dict[str, Any] = {
            "validation": "held_out",
            "held_out_share": run.settings.model.holdout_share,
            "recorded": run.recorded_counts,
            "scored_as_of": w.score,
        }
    else:
        windows = {
            "validation": "out_of_time",
            "test_cutoff": w.test,
            "test_outcome": [w.test + pd.Timedelta(days=1), w.score],
            "training_cutoffs": list(w.validation_train),
            "scoring_model_cutoffs": list(w.final_train),
            "dropped_cutoffs": list(w.dropped),
            "scored_as_of": w.score,
        } | ({"recorded": run.recorded_counts} if run.recorded else {})
    record = {
        "status": fit.status,
        "reason": fit.reason,
        "label": ("recorded_date" if not run.held_out else "recorded") if run.recorded else "no_order_within_horizon",
        "horizon_days": run.horizon_days,
        "windows": windows,
        "sizes": fit.sizes,
        "features": fit.features,
        "models": models,
        "chosen": fit.chosen,
        "why": fit.why,
        "calibration": {"method": fit.calibration_method, **fit.after_metrics},
        "threshold": run.settings.risk_bands.high,
        "horizon_fit": run.horizon,
        "baseline_note": run.baseline_note,
    }
    return json_ready(record)


# --------------------------------------------------------------------------- findings
def _pct(x: float) -> str:
    if x is None or pd.isna(x):
        return LABELS.say("n/a", "无数据")
    return LABELS.say("less than 1%", "不足 1%") if 0 < x < 0.005 else f"{x:.0%}"


def findings_note(run: ChurnRun) -> None:
    """The findings, first: who is at risk, can the model be trusted, what the rules say, what to do."""
    fit, table = run.fit, run.table
    high = table.loc[table["risk_band"].eq("high")]
    medium = table.loc[table["risk_band"].eq("medium")]
    bands = run.settings.risk_bands
    lines = []
    if fit.ok:
        c = fit.comparison.loc[fit.chosen]
        a = fit.after_metrics
        spent = _spend_of(high, table, run)
        if run.recorded:
            within = (
                ""
                if run.held_out
                else LABELS.say(f" in the next {run.horizon_days} days", f"未来 {run.horizon_days} 天内")
            )
            churned = run.recorded_counts["churned"]
            lines.append(
                LABELS.say(
                    f"- **{len(high):,} of {len(table):,} current customers are at high risk** — a probability of "
                    f"{bands.high:.0%} or more of leaving{within}, judged against the "
                    f"{churned:,} customers the data record as gone.",
                    f"- **{len(table):,} 位现有客户中，{len(high):,} 位流失风险高**：{within}流失概率达到 "
                    f"{bands.high:.0%} 及以上，以数据中已记录流失的 {churned:,} 位客户为依据。",
                )
                + spent
            )
        else:
            lines.append(
                LABELS.say(
                    f"- **{len(high):,} of {len(table):,} customers are at high risk** — a probability of "
                    f"{bands.high:.0%} or more of placing no order in the next {run.horizon_days} days.",
                    f"- **{len(table):,} 位客户中，{len(high):,} 位流失风险高**：未来 {run.horizon_days} 天内不再下单的"
                    f"概率达到 {bands.high:.0%} 及以上。",
                )
                + spent
            )
        if run.recorded and run.held_out:
            rows = fit.sizes["test"]["rows"]
            checked = LABELS.say(
                f"on {rows:,} customers whose churn is recorded and who were held out of its training",
                f"在 {rows:,} 位已记录流失情况、且未参与训练的客户上",
            )
        else:
            checked = LABELS.say(
                f"on the customers of {run.windows.test:%Y-%m-%d}, whose next {run.horizon_days} days are known",
                f"在 {run.windows.test:%Y-%m-%d} 时点的客户上（其后 {run.horizon_days} 天的情况已知）",
            )
        model, capture = _model(fit.chosen), _pct(c["capture_top_decile"])
        lines.append(
            LABELS.say(
                f"- **The model can be used.** {model.capitalize()} was checked {checked}: it ranks a "
                f"customer who left above one who stayed {c['auc']:.0%} of the time (AUC {c['auc']:.2f}), and its top "
                f"10 % held {capture} of those who left ({c['lift_top_decile']:.1f} times the average).",
                f"- **模型可以使用。**{model}{checked}接受了检验：任取一位已流失客户和一位留存客户，它有 "
                f"{c['auc']:.0%} 的概率把已流失的客户排在前面（AUC {c['auc']:.2f}）；其评分最高的前 10 % 客户覆盖了 "
                f"{capture} 的流失客户（为平均水平的 {c['lift_top_decile']:.1f} 倍）。",
            )
            + _recency_compare(fit)
        )
        if a.get("flagged"):
            threshold = bands.high
            close = a["precision"] >= threshold - _CALIBRATION_TOLERANCE
            precision, recall = _pct(a["precision"]), _pct(a["recall"])
            lines.append(
                LABELS.say(
                    (
                        "- **Its probabilities mean what they say:** "
                        if close
                        else "- **Read its probabilities as a ranking, not a forecast:** "
                    )
                    + f"of the test customers it put at {threshold:.0%} or more after calibration, "
                    f"{precision} did leave ({a['flagged']:,} customers; they were {recall} of all who left).",
                    ("- **模型给出的概率可信：**" if close else "- **其概率宜作排序参考，不宜作预测：**")
                    + f"校准后流失概率被判定为 {threshold:.0%} 及以上的测试客户中，{precision} 确实流失了"
                    f"（共 {a['flagged']:,} 位客户，占全部流失客户的 {recall}）。",
                )
            )
        first = run.first_reason.reindex(high["customer_id"]).dropna()
        if len(first):
            top = first.value_counts().index[0]
            reasons = high.loc[high["customer_id"].isin(first.index[first.eq(top)]), "reasons"].iloc[0]
            reason, count = literal(feature_label(top)), int(first.eq(top).sum())
            example = literal(reasons.split("; ")[0])
            lines.append(
                LABELS.say(
                    f"- **Their strongest reason, most often:** {reason} ({count:,} of {len(high):,}); for example "
                    f"*{example}*.",
                    f"- **最常见的首要原因：**{reason}（{len(high):,} 位中有 {count:,} 位），例如 *{example}*。",
                )
            )
    else:
        lines.append(
            LABELS.say(
                f"- **No churn probabilities this period:** {literal(fit.reason)}. The early-warning rules "
                "below alone say whom to call.",
                f"- **本期没有流失概率：**{literal(fit.reason)}。需要联系哪些客户，只能依据下方的预警规则判断。",
            )
        )
    fired = run.hits["customer_id"].nunique()
    if fired:
        per_rule = run.hits.groupby("rule")["customer_id"].nunique()
        parts = [f"{LABELS.text('churn_rule', r)} {per_rule[r]:,}" for r in RULES if r in per_rule]
        lines.append(
            LABELS.say(
                f"- **{fired:,} customers set off an early-warning rule** ({', '.join(parts)}).",
                f"- **{fired:,} 位客户触发了预警规则**（{'、'.join(parts)}）。",
            )
        )
    actions = run.settings.actions
    if fit.ok and len(high):
        lines.append(
            LABELS.say(
                f"- **What to do:** {literal(actions['high'])} — for the high-risk list, which the Excel "
                "file gives each account manager with the reasons and the rules that fired.",
                f"- **建议：**{literal(actions['high'])}——针对高流失风险名单；Excel 文件为每位客户经理列出了"
                "各自的名单，并附有风险原因和触发的预警规则。",
            )
        )
    elif fit.ok and len(medium):
        lines.append(
            LABELS.say(
                f"- **What to do:** no customer reaches {bands.high:.0%}; "
                f"{literal(actions['medium'])} — for the {len(medium):,} customers at medium risk "
                f"({bands.medium:.0%} or more), listed below and in the Excel file.",
                f"- **建议：**没有客户的流失概率达到 {bands.high:.0%}；{literal(actions['medium'])}——针对 "
                f"{len(medium):,} 位中等流失风险客户（概率 {bands.medium:.0%} 及以上），名单见下方及 Excel 文件。",
            )
        )
    elif fit.ok and len(table):
        top = table["churn_probability"].max()
        lines.append(
            LABELS.say(
                f"- **What to do:** no customer reaches even the medium band ({bands.medium:.0%}); "
                f"the highest probability is {top:.0%}. {literal(actions['low'])} — the list below shows "
                "the customers with the highest probabilities, who are the ones to look at first.",
                f"- **建议：**没有客户达到中等流失风险（{bands.medium:.0%}），最高流失概率为 {top:.0%}。"
                f"{literal(actions['low'])}——下方名单列出了流失概率最高的客户，应首先关注他们。",
            )
        )
    elif fired:
        lines.append(
            LABELS.say(
                f"- **What to do:** {literal(actions['medium'])} — for the customers a rule fired for, "
                "whom the Excel file lists with what was seen.",
                f"- **建议：**{literal(actions['medium'])}——针对触发预警规则的客户；Excel 文件逐一列出了这些客户"
                "及观察到的情况。",
            )
        )
    note("\n".join(lines))


def _share(part: float, whole: float) -> str:
    return _pct(part / whole) if whole else LABELS.say("n/a", "无数据")


def _spend_of(high: pd.DataFrame, table: pd.DataFrame, run: ChurnRun) -> str:
    """What the high-risk customers spent in the look-back window (nothing for data without orders)."""
    if table["monetary"].isna().all():
        return ""
    spent = high["monetary"].sum()
    share = _share(spent, table["monetary"].sum())
    return LABELS.say(
        f" They spent {spent:,.0f} {run.currency} in the last {run.lookback_days} days "
        f"({share} of the spend of the customers scored).",
        f"这些客户过去 {run.lookback_days} 天消费 {spent:,.0f} {run.currency}，占全部评分客户消费额的 {share}。",
    )


def _recency_compare(fit: ChurnFit) -> str:
    comparison = fit.comparison
    for name, words in (("recency", "Days since the last order alone"), ("tenure", "Tenure alone")):
        if fit.chosen != name and name in comparison.index and not pd.isna(comparison.loc[name, "auc"]):
            auc = comparison.loc[name, "auc"]
            return LABELS.say(f" {words} reaches AUC {auc:.2f}.", f"作为对照，{_model(name)}的 AUC 为 {auc:.2f}。")
    return ""


def horizon_note(run: ChurnRun) -> None:
    """What churn means here, and why the horizon fits the data's rhythm of purchases."""
    h, days = run.horizon, run.horizon_days
    if run.recorded:
        n = run.recorded_counts
        how = (
            LABELS.say(
                "The models learn from the customers whose churn is recorded; those without a value are scored but "
                "never learned from, and those staying are scored too.",
                "模型只从已记录流失情况的客户中学习；没有流失记录的客户会获得评分，但不参与训练；记录为留存的客户同样获得评分。",
            )
            if run.held_out and not run.baseline_note
            else LABELS.say(
                f"The models learn, at each cut-off, from the customers of that day and whether their churn date "
                f"fell in the {days} days after it; those still customers today are scored.",
                f"在每个截止日，模型以当天的客户为样本，学习其流失日期是否落在其后 {days} 天内；"
                "今天仍为客户的将获得评分。",
            )
        )
        note(
            LABELS.say(
                "**Churned (流失) means here: recorded as gone in the customer table.** The data say who left, so "
                f"nothing is inferred from silence: {n['churned']:,} customers are recorded as gone, {n['stayed']:,} "
                f"as staying, and {n['blank']:,} have no churn value. {how} Customers recorded as gone are not on the "
                "list: there is nobody left to call.",
                "**流失在此指：客户表中记录为已流失。**数据本身记录了哪些客户已经离开，因此无需从客户长期未下单来推断："
                f"{n['churned']:,} 位客户记录为已流失，{n['stayed']:,} 位记录为留存，{n['blank']:,} 位没有流失记录。"
                f"{how}已记录流失的客户不在名单上：他们已无从联系挽留。",
            )
            + (f"\n\n{literal(run.baseline_note)}" if run.baseline_note else "")
        )
        return
    text = LABELS.say(
        f"**Churned (流失) means: no order in the {days} days after a date.** The model learns it from the "
        f"customers who bought in the year before each cut-off and what they did in the {days} days after.",
        f"**流失在此指：某一日期之后 {days} 天内没有订单。**模型以每个截止日前一年内有购买的客户为样本，"
        f"根据他们在截止日后 {days} 天内是否下单来学习这一定义。",
    )
    if h["gaps"]:
        within, fits = _pct(h["within_horizon"]), h["within_horizon"] >= 0.75
        text += LABELS.say(
            f"\n\nBetween two purchases of the same customer, half the gaps are {h['median']:,.0f} days or shorter, "
            f"three quarters {h['p75']:,.0f} days, nine in ten {h['p90']:,.0f} days; {within} "
            f"of the returning purchases come within {days} days. "
            + (
                "So a customer silent for longer than the horizon is usually not coming back: the horizon fits."
                if fits
                else "Many customers return after longer silences than the horizon, so some customers called "
                "churned would have come back: a longer horizon (analysis settings) would suit these data better."
            ),
            f"\n\n同一客户相邻两次购买的间隔中，一半不超过 {h['median']:,.0f} 天，四分之三不超过 {h['p75']:,.0f} 天，"
            f"九成不超过 {h['p90']:,.0f} 天；{within} 的再次购买发生在 {days} 天以内。"
            + (
                "因此，未下单时间超过流失窗口的客户通常不会再回来：这一窗口与数据相符。"
                if fits
                else "不少客户在比流失窗口更长的间隔之后才再次购买，因此部分被判定为流失的客户其实还会回来："
                "更长的流失窗口（在分析设置中调整）会更适合这些数据。"
            ),
        )
    else:
        text += LABELS.say(
            "\n\nNo customer bought twice, so the data cannot say how long customers usually take to return.",
            "\n\n没有客户购买过两次，因此数据无法说明客户通常隔多久再次购买。",
        )
    note(text)


def _no_orders(run: ChurnRun) -> bool:
    orders = run.inputs.get("orders")
    return orders is None or len(orders) == 0


def section_intro(run: ChurnRun, section: str) -> None:
    """The opening words of a section (``risk``, ``rules``, ``check``), as they hold for these data."""
    recorded, days = run.recorded, run.horizon_days
    if section == "risk":
        who = (
            LABELS.say(
                "Each current customer — recorded as staying, or with no churn value yet — gets a probability of "
                "leaving",
                "每位现有客户（记录为留存，或尚无流失记录）都会得到一个流失概率",
            )
            if recorded
            else LABELS.say(
                "Each customer who bought in the look-back window (the last "
                f"{run.lookback_days} days) gets a probability of placing no order in the next {days} days",
                f"回看期（最近 {run.lookback_days} 天）内有购买的每位客户，都会得到一个未来 {days} 天内不再下单的概率",
            )
        )
        text = LABELS.say(
            f"{who}, a risk band, the reasons that raise their risk most (from the model's own weighing of that "
            "customer's figures), the early-warning rules that fired, and the suggested action. The Excel risk list "
            "holds every customer; below are the bands and the customers most at risk.",
            f"{who}，以及风险等级、最推高其流失风险的原因（依据模型对该客户各项数据的权衡）、触发的预警规则和建议行动。"
            "Excel 流失预警名单包含全部客户；下方列出各风险等级的分布和流失风险最高的客户。",
        )
    elif section == "rules":
        if _no_orders(run):
            text = LABELS.say(
                "The domain's early-warning rules (activity down sharply, no order for some months, complaints "
                "rising) read the order history, which these data do not hold: none can fire, and the model's "
                "probability alone ranks the customers.",
                "业务上的预警规则（活跃度大幅下降、连续数月无订单、投诉增加）依据的是订单历史，而这些数据中没有订单历史："
                "任何规则都无法触发，客户只按模型给出的流失概率排序。",
            )
        else:
            text = LABELS.say(
                "The domain's rules run beside the model and need none: activity down sharply against the previous "
                "period, no order for some calendar months, complaints rising (the thresholds are in the settings). "
                "Each hit is in the Excel list with what was seen. Below it, the same rules applied at the end of an "
                "earlier period: how many of the customers each one flagged then actually left.",
                "业务上的预警规则与模型并行运行，不依赖任何模型：活跃度较上期大幅下降、连续若干个自然月无订单、投诉增加"
                "（阈值见分析设置）。每次触发都列在 Excel 名单中，并附有触发情况。"
                "其下是同样的规则在更早一期期末的检验：每条规则当时标记的客户中，后来实际流失了多少。",
            )
    elif section == "check":
        how = (
            LABELS.say(
                "Every model learns from most of the customers whose churn is recorded and is tested on the others, "
                "held out at random (the same share of those who left and of those who stayed).",
                "每个模型都用大部分已记录流失情况的客户训练，并在随机留出的其余客户上检验（已流失客户与留存客户按相同比例留出）。",
            )
            if run.held_out
            else LABELS.say(
                "Every model learns from earlier cut-offs and is tested on the customers of the latest cut-off "
                "whose next months are already known — exactly as it is used today.",
                "每个模型都用较早截止日的数据训练，并在最近一个后续数月结果已知的截止日的客户上检验——与今天实际使用时的方式完全相同。",
            )
        )
        baselines = (
            LABELS.say(
                "Days since the last order alone, and the lifetime-value model's P(alive), are the baselines a model "
                "must beat.",
                "仅看最近购买间隔，以及客户生命周期价值模型的存活概率 P(alive)，是模型必须超越的基准。",
            )
            if not recorded
            else LABELS.say(
                "Days since the last order alone is the baseline a model must beat.",
                "仅看最近购买间隔是模型必须超越的基准。",
            )
            if "recency_days" in run.today.columns
            else LABELS.say("Tenure alone is the baseline a model must beat.", "仅看在网时长是模型必须超越的基准。")
        )
        text = LABELS.say(
            f"{how} *AUC* is the chance it ranks a customer who left above one who stayed (0.5 = guessing); *lift* "
            "and *capture* say how many of those who left sit in its top 10 %; precision and recall are measured at "
            f"the high-risk threshold. {baselines}",
            f"{how}*AUC* 是模型把一位已流失客户排在一位留存客户之前的概率（0.5 相当于随机猜测）；*提升度* 和 *捕获率* "
            "说明已流失客户中有多少落在其评分最高的前 10 % 中；精确率和召回率按高风险阈值计算。"
            f"{baselines}",
        )
    else:
        raise ValueError(f"unknown section {section!r}")
    note(text)


# --------------------------------------------------------------------------- the check
def comparison_table(run: ChurnRun) -> Table | None:
    """Every model and baseline on the test cut-off, the chosen one marked."""
    c = run.fit.comparison
    if c.empty:
        return None
    if run.fit.after_metrics:
        calibrated = pd.DataFrame([run.fit.after_metrics], index=["calibrated"])
        c = pd.concat([c, calibrated])
    chosen, calibrated = _model(run.fit.chosen), LABELS.text("churn_model", "calibrated")
    names = [
        LABELS.say(f"{chosen}, {calibrated}", f"{chosen}（{calibrated}）") if n == "calibrated" else _model(n)
        for n in c.index
    ]
    frame = pd.DataFrame({_m("model"): names})
    for key in ["auc", "pr_auc", "brier", "lift_top_decile", "capture_top_decile", "precision", "recall", "flagged"]:
        values = c[key] if key in c else pd.Series(np.nan, index=c.index)
        frame[_m(key)] = (
            values.astype(float) * (100 if key in ("capture_top_decile", "precision", "recall") else 1)
        ).to_numpy()
    frame[_m("chosen")] = ["✓" if n == run.fit.chosen else "" for n in c.index]
    return Table(
        frame,
        decimals=[_m("auc"), _m("pr_auc"), _m("brier"), _m("lift_top_decile")],
        pct=[_m("capture_top_decile"), _m("precision"), _m("recall")],
        ints=[_m("flagged")],
        caption=LABELS.text("caption", "churn_models_recorded" if run.held_out else "churn_models"),
        uid="churn_models",
    )


def choice_note(run: ChurnRun) -> None:
    """Which model scores and why; or why none does."""
    fit, w = run.fit, run.windows
    dates = [f"{d:%Y-%m-%d}" for d in w.validation_train]
    train = LABELS.say(", ".join(dates) or "none", "、".join(dates) or "无")
    test, train_rows = fit.sizes["test"], fit.sizes["train"]["rows"]
    share, days = run.settings.model.holdout_share, run.horizon_days
    if run.held_out and run.baseline_note:  # dated churn, too few leavers: one cut-off split
        text = LABELS.say(
            f"Test customers: {test['rows']:,} of the customers of {w.test:%Y-%m-%d} "
            f"({share:.0%} of those who left in the {days} days after and of "
            f"those who stayed, drawn at random with a fixed seed), of whom {test['churners']:,} left. "
            f"The models learned from the other {train_rows:,}, with their figures as of that day.",
            f"测试客户：{w.test:%Y-%m-%d} 时点客户中的 {test['rows']:,} 位（从其后 {days} 天内流失的客户和留存客户中"
            f"各抽取 {share:.0%}，以固定随机种子随机抽取），其中 {test['churners']:,} 位已流失。"
            f"模型以其余 {train_rows:,} 位客户在当天的数据进行训练。",
        )
    elif run.held_out:
        text = LABELS.say(
            f"Test customers: {test['rows']:,} of the customers whose churn is recorded "
            f"({share:.0%} of those who left and of those who stayed, drawn at random with "
            f"a fixed seed), of whom {test['churners']:,} left. The models learned from the other "
            f"{train_rows:,}. The data hold no dates to test across, so this check is on customers "
            "of the same time, not of a later one; and for a customer who left, the tenure and any running total "
            "stop where they left, while for one who stays they run to today — the models partly read that "
            "difference, so these figures flatter them somewhat.",
            f"测试客户：已记录流失情况的客户中的 {test['rows']:,} 位（从已流失客户和留存客户中各抽取 {share:.0%}，"
            f"以固定随机种子随机抽取），其中 {test['churners']:,} 位已流失。模型以其余 {train_rows:,} 位客户训练。"
            "数据中没有可用于跨期检验的日期，因此这一检验针对的是同一时期、而非更晚时期的客户；此外，已流失客户的"
            "在网时长和各项累计值停在其流失之时，而留存客户的则一直累计到今天——模型在一定程度上读到了这一差异，"
            "因此这些指标会略显乐观。",
        )
    elif run.recorded:
        text = LABELS.say(
            f"Test customers: the {test['rows']:,} who were customers on {w.test:%Y-%m-%d}, of whom "
            f"{test['churners']:,} left on a recorded date in the {days} days after. The "
            f"models learned from the cut-off(s) {train} ({train_rows:,} rows).",
            f"测试客户：{w.test:%Y-%m-%d} 时点的 {test['rows']:,} 位客户，"
            f"其中 {test['churners']:,} 位在其后 {days} 天内有记录的流失日期。"
            f"模型以截止日 {train} 的数据训练（{train_rows:,} 行）。",
        )
    else:
        text = LABELS.say(
            f"Test customers: the {test['rows']:,} who bought in the {run.lookback_days} days up to "
            f"{w.test:%Y-%m-%d}, of whom "
            f"{test['churners']:,} placed no order in the {days} days after. The models "
            f"learned from the cut-off(s) {train} ({train_rows:,} rows).",
            f"测试客户：截至 {w.test:%Y-%m-%d} 的 {run.lookback_days} 天内有购买的 {test['rows']:,} 位客户，"
            f"其中 {test['churners']:,} 位在其后 {days} 天内没有下单。模型以截止日 {train} 的数据训练"
            f"（{train_rows:,} 行）。",
        )
    if fit.chosen:
        chosen, why = _model(fit.chosen), literal(fit.why)
        text += LABELS.say(f"\n\n**Chosen: {chosen}** — {why}.", f"\n\n**选用：{chosen}**——{why}。")
    if not fit.ok:
        reason = literal(fit.reason)
        text += LABELS.say(f"\n\n**No model is used this period:** {reason}.", f"\n\n**本期不使用模型：**{reason}。")
    elif fit.chosen:
        a = fit.after_metrics
        final = [f"{d:%Y-%m-%d}" for d in w.final_train]
        text += (
            LABELS.say(
                f" It was then refitted on every customer whose churn is recorded "
                f"({fit.sizes['final_train']['rows']:,}) and scores the current customers (a customer it learned "
                "from gets the probability of a fit that did not see them).",
                f"随后，模型以全部已记录流失情况的客户（{fit.sizes['final_train']['rows']:,} 位）重新训练，"
                "并为现有客户评分（参与过训练的客户，采用未用到该客户的那次拟合给出的概率）。",
            )
            if run.held_out and not run.baseline_note
            else LABELS.say(
                f" It was then refitted on all the customers of {w.test:%Y-%m-%d} and scores today's customers with "
                f"their figures as of {w.score:%Y-%m-%d}.",
                f"随后，模型以 {w.test:%Y-%m-%d} 时点的全部客户重新训练，并依据截至 {w.score:%Y-%m-%d} 的数据为"
                "今天的客户评分。",
            )
            if run.held_out
            else LABELS.say(
                f" It was then refitted on the latest cut-offs ({', '.join(final)}) "
                f"and scores today's customers with their figures as of {w.score:%Y-%m-%d}.",
                f"随后，模型以最近的截止日（{'、'.join(final)}）重新训练，并依据截至 {w.score:%Y-%m-%d} 的数据为"
                "今天的客户评分。",
            )
        )
        if a and not pd.isna(a.get("brier")):
            text += LABELS.say(
                f" Calibrated ({fit.calibration_method}), its Brier score on the test customers is {a['brier']:.3f}.",
                f"经概率校准（{fit.calibration_method}）后，其在测试客户上的 Brier 分数为 {a['brier']:.3f}。",
            )
        text += LABELS.say(
            " The same test customers chose the model and judged it, so its figures are a little flattering; "
            "next period's check, on customers no model has seen, is the fair one.",
            "模型的选择和评价用的是同一批测试客户，因此这些指标略显乐观；下一期在任何模型都未见过的客户上进行的检验，"
            "才是公允的检验。",
        )
    if run.baseline_note and not run.recorded:  # recorded churn: said with what churn means
        text += f"\n\n{literal(run.baseline_note)}."
    note(text)


def coefficients_table(run: ChurnRun) -> Table | None:
    """The logistic regression's odds ratios per standard deviation of each feature (scoring model if chosen)."""
    model = _fitted(run, "logistic")
    if model is None or model.coefficients is None:
        return None
    c = model.coefficients
    feature = [
        literal(feature_label(f)) + (_missing_word(col) if col.endswith(":missing") else _level(col))
        for f, col in zip(c["feature"], c["column"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            _m("feature"): feature,
            _m("odds_ratio"): c["odds_ratio"],
            _m("ci_low"): c["ci_low"],
            _m("ci_high"): c["ci_high"],
            _m("p_value"): c["p_value"],
        }
    )
    return Table(
        frame,
        decimals=[_m("odds_ratio"), _m("ci_low"), _m("ci_high"), _m("p_value")],
        caption=LABELS.text("caption", "churn_coefficients"),
        uid="churn_coefficients",
    )


def _missing_word(column: str) -> str:
    """The flag column of a feature's missing value, as the table names it."""
    no_value = LABELS.text("churn_metric", "no_value")
    return LABELS.say(f", {no_value}", f"，{no_value}") if column.endswith(":missing") else ""


def _level(column: str) -> str:
    return f" = {column.split('=', 1)[1]}" if "=" in column else ""


def _fitted(run: ChurnRun, name: str) -> Any:
    """The scoring model when it is ``name``, else the model of that kind checked out of time."""
    if run.fit.chosen == name and run.fit.model is not None:
        return run.fit.model
    return run.fit.fitted.get(name)


def tree_rules_note(run: ChurnRun, limit: int = 8) -> None:
    """The decision tree's leaves as plain rules, riskiest first."""
    model = _fitted(run, "tree")
    if model is None:
        return
    rules = model.rules().head(limit)
    lines = []
    for _, leaf in rules.iterrows():
        parts = [_condition(c) for c in leaf["conditions"]]
        share, rows = leaf["churn_share"], leaf["rows"]
        lines.append(
            LABELS.say(
                f"- If {' and '.join(parts) or 'every customer'}: **{share:.0%} left** ({rows:,} training rows).",
                (f"- 若{'，且'.join(parts)}" if parts else "- 所有客户")
                + f"：**{share:.0%} 流失**（训练样本 {rows:,} 行）。",
            )
        )
    depth = run.settings.model.tree_max_depth
    note(
        LABELS.say(
            f"**The decision tree's rules** (depth at most {depth}; the riskiest first):\n\n",
            f"**决策树规则**（深度不超过 {depth} 层；流失比例最高的在前）：\n\n",
        )
        + "\n".join(lines)
    )


def _condition(condition: tuple) -> str:
    column, op, threshold, with_missing = condition
    if "=" in column:
        name, level = column.split("=", 1)
        name, level = literal(feature_label(name)), literal(level)
        text = LABELS.say(
            f"{name} {'is not' if op == '<=' else 'is'} {level}", f"{name}{'不是' if op == '<=' else '是'} {level}"
        )
    else:
        kind = feature(column).kind
        shown = f"{threshold:,.2f}" if kind in ("trend", "ratio", "score", "attribute") else f"{threshold:,.0f}"
        text = f"{literal(feature_label(column))} {'≤' if op == '<=' else '>'} {shown}"
    return text + (LABELS.say(" (or unknown)", "（或未知）") if with_missing else "")


def calibration_table(run: ChurnRun) -> Table | None:
    """Mean predicted vs observed churn in ten equal groups of the test customers, before and after calibration."""
    before, after = run.fit.before, run.fit.after
    if before.empty:
        return None
    frame = pd.DataFrame(
        {
            _m("bin"): before["bin"],
            _m("rows"): before["rows"],
            f"{_m('predicted')} ({LABELS.text('chart', 'calibration_before')})": before["predicted"] * 100,
            f"{_m('predicted')} ({LABELS.text('chart', 'calibration_after')})": after["predicted"].to_numpy() * 100,
            _m("observed"): before["observed"] * 100,
        }
    )
    return Table(
        frame,
        ints=[_m("bin"), _m("rows")],
        pct=list(frame.columns[2:]),
        caption=LABELS.text("caption", "churn_calibration_recorded" if run.held_out else "churn_calibration"),
        uid="churn_calibration",
    )


def features_table(run: ChurnRun) -> Table:
    """The features the models may use, where each comes from, and whether it was used this period."""
    present = [f for f in run.today.columns if feature(f).model]
    # The mapping's numbers left out at past cut-offs: they are the export day's, not the cut-off's.
    customers = run.inputs["customers"]
    left_out = [c for c in customers.columns if c.startswith(ATTRIBUTE_PREFIX) and c not in run.today.columns]
    used = ["✓" if f in run.fit.features else "—" for f in present]
    frame = pd.DataFrame(
        {
            _m("feature"): [feature_label(f) for f in present + left_out],
            _m("source"): [
                LABELS.text("table", s) if LABELS.has("table", s) else s
                for s in (feature(f).source for f in present + left_out)
            ],
            _m("used"): used + [LABELS.text("churn_metric", "export_day_number")] * len(left_out),
        }
    )
    return Table(frame, caption=LABELS.text("caption", "churn_features"), uid="churn_features")


# --------------------------------------------------------------------------- today's customers
def bands_table(run: ChurnRun) -> Table:
    """Customers and last year's spend per risk band."""
    t = run.table
    bands = [b for b in (*RISK_BANDS, "not_scored") if b in set(t["risk_band"])]
    grouped = t.groupby("risk_band")
    frame = pd.DataFrame(
        {
            _m("band"): [LABELS.text("risk_band", b) for b in bands],
            _m("customers"): [int(grouped.size().get(b, 0)) for b in bands],
            _m("share"): [100 * grouped.size().get(b, 0) / max(len(t), 1) for b in bands],
            f"{_m('spend')} ({run.currency})": [float(grouped["monetary"].sum().get(b, 0.0)) for b in bands],
        }
    )
    if t["monetary"].isna().all():  # no order lines: no spend to show
        frame = frame.drop(columns=frame.columns[3])
    return Table(
        frame,
        ints=[_m("customers")],
        pct=[_m("share")],
        money=list(frame.columns[3:]),
        caption=LABELS.text("caption", "churn_bands"),
        uid="churn_bands",
    )


#: Columns the data may not have at all (no names, no contacts, no owner): left out rather than shown empty.
_OPTIONAL_COLUMNS = (
    "customer_name",
    "owner",
    "contact_name_masked",
    "contact_phone_masked",
    "contact_email_masked",
    "rfm_class",
    "scorecard_class",
    "behaviour_state",
    "p_alive",
    "last_order_date",
    "recency_days",
    "monetary",
)


def _without_empty(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the optional columns that are empty for every customer of ``table``."""
    empty = [c for c in _OPTIONAL_COLUMNS if c in frame and c in table and table[c].isna().all()]
    return frame.drop(columns=empty)


def _list_frame(run: ChurnRun, rows: pd.DataFrame) -> pd.DataFrame:
    h = LABELS.headers
    columns = [
        "customer_id",
        "customer_name",
        "owner",
        "rfm_class",
        "recency_days",
        "churn_probability",
        "risk_band",
        "reasons",
        "rule_hits",
        "action",
    ]
    frame = _without_empty(rows[columns].copy(), run.table)
    if "rfm_class" in frame:
        frame["rfm_class"] = frame["rfm_class"].map(lambda k: LABELS.text("rfm_class", k) if pd.notna(k) else "")
    frame["risk_band"] = frame["risk_band"].map(lambda k: LABELS.text("risk_band", k))
    frame["churn_probability"] = frame["churn_probability"] * 100
    return frame.rename(columns=h(list(frame.columns)))


def risk_list_table(run: ChurnRun, limit: int = 20) -> Table:
    """The customers most at risk (or, without a model, those the rules fired for), with reasons and action."""
    t = run.table
    # None at high risk: the medium ones; none at medium risk either: the riskiest (the table is riskiest first).
    band = next((b for b in ("high", "medium") if t["risk_band"].eq(b).any()), None)
    rows = (t.loc[t["risk_band"].eq(band)] if band else t) if run.fit.ok else t.loc[t["rule_hits"].ne("")]
    frame = _list_frame(run, rows.head(limit))
    h = LABELS.headers(["recency_days", "churn_probability", "risk_band", "reasons"])
    caption = LABELS.text("caption", "churn_risk_list" if run.fit.ok else "churn_rule_list")
    if not run.fit.ok:  # no model: no probability, band or reasons to show, only what the rules saw
        frame = frame.drop(columns=[h["churn_probability"], h["risk_band"], h["reasons"]])
    if len(rows) > limit:
        caption += LABELS.say(
            f" — {limit} of {len(rows):,}; the Excel risk list holds every customer",
            f"——共 {len(rows):,} 位，此处列出前 {limit} 位；Excel 流失预警名单包含全部客户",
        )
    return Table(frame, ints=[h["recency_days"]], pct=[h["churn_probability"]], caption=caption, uid="churn_list")


def _applicable(run: ChurnRun, table: pd.DataFrame) -> pd.DataFrame:
    """The rules the data can fire (complaints rising needs service tickets)."""
    if run.inputs.get("tickets") is None:
        table = table.drop(index="complaints_rising", errors="ignore")
    return table


def rules_table(run: ChurnRun) -> Table | None:
    """Customers per early-warning rule this period (a rule the data cannot fire is left out); None without
    order lines."""
    if _no_orders(run):
        return None
    summary = _applicable(run, rule_summary(run.hits))
    frame = pd.DataFrame(
        {
            _m("rule"): [LABELS.text("churn_rule", r) for r in summary.index],
            _m("customers"): summary["customers"].to_numpy(),
        }
    )
    return Table(frame, ints=[_m("customers")], caption=LABELS.text("caption", "churn_rules"), uid="churn_rules")


def rule_check_table(run: ChurnRun) -> Table | None:
    """Each rule at the end of an earlier period: customers it fired for, and the share of them who then left."""
    if _no_orders(run):
        return None
    check = _applicable(run, run.rule_check)
    if check.empty or "churned_share" not in check:
        return None
    attrs = run.rule_check.attrs
    overall = attrs.get("churn_rate", np.nan)
    frame = pd.DataFrame(
        {
            _m("rule"): [LABELS.text("churn_rule", r) for r in check.index],
            _m("customers"): check["customers"].to_numpy(),
            _m("churned_share"): check["churned_share"].to_numpy() * 100,
        }
    )
    period, share = attrs.get("period"), _pct(overall)
    caption = LABELS.text("caption", "churn_rule_check") + (
        LABELS.say(
            f" — {period}; of all customers then, {share} left",
            f"——{period}；当时全部客户中有 {share} 流失",
        )
        if not pd.isna(overall)
        else ""
    )
    return Table(frame, ints=[_m("customers")], pct=[_m("churned_share")], caption=caption, uid="churn_rule_check")


def meaning_table(run: ChurnRun) -> Table | None:
    """Risk band against stage 03's behaviour state and RFM churn flag, with the median P(alive) of each band."""
    t = run.table
    if not run.fit.ok or t["behaviour_state"].isna().all():
        return None
    counts = pd.crosstab(t["risk_band"], t["behaviour_state"].fillna(LABELS.say("n/a", "无数据")))
    counts = counts.reindex([b for b in RISK_BANDS if b in counts.index])
    frame = counts.rename(
        columns=lambda k: LABELS.text("behaviour_state", k) if LABELS.has("behaviour_state", k) else k
    ).reset_index()
    frame["risk_band"] = frame["risk_band"].map(lambda k: LABELS.text("risk_band", k))
    p_alive = t.groupby("risk_band")["p_alive"].median().reindex(counts.index)
    frame[LABELS.text("column", "p_alive") + LABELS.say(" (median)", "（中位数）")] = p_alive.to_numpy() * 100
    frame = frame.rename(columns={"risk_band": _m("band")})
    return Table(
        frame,
        ints=list(frame.columns[1:-1]),
        pct=[frame.columns[-1]],
        caption=LABELS.text("caption", "churn_meaning"),
        uid="churn_meaning",
    )


def meaning_note(run: ChurnRun) -> None:
    """How the probability relates to the behaviour state, the RFM churn-risk flag, P(alive) and the KPI."""
    if run.recorded:
        no_orders, leak = _no_orders(run), run.held_out and not run.baseline_note
        note(
            LABELS.say(
                "**One meaning of churn.** Here churn is what the client recorded, and the probability answers: *will "
                "this customer leave, as those recorded as gone did?* "
                + (
                    "The order-based signals (behaviour state, the RFM churn-risk flag, P(alive), the KPI churn rate) "
                    "need order history, which these data do not hold."
                    if no_orders
                    else "The order-based signals of the earlier stages (behaviour state, the RFM churn-risk flag, "
                    "P(alive), the KPI churn rate) read silence in the order history; the recorded churn is the fact "
                    "they try to foresee, so it is the label here. "
                    + (
                        "Order history is not used as a feature: without churn dates it cannot be taken as of a day "
                        "before each churn, and a customer who left stops ordering — that silence would reveal the "
                        "label rather than predict it."
                        if leak
                        else "Order history is used as of each cut-off, before the churn it predicts."
                    )
                ),
                "**流失的一种含义。**这里的流失是客户方记录下来的事实，流失概率回答的问题是：*这位客户会不会像已记录流失的"
                "客户那样离开？*"
                + (
                    "基于订单的信号（行为状态、RFM 流失风险标记、存活概率 P(alive)、KPI 流失率）需要订单历史，"
                    "而这些数据中没有订单历史。"
                    if no_orders
                    else "前几个阶段基于订单的信号（行为状态、RFM 流失风险标记、存活概率 P(alive)、KPI 流失率）都是从"
                    "订单历史中的长期未下单来判断的；记录下来的流失正是它们试图预见的事实，因此这里以它作为标签。"
                    + (
                        "订单历史不作为特征：没有流失日期，就无法截取每次流失之前某一天的订单历史；而客户流失后自然"
                        "不再下单——这种沉默只会泄露标签，而不是预测它。"
                        if leak
                        else "订单历史按各截止日取值，早于其所预测的流失。"
                    )
                ),
            )
        )
        return
    days = run.horizon_days
    note(
        LABELS.say(
            "**One meaning of churn.** The probability above answers one question: *will this customer place no "
            f"order in the next {days} days?* The other signals answer nearby ones. The *behaviour "
            "state* of stage 03 (active / dormant / churned) says how long a customer has been silent — a "
            "description of the past, not a forecast. The RFM *churn risk* flag marks small, rare, long-silent "
            "buyers by fixed thresholds. *P(alive)* of the lifetime-value model is the chance a customer has not "
            "left for good, however long they may take to buy again; it is shown in the check above as a baseline "
            "on the same customers. The company's KPI churn rate (stage 02) counts, among the customers who bought "
            f"in the year before a date, the share who then placed no order for {days} days — the same "
            "definition the model learns.",
            f"**流失的一种含义。**上面的流失概率只回答一个问题：*这位客户在未来 {days} 天内会不会不再下单？*"
            "其他信号回答的是相近的问题。阶段 03 的*行为状态*（活跃 / 沉睡 / 流失）说明客户已有多久没有下单——"
            "这是对过去的描述，而不是预测。RFM 的*流失风险*标记按固定阈值，标出消费少、购买次数少、久未购买的客户。"
            "客户生命周期价值模型的*存活概率 P(alive)* 是客户尚未彻底流失的概率，不论其隔多久才会再次购买；"
            "上方的模型验证把它作为同一批客户上的基准列出。公司的 KPI 流失率（阶段 02）统计的是：在某一日期前一年内"
            f"有购买的客户中，其后 {days} 天内没有下单的比例——与模型学习的定义相同。",
        )
    )


# --------------------------------------------------------------------------- the workbook
def risk_workbook(run: ChurnRun) -> Workbook:
    """The account managers' risk list (流失预警名单): about, every customer by risk, the rule hits, the check."""
    s = lambda key: LABELS.text("churn_sheet", key)
    says = lambda key: LABELS.text("sheet_note", key)
    period = parse_period(run.period_label)
    t = run.table
    about = {
        s("report"): s("report_name"),
        s("period"): f"{period.label} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d})",
        s("as_of"): f"{period.as_of:%Y-%m-%d}",
        s("data"): run.data_title,
        s("horizon"): LABELS.text("churn_sheet", "recorded_text")
        if run.recorded
        else LABELS.format("churn_sheet", "horizon_text", days=run.horizon_days),
        s("model_used"): _model(run.fit.chosen) if run.fit.ok else s("no_model") + f" — {run.fit.reason}",
        s("scored"): f"{len(t):,}",
        s("high"): f"{int(t['risk_band'].eq('high').sum()):,}",
    }
    risk = _without_empty(t.copy(), t)
    for column, space in (
        ("rfm_class", "rfm_class"),
        ("scorecard_class", "scorecard_class"),
        ("behaviour_state", "behaviour_state"),
        ("risk_band", "risk_band"),
    ):
        if column not in risk:
            continue
        risk[column] = risk[column].map(
            lambda k, sp=space: LABELS.text(sp, k) if pd.notna(k) and LABELS.has(sp, k) else k
        )
    hits = run.hits.assign(rule=run.hits["rule"].map(lambda r: LABELS.text("churn_rule", r)))
    sheets = [
        Sheet(
            s("risk_list"),
            risk,
            headers=LABELS.headers(list(risk.columns)),
            percent=["churn_probability", "p_alive"],
            formats={"recency_days": "0"},
            description=says("risk_list"),
        ),
        Sheet(s("rules"), hits, headers=LABELS.headers(["customer_id", "rule", "seen"]), description=says("rules")),
    ]
    if not run.fit.comparison.empty:
        c = run.fit.comparison
        check = pd.DataFrame({_m("model"): [_model(n) for n in c.index]})
        for key in _METRICS:
            check[_m(key)] = c[key].to_numpy() if key in c else np.nan
        check[_m("chosen")] = ["✓" if n == run.fit.chosen else "" for n in c.index]
        sheets.append(
            Sheet(
                s("models"),
                check,
                percent=[_m("churn_rate"), _m("capture_top_decile"), _m("precision"), _m("recall")],
                description=says("models"),
            )
        )
    return Workbook(sheets, about=about)


def retention_note(run: ChurnRun) -> None:
    """What the retention curve says: the share still a customer after 12, 24 … months, overall and per level."""
    curve = run.retention
    if curve is None or curve.empty:
        return
    at = retention_at(curve)
    overall = at.loc[""] if "" in at.index else None
    text = LABELS.say("**Retention by tenure (Kaplan–Meier).** ", "**按在网时长的留存（Kaplan–Meier）。**")
    if overall is not None:
        kept = [(m, _pct(overall[m])) for m in (12, 24, 36) if not pd.isna(overall.get(m))]
        shown = [f"{pct} after {m} months" for m, pct in kept]
        text += LABELS.say(
            "Of the customers who join, "
            + (", ".join(shown) or "too few stay long enough to say")
            + " are still customers",
            (
                "新加入的客户中，仍为客户的比例为：" + "，".join(f"{m} 个月后 {pct}" for m, pct in kept)
                if kept
                else "新加入的客户中，留存时间足够长的客户太少，尚无法判断仍为客户的比例"
            ),
        )
        text += LABELS.say(
            "; a customer still there is counted until their tenure today, so recent joiners do not bias the curve.",
            "；仍在的客户按其截至今天的在网时长计入，因此新近加入的客户不会使曲线产生偏差。",
        )
    if run.retention_by is not None:
        levels = at.drop(index="", errors="ignore")
        month = 12 if 12 in levels.columns else levels.columns[0]
        parts = [
            f"{literal(str(g))} {_pct(levels.loc[g, month])}" for g in levels.index if not pd.isna(levels.loc[g, month])
        ]
        by = literal(feature_label(run.retention_by))
        text += LABELS.say(
            f"\n\nBy {by}, the attribute whose customers' churn differs most, "
            f"still customers after {month} months: " + "; ".join(parts) + ".",
            f"\n\n按{by}（各组客户流失差异最大的属性）划分，{month} 个月后仍为客户的比例：" + "；".join(parts) + "。",
        )
    note(text)
