"""Stage 06, the customer grading report (客户分级报告): the declaration and the computation.

One table with every stage's answer per customer and the final class's action and contact plan
(:mod:`helpers.grading_report.table`); the company KPI panel with its trend (:mod:`helpers.grading_report.kpis`);
migration from the previous period of the same kind, read from ``data/processed/`` (:mod:`helpers.grading_report.
migration`); every alert of the period (:mod:`helpers.grading_report.alerts`) and a digest per account manager
(:mod:`helpers.grading_report.mail`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.catalog import Output, column_list
from helpers.core.labels import LABELS
from helpers.grading_report.alerts import ALERT_COLUMNS, collect_alerts
from helpers.grading_report.kpis import kpi_panel
from helpers.grading_report.mail import Digest, write_digests
from helpers.grading_report.migration import Migration, migration
from helpers.grading_report.report import grading_workbook
from helpers.grading_report.sending import deliver_digests
from helpers.grading_report.settings import CLASSES, GradingReportSettings, MailSettings
from helpers.grading_report.table import FINAL_COLUMNS, grading_table
from helpers.io.tables import read_table
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import External, Located, Stage
from helpers.shared import ReadsCleanedData

__all__ = ["LADDER", "MIGRATION_COLUMNS", "STAGE", "AlertDigests", "GradingReportRun", "compute"]

#: The final classes ranked, best first (potential is off the ladder).
LADDER = CLASSES[:4]
#: Columns of ``migration.parquet``.
MIGRATION_COLUMNS = ["classification", "from_class", "to_class", "customers", "revenue"]
#: The gradings compared between periods.
_COMPARED = ("final_class", "rfm_class")


@dataclass
class AlertDigests:
    """The alert digests of a period, written as one ``.eml`` per owner (:func:`write` is called by the runner)."""

    alerts: pd.DataFrame
    mail: MailSettings
    period_label: str
    as_of: pd.Timestamp
    written: list[Digest] = field(default_factory=list)

    def write(self, folder: Path) -> None:
        """One digest per owner into ``folder`` (an empty folder when nothing fired)."""
        columns = {
            c: LABELS.text("grading_report_column", c)
            for c in ("kind", "customer_name", "final_class", "contact_phone_masked", "reason", "action")
        }
        shown = LABELS.relabel(self.alerts, {"kind": "alert_kind", "final_class": "scorecard_class"})
        self.written = write_digests(
            shown,
            folder,
            owner_column="owner",
            recipients=self.mail.recipients,
            everyone=self.mail.everyone,
            columns=columns,
            subject=self.mail.subject.replace("{period}", self.period_label),
            intro=self.mail.intro.replace("{period}", self.period_label),
            sender=self.mail.sender,
            nobody=LABELS.text("grading_report_column", "all_owners"),
            date=self.as_of,
            group="kind",
            limit=self.mail.rows_per_kind,
            more=self.mail.more,
        )
        folder.mkdir(parents=True, exist_ok=True)


@dataclass
class GradingReportRun(ReadsCleanedData):
    """What stage 06 computed, for its outputs and its report.

    Attributes
    ----------
    table
        The consolidated grading table (:data:`helpers.grading_report.table.FINAL_COLUMNS`).
    kpis
        The KPI panel (:func:`helpers.grading_report.kpis.kpi_panel`).
    previous_label
        The period compared with (the previous one of the same kind).
    migrations
        Grading (``final_class``, ``rfm_class``) -> its migration; empty when the previous period was not run.
    alerts
        Every alert of the period (:data:`helpers.grading_report.alerts.ALERT_COLUMNS`).
    digests
        The digests to write (one per owner).
    """

    table: pd.DataFrame
    kpis: pd.DataFrame
    previous_label: str
    migrations: dict[str, Migration]
    alerts: pd.DataFrame
    digests: AlertDigests
    clv_verdict: str
    settings: GradingReportSettings
    inputs: Mapping[str, Any]
    period_label: str

    needs_orders = "the grading report's classes, KPIs and migration"

    @property
    def has_orders(self) -> bool:
        """Whether anyone was graded (a customer snapshot or a lead history grades nobody)."""
        return len(self.table) > 0

    @property
    def compared(self) -> bool:
        return bool(self.migrations)

    @property
    def warnings(self) -> list[str]:
        said = list(self.without_orders)
        if not self.compared:
            said.append(
                f"the previous period ({self.previous_label}) has not been run: there is nothing to compare this "
                "period with (run it first for the migration between periods)"
            )
        return said

    @property
    def outputs(self) -> dict[str, Any]:
        frames = [m.table.assign(classification=name) for name, m in self.migrations.items()]
        moved = (
            pd.concat(frames, ignore_index=True)[MIGRATION_COLUMNS]
            if frames
            else pd.DataFrame({c: pd.Series(dtype="object") for c in MIGRATION_COLUMNS})
        )
        return {
            "grading_final": self.table,
            "migration": moved,
            "alerts": self.alerts,
            "grading_report_workbook": grading_workbook(self),
            "alert_digests": self.digests,
        }


def locate_history(ctx: StageContext) -> Located:
    """The earlier periods' consolidated tables (same kind, newest first) found in ``data/processed/``."""
    settings: GradingReportSettings = ctx.section
    found: dict[str, Path] = {}
    for k in range(1, settings.history_periods + 1):
        label = ctx.period.shift(-k).label
        path = ctx.paths.folder("processed", label) / "grading_final.parquet"
        if path.is_file():
            found[label] = path
    return Located(found, tuple(found.values()))


