"""Tables the indicator report shows (stage 02), built from indicators and KPIs."""

from __future__ import annotations

import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import Period
from helpers.indicators.kpis import KPI_DESCRIPTIONS, kpi_comparison
from helpers.reporting.display import Table, note, setting_ref

__all__ = [
    "availability_table",
    "concentration_note",
    "coverage_note",
    "format_kpi",
    "indicator_summary",
    "kpi_definitions",
    "kpi_table",
    "period_kpi_table",
    "top_customers_table",
    "window_note",
]

_RATES = {"repurchase_rate", "retention_rate", "churn_rate", "csat", "lead_conversion_rate"}
_SCORES = {"nps"}  # a score from -100 to 100: it changes in points, a percent change means nothing
_MONEY = {"revenue", "avg_order_value"}
#: Indicators summarised in the distribution table, in order.
_SUMMARISED = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "gross_profit",
    "distinct_products",
    "distinct_categories",
    "interaction_rate",
    "csat",
    "nps_score",
    "tenure_days",
    "avg_days_late",
)
_MONEY_INDICATORS = {"monetary", "avg_order_value", "gross_profit"}
#: Columns of the top-customers table, in order (those the data lack are left out).
_TOP_COLUMNS = (
    "customer_id",
    "customer_name",
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "gross_profit",
    "distinct_products",
    "tenure_days",
)
#: What each KPI means, in Chinese (the English is the part of ``KPI_DESCRIPTIONS`` after the name).
_KPI_DEFINITIONS_ZH = {
    "customers_known": "截止日前已注册或有任何订单的客户。",
    "active_customers": "本期至少有一笔销售订单的客户。",
    "new_customers": "在数据中首次下单发生在本期的客户（在数据的第一个期间，所有购买客户均计为新客户）。",
    "revenue": "本期订单的净额——销售额减去退货。",
    "orders": "本期不重复的销售订单数。",
    "avg_order_value": "本期销售收入（扣除退货）除以本期订单数。",
    "repurchase_rate": (
        "在回溯窗口期内（默认为截止日前 365 天，而不仅是本期）下过单的客户中，在窗口期内下单 2 次及以上的客户占比。"
    ),
    "retention_rate": ("上一期的活跃客户中，本期再次活跃的客户占比；上一期早于数据起始日或上一期没有活跃客户时为空。"),
    "churn_rate": (
        "在截止日前一个流失观察期（默认 90 天）之前的回溯窗口期内有过购买的客户中，在该观察期内没有任何订单的客户"
        "占比——即阶段 04 流失模型所学习的定义；数据的时间跨度不够时为空。"
    ),
    "nps": "本期调查答卷中，推荐者（打分 9–10）占比减去贬损者（打分 0–6）占比，取值范围为 −100 至 100；无答卷时为空。",
    "nps_responses": "本期收到的调查答卷数。",
    "csat": (
        "本期评分（已评分的服务工单及评价，1–5 分制）中，评为“满意”及以上（默认为 5 分中的 4 分或 5 分）的占比；"
        "无评分时为空。"
    ),
    "lead_conversion_rate": "本期关闭的线索中赢单的占比（赢单 /（赢单 + 丢单））；未关闭的线索不计入。",
}
#: The stand-in period names of :func:`helpers.indicators.kpis.kpi_comparison` (when a row has no period), in Chinese.
_DEFAULT_PERIODS_ZH = {"this period": "本期", "previous period": "上期"}


def format_kpi(kpi: str, value: float, *, change: bool = False) -> str:
    """A KPI value (or, with ``change``, a change) as every table and sentence of the reports prints it."""
    if pd.isna(value):
        return LABELS.say("n/a", "无数据")
    if kpi in _RATES:
        return (
            LABELS.say(f"{value * 100:+.1f} pts", f"{value * 100:+.1f} 个百分点") if change else f"{value * 100:.1f}%"
        )
    if kpi in _SCORES:
        return LABELS.say(f"{value:+.0f} pts", f"{value:+.0f} 分") if change else f"{value:.0f}"
    if kpi in _MONEY:
        return f"{value:+,.2f}" if change else f"{value:,.2f}"
    return f"{value:+,.0f}" if change else f"{value:,.0f}"


