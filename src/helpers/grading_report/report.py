"""What stage 06 shows and writes: the findings first, the classes and their plans, the KPI panel, migration, the
alerts and whom they reached; :func:`grading_workbook` is the client team's Excel workbook. Words come from the
label registry.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import parse_period
from helpers.grading_report.kpis import COUNT_KPIS, SHARE_KPIS
from helpers.grading_report.migration import ENTRANT
from helpers.io.excel import Sheet, Workbook
from helpers.reporting.display import Table, display_all, literal, note
from helpers.segmentation.findings import graded_sentence

if TYPE_CHECKING:
    from helpers.grading_report.stage import GradingReportRun
    from helpers.pipeline.context import StageContext

__all__ = [
    "CLASS_COLOURS",
    "alerts_table",
    "classes_table",
    "digests_note",
    "display_all",
    "findings_note",
    "grading_workbook",
    "kpi_table",
    "migration_tables",
    "movement_revenue_table",
    "movers_table",
    "show_kpi_trend",
]

#: Background colour of each final class and churn band in the workbook.
CLASS_COLOURS = {
    "core": "#C6EFCE",
    "important": "#DDEBF7",
    "ordinary": "#FFF2CC",
    "small": "#EDEDED",
    "potential": "#E4DFEC",
}
RISK_COLOURS = {"high": "#F8CBAD", "medium": "#FFEB9C", "low": "#E2EFDA"}


def _h(key: str) -> str:
    return LABELS.text("grading_report_column", key)


def _class(key: object) -> str:
    return LABELS.text("scorecard_class", key) if isinstance(key, str) and LABELS.has("scorecard_class", key) else ""


def _end(namespace: str, key: str) -> str:
    """One end of a movement as readers see it: the class's name, or "entered" / "left" for the grading's edges."""
    if LABELS.has(namespace, key):
        return LABELS.text(namespace, key)
    return _h("entrants" if key == ENTRANT else "leavers")


def _kpi_value(name: str, value: float) -> str:
    if pd.isna(value):
        return LABELS.say("n/a", "无数据")
    if name in SHARE_KPIS:
        return f"{value:.1%}"
    return f"{value:,.0f}" if name in COUNT_KPIS or abs(value) >= 100 else f"{value:,.2f}"


# --------------------------------------------------------------------------- findings
def findings_note(run: GradingReportRun) -> None:
    """The findings, first: the classes, who slipped, what fired, how the KPIs moved."""
    t = run.table
    lines = [f"- {graded_sentence(t['final_class'].astype('object'), t['monetary'])}"]
    kinds = run.alerts["kind"].value_counts()
    if len(run.alerts):
        fired = [
            (LABELS.text("alert_kind", k), int(kinds[k]))
            for k in ("churn_high", "downgraded", "early_warning", "class_shrank")
            if k in kinds
        ]
        written = len(run.digests.written) or "—"
        lines.append(
            LABELS.say(
                f"- **{len(run.alerts):,} alerts fired:** "
                + ", ".join(f"{n:,} {kind}" for kind, n in fired)
                + f". Each owner's list is in an e-mail digest ({written} written).",
                f"- **共触发 {len(run.alerts):,} 条预警：**"
                + "、".join(f"{kind} {n:,} 条" for kind, n in fired)
                + f"。每位负责人的名单见其邮件摘要（已生成 {written} 封）。",
            )
        )
    if run.compared:
        m = run.migrations["final_class"]
        both = int(m.matrix.to_numpy().sum())
        stayed = int(np.trace(m.matrix.to_numpy()))
        steps = m.moves["steps"]
        far = m.movers["steps"]
        rose, fell = int((steps > 0).sum()), int((steps < 0).sum())
        far_up, far_down, edge = int((far > 0).sum()), int((far < 0).sum()), int(steps.isna().sum())
        entered, left = int(m.entrants["customers"].sum()), int(m.leavers["customers"].sum())
        lines.append(
            LABELS.say(
                f"- **Against {run.previous_label}:** of the {both:,} customers graded in both periods, {stayed:,} "
                f"kept their class and {len(m.moves):,} changed it: {rose:,} rose and {fell:,} fell a class or more "
                f"({far_up:,} and {far_down:,} by more than one), {edge:,} moved to or from *potential*. "
                f"{entered:,} customers entered the grading and {left:,} left it.",
                f"- **与 {run.previous_label} 相比：**两期均参与分级的 {both:,} 位客户中，{stayed:,} 位等级不变，"
                f"{len(m.moves):,} 位等级发生变化：{rose:,} 位上升、{fell:,} 位下降一级或以上（其中 {far_up:,} 位和 "
                f"{far_down:,} 位变动超过一级），{edge:,} 位转入或转出 *{_class('potential')}*。另有 {entered:,} 位"
                f"客户新进入分级，{left:,} 位退出分级。",
            )
        )
    else:
        lines.append(
            LABELS.say(
                f"- **Nothing to compare yet:** the previous period ({run.previous_label}) has not been run, so there "
                "is no migration between periods this time.",
                f"- **暂无可比较的上期数据：**上一期（{run.previous_label}）尚未运行，因此本期没有跨期的等级迁移。",
            )
        )
    k = run.kpis
    moved = [
        f"{LABELS.text('kpi', n)} {_kpi_value(n, k.loc[n, 'previous'])} → {_kpi_value(n, k.loc[n, 'current'])}"
        for n in ("churn_rate", "retention_rate", "repurchase_rate", "nps")
        if n in k.index and pd.notna(k.loc[n, "current"])
    ]
    if moved:
        lines.append(
            LABELS.say(
                "- **KPIs, previous period → this one:** " + "; ".join(moved) + ".",
                "- **关键指标（上期 → 本期）：**" + "；".join(moved) + "。",
            )
        )
    if run.clv_verdict not in ("reliable", "ranking_only"):
        lines.append(
            LABELS.say(
                "- **Lifetime value is shown for reference only:** stage 03's model did not pass its own check, so "
                "it does not steer the classes.",
                "- **客户生命周期价值仅供参考：**阶段 03 的模型未通过自身检验，因此不参与决定客户分级。",
            )
        )
    note("\n".join(lines))


# --------------------------------------------------------------------------- tables
def classes_table(run: GradingReportRun) -> Table:
    """Customers and revenue per final class, with the class's contact plan."""
    t = run.table
    rows = []
    for cls, plan in run.settings.plans.items():
        members = t.loc[t["final_class"].eq(cls)]
        rows.append(
            {
                _h("final_class"): _class(cls),
                _h("customers"): len(members),
                _h("revenue"): members["monetary"].sum(),
                _h("contact"): plan.contact,
                _h("contact_frequency"): plan.frequency,
                _h("contact_channel"): plan.channel,
            }
        )
    return Table(
        pd.DataFrame(rows),
        ints=[_h("customers")],
        money=[_h("revenue")],
        caption=LABELS.text("caption", "grading_classes"),
        uid="grading_classes",
    )


