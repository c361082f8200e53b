"""What stage 05 shows and writes: the findings first, the tiers, the open leads to follow, the history check.

Notebook helpers display tables and notes; :func:`opportunity_metrics` is ``opportunity_metrics.json`` and
:func:`priority_workbook` the sales team's Excel priority table. Words come from the label registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import parse_period
from helpers.io.excel import Sheet, Workbook
from helpers.opportunity.settings import FACTORS, TIERS
from helpers.reporting.display import Table, display_all, literal, note
from helpers.shared import json_ready

if TYPE_CHECKING:
    from helpers.opportunity.stage import OpportunityRun

__all__ = [
    "TIER_COLOURS",
    "display_all",
    "check_table",
    "method_note",
    "evidence_table",
    "findings_note",
    "opportunity_metrics",
    "priority_list_table",
    "priority_workbook",
    "tiers_table",
    "weights_table",
    "win_rates_table",
]

#: Background colour of each tier in the workbook.
TIER_COLOURS = {"priority": "#C6EFCE", "nurture": "#FFEB9C", "watch": "#EDEDED"}


def _h(key: str) -> str:
    return LABELS.text("opportunity_column", key)


def _tier(key: object) -> str:
    return LABELS.text("opportunity_tier", key) if isinstance(key, str) else ""


def _factor(key: str) -> str:
    return LABELS.text("opportunity_factor", key)


def _pct(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.0%}"


def opportunity_metrics(run: OpportunityRun) -> dict[str, Any]:
    """``opportunity_metrics.json``: the check against won/lost history, the weights it suggests, the tiers."""
    check = run.check
    if check is None:
        return {"status": "no_leads", "reason": "the data hold no lead table"}
    return json_ready(
        {
            "status": check.status,
            "reason": check.reason,
            "expert_auc": check.expert_auc,
            "model_auc": check.model_auc,
            "evaluation": {"test_from": check.cutoff, "sizes": check.sizes},
            "win_rates": check.win_rates.to_dict(orient="index"),
            "weights": check.suggested.to_dict(orient="index"),
            "tiers": run.score.tiers.model_dump(),
            "currency": run.currency,
        }
    )


# --------------------------------------------------------------------------- findings
def _open(run: OpportunityRun) -> pd.DataFrame:
    t = run.table
    return t.loc[~t["outcome"].isin(["won", "lost"])]


def findings_note(run: OpportunityRun) -> None:
    """The findings, first: whom to follow, whether the score picks the winners, what the history suggests."""
    if not run.has_leads:
        note(
            "**The data hold no lead table**, so there are no leads to score. Map the CRM's leads or opportunities "
            'export as the `leads` table (README, "Your own data") to score them.'
        )
        return
    t, check = run.table, run.check
    open_ = _open(run)
    per_tier = open_["tier"].value_counts()
    lines = [
        f"- **{int(per_tier.get('priority', 0)):,} of the {len(open_):,} open leads are *priority follow-up* "
        f"(优先跟进)** — a score of {run.score.tiers.priority:g} or more; {int(per_tier.get('nurture', 0)):,} are "
        f"*nurture* and {int(per_tier.get('watch', 0)):,} *long-term watch*."
        + (
            f" Together the priority ones carry {open_.loc[open_['tier'].eq('priority'), 'deal_value'].sum():,.0f} "
            f"{run.currency} of deal value."
            if open_["deal_value"].notna().any()
            else ""
        )
    ]
    if check is not None and check.status == "ok":
        rates = check.win_rates["test_win_rate"]
        lines.append(
            f"- **The expert score picks winners.** On the {check.sizes['test']['deals']:,} deals closed from "
            f"{check.cutoff:%Y-%m-%d} (learned from none of them), it ranks a won deal above a lost one "
            f"{check.expert_auc:.0%} of the time (AUC {check.expert_auc:.2f}); *priority* deals won "
            f"{_pct(rates.get('priority'))}, *nurture* {_pct(rates.get('nurture'))}, *watch* "
            f"{_pct(rates.get('watch'))}."
            if check.expert_auc >= 0.6
            else f"- **The expert score hardly picks winners here:** on the {check.sizes['test']['deals']:,} deals "
            f"closed from {check.cutoff:%Y-%m-%d} its AUC is {check.expert_auc:.2f} (0.5 = guessing). Read the "
            "tiers with care and look at the weights the history suggests below."
        )
        gap = check.model_auc - check.expert_auc
        lines.append(
            f"- **A model fitted on the client's own history does {'better' if gap > 0.02 else 'about as well'}**: "
            f"AUC {check.model_auc:.2f} on the same deals, using the same factors plus the lead's source, product, "
            "owner and sector where the data hold them."
            + (
                f" The history suggests more weight on {_factor(check.suggested['suggested'].idxmax())} "
                f"({check.suggested['suggested'].max():.0f} of 100 against "
                f"{check.suggested.loc[check.suggested['suggested'].idxmax(), 'current']:.0f} configured) — "
                "advice for the consultant; the configured weights stay until changed."
                if check.suggested["suggested"].notna().any()
                else ""
            )
        )
    elif check is not None:
        lines.append(f"- **The expert score could not be checked against won/lost history:** {literal(check.reason)}.")
    missing = t["factors_missing"].fillna("").ne("").mean()
    if missing:
        lines.append(
            f"- {_pct(missing)} of the leads miss at least one factor; their score is re-weighted over the factors "
            "they have (the table's coverage says how much of the weight that is)."
        )
    lines.append(
        f"- **What to do:** {literal(run.settings.actions['priority'])} — for the priority leads listed below and, "
        "with every lead's points, in the Excel priority table."
    )
    note("\n".join(lines))


# --------------------------------------------------------------------------- tables
def tiers_table(run: OpportunityRun) -> Table | None:
    """Leads and open leads per tier."""
    if not run.has_leads:
        return None
    t = run.table
    open_ = _open(run)
    frame = pd.DataFrame(
        {
            _h("tier"): [_tier(k) for k in TIERS],
            _h("leads"): [int(t["tier"].eq(k).sum()) for k in TIERS],
            _h("open_leads"): [int(open_["tier"].eq(k).sum()) for k in TIERS],
            _h("share"): [100 * open_["tier"].eq(k).mean() if len(open_) else np.nan for k in TIERS],
        }
    )
    return Table(
        frame,
        ints=[_h("leads"), _h("open_leads")],
        pct=[_h("share")],
        caption=LABELS.text("caption", "opportunity_tiers"),
        uid="opportunity_tiers",
    )


def _list_frame(rows: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "lead_id",
        "company_name",
        "owner",
        "industry",
        *[f"{f}_points" for f in FACTORS],
        "score",
        "tier",
        "action",
    ]
    frame = rows[[c for c in columns if c in rows and rows[c].notna().any()]].copy()
    frame["tier"] = frame["tier"].map(_tier)
    return frame.rename(columns={c: _h(c) for c in frame.columns})


def priority_list_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """The open leads to follow first: best score first, with each factor's points."""
    if not run.has_leads:
        return None
    open_ = _open(run)
    frame = _list_frame(open_.head(limit))
    caption = LABELS.text("caption", "opportunity_list")
    if len(open_) > limit:
        caption += f" — {limit} of {len(open_):,}; the Excel priority table holds every lead"
    points = [_h(f"{f}_points") for f in FACTORS if _h(f"{f}_points") in frame]
    return Table(frame, decimals=[*points, _h("score")], caption=caption, uid="opportunity_list")


