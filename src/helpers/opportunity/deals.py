"""The open pipeline and the closed deals: expected value, the pipeline by stage, owner, product and source, and the
win rate and time to close by owner, sector, product and source.

Expected value is the calibrated win probability (:mod:`helpers.opportunity.history`) times the deal's value; an
open deal without a deal value (or with 0, which CRMs write for "not known yet") has its stated budget stand in, and
the table says which was used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PERFORMANCE_BY", "PIPELINE_BY", "expected_values", "performance", "pipeline", "sector"]

#: Columns the open pipeline is broken down by, when the leads table holds them.
PIPELINE_BY = ("stage", "owner", "product", "source")
#: Columns the closed deals' win rate and time to close are broken down by, when the leads table holds them.
PERFORMANCE_BY = ("owner", "sector", "product", "source")


def sector(leads: pd.DataFrame) -> pd.Series:
    """The lead's sector: the taxonomy's first level, else the industry as the CRM writes it (an English CRM's
    sectors are not in the Chinese taxonomy, and are still sectors)."""
    listed = leads["industry_l1"] if "industry_l1" in leads else pd.Series(pd.NA, index=leads.index)
    written = leads["industry"] if "industry" in leads else pd.Series(pd.NA, index=leads.index)
    return listed.astype("string").fillna(written.astype("string"))


def expected_values(table: pd.DataFrame, probabilities: pd.Series) -> pd.DataFrame:
    """The win probability, the value it applies to and the expected value of every open deal.

    Parameters
    ----------
    table
        One row per lead with ``lead_id``, ``outcome``, ``deal_value`` and ``budget``.
    probabilities
        Calibrated win probability per open deal (index ``lead_id``); empty when the model gives none.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``table``: ``win_probability`` (NaN for closed deals and without a model), ``value_basis``
        (``deal_value`` / ``budget`` / NA), ``expected_value`` (probability x that value).
    """
    open_ = ~table["outcome"].isin(["won", "lost"])
    probability = table["lead_id"].astype(str).map(probabilities).astype("float64").where(open_)
    deal, budget = table["deal_value"].astype("float64"), table["budget"].astype("float64")
    deal = deal.where(deal > 0)  # a CRM writes 0 for "not known yet" (as the budget factor reads it)
    value = deal.fillna(budget)
    basis = pd.Series(
        np.where(deal.notna(), "deal_value", np.where(budget.notna(), "budget", None)), index=table.index
    ).astype("string")
    return pd.DataFrame(
        {
            "win_probability": probability,
            "value_basis": basis.where(open_),
            "expected_value": (probability * value).where(open_),
        },
        index=table.index,
    )


def _present(table: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """The columns of ``columns`` the table holds with at least two distinct values (one value says nothing)."""
    return [c for c in columns if c in table and table[c].nunique(dropna=True) >= 2]


def pipeline(table: pd.DataFrame) -> pd.DataFrame:
    """The open deals by each of :data:`PIPELINE_BY` the data hold.

    Returns
    -------
    pandas.DataFrame
        Index (``by``, ``level``), largest pipeline value first within each ``by``: ``deals``, ``value`` (deal value,
        budget standing in), ``expected_value``, ``win_probability`` (mean). Empty when no column has two values.
    """
    open_ = table.loc[~table["outcome"].isin(["won", "lost"])]
    deal = open_["deal_value"].astype("float64")
    value = deal.where(deal > 0).fillna(open_["budget"].astype("float64"))
    parts = {}
    for by in _present(open_, PIPELINE_BY):
        level = open_[by].astype("string").fillna("—")
        part = pd.DataFrame(
            {
                "deals": level.groupby(level).size(),
                "value": value.groupby(level).sum(min_count=1),
                "expected_value": open_["expected_value"].groupby(level).sum(min_count=1),
                "win_probability": open_["win_probability"].groupby(level).mean(),
            }
        )
        parts[by] = part.sort_values(["value", "deals"], ascending=False, na_position="last")
    if not parts:
        return pd.DataFrame(columns=["deals", "value", "expected_value", "win_probability"])
    return pd.concat(parts, names=["by", "level"])


def performance(table: pd.DataFrame) -> pd.DataFrame:
    """The closed deals' win rate and days to close by each of :data:`PERFORMANCE_BY` the data hold, and overall.

    Days to close run from ``created_date`` to ``closed_date``; a deal missing either does not count in them.

    Returns
    -------
    pandas.DataFrame
        Index (``by``, ``level``; ``by`` = ``all`` first): ``deals``, ``wins``, ``win_rate``, ``days_to_win``
        (median over won deals), ``days_to_close`` (median over every closed deal), ``won_value`` (deal value of the
        won deals). Empty without closed deals.
    """
    closed = table.loc[table["outcome"].isin(["won", "lost"])]
    closed = closed.assign(sector=sector(closed))
    columns = ["deals", "wins", "win_rate", "days_to_win", "days_to_close", "won_value"]
    if closed.empty:
        return pd.DataFrame(columns=columns)
    won = closed["outcome"].eq("won")
    days = (closed["closed_date"] - closed["created_date"]).dt.days.astype("float64")
    won_value = closed["deal_value"].astype("float64").where(won)

    def by(level: pd.Series) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "deals": level.groupby(level).size(),
                "wins": won.groupby(level).sum(),
                "win_rate": won.groupby(level).mean(),
                "days_to_win": days.where(won).groupby(level).median(),
                "days_to_close": days.groupby(level).median(),
                "won_value": won_value.groupby(level).sum(min_count=1),
            }
        )

    parts = {"all": by(pd.Series("all", index=closed.index))}
    for column in _present(closed, PERFORMANCE_BY):
        parts[column] = by(closed[column].astype("string").fillna("—")).sort_values("deals", ascending=False)
    return pd.concat(parts, names=["by", "level"])[columns]
