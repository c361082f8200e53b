"""Is the expert weighting right? The expert score against won/lost history, out of time.

Closed deals (won or lost, with a closing date) are ordered by closing date; the latest ``test_share`` of them
are the test, the earlier ones the training. A logistic regression of winning on the expert score's factors (and
what the pipeline holds: source, product, owner, sector) learns on the training deals; the expert score and the
model are compared on the same test deals (AUC), with the win rate of each tier. The weights the history would
suggest come from a logistic regression on the four factors alone over every closed deal: advice, never a
replacement for the configured weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.opportunity.deals import sector
from helpers.opportunity.settings import FACTORS, TIERS

__all__ = ["CONTEXT_COLUMNS", "HistoryCheck", "won_lost_check"]

#: Pipeline columns the fitted model may use besides the factors, when the leads table has them.
CONTEXT_COLUMNS = ("source", "product", "owner", "sector")
#: A category level shared by fewer training deals than this share is pooled with the others.
_MIN_LEVEL_SHARE = 0.03
#: A column filled for this much more of one outcome's training deals than of the other's is recorded when a deal
#: closes (a funnel export fills the sales rep and segment of won deals only): it would give the outcome away.
_RECORDED_AT_CLOSING = 0.9


@dataclass
class HistoryCheck:
    """What the won/lost history says about the expert score.

    Attributes
    ----------
    status
        ``ok``, or ``no_history`` (too few closed deals, or one outcome only; ``reason`` says which).
    cutoff
        The first closing date of the test deals.
    sizes
        ``train`` / ``test``: deals and wins.
    expert_auc, model_auc
        On the test deals: the expert score, and the fitted model.
    win_rates
        Per tier: test deals, wins and win rate (test deals), and the same over every closed deal.
    evidence
        Per factor: win rate of the closed deals by the share of points earned.
    suggested
        Factor -> the weight (of 100) a logistic regression on the four factors suggests; ``current`` beside it.
    calibration
        The fitted model on the test deals: ``brier``, ``base_brier`` (the training win rate for every deal),
        ``predicted`` (mean win probability) and ``observed`` (win rate).
    probability_reason
        Why the open deals got no win probability (empty when they got one).
    probabilities
        The calibrated win probability of each open deal (index ``lead_id``), refitted on every closed deal; empty
        when the model did not pass its test.
    left_out
        Column -> why the fitted model leaves it out: filled for (nearly) every deal of one outcome and (nearly)
        none of the other, it is recorded when a deal closes and would give the outcome away.
    """

    status: str
    reason: str = ""
    cutoff: pd.Timestamp | None = None
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    expert_auc: float = float("nan")
    model_auc: float = float("nan")
    win_rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    suggested: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: dict[str, float] = field(default_factory=dict)
    probability_reason: str = ""
    probabilities: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
    left_out: dict[str, str] = field(default_factory=dict)


def _recorded_at_closing(frame: pd.DataFrame, y: np.ndarray, train: np.ndarray, columns: list[str]) -> dict[str, str]:
    """The columns filled for far more of one outcome's training deals than of the other's, with the shares."""
    out = {}
    for column in columns:
        filled = frame[column].notna().to_numpy()
        won, lost = filled[train & y].mean(), filled[train & ~y].mean()
        if abs(won - lost) >= _RECORDED_AT_CLOSING:
            out[column] = f"filled for {won:.0%} of the won deals and {lost:.0%} of the lost"
    return out


def _design(frame: pd.DataFrame, train: pd.Series, factors: list[str], context: list[str]) -> pd.DataFrame:
    """The factors (missing: the training median, with a flag) and one-hot context levels of the training deals."""
    parts = []
    for name in factors:
        values = frame[name].astype("float64")
        median = values[train].median()
        parts.append(values.fillna(0.0 if np.isnan(median) else median).rename(name))
        missing = values.isna()
        if 0 < missing[train].mean() < 1:
            parts.append(missing.astype(float).rename(f"{name}:missing"))
    for name in context:
        text = frame[name].astype("string")
        shares = text[train].value_counts(normalize=True)
        for level in [str(k) for k in shares.index[shares >= _MIN_LEVEL_SHARE]][1:]:
            parts.append(text.eq(level).fillna(False).astype(float).rename(f"{name}={level}"))
    return pd.concat(parts, axis=1)


def _fit_predict(x: pd.DataFrame, y: np.ndarray, fit: np.ndarray, predict: np.ndarray, seed: int) -> np.ndarray:
    """A calibrated logistic regression learned on the ``fit`` rows: win probabilities of the ``predict`` rows."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    base = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=seed))
    folds = StratifiedKFold(n_splits=min(5, int(min(y[fit].sum(), (~y[fit]).sum()))), shuffle=True, random_state=seed)
    model = CalibratedClassifierCV(base, method="sigmoid", cv=folds)
    model.fit(x[fit], y[fit])
    return model.predict_proba(x[predict])[:, 1]