def kpi_table(run: GradingReportRun) -> Table:
    """Each KPI: the previous period, this one, and every period of the trend (oldest first)."""
    k = run.kpis
    periods = k.attrs.get("periods", [])
    frame = pd.DataFrame(
        {
            _h("kpi"): [LABELS.text("kpi", n) for n in k.index],
            _h("previous"): [_kpi_value(n, v) for n, v in k["previous"].items()],
            _h("current"): [_kpi_value(n, v) for n, v in k["current"].items()],
            _h("trend"): [
                " · ".join(_kpi_value(n, v) for v in values[-len(periods) :]) for n, values in k["trend"].items()
            ],
        }
    )
    caption = LABELS.text("caption", "grading_kpis") + (
        LABELS.say(f" ({periods[0]} … {periods[-1]})", f"（{periods[0]} 至 {periods[-1]}）") if periods else ""
    )
    return Table(frame, right=[_h("previous"), _h("current")], caption=caption, uid="grading_kpis")


#: The KPIs drawn as a trend under the KPI table, when the panel has them.
TREND_KPIS = ("churn_rate", "retention_rate", "repurchase_rate", "nps")


def show_kpi_trend(run: GradingReportRun) -> None:
    """A small chart per KPI of :data:`TREND_KPIS` with at least two periods of values; those without are named in
    a sentence instead of an empty chart."""
    import matplotlib.pyplot as plt

    from helpers.grading_report.charts import drawable_kpis, plot_kpi_trend

    k = run.kpis
    drawn, absent = drawable_kpis(k, TREND_KPIS)
    if drawn:
        fig, axes = plt.subplots(1, len(drawn), figsize=(3.3 * len(drawn), 2.8), squeeze=False)
        plot_kpi_trend(list(axes[0]), k, drawn)
        fig.tight_layout()
        plt.show()
    if absent:
        kpis = [LABELS.text("kpi", n) for n in absent]
        names = ", ".join(kpis)
        note(
            LABELS.say(
                f"No trend is drawn for {names}: the data give it for fewer than two periods.",
                f"未绘制{'、'.join(kpis)}的趋势图：数据中这些指标的取值不足两期。",
            )
        )


