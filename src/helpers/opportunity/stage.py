"""Stage 05, opportunity scoring (销售机会评分): the declaration and the computation.

Every lead gets the expert score of domain §6 (:mod:`helpers.opportunity.expert`, weights and scales in
``config/opportunity.yaml``) and its tier; the score is checked against the won/lost history out of time
(:mod:`helpers.opportunity.history`), with the weights the history would suggest as advice. Open deals get a
calibrated win probability and expected value when the fitted model passes its test; the pipeline and the closed
deals are broken down by stage, owner, product and sector (:mod:`helpers.opportunity.deals`). Existing customers
get their growth opportunities, with stage 04's churn risk beside them (:mod:`helpers.opportunity.growth`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.core.catalog import Output, column_list
from helpers.opportunity.deals import expected_values, performance, pipeline
from helpers.opportunity.expert import expert_scores
from helpers.opportunity.growth import GROWTH_COLUMNS, growth_table
from helpers.opportunity.history import HistoryCheck, won_lost_check
from helpers.opportunity.report import opportunity_metrics, priority_workbook
from helpers.opportunity.settings import (
    FACTORS,
    OPPORTUNITY_FILE,
    OpportunityScore,
    OpportunitySettings,
    load_opportunity_score,
)
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import Stage
from helpers.segmentation.money import MoneyBasis, money_basis
from helpers.shared import ReadsCleanedData, lookback_start

__all__ = ["OPPORTUNITY_COLUMNS", "STAGE", "OpportunityRun", "compute"]

#: Lead columns carried into the opportunity table when the data have them.
_LEAD_COLUMNS = [
    "company_name",
    "industry_l1",
    "industry",
    "company_size",
    "owner",
    "source",
    "product",
    "stage",
    "outcome",
    "created_date",
    "closed_date",
    "budget",
    "deal_value",
]
#: Columns of the opportunity table, in order.
OPPORTUNITY_COLUMNS = [
    "lead_id",
    *_LEAD_COLUMNS,
    *[f"{f}_points" for f in FACTORS],
    "score",
    "coverage",
    "factors_missing",
    "tier",
    "action",
    "win_probability",
    "value_basis",
    "expected_value",
]


@dataclass
class OpportunityRun(ReadsCleanedData):
    """What stage 05 computed, for its outputs and its report.

    Attributes
    ----------
    table
        One row per lead (:data:`OPPORTUNITY_COLUMNS`): open leads first, best score first.
    scored
        The expert scores (shares of each factor's points, score, coverage, tier), index ``lead_id``.
    check
        The won/lost check (``None`` without a lead table).
    pipeline, performance
        The open deals by stage, owner, product and source; the closed deals' win rate and time to close by owner,
        sector, product and source (:mod:`helpers.opportunity.deals`).
    growth, growth_item
        Growth among existing customers (:data:`helpers.opportunity.growth.GROWTH_COLUMNS`), and what its
        suggestions name: ``category`` or ``product_id`` (None: no order lines, or neither column).
    score
        ``config/opportunity.yaml``; ``money``: how its budget amounts apply to the data's currency.
    """

    table: pd.DataFrame
    scored: pd.DataFrame
    check: HistoryCheck | None
    pipeline: pd.DataFrame
    performance: pd.DataFrame
    growth: pd.DataFrame
    growth_item: str | None
    score: OpportunityScore
    money: MoneyBasis
    settings: OpportunitySettings
    inputs: Mapping[str, Any]
    period_label: str

    @property
    def has_leads(self) -> bool:
        return self.inputs.get("leads") is not None

    #: What needs order lines here (said first on a customer snapshot).
    needs_orders = "growth among existing customers (co-purchase, share of wallet, trend)"

    @property
    def warnings(self) -> list[str]:
        """No lead table, no check, no win probability, values the score does not know: plain sentences."""
        if not self.has_leads:
            return ["the data hold no lead table: there are no leads to score"]
        said = []
        if self.scored["score"].isna().all():
            said.append(
                "no lead has any of the expert score's factors (company size, industry, budget, decision-maker "
                "contact): the leads get no expert score and no tier; map those columns to score them"
            )
        if self.check is not None and self.check.left_out:
            said.append(
                "the fitted model leaves out "
                + "; ".join(f"{c.replace('_', ' ')} ({why})" for c, why in self.check.left_out.items())
                + ": recorded when a deal closes, each would give the outcome away"
            )
        if self.check is not None and self.check.status != "ok":
            said.append(f"the expert score could not be checked against won/lost history: {self.check.reason}")
        elif self.check is not None and self.check.probability_reason:
            said.append(f"the open deals get no win probability: {self.check.probability_reason}")
        for factor, values in self.scored.attrs.get("unlisted", {}).items():
            shown = ", ".join(values[:5]) + (", …" if len(values) > 5 else "")
            said.append(
                f"{len(values)} {factor.replace('_', ' ')} value(s) the score does not list ({shown}): those leads "
                f"get no {factor.replace('_', ' ')} points and the factor drops out for them; add the values to "
                "the score's levels"
            )
        return said

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            "opportunities": self.table,
            "growth": self.growth,
            "opportunity_metrics": opportunity_metrics(self),
            "opportunity_priority": priority_workbook(self),
        }


def _table(
    leads: pd.DataFrame,
    scored: pd.DataFrame,
    score: OpportunityScore,
    settings: OpportunitySettings,
    probabilities: pd.Series,
) -> pd.DataFrame:
    """One row per lead: what it is, its points per factor, score, tier, action and expected value; open first,
    best first."""
    table = leads.assign(lead_id=leads["lead_id"].astype(str)).drop_duplicates("lead_id").set_index("lead_id")
    out = pd.DataFrame(index=scored.index)
    for column in _LEAD_COLUMNS:
        out[column] = table[column].reindex(scored.index) if column in table else pd.NA
    for factor in FACTORS:
        out[f"{factor}_points"] = scored[factor] * score.weights()[factor]
    for column in ("score", "coverage", "factors_missing", "tier"):
        out[column] = scored[column]
    out["action"] = out["tier"].map(settings.actions).astype("string")
    out = out.reset_index()
    out = pd.concat([out, expected_values(out, probabilities)], axis=1)
    out["_open"] = ~out["outcome"].isin(["won", "lost"])
    # equal scores (an expert score with few factors ties often): the likelier win first
    out = out.sort_values(
        ["_open", "score", "win_probability"], ascending=[False, False, False], na_position="last", kind="stable"
    )
    return out.reset_index(drop=True)[OPPORTUNITY_COLUMNS]


def _growth(inputs: Mapping[str, Any], ctx: StageContext) -> tuple[pd.DataFrame, str | None]:
    """Growth among existing customers over the window up to the as-of date (none without order lines)."""
    g = ctx.section.growth
    orders = inputs.get("orders")
    if orders is None or orders.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in GROWTH_COLUMNS}), None
    return growth_table(
        orders,
        inputs["customers"],
        inputs.get("churn"),
        start=lookback_start(ctx.period, g.window_days),
        end=ctx.period.end_exclusive,
        min_buyers=g.min_buyers,
        max_items=g.max_items,
        suggestions=g.suggestions,
        min_propensity=g.min_propensity,
        rising=g.rising,
        falling=g.falling,
        low_wallet_share=g.low_wallet_share,
        actions=g.actions,
    )


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> OpportunityRun:
    """Score every lead, check the score against won/lost history, and find growth among existing customers.

    Parameters
    ----------
    inputs
        Stage 01's ``leads`` (``None`` when the data have none), ``orders``, ``customers`` and ``cleaning``; stage
        04's ``churn``.
    ctx
        The stage context (the ``opportunity`` settings; ``config/opportunity.yaml``).
    """
    settings: OpportunitySettings = ctx.section
    score = load_opportunity_score(ctx.config_dir)
    cleaning = inputs["cleaning"]
    money = money_basis(score.currency, cleaning["reporting_currency"], cleaning.get("fx_to_reporting", {}))
    growth, growth_item = _growth(inputs, ctx)
    leads = inputs.get("leads")
    if leads is None:
        table = pd.DataFrame({c: pd.Series(dtype="object") for c in OPPORTUNITY_COLUMNS})
        scored, check = pd.DataFrame(), None
    else:
        scored = expert_scores(leads, score, fx=money.rate)
        check = won_lost_check(
            leads,
            scored,
            score.weights(),
            test_share=settings.check.test_share,
            min_deals=settings.check.min_deals,
            min_auc=settings.check.min_auc,
            seed=settings.check.seed,
        )
        table = _table(leads, scored, score, settings, check.probabilities)
    return OpportunityRun(
        table=table,
        scored=scored,
        check=check,
        pipeline=pipeline(table),
        performance=performance(table),
        growth=growth,
        growth_item=growth_item,
        score=score,
        money=money,
        settings=settings,
        inputs=inputs,
        period_label=ctx.period.label,
    )


STAGE = Stage(
    number=5,
    name="opportunity_scoring",
    title_zh="销售机会评分",
    title_en="Opportunity scoring",
    question="Which leads should sales follow first, does the expert score pick the deals that are won, and where "
    "can existing customers grow?",
    question_zh="销售应优先跟进哪些线索？专家评分能否选中赢单？老客户的增长空间在哪里？",
    inputs=("leads", "orders", "customers", "churn", "cleaning"),
    outputs=(
        Output(
            "opportunities",
            "opportunities.parquet",
            "the expert score, tier and suggested action of every lead",
            row="lead (open leads first, best score first, then the likelier win)",
            columns=column_list(OPPORTUNITY_COLUMNS)
            + ". `<factor>_points`: the points earned of the factor's weight (NaN when the data cannot say: the "
            "factor then drops out and the others are re-weighted); `score` 0–100; `coverage`: the share of the "
            "total weight the score rests on; `tier`: `priority` / `nurture` / `watch`; `industry_l1`: the sector; "
            "`win_probability` (0–1, calibrated; open deals, NaN when the fitted model failed its test or there is "
            "no history), `value_basis` (`deal_value`, or `budget` standing in for a missing deal value), "
            "`expected_value` (probability x that value, reporting currency); empty without a lead table",
        ),
        Output(
            "growth",
            "growth.parquet",
            "growth among existing customers: what they do not buy yet, share of wallet, trend, with churn risk",
            row="customer with net spend in the look-back window (those to retain first last, then by growth value)",
            columns=column_list(GROWTH_COLUMNS)
            + ". `spend`: net spend in the window (reporting currency); `items_bought`: categories (or products "
            "without categories) bought; `suggestions`: the best items not bought yet (as many as configured) "
            "with their propensity (the share of the buyers of something the customer buys who buy it), "
            "`; `-separated; `top_item`, "
            "`top_propensity`, `because` (the item bought behind the best suggestion); `cross_sell_value`: per "
            "suggestion, its propensity x s / (1 − s) x the customer's spend, s the median share of the item in its "
            "buyers' spend; `spend_recent` / `spend_before`: the "
            "window's later and earlier half, `trend` their ratio − 1, `rising`; `wallet`, `wallet_share`, "
            "`wallet_gap` (NaN unless the customer table maps `wallet`); `growth_value`: cross-sell value + wallet "
            "gap; `churn_probability`, `risk_band`, `owner` from stage 04; `retain_first`: high churn risk, or (where "
            "stage 04 gave no score) spend in the later half down by the configured share or more; `action`: the "
            "first of retain first / cross-sell / share of wallet / rising / maintain that applies; empty without "
            "order lines",
        ),
        Output(
            "opportunity_metrics",
            "opportunity_metrics.json",
            "the expert score checked against won/lost history, out of time, and the weights the history suggests",
            columns="`status` (`ok`, `no_history`, `no_leads`), `reason`, `expert_auc`, `model_auc` (on the same "
            "held-out deals), `evaluation` (`test_from`: the first closing date of the test deals; `sizes`: deals "
            "and wins of the training and test deals), `win_rates` (per tier: deals, wins and win rate, test deals "
            "and all closed), `weights` (per factor: `current`, `suggested` of 100, `log_odds_per_full_points`), "
            "`calibration` (the fitted model on the test deals: `brier`, `base_brier`, `predicted`, `observed` win "
            "rate), `win_probability` (`given`, or the reason the open deals got none), `open_deals` (`deals`, "
            "`value`, `expected_value`), `growth` (`customers`, `with_suggestions`, `items`: `category` or "
            "`product_id`, `retain_first`), `tiers`, `currency`",
        ),
        Output(
            "opportunity_priority",
            "opportunity_priority_{period}.xlsx",
            "the priority table for the sales team: every lead's points, score, tier, action, win "
            "probability and expected value; the history check, the weights, the pipeline, the win rates and the "
            "growth list",
            place="reports",
            description_zh=(
                "给销售团队的销售机会优先级表：每条线索的得分、等级、行动、赢单概率和预期价值；历史检验、权重、"
                "销售漏斗、赢单率和老客户增长清单"
            ),
        ),
    ),
    config_section="opportunity",
    settings=OpportunitySettings,
    config_files=(OPPORTUNITY_FILE,),
    compute=compute,
)
