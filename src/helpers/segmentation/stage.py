"""Stage 03, RFM segmentation and customer value (RFM客户分层与价值分级): the declaration and the computation.

The eight RFM classes, the value / behaviour / needs / satisfaction gradings,
lifetime value (the purchase model chosen by its holdout check + Gamma-Gamma) and
its verdict, the value matrix and the multi-factor scorecard with the
consultant's manual sheet — one call. When the verdict says CLV is not reliable,
the value matrix, the potential class and the projected-sales factor use the
stated fallback rule instead (:func:`helpers.segmentation.clv.clv_use`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from helpers.core.catalog import Output, column_list
from helpers.core.mapping import IdRules
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import External, Located, Param, Stage
from helpers.segmentation.clv import ClvUse, PeriodClv, clv_use, period_clv, use_compile_cache
from helpers.segmentation.grading_table import GRADING_COLUMNS, grading_table
from helpers.segmentation.gradings import (
    behaviour_state,
    needs_signals,
    needs_type,
    satisfaction_class,
    value_matrix,
    value_tier,
)
from helpers.segmentation.manual_input import ManualTemplate, find_manual_input, read_manual_input
from helpers.segmentation.money import money_basis
from helpers.segmentation.report import (
    churned_potential_sentence,
    clv_record,
    clv_verdict_sentence,
    grading_workbook,
    params_frame,
    template_customers,
    template_headers,
)
from helpers.segmentation.rfm import SUMMARY_COLUMNS, rfm_segments, segment_summary
from helpers.segmentation.scorecard import (
    churned_potential,
    factor_levels,
    pyramid_check,
    scorecard_classes,
    scorecard_inputs,
    scorecard_scores,
)
from helpers.segmentation.settings import SCORECARD_FILE, Scorecard, SegmentationSettings, load_scorecard
from helpers.shared import ReadsCleanedData

__all__ = ["STAGE", "SegmentationRun", "compute", "locate_manual_sheet"]


@dataclass
class SegmentationRun(ReadsCleanedData):
    """Everything stage 03 computed, for its outputs and its report.

    Attributes
    ----------
    segments, summary
        RFM scores and classes per customer; the segment summary (index ``rfm_class``, plus ``total``).
    gradings
        Grading name -> Series (``value_tier``, ``behaviour_state``, ``needs_type``, ``satisfaction_class``).
    clv
        The lifetime-value fit, predictions, model comparison, holdout check and verdict of the period.
    use
        What fed the value matrix and the projected-sales factor: CLV or the fallback rule.
    matrix
        The value-matrix class per customer.
    scorecard, manual_path, manual
        The scorecard config, the manual sheet read (or ``None``) and its levels.
    levels, scores, classes, pyramid
        Factor levels, scores, classes and the pyramid check.
    grades
        The grading table: one row per graded customer.
    indicators, inputs
        Stage 02's indicators (index ``customer_id``) and every input read.
    compile_cache
        The PyTensor compile folder in use.
    """

    segments: pd.DataFrame
    summary: pd.DataFrame
    gradings: dict[str, pd.Series]
    clv: PeriodClv
    use: ClvUse
    matrix: pd.Series
    scorecard: Scorecard
    manual_path: Path | None
    manual: pd.DataFrame | None
    levels: pd.DataFrame
    scores: pd.DataFrame
    classes: pd.DataFrame
    pyramid: pd.DataFrame
    grades: pd.DataFrame
    indicators: pd.DataFrame
    inputs: Mapping[str, Any]
    needs_orders: ClassVar[str] = "RFM classes, value gradings, lifetime value and the scorecard"
    period_label: str
    compile_cache: Path

    @property
    def warnings(self) -> list[str]:
        """CLV that cannot be used as it is, and churned customers graded potential: plain sentences."""
        if not self.has_orders:  # a customer snapshot: one sentence says it all
            return self.without_orders
        said = [] if self.clv.verdict.in_money else [clv_verdict_sentence(self.clv, self.use)]
        churned = churned_potential_sentence(self.grades)
        return said + ([churned] if churned else [])

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            "grading": self.grades,
            "scorecard_levels": self.levels.rename_axis("customer_id").reset_index(),
            "segment_summary": self.summary.rename_axis("rfm_class").reset_index(),
            "clv_params": params_frame(self.clv),
            "clv": clv_record(self.clv, self.use),
            "grading_workbook": grading_workbook(self),
            "scorecard_manual_template": self.manual_template(),
        }

    def manual_template(self) -> ManualTemplate:
        """This period's manual input sheet: every graded customer, pre-filled with the levels read."""
        customers = template_customers(self.grades)
        return ManualTemplate(
            customers,
            self.scorecard,
            period_label=self.period_label,
            existing=self.manual,
            context_columns=template_headers(customers, self.currency),
        )