def check_table(run: OpportunityRun) -> Table | None:
    """The expert score and the fitted model on the same held-out deals."""
    check = run.check
    if check is None or check.status != "ok":
        return None
    frame = pd.DataFrame(
        {
            _h("measure"): [_h("expert"), _h("model")],
            "AUC": [check.expert_auc, check.model_auc],
            _h("test_deals"): [check.sizes["test"]["deals"]] * 2,
            _h("wins"): [check.sizes["test"]["wins"]] * 2,
        }
    )
    return Table(
        frame,
        decimals=["AUC"],
        ints=[_h("test_deals"), _h("wins")],
        caption=LABELS.text("caption", "opportunity_check") + f" ({check.cutoff:%Y-%m-%d} →)",
        uid="opportunity_check",
    )


def win_rates_table(run: OpportunityRun) -> Table | None:
    """Deals, wins and win rate per tier: the test deals and every closed deal."""
    check = run.check
    if check is None or check.win_rates.empty:
        return None
    w = check.win_rates
    frame = pd.DataFrame(
        {
            _h("tier"): [_tier(k) for k in w.index],
            _h("test_deals"): w["test_deals"].to_numpy(),
            _h("test_win_rate"): w["test_win_rate"].to_numpy() * 100,
            _h("deals"): w["deals"].to_numpy(),
            _h("win_rate"): w["win_rate"].to_numpy() * 100,
        }
    )
    return Table(
        frame,
        ints=[_h("test_deals"), _h("deals")],
        pct=[_h("test_win_rate"), _h("win_rate")],
        caption=LABELS.text("caption", "opportunity_win_rates"),
        uid="opportunity_win_rates",
    )


def weights_table(run: OpportunityRun) -> Table | None:
    """Each factor's configured weight beside the one the history suggests."""
    check = run.check
    if check is None or check.suggested.empty:
        return None
    s = check.suggested
    frame = pd.DataFrame(
        {
            _h("factor"): [_factor(f) for f in s.index],
            _h("current"): s["current"].to_numpy(),
            _h("suggested"): s["suggested"].to_numpy(),
            _h("log_odds"): s["log_odds_per_full_points"].to_numpy(),
        }
    )
    return Table(
        frame,
        decimals=[_h("current"), _h("suggested"), _h("log_odds")],
        caption=LABELS.text("caption", "opportunity_weights"),
        uid="opportunity_weights",
    )