def kpi_table(comparison: pd.DataFrame, currency: str) -> Table:
    """The period's KPIs beside the previous period's, formatted per kind (counts, money, rates)."""
    current, previous = (
        LABELS.say(p, _DEFAULT_PERIODS_ZH.get(p, p))
        for p in comparison.attrs.get("periods", ("this period", "previous period"))
    )
    rows = []
    for kpi, r in comparison.iterrows():
        label = LABELS.text("kpi", kpi) + (f", {currency}" if kpi in _MONEY else "")
        pct = (
            LABELS.say("n/a", "无数据")
            if pd.isna(r["pct_change"]) or kpi in _RATES | _SCORES
            else f"{r['pct_change'] * 100:+.1f}%"
        )
        rows.append(
            (
                label,
                format_kpi(kpi, r["current"]),
                format_kpi(kpi, r["previous"]),
                format_kpi(kpi, r["change"], change=True),
                pct,
            )
        )
    kpi, change, pct_change = (LABELS.text("column", k) for k in ("kpi", "change", "pct_change"))
    frame = pd.DataFrame(rows, columns=[kpi, current, previous, change, pct_change])
    return Table(frame, right=[current, previous, change, pct_change], uid="kpis")


def period_kpi_table(trend: pd.DataFrame, currency: str) -> Table:
    """The last period of the trend beside the one before (with a note when there is none before)."""
    current = trend.iloc[-1]
    if len(trend) > 1:
        return kpi_table(kpi_comparison(current, trend.iloc[-2]), currency)
    note(
        LABELS.say(
            "The previous period is before the start of the data, so there is nothing to compare with.",
            "上一期早于数据的起始日期，因此没有可供对比的数据。",
        )
    )
    return kpi_table(kpi_comparison(current, pd.Series(pd.NA, index=current.index, dtype=object)), currency)


def kpi_definitions() -> Table:
    """What each KPI means, so a reviewer can check the figures."""
    rows = [
        (LABELS.text("kpi", k), LABELS.say(en, _KPI_DEFINITIONS_ZH.get(k, en)))
        for k, en in ((k, d.split(": ", 1)[1]) for k, d in KPI_DESCRIPTIONS.items())
        if k not in ("period", "as_of")
    ]
    columns = [LABELS.text("column", "kpi"), LABELS.text("column", "definition")]
    return Table(pd.DataFrame(rows, columns=columns), caption=LABELS.text("caption", "kpi_definitions"), uid="kpidefs")


def availability_table(unavailable: dict[str, str]) -> Table | None:
    """The indicators the data cannot give, with the reason (None when all are available).

    ``unavailable`` is ``customer_indicators(...).attrs["unavailable"]``: indicator -> reason.
    """
    if not unavailable:
        note(LABELS.say("All indicators are available for these data.", "基于这些数据，所有指标均可计算。"))
        return None
    frame = pd.DataFrame(
        {
            LABELS.text("column", "indicator"): [LABELS.text("indicator", i) for i in unavailable],
            LABELS.text("column", "unavailable_reason"): list(unavailable.values()),
        }
    )
    return Table(frame, caption=LABELS.text("caption", "unavailable_indicators"), uid="availability")


def window_note(lookback_days: int) -> None:
    """Which customers the indicator distributions describe: those who bought in the look-back window."""
    where = setting_ref("analysis.lookback_days")
    note(
        LABELS.say(
            f"Distribution over the customers who bought in the look-back window: the {lookback_days} days up to the "
            f"as-of date{where}.",
            f"以下为在回溯窗口期内（截止日前 {lookback_days} 天）有购买的客户的分布{where}。",
        )
    )


