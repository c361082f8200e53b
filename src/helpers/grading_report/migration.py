"""Migration between periods (客户迁移): how customers moved between classes from the previous period to this one.

Customers graded in both periods fill the transition matrix (from-class x to-class), which conserves them: its
total is exactly the customers present in both. Entrants (graded now, not before) and leavers (graded before, not
now) are counted apart, never mixed into the matrix. The revenue behind each cell is this period's revenue of its
customers (a leaver's is last period's: what left with them).

Classes are ranked by a ladder, best first (core, important, ordinary, small): a move of more than one rung is
listed customer by customer. A class off the ladder (potential) has no rank: moves to or from it are in the
matrix but are neither up nor down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ENTRANT", "LEAVER", "Migration", "migration"]

#: The from-class of entrants and the to-class of leavers in the long table.
ENTRANT, LEAVER = "(new)", "(gone)"


@dataclass
class Migration:
    """How the customers moved between two periods' classes.

    Attributes
    ----------
    matrix
        Customers present in both periods: from-class (rows) x to-class (columns), every class of both periods.
    revenue
        This period's revenue of the same customers, by the same cells.
    entrants, leavers
        Per class: ``customers`` and ``revenue`` of those graded only now / only before.
    moves
        Every customer whose class changed: ``customer_id``, ``from_class``, ``to_class``, ``steps`` (positive = up;
        NA to or from a class off the ladder), ``revenue`` (this period's), ``previous_revenue``; falls first.
    movers
        The moves of more than one rung of the ladder.
    table
        The long form written as ``migration.parquet``: ``from_class``, ``to_class``, ``customers``, ``revenue``,
        entrants with from-class :data:`ENTRANT`, leavers with to-class :data:`LEAVER`.
    """

    matrix: pd.DataFrame
    revenue: pd.DataFrame
    entrants: pd.DataFrame
    leavers: pd.DataFrame
    moves: pd.DataFrame
    table: pd.DataFrame

    @property
    def movers(self) -> pd.DataFrame:
        return self.moves.loc[self.moves["steps"].abs() > 1].reset_index(drop=True)


def _by_customer(frame: pd.DataFrame, column: str, revenue: str, which: str) -> pd.DataFrame:
    """One row per customer: class and revenue (a duplicated id is an error, not a silent pick)."""
    missing = [c for c in ("customer_id", column, revenue) if c not in frame]
    if missing:
        raise ValueError(f"the {which} grading lacks column(s) {', '.join(missing)}")
    duplicated = frame["customer_id"].duplicated()
    if duplicated.any():
        raise ValueError(
            f"the {which} grading lists customer {frame.loc[duplicated, 'customer_id'].iat[0]!r} more than once"
        )
    out = frame.set_index(frame["customer_id"].astype(str))[[column, revenue]]
    out.columns = ["cls", "revenue"]
    return out.assign(revenue=out["revenue"].astype("float64").fillna(0.0))


def migration(
    previous: pd.DataFrame, current: pd.DataFrame, column: str, *, ladder: Sequence[str], revenue: str = "monetary"
) -> Migration:
    """The transition of ``column`` from the previous period's grading to this one's.

    Parameters
    ----------
    previous, current
        One row per graded customer: ``customer_id``, ``column`` and ``revenue``.
    column
        The class column (``final_class``, ``rfm_class`` …).
    ladder
        Classes ranked best first, for moves up and down; classes not in it have no rank.
    revenue
        The revenue column.

    Returns
    -------
    Migration
    """
    before = _by_customer(previous, column, revenue, "previous period's")
    now = _by_customer(current, column, revenue, "this period's")
    both = before.index.intersection(now.index)
    seen = pd.concat([before["cls"], now["cls"]]).dropna().astype(str).unique()
    classes = [c for c in ladder if c in seen] + sorted(c for c in seen if c not in ladder)
    pairs = pd.DataFrame(
        {"from_class": before.loc[both, "cls"], "to_class": now.loc[both, "cls"], "revenue": now.loc[both, "revenue"]}
    )
    matrix = pd.crosstab(pairs["from_class"], pairs["to_class"]).reindex(index=classes, columns=classes, fill_value=0)
    money = (
        pairs.pivot_table(index="from_class", columns="to_class", values="revenue", aggfunc="sum", observed=True)
        .reindex(index=classes, columns=classes)
        .fillna(0.0)
    )
    entered = now.loc[now.index.difference(before.index)]
    left = before.loc[before.index.difference(now.index)]

    def per_class(frame: pd.DataFrame) -> pd.DataFrame:
        grouped = frame.groupby("cls")
        return pd.DataFrame({"customers": grouped.size(), "revenue": grouped["revenue"].sum()}).reindex(
            classes, fill_value=0
        )

    rank = {c: i for i, c in enumerate(ladder)}
    ranked = {end: pd.to_numeric(pairs[end].map(rank), errors="coerce") for end in ("from_class", "to_class")}
    steps = ranked["from_class"] - ranked["to_class"]  # positive: up the ladder
    changed = pairs["from_class"].astype(str) != pairs["to_class"].astype(str)
    moved = pairs.assign(steps=steps, previous_revenue=before.loc[both, "revenue"]).loc[changed]
    moves = (
        moved.rename_axis("customer_id")
        .reset_index()
        .sort_values(["steps", "revenue"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)[["customer_id", "from_class", "to_class", "steps", "revenue", "previous_revenue"]]
    )
    long = (
        pairs.groupby(["from_class", "to_class"])
        .agg(customers=("revenue", "size"), revenue=("revenue", "sum"))
        .reset_index()
    )
    entrants, leavers = per_class(entered), per_class(left)
    table = pd.concat(
        [
            long,
            entrants.loc[entrants["customers"] > 0].rename_axis("to_class").reset_index().assign(from_class=ENTRANT),
            leavers.loc[leavers["customers"] > 0].rename_axis("from_class").reset_index().assign(to_class=LEAVER),
        ],
        ignore_index=True,
    )[["from_class", "to_class", "customers", "revenue"]]
    table["customers"] = table["customers"].astype("int64")
    table["revenue"] = np.round(table["revenue"].astype("float64"), 6)
    return Migration(matrix, money, entrants, leavers, moves, table)