def evidence_table(run: OpportunityRun) -> Table | None:
    """Win rate of the closed deals by the share of each factor's points earned."""
    check = run.check
    if check is None or check.evidence.empty:
        return None
    e = check.evidence.reset_index()
    frame = pd.DataFrame(
        {
            _h("factor"): [_factor(f) for f in e["factor"]],
            _h("points"): e["points"].to_numpy() * 100,
            _h("deals"): e["deals"].to_numpy(),
            _h("win_rate"): e["win_rate"].to_numpy() * 100,
        }
    )
    return Table(
        frame,
        ints=[_h("deals")],
        pct=[_h("points"), _h("win_rate")],
        caption=LABELS.text("caption", "opportunity_evidence"),
        uid="opportunity_evidence",
    )


def method_note(run: OpportunityRun) -> None:
    """How the score is made, in words."""
    f = run.score.factors
    weights = ", ".join(f"{_factor(k)} {v:g}" for k, v in run.score.weights().items())
    note(
        f"**The expert score (专家评分)** adds the points a lead earns on four factors — {weights} — out of 100. "
        "Company size and decision-maker contact earn their points as the client writes them (each written value "
        "has its share of the points in the score's settings); industry match gives every point to the client's "
        f"{len(f.industry_match.target_industries)} target industries and {f.industry_match.same_sector:.0%} to "
        "another industry of a target's sector; budget adequacy compares the budget with the deal value, or with "
        "the typical budget of the lead's size. A factor the data cannot give for a lead drops out and the others "
        f"are re-weighted — unknown is not bad. {run.money.describe('The typical budgets')}\n\n"
        "**The check (历史检验).** The closed deals are ordered by closing date; the latest "
        f"{run.settings.check.test_share:.0%} are the test. A logistic regression learns winning from the earlier "
        "deals' factors (and source, product, owner and sector where the data hold them), and both it and the "
        "expert score are judged on the test deals. The weights the history suggests come from a logistic "
        "regression on the four factors over every closed deal."
    )


# --------------------------------------------------------------------------- the workbook
def priority_workbook(run: OpportunityRun) -> Workbook:
    """The sales team's priority table (销售机会优先级表): about, every lead with its points, the check, the weights."""
    s = lambda key: LABELS.text("opportunity_sheet", key)
    period = parse_period(run.period_label)
    t = run.table
    tiers = run.score.tiers
    about = {
        s("report"): s("report_name"),
        s("period"): f"{period.label} ({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d})",
        s("data"): run.data_title,
        s("leads"): f"{len(t):,}",
        s("open"): f"{int((~t['outcome'].isin(['won', 'lost'])).sum()):,}" if len(t) else "0",
        s("tiers"): LABELS.format(
            "opportunity_sheet",
            "tiers_text",
            priority=f"{tiers.priority:g}",
            nurture=f"{tiers.nurture:g}",
            below=f"{tiers.priority - 0.01:g}",
        ),
        s("checked"): (
            f"AUC {run.check.expert_auc:.2f} / {run.check.model_auc:.2f}"
            if run.check is not None and run.check.status == "ok"
            else (run.check.reason if run.check is not None else "—")
        ),
    }
    leads = t.copy()
    leads = leads[[c for c in leads.columns if leads[c].notna().any() or c in ("lead_id", "score", "tier")]]
    if "tier" in leads:
        leads["tier"] = leads["tier"].map(_tier)
    if "outcome" in leads:
        leads["outcome"] = leads["outcome"].map(
            lambda k: LABELS.text("lead_outcome", k) if isinstance(k, str) and LABELS.has("lead_outcome", k) else k
        )
    sheets = [
        Sheet(
            s("about"),
            pd.DataFrame({"item": list(about), "value": list(about.values())}),
            headers=LABELS.headers(["item", "value"]),
            width={"value": 100},
        ),
        Sheet(
            s("priority"),
            leads,
            headers={c: _h(c) for c in leads.columns},
            percent=["coverage"],
            formats={"score": "0.0", **{f"{f}_points": "0.0" for f in FACTORS}},
            fills={"tier": {_tier(k): colour for k, colour in TIER_COLOURS.items()}},
        ),
    ]
    if run.check is not None and not run.check.win_rates.empty:
        w = run.check.win_rates.rename(index=_tier).reset_index(names="tier")
        sheets.append(
            Sheet(s("check"), w, headers={c: _h(c) for c in w.columns}, percent=["test_win_rate", "win_rate"])
        )
        weights = run.check.suggested.rename(index=_factor).reset_index(names="factor")
        sheets.append(
            Sheet(
                s("weights"),
                weights.rename(columns={"log_odds_per_full_points": "log_odds"}),
                headers={c: _h(c) for c in ["factor", "current", "suggested", "log_odds"]},
            )
        )
    return Workbook(sheets)
