"""The expert opportunity score (domain §6): each lead's points per factor, the 100-point score and its tier.

:func:`sub_scores` reads the share of each factor's points a lead earns from stage 01's leads table;
:func:`expert_scores` weighs them with :func:`helpers.scoring.weighted_score` — the engine the stage 03 scorecard
uses — and sets the tier. A factor the data cannot give for a lead (no size written, a size the settings do not
list, no budget) drops out for that lead and the others are re-weighted; ``factors_missing`` says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.validation import require_columns
from helpers.opportunity.settings import FACTORS, TIERS, LevelFactor, OpportunityScore, Tiers
from helpers.scoring import SCORE_COLUMNS, weighted_score

__all__ = ["EXPERT_COLUMNS", "expert_scores", "opportunity_tiers", "sub_scores"]

#: Columns of :func:`expert_scores`: each factor's share of its points (0–1), then the score's.
EXPERT_COLUMNS = [*FACTORS, *SCORE_COLUMNS, "tier"]


def _levels(values: pd.Series, factor: LevelFactor) -> tuple[pd.Series, list[str]]:
    """Each value's share of the points (NaN when blank or not listed), and the values not listed."""
    text = values.astype("string")
    distinct = text.dropna().unique()
    shares = {v: factor.share(v) for v in distinct}
    points = text.map(lambda v: np.nan if pd.isna(v) or shares[v] is None else shares[v]).astype("float64")
    return points, sorted(str(v) for v, s in shares.items() if s is None)


def _industry(leads: pd.DataFrame, score: OpportunityScore) -> pd.Series:
    factor = score.factors.industry_match
    industry = leads["industry"].astype("string") if "industry" in leads else pd.Series(pd.NA, index=leads.index)
    targets = set(factor.target_industries)
    sectors = {t.split("-", 1)[0] for t in targets}
    sector = industry.str.split("-", n=1).str[0]
    points = np.select(
        [industry.isin(targets).fillna(False).to_numpy(), sector.isin(sectors).fillna(False).to_numpy()],
        [1.0, factor.same_sector],
        default=factor.other,
    )
    return pd.Series(points, index=leads.index).where(industry.notna().to_numpy())


def _budget(leads: pd.DataFrame, score: OpportunityScore, fx: float | None) -> pd.Series:
    factor = score.factors.budget
    nothing = pd.Series(np.nan, index=leads.index)
    if "budget" not in leads:
        return nothing
    budget = pd.to_numeric(leads["budget"], errors="coerce").astype("float64")
    deal = pd.to_numeric(leads.get("deal_value", nothing), errors="coerce").astype("float64")
    size = leads.get("company_size", pd.Series(pd.NA, index=leads.index)).astype("string")
    typical = size.map(lambda s: np.nan if pd.isna(s) else factor.typical(s)).astype("float64")
    against = deal.where(deal > 0, typical * fx if fx else np.nan)
    ratio = budget / against
    points = np.full(len(ratio), np.nan)
    for band in reversed(factor.bands):  # lowest first, so the highest band met is the last written
        points = np.where(ratio.to_numpy() >= band.ratio, band.points, points)
    return pd.Series(points, index=leads.index).where(budget.notna() & against.notna())


def sub_scores(leads: pd.DataFrame, score: OpportunityScore, *, fx: float | None) -> pd.DataFrame:
    """The share of each factor's points each lead earns (0–1; NaN where the data cannot say).

    Parameters
    ----------
    leads
        Stage 01's leads table (``lead_id``; ``company_size``, ``industry``, ``budget``, ``deal_value``,
        ``decision_maker`` when the data have them; amounts in the reporting currency).
    score
        ``config/opportunity.yaml``.
    fx
        Units of the reporting currency per unit of the score's currency (for the typical budgets), None when
        unknown: then a budget is judged against the lead's deal value only.

    Returns
    -------
    pd.DataFrame
        Index ``lead_id``; one column per factor of :data:`~helpers.opportunity.settings.FACTORS`.
        ``attrs["unlisted"]``: factor -> the written values the settings do not list (their leads get no points
        for that factor, and the factor drops out for them).
    """
    require_columns(leads, ["lead_id"], "leads")
    blank = pd.Series(pd.NA, index=leads.index, dtype="string")
    size, size_unlisted = _levels(leads.get("company_size", blank), score.factors.company_size)
    decision, decision_unlisted = _levels(leads.get("decision_maker", blank), score.factors.decision_maker)
    out = pd.DataFrame(
        {
            "company_size": size,
            "industry_match": _industry(leads, score),
            "budget": _budget(leads, score, fx),
            "decision_maker": decision,
        }
    )
    out.index = pd.Index(leads["lead_id"].astype(str), name="lead_id")
    out.attrs["unlisted"] = {
        name: values
        for name, values in (("company_size", size_unlisted), ("decision_maker", decision_unlisted))
        if values
    }
    return out


def opportunity_tiers(score: pd.Series, tiers: Tiers) -> pd.Series:
    """The tier of each score: ``priority`` (≥ the priority threshold), ``nurture``, ``watch``; NA without one."""
    values = pd.to_numeric(score, errors="coerce").to_numpy(dtype="float64")
    tier = np.select([values >= tiers.priority, values >= tiers.nurture], list(TIERS[:2]), default=TIERS[2])
    return pd.Series(tier, index=score.index, dtype="string").where(~np.isnan(values))


def expert_scores(leads: pd.DataFrame, score: OpportunityScore, *, fx: float | None) -> pd.DataFrame:
    """Each lead's sub-scores, expert score (0–100, re-weighted over the factors it has) and tier.

    Returns
    -------
    pd.DataFrame
        Index ``lead_id``; :data:`EXPERT_COLUMNS`. ``attrs["unlisted"]`` as :func:`sub_scores`.
    """
    shares = sub_scores(leads, score, fx=fx)
    scored = weighted_score(shares, score.weights())
    out = pd.concat([shares, scored], axis=1)
    out["tier"] = opportunity_tiers(out["score"], score.tiers)
    out.attrs["unlisted"] = shares.attrs["unlisted"]
    return out[EXPERT_COLUMNS]
