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
    "growth_at_risk_table",
    "growth_list_table",
    "growth_note",
    "open_deals_table",
    "performance_table",
    "pipeline_table",
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
    growth = run.growth
    growth_summary = {
        "customers": len(growth),
        "with_suggestions": int(growth["top_item"].notna().sum()) if len(growth) else 0,
        "items": run.growth_item,
        "retain_first": int(growth["retain_first"].sum()) if len(growth) else 0,
    }
    if check is None:
        return {"status": "no_leads", "reason": "the data hold no lead table", "growth": growth_summary}
    open_ = _open(run)
    return json_ready(
        {
            "status": check.status,
            "reason": check.reason,
            "expert_auc": check.expert_auc,
            "model_auc": check.model_auc,
            "evaluation": {"test_from": check.cutoff, "sizes": check.sizes},
            "win_rates": check.win_rates.to_dict(orient="index"),
            "weights": check.suggested.to_dict(orient="index"),
            "calibration": check.calibration,
            "win_probability": "given" if len(check.probabilities) else check.probability_reason or check.reason,
            "open_deals": {
                "deals": len(open_),
                "value": float(open_["deal_value"].astype("float64").fillna(open_["budget"]).sum()),
                "expected_value": float(open_["expected_value"].sum()),
            },
            "growth": growth_summary,
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
            if open_["deal_value"].notna().any() and per_tier.get("priority", 0)
            else ""
        )
    ]
    lines.extend(_pipeline_findings(run))
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
    weak = check is not None and check.status == "ok" and check.expert_auc < run.settings.check.min_auc
    if weak and not check.probabilities.empty:
        lines.append(
            "- **What to do:** until the expert score's scales are set for this client (target industries, size "
            "bands, decision-maker levels), follow the open deals by their win probability and expected value "
            "(section 2), which the client's own history supports; the Excel priority table holds both."
        )
    else:
        lines.append(
            f"- **What to do:** {literal(run.settings.actions['priority'])} — for the priority leads listed below "
            "and, with every lead's points, in the Excel priority table."
        )
    lines.extend(_growth_findings(run))
    note("\n".join(lines))


def _money(run: OpportunityRun, amount: float) -> str:
    return f"{amount:,.0f} {run.currency}"


def _pipeline_findings(run: OpportunityRun) -> list[str]:
    """The open pipeline in one line: its value, what the calibrated model expects of it, or why it says nothing."""
    open_ = _open(run)
    check = run.check
    if open_.empty or check is None:
        return []
    if check.probabilities.empty:
        reason = check.probability_reason or check.reason
        return [f"- **The open deals get no win probability:** {literal(reason)}; rank them by the expert score."]
    expected = open_["expected_value"].sum()
    value = (open_["expected_value"] / open_["win_probability"]).sum()
    budget = open_["value_basis"].eq("budget").sum()
    best = open_.sort_values("expected_value", ascending=False).iloc[0]
    return [
        f"- **The {len(open_):,} open deals are worth {_money(run, value)}; the model fitted on the client's history "
        f"expects {_money(run, expected)} of it to be won** (calibrated win probability x value). The largest "
        f"expected value is lead {literal(best['lead_id'])} ({_money(run, best['expected_value'])}, "
        f"{best['win_probability']:.0%} to win)."
        + (f" For {budget:,} of them the CRM holds no deal value and the stated budget stands in." if budget else "")
    ]


def _growth_findings(run: OpportunityRun) -> list[str]:
    """Growth among existing customers, in a line or two: who to grow, and who to keep first."""
    g = run.growth
    if not run.has_orders:
        return []
    if g.empty:
        return ["- **No existing customer bought in the window**, so there is no growth among them to show."]
    safe = g.loc[~g["retain_first"]]
    suggested = safe["top_item"].notna()
    lines = [
        f"- **Growth among existing customers:** {int(suggested.sum()):,} of the {len(g):,} customers who bought "
        f"in the last {run.settings.growth.window_days} days do not buy yet what similar customers buy; their "
        f"cross-sell potential comes to {_money(run, safe['cross_sell_value'].sum())}"
        + (
            f", and the gap to their wallet to {_money(run, safe['wallet_gap'].sum())}"
            if safe["wallet_gap"].notna().any()
            else ""
        )
        + f". {int(safe['rising'].sum()):,} are buying more in the window's later half than in its earlier half."
    ]
    keep = g["retain_first"]
    if keep.any():
        lines.append(
            f"- **{int(keep.sum()):,} of them are at high churn risk** (stage 04; where it gave no score, spend in "
            f"the window's later half down {run.settings.growth.falling:.0%} or more) and are listed apart: keep "
            f"them first ({literal(run.settings.growth.actions['retain_first'])})."
        )
    return lines


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
        "win_probability",
        "action",
    ]
    frame = rows[[c for c in columns if c in rows and rows[c].notna().any()]].copy()
    frame["tier"] = frame["tier"].map(_tier)
    if "win_probability" in frame:
        frame["win_probability"] = frame["win_probability"] * 100
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
    return Table(
        frame, decimals=[*points, _h("score")], pct=[_h("win_probability")], caption=caption, uid="opportunity_list"
    )


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


