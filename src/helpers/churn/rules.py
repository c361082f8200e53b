"""The early-warning rules of domain §5: each hit names the customer, the rule and what was seen.

- ``activity_drop``: orders in this period down by at least the configured share vs the previous period of the
  same kind (and interactions, when the data have them);
- ``silent_months``: no order in the last N calendar months, for a customer who bought in the look-back year
  before them;
- ``complaints_rising``: more complaints in the last W days than in the W days before.

Rules read only data dated up to the as-of date, and need no model: when no model can be trusted they are what
steers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers.churn.outcome import count_between
from helpers.churn.settings import EarlyWarningSettings
from helpers.core.labels import LABELS
from helpers.core.periods import Period

__all__ = ["RULES", "early_warnings", "rule_summary"]

#: The rules, in report order.
RULES = ("activity_drop", "silent_months", "complaints_rising")
_COLUMNS = ["customer_id", "rule", "seen"]
#: What an activity drop counts, as the Chinese evidence names it.
_WHAT_ZH = {"orders": "订单数", "interactions": "互动次数"}


def _drops(now: pd.Series, before: pd.Series, share: float, what: str, period: Period) -> list[dict]:
    both = pd.concat([now.rename("now"), before.rename("before")], axis=1).fillna(0.0)
    both = both.loc[both["before"] > 0]
    fall = 1 - both["now"] / both["before"]
    hits = both.loc[fall >= share - 1e-12]
    return [
        {
            "customer_id": str(cid),
            "rule": "activity_drop",
            "seen": LABELS.say(
                f"{what} {row.before:,.0f} → {row.now:,.0f} ({-fall[cid]:+.0%}) vs {period.previous().label}",
                f"{_WHAT_ZH[what]} {row.before:,.0f} → {row.now:,.0f}（{-fall[cid]:+.0%}），"
                f"对比 {period.previous().label}",
            ),
        }
        for cid, row in hits.iterrows()
    ]


def early_warnings(
    tables: Mapping[str, pd.DataFrame | None],
    period: Period,
    settings: EarlyWarningSettings,
    customers: pd.Index,
    *,
    lookback_days: int,
) -> pd.DataFrame:
    """Every rule hit of the period among ``customers``.

    Parameters
    ----------
    tables
        Stage 01's tables (``orders`` required; ``tickets`` and ``interactions`` used when present).
    period
        The reporting period: "this period" and "the previous period" are of its kind.
    settings
        The ``churn.early_warning`` settings (a rule set to null is off).
    customers
        The customers the rules look at (those at risk at the as-of date).
    lookback_days
        The look-back window: ``silent_months`` fires only for a customer who bought in it before the silence.

    Returns
    -------
    pd.DataFrame
        Columns ``customer_id``, ``rule`` (a key of :data:`RULES`), ``seen`` (what was seen, with its numbers);
        one row per hit, ordered by rule then customer.
    """
    orders = tables["orders"]
    sales = orders.loc[orders["line_type"].eq("sale")]
    per_order = sales.drop_duplicates(["customer_id", "order_id"])
    end = period.end_exclusive
    previous = period.previous()
    hits: list[dict] = []
    if settings.activity_drop is not None:
        now = count_between(per_order["order_date"], per_order["customer_id"], period.start, end)
        before = count_between(per_order["order_date"], per_order["customer_id"], previous.start, period.start)
        hits += _drops(now, before, settings.activity_drop, "orders", period)
        events = tables.get("interactions")
        if events is not None:
            counts = events["count"].fillna(1.0).astype(float) if "count" in events else None
            now = count_between(events["event_date"], events["customer_id"], period.start, end, weights=counts)
            before = count_between(
                events["event_date"], events["customer_id"], previous.start, period.start, weights=counts
            )
            hits += _drops(now, before, settings.activity_drop, "interactions", period)
    if settings.silent_months is not None:
        silence_start = (period.as_of.to_period("M") - (settings.silent_months - 1)).to_timestamp()
        window_start = silence_start - pd.Timedelta(days=lookback_days)
        dates = sales["order_date"]
        before = sales.loc[(dates >= window_start) & (dates < silence_start)]
        last = before.groupby("customer_id")["order_date"].max()
        bought_since = sales.loc[(dates >= silence_start) & (dates < end), "customer_id"].unique()
        silent = last.loc[~last.index.isin(bought_since)]
        hits += [
            {
                "customer_id": str(cid),
                "rule": "silent_months",
                "seen": LABELS.say(
                    f"no order in the last {settings.silent_months} calendar months (the last on {day:%Y-%m-%d})",
                    f"最近 {settings.silent_months} 个自然月无订单（最后一单在 {day:%Y-%m-%d}）",
                ),
            }
            for cid, day in silent.items()
        ]
    tickets = tables.get("tickets")
    if settings.complaints_window_days is not None and tickets is not None and "is_complaint" in tickets:
        complaint = tickets.loc[tickets["is_complaint"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
        w = pd.Timedelta(days=settings.complaints_window_days)
        recent = count_between(complaint["opened_at"], complaint["customer_id"], end - w, end)
        before = count_between(complaint["opened_at"], complaint["customer_id"], end - 2 * w, end - w)
        both = pd.concat([recent.rename("recent"), before.rename("before")], axis=1).fillna(0.0)
        rising = both.loc[both["recent"] > both["before"]]
        days = settings.complaints_window_days
        hits += [
            {
                "customer_id": str(cid),
                "rule": "complaints_rising",
                "seen": LABELS.say(
                    f"{row.recent:.0f} complaint(s) in the last {days} days ({row.before:.0f} in the {days} before)",
                    f"最近 {days} 天投诉 {row.recent:.0f} 次（此前 {days} 天为 {row.before:.0f} 次）",
                ),
            }
            for cid, row in rising.iterrows()
        ]
    frame = pd.DataFrame(hits, columns=_COLUMNS)
    frame = frame.loc[frame["customer_id"].isin(customers.astype(str))]
    order = {rule: i for i, rule in enumerate(RULES)}
    frame = frame.assign(_o=frame["rule"].map(order)).sort_values(["_o", "customer_id"], kind="stable")
    return frame.drop(columns="_o").reset_index(drop=True)


def rule_summary(hits: pd.DataFrame, churned: pd.Series | None = None) -> pd.DataFrame:
    """Customers each rule fired for and, when the later outcome is known, the share of them who churned."""
    counts = hits.groupby("rule")["customer_id"].nunique().reindex(list(RULES), fill_value=0)
    table = pd.DataFrame({"customers": counts})
    if churned is not None:
        known = churned.copy()
        known.index = known.index.astype(str)
        table["churned_share"] = [
            known.reindex(hits.loc[hits["rule"].eq(rule), "customer_id"].unique()).mean() if n else np.nan
            for rule, n in counts.items()
        ]
    return table
