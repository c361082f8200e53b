"""What stage 03's report shows: tables and notes built from the segmentation, CLV and scorecard results.

The notebook stays a sequence of short calls; the wording and number formats
for reviewers live here, next to each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import parse_period
from helpers.io.excel import LEVEL, Sheet, Workbook
from helpers.reporting.display import Table, internal, note, setting_ref
from helpers.segmentation.charts import has_classes
from helpers.segmentation.clv import CLV_COLUMNS, MODEL_NAMES, ClvUse, ClvValidation, PeriodClv, horizon_units
from helpers.segmentation.grading_table import CLASS_COLUMNS, GRADING_COLUMNS
from helpers.segmentation.gradings import GRADING_CLASSES
from helpers.segmentation.money import MoneyBasis
from helpers.segmentation.rfm import override_effect
from helpers.segmentation.scorecard import factor_label
from helpers.segmentation.settings import (
    SCORECARD_CLASSES,
    ClvSettings,
    GradingSettings,
    RfmSettings,
    Scorecard,
)
from helpers.shared import concentration

if TYPE_CHECKING:
    from helpers.segmentation.stage import SegmentationRun

__all__ = [
    "churned_potential_note",
    "churned_potential_sentence",
    "clv_comparison_table",
    "clv_method_note",
    "clv_params_table",
    "clv_record",
    "clv_summary_table",
    "clv_verdict_note",
    "clv_verdict_sentence",
    "concentration_table",
    "factor_table_view",
    "grading_workbook",
    "gradings_notes",
    "gradings_table",
    "manual_input_note",
    "no_holdout_note",
    "override_sentences",
    "params_frame",
    "pyramid_advice",
    "pyramid_table",
    "rfm_flags_note",
    "rfm_method_note",
    "scorecard_basis_note",
    "scorecard_classes_table",
    "segment_summary_table",
    "template_customers",
    "validation_table",
    "value_matrix_basis_note",
    "value_matrix_table",
    "verdict_parts",
]

_UNIT = {"W": "weeks", "D": "days"}
_UNIT_ZH = {"W": "周", "D": "天"}


def _h(key: str, currency: str | None = None) -> str:
    """A column header from the registry, with the currency for money columns."""
    text = LABELS.text("column", key)
    return f"{text}, {currency}" if currency else text


# --------------------------------------------------------------------------- RFM
def override_sentences(segments: pd.DataFrame, settings: RfmSettings) -> list[str]:
    """One plain sentence per override rule: customers it matched and whose class it changed.

    "Matched" and "changed" differ whenever the cut already gives the rule's
    class; the report and the workbook both print these sentences, so a reader
    sees the same two numbers, named, in both.
    """
    effect = override_effect(segments, [o.name for o in settings.overrides])
    return [
        LABELS.say(
            f"{name}: {row.matched:,} customers match it; it changed the class of {row.changed:,} of them "
            "(for the others the R/F/M cut gives the same class).",
            f"{name}：{row.matched:,} 位客户符合该规则，其中 {row.changed:,} 位的分层因此改变"
            "（其余客户按 R/F/M 分界本就得到相同分层）。",
        )
        for name, row in effect.iterrows()
    ]


def rfm_method_note(segments: pd.DataFrame, settings: RfmSettings, currency: str) -> None:
    """How high and low were cut, which rules overrode the cut, who is not graded.

    ``settings`` are the configured ones; the settings applied (amounts in the
    data's currency, a fallback cut) come from ``segments.attrs["settings"]``.
    """
    flag_labels = {f"flag {f.name}": f.label for f in settings.flags}
    if "settings" in segments.attrs:
        settings = RfmSettings.model_validate(segments.attrs["settings"])
    cuts = segments.attrs.get("cuts", {})
    how = {
        "median": "the median",
        "mean": "the mean",
        "quantile": f"the {settings.quantile:.0%} quantile",
        "fixed": "fixed thresholds",
    }[settings.cut]
    how_zh = {
        "median": "这些客户的中位数",
        "mean": "这些客户的平均值",
        "quantile": f"这些客户的 {settings.quantile:.0%} 分位数",
        "fixed": "固定阈值",
    }[settings.cut]
    if settings.cut == "quantile":
        how += f" (for R, the {1 - settings.quantile:.0%} quantile: smaller is better)"
        how_zh += f"（R 取 {1 - settings.quantile:.0%} 分位数：越小越好）"
    strict = settings.cut != "fixed"
    r, f, m = cuts.get("recency_days"), cuts.get("frequency"), cuts.get("monetary")
    lines = [
        LABELS.say(
            f"**{len(segments):,} customers graded.** Each of R, F and M is split into high and low at {how} of "
            + (
                f"these customers: R is high when the last order is "
                f"{'under' if strict else 'at most'} "
                f"**{r:,.0f} days** ago, F when the customer placed {'more than' if strict else 'at least'} "
                f"**{f:,.0f} orders**, M when net spend is {'above' if strict else 'at least'} "
                f"**{m:,.2f} {currency}** "
                "(orders and spend over the look-back window)."
                if len(segments)
                else "these customers, once some have bought in the look-back window."
            ),
            f"**共对 {len(segments):,} 位客户进行了分级。** R、F、M 各以{how_zh}为界分为高、低两档"
            + (
                f"：最近一次订单距今{'不足' if strict else '不超过'} **{r:,.0f} 天** 为 R 高，"
                f"下单{'超过' if strict else '至少'} **{f:,.0f} 单** 为 F 高，"
                f"净消费{'高于' if strict else '至少为'} **{m:,.2f} {currency}** 为 M 高"
                "（订单数与消费额均按窗口期统计）。"
                if len(segments)
                else "，待窗口期内有客户购买后即可确定。"
            ),
        ),
        LABELS.say(
            f"Scores 1–{settings.score_bins} ({settings.score_bins} = best) rank customers on each dimension by their "
            "mid-rank percentile: customers with the "
            "same value always share a score, so a dimension with few distinct values (most customers with 1 order) "
            "uses fewer than five scores rather than splitting equal customers at random.",
            f"评分 1–{settings.score_bins}（{settings.score_bins} = 最好）按客户在各维度上的中位秩百分位排序："
            "取值相同的客户总是得到相同的评分，因此取值种类较少的维度（如大多数客户只有 1 单）"
            "会少用几个评分，而不会把取值相同的客户随机拆分到不同评分。",
        ),
    ]
    excluded = segments.attrs.get("excluded", {})
    if excluded and excluded.get("count"):
        lines.append(
            LABELS.say(
                f"{excluded['count']:,} known customers are not graded: {excluded.get('reason', '')}.",
                f"{excluded['count']:,} 位已知客户未参与分级：{excluded.get('reason', '')}。",
            )
        )
    if settings.overrides:
        said = override_sentences(segments, settings)
        lines.append(
            LABELS.say(
                "Override rules (first match wins): " + " ".join(said),
                "覆盖规则（以最先匹配的规则为准）：" + "".join(said),
            )
        )
    money = MoneyBasis(**segments.attrs["money"]) if segments.attrs.get("money") else None
    if money is not None and money.config_currency != money.data_currency:
        lines.append(money.describe())
    for rule, why in segments.attrs.get("unavailable", {}).items():
        kind, _, name = rule.partition(" ")
        name = flag_labels.get(rule, name)
        kind_zh = {"flag": "标记", "override": "覆盖"}.get(kind, kind)
        lines.append(
            LABELS.say(
                f"*{'The cut' if rule == 'cut' else f'{kind.capitalize()} rule {name}'}:* {why}.",
                f"*{'分界' if rule == 'cut' else f'{kind_zh}规则 {name}'}：* {why}。",
            )
        )
    note("\n\n".join(lines))


_SUMMARY_MONEY = ("revenue", "avg_order_value", "median_monetary")


def _summary_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The segment summary as people read it (class names, no key columns), shares as fractions."""
    frame = summary.drop(columns=["class_zh", "class_en"]).rename(columns={"share": "customer_share"})
    frame = frame.rename_axis("rfm_class").reset_index()
    frame["rfm_class"] = [LABELS.text("rfm_class", key) for key in frame["rfm_class"]]
    return frame


def segment_summary_table(summary: pd.DataFrame, currency: str) -> Table:
    """The segment summary: customers, revenue, order value and typical R/F/M per class."""
    frame = _summary_frame(summary)
    frame[["customer_share", "revenue_share"]] *= 100
    h = {k: _h(k, currency if k in _SUMMARY_MONEY else None) for k in frame.columns}
    return Table(
        frame.rename(columns=h),
        ints=[h["customers"], h["median_recency_days"]],
        pct=[h["customer_share"], h["revenue_share"]],
        money=[h[k] for k in _SUMMARY_MONEY],
        decimals=[h["median_frequency"]],
        caption=LABELS.text("caption", "segment_summary"),
        uid="segments",
    )


def rfm_flags_note(segments: pd.DataFrame) -> None:
    """How many customers carry each flag (e.g. churn risk)."""
    flags = segments["rfm_flags"].fillna("").str.split("; ").explode()
    counts = flags[flags != ""].value_counts()
    if counts.empty:
        dropped = [r for r in segments.attrs.get("unavailable", {}) if r.startswith("flag ")]
        note(
            LABELS.say(
                "No customer carries a flag; flag rules that test an amount were not applied (see above).",
                "没有客户带有标记；涉及金额的标记规则未予应用（见上文）。",
            )
            if dropped
            else LABELS.say(
                "No customer matches a flag rule (such as churn risk).",
                "没有客户符合任何标记规则（如流失风险）。",
            )
        )
        return
    text = ", ".join(f"**{label}**: {n:,} customers" for label, n in counts.items())
    text_zh = "、".join(f"**{label}**：{n:,} 位客户" for label, n in counts.items())
    note(
        LABELS.say(
            f"Flags: {text}. The heat maps show where customers and revenue sit by R and F score.",
            f"标记：{text_zh}。热力图显示客户与收入在各 R、F 评分上的分布。",
        )
    )


# --------------------------------------------------------------------------- other gradings
def gradings_table(gradings: Mapping[str, pd.Series]) -> Table:
    """Customers per class of each grading, side by side."""
    rows = []
    h = LABELS.headers(["grading", "class", "customers", "share"])
    for column, values in gradings.items():
        counts = values.value_counts()
        for key in GRADING_CLASSES[column]:
            if key in counts.index:
                rows.append(
                    {
                        h["grading"]: LABELS.text("grading", column),
                        h["class"]: LABELS.text(column, key),
                        h["customers"]: int(counts[key]),
                        h["share"]: counts[key] / len(values) * 100,
                    }
                )
    return Table(
        pd.DataFrame(rows, columns=list(h.values())),
        ints=[h["customers"]],
        pct=[h["share"]],
        caption=LABELS.text("caption", "gradings"),
        uid="gradings",
    )


def gradings_notes(gradings: dict[str, pd.Series], settings: GradingSettings) -> None:
    """The rules in words, and why a grading is not available."""
    b, s = settings.behaviour, settings.satisfaction
    ref = setting_ref("segmentation.gradings.behaviour")
    basis = str(gradings["value_tier"].attrs.get("basis", ""))  # worded by the grading, in the report's language
    lines = [
        LABELS.say(
            f"**Behaviour:** active = last order at most {b.active_max_days} days ago; churned = {b.churned_min_days} "
            f"days or more; dormant in between{ref}.",
            f"**行为状态：** 活跃 = 最近一次订单距今不超过 {b.active_max_days} 天；流失 = {b.churned_min_days} "
            f"天及以上；介于两者之间为沉睡{ref}。",
        ),
        LABELS.say(
            f"**Value tier:** top {settings.value_tier.high_top_share:.0%} high, next up to "
            f"{settings.value_tier.medium_top_share:.0%} medium, by " + basis + ".",
            f"**价值分层：** 排名前 {settings.value_tier.high_top_share:.0%} 为高价值，其后直至前 "
            f"{settings.value_tier.medium_top_share:.0%} 为中价值，排名依据：" + basis + "。",
        ),
        LABELS.say(
            f"**Satisfaction:** unsatisfied = CSAT below {s.unsatisfied_max_csat:.0%}, an NPS detractor or "
            f"{s.unsatisfied_min_complaints}+ complaints; satisfied = CSAT at least {s.satisfied_min_csat:.0%} or a "
            "promoter; otherwise neutral.",
            f"**满意度：** 不满意 = 满意度（CSAT）低于 {s.unsatisfied_max_csat:.0%}、属于 NPS 贬损者或投诉 "
            f"{s.unsatisfied_min_complaints} 次及以上；满意 = 满意度（CSAT）不低于 {s.satisfied_min_csat:.0%} "
            "或属于 NPS 推荐者；其余为一般。",
        ),
    ]
    for column, values in gradings.items():
        grading = LABELS.text("grading", column)
        for name, reason in values.attrs.get("unavailable", {}).items():
            what = LABELS.text("signal", name) if LABELS.has("signal", name) else name
            lines.append(
                LABELS.say(f"*{grading} — {what} not available:* {reason}.", f"*{grading}——{what}不可用：* {reason}。")
            )
        if not has_classes(values):  # its chart is left out: say so instead of an empty panel
            lines.append(
                LABELS.say(
                    f"*{grading}: no customer could be graded, so it has no chart.*",
                    f"*{grading}：没有可分级的客户，因此不显示图表。*",
                )
            )
    note("\n\n".join(lines))


# --------------------------------------------------------------------------- CLV
_HEADLINE = {
    "reliable": ("Lifetime value: reliable for this period", "客户生命周期价值：本期可靠"),
    "ranking_only": ("Lifetime value: usable for ranking only in this period", "客户生命周期价值：本期仅可用于排序"),
    "not_reliable": ("Lifetime value: not reliable for this period", "客户生命周期价值：本期不可靠"),
    "not_checked": (
        "Lifetime value: not checked for this period, so not relied on",
        "客户生命周期价值：本期未经检验，不予采用",
    ),
    "not_available": ("Lifetime value: not available for this period", "客户生命周期价值：本期不可用"),
}


def _fallback_rule(use: ClvUse) -> str:
    w = use.weights
    return LABELS.say(
        f"last year's net spend weighted by recency (active customers ×{w['active']:g}, dormant ×{w['dormant']:g}, "
        f"churned ×{w['churned']:g})",
        f"按最近消费加权的近一年净消费（活跃客户 ×{w['active']:g}，沉睡 ×{w['dormant']:g}，流失 ×{w['churned']:g}）",
    )


def verdict_parts(clv: PeriodClv, use: ClvUse) -> tuple[str, str, list[str]]:
    """The CLV verdict in three parts: its headline, what follows from it, and why.

    Stage 03's verdict sentence and note and its findings all word the verdict from these parts.

    Parameters
    ----------
    clv
        The period's lifetime-value result (:func:`helpers.segmentation.clv.period_clv`).
    use
        What CLV feeds (:func:`helpers.segmentation.clv.clv_use`): the fallback rule and the value matrix's basis.

    Returns
    -------
    headline : str
        The verdict, without a full stop (e.g. "Lifetime value: not available for this period").
    then : str
        What follows for the value matrix, the potential class and projected sales, as full sentences.
    why : list of str
        The chosen model and the holdout figures; without a fitted model, the notes saying why.
    """
    rule = _fallback_rule(use)
    if clv.fit is None:
        then = LABELS.say(
            f"The value matrix, the potential class and projected sales use {rule} instead.",
            f"价值矩阵、潜在客户判定和预计销售额改用{rule}。",
        )
        return LABELS.say(*_HEADLINE["not_available"]), then, clv.notes
    v = clv.verdict
    checked = len(clv.comparison)
    if checked > 1:
        chosen = LABELS.say(
            f"{clv.fit.name}, chosen among {checked} models by the holdout check",
            f"{clv.fit.name}，经验证期检验从 {checked} 个模型中选出",
        )
    elif checked:
        chosen = LABELS.say(f"{clv.fit.name}, the only model checked", f"{clv.fit.name}，唯一经过检验的模型")
    else:
        chosen = LABELS.say(
            f"{clv.fit.name}, fitted without a holdout check to choose by",
            f"{clv.fit.name}，未经验证期检验直接拟合，无从比较选择",
        )
    headline = LABELS.say(*_HEADLINE[v.level if v.checked else "not_checked"])
    if v.level == "reliable":
        then = LABELS.say(
            "CLV feeds the value matrix, the potential class and the projected-sales factor of the scorecard.",
            "CLV 用于价值矩阵、潜在客户判定和评分卡的预计销售额因子。",
        )
    elif v.level == "ranking_only":
        where = (
            LABELS.say(
                "the value matrix (whose cut points are fixed amounts) and the projected-sales factor use",
                "价值矩阵（其切分点为固定金额）和预计销售额因子改用",
            )
            if use.matrix_basis != "clv"
            else LABELS.say(
                "it orders customers in the value matrix and so in the potential class, but the projected-sales "
                "factor of the scorecard, whose cut points are amounts, uses",
                "CLV 用于价值矩阵中的客户排序，进而用于潜在客户判定；但评分卡的预计销售额因子（其切分点为金额）改用",
            )
        )
        then = LABELS.say(
            f"CLV's money figures are not used: {where} {rule} instead.", f"不使用 CLV 的金额：{where}{rule}。"
        )
    else:
        then = LABELS.say(
            "CLV is shown for reference only and does not feed the value matrix, the potential class or "
            f"projected sales, which use {rule} instead.",
            f"CLV 仅供参考，不用于价值矩阵、潜在客户判定或预计销售额，这些改用{rule}。",
        )
    return headline, then, [LABELS.say(f"{chosen}: {v.reasons[0]}", f"{chosen}：{v.reasons[0]}"), *v.reasons[1:]]


def clv_verdict_sentence(clv: PeriodClv, use: ClvUse) -> str:
    """The CLV verdict as one plain paragraph (the stage's warning, the console and the manifest)."""
    headline, then, why = verdict_parts(clv, use)
    return LABELS.say(
        f"{headline}. {then} Why: " + "; ".join(why) + ".", f"{headline}。{then}原因：" + "；".join(why) + "。"
    )


def clv_verdict_note(clv: PeriodClv, use: ClvUse) -> None:
    """The CLV verdict, shown in the report's first lines: reliable, ranking only or not reliable, and why."""
    headline, then, why = verdict_parts(clv, use)
    items = "\n".join(f"- {w}" for w in why)
    note(LABELS.say(f"**{headline}.** {then}\n\n{items}", f"**{headline}。** {then}\n\n{items}"))


def no_holdout_note(clv: PeriodClv) -> None:
    """Why the lifetime-value models could not be checked on a holdout period this time."""
    why = " ".join(n for n in clv.notes if "holdout" in n)
    note(LABELS.say(f"**No holdout check for this period.** {why}", f"**本期没有验证期检验。** {why}").rstrip())


def clv_comparison_table(clv: PeriodClv, settings: ClvSettings) -> Table | None:
    """The candidate purchase models' holdout checks side by side, the chosen one marked (None without a check)."""
    c = clv.comparison
    if c.empty:
        return None
    h = LABELS.headers(["model", "log_likelihood", "total_error_pct", "mae", "correlation", "alive_share"])
    h |= {"verdict": _h("verdict"), "chosen": _h("chosen")}
    na = LABELS.say("n/a", "不适用")
    frame = pd.DataFrame(
        {
            h["model"]: [LABELS.text("clv_model", MODEL_NAMES[m]) for m in c["model"]],
            h["log_likelihood"]: c["log_likelihood"].to_numpy(dtype=float),
            h["total_error_pct"]: [f"{v:+.1f}%" if pd.notna(v) else na for v in c["total_error_pct"]],
            h["mae"]: c["mae"].to_numpy(dtype=float),
            h["correlation"]: c["correlation"].to_numpy(dtype=float),
            h["alive_share"]: c["alive_share"].to_numpy(dtype=float) * 100,
            h["verdict"]: [LABELS.text("clv_verdict", v) for v in c["verdict"]],
            h["chosen"]: [LABELS.text("clv_chosen", "yes") if x else "" for x in c["chosen"]],
        }
    )
    return Table(
        frame,
        decimals=[h["log_likelihood"], h["mae"], h["correlation"]],
        pct=[h["alive_share"]],
        right=[h["total_error_pct"]],
        caption=LABELS.say(
            f"{LABELS.text('caption', 'clv_comparison')}; {LABELS.text('caption', 'almost_surely')} "
            f"{settings.verdict.degenerate_p_alive:.1%}",
            f"{LABELS.text('caption', 'clv_comparison')}；{LABELS.text('caption', 'almost_surely')} "
            f"{settings.verdict.degenerate_p_alive:.1%}",
        ),
        uid="comparison",
    )


def clv_method_note(clv: PeriodClv, settings: ClvSettings, currency: str) -> None:
    """What was fitted on what, and anything not available."""
    if clv.fit is None:
        note(
            LABELS.say("**Lifetime value is not available for this period.** ", "**本期无法计算客户生命周期价值。** ")
            + " ".join(clv.notes)
        )
        return
    f = clv.fit
    how = (
        "maximum a posteriori with flat priors, i.e. maximum likelihood"
        if f.method == "map"
        else f"full Bayesian sampling ({settings.mcmc.chains} chains × {settings.mcmc.draws} draws)"
    )
    how_zh = (
        "平坦先验下的最大后验估计（即最大似然估计）"
        if f.method == "map"
        else f"完整贝叶斯抽样（{settings.mcmc.chains} 条链 × {settings.mcmc.draws} 次抽样）"
    )
    horizon = horizon_units(settings.horizon_months, settings.time_unit)
    spend = (
        f"and Gamma-Gamma (spend per purchase) on the {f.spend_customers:,} repeat buyers with a positive spend"
        if f.gamma_gamma is not None
        else "(the spend model could not be fitted)"
    )
    spend_zh = (
        f"；Gamma-Gamma 模型（单次消费金额）基于其中 {f.spend_customers:,} 位消费额为正的复购客户拟合"
        if f.gamma_gamma is not None
        else "（消费模型未能拟合）"
    )
    unit_zh = _UNIT_ZH[settings.time_unit]
    text_zh = (
        f"{f.name} 模型（购买与流失）基于 **{f.customers:,} 位客户** 拟合，其中 {f.repeat_customers:,} 位有复购"
        f"{spend_zh}；估计方法为{how_zh}，时间单位为{unit_zh}，使用截止日期前的全部购买记录"
        f"（同一天的多次购买计为一次）。预测期为未来 **{settings.horizon_months} 个月**（{horizon:.1f} {unit_zh}）；"
        f"CLV 按每年 {settings.annual_discount_rate:.0%} 折现，以 {currency} 计，反映的是收入而非利润。"
    )
    text = (
        f"{f.name} (purchases and dropout) was fitted on **{f.customers:,} customers**, {f.repeat_customers:,} of them "
        f"with repeat purchases, {spend}; {how}, time in {_UNIT[settings.time_unit]}, "
        "all purchases up to the as-of date "
        # No fit time here: the report is the same for the same data (the manifest has the stage's timings).
        "(same-day purchases count once). Predictions look "
        f"**{settings.horizon_months} months** ahead ({horizon:.1f} {_UNIT[settings.time_unit]}); CLV discounts "
        f"at {settings.annual_discount_rate:.0%} a year, in {currency}, and is revenue, not profit."
    )
    note(LABELS.say(text, text_zh) + ("\n\n" + "\n\n".join(clv.notes) if clv.notes else ""))


def params_frame(clv: PeriodClv) -> pd.DataFrame:
    """The fitted parameters as a table (empty with the right columns when not fitted)."""
    if clv.fit is None:
        return pd.DataFrame(
            {
                "model": pd.Series(dtype="string"),
                "parameter": pd.Series(dtype="string"),
                "value": pd.Series(dtype=float),
            }
        )
    return clv.fit.params


def clv_params_table(clv: PeriodClv) -> Table | None:
    """Fitted parameters with what they mean."""
    if clv.fit is None:
        return None
    params = params_frame(clv)
    frame = pd.DataFrame(
        {
            _h("model"): [LABELS.text("clv_model", m) for m in params["model"]],
            _h("parameter"): params["parameter"].to_numpy(),
            _h("estimate"): params["value"].to_numpy(),
            **{_h(c): params[c].to_numpy() for c in ("low", "high") if c in params},
            _h("meaning"): [LABELS.text("clv_parameter", p) for p in params["parameter"]],
        }
    )
    caption = LABELS.text("caption", "clv_params")
    if clv.fit.method == "map":
        caption += f" — {LABELS.text('caption', 'log_likelihood')} {clv.fit.log_likelihood:,.1f}"
    return Table(
        frame, decimals=[_h(c) for c in ("estimate", "low", "high") if _h(c) in frame], caption=caption, uid="params"
    )


def clv_summary_table(predictions: pd.DataFrame, currency: str) -> Table:
    """Distribution of the per-customer CLV figures."""
    h = LABELS.headers(["figure", "customers", "total", "mean", "median", "p90"])
    rows = []
    for column in CLV_COLUMNS:
        v = predictions[column].dropna()
        rows.append(
            {
                h["figure"]: LABELS.text("column", column),
                h["customers"]: len(v),
                h["total"]: v.sum() if column not in ("p_alive", "expected_spend") else np.nan,
                h["mean"]: v.mean(),
                h["median"]: v.median(),
                h["p90"]: v.quantile(0.9) if len(v) else np.nan,
            }
        )
    stats = [h[k] for k in ("total", "mean", "median", "p90")]
    return Table(
        pd.DataFrame(rows),
        ints=[h["customers"]],
        decimals=stats,
        caption=LABELS.say(
            f"{LABELS.text('caption', 'clv_summary')}, {currency}",
            f"{LABELS.text('caption', 'clv_summary')}（{currency}）",
        ),
        uid="clvsummary",
    )


def validation_table(validation: ClvValidation) -> Table:
    """Error figures of the holdout check."""
    e = validation.errors
    values = {
        "calibration_end": f"{validation.calibration_end:%Y-%m-%d}",
        "observation_end": f"{validation.observation_end:%Y-%m-%d}",
        "customers": f"{e['customers']:,.0f}",
        "actual_total": f"{e['actual_total']:,.0f}",
        "predicted_total": f"{e['predicted_total']:,.1f}",
        "total_error_pct": f"{e['total_error_pct']:+.1f}%",
        "mae": f"{e['mae']:.2f}",
        "rmse": f"{e['rmse']:.2f}",
        "correlation": f"{e['correlation']:.2f}",
    }
    check, value = _h("check"), _h("value")
    frame = pd.DataFrame({check: [LABELS.text("clv_check", k) for k in values], value: list(values.values())})
    return Table(frame, right=[value], caption=LABELS.text("caption", "validation"), uid="validation")


def clv_record(clv: PeriodClv, use: ClvUse) -> dict[str, object]:
    """What ``clv.json`` keeps: the verdict, what CLV fed, the model comparison, parameters, validation and notes.

    No timings or paths: the same data give the same file.
    """
    v = clv.verdict
    record: dict[str, object] = {
        "fitted": clv.fit is not None,
        "notes": clv.notes,
        "verdict": {"level": v.level, "checked": v.checked, "reasons": list(v.reasons)},
        "uses": {"value_matrix": use.matrix_basis, "projected_sales_factor": use.projected_basis},
        "comparison": json.loads(clv.comparison.to_json(orient="records")),
    }
    if clv.fit is not None:
        record |= {
            "model": clv.fit.model,
            "method": clv.fit.method,
            "time_unit": clv.fit.time_unit,
            "log_likelihood": None if np.isnan(clv.fit.log_likelihood) else clv.fit.log_likelihood,
            "customers": clv.fit.customers,
            "repeat_customers": clv.fit.repeat_customers,
            "params": json.loads(clv.fit.params.to_json(orient="records")),
        }
    if clv.validation is not None:
        record["validation"] = {k: float(v) for k, v in clv.validation.errors.items()}
    return record


# --------------------------------------------------------------------------- value matrix, concentration
def value_matrix_basis_note(use: ClvUse) -> None:
    """Which future value the value matrix (and the projected-sales factor) rests on."""
    rule = _fallback_rule(use)
    if use.matrix_basis == "clv":
        text = LABELS.say(
            "**Future value axis: CLV**, the model's discounted sales over the coming months.",
            "**未来价值轴：CLV**，即模型预测的未来数月折现销售额。",
        )
    else:
        text = LABELS.say(
            f"**Future value axis: {rule}**, because lifetime value is not reliable enough for this "
            "(see the first lines of this report); each customer's CLV stays in the grading table for reference.",
            f"**未来价值轴：{rule}**，因为客户生命周期价值的可靠性不足以用于此处（见本报告开头）；"
            "每位客户的 CLV 仍保留在分级表中供参考。",
        )
    projected = use.projected_basis == "projected_sales"
    basis = LABELS.say("the model's projected sales", "模型预测的销售额") if projected else rule
    note(
        LABELS.say(
            f"{text} The scorecard's projected-sales factor uses {basis}.", f"{text}评分卡的预计销售额因子采用{basis}。"
        )
    )


def value_matrix_table(matrix: pd.Series, future: pd.Series, indicators: pd.DataFrame, currency: str) -> Table:
    """Customers, future value and profit per value-matrix class.

    ``future`` is what the matrix was cut on (:attr:`helpers.segmentation.clv.ClvUse.future_value`):
    CLV, or the fallback value; its name picks the header.
    """
    basis = str(future.name)
    frame = pd.DataFrame(
        {
            "class": matrix,
            "clv": future.reindex(matrix.index),
            "profit": indicators["gross_profit"].reindex(matrix.index),
        }
    )
    h = {
        "class": _h("class"),
        "customers": _h("customers"),
        "share": _h("share"),
        "clv": _h(basis, currency),
        "profit": _h("profit", currency),
    }
    rows = []
    for key in GRADING_CLASSES["value_matrix"]:
        part = frame[frame["class"] == key]
        if len(part):
            rows.append(
                {
                    h["class"]: LABELS.text("value_matrix", key),
                    h["customers"]: len(part),
                    h["share"]: len(part) / len(frame) * 100,
                    h["clv"]: part["clv"].sum(min_count=1),
                    h["profit"]: part["profit"].sum(min_count=1),
                }
            )
    cuts = matrix.attrs.get("cuts", {})
    names = {"clv": basis, "gross_profit": "gross_profit"}
    cut_items = [f"{LABELS.text('signal', names[k])} {v:,.2f}" for k, v in cuts.items() if pd.notna(v)]
    cut_text = LABELS.say(", ".join(cut_items), "，".join(cut_items))
    caption = LABELS.say(
        f"{LABELS.text('caption', 'value_matrix')}; {LABELS.text('caption', 'cuts')}: {cut_text or 'n/a'}",
        f"{LABELS.text('caption', 'value_matrix')}；{LABELS.text('caption', 'cuts')}：{cut_text or '无'}",
    )
    return Table(
        pd.DataFrame(rows, columns=list(h.values())),
        ints=[h["customers"]],
        pct=[h["share"]],
        money=[h["clv"], h["profit"]],
        caption=caption,
        uid="matrix",
    )


def concentration_table(revenue: pd.Series, clv: pd.Series) -> Table:
    """Gini and top-10% / top-20% shares of past revenue and of CLV."""
    h = LABELS.headers(["measure", "customers", "top_10pct", "top_20pct", "gini", "customers_for_80pct"])
    rows = []
    for name, values in (("revenue", revenue), ("clv", clv)):
        c = concentration(values)
        rows.append(
            {
                h["measure"]: LABELS.text("concentration_measure", name),
                h["customers"]: c["customers"],
                h["top_10pct"]: c["top_10pct_share"] * 100,
                h["top_20pct"]: c["top_20pct_share"] * 100,
                h["gini"]: c["gini"],
                h["customers_for_80pct"]: c["customers_for_80pct_share"] * 100,
            }
        )
    return Table(
        pd.DataFrame(rows),
        ints=[h["customers"]],
        pct=[h["top_10pct"], h["top_20pct"], h["customers_for_80pct"]],
        decimals=[h["gini"]],
        caption=LABELS.text("caption", "concentration"),
        uid="concentration",
    )


# --------------------------------------------------------------------------- scorecard
def churned_potential_sentence(grades: pd.DataFrame) -> str | None:
    """How many potential customers are churned by behaviour, as a plain sentence (None when none)."""
    flagged = int(grades["churned_potential"].sum())
    if not flagged:
        return None
    potential = int(grades["scorecard_class"].eq("potential").sum())
    return LABELS.say(
        f"{flagged:,} of the {potential:,} customers graded potential have not bought for so long that they count "
        "as churned: they are marked in the grading table; check that they are still reachable before treating "
        "them as prospects.",
        f"{potential:,} 位潜在客户中有 {flagged:,} 位已久未购买，按行为计为流失：已在分级表中标出；在将其视为潜在客户"
        "跟进之前，请先确认仍能联系上。",
    )


def churned_potential_note(grades: pd.DataFrame) -> None:
    """The churned customers graded potential, or one line saying there are none."""
    said = churned_potential_sentence(grades)
    note(
        LABELS.say(f"**Warning:** {said}", f"**注意：** {said}")
        if said
        else LABELS.say(
            "No customer graded potential is churned by behaviour.", "被评为潜在客户的客户中，没有按行为计为流失的。"
        )
    )


def manual_input_note(path: Path | None, manual: pd.DataFrame | None, root: Path) -> None:
    """Which manual sheet was read, and how to provide one."""
    if path is None:
        how = (
            LABELS.say(
                " Fill in the template written below (`reports/<period>/scorecard_manual_template_<period>.xlsx`), "
                "save it as `data/manual/scorecard_<period>.xlsx` and run again.",
                "请填写下方生成的模板（`reports/<period>/scorecard_manual_template_<period>.xlsx`），"
                "另存为 `data/manual/scorecard_<period>.xlsx` 后重新运行。",
            )
            if internal()
            else LABELS.say(
                " The consultant's team can add the manual factors (the client's own assessments) next period.",
                "顾问团队可在下一期补充手工评分因子（由贵公司自行评估的项目）。",
            )
        )
        note(
            LABELS.say(
                "**No manual input sheet for this period**, so the scorecard rests on the factors computed from the "
                "data.",
                "**本期没有手工评分表**，因此评分卡仅依据从数据计算的因子。",
            )
            + how
        )
        return
    shown = (path.relative_to(root) if path.is_relative_to(root) else path) if internal() else Path(path.name)
    assessed = int(manual.notna().any(axis=1).sum()) if manual is not None else 0
    note(
        LABELS.say(
            f"**Manual input:** `{shown}` — {assessed:,} customers assessed on at least one manual factor.",
            f"**手工评分：** `{shown}`——{assessed:,} 位客户至少有一项手工评分因子已评估。",
        )
    )


def factor_table_view(table: pd.DataFrame, scorecard: Scorecard) -> Table:
    """The 13 factors: weight, coverage and level mix, and why a factor is missing."""
    levels = ["level_4", "level_3", "level_2", "level_1"]
    h = LABELS.headers(
        ["factor", "source", "weight_share", "customers", "factor_coverage", *levels, "status", "missing_reason"]
    )
    names = {f.key: factor_label(f) for f in scorecard.factors}
    frame = pd.DataFrame(
        {
            h["factor"]: [names.get(k, k) for k in table["key"]],
            h["source"]: [LABELS.text("factor_source", s) for s in table["source"]],
            h["weight_share"]: table["weight_share"].to_numpy() * 100,
            h["customers"]: table["customers"].to_numpy(),
            h["factor_coverage"]: table["coverage"].to_numpy() * 100,
            **{h[k]: table[k].to_numpy() for k in levels},
            h["status"]: [LABELS.text("factor_status", s) for s in table["status"]],
            h["missing_reason"]: table["reason"].fillna("").to_numpy(),
        }
    )
    return Table(
        frame,
        pct=[h["weight_share"], h["factor_coverage"]],
        ints=[h["customers"], *(h[k] for k in levels)],
        caption=LABELS.text("caption", "factors"),
        uid="factors",
    )


def scorecard_classes_table(classes: pd.DataFrame, scores: pd.DataFrame) -> Table:
    """Customers and score range per scorecard class."""
    frame = classes.join(scores[["score", "provisional"]])
    h = LABELS.headers(["class", "customers", "share", "min_score", "max_score", "provisional"])
    rows = []
    for key in (*SCORECARD_CLASSES, "not_available"):
        part = frame[frame["scorecard_class"] == key]
        if len(part):
            rows.append(
                {
                    h["class"]: LABELS.text("scorecard_class", key),
                    h["customers"]: len(part),
                    h["share"]: len(part) / len(frame) * 100,
                    h["min_score"]: part["score"].min(),
                    h["max_score"]: part["score"].max(),
                    h["provisional"]: int(part["provisional"].sum()),
                }
            )
    return Table(
        pd.DataFrame(rows, columns=list(h.values())),
        ints=[h["customers"], h["provisional"]],
        pct=[h["share"]],
        decimals=[h["min_score"], h["max_score"]],
        caption=LABELS.text("caption", "classes"),
        uid="classes",
    )


def _pyramid_frame(pyramid: pd.DataFrame) -> pd.DataFrame:
    """The pyramid check as people read it: tier names and a verdict per tier, shares as fractions.

    Its counts are by *score tier*, potential customers included, and the
    classes table's are by *class*: the columns say so and show the potential
    customers apart, so the two tables add up instead of seeming to disagree.
    """
    return pd.DataFrame(
        {
            "score_tier": [LABELS.text("scorecard_class", k) for k in pyramid.index],
            "tier_customers": pyramid["customers"].to_numpy(),
            "tier_potential": pyramid["potential"].to_numpy(),
            **{c: pyramid[c].to_numpy() for c in ("share", "target", "deviation")},
            "check": [LABELS.text("pyramid_check", "ok" if ok else "off_target") for ok in pyramid["within_tolerance"]],
        }
    )


def pyramid_table(pyramid: pd.DataFrame) -> Table:
    """The pyramid check, with its verdict as the caption."""
    frame = _pyramid_frame(pyramid)
    frame[["share", "target", "deviation"]] *= 100
    h = LABELS.headers(frame.columns)
    caption = LABELS.say(
        f"{LABELS.text('caption', 'pyramid')}: {pyramid.attrs.get('summary', '')}",
        f"{LABELS.text('caption', 'pyramid')}：{pyramid.attrs.get('summary', '')}",
    )
    return Table(
        frame.rename(columns=h),
        ints=[h["tier_customers"], h["tier_potential"]],
        pct=[h["share"], h["target"], h["deviation"]],
        caption=caption,
        uid="pyramid",
    )


def pyramid_advice(pyramid: pd.DataFrame, scorecard: Scorecard) -> None:
    """What to change when the tiers miss the typical pyramid."""
    if pyramid.attrs.get("within_tolerance", True) or scorecard.classes.method != "thresholds":
        return
    top = pyramid.loc[["core", "important"], "deviation"].sum()
    way = "lower" if top < 0 else "raise"
    rank = "set `classes.method: quota` to grade by rank" if internal() else "grade by rank"
    rank_zh = "设置 `classes.method: quota` 改为按排名分级" if internal() else "改为按排名分级"
    ref = setting_ref("classes.thresholds", "scorecard.yaml")
    note(
        LABELS.say(
            f"The score thresholds{ref} put {abs(top):.0%} "
            f"{'fewer' if top < 0 else 'more'} customers in the top two tiers than the typical pyramid: {way} them "
            f"if these customers should follow it, or {rank}.",
            f"按当前的评分阈值{ref}，前两个层级的客户比典型金字塔{'少' if top < 0 else '多'} {abs(top):.0%}："
            f"如果这些客户应符合典型金字塔，请{'调低' if top < 0 else '调高'}阈值，或{rank_zh}。",
        )
    )


def _amount(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}" if abs(value) < 1000 else f"{value:,.0f} {currency}"


def scorecard_basis_note(levels: pd.DataFrame, scorecard: Scorecard) -> None:
    """How the money factors' cut points were applied to data in another currency, and caveats on factor inputs."""
    lines = []
    money = MoneyBasis(**levels.attrs["money"]) if levels.attrs.get("money") else None
    applied = levels.attrs.get("cuts", {})
    factors = {f.key: f for f in scorecard.factors}
    # Factors without any value are listed as missing in the factor table.
    money_keys = [
        k
        for k, a in applied.items()
        if a["basis"] == "not_comparable" or (a["basis"] != "as_set" and any(c is not None for c in a["cuts"]))
    ]
    if money is not None and money_keys:  # a factor not as set always has a basis (stage 03 passes one)
        said = money.describe("The scorecard's money cut points", "评分卡的金额切分点")
        labels = [factor_label(factors[k]) for k in money_keys]
        names = LABELS.say(", ".join(labels), "、".join(labels))
        basis = applied[money_keys[0]]["basis"]
        cuts = LABELS.say("; ", "；").join(
            LABELS.say(f"{factor_label(factors[k])}: ", f"{factor_label(factors[k])}：")
            + LABELS.say(", ", "，").join(
                LABELS.say(
                    f"level {level} from {_amount(c, money.data_currency)} "
                    f"({int((levels[k] == level).sum()):,} customers)",
                    f"{level} 级自 {_amount(c, money.data_currency)} 起（{int((levels[k] == level).sum()):,} 位客户）",
                )
                for level, c in zip((4, 3, 2), applied[k]["cuts"])
                if c is not None
            )
            for k in money_keys
            if applied[k]["cuts"]
        )
        if basis == "converted":
            lines.append(
                LABELS.say(
                    f"**Money cut points converted to {money.data_currency}.** {said} {cuts}.",
                    f"**金额分界点已换算为 {money.data_currency}。** {said}{cuts}。",
                )
            )
        elif basis == "percentiles":
            p4, p3, p2 = scorecard.money_percentiles
            if applied[money_keys[0]].get("chosen"):
                said = LABELS.say(
                    "The scorecard is set to grade money by rank rather than by fixed amounts.",
                    "评分卡设置为对金额类因子按排名而非固定金额分级。",
                )
            lines.append(
                LABELS.say(
                    f"**{names} are graded by rank, not by amount.** {said} So each customer is placed "
                    f"among this period's customers: level 4 for the top {1 - p4:.0%}, level 3 for the next "
                    f"{p4 - p3:.0%}, level 2 for the next {p3 - p2:.0%}, level 1 for the rest; customers with the "
                    "same value share the lower level, and nothing spent is level 1"
                    + (f" — this period: {cuts}." if cuts else "."),
                    f"**{names}按排名而非金额分级。** {said}因此每位客户在本期客户中排名："
                    f"前 {1 - p4:.0%} 为 4 级，其后 {p4 - p3:.0%} 为 3 级，再其后 {p3 - p2:.0%} 为 2 级，其余为 1 级；"
                    "取值相同的客户取较低的等级，没有消费的客户为 1 级" + (f"——本期：{cuts}。" if cuts else "。"),
                )
            )
        else:
            lines.append(
                LABELS.say(
                    f"**{names} are left out of the score.** {said} The other factors are re-weighted.",
                    f"**{names}未计入评分。** {said}其余因子的权重已相应重新分配。",
                )
            )
    for key, caveat in levels.attrs.get("notes", {}).items():
        label = factor_label(factors[key])
        lines.append(LABELS.say(f"*{label}:* {caveat}.", f"*{label}：* {caveat}。"))
    if lines:
        note("\n\n".join(lines))


#: The context columns of the manual input template, in order.
TEMPLATE_CONTEXT = ("customer_name", "industry", "rfm_class", "monetary", "scorecard_class")


def template_customers(grades: pd.DataFrame) -> pd.DataFrame:
    """Customers for the manual-input template: id, name and context (labels, not keys), largest spend first."""
    cols = [c for c in ("customer_id", *TEMPLATE_CONTEXT) if c in grades]
    frame = LABELS.relabel(grades[cols], CLASS_COLUMNS)
    frame = frame.sort_values(["monetary", "customer_id"], ascending=[False, True], kind="stable")
    return frame.set_index("customer_id")


def template_headers(customers: pd.DataFrame, currency: str) -> dict[str, str]:
    """Headers of the template's context columns (registry words; money with its currency)."""
    return {c: _h(c, currency if c == "monetary" else None) for c in customers.columns}


# --------------------------------------------------------------------------- outputs
def _factor_names(keys: object, names: Mapping[str, str]) -> object:
    """``"credit,strategic_fit"`` -> ``"4 信用/回款记录 …; 13 …"``; blanks stay blank."""
    if not isinstance(keys, str) or not keys:
        return keys
    return "; ".join(names.get(k, k) for k in keys.split(","))


def _grading_sheet(run: SegmentationRun, names: Mapping[str, str]) -> Sheet:
    frame = LABELS.relabel(run.grades, CLASS_COLUMNS)
    frame["rfm_class_source"] = frame["rfm_class_source"].map(
        lambda v: LABELS.text("rfm_source", "cut") if v == "cut" else v
    )
    frame["factors_missing"] = frame["factors_missing"].map(lambda v: _factor_names(v, names))
    money = {"monetary", "gross_profit", "expected_spend", "projected_sales", "clv"}
    headers = {c: _h(c, run.currency if c in money else None) for c in GRADING_COLUMNS}
    return Sheet(
        LABELS.text("workbook", "grading"),
        frame,
        headers=headers,
        percent=["p_alive", "coverage"],
        description=LABELS.text("sheet_note", "grading"),
    )


def grading_workbook(run: SegmentationRun) -> Workbook:
    """The consultant's Excel workbook (客户分级管理分析表): every header and class name from the label registry."""
    w = lambda key: LABELS.text("workbook", key)
    says = lambda key: LABELS.text("sheet_note", key)
    names = {f.key: factor_label(f) for f in run.scorecard.factors}
    period = parse_period(run.period_label)
    about = {
        w("report"): w("report_name"),
        w("period"): LABELS.say(
            f"{period.label} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d})",
            f"{period.label}（{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}）",
        ),
        w("as_of"): f"{period.as_of:%Y-%m-%d}",
        w("data"): run.data_title,
        w("currency"): run.currency,
        w("customers_graded"): f"{len(run.grades):,}",
    }
    if internal():
        about[w("settings")] = LABELS.say(
            "config/settings.yaml (segmentation), config/scorecard.yaml",
            "config/settings.yaml（segmentation 部分）、config/scorecard.yaml",
        )
    rfm = RfmSettings.model_validate(run.segments.attrs["settings"])  # as applied: amounts in the data's currency
    if rfm.overrides:
        said = override_sentences(run.segments, rfm)
        about[w("overrides")] = LABELS.say(" ".join(said), "".join(said))
    summary = _summary_frame(run.summary)
    pyramid = _pyramid_frame(run.pyramid)
    params = params_frame(run.clv)
    params = params.assign(
        model=[LABELS.text("clv_model", m) for m in params["model"]],
        meaning=[LABELS.text("clv_parameter", p) for p in params["parameter"]],
    )
    sheets = [
        _grading_sheet(run, names),
        Sheet(
            w("segments"),
            summary,
            headers={c: _h(c, run.currency if c in _SUMMARY_MONEY else None) for c in summary},
            percent=["customer_share", "revenue_share"],
            description=says("segments"),
        ),
        Sheet(
            w("factor_levels"),
            run.levels.rename_axis("customer_id").reset_index(),
            headers={"customer_id": _h("customer_id"), **names},
            formats=dict.fromkeys(run.levels.columns, LEVEL),
            description=says("factor_levels"),
        ),
        Sheet(
            w("pyramid"),
            pyramid,
            headers=LABELS.headers(pyramid.columns),
            percent=["share", "target", "deviation"],
            description=says("pyramid"),
        ),
        Sheet(
            w("clv_model"),
            params,
            headers={**LABELS.headers(params.columns), "value": _h("estimate")},
            description=says("clv_model"),
        ),
    ]
    comparison = run.clv.comparison
    if not comparison.empty:
        shown = comparison.assign(
            model=[LABELS.text("clv_model", MODEL_NAMES[m]) for m in comparison["model"]],
            verdict=[LABELS.text("clv_verdict", v) for v in comparison["verdict"]],
            alive_share=comparison["alive_share"].astype(float),
            total_error_pct=comparison["total_error_pct"].astype(float) / 100,
        )
        sheets.append(
            Sheet(
                w("clv_comparison"),
                shown,
                headers=LABELS.headers(shown.columns),
                percent=["total_error_pct", "alive_share"],
                description=says("clv_comparison"),
            )
        )
    if run.clv.validation is not None:
        holdout = run.clv.validation.by_frequency
        sheets.append(
            Sheet(w("holdout"), holdout, headers=LABELS.headers(holdout.columns), description=says("holdout"))
        )
    return Workbook(sheets, about=about)