def migration_tables(run: GradingReportRun) -> list[Table]:
    """The transition matrix of each classification (customers in both periods), entrants and leavers beside."""
    out = []
    for name, m in run.migrations.items():
        names = (lambda k: _class(k)) if name == "final_class" else (lambda k: LABELS.text("rfm_class", k))
        frame = m.matrix.copy()
        frame.index = [names(c) for c in frame.index]
        frame.columns = [names(c) for c in frame.columns]
        frame[_h("leavers")] = m.leavers["customers"].to_numpy()
        frame.loc[_h("entrants")] = [*m.entrants["customers"].to_numpy(), np.nan]
        # a customer cannot enter and leave in one comparison: that cell is left blank, not "n/a"
        frame = frame.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
        frame = frame.reset_index(names=f"{run.previous_label} ↓ / {run.period_label} →")
        out.append(
            Table(
                frame,
                right=list(frame.columns[1:]),
                caption=LABELS.text("caption", f"migration_{name}"),
                uid=f"migration_{name}",
            )
        )
    return out


def movers_table(run: GradingReportRun, limit: int = 20) -> Table | None:
    """Customers who moved by more than one class, the falls first, with the revenue behind them."""
    if "final_class" not in run.migrations or run.migrations["final_class"].movers.empty:
        return None
    movers = run.migrations["final_class"].movers
    names = run.table.set_index("customer_id")["customer_name"]
    frame = pd.DataFrame(
        {
            _h("customer_id"): movers["customer_id"],
            _h("customer_name"): movers["customer_id"].map(names),
            _h("from_class"): movers["from_class"].map(_class),
            _h("to_class"): movers["to_class"].map(_class),
            _h("steps"): movers["steps"],
            _h("previous_revenue"): movers["previous_revenue"],
            _h("revenue"): movers["revenue"],
        }
    ).head(limit)
    return Table(
        frame,
        ints=[_h("steps")],
        money=[_h("previous_revenue"), _h("revenue")],
        caption=LABELS.text("caption", "grading_movers"),
        uid="grading_movers",
    )


def movement_revenue_table(run: GradingReportRun) -> Table | None:
    """The revenue behind each movement of the final class: customers and their net spend per from → to, entrants
    and leavers included, biggest first."""
    if "final_class" not in run.migrations:
        return None
    long = run.migrations["final_class"].table
    moved = long.loc[long["from_class"] != long["to_class"]].sort_values("revenue", ascending=False)
    if moved.empty:
        return None
    name = partial(_end, "scorecard_class")
    frame = pd.DataFrame(
        {
            _h("from_class"): moved["from_class"].map(name),
            _h("to_class"): moved["to_class"].map(name),
            _h("customers"): moved["customers"],
            _h("revenue"): moved["revenue"],
        }
    )
    return Table(
        frame,
        ints=[_h("customers")],
        money=[_h("revenue")],
        caption=LABELS.text("caption", "grading_movement_revenue"),
        uid="grading_movement_revenue",
    )


def alerts_table(run: GradingReportRun, per_kind: int = 10) -> Table | None:
    """The alerts, most urgent kind first, at most ``per_kind`` of each kind (so a long list of one kind never
    hides a rarer one)."""
    a = run.alerts
    if a.empty:
        return None
    shown = LABELS.relabel(a, {"kind": "alert_kind", "final_class": "scorecard_class"})
    columns = ["kind", "customer_name", "owner", "final_class", "reason", "action"]
    frame = (
        shown[[c for c in columns if shown[c].notna().any()]].groupby(a["kind"].to_numpy(), sort=False).head(per_kind)
    )
    caption = LABELS.text("caption", "grading_alerts")
    if len(frame) < len(a):
        kinds = [(LABELS.text("alert_kind", k), n) for k, n in a["kind"].value_counts(sort=False).items()]
        counts = "; ".join(f"{kind}: {n:,}" for kind, n in kinds)
        caption += LABELS.say(
            f" — at most {per_kind} of each kind ({counts}); the alert sheet of the workbook holds every one",
            f"（每类最多列出 {per_kind} 条；{'、'.join(f'{kind} {n:,} 条' for kind, n in kinds)}；全部预警见工作簿的"
            f"“{LABELS.text('grading_report_sheet', 'alerts')}”表）",
        )
    return Table(frame.rename(columns={c: _h(c) for c in frame.columns}), caption=caption, uid="grading_alerts")


