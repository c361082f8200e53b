"""Stage 05, opportunity scoring (销售机会评分): the declaration and the computation.

Every lead gets the expert score of domain §6 (:mod:`helpers.opportunity.expert`, weights and scales in
``config/opportunity.yaml``) and its tier; the score is checked against the won/lost history out of time
(:mod:`helpers.opportunity.history`), with the weights the history would suggest as advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.core.catalog import Output, column_list
from helpers.opportunity.expert import expert_scores
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
from helpers.shared import ReadsCleanedData

__all__ = ["OPPORTUNITY_COLUMNS", "STAGE", "OpportunityRun", "compute"]

#: Lead columns carried into the opportunity table when the data have them.
_LEAD_COLUMNS = [
    "company_name",
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
    score
        ``config/opportunity.yaml``; ``money``: how its budget amounts apply to the data's currency.
    """

    table: pd.DataFrame
    scored: pd.DataFrame
    check: HistoryCheck | None
    score: OpportunityScore
    money: MoneyBasis
    settings: OpportunitySettings
    inputs: Mapping[str, Any]
    period_label: str

    @property
    def has_leads(self) -> bool:
        return self.inputs.get("leads") is not None

    @property
    def warnings(self) -> list[str]:
        """No lead table, no check, values the score does not know: plain sentences."""
        if not self.has_leads:
            return ["the data hold no lead table: there are no leads to score"]
        said = []
        if self.check is not None and self.check.status != "ok":
            said.append(f"the expert score could not be checked against won/lost history: {self.check.reason}")
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
            "opportunity_metrics": opportunity_metrics(self),
            "opportunity_priority": priority_workbook(self),
        }


def _table(leads: pd.DataFrame, scored: pd.DataFrame, score: OpportunityScore, settings: OpportunitySettings):
    """One row per lead: what it is, its points per factor, score, tier and action; open first, best first."""
    table = leads.assign(lead_id=leads["lead_id"].astype(str)).drop_duplicates("lead_id").set_index("lead_id")
    out = pd.DataFrame(index=scored.index)
    for column in _LEAD_COLUMNS:
        out[column] = table[column].reindex(scored.index) if column in table else pd.NA
    for factor in FACTORS:
        out[f"{factor}_points"] = scored[factor] * score.weights()[factor]
    for column in ("score", "coverage", "factors_missing", "tier"):
        out[column] = scored[column]
    out["action"] = out["tier"].map(settings.actions).astype("string")
    out["_open"] = ~out["outcome"].isin(["won", "lost"])
    out = out.sort_values(["_open", "score"], ascending=[False, False], na_position="last", kind="stable")
    return out.drop(columns="_open").reset_index()[OPPORTUNITY_COLUMNS]


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> OpportunityRun:
    """Score every lead with the expert score and check it against the won/lost history.

    Parameters
    ----------
    inputs
        Stage 01's ``leads`` (``None`` when the data have none) and ``cleaning``.
    ctx
        The stage context (the ``opportunity`` settings; ``config/opportunity.yaml``).
    """
    settings: OpportunitySettings = ctx.section
    score = load_opportunity_score(ctx.config_dir)
    cleaning = inputs["cleaning"]
    money = money_basis(score.currency, cleaning["reporting_currency"], cleaning.get("fx_to_reporting", {}))
    leads = inputs.get("leads")
    if leads is None:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in OPPORTUNITY_COLUMNS})
        return OpportunityRun(empty, pd.DataFrame(), None, score, money, settings, inputs, ctx.period.label)
    scored = expert_scores(leads, score, fx=money.rate)
    check = won_lost_check(
        leads,
        scored,
        score.weights(),
        test_share=settings.check.test_share,
        min_deals=settings.check.min_deals,
        seed=settings.check.seed,
    )
    table = _table(leads, scored, score, settings)
    return OpportunityRun(table, scored, check, score, money, settings, inputs, ctx.period.label)


STAGE = Stage(
    number=5,
    name="opportunity_scoring",
    title_zh="销售机会评分",
    title_en="Opportunity scoring",
    question="Which leads should sales follow first, and does the expert score pick the deals that are won?",
    inputs=("leads", "cleaning"),
    outputs=(
        Output(
            "opportunities",
            "opportunities.parquet",
            "the expert score, tier and suggested action of every lead",
            row="lead (open leads first, best score first)",
            columns=column_list(OPPORTUNITY_COLUMNS)
            + ". `<factor>_points`: the points earned of the factor's weight (NaN when the data cannot say: the "
            "factor then drops out and the others are re-weighted); `score` 0–100; `coverage`: the share of the "
            "total weight the score rests on; `tier`: `priority` / `nurture` / `watch`; empty without a lead table",
        ),
        Output(
            "opportunity_metrics",
            "opportunity_metrics.json",
            "the expert score checked against won/lost history, out of time, and the weights the history suggests",
            columns="`status` (`ok`, `no_history`, `no_leads`), `reason`, `expert_auc`, `model_auc` (on the same "
            "held-out deals), `evaluation` (`test_from`: the first closing date of the test deals; `sizes`: deals "
            "and wins of the training and test deals), `win_rates` (per tier: deals, wins and win rate, test deals "
            "and all closed), `weights` (per factor: `current`, `suggested` of 100, `log_odds_per_full_points`), "
            "`tiers`, `currency`",
        ),
        Output(
            "opportunity_priority",
            "opportunity_priority_{period}.xlsx",
            "the priority table for the sales team (销售机会优先级表): every lead's points, score, tier and action",
            place="reports",
        ),
    ),
    config_section="opportunity",
    settings=OpportunitySettings,
    config_files=(OPPORTUNITY_FILE,),
    compute=compute,
)
