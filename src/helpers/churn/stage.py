"""Stage 04, churn modelling and early warning (流失预警): the declaration and the computation.

Churned = no order within ``analysis.churn_horizon_days`` after a cut-off. The models learn on earlier cut-offs,
are checked out of time on the latest cut-off whose outcome is known, and the chosen one — calibrated — scores
the customers who bought in the look-back year up to the as-of date, with the three strongest reasons of each in
words. The early-warning rules run beside it; when no model can be trusted, they alone steer
(:mod:`helpers.churn.training` says when).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from helpers.churn.features import churn_features, is_categorical, snapshot_features
from helpers.churn.models import known_levels
from helpers.churn.outcome import Windows, at_risk, churn_outcome, horizon_fit, purchase_gaps, windows
from helpers.churn.reasons import top_reasons
from helpers.churn.recorded import (
    current_at,
    dated,
    has_recorded_churn,
    holdout_rows,
    left_within,
    recorded_churn,
    retention_curve,
    retention_split,
    split_rows,
    timeline,
)
from helpers.churn.report import churn_metrics, risk_workbook
from helpers.churn.rules import early_warnings, rule_summary
from helpers.churn.settings import ChurnSettings
from helpers.churn.training import ChurnFit, Rows, cutoff_rows, fit_churn, row_sizes
from helpers.core.catalog import Output, column_list
from helpers.core.errors import GradingError
from helpers.core.labels import LABELS
from helpers.core.periods import Period
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import Stage
from helpers.segmentation.clv import p_alive_as_of, use_compile_cache
from helpers.shared import ReadsCleanedData, earliest_churn_cutoff

__all__ = ["CHURN_COLUMNS", "ChurnRun", "STAGE", "compute", "risk_bands"]

#: Columns of the churn table, in order.
CHURN_COLUMNS = [
    "customer_id",
    "customer_name",
    "owner",
    "contact_name_masked",
    "contact_phone_masked",
    "contact_email_masked",
    "rfm_class",
    "scorecard_class",
    "behaviour_state",
    "last_order_date",
    "recency_days",
    "monetary",
    "p_alive",
    "churn_probability",
    "risk_band",
    "reasons",
    "rule_hits",
    "action",
]
_TABLES = ("orders", "customers", "tickets", "reviews", "surveys", "interactions", "payments")
#: Data ending more than this many days before the as-of date are said to end early.
_DATA_END_SLACK_DAYS = 14


@dataclass
class ChurnRun(ReadsCleanedData):
    """Everything stage 04 computed, for its outputs and its report.

    Attributes
    ----------
    table
        One row per scored customer (:data:`CHURN_COLUMNS`), riskiest first.
    fit
        The out-of-time check, the choice, the calibration and the scoring model.
    windows, horizon_days, horizon, gaps
        The cut-offs; the horizon H; how H compares with the gaps between purchases (:func:`horizon_fit`); the
        gaps themselves (days between a customer's purchase days, for the report's histogram).
    test
        The test cut-off's rows (features, outcome).
    today
        Today's features of the scored customers.
    first_reason
        The feature behind each scored customer's strongest reason (NA without a model or a reason).
    hits
        Every early-warning rule hit (customer, rule, what was seen).
    rule_check
        The rules applied at the end of the latest earlier period whose horizon is observed: customers each
        fired for and the share of them who then churned (``attrs``: ``period``, ``churn_rate`` of everyone).
    data_end
        The latest order in the data.
    baseline_note
        Why the P(alive) baseline is missing, when it is.
    seconds
        Time spent on the feature rows, the P(alive) baseline, the models and scoring (for the benchmark).
    recorded, held_out
        The customer table records churn (:mod:`helpers.churn.recorded`): that is the label. Held out: checked on
        held-out customers (no churn dates, or too few), ``windows`` then holds the as-of date only; else out of
        time on the windows.
    recorded_counts
        With recorded churn: customers recorded as gone, as staying, and with churn blank.
    retention, retention_by
        With recorded churn and tenure: the Kaplan–Meier retention by tenure (overall, and per level of
        ``retention_by``, the attribute whose levels' churn differs most), else None.
    """

    table: pd.DataFrame
    fit: ChurnFit
    windows: Windows
    horizon_days: int
    lookback: int
    horizon: dict[str, float]
    gaps: pd.Series
    test: Rows
    today: pd.DataFrame
    first_reason: pd.Series
    hits: pd.DataFrame
    rule_check: pd.DataFrame
    data_end: pd.Timestamp | None
    baseline_note: str
    settings: ChurnSettings
    inputs: Mapping[str, Any]
    period_label: str
    seconds: dict[str, float]
    recorded: bool = False
    held_out: bool = False
    recorded_counts: dict[str, int] = field(default_factory=dict)
    retention: pd.DataFrame | None = None
    retention_by: str | None = None

    @property
    def warnings(self) -> list[str]:
        """A model that cannot be used, and data that end before the as-of date, in plain sentences."""
        said = []
        if not self.fit.ok:
            steer = " The early-warning rules alone steer." if len(self.table) else ""
            said.append(f"No churn probabilities this period: {self.fit.reason}.{steer}")
        gap = (self.windows.score - self.data_end.normalize()).days if self.data_end is not None else 0
        if self.recorded:
            gap = 0  # the recorded churn is the label: how recent the orders are does not decide it
        if gap > _DATA_END_SLACK_DAYS:
            said.append(
                f"The latest order in the data is dated {self.data_end:%Y-%m-%d}, {gap} days before the as-of date: "
                "customers may look silent only because their recent orders are not in this export."
            )
        return said

    @property
    def lookback_days(self) -> int:
        """The look-back window the features and the scored customers use."""
        return int(self.lookback)

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            "churn": self.table,
            "churn_metrics": churn_metrics(self),
            "churn_risk_list": risk_workbook(self),
        }


def _band(probability: pd.Series, settings: ChurnSettings) -> pd.Series:
    bands = settings.risk_bands
    band = np.select(
        [probability >= bands.high, probability >= bands.medium, probability.notna()],
        ["high", "medium", "low"],
        default="not_scored",
    )
    return pd.Series(band, index=probability.index, dtype="string")


def risk_bands(probability: pd.Series, settings: ChurnSettings) -> pd.Series:
    """The band of each probability: ``high`` (≥ the high threshold), ``medium``, ``low``, or ``not_scored`` (NaN)."""
    return _band(pd.to_numeric(probability, errors="coerce"), settings)


def _owners(leads: pd.DataFrame | None, customers: pd.Index) -> pd.Series:
    """Each customer's owner: the sales owner of their latest lead that names them, when the data have one."""
    if leads is None or "owner" not in leads or "customer_id" not in leads:
        return pd.Series(pd.NA, index=customers, dtype="string")
    named = leads.loc[leads["customer_id"].notna() & leads["owner"].notna()].sort_values("created_date", kind="stable")
    owner = named.groupby(named["customer_id"].astype(str))["owner"].last()
    return owner.reindex(customers.astype(str)).set_axis(customers).astype("string")


def _p_alive_baseline(orders: pd.DataFrame, cutoff: pd.Timestamp, ctx: StageContext, clv: Mapping | None):
    """1 − P(alive) at the test cut-off, from stage 03's chosen purchase model refitted there; or why not."""
    settings = ctx.settings.segmentation.clv  # type: ignore[attr-defined]
    use_compile_cache(ctx.paths.root, settings.compile_cache)  # before PyMC is imported: reuse compiled models
    model = (clv or {}).get("model") or settings.candidates[0]
    if model not in settings.candidates:
        model = settings.candidates[0]
    try:
        return 1.0 - p_alive_as_of(orders, cutoff, settings, model), ""
    except GradingError as exc:
        return None, f"P(alive) could not be refitted at the test cut-off ({exc})"
    except Exception as exc:  # a baseline that cannot be fitted must not stop the stage
        return None, f"P(alive) could not be refitted at the test cut-off ({type(exc).__name__}: {exc})"


def _rule_check(
    tables: Mapping[str, Any],
    period: Period,
    settings: ChurnSettings,
    *,
    horizon: int,
    lookback: int,
    data_start: pd.Timestamp | None,
) -> pd.DataFrame:
    """The rules applied at the end of the latest earlier period whose next ``horizon`` days are in the data."""
    earlier = period.previous()
    while earlier.as_of + pd.Timedelta(days=horizon) > period.as_of:
        earlier = earlier.previous()
    first = earliest_churn_cutoff(data_start, horizon)
    if first is None or earlier.as_of < first:
        return pd.DataFrame({"customers": pd.Series(dtype=int), "churned_share": pd.Series(dtype=float)})
    orders = tables["orders"]
    customers = at_risk(orders, earlier.as_of, lookback)
    hits = early_warnings(tables, earlier, settings.early_warning, customers, lookback_days=lookback)
    churned = churn_outcome(orders, earlier.as_of, horizon, customers)
    check = rule_summary(hits, churned)
    check.attrs = {"period": earlier.label, "churn_rate": float(churned.mean()) if len(churned) else float("nan")}
    return check


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> ChurnRun:
    """Label, check out of time, calibrate and score churn; run the early-warning rules.

    Parameters
    ----------
    inputs
        Stage 01's tables (``orders``, ``customers``, ``cleaning`` and the optional ``tickets``, ``reviews``,
        ``surveys``, ``interactions``, ``payments``, ``leads``); stage 03's ``grading`` and ``clv``.
    ctx
        The stage context (``analysis``: look-back and churn horizon; ``indicators``: the satisfaction
        thresholds; ``segmentation``: the CLV model for the P(alive) baseline; ``churn``).
    """
    settings: ChurnSettings = ctx.section
    if has_recorded_churn(inputs["customers"]) or len(inputs["orders"]) == 0:
        return _compute_recorded(inputs, ctx)
    horizon, lookback = ctx.analysis.churn_horizon_days, ctx.analysis.lookback_days
    tables = {name: inputs.get(name) for name in _TABLES}
    orders = tables["orders"]
    as_of = ctx.period.as_of
    featurize = partial(
        churn_features,
        tables,
        like=ctx.period,
        lookback_days=lookback,
        trend_months=settings.trend_months,
        complaints_window_days=settings.early_warning.complaints_window_days or horizon,
        satisfaction=ctx.settings.indicators.satisfaction(),  # type: ignore[attr-defined]
    )
    data_start = orders["order_date"].min() if len(orders) else None
    w = windows(as_of, horizon, settings.model.training_windows, data_start)
    rows = partial(cutoff_rows, lambda c, ids: featurize(c, ids), orders, horizon_days=horizon, lookback_days=lookback)
    clock = time.perf_counter()
    test, validation_train, final_train = rows([w.test]), rows(w.validation_train), rows(w.final_train)
    seconds = {"features": time.perf_counter() - clock}

    clock = time.perf_counter()
    baselines, baseline_note = {}, ""
    if len(test) and test.label.any() and (~test.label).any():
        churn_score, baseline_note = _p_alive_baseline(orders, w.test, ctx, inputs.get("clv"))
        if churn_score is not None:
            churn_score.index = churn_score.index.astype(str)
            baselines["p_alive"] = churn_score
    seconds["p_alive_baseline"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if w.test_usable:
        fit = fit_churn(
            test, validation_train, final_train, settings.model, threshold=settings.risk_bands.high, baselines=baselines
        )
    else:
        fit = ChurnFit(
            "no_model",
            reason=f"the data start on {data_start:%Y-%m-%d}, less than {horizon} days before the latest cut-off "
            f"whose outcome is known ({w.test:%Y-%m-%d}): no model can be checked",
            sizes=row_sizes(test, validation_train, final_train),
        )
    seconds["models"] = time.perf_counter() - clock
    clock = time.perf_counter()

    gaps = purchase_gaps(orders, as_of)
    scored = at_risk(orders, as_of, lookback)
    today = featurize(as_of, scored)
    probability, reasons = _score(fit, today, scored, inputs, settings, horizon=horizon, lookback=lookback)
    hits = early_warnings(tables, ctx.period, settings.early_warning, scored, lookback_days=lookback)
    rule_check = _rule_check(tables, ctx.period, settings, horizon=horizon, lookback=lookback, data_start=data_start)
    table = _churn_table(scored, today, probability, reasons["reasons"], hits, inputs, settings)
    seconds["scoring"] = time.perf_counter() - clock
    return ChurnRun(
        table=table,
        fit=fit,
        windows=w,
        horizon_days=horizon,
        lookback=lookback,
        horizon=horizon_fit(gaps, horizon),
        gaps=gaps,
        test=test,
        today=today,
        first_reason=reasons["first"].set_axis(scored.astype(str)),
        hits=hits,
        rule_check=rule_check,
        data_end=orders["order_date"].max() if len(orders) else None,
        baseline_note=baseline_note,
        settings=settings,
        inputs=inputs,
        period_label=ctx.period.label,
        seconds=seconds,
    )


def _compute_recorded(inputs: Mapping[str, Any], ctx: StageContext) -> ChurnRun:
    """Churn recorded in the customer table is the label (:mod:`helpers.churn.recorded`).

    With churn dates, the check is out of time: each cut-off's rows are the customers of that day, labelled by a
    churn date in the horizon after it, with features as of it; with too few leavers for that, the customers of
    the latest cut-off whose outcome is known are split into training and held-out ones. Without dates, a
    stratified share of the labelled customers is held out. The current customers are scored — those recorded as
    staying and those whose churn is blank, who are never trained on. The early-warning rules run on the order
    lines when the data have them.
    """
    settings: ChurnSettings = ctx.section
    model = settings.model
    horizon, lookback = ctx.analysis.churn_horizon_days, ctx.analysis.lookback_days
    tables = {name: inputs.get(name) for name in _TABLES}
    customers, orders, as_of = inputs["customers"], tables["orders"], ctx.period.as_of
    clock = time.perf_counter()
    label = recorded_churn(customers, as_of)
    attributes = snapshot_features(customers, as_of).reindex(label.index)
    scored = pd.Index(label.index[label.ne(True).fillna(True).to_numpy()], name="customer_id")
    line = timeline(customers, label)
    note, held_out, names = "", True, _HELD_OUT_NAMES
    if dated(customers) and not line["unplaced"].all():
        featurize = partial(_recorded_features, tables, ctx, settings, attributes, line)
        w = windows(as_of, horizon, model.training_windows, line["start"].min())
        rows = partial(
            cutoff_rows,
            featurize,
            orders,
            horizon_days=horizon,
            lookback_days=lookback,
            population=partial(current_at, line),
            outcome=lambda cutoff, ids: left_within(line, cutoff, horizon, ids),
        )
        test, train, final = rows([w.test]), rows(w.validation_train), rows(w.final_train)
        if (
            w.test_usable
            and min(test.churners, train.churners, test.stayers, train.stayers) >= model.min_class_customers
        ):
            held_out, names = False, None
        else:
            # One cut-off, the latest whose outcome is known, split: fewer rows, still features before the outcome.
            final = test
            test, train = split_rows(final, model.holdout_share, model.seed)
            note = (
                f"The churn dates give too few leavers at the cut-offs {horizon} days apart to check a model across "
                f"them (at least {model.min_class_customers} leavers and stayers each): the customers of "
                f"{w.test:%Y-%m-%d} are split instead, {model.holdout_share:.0%} held out to test."
            )
            names = ("held-out customers", "training customers", f"customers of {w.test:%Y-%m-%d}")
        today = featurize(as_of, scored)
    else:
        w = windows(as_of, horizon, 0, None)
        labelled = label.notna().to_numpy()
        test, train, final = holdout_rows(
            attributes.loc[labelled], label[labelled].astype(bool), model.holdout_share, model.seed, as_of
        )
        today = attributes.reindex(scored)
    seconds = {"features": time.perf_counter() - clock, "p_alive_baseline": 0.0}
    clock = time.perf_counter()
    if label.notna().any():
        fit = fit_churn(
            test,
            train,
            final,
            model,
            threshold=settings.risk_bands.high,
            baseline="recency" if "recency_days" in today else "tenure",
            names=names,
        )
    else:
        reason = (
            "the churn column is blank for every customer (and there are no order lines): nothing to learn from"
            if len(customers)
            else "the data hold no customers and no order lines (a lead history): there is no churn to model"
        )
        fit = ChurnFit("no_model", reason=reason, sizes=row_sizes(test, train, final))
    seconds["models"] = time.perf_counter() - clock
    clock = time.perf_counter()
    probability, reasons = _score(fit, today, scored, inputs, settings, horizon=horizon, lookback=lookback)
    if fit.ok and fit.final_oof is not None and held_out and not note:
        # A labelled customer still here was trained on with today's very figures: their probability is the one
        # of a model that did not see them (out of fold), as for a customer whose churn is blank.
        seen = fit.final_oof.reindex(probability.index.astype(str)).to_numpy()
        probability = probability.where(np.isnan(seen), seen)
    hits = early_warnings(tables, ctx.period, settings.early_warning, scored, lookback_days=lookback)
    table = _churn_table(scored, today, probability, reasons["reasons"], hits, inputs, settings)
    retention, retention_by = None, None
    if "tenure_months" in attributes:
        retention_by = retention_split(attributes, label)
        overall = retention_curve(attributes["tenure_months"], label)
        split = retention_curve(attributes["tenure_months"], label, attributes[retention_by]) if retention_by else None
        retention = pd.concat([overall, split], ignore_index=True) if split is not None else overall
    seconds["scoring"] = time.perf_counter() - clock
    gaps = purchase_gaps(orders, as_of)
    return ChurnRun(
        table=table,
        fit=fit,
        windows=w,
        horizon_days=horizon,
        lookback=lookback,
        horizon=horizon_fit(gaps, horizon),
        gaps=gaps,
        test=test,
        today=today,
        first_reason=reasons["first"].set_axis(scored.astype(str)),
        hits=hits,
        rule_check=_rule_check(
            tables,
            ctx.period,
            settings,
            horizon=horizon,
            lookback=lookback,
            data_start=orders["order_date"].min() if len(orders) else None,
        ),
        data_end=orders["order_date"].max() if len(orders) else None,
        baseline_note=note,
        settings=settings,
        inputs=inputs,
        period_label=ctx.period.label,
        seconds=seconds,
        recorded=True,
        held_out=held_out,
        recorded_counts={
            "churned": int(label.eq(True).sum()),
            "stayed": int(label.eq(False).sum()),
            "blank": int(label.isna().sum()),
        },
        retention=retention,
        retention_by=retention_by,
    )


#: How a held-out check names its rows (test, training, scoring model's) in the reason it gives no model.
_HELD_OUT_NAMES = ("held-out customers", "training customers", "customers whose churn is recorded")


def _recorded_features(
    tables: Mapping[str, Any],
    ctx: StageContext,
    settings: ChurnSettings,
    attributes: pd.DataFrame,
    line: pd.DataFrame,
    cutoff: pd.Timestamp,
    customers: pd.Index,
) -> pd.DataFrame:
    """Features as of a cut-off for dated recorded churn: the order features when the data have orders, the
    categorical attributes (numbers of the export day may have moved since the cut-off), and the tenure then."""
    if len(tables["orders"]):
        horizon = ctx.analysis.churn_horizon_days
        out = churn_features(
            tables,
            cutoff,
            customers,
            like=ctx.period,
            lookback_days=ctx.analysis.lookback_days,
            trend_months=settings.trend_months,
            complaints_window_days=settings.early_warning.complaints_window_days or horizon,
            satisfaction=ctx.settings.indicators.satisfaction(),  # type: ignore[attr-defined]
        )
    else:
        categories = [c for c in attributes.columns if is_categorical(attributes, c)]
        out = attributes[categories].reindex(customers)
    start = line["start"].reindex(customers)
    if start.notna().any():
        days = (pd.Timestamp(cutoff).normalize() - start).dt.days
        out["tenure_months"] = (days / (365.25 / 12)).clip(lower=0).to_numpy()
    return out


def _score(
    fit: ChurnFit,
    today: pd.DataFrame,
    scored: pd.Index,
    inputs: Mapping[str, Any],
    settings: ChurnSettings,
    *,
    horizon: int,
    lookback: int,
) -> tuple[pd.Series, pd.DataFrame]:
    """The calibrated probability of each scored customer and their reasons (NaN and none without a model)."""
    probability = pd.Series(np.nan, index=scored, dtype=float)
    reasons = pd.DataFrame({"reasons": "", "first": pd.NA}, index=scored).astype("string")
    if fit.ok and len(scored):
        probability[:] = fit.probability(today)
        contributions = fit.model.contributions(today[fit.features])
        reasons = top_reasons(
            contributions,
            today,
            settings.top_reasons,
            currency=str(inputs["cleaning"]["reporting_currency"]),
            trend_months=settings.trend_months,
            complaints_days=settings.early_warning.complaints_window_days or horizon,
            window_days=lookback,
            levels=known_levels(fit.model),
        )
    return probability, reasons


def _churn_table(
    scored: pd.Index,
    today: pd.DataFrame,
    probability: pd.Series,
    reasons: pd.Series,
    hits: pd.DataFrame,
    inputs: Mapping[str, Any],
    settings: ChurnSettings,
) -> pd.DataFrame:
    """One row per scored customer: who, their classes, the probability, band, reasons, rules and action."""
    ids = scored.astype(str)
    table = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    customers = inputs["customers"].assign(customer_id=lambda d: d["customer_id"].astype(str))
    customers = customers.drop_duplicates("customer_id").set_index("customer_id")
    for column in ("customer_name", "contact_name_masked", "contact_phone_masked", "contact_email_masked"):
        table[column] = customers[column].reindex(ids).astype("string") if column in customers else pd.NA
    table["owner"] = _owners(inputs.get("leads"), scored).to_numpy()
    grading = inputs["grading"].assign(customer_id=lambda d: d["customer_id"].astype(str)).set_index("customer_id")
    for column in ("rfm_class", "scorecard_class", "behaviour_state", "p_alive"):
        table[column] = grading[column].reindex(ids).to_numpy() if column in grading else pd.NA
    table["last_order_date"] = customers["last_order_date"].reindex(ids).to_numpy()
    for column in ("recency_days", "monetary"):  # a snapshot has no order figures
        table[column] = today[column].to_numpy() if column in today else np.nan
    table["churn_probability"] = probability.to_numpy()
    table["risk_band"] = risk_bands(table["churn_probability"], settings)
    table["reasons"] = reasons.to_numpy()
    seen = hits.assign(text=lambda d: d["rule"].map(lambda r: LABELS.text("churn_rule", r)) + ": " + d["seen"])
    table["rule_hits"] = seen.groupby("customer_id")["text"].agg("; ".join).reindex(ids).fillna("").astype("string")
    band = table["risk_band"]
    # Without a model the rules alone steer: a customer a rule fired for gets the "watch" action.
    fallback = np.where(table["rule_hits"].ne(""), "medium", "low")
    table["action"] = np.where(band.eq("not_scored"), fallback, band)
    table["action"] = table["action"].map(settings.actions).astype("string")
    table["_hits"] = table["rule_hits"].str.count(";") + table["rule_hits"].ne("").astype(int)
    table = table.sort_values(
        ["churn_probability", "_hits", "recency_days"],
        ascending=[False, False, False],
        na_position="last",
        kind="stable",
    )
    return table.drop(columns="_hits").reset_index()[CHURN_COLUMNS]


STAGE = Stage(
    number=4,
    name="churn_model",
    title_zh="流失预警",
    title_en="Churn modelling and early warning",
    question="Who is likely to stop buying in the next months, why, and what should the account manager do?",
    question_zh="哪些客户可能在未来几个月停止购买？原因是什么？客户经理该做什么？",
    inputs=(
        "orders",
        "customers",
        "cleaning",
        "tickets",
        "reviews",
        "surveys",
        "interactions",
        "payments",
        "leads",
        "grading",
        "clv",
    ),
    outputs=(
        Output(
            "churn",
            "churn.parquet",
            "the churn probability, risk band, reasons, early-warning hits and action of every customer at risk",
            row="customer with a purchase in the look-back window up to the as-of date (with churn recorded in the "
            "customer table: every current customer, blank churn included), riskiest first",
            columns=column_list(CHURN_COLUMNS)
            + ". `churn_probability` (0–1, calibrated) is NaN when no validated model could score (then "
            "`risk_band` is `not_scored` and the rules alone set `action`); `risk_band` is `high`/`medium`/`low`; "
            "`reasons`: the strongest risk-raising features in words, `; `-separated; `rule_hits`: each "
            "early-warning rule that fired and what was seen; `owner`: the sales owner of the customer's latest "
            "lead, NA when the data have none",
        ),
        Output(
            "churn_metrics",
            "churn_metrics.json",
            "the out-of-time check of every model and baseline, the chosen model and the calibration",
            columns="`status` (`ok`, `failed`, `no_model`), `reason`, `label` (`no_order_within_horizon`; "
            "`recorded_date` or `recorded` when the customer table records churn, with or without dates), "
            "`horizon_days`, `windows` (`validation`: `out_of_time` with the test cut-off, the training cut-offs "
            "and the outcome window, or `held_out` with its share; `recorded`: customers recorded as gone, staying "
            "and blank), `sizes`, `features`, `models` (per model and baseline: "
            "`auc`, `pr_auc`, `brier`, `lift_top_decile`, `capture_top_decile`, `precision`, `recall`, "
            "`flagged`, `rows`, `churn_rate`, `kind`, `fitted`, `note`), `chosen`, `why`, `calibration` "
            "(`method`, metrics after calibration), `threshold`, `horizon_fit` (purchase gaps vs the horizon)",
        ),
        Output(
            "churn_risk_list",
            "churn_risk_list_{period}.xlsx",
            "the risk list for account managers: customers by risk, reasons, rules and actions",
            place="reports",
            description_zh="给客户经理的流失预警名单：按风险排序的客户、原因、触发的规则和建议行动",
        ),
    ),
    config_section="churn",
    settings=ChurnSettings,
    shared_sections=("analysis", "indicators", "segmentation"),
    compute=compute,
)