def locate_manual_sheet(ctx: StageContext) -> Located:
    """The consultant's filled-in scorecard sheet: the ``scorecard_input`` parameter, else the usual places."""
    given = ctx.params.get("scorecard_input") or ""
    path = Path(given) if given else find_manual_input(ctx.paths.root, ctx.params.get("data"), ctx.period.label)
    if path is None:
        return Located(None)
    return Located(path, (path,))


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> SegmentationRun:
    """Grade every customer who bought up to the as-of date.

    Parameters
    ----------
    inputs
        Stage 01's ``orders``, ``customers``, ``cleaning`` and optional ``products`` / ``payments``;
        stage 02's ``indicators``; ``scorecard_manual``: the manual sheet's path or ``None``.
    ctx
        The stage context (period, ``analysis`` and ``segmentation`` settings, config folder).

    Raises
    ------
    DataValidationError
        A manual sheet with an unknown customer, a repeated id or a level outside 1-4.
    """
    settings: SegmentationSettings = ctx.section
    # Before PyMC is imported: compiled models are reused across runs.
    cache = use_compile_cache(ctx.paths.root, settings.clv.compile_cache)
    orders = inputs["orders"]
    indicators = inputs["indicators"].set_index("customer_id")
    lookback = ctx.analysis.lookback_days

    cleaning = inputs["cleaning"]
    currency, rates = cleaning["reporting_currency"], cleaning.get("fx_to_reporting", {})
    segments = rfm_segments(indicators, settings.rfm, money_basis(settings.rfm.currency, currency, rates))
    graded = indicators.reindex(segments.index)
    signals = needs_signals(orders, inputs.get("products"), ctx.period, lookback, customers=segments.index)
    g = settings.gradings
    gradings = {
        "value_tier": value_tier(graded, g.value_tier),
        "behaviour_state": behaviour_state(graded, g.behaviour),
        "needs_type": needs_type(signals, g.needs),
        "satisfaction_class": satisfaction_class(graded, g.satisfaction),
    }

    clv = period_clv(orders, ctx.period.as_of, settings.clv)
    # Not reliable: a stated rule instead of CLV (the report says so first); ranking only: CLV orders, no money.
    use = clv_use(
        clv.predictions,
        clv.verdict,
        graded["monetary"],
        gradings["behaviour_state"],
        settings.clv.fallback,
        settings.value_matrix.cut,
    )
    matrix = value_matrix(use.future_value, indicators["gross_profit"].reindex(segments.index), settings.value_matrix)

    scorecard = load_scorecard(ctx.config_dir)
    manual_path = inputs.get("scorecard_manual")
    id_rules = IdRules(**cleaning.get("ids", {}))
    manual = read_manual_input(manual_path, scorecard, segments.index, id_rules) if manual_path else None
    table = scorecard_inputs(
        indicators,
        segments.index,
        orders=orders,
        period=ctx.period,
        lookback_days=lookback,
        projected_sales=use.projected_sales,
        value_matrix=matrix,
        customers=inputs["customers"],
        payments=inputs.get("payments"),
    )
    levels = factor_levels(table, scorecard, manual, money_basis(scorecard.currency, currency, rates))
    scores = scorecard_scores(levels, scorecard)
    classes = scorecard_classes(scores, levels, matrix, scorecard)
    warned = churned_potential(gradings["behaviour_state"], classes["scorecard_class"])
    grades = grading_table(
        segments,
        pd.DataFrame(gradings),
        clv.predictions.reindex(segments.index).assign(fallback_value=use.fallback),
        matrix,
        scores.join(classes).assign(churned_potential=warned),
        indicators,
        inputs["customers"],
        settings.rfm.actions,
    )
    return SegmentationRun(
        segments=segments,
        summary=segment_summary(segments),
        gradings=gradings,
        clv=clv,
        use=use,
        matrix=matrix,
        scorecard=scorecard,
        manual_path=manual_path,
        manual=manual,
        levels=levels,
        scores=scores,
        classes=classes,
        pyramid=pyramid_check(classes, scorecard),
        grades=grades,
        indicators=indicators,
        inputs=inputs,
        period_label=ctx.period.label,
        compile_cache=cache,
    )