def _suggested(shares: pd.DataFrame, y: np.ndarray, current: dict[str, float]) -> pd.DataFrame:
    """Weights of 100 from a logistic regression on the factors' shares (a factor that lowers the odds gets 0)."""
    from sklearn.linear_model import LogisticRegression

    x = shares[list(FACTORS)].astype("float64")
    x = x.fillna(x.median()).fillna(0.0)
    coef = LogisticRegression(C=1.0, max_iter=1000).fit(x, y).coef_[0]
    # A coefficient per unit of share (0 -> 1 of the factor's points) is the factor's pull on the odds.
    pull = np.clip(coef, 0, None)
    weights = 100 * pull / pull.sum() if pull.sum() > 0 else np.full(len(FACTORS), np.nan)
    total = sum(current.values())
    return pd.DataFrame(
        {
            "current": [100 * current[f] / total for f in FACTORS],
            "suggested": weights,
            "log_odds_per_full_points": coef,
        },
        index=pd.Index(FACTORS, name="factor"),
    )


def won_lost_check(
    leads: pd.DataFrame,
    scored: pd.DataFrame,
    current: dict[str, float],
    *,
    test_share: float,
    min_deals: int,
    min_auc: float,
    seed: int,
) -> HistoryCheck:
    """The expert score against won/lost history, out of time (see the module docstring).

    Parameters
    ----------
    leads
        Stage 01's leads table (``lead_id``, ``outcome``, ``closed_date``; the context columns when present), open
        deals included.
    scored
        :func:`helpers.opportunity.expert.expert_scores` of the same leads (index ``lead_id``).
    current
        The configured weights.
    test_share
        The share of the closed deals, latest first, held out as the test.
    min_deals
        Fewest wins and losses each of the training and test deals need.
    min_auc
        The fitted model's lowest test AUC for its win probabilities to be given to the open deals.
    seed
        For the fitted model.
    """
    from sklearn.metrics import roc_auc_score

    table = leads.assign(lead_id=leads["lead_id"].astype(str), sector=sector(leads))
    table = table.drop_duplicates("lead_id").set_index("lead_id")
    closed = table.loc[table["outcome"].isin(["won", "lost"]) & table["closed_date"].notna()]
    closed = closed.sort_values("closed_date", kind="stable")
    y = closed["outcome"].eq("won").to_numpy()
    n_test = int(round(test_share * len(closed)))
    if len(closed) == 0 or y.all() or not y.any():
        return HistoryCheck("no_history", reason=f"{len(closed):,} closed deals, {int(y.sum()):,} of them won")
    cutoff = closed["closed_date"].iloc[len(closed) - n_test] if n_test else None
    train = (closed["closed_date"] < cutoff).to_numpy() if cutoff is not None else np.ones(len(closed), bool)
    sizes = {
        "train": {"deals": int(train.sum()), "wins": int(y[train].sum())},
        "test": {"deals": int((~train).sum()), "wins": int(y[~train].sum())},
    }
    few = [
        f"the {part} deals hold {s['wins']} win(s) and {s['deals'] - s['wins']} loss(es)"
        for part, s in sizes.items()
        if min(s["wins"], s["deals"] - s["wins"]) < min_deals
    ]
    scored = scored.loc[~scored.index.duplicated()]
    frame = scored.reindex(closed.index)
    tiers = frame["tier"].astype("string")
    rates = (
        pd.DataFrame(
            {
                "test_deals": tiers[~train].value_counts().reindex(TIERS, fill_value=0),
                "test_wins": pd.Series(y[~train], index=tiers.index[~train]).groupby(tiers[~train]).sum(),
                "deals": tiers.value_counts().reindex(TIERS, fill_value=0),
                "wins": pd.Series(y, index=tiers.index).groupby(tiers).sum(),
            }
        )
        .reindex(TIERS)
        .fillna(0)
        .astype("int64")
    )
    rates["test_win_rate"] = rates["test_wins"] / rates["test_deals"].where(rates["test_deals"] > 0)
    rates["win_rate"] = rates["wins"] / rates["deals"].where(rates["deals"] > 0)
    evidence = pd.concat(
        {
            f: pd.DataFrame(
                {
                    "deals": pd.Series(y).groupby(frame[f].to_numpy()).size(),
                    "win_rate": pd.Series(y).groupby(frame[f].to_numpy()).mean(),
                }
            )
            for f in FACTORS
            if frame[f].notna().any()
        },
        names=["factor", "points"],
    )
    check = HistoryCheck(
        "ok",
        cutoff=cutoff,
        sizes=sizes,
        win_rates=rates,
        evidence=evidence,
        suggested=_suggested(frame, y, current),
    )
    if few:
        check.status, check.reason = "no_history", "; ".join(few) + f"; a check needs at least {min_deals} of each"
        return check
    known = frame["score"].notna().to_numpy()
    if len(set(y[~train & known])) == 2:  # without any factor a lead has no score
        check.expert_auc = float(roc_auc_score(y[~train & known], frame["score"].to_numpy()[~train & known]))
    context = [c for c in CONTEXT_COLUMNS if c in closed and closed[c].notna().any()]
    rows = pd.concat([frame, closed[context]], axis=1)
    check.left_out = _recorded_at_closing(rows, y, train, [f for f in FACTORS if rows[f].notna().any()] + context)
    if "deal_value" in closed and "budget" not in check.left_out:
        # budget adequacy divides by the deal value: a value written at closing (0 on lost deals) leaks through it
        deal = closed[["deal_value"]].astype("float64")
        leak = _recorded_at_closing(deal.where(deal > 0), y, train, ["deal_value"])
        if leak:
            check.left_out["budget"] = (
                f"it compares the budget with the deal value, {leak['deal_value']}; the expert score's budget "
                "points use it too, which flatters its check"
            )
    factors = [f for f in FACTORS if f not in check.left_out]
    context = [c for c in context if c not in check.left_out]
    x = _design(rows, pd.Series(train, index=closed.index), factors, context)
    predicted = _fit_predict(x, y, train, ~train, seed)
    check.model_auc = float(roc_auc_score(y[~train], predicted))
    base_rate = float(y[train].mean())
    check.calibration = {
        "brier": float(np.mean((predicted - y[~train]) ** 2)),
        "base_brier": float(np.mean((base_rate - y[~train]) ** 2)),
        "predicted": float(predicted.mean()),
        "observed": float(y[~train].mean()),
    }
    if check.model_auc < min_auc:
        check.probability_reason = (
            f"the fitted model ranks the test deals with an AUC of {check.model_auc:.2f}, below the "
            f"{min_auc:.2f} it needs"
        )
    elif check.calibration["brier"] >= check.calibration["base_brier"]:
        check.probability_reason = (
            "the fitted model's probabilities are no closer to the test deals' outcomes than the training win rate "
            f"(Brier score {check.calibration['brier']:.3f} against {check.calibration['base_brier']:.3f})"
        )
    else:
        check.probabilities = _open_deal_probabilities(table, scored, closed, y, factors, context, seed)
    return check


def _open_deal_probabilities(
    table: pd.DataFrame,
    scored: pd.DataFrame,
    closed: pd.DataFrame,
    y: np.ndarray,
    factors: list[str],
    context: list[str],
    seed: int,
) -> pd.Series:
    """The model refitted on every closed deal: the win probability of each open deal (index ``lead_id``)."""
    open_ids = table.index[~table["outcome"].isin(["won", "lost"])]
    if len(open_ids) == 0:
        return pd.Series(dtype="float64", index=pd.Index([], name="lead_id"))
    ids = closed.index.append(open_ids)
    rows = pd.concat([scored.reindex(ids), table.loc[ids, context]], axis=1)
    fit = np.r_[np.ones(len(closed), bool), np.zeros(len(open_ids), bool)]
    x = _design(rows, pd.Series(fit, index=ids), factors, context)
    probability = _fit_predict(x, np.r_[y, np.zeros(len(open_ids), bool)], fit, ~fit, seed)
    return pd.Series(probability, index=pd.Index(open_ids, name="lead_id"), name="win_probability")