def _class_counts(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    return (
        pd.DataFrame(
            {
                "previous": previous["final_class"].value_counts(),
                "current": current["final_class"].value_counts(),
            }
        )
        .reindex(list(CLASSES), fill_value=0)
        .fillna(0)
        .astype("int64")
    )


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> GradingReportRun:
    """The consolidated table, the KPI panel, migration from the previous period, and the alerts.

    Parameters
    ----------
    inputs
        Stage 01's ``customers`` and ``cleaning``; stage 02's ``indicators`` and ``kpis``; stage 03's ``grading``
        and ``clv``; stage 04's ``churn``; stage 05's ``growth``; ``history``: earlier periods' consolidated tables
        by period label.
    ctx
        The stage context (the ``grading_report`` settings).
    """
    settings: GradingReportSettings = ctx.section
    clv = inputs["clv"]
    verdict = clv["verdict"]["level"] if clv.get("fitted") else "not_fitted"
    churn = inputs.get("churn")
    table = grading_table(
        inputs["grading"],
        customers=inputs["customers"],
        indicators=inputs["indicators"],
        churn=churn,
        growth=inputs.get("growth"),
        clv_verdict=verdict,
        plans={k: v.model_dump() for k, v in settings.plans.items()},
    )
    history = {label: read_table(path) for label, path in (inputs.get("history") or {}).items()}
    previous_label = ctx.period.previous().label
    previous = history.get(previous_label)
    migrations = (
        {
            name: migration(previous, table, name, ladder=LADDER if name == "final_class" else ())
            for name in _COMPARED
            if name in previous
        }
        if previous is not None
        else {}
    )
    signals = (
        churn[["customer_id", "reasons", "rule_hits"]].astype({"customer_id": str})
        if churn is not None and len(churn)
        else None
    )
    graded = table.merge(signals, on="customer_id", how="left") if signals is not None else table
    alerts = collect_alerts(
        graded,
        moves=migrations["final_class"].moves if "final_class" in migrations else None,
        class_counts=_class_counts(previous, table) if previous is not None else None,
        key_classes=settings.alerts.key_classes,
        shrink_share=settings.alerts.shrink_share,
        actions=settings.alerts.actions,
        class_names=LABELS.texts("scorecard_class"),
    )
    clv_mean = {label: frame["clv"].astype("float64").mean() for label, frame in history.items()}
    clv_mean[ctx.period.label] = table["clv"].astype("float64").mean() if verdict != "not_fitted" else float("nan")
    kpis = kpi_panel(inputs["kpis"], settings.kpis, extra={"clv_mean": pd.Series(clv_mean, dtype="float64")})
    return GradingReportRun(
        table=table,
        kpis=kpis,
        previous_label=previous_label,
        migrations=migrations,
        alerts=alerts,
        digests=AlertDigests(alerts, settings.mail, ctx.period.label, ctx.period.as_of),
        clv_verdict=verdict,
        settings=settings,
        inputs=inputs,
        period_label=ctx.period.label,
    )


STAGE = Stage(
    number=6,
    name="grading_report",
    title_zh="客户分级报告",
    title_en="Customer grading report",
    question="Who are the customers, which class is each in, who is slipping, and what should each team do now?",
    question_zh="客户有哪些？各属于哪一级？谁在下滑？各团队现在该做什么？",
    inputs=(
        "customers",
        "indicators",
        "kpis",
        "grading",
        "clv",
        "churn",
        "growth",
        "cleaning",
        External(
            "history",
            "the consolidated grading tables of the earlier periods of the same kind in data/processed/",
            locate_history,
        ),
    ),
    outputs=(
        Output(
            "grading_final",
            "grading_final.parquet",
            "the consolidated grading table (客户分级管理分析表): every stage's answer per customer, the final class "
            "and its action and contact plan",
            row="customer graded by stage 03",
            columns=column_list(FINAL_COLUMNS)
            + ". `final_class`: stage 03's scorecard class (`core`, `important`, `ordinary`, `small`, `potential`; "
            "`not_available` without a plan); `clv_verdict`: stage 03's verdict on its lifetime-value model "
            "(`reliable`, `ranking_only`, `not_reliable`, `not_fitted`); `owner`, `churn_probability`, `risk_band` "
            "from stage 04 and `growth_value`, `top_item` from stage 05 (NA for customers they do not list); "
            "`action`, `contact`, `contact_frequency`, `contact_channel`: the final class's plan",
        ),
        Output(
            "migration",
            "migration.parquet",
            "migration between the previous period of the same kind and this one",
            row="from-class and to-class of one classification",
            columns=column_list(MIGRATION_COLUMNS)
            + ". `classification`: `final_class` or `rfm_class`; customers in both periods by from- and to-class, "
            "entrants with `from_class` `(new)`, leavers with `to_class` `(gone)`; `revenue`: this period's (a "
            "leaver's: the previous period's); empty when the previous period has not been run",
        ),
        Output(
            "alerts",
            "alerts.parquet",
            "everything that fired this period, with the customer, owner, reason and action",
            row="alert (a customer may have several)",
            columns=column_list(ALERT_COLUMNS)
            + ". `kind`: `churn_high`, `downgraded`, `early_warning`, `class_shrank` (the last names a class, no "
            "customer)",
        ),
        Output(
            "grading_report_workbook",
            "customer_grading_report_{period}.xlsx",
            "the grading report for the client's team: the grading table, the KPI panel, migration and alerts",
            place="reports",
            description_zh="给客户团队的客户分级报告：客户分级管理分析表、经营指标、客户迁移和预警",
        ),
        Output(
            "alert_digests",
            "alerts/",
            "an alert digest per account manager (one when the data name no owner) as an e-mail file (.eml, HTML "
            "and plain text); sent when a mail server is configured",
            place="reports",
        ),
    ),
    config_section="grading_report",
    settings=GradingReportSettings,
    compute=compute,
    deliver=deliver_digests,
)
