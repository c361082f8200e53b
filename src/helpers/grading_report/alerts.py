"""Everything that fired this period, as one list of alerts: customer, owner, reason and action.

Four kinds, each from the stage that knows it:

- ``churn_high`` — stage 04 puts the customer at high churn risk (its reasons are the alert's reason);
- ``early_warning`` — one of stage 04's early-warning rules fired for the customer (the rule and what was seen);
- ``downgraded`` — a key customer (a class given, e.g. core or important) moved down one class or more since the
  previous period, or off the ladder (to potential);
- ``class_shrank`` — a class holds a given share fewer customers than in the previous period (no one customer: the
  owner is whoever answers for the class).

A customer may fire several kinds; each is its own alert, so every reason stays readable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

__all__ = ["ALERT_COLUMNS", "ALERT_KINDS", "collect_alerts"]

#: The kinds, most urgent first.
ALERT_KINDS = ("churn_high", "downgraded", "early_warning", "class_shrank")
#: Columns of the alert list, in order.
ALERT_COLUMNS = [
    "kind",
    "customer_id",
    "customer_name",
    "owner",
    "contact_name_masked",
    "contact_phone_masked",
    "final_class",
    "reason",
    "action",
]


def collect_alerts(
    graded: pd.DataFrame,
    *,
    moves: pd.DataFrame | None,
    class_counts: pd.DataFrame | None,
    key_classes: Sequence[str],
    shrink_share: float,
    actions: Mapping[str, str],
    class_names: Mapping[str, str],
) -> pd.DataFrame:
    """The period's alerts, most urgent kind first and, within a kind, most urgent first: the highest churn
    probability, the deepest fall, the biggest net spend behind an early-warning sign, the class that shrank most
    (ties by customer).

    Parameters
    ----------
    graded
        One row per customer: ``customer_id``, ``customer_name``, ``owner``, masked contacts, ``final_class``,
        ``risk_band``, ``churn_probability``, ``reasons`` and ``rule_hits`` (stage 04's; NA when it said nothing).
    moves
        Customers whose class changed (:attr:`helpers.grading_report.migration.Migration.moves`), or None without a
        previous period. Moves of key customers down, or off the ladder, count.
    class_counts
        Customers per class: ``previous`` and ``current`` columns, index the class; None without a previous period.
    key_classes
        The classes whose downgrade is an alert.
    shrink_share
        A class with this share fewer customers than before is an alert (0.1 = 10 % fewer).
    actions
        Kind -> the action to take.
    class_names
        Class key -> the name readers see (in reasons).
    """
    by_id = graded.drop_duplicates("customer_id").set_index("customer_id")
    parts = []

    def rows(kind: str, ids: pd.Index, reasons: pd.Series, urgency: object) -> pd.DataFrame:
        part = by_id.reindex(ids).reset_index()
        part["kind"], part["reason"], part["action"] = kind, reasons.to_numpy(), actions[kind]
        part["_urgency"] = pd.to_numeric(pd.Series(urgency, index=part.index), errors="coerce").fillna(-1.0)
        return part

    spend = by_id["monetary"] if "monetary" in by_id else pd.Series(0.0, index=by_id.index)

    high = by_id.loc[by_id["risk_band"].eq("high").fillna(False)]
    if len(high):
        why = high["reasons"].astype("string").fillna("") if "reasons" in high else pd.Series("", index=high.index)
        reasons = [
            ("high churn risk" if pd.isna(p) else f"churn probability {p:.0%}") + (f"; {r}" if r else "")
            for p, r in zip(high["churn_probability"], why, strict=True)
        ]
        parts.append(
            rows("churn_high", high.index, pd.Series(reasons, index=high.index), high["churn_probability"].to_numpy())
        )
    if moves is not None and len(moves):
        fell = moves["steps"].lt(0).fillna(False) | moves["steps"].isna()
        down = moves.loc[fell & moves["from_class"].isin(key_classes)]
        if len(down):
            reasons = [
                f"{class_names.get(a, a)} → {class_names.get(b, b)}"
                + (f" ({int(-n)} class{'es' if n < -1 else ''} down)" if pd.notna(n) else "")
                for a, b, n in zip(down["from_class"], down["to_class"], down["steps"], strict=True)
            ]
            # the deepest fall first; a fall to potential (no rung count) as one class
            depth = (-down["steps"].astype("float64")).fillna(1.0).to_numpy()
            parts.append(rows("downgraded", pd.Index(down["customer_id"]), pd.Series(reasons, index=down.index), depth))
    hits = by_id["rule_hits"].astype("string").fillna("") if "rule_hits" in by_id else pd.Series(dtype="string")
    fired = hits.loc[hits.ne("")]
    if len(fired):
        parts.append(rows("early_warning", fired.index, fired, spend.reindex(fired.index).to_numpy()))
    if class_counts is not None and len(class_counts):
        before, now = class_counts["previous"], class_counts["current"]
        shrank = class_counts.loc[(before > 0) & (now <= before * (1 - shrink_share))]
        for cls, row in shrank.iterrows():
            fall = 1 - row["current"] / row["previous"]
            parts.append(
                pd.DataFrame(
                    {
                        "kind": ["class_shrank"],
                        "final_class": [cls],
                        "reason": [
                            f"{class_names.get(cls, cls)}: {int(row['previous']):,} → {int(row['current']):,} "
                            f"customers (−{fall:.0%})"
                        ],
                        "action": [actions["class_shrank"]],
                        "_urgency": [fall],
                    }
                )
            )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in ALERT_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    order = {k: i for i, k in enumerate(ALERT_KINDS)}
    # Most urgent first, within each kind too (a digest lists the first of each kind): the highest churn
    # probability, the deepest fall, the biggest spender behind a warning sign, the class that shrank most.
    out = out.assign(_kind=out["kind"].map(order)).sort_values(
        ["_kind", "_urgency", "customer_id"], ascending=[True, False, True], kind="stable"
    )
    return out.reindex(columns=ALERT_COLUMNS).reset_index(drop=True)
