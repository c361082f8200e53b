"""The 13-factor B2B grading scorecard (domain.md §4, ``config/scorecard.yaml``).

Every factor puts a customer on a level 1-4 (4 = best): a *data* factor by
three cut points on a column of the grading table, a *manual* factor from the
consultant's input sheet (:mod:`helpers.segmentation.manual_input`). The score is the
weighted mean level over the factors available for the customer, rescaled to
0-100; factors that are missing drop out and the others are re-weighted, and
the share of the weight that was available (the coverage) says how much the
score rests on. Scores give a tier (core / important / ordinary / small) by
thresholds or by quota; ordinary and small customers that meet the potential
rule become potential customers.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.labels import LABELS, Label
from helpers.core.periods import Period
from helpers.core.validation import require_columns
from helpers.scoring import weighted_score
from helpers.segmentation.money import MoneyBasis
from helpers.segmentation.settings import LEVELS, SCORECARD_CLASSES, Factor, Scorecard
from helpers.shared import lookback_start

__all__ = [
    "CLASS_COLUMNS",
    "SCORE_COLUMNS",
    "SCORE_TIERS",
    "churned_potential",
    "credit_days_late",
    "factor_label",
    "factor_levels",
    "factor_table",
    "order_month_share",
    "pyramid_check",
    "scorecard_classes",
    "scorecard_inputs",
    "scorecard_scores",
    "signal_label",
]

#: The tiers a score gives, best first; potential is decided afterwards by the potential rule.
SCORE_TIERS: tuple[str, ...] = SCORECARD_CLASSES[:4]
#: Columns of :func:`scorecard_scores`.
SCORE_COLUMNS = ["score", "coverage", "provisional", "factors_used", "factors_missing"]
#: Columns of :func:`scorecard_classes`.
CLASS_COLUMNS = ["score_tier", "scorecard_class", "class_zh", "class_en"]


def factor_label(factor: Factor) -> str:
    """``"4 信用/回款记录 Credit / payment record"``: number and name, in the report's language.

    The words come from ``config/scorecard.yaml`` (the client may rename a factor), shown the
    way the label registry shows headings.
    """
    return f"{factor.number} {Label(factor.name_zh, factor.name_en).render(LABELS.language, style='value')}"


def signal_label(column: str | None) -> str:
    """What a data factor's column is, in words (registry ``signal``, else ``indicator``), never the raw name."""
    for namespace in ("signal", "indicator"):
        if LABELS.has(namespace, column):
            return LABELS.text(namespace, column)
    return str(column)