def open_deals_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """The open deals with the largest expected value: score, tier, win probability, value and expected value."""
    open_ = _open(run)
    if open_.empty or open_["win_probability"].isna().all():
        return None
    rows = open_.sort_values("expected_value", ascending=False, na_position="last").head(limit)
    columns = ["lead_id", "company_name", "owner", "stage", "product", "score", "tier", "win_probability"]
    frame = rows[[c for c in columns if rows[c].notna().any()]].copy()
    frame["tier"] = frame["tier"].map(_tier)
    frame["win_probability"] = frame["win_probability"] * 100
    basis = rows["value_basis"].dropna().unique()
    if len(basis) > 1:  # one basis for every row is said once, in the header
        frame["value_basis"] = LABELS.relabel(rows, {"value_basis": "value_basis"})["value_basis"]
    frame["value"] = rows["deal_value"].astype("float64").fillna(rows["budget"].astype("float64"))
    frame["expected_value"] = rows["expected_value"]
    value_header = _h("budget") if list(basis) == ["budget"] else _h("deal_value")
    headers = {c: _h(c) for c in frame.columns if c != "value"} | {"value": value_header}
    caption = LABELS.text("caption", "opportunity_open_deals")
    if len(open_) > limit:
        caption += f" — {limit} of {len(open_):,}, largest expected value first"
    return Table(
        frame.rename(columns=headers),
        money=[value_header, _h("expected_value")],
        pct=[_h("win_probability")],
        decimals=[_h("score")],
        caption=caption,
        uid="opportunity_open_deals",
    )


def _by_label(key: str) -> str:
    return LABELS.text("pipeline_by", key)


def pipeline_table(run: OpportunityRun) -> Table | None:
    """The open deals by stage, owner, product and source: deals, value, expected value, mean win probability."""
    p = run.pipeline
    if p.empty:
        return None
    frame = p.reset_index()
    frame["by"] = frame["by"].map(_by_label)
    frame["win_probability"] = frame["win_probability"] * 100
    frame = frame.rename(columns={"win_probability": "mean_probability"})
    frame = frame[[c for c in frame.columns if frame[c].notna().any()]]
    return Table(
        frame.rename(columns={c: _h(c) for c in frame.columns}),
        ints=[_h("deals")],
        money=[_h("value"), _h("expected_value")],
        pct=[_h("mean_probability")],
        caption=LABELS.text("caption", "opportunity_pipeline"),
        uid="opportunity_pipeline",
    )


def performance_table(run: OpportunityRun) -> Table | None:
    """The closed deals' win rate and time to close, overall and by owner, sector, product and source."""
    p = run.performance
    if p.empty:
        return None
    frame = p.reset_index()
    frame["by"] = frame["by"].map(_by_label)
    frame["level"] = frame["level"].where(frame["level"].ne("all"), "")
    frame["win_rate"] = frame["win_rate"] * 100
    frame = frame[[c for c in frame.columns if frame[c].notna().any()]]
    return Table(
        frame.rename(columns={c: _h(c) for c in frame.columns}),
        ints=[_h("deals"), _h("wins"), _h("days_to_win"), _h("days_to_close")],
        pct=[_h("win_rate")],
        money=[_h("won_value")],
        caption=LABELS.text("caption", "opportunity_performance"),
        uid="opportunity_performance",
    )


def _g(key: str) -> str:
    return LABELS.text("growth_column", key)


def _growth_frame(rows: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "customer_id",
        "customer_name",
        "owner",
        "spend",
        "suggestions",
        "because",
        "cross_sell_value",
        "trend",
        "wallet_share",
        "growth_value",
        "churn_probability",
        "risk_band",
    ]
    frame = rows[[c for c in columns if c in rows and rows[c].notna().any()]].copy()
    if rows["wallet_gap"].isna().all():  # the growth value is the cross-sell value alone: show it once
        frame = frame.drop(columns="growth_value")
    for c in ("trend", "wallet_share", "churn_probability"):
        if c in frame:
            frame[c] = frame[c] * 100
    return LABELS.relabel(frame, {"risk_band": "risk_band"}).rename(columns={c: _g(c) for c in frame.columns})