def indicator_summary(indicators: pd.DataFrame, currency: str) -> Table:
    """Distribution of the main indicators over the customers active in the look-back window."""
    active = indicators[indicators["active_in_window"].fillna(False).astype(bool)]
    rows = []
    for col in _SUMMARISED:
        label = LABELS.text("indicator", col) + (f", {currency}" if col in _MONEY_INDICATORS else "")
        values = pd.to_numeric(active[col], errors="coerce").dropna() if col in active else pd.Series(dtype=float)
        if values.empty:  # unavailable: explained by the availability table
            continue
        q = values.quantile([0.1, 0.5, 0.9])
        rows.append((label, len(values), values.mean(), q[0.1], q[0.5], q[0.9], values.max()))
    headers = LABELS.headers(["indicator", "customers", "mean", "p10", "median", "p90", "max"])
    frame = pd.DataFrame(rows, columns=list(headers.values()))
    stats = [headers[k] for k in ("mean", "p10", "median", "p90", "max")]
    counts = f"{len(active):,} / {len(indicators):,}"
    caption = LABELS.say(
        f"{LABELS.text('caption', 'active_customers')}: {counts}",
        f"{LABELS.text('caption', 'active_customers')}：{counts}",
    )
    return Table(frame, ints=[headers["customers"]], decimals=stats, caption=caption, uid="summary")


def top_customers_table(indicators: pd.DataFrame, customers: pd.DataFrame | None, currency: str, n: int = 10) -> Table:
    """The top customers by net spend in the look-back window, with their main indicators."""
    top = indicators.sort_values("monetary", ascending=False).head(n).reset_index()
    if customers is not None and "customer_name" in customers and customers["customer_name"].notna().any():
        names = customers.set_index("customer_id")["customer_name"]
        top.insert(1, "customer_name", top["customer_id"].map(names))
    cols = [c for c in _TOP_COLUMNS if c in top and top[c].notna().any()]
    headers = {
        c: LABELS.text("column", c)
        if c in ("customer_id", "customer_name")
        else LABELS.text("indicator", c) + (f", {currency}" if c in _MONEY_INDICATORS else "")
        for c in _TOP_COLUMNS
    }
    frame = top[cols].rename(columns=headers)
    return Table(
        frame,
        ints=[headers[c] for c in ("recency_days", "frequency", "distinct_products", "tenure_days")],
        money=[headers[c] for c in ("monetary", "avg_order_value", "gross_profit")],
        uid="top",
    )


def concentration_note(figures: dict[str, float]) -> None:
    """One paragraph on revenue concentration (Pareto)."""
    top10, top20 = (f"{figures[k] * 100:.1f}" for k in ("top_10pct_share", "top_20pct_share"))
    for80, gini = f"{figures['customers_for_80pct_share'] * 100:.1f}", f"{figures['gini']:.3f}"
    note(
        LABELS.say(
            f"The top 10% of customers make **{top10}%** of the look-back window's "
            f"revenue and the top 20% make **{top20}%**; "
            f"**{for80}%** of customers make 80% of it. "
            f"Gini coefficient: **{gini}** (0 = everyone buys the same, 1 = one customer buys everything). "
            "Customers with zero or net-negative spend (returns only) are left out of these figures.",
            f"消费额排名前 10% 的客户贡献了回溯期内 **{top10}%** 的收入，前 20% 的客户贡献了 **{top20}%**；"
            f"**{for80}%** 的客户贡献了 80% 的收入。"
            f"基尼系数：**{gini}**（0 表示每位客户消费相同，1 表示全部消费集中于一位客户）。"
            "消费额为零或净额为负（只有退货）的客户不计入以上数字。",
        )
    )


def coverage_note(orders: pd.DataFrame, period: Period) -> None:
    """Warn when the data end before the period does, so its KPIs cover only part of it."""
    last = orders["order_date"].max()
    if last < period.end:
        note(
            LABELS.say(
                f"**Note:** the data end on {last:%Y-%m-%d}, before the period's last day ({period.end:%Y-%m-%d}): "
                "this period's KPIs cover only part of it and are not comparable with full periods.",
                f"**注意：** 数据截至 {last:%Y-%m-%d}，早于本期最后一天（{period.end:%Y-%m-%d}）："
                "本期 KPI 只覆盖了本期的一部分，不能与完整期间的数据直接比较。",
            )
        )