# --------------------------------------------------------------------------- loyalty input
def order_month_share(orders: pd.DataFrame, period: Period, lookback_days: int) -> pd.Series:
    """Share of the calendar months of the look-back window in which the customer bought.

    The months counted are every calendar month that overlaps the window
    ``lookback_start(period, lookback_days) <= date < period.end_exclusive``
    (a 365-day window ending on 31 December covers 12 months; a window that
    starts mid-month counts that month too). A month counts for a customer
    when they have at least one sale line in it within the window; returns do
    not count, since a return is not a purchase decision.

    Parameters
    ----------
    orders
        Clean orders table (contract §2): ``customer_id``, ``order_date``, ``line_type``.
    period
        The reporting period; the window ends with its as-of date.
    lookback_days
        Length of the window in days.

    Returns
    -------
    pd.Series
        ``order_month_share`` (float 0-1), index ``customer_id`` (sorted): every
        customer with an order line (sale or return) up to the as-of date; 0 for
        those without a sale in the window. ``attrs["months"]`` = months counted.

    Raises
    ------
    DataValidationError
        When ``orders`` lacks a required column.
    ConfigError
        When ``lookback_days`` is not positive.
    """
    require_columns(orders, ["customer_id", "order_date", "line_type"], "orders")
    start, end = lookback_start(period, lookback_days), period.end_exclusive
    first_month = start.to_datetime64().astype("datetime64[M]")
    last_month = (end - pd.Timedelta(days=1)).to_datetime64().astype("datetime64[M]")
    n_months = int((last_month - first_month).astype(int)) + 1

    dates = orders["order_date"].to_numpy(dtype="datetime64[ns]")
    before_end = dates < end.to_datetime64()
    # factorize once (sorted) over everything up to the as-of date: the integer codes make the
    # per-customer month count a bincount instead of a groupby on text ids
    codes, customers = pd.factorize(orders["customer_id"][before_end], sort=True)
    in_window = (dates[before_end] >= start.to_datetime64()) & (orders["line_type"][before_end] == "sale").to_numpy(
        dtype=bool
    )
    in_window &= codes >= 0
    month = (dates[before_end][in_window].astype("datetime64[M]") - first_month).astype(np.int64)
    # distinct (customer, month) pairs by hashing: np.unique would sort millions of keys
    pairs = pd.unique(codes[in_window].astype(np.int64) * n_months + month)
    months_with_sale = np.bincount(pairs // n_months, minlength=len(customers))
    out = pd.Series(
        months_with_sale / n_months, index=pd.Index(customers, name="customer_id"), name="order_month_share"
    )
    out.attrs["months"] = n_months
    return out


# --------------------------------------------------------------------------- levels
def _data_levels(values: np.ndarray, factor: Factor, cuts: list[float]) -> np.ndarray:
    """Level 4/3/2/1 per value by the cuts; NaN stays NaN."""
    c4, c3, c2 = cuts
    if factor.higher_is_better:
        conditions = [values >= c4, values >= c3, values >= c2]
    else:
        conditions = [values <= c4, values <= c3, values <= c2]
    levels = np.select(conditions, [4.0, 3.0, 2.0], default=1.0)
    return np.where(np.isnan(values), np.nan, levels)


def _numeric(column: pd.Series, factor: Factor) -> np.ndarray:
    if not (pd.api.types.is_numeric_dtype(column) or column.isna().all()):
        raise ConfigError(
            f"scorecard factor {factor.key!r}: column {factor.column!r} is not numeric "
            f"(dtype {column.dtype}), so cuts cannot apply"
        )
    return pd.to_numeric(column).to_numpy(dtype="float64", na_value=np.nan)


def _money_cuts(values: np.ndarray, factor: Factor, scorecard: Scorecard, money: MoneyBasis | None) -> dict:
    """The cuts a data factor applies, and on what basis (see :func:`factor_levels`)."""
    cuts = list(factor.cuts or [])
    by_rank = factor.money and scorecard.money_cuts == "percentiles"
    if not by_rank and (not factor.money or money is None or money.config_currency == money.data_currency):
        return {"basis": "as_set", "cuts": cuts}
    if not by_rank and money is not None and money.rate is not None:
        return {"basis": "converted", "cuts": [money.convert(c) for c in cuts]}
    if not by_rank and money is not None and scorecard.money_fallback == "not_comparable":
        why = (
            f"its cut points are amounts in {money.config_currency} and the data are in {money.data_currency}, "
            "with no exchange rate between them"
        )
        return {"basis": "not_comparable", "cuts": [], "why": why}
    return {"basis": "percentiles", "cuts": [], "chosen": bool(by_rank)}


def _rank_levels(values: np.ndarray, factor: Factor, percentiles: list[float]) -> tuple[np.ndarray, list]:
    """Levels by rank among the customers with a value, and the lowest value reaching levels 4, 3 and 2.

    A customer's place is the share of customers strictly worse (so tied customers share the lower
    level); level 4 from the first of ``percentiles``, 3 from the second, 2 from the third. Nothing
    (zero or less) is never above level 1. With fewer than two distinct values there is no rank: NaN.
    """
    v = values if factor.higher_is_better else -values
    known = ~np.isnan(v)
    levels = np.full(len(v), np.nan)
    if np.unique(v[known]).size < 2:
        return levels, []
    below = (pd.Series(v[known]).rank(method="min").to_numpy() - 1) / known.sum()
    p4, p3, p2 = percentiles
    graded = np.select([below >= p4, below >= p3, below >= p2], [4.0, 3.0, 2.0], default=1.0)
    if factor.money:
        graded = np.where(v[known] <= 0, 1.0, graded)
    levels[known] = graded
    reached = values[known]
    cuts = [
        (float(reached[graded >= k].min()) if factor.higher_is_better else float(reached[graded >= k].max()))
        if (graded >= k).any()
        else None
        for k in (4, 3, 2)
    ]
    return levels, cuts


def factor_levels(
    table: pd.DataFrame,
    scorecard: Scorecard,
    manual: pd.DataFrame | None = None,
    money: MoneyBasis | None = None,
) -> pd.DataFrame:
    """Level 1-4 of every customer on every scorecard factor.

    Parameters
    ----------
    table
        The grading table, index ``customer_id``; data factors read the
        ``column`` named in the config (``gross_profit``, ``monetary``,
        ``projected_sales``, ``avg_days_late``, ``order_month_share``,
        ``tenure_years`` by default). ``attrs["unavailable"]`` (from the
        indicators) supplies the reason when a column holds no values.
    scorecard
        The validated scorecard.
    manual
        The consultant's levels (:func:`helpers.segmentation.manual_input.read_manual_input`):
        index ``customer_id``, one Int64 column per manual factor key. None when
        there is no sheet. Customers not in it get NA.
    money
        How the scorecard's money cut points (factors with ``money: true``)
        apply to the data (:func:`helpers.segmentation.money.money_basis`).
        None or the same currency: as set. Another currency with a rate:
        converted. No rate: by ``money_fallback`` — ``percentiles`` cuts at
        the ``money_percentiles`` of the customers' values, ``not_comparable``
        leaves the factor out.

    Returns
    -------
    pd.DataFrame
        Index as ``table``, one ``Int64`` column per factor key in config order,
        NA = not available for that customer. ``attrs["missing"]`` maps each
        factor no customer has a level on to the reason; ``attrs["cuts"]`` maps
        each data factor to ``{"basis": "as_set" | "converted" | "percentiles" |
        "not_comparable", "cuts": [...]}`` (the cuts applied, in the data's units);
        ``attrs["notes"]``: factor -> a caveat on
        its column (from the table's ``attrs["column_notes"]``); ``attrs["money"]``
        is ``money`` as a dict.

    Raises
    ------
    ConfigError
        When a data factor's column is not numeric.
    DataValidationError
        When ``manual`` holds a level outside 1-4.
    """
    unavailable = table.attrs.get("unavailable", {})
    column_notes = table.attrs.get("column_notes", {})
    notes = {f.key: column_notes[f.column] for f in scorecard.factors if f.column in column_notes}
    levels: dict[str, pd.Series] = {}
    missing: dict[str, str] = {}
    applied: dict[str, dict] = {}
    for factor in scorecard.factors:
        if factor.source == "data":
            if factor.column not in table.columns:
                missing[factor.key] = f"{signal_label(factor.column)} is not in the grading table"
                values = np.full(len(table), np.nan)
            else:
                raw = _numeric(table[factor.column], factor)
                applied[factor.key] = _money_cuts(raw, factor, scorecard, money)
                if applied[factor.key]["basis"] == "not_comparable":
                    values = np.full(len(table), np.nan)
                    missing[factor.key] = applied[factor.key]["why"]
                elif applied[factor.key]["basis"] == "percentiles":
                    values, applied[factor.key]["cuts"] = _rank_levels(raw, factor, scorecard.money_percentiles)
                    if np.isnan(values).all():
                        known = raw[~np.isnan(raw)]
                        reason = (
                            "every customer has the same value, so there is no rank to grade by"
                            if known.size
                            else unavailable.get(factor.column, "no customer has a value")
                        )
                        missing[factor.key] = f"{signal_label(factor.column)}: {reason}"
                else:
                    values = _data_levels(raw, factor, applied[factor.key]["cuts"])
                    if np.isnan(values).all():
                        reason = unavailable.get(factor.column, "no customer has a value")
                        missing[factor.key] = f"{signal_label(factor.column)}: {reason}"
            levels[factor.key] = pd.Series(values, index=table.index).astype("Int64")
            continue
        if manual is None:
            missing[factor.key] = "no manual input sheet for this period"
            levels[factor.key] = pd.Series(pd.NA, index=table.index, dtype="Int64")
            continue
        if factor.key in manual.columns:
            raw = manual[factor.key]
            given = pd.to_numeric(raw.astype(object), errors="coerce")
            bad = raw.notna() & ~given.isin(LEVELS)
            if bad.any():
                raise DataValidationError(
                    "a manual scorecard level must be a whole number 1-4",
                    column=factor.key,
                    value=raw[bad].iloc[0],
                )
            column = given.astype("Int64").reindex(table.index)
        else:
            column = pd.Series(pd.NA, index=table.index, dtype="Int64")
        if column.isna().all():
            missing[factor.key] = "not assessed in the manual input sheet"
        levels[factor.key] = column
    out = pd.DataFrame(levels, index=table.index)
    # attrs travel into Parquet metadata: JSON-ready values only.
    out.attrs.update(missing=missing, cuts=applied, money=None if money is None else asdict(money), notes=notes)
    return out


# --------------------------------------------------------------------------- scores
def scorecard_scores(levels: pd.DataFrame, scorecard: Scorecard) -> pd.DataFrame:
    """Score 0-100 per customer from the factor levels, re-weighted over the available factors.

    ``score = (sum(w * level) / sum(w) - 1) / 3 * 100`` over the factors with a
    level (:func:`helpers.scoring.weighted_score` on the 1–4 scale), so all
    factors at 1 give 0 and all at 4 give 100 whatever is missing. ``coverage``
    is the available weight over the total weight of all factors: a score
    resting on few factors is marked ``provisional`` (coverage below
    ``min_coverage``), because a missing factor is unknown, not bad.

    Parameters
    ----------
    levels
        Output of :func:`factor_levels` (index ``customer_id``, Int64 per factor key).
    scorecard
        The validated scorecard (weights, ``min_coverage``).

    Returns
    -------
    pd.DataFrame
        Index as ``levels``; ``score`` (float, rounded to 6 decimals so a sum like
        84.99999999 does not miss a threshold of 85; NaN when no factor with a
        weight is available), ``coverage`` (float 0-1), ``provisional`` (bool),
        ``factors_used`` (int), ``factors_missing`` (comma-joined keys, "" when none).
    """
    keys = [f.key for f in scorecard.factors]
    require_columns(levels, keys, "scorecard levels")
    scores = weighted_score(levels, {f.key: f.weight for f in scorecard.factors}, scale=(1.0, 4.0))
    scores.insert(2, "provisional", scores["coverage"] < scorecard.min_coverage)
    return scores


# --------------------------------------------------------------------------- classes
def _tiers_by_thresholds(score: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    return np.select(
        [score >= thresholds["core"], score >= thresholds["important"], score >= thresholds["ordinary"]],
        list(SCORE_TIERS[:3]),
        default=SCORE_TIERS[3],
    ).astype(object)


def _tiers_by_quota(score: pd.Series, targets: dict[str, float]) -> np.ndarray:
    """Tier of every scored customer by rank against the cumulative target shares.

    Customers are ranked by score (best first), ties broken by customer id so
    the order is stable. Tier k takes rank positions up to
    ``round(cumulative share_k * n)`` (halves rounded up). A group of equal
    scores is never split across a boundary: the whole group takes the tier of
    its best-ranked member, so a tier can exceed its quota by the rest of the
    tie group (and the next tiers shrink accordingly). Equal scores thus always
    get equal tiers, whatever their ids.
    """
    n = len(score)
    frame = pd.DataFrame({"score": score.to_numpy(), "id": score.index.astype(str)})
    order = frame.sort_values(["score", "id"], ascending=[False, True], kind="stable").index.to_numpy()
    ranked = frame["score"].to_numpy()[order]
    position = np.arange(n)
    # first position of each group of equal scores (ranked is sorted, so equal scores are adjacent)
    new_group = np.r_[True, ranked[1:] != ranked[:-1]] if n else np.array([], dtype=bool)
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    cumulative = np.cumsum([targets[t] for t in SCORE_TIERS])
    bounds = np.floor(cumulative * n + 0.5).astype(np.int64)
    bounds[-1] = n
    tier_index = np.searchsorted(bounds, group_start, side="right")
    tiers = np.empty(n, dtype=object)
    tiers[order] = np.array(SCORE_TIERS, dtype=object)[np.minimum(tier_index, len(SCORE_TIERS) - 1)]
    return tiers


def scorecard_classes(
    scores: pd.DataFrame,
    levels: pd.DataFrame,
    value_matrix: pd.Series | None,
    scorecard: Scorecard,
) -> pd.DataFrame:
    """Score tier and scorecard class (core / important / ordinary / small / potential).

    The tier comes from the score: with ``method: thresholds`` a score at or
    above ``thresholds.core`` is core, at or above ``important`` important, at
    or above ``ordinary`` ordinary, below it small. With ``method: quota``
    customers are ranked by score and the tiers filled to the cumulative
    ``targets`` shares; equal scores are never split across a boundary (the
    whole tie group takes the tier of its best-ranked member, see
    :func:`_tiers_by_quota`). The class is the tier, except that an ordinary or
    small customer meeting the potential rule (value matrix in
    ``potential.value_matrix``, or any ``potential.factor_min`` level reached)
    is potential.

    Parameters
    ----------
    scores
        Output of :func:`scorecard_scores`.
    levels
        Output of :func:`factor_levels` (for ``potential.factor_min``).
    value_matrix
        Value-matrix key per customer (strategic / high_potential / basic /
        inefficient / not_available), or None when there is none.
    scorecard
        The validated scorecard.

    Returns
    -------
    pd.DataFrame
        Index as ``scores``; ``score_tier``, ``scorecard_class`` (keys;
        ``not_available`` when the score is NaN), ``class_zh``, ``class_en``
        (from the label registry). ``attrs["method"]`` = the
        method used; ``attrs["unavailable"]`` says why when no customer has a score.
    """
    require_columns(scores, ["score"], "scorecard scores")
    rules = scorecard.classes
    score = scores["score"].astype("float64")
    scored = score.notna().to_numpy()
    tier = np.full(len(score), "not_available", dtype=object)
    if rules.method == "thresholds":
        tier[scored] = _tiers_by_thresholds(score.to_numpy()[scored], rules.thresholds)
    else:
        tier[scored] = _tiers_by_quota(score[scored], rules.targets)

    potential = np.zeros(len(score), dtype=bool)
    if value_matrix is not None and rules.potential.value_matrix:
        vm = value_matrix.reindex(score.index).astype("string")
        potential |= vm.isin(rules.potential.value_matrix).fillna(False).to_numpy(dtype=bool)
    for key, minimum in rules.potential.factor_min.items():
        if key in levels.columns:
            potential |= levels[key].reindex(score.index).ge(minimum).fillna(False).to_numpy(dtype=bool)
    klass = np.where(potential & np.isin(tier, ["ordinary", "small"]), "potential", tier).astype(object)

    out = pd.DataFrame(
        {
            "score_tier": pd.array(tier, dtype="string"),
            "scorecard_class": pd.array(klass, dtype="string"),
            "class_zh": pd.array([LABELS.label("scorecard_class", k).zh for k in klass], dtype="string"),
            "class_en": pd.array([LABELS.label("scorecard_class", k).en for k in klass], dtype="string"),
        },
        index=score.index,
    )
    out.attrs["method"] = rules.method
    out.attrs["unavailable"] = (
        {"scorecard_class": "no scorecard factor is available for any customer"}
        if len(score) and not scored.any()
        else {}
    )
    return out


def churned_potential(behaviour: pd.Series, scorecard_class: pd.Series) -> pd.Series:
    """Customers graded potential who are churned by behaviour: a warning, never a silent top prospect.

    The potential rule looks at the value matrix and the prospects factor, not
    at how long ago the customer last bought; a customer who has stopped buying
    may still match it. They keep the class, and this flag asks for a check first.

    Parameters
    ----------
    behaviour
        :func:`helpers.segmentation.gradings.behaviour_state`, index customer_id.
    scorecard_class
        ``scorecard_class`` of :func:`scorecard_classes`, index customer_id.

    Returns
    -------
    pd.Series
        ``churned_potential`` (bool) over ``scorecard_class``'s index.
    """
    state = behaviour.reindex(scorecard_class.index).astype("string")
    flagged = scorecard_class.astype("string").eq("potential") & state.eq("churned")
    return flagged.fillna(False).astype(bool).rename("churned_potential")


def pyramid_check(classes: pd.DataFrame, scorecard: Scorecard) -> pd.DataFrame:
    """Compare the share of customers per score tier with the target pyramid.

    The check uses ``score_tier``, not ``scorecard_class``: the targets are for
    the four score tiers, and potential customers are ordinary or small ones
    singled out afterwards, so they are counted in their score tier to compare
    like with like. Shares are of the customers with a score (those graded
    ``not_available`` are left out and counted in ``attrs["not_graded"]``).
    ``potential`` says how many of a tier's customers are graded potential, so
    the tier's count reconciles with the customers per scorecard class
    (ordinary tier = ordinary class + its potential customers).

    Parameters
    ----------
    classes
        Output of :func:`scorecard_classes`.
    scorecard
        The validated scorecard (``targets``, ``pyramid_tolerance``).

    Returns
    -------
    pd.DataFrame
        Index ``score_tier`` (core, important, ordinary, small); ``customers``
        (in the tier), ``potential`` (of them, graded potential), ``share``,
        ``target``, ``deviation`` (share - target), ``within_tolerance``
        (``|deviation| <= pyramid_tolerance``). ``attrs``: ``within_tolerance``
        (bool, every tier within), ``graded``, ``not_graded``, ``summary`` (one
        plain-language sentence for the report).
    """
    require_columns(classes, ["score_tier", "scorecard_class"], "scorecard classes")
    rules = scorecard.classes
    graded = classes["score_tier"][classes["score_tier"] != "not_available"]
    counts = graded.value_counts().reindex(list(SCORE_TIERS), fill_value=0).astype("int64")
    singled_out = graded[classes["scorecard_class"].reindex(graded.index) == "potential"]
    potential = singled_out.value_counts().reindex(list(SCORE_TIERS), fill_value=0).astype("int64")
    n = int(counts.sum())
    share = counts / n if n else pd.Series(np.nan, index=counts.index)
    target = pd.Series(rules.targets).reindex(list(SCORE_TIERS))
    deviation = share - target
    out = pd.DataFrame(
        {
            "customers": counts,
            "potential": potential,
            "share": share,
            "target": target,
            "deviation": deviation,
            # a tiny epsilon so a deviation of exactly the tolerance is not lost to float noise
            "within_tolerance": (deviation.abs() <= rules.pyramid_tolerance + 1e-12).to_numpy(dtype=bool),
        }
    )
    out.index.name = "score_tier"
    ok = bool(n and out["within_tolerance"].all())
    off = [
        LABELS.say(
            f"{t} {share[t]:.0%} vs {target[t]:.0%}",
            f"{LABELS.text('scorecard_class', t)} {share[t]:.0%}（目标 {target[t]:.0%}）",
        )
        for t in SCORE_TIERS
        if n and not out.at[t, "within_tolerance"]
    ]
    tolerance = f"±{rules.pyramid_tolerance:.0%}"
    if not n:
        summary = LABELS.say(
            "No customer has a score, so the pyramid cannot be checked.", "没有客户得分，无法检验客户金字塔。"
        )
    elif ok:
        summary = LABELS.say(
            f"Every tier is within {tolerance} of its target share.", f"各层级占比均在目标占比的 {tolerance} 以内。"
        )
    else:
        summary = LABELS.say(
            f"Tiers further than {tolerance} from their target share: " + "; ".join(off) + ".",
            f"偏离目标占比超过 {tolerance} 的层级：" + "；".join(off) + "。",
        )
    out.attrs.update(within_tolerance=ok, graded=n, not_graded=int(len(classes) - n), summary=summary)
    return out


def factor_table(levels: pd.DataFrame, scorecard: Scorecard) -> pd.DataFrame:
    """One row per factor: what it is, its weight, how many customers it covers and its level mix.

    Parameters
    ----------
    levels
        Output of :func:`factor_levels` (``attrs["missing"]`` gives the reasons).
    scorecard
        The validated scorecard.

    Returns
    -------
    pd.DataFrame
        Rows in config order; ``number``, ``key``, ``name_zh``, ``name_en``,
        ``source`` (data / manual), ``weight``, ``weight_share`` (of the total
        weight), ``customers`` (with a level), ``coverage`` (share of all
        customers), ``level_4`` … ``level_1`` (counts), ``status`` (``used`` /
        ``missing``), ``reason`` (why missing, NA when used).
    """
    missing = levels.attrs.get("missing", {})
    total = sum(f.weight for f in scorecard.factors)
    rows = []
    for f in scorecard.factors:
        column = levels[f.key] if f.key in levels.columns else pd.Series(pd.NA, index=levels.index, dtype="Int64")
        counts = column.value_counts()
        n = int(column.notna().sum())
        rows.append(
            {
                "number": f.number,
                "key": f.key,
                "name_zh": f.name_zh,
                "name_en": f.name_en,
                "source": f.source,
                "weight": f.weight,
                "weight_share": f.weight / total,
                "customers": n,
                "coverage": n / len(levels) if len(levels) else np.nan,
                **{f"level_{k}": int(counts.get(k, 0)) for k in sorted(LEVELS, reverse=True)},
                "status": "used" if n else "missing",
                "reason": missing.get(f.key, "no customer has a level") if not n else pd.NA,
            }
        )
    out = pd.DataFrame(rows)
    return out.astype({"reason": "string", "status": "string", "source": "string"})


def credit_days_late(indicators: pd.DataFrame, payments: pd.DataFrame | None, period: Period) -> pd.Series:
    """Days late for the credit factor: paid invoices' average lateness, or the oldest open overdue invoice.

    ``avg_days_late`` alone only sees invoices that were paid, so a customer who
    does not pay at all would have no credit level (or a good one from older
    invoices). The larger of the two figures is used.

    Parameters
    ----------
    indicators
        Stage 02 indicators (index customer_id) with ``avg_days_late``.
    payments
        Clean payments (``customer_id``, ``due_date``, ``paid_date``), or None.
    period
        The period: invoices due before its end and unpaid by then are overdue.

    Returns
    -------
    pd.Series
        Named ``credit_days_late``, index as ``indicators``; NaN without payment records.
    """
    require_columns(indicators, ["avg_days_late"], "indicators")
    paid_late = indicators["avg_days_late"].astype(float)
    if payments is None:
        return paid_late.rename("credit_days_late")
    require_columns(payments, ["customer_id", "due_date", "paid_date"], "payments")
    end = period.end_exclusive
    open_due = payments.loc[(payments["due_date"] < end) & ~(payments["paid_date"] < end)]
    overdue_days = (period.as_of - open_due["due_date"].dt.normalize()).dt.days.astype(float)
    oldest = overdue_days.groupby(open_due["customer_id"].to_numpy()).max().reindex(indicators.index)
    return pd.Series(np.fmax(paid_late.to_numpy(), oldest.to_numpy()), index=indicators.index, name="credit_days_late")


def scorecard_inputs(
    indicators: pd.DataFrame,
    customers_graded: pd.Index,
    *,
    orders: pd.DataFrame,
    period: Period,
    lookback_days: int,
    projected_sales: pd.Series,
    value_matrix: pd.Series,
    customers: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The table the data factors read: the indicators plus the columns ``config/scorecard.yaml`` names.

    Parameters
    ----------
    indicators
        Stage 02 indicators (index customer_id).
    customers_graded
        The customers to score (the RFM population).
    orders, period, lookback_days
        For ``order_month_share`` (loyalty).
    projected_sales, value_matrix
        From the CLV model and the value matrix.
    customers, payments
        Clean tables, or None: registration dates and invoices.

    Returns
    -------
    pd.DataFrame
        Index ``customers_graded``; indicator columns plus ``projected_sales``,
        ``tenure_years`` (from the registration date, or from the first order
        in the data when there is none: ``attrs["tenure_from_first_order"]``
        says how many such customers, whose relationship may be longer, in
        ``attrs["column_notes"]``),
        ``credit_days_late`` (:func:`credit_days_late`), ``order_month_share``
        (0 without a sale in the window) and ``value_matrix``.
    """
    registered = pd.Series(False, index=indicators.index)
    if customers is not None:
        known = customers.set_index("customer_id")["registration_date"].notna()
        registered = known.reindex(indicators.index, fill_value=False).astype(bool)
    table = indicators.reindex(customers_graded).assign(
        projected_sales=projected_sales,
        # Stage 02 counts tenure from the registration date, else from the first order.
        tenure_years=indicators["tenure_days"] / 365.25,
        credit_days_late=credit_days_late(indicators, payments, period),
        order_month_share=order_month_share(orders, period, lookback_days).reindex(customers_graded).fillna(0.0),
        value_matrix=value_matrix,
    )
    from_first_order = int((table["tenure_years"].notna() & ~registered.reindex(customers_graded).fillna(False)).sum())
    if from_first_order:
        table.attrs["column_notes"] = {
            "tenure_years": (
                f"for {from_first_order:,} customer{'s' if from_first_order > 1 else ''} without a registration "
                "date it counts from the first order in the data, so it is shorter than the real relationship "
                "when they bought before the data begin"
            )
        }
    return table