def digests_note(stage: StageContext, run: GradingReportRun) -> None:
    """Say which digests were written, and whether and when they are e-mailed."""
    mail = run.settings.mail
    written = run.digests.written
    if not written:
        note(
            LABELS.say("No alert fired this period: no digest was written.", "本期没有触发预警，因此没有生成预警摘要。")
        )
        return
    nobody = _h("all_owners")
    listing = "; ".join(f"{d.owner or nobody}: {d.alerts:,}" for d in written)
    said = LABELS.say(
        f"**{len(written)} alert digest(s)** — {literal(listing)} — written as e-mail files beside this report",
        f"**已生成 {len(written)} 封预警摘要**（"
        + literal("；".join(f"{d.owner or nobody} {d.alerts:,} 条" for d in written))
        + "），以邮件文件形式保存在本报告旁",
    )
    if len(run.alerts) > mail.rows_per_kind:
        said += LABELS.say(
            f", each listing at most {mail.rows_per_kind} alerts of a kind, most urgent first, and counting the rest",
            f"，每封摘要中每类预警最多列出 {mail.rows_per_kind} 条，最紧急的在前，其余只计数量",
        )
    unaddressed = [d.owner or nobody for d in written if not d.recipients]
    if mail.smtp is None:
        said += LABELS.say(
            ". No mail server is configured, so none is e-mailed.", "。尚未配置邮件服务器，因此不会发送邮件。"
        )
    elif stage.run_id:
        said += LABELS.say(
            ". They are e-mailed once this run's outputs are saved, each to its account manager; a digest already "
            "sent and unchanged since is not sent again.",
            "。本次运行的输出保存后，各摘要将分别发送给对应的客户经理；已发送且此后没有变化的摘要不会重复发送。",
        )
        if unaddressed:
            said += LABELS.say(
                f" No address is configured for {literal('; '.join(unaddressed))}: theirs stay unsent.",
                f"{literal('、'.join(unaddressed))}未配置邮箱地址，其摘要将不会发送。",
            )
    else:
        said += LABELS.say(
            ". Opened by hand, this notebook e-mails nothing: a run of the period sends them once it is saved.",
            "。手动打开本笔记本时不会发送任何邮件：按期运行并保存输出后才会发送。",
        )
    note(said)


# --------------------------------------------------------------------------- the workbook
def grading_workbook(run: GradingReportRun) -> Workbook:
    """The grading report for the client's team: about, the grading table, the KPI panel, migration, alerts."""
    s = lambda key: LABELS.text("grading_report_sheet", key)
    period = parse_period(run.period_label)
    about = {
        s("report"): s("report_name"),
        s("period"): f"{period.label} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d})",
        s("data"): run.data_title,
        s("customers"): f"{len(run.table):,}",
        s("compared"): run.previous_label if run.compared else s("nothing_to_compare"),
        s("alerts"): f"{len(run.alerts):,}",
    }
    table = LABELS.relabel(
        run.table,
        {
            "final_class": "scorecard_class",
            "rfm_class": "rfm_class",
            "risk_band": "risk_band",
            "value_tier": "value_tier",
            "behaviour_state": "behaviour_state",
            "needs_type": "needs_type",
            "satisfaction_class": "satisfaction_class",
            "clv_verdict": "clv_verdict",
        },
    )
    d = lambda key: LABELS.text("grading_report_sheet_note", key)
    sheets = [
        Sheet(
            s("grading"),
            table,
            headers={c: _h(c) for c in table.columns},
            percent=["churn_probability"],
            fills={
                "final_class": {_class(k): c for k, c in CLASS_COLOURS.items()},
                "risk_band": {LABELS.text("risk_band", k): c for k, c in RISK_COLOURS.items()},
            },
            description=d("grading"),
        ),
    ]
    k = run.kpis
    kpis = pd.DataFrame(  # as the report prints them: shares as percentages, counts whole
        {
            "kpi": [LABELS.text("kpi", n) for n in k.index],
            "previous": [_kpi_value(n, v) for n, v in k["previous"].items()],
            "current": [_kpi_value(n, v) for n, v in k["current"].items()],
        }
    )
    sheets.append(Sheet(s("kpis"), kpis, headers={c: _h(c) for c in kpis.columns}, description=d("kpis")))
    if run.compared:
        named = {"final_class": partial(_end, "scorecard_class"), "rfm_class": partial(_end, "rfm_class")}
        moved = pd.concat(
            [
                m.table.assign(
                    classification=_h(name),
                    from_class=m.table["from_class"].map(named[name]),
                    to_class=m.table["to_class"].map(named[name]),
                )
                for name, m in run.migrations.items()
            ],
            ignore_index=True,
        )[["classification", "from_class", "to_class", "customers", "revenue"]]
        sheets.append(
            Sheet(s("migration"), moved, headers={c: _h(c) for c in moved.columns}, description=d("migration"))
        )
    alerts = LABELS.relabel(run.alerts, {"kind": "alert_kind", "final_class": "scorecard_class"})
    sheets.append(
        Sheet(
            s("alerts"),
            alerts,
            headers={c: _h(c) for c in alerts.columns},
            fills={"final_class": {_class(k): c for k, c in CLASS_COLOURS.items()}},
            description=d("alerts"),
        )
    )
    return Workbook(sheets, about=about)