STAGE = Stage(
    number=3,
    name="rfm_segmentation",
    title_zh="RFM客户分层与价值分级",
    title_en="RFM segmentation and customer value",
    question="Which class is each customer in, what are they worth over the next months, and how do they score?",
    question_zh="每位客户属于哪一级？未来几个月价值多少？评分如何？",
    inputs=(
        "orders",
        "customers",
        "products",
        "payments",
        "cleaning",
        "indicators",
        External(
            "scorecard_manual",
            "the consultant's filled-in scorecard sheet of the period (optional)",
            locate_manual_sheet,
        ),
    ),
    outputs=(
        Output(
            "grading",
            "grading.parquet",
            "every grading of every customer, side by side",
            row="customer with a sale up to the as-of date",
            columns=(
                column_list(list(GRADING_COLUMNS)) + ". Class columns hold keys (labels in the label registry): "
                "`rfm_class` (an RFM class), `value_tier`, `behaviour_state`, `needs_type`, `satisfaction_class`, "
                "`value_matrix` (`not_available` when the data lack the signal), `scorecard_class` and "
                "`score_tier`; `rfm_class_source` is `cut` or the override rule's name; `clv` is NaN when the "
                "CLV model could not be fitted, and is kept when its verdict is not reliable, but then "
                "`fallback_value` (last year's net spend x a weight by behaviour state) is what fed "
                "`value_matrix` and the projected-sales factor; `churned_potential` is true for a customer "
                "graded potential who is churned by behaviour"
            ),
        ),
        Output(
            "scorecard_levels",
            "scorecard_levels.parquet",
            "the 1–4 level of every scorecard factor",
            row="graded customer",
            columns="`customer_id` and one Int64 column (1–4, NA = not available) per factor key of "
            "`config/scorecard.yaml`",
        ),
        Output(
            "segment_summary",
            "segment_summary.parquet",
            "customers, revenue and typical R/F/M per RFM class",
            row="RFM class, plus `total`",
            columns=column_list(["rfm_class", *SUMMARY_COLUMNS]),
        ),
        Output(
            "clv_params",
            "clv_params.parquet",
            "the fitted parameters of the chosen lifetime-value models",
            row="model parameter",
            columns="`model` (the chosen purchase model: `BG/NBD`, `MBG/NBD` or `Pareto/NBD`; and `Gamma-Gamma`), "
            "`parameter`, `value` (MAP, or posterior mean), `low`/`high` (94% interval, MCMC only)",
        ),
        Output(
            "clv",
            "clv.json",
            "the lifetime-value fit, the model comparison, the holdout check and the verdict",
            columns="`fitted`, `notes`, `verdict` (`level`: `reliable`, `ranking_only` or `not_reliable`; "
            "`checked`: false without a holdout check; `reasons`), `uses` (what fed the value matrix and "
            "the projected-sales factor: `clv`/`projected_sales` or `fallback_value`), `comparison` (per "
            "candidate model: holdout errors, dropout, verdict, `chosen`), `model`, `method`, `time_unit`, "
            "`log_likelihood`, `customers`, `repeat_customers`, `params`, `validation` (holdout error figures)",
        ),
        Output(
            "grading_workbook",
            "customer_grading_{period}.xlsx",
            "the grading table for consultants: labels, scores, actions, summaries and the CLV model",
            place="reports",
            description_zh="给顾问的客户分级管理分析表：各项分级、评分、行动、汇总和客户生命周期价值模型",
        ),
        Output(
            "scorecard_manual_template",
            "scorecard_manual_template_{period}.xlsx",
            "the scorecard's manual input sheet for this period, pre-filled with what was read",
            place="reports",
            description_zh="本期评分卡的人工录入表，已预填读到的内容",
        ),
    ),
    config_section="segmentation",
    settings=SegmentationSettings,
    config_files=(SCORECARD_FILE,),
    params=(
        Param(
            "scorecard_input",
            "",
            "a filled-in manual scorecard sheet (default: data/manual/scorecard_<period>.xlsx, then <data>/manual/)",
            path=True,
        ),
    ),
    compute=compute,
)