def _growth_view(frame: pd.DataFrame, caption: str, uid: str) -> Table:
    return Table(
        frame,
        money=[_g("spend"), _g("cross_sell_value"), _g("growth_value")],
        pct=[_g("trend"), _g("wallet_share"), _g("churn_probability")],
        caption=caption,
        uid=uid,
    )


def growth_note(run: OpportunityRun) -> None:
    """What the growth list rests on, for this data: items or products, wallet or not, churn beside it."""
    if not run.has_orders:
        note(
            "**These data hold no order lines**, so growth among existing customers (what they do not buy yet, "
            "their share of wallet, their trend) cannot be shown."
        )
        return
    if run.growth.empty:
        note("**No customer bought in the window**: there is no growth among existing customers to show.")
        return
    items = "categories" if run.growth_item == "category" else "products (the order lines carry no category)"
    wallet = (
        "Share of wallet compares their spend with the wallet the customer table records."
        if run.growth["wallet"].notna().any()
        else "The customer table records no wallet (the customer's spend on what the client sells, ours and "
        "competitors'), so there is no share-of-wallet gap; map `wallet` to add it."
    )
    note(
        f"Suggestions name {items} a customer does not buy yet, with the share of the buyers of something they do "
        f"buy who also buy it; the column beside says which. {wallet} Churn risk comes from stage 04."
    )


def growth_list_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """The customers to grow first: not at high churn risk, largest growth potential first."""
    g = run.growth
    if g.empty:
        return None
    safe = g.loc[~g["retain_first"]]
    caption = LABELS.text("caption", "growth_list")
    if len(safe) > limit:
        caption += f" — {limit} of {len(safe):,}; the Excel priority table holds every customer"
    return _growth_view(_growth_frame(safe.head(limit)), caption, "growth_list")


def growth_at_risk_table(run: OpportunityRun, limit: int = 20) -> Table | None:
    """Customers with growth potential who are at high churn risk or buying far less: keep them first."""
    g = run.growth
    high = g.loc[g["retain_first"]] if len(g) else g
    if high.empty:
        return None
    return _growth_view(_growth_frame(high.head(limit)), LABELS.text("caption", "growth_at_risk"), "growth_at_risk")


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
        "regression on the four factors over every closed deal.\n\n"
        "**Win probability (赢单概率).** The fitted model is calibrated (Platt scaling, cross-validated). When it "
        f"ranks the test deals with an AUC of at least {run.settings.check.min_auc:.2f} and its probabilities are "
        "closer to their outcomes than the training win rate (Brier score), it is refitted on every closed deal "
        "and gives each open deal its win probability; expected value is that probability times the deal value "
        "(the stated budget when the CRM holds no deal value). Otherwise the open deals get none, and the report "
        "says why.\n\n"
        "**Growth among existing customers (客户增长机会).** Over the last "
        f"{run.settings.growth.window_days} days: for what a customer does not buy yet, the largest share, over "
        "what they do buy, of its buyers who buy it too (an item needs "
        f"{run.settings.growth.min_buyers} buyers to count; a suggestion "
        f"{run.settings.growth.min_propensity:.0%} or more); its value is that share times what buyers typically "
        "spend on it relative to the rest of their purchases, scaled to the customer's spend. The trend compares "
        f"the window's later half with its earlier half (rising from +{run.settings.growth.rising:.0%})."
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
    leads = LABELS.relabel(leads, {"outcome": "lead_outcome", "value_basis": "value_basis"})
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
            percent=["coverage", "win_probability"],
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
    for key, frame in (("pipeline", run.pipeline), ("performance", run.performance)):
        if not frame.empty:
            flat = frame.reset_index()
            flat["by"] = flat["by"].map(_by_label)
            flat = flat[[c for c in flat.columns if flat[c].notna().any()]]
            sheets.append(
                Sheet(
                    s(key),
                    flat,
                    headers={c: _h("mean_probability" if c == "win_probability" else c) for c in flat.columns},
                    percent=["win_rate", "win_probability"],
                    formats={c: "0" for c in ("days_to_win", "days_to_close")},
                )
            )
    if not run.growth.empty:
        growth = LABELS.relabel(run.growth, {"risk_band": "risk_band"})
        growth = growth[[c for c in growth.columns if growth[c].notna().any() or c == "customer_id"]]
        sheets.append(
            Sheet(
                s("growth"),
                growth,
                headers={c: _g(c) for c in growth.columns},
                percent=["top_propensity", "trend", "wallet_share", "churn_probability"],
            )
        )
    return Workbook(sheets)
