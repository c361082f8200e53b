"""Customer lifetime value (客户生命周期价值): a purchase model + Gamma-Gamma with PyMC-Marketing, and a verdict.

The purchase model describes how often customers buy and when they silently
leave. PyMC-Marketing offers three for non-contractual data: BG/NBD (Fader,
Hardie & Lee 2005: after each purchase a customer may drop out), the modified
BG/NBD (MBG/NBD: also right after the first purchase) and Pareto/NBD (Schmittlein,
Morrison & Colombo 1987: a customer may leave at any time). The spend model is
Gamma-Gamma: each customer's average spend varies around a customer-specific
mean. This module prepares the data, turns the settings into priors, fits
every candidate purchase model on a calibration period, checks it on the
holdout that follows, chooses one (:func:`compare_models`), and says in plain
words whether its figures can be used (:func:`clv_verdict`): *reliable*,
*usable for ranking only* or *not reliable*. When they cannot,
:func:`clv_use` puts a stated rule (:func:`fallback_value`) in their place.

Fitting is MAP by default. With the flat (``HalfFlat``) priors of
``config/settings.yaml`` the MAP is the maximum-likelihood estimate, which is
what the published CDNOW figures are (``tests/test_clv_cdnow.py`` checks them
to 1%). ``fit_method: mcmc`` samples the posterior instead and adds 94%
intervals to the CLV (the holdout checks are always MAP fits).

PyTensor compiles the model to C on first use (about 10 s); :func:`use_compile_cache`
keeps that cache inside the project so later runs reuse it. Call it before
anything imports PyTensor: this module imports PyMC lazily for that reason.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from helpers.core.errors import ConfigError, GradingError
from helpers.core.labels import LABELS
from helpers.core.validation import require_columns
from helpers.segmentation.settings import (
    CLV_MODELS,
    ClvFallbackSettings,
    ClvSettings,
    ClvVerdictSettings,
    PriorSpec,
)

if TYPE_CHECKING:  # imported lazily at run time: see use_compile_cache
    from pymc_marketing.clv import GammaGammaModel

__all__ = [
    "CLV_COLUMNS",
    "COMPARISON_COLUMNS",
    "INTERVAL",
    "MODEL_NAMES",
    "UNIT_DAYS",
    "UNITS_PER_MONTH",
    "VERDICT_LEVELS",
    "clv_summary",
    "clv_use",
    "clv_verdict",
    "ClvFit",
    "ClvUse",
    "ClvValidation",
    "ClvVerdict",
    "compare_models",
    "fallback_value",
    "fit_clv",
    "horizon_units",
    "p_alive_as_of",
    "period_clv",
    "PeriodClv",
    "predict_clv",
    "use_compile_cache",
    "validate_clv",
]

#: Days per model time unit.
UNIT_DAYS = {"D": 1.0, "W": 7.0}
#: Model time units per month, as PyMC-Marketing's CLV counts them, so expected purchases, projected
#: sales and CLV all look over the same horizon.
UNITS_PER_MONTH = {"W": 4.345, "D": 30.0}
#: Share of the posterior inside the MCMC intervals (ArviZ's default HDI width).
INTERVAL = 0.94

#: Purchase model key -> its name in tables (``model`` column of the parameters; words in the label registry).
MODEL_NAMES: dict[str, str] = {"bgnbd": "BG/NBD", "modified_bgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
#: The verdict levels, best first.
VERDICT_LEVELS: tuple[str, ...] = ("reliable", "ranking_only", "not_reliable")
#: Columns of :func:`compare_models`.
COMPARISON_COLUMNS: list[str] = [
    "model",
    "log_likelihood",
    "total_error_pct",
    "mae",
    "correlation",
    "alive_share",
    "degenerate",
    "verdict",
    "chosen",
]

#: Output columns of :func:`predict_clv`, with their meanings.
CLV_COLUMNS: dict[str, str] = {
    "expected_purchases": "Expected purchases (预计购买次数) over the horizon, from the purchase model.",
    "p_alive": "Probability alive (存活概率): chance the customer has not silently left, from the purchase model.",
    "expected_spend": "Expected spend per purchase (预计客单价), from Gamma-Gamma.",
    "projected_sales": (
        "Projected sales (预计销售额) over the horizon: expected purchases x expected spend, undiscounted."
    ),
    "clv": "CLV (客户生命周期价值): discounted expected sales over the horizon (PyMC-Marketing's CLV).",
}

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the model data
def clv_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    observation_end: pd.Timestamp | str,
    time_unit: str,
    calibration_end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Frequency / recency / T / monetary summary for BG/NBD and Gamma-Gamma models.

    Follows Fader, Hardie & Lee and the ``rfm_summary`` of lifetimes /
    PyMC-Marketing: all purchases of a customer on one calendar day are one
    transaction (amounts summed). Durations are measured in days and expressed
    in ``time_unit`` as floats (weeks = days / 7), as in the published CDNOW
    summaries; bucketing by calendar week instead would merge purchases a few
    days apart and undercount repeat purchases.

    Parameters
    ----------
    transactions
        One row per purchase (or order line); amounts are summed as given, so
        pass sale lines only for the standard spend model.
    customer_col, date_col, amount_col
        Column names.
    observation_end
        Last day observed; later transactions are ignored.
    time_unit
        ``"D"`` (days) or ``"W"`` (weeks).
    calibration_end
        When given, the summary uses transactions up to this day only and the
        holdout columns describe the days after it up to ``observation_end``.

    Returns
    -------
    pd.DataFrame
        Index ``customer_col`` (sorted), float columns:

        - ``frequency``: repeat purchase days (distinct purchase days − 1);
        - ``recency``: time from the first to the last purchase;
        - ``T``: time from the first purchase to the end of the (calibration) period;
        - ``monetary_value``: mean amount of the repeat transactions (first one
          excluded), 0 when ``frequency`` is 0;
        - with ``calibration_end``: ``frequency_holdout``, ``monetary_value_holdout``
          (0 without holdout purchases) and ``duration_holdout``. Customers whose
          first purchase is after ``calibration_end`` are left out.

    Raises
    ------
    DataValidationError
        When a named column is missing.
    ConfigError
        For an unknown ``time_unit`` or a ``calibration_end`` after ``observation_end``.
    """
    require_columns(transactions, [customer_col, date_col, amount_col], "transactions")
    units = {"D": 1.0, "W": 7.0}
    if time_unit not in units:
        raise ConfigError(f"time_unit must be 'D' (days) or 'W' (weeks), got {time_unit!r}")
    unit = units[time_unit]
    obs_end = pd.Timestamp(observation_end).normalize()
    cut = obs_end if calibration_end is None else pd.Timestamp(calibration_end).normalize()
    if cut > obs_end:
        raise ConfigError(f"calibration_end {cut.date()} is after observation_end {obs_end.date()}")

    day = transactions[date_col].dt.normalize()
    keep = (day <= obs_end).to_numpy(dtype=bool)
    daily = (
        transactions.loc[keep, amount_col]
        .groupby([transactions.loc[keep, customer_col], day[keep]])
        .sum()
        .rename_axis([customer_col, "day"])
        .reset_index()
    )
    calib = daily.loc[daily["day"] <= cut]
    # groupby sorted by (customer, day) above, so "first" is the first purchase day.
    g = calib.groupby(customer_col)
    first_day, last_day = g["day"].min(), g["day"].max()
    frequency = (g.size() - 1).astype(float)
    repeat_total = g[amount_col].sum() - g[amount_col].first()
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last_day - first_day).dt.days / unit,
            "T": (cut - first_day).dt.days / unit,
            "monetary_value": (repeat_total / frequency.where(frequency > 0)).fillna(0.0),
        }
    )
    if calibration_end is not None:
        hold = daily.loc[(daily["day"] > cut) & daily[customer_col].isin(summary.index)]
        hg = hold.groupby(customer_col)[amount_col]
        summary["frequency_holdout"] = hg.size().reindex(summary.index, fill_value=0).astype(float)
        summary["monetary_value_holdout"] = hg.mean().reindex(summary.index, fill_value=0.0)
        summary["duration_holdout"] = (obs_end - cut).days / unit
    summary.index.name = customer_col
    return summary


def use_compile_cache(project_root: str | Path, relative: str) -> Path:
    """Keep PyTensor's compiled C code in ``project_root/relative`` so a second run does not recompile.

    Sets ``base_compiledir`` in ``PYTENSOR_FLAGS`` unless the environment already
    names one (a test session or a user's own cache wins). Must run before
    PyTensor is imported: its compile directory is fixed at import.

    Parameters
    ----------
    project_root
        The project folder.
    relative
        Cache folder relative to ``project_root`` (``segmentation.clv.compile_cache`` in the settings).

    Returns
    -------
    Path
        The compile directory in use.
    """
    import sys

    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "pytensor" in sys.modules:
        import pytensor

        return Path(pytensor.config.base_compiledir)
    if "base_compiledir=" in flags:
        return Path(flags.split("base_compiledir=", 1)[1].split(",", 1)[0])
    cache = (Path(project_root) / relative).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, f"base_compiledir={cache}") if f)
    return cache


def _quiet_imports() -> None:
    """Import PyMC-Marketing without its import-time notices in the report."""
    with warnings.catch_warnings():
        # ArviZ announces its 1.0 refactor on import; nothing here depends on the changes.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        # tqdm looks for Jupyter widgets, which reports do not need (progress bars are off).
        warnings.filterwarnings("ignore", message="IProgress not found")
        import pymc_marketing.clv  # noqa: F401
    for name in ("pymc", "pymc.stats.convergence", "pytensor"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _prior(spec: PriorSpec) -> Any:
    from pymc_extras.prior import Prior

    return Prior(spec.dist, **spec.kwargs())


@dataclass
class ClvFit:
    """A fitted purchase model + Gamma-Gamma pair and what the report says about it.

    Attributes
    ----------
    model
        The purchase model's key (``bgnbd``, ``modified_bgnbd``, ``pareto_nbd``).
    purchases, gamma_gamma
        The fitted PyMC-Marketing models (``gamma_gamma`` is None when too few
        customers have repeat purchases with a positive spend, or when it was not asked for).
    params
        One row per parameter: ``model`` (:data:`MODEL_NAMES`, ``Gamma-Gamma``), ``parameter``,
        ``value`` (MAP, or posterior mean), and for MCMC ``low``/``high`` (94% HDI).
    log_likelihood
        Purchase-model log-likelihood at the fitted parameters (MAP fits).
    alive_share
        Share of the repeat buyers whose probability alive is at least ``verdict.degenerate_p_alive``.
    degenerate
        ``alive_share`` at least ``verdict.degenerate_share``: the model finds almost no dropout.
    customers, repeat_customers, spend_customers
        Customers in the fit, with repeat purchases, and in the spend model.
    method, time_unit, seconds
        How it was fitted and how long it took.
    """

    model: str
    purchases: Any
    gamma_gamma: GammaGammaModel | None
    params: pd.DataFrame
    log_likelihood: float
    alive_share: float
    degenerate: bool
    customers: int
    repeat_customers: int
    spend_customers: int
    method: str
    time_unit: str
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The purchase model's name, e.g. ``BG/NBD``."""
        return MODEL_NAMES[self.model]


def _model_frame(summary: pd.DataFrame) -> pd.DataFrame:
    require_columns(summary, ["frequency", "recency", "T", "monetary_value"], "CLV summary")
    frame = summary[["frequency", "recency", "T", "monetary_value"]].astype(float)
    frame.index = frame.index.astype(str)
    return frame.rename_axis("customer_id").reset_index()


def _fit_kwargs(settings: ClvSettings) -> dict[str, Any]:
    if settings.fit_method == "map":
        return {"method": "map", "progressbar": False}
    m = settings.mcmc
    return {
        "method": "mcmc",
        "draws": m.draws,
        "tune": m.tune,
        "chains": m.chains,
        "cores": 1,
        "target_accept": m.target_accept,
        "random_seed": settings.seed,
        "progressbar": False,
        "idata_kwargs": {"log_likelihood": False},
    }


def _params(model: Any, label: str, names: tuple[str, ...] | list[str]) -> pd.DataFrame:
    posterior = model.idata.posterior
    rows = []
    for name in names:
        draws = posterior[name].values.ravel()
        row = {"model": label, "parameter": name, "value": float(draws.mean())}
        if draws.size > 1:
            lo, hi = np.quantile(draws, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2])
            row |= {"low": float(lo), "high": float(hi)}
        rows.append(row)
    return pd.DataFrame(rows)


def _log_likelihood(model: Any) -> float:
    """Sum over customers of the purchase model's log-likelihood at the (first) posterior point."""
    import pymc as pm

    ll = pm.compute_log_likelihood(
        model.idata.sel(chain=[0], draw=[0]), model=model.model, extend_inferencedata=False, progressbar=False
    )
    return float(ll["recency_frequency"].sum())


def _purchase_model(model: str, settings: ClvSettings) -> Any:
    """An unfitted PyMC-Marketing purchase model with the configured priors."""
    from pymc_marketing.clv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

    classes = {"bgnbd": BetaGeoModel, "modified_bgnbd": ModifiedBetaGeoModel, "pareto_nbd": ParetoNBDModel}
    if model not in classes:
        raise ConfigError(f"unknown CLV model {model!r}; known: {', '.join(classes)}")
    priors = settings.purchase_priors.get(model)
    if priors is None:
        raise ConfigError(f"no priors for the CLV model {model!r} in the settings")
    return classes[model](model_config={k: _prior(v) for k, v in priors.items()})


def _require_repeaters(summary: pd.DataFrame, settings: ClvSettings) -> None:
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < settings.min_repeat_customers:
        raise GradingError(
            f"only {repeaters} customers bought on more than one day and the model needs at least "
            f"{settings.min_repeat_customers}: the CLV model is not fitted"
        )


def fit_clv(summary: pd.DataFrame, settings: ClvSettings, model: str = "bgnbd", *, spend: bool = True) -> ClvFit:
    """Fit a purchase model on every customer and Gamma-Gamma on the repeat buyers.

    Parameters
    ----------
    summary
        Output of :func:`clv_summary` in ``settings.time_unit``:
        index customer id, columns ``frequency``, ``recency``, ``T``, ``monetary_value``.
    settings
        The ``clv`` settings: fit method, priors, MCMC sampler, seed and the degenerate-dropout thresholds.
    model
        ``bgnbd`` (BG/NBD), ``modified_bgnbd`` (MBG/NBD) or ``pareto_nbd`` (Pareto/NBD).
    spend
        Fit the Gamma-Gamma spend model too (the holdout check needs only the purchase model).

    Returns
    -------
    ClvFit

    Raises
    ------
    GradingError
        When fewer than ``settings.min_repeat_customers`` customers bought more
        than once: the models cannot tell dropout from a low purchase rate.
    ConfigError
        For an unknown model, or one without priors in the settings.
    """
    _quiet_imports()
    from pymc_marketing.clv import GammaGammaModel

    frame = _model_frame(summary)
    _require_repeaters(frame, settings)
    repeaters = frame.loc[frame["frequency"] > 0]
    purchases = _purchase_model(model, settings)
    started = time.perf_counter()
    kwargs = _fit_kwargs(settings)
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "The group fit_data is not defined in the InferenceData scheme"
        purchases.fit(data=frame[["customer_id", "frequency", "recency", "T"]], **kwargs)
        # The spend model needs a positive average repeat spend (it takes its logarithm).
        spenders = repeaters.loc[repeaters["monetary_value"] > 0]
        if spend and len(spenders) < len(repeaters):
            notes.append(
                f"{len(repeaters) - len(spenders)} repeat buyers with a zero or negative average repeat spend "
                "are left out of the spend model."
            )
        gamma_gamma = None
        if spend and len(spenders) >= settings.min_repeat_customers:
            gamma_gamma = GammaGammaModel(model_config={k: _prior(v) for k, v in settings.gamma_gamma_priors.items()})
            gamma_gamma.fit(data=spenders[["customer_id", "monetary_value", "frequency"]], **kwargs)
        elif spend:
            notes.append("Too few repeat buyers with a positive spend: expected spend and CLV are not available.")
    params = [_params(purchases, MODEL_NAMES[model], CLV_MODELS[model])]
    if gamma_gamma is not None:
        params.append(_params(gamma_gamma, "Gamma-Gamma", ["p", "q", "v"]))
    alive, _, _ = _per_customer(purchases.expected_probability_alive(data=repeaters), repeaters.index)
    alive_share = float((alive >= settings.verdict.degenerate_p_alive).mean())
    return ClvFit(
        model=model,
        purchases=purchases,
        gamma_gamma=gamma_gamma,
        params=pd.concat(params, ignore_index=True),
        log_likelihood=_log_likelihood(purchases) if settings.fit_method == "map" else float("nan"),
        alive_share=alive_share,
        degenerate=alive_share >= settings.verdict.degenerate_share,
        customers=len(frame),
        repeat_customers=len(repeaters),
        spend_customers=len(spenders) if gamma_gamma is not None else 0,
        method=settings.fit_method,
        time_unit=settings.time_unit,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def horizon_units(horizon_months: float, time_unit: str) -> float:
    """A horizon in months expressed in the model's time unit (weeks or days)."""
    return horizon_months * UNITS_PER_MONTH[time_unit]


def _per_customer(values: Any, index: pd.Index) -> tuple[pd.Series, pd.Series | None, pd.Series | None]:
    """Mean over the posterior (one point for MAP) and, with several draws, the interval bounds."""
    stacked = values.stack(sample=[d for d in ("chain", "draw") if d in values.dims])
    draws = stacked.transpose("customer_id", "sample").values
    mean = pd.Series(draws.mean(axis=1), index=index)
    if draws.shape[1] == 1:
        return mean, None, None
    lo, hi = np.quantile(draws, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2], axis=1)
    return mean, pd.Series(lo, index=index), pd.Series(hi, index=index)


def predict_clv(fit: ClvFit, summary: pd.DataFrame, settings: ClvSettings) -> pd.DataFrame:
    """Per-customer expected purchases, probability alive, expected spend, projected sales and CLV.

    Parameters
    ----------
    fit
        Output of :func:`fit_clv`.
    summary
        The customers to predict for (usually the fitted summary), same columns as for :func:`fit_clv`.
    settings
        ``horizon_months`` and ``annual_discount_rate`` (discounted monthly, as PyMC-Marketing does).

    Returns
    -------
    pd.DataFrame
        Index customer id (as in ``summary``), columns :data:`CLV_COLUMNS`; with
        MCMC also ``clv_low`` / ``clv_high`` (94% interval). Spend and CLV are NaN
        when the spend model was not fitted.
    """
    _quiet_imports()
    frame = _model_frame(summary)
    index = summary.index
    t = horizon_units(settings.horizon_months, settings.time_unit)
    purchases, _, _ = _per_customer(fit.purchases.expected_purchases(data=frame, future_t=t), index)
    alive, _, _ = _per_customer(fit.purchases.expected_probability_alive(data=frame), index)
    out = pd.DataFrame({"expected_purchases": purchases, "p_alive": alive})
    if fit.gamma_gamma is None:
        return out.assign(expected_spend=np.nan, projected_sales=np.nan, clv=np.nan)
    # A customer without repeat purchases gets the population's mean spend (x = 0 in the formula);
    # a non-positive average is no information about the spend level either, so it is treated the same.
    no_spend = frame["monetary_value"] <= 0
    spend_frame = frame.assign(
        monetary_value=frame["monetary_value"].where(~no_spend, 0.0), frequency=frame["frequency"].where(~no_spend, 0.0)
    )
    spend, _, _ = _per_customer(fit.gamma_gamma.expected_customer_spend(data=spend_frame), index)
    out["expected_spend"] = spend
    out["projected_sales"] = out["expected_purchases"] * spend
    value = fit.gamma_gamma.expected_customer_lifetime_value(
        transaction_model=fit.purchases,
        data=spend_frame.copy(),
        future_t=settings.horizon_months,
        discount_rate=settings.monthly_discount_rate,
        time_unit=settings.time_unit,
    )
    out["clv"], low, high = _per_customer(value, index)
    if low is not None:
        out["clv_low"], out["clv_high"] = low, high
    return out


# --------------------------------------------------------------------------- validation
@dataclass(frozen=True)
class ClvValidation:
    """Calibration / holdout check of the purchase model, as in Fader, Hardie & Lee (2005).

    Attributes
    ----------
    calibration_end, observation_end
        Last day of the calibration period and of the holdout period.
    customers
        Per customer: ``frequency`` (calibration repeat purchases), ``actual`` and
        ``predicted`` holdout purchases.
    by_frequency
        Mean actual and predicted holdout purchases per calibration frequency
        (0, 1, …, 7+): the conditional-expectations chart of the paper.
    errors
        ``customers``, ``actual_total``, ``predicted_total``, ``total_error_pct``,
        ``mae``, ``rmse``, ``correlation``, ``holdout_units``.
    tracking
        Cumulative repeat purchases of the calibration customers, actual and
        predicted, every 7 days from the first purchase to ``observation_end``:
        the tracking chart of the paper (columns ``date``, ``actual``, ``predicted``).
    fit
        The calibration-period fit (purchase model only).
    """

    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    customers: pd.DataFrame
    by_frequency: pd.DataFrame
    errors: dict[str, float]
    tracking: pd.DataFrame
    fit: ClvFit


def _tracking(
    transactions: pd.DataFrame,
    customers: pd.Index,
    fit: ClvFit,
    observation_end: pd.Timestamp,
    customer_col: str,
    date_col: str,
) -> pd.DataFrame:
    """Cumulative repeat purchase days, actual against the model's expectation for each customer's age."""
    days = (
        transactions.loc[transactions[customer_col].isin(customers), [customer_col, date_col]]
        .assign(day=lambda d: d[date_col].dt.normalize())
        .drop_duplicates([customer_col, "day"])
    )
    days = days.loc[days["day"] <= observation_end]
    first = days.groupby(customer_col)["day"].transform("min")
    repeat_days = np.sort(days.loc[days["day"] > first, "day"].to_numpy())
    first_days = days.groupby(customer_col)["day"].min().value_counts().sort_index()
    points = pd.date_range(first_days.index.min(), observation_end, freq="7D")
    if points[-1] != observation_end:
        points = points.append(pd.DatetimeIndex([observation_end]))
    # Age of every first-purchase cohort at every point, in model units; a cohort not yet born is 0.
    age = (points.to_numpy()[:, None] - first_days.index.to_numpy()[None, :]) / pd.Timedelta(days=1)
    age = np.clip(age, 0, None) / UNIT_DAYS[fit.time_unit]
    ages, inverse = np.unique(age, return_inverse=True)
    grid = pd.DataFrame({"customer_id": np.arange(ages.size), "t": ages})
    expected, _, _ = _per_customer(fit.purchases.expected_purchases_new_customer(data=grid), grid.index)
    per_cohort = expected.to_numpy()[inverse.reshape(age.shape)]
    return pd.DataFrame(
        {
            "date": points,
            "actual": np.searchsorted(repeat_days, points.to_numpy(), side="right").astype(float),
            "predicted": per_cohort @ first_days.to_numpy(dtype=float),
        }
    )


def validate_clv(
    transactions: pd.DataFrame,
    *,
    calibration_end: pd.Timestamp | str,
    observation_end: pd.Timestamp | str,
    settings: ClvSettings,
    model: str = "bgnbd",
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    top_bucket: int = 7,
) -> ClvValidation:
    """Fit a purchase model on the calibration period and compare predicted with actual holdout purchases.

    Parameters
    ----------
    transactions
        Purchases (sale lines) with customer, date and amount columns.
    calibration_end, observation_end
        Last calibration day and last holdout day (inclusive).
    settings
        The ``clv`` settings (time unit, priors); the check is always a MAP fit.
    model
        The purchase model to check (see :func:`fit_clv`).
    customer_col, date_col, amount_col
        Column names in ``transactions``.
    top_bucket
        Calibration frequencies at or above this are pooled ("7+").

    Returns
    -------
    ClvValidation

    Raises
    ------
    GradingError
        When the calibration period has too few repeat buyers to fit.
    """
    calibration_end, observation_end = pd.Timestamp(calibration_end), pd.Timestamp(observation_end)
    summary = clv_summary(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        observation_end=observation_end,
        time_unit=settings.time_unit,
        calibration_end=calibration_end,
    )
    fit = fit_clv(summary, settings.model_copy(update={"fit_method": "map"}), model, spend=False)
    holdout = float(summary["duration_holdout"].iloc[0]) if len(summary) else 0.0
    predicted, _, _ = _per_customer(
        fit.purchases.expected_purchases(data=_model_frame(summary), future_t=holdout), summary.index
    )
    customers = pd.DataFrame(
        {
            "frequency": summary["frequency"],
            "actual": summary["frequency_holdout"],
            "predicted": predicted,
        }
    )
    bucket = customers["frequency"].clip(upper=top_bucket).astype(int)
    by_frequency = (
        customers.groupby(bucket)
        .agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
        .rename_axis("calibration_frequency")
        .reset_index()
    )
    by_frequency["label"] = by_frequency["calibration_frequency"].astype(str)
    by_frequency.loc[by_frequency["calibration_frequency"] == top_bucket, "label"] = f"{top_bucket}+"
    diff = customers["predicted"] - customers["actual"]
    actual_total, predicted_total = float(customers["actual"].sum()), float(customers["predicted"].sum())
    errors = {
        "customers": float(len(customers)),
        "holdout_units": holdout,
        "actual_total": actual_total,
        "predicted_total": predicted_total,
        "total_error_pct": (predicted_total / actual_total - 1) * 100 if actual_total else float("nan"),
        "mae": float(diff.abs().mean()),
        "rmse": float(np.sqrt((diff**2).mean())),
        "correlation": float(customers["actual"].corr(customers["predicted"])),
    }
    tracking = _tracking(transactions, summary.index, fit, observation_end.normalize(), customer_col, date_col)
    return ClvValidation(calibration_end, observation_end, customers, by_frequency, errors, tracking, fit)


# --------------------------------------------------------------------------- verdict, choice, fallback
@dataclass(frozen=True)
class ClvVerdict:
    """Whether the lifetime-value figures can be used, and why, in plain words.

    Attributes
    ----------
    level
        ``reliable`` (money figures and ranking), ``ranking_only`` (the order of
        customers, not the money figures) or ``not_reliable`` (neither).
    checked
        False when there was no holdout check: the level is then ``not_reliable``.
    reasons
        Plain-language sentences for a client manager: the holdout figures against the thresholds.
    """

    level: str
    checked: bool
    reasons: tuple[str, ...]

    @property
    def ranks(self) -> bool:
        """CLV may order customers (value matrix by median or quantile cuts, the potential class)."""
        return self.level != "not_reliable"

    @property
    def in_money(self) -> bool:
        """CLV's money figures may be used against money cut points (projected sales)."""
        return self.level == "reliable"


def clv_verdict(errors: dict[str, float] | None, alive_share: float, settings: ClvVerdictSettings) -> ClvVerdict:
    """The verdict on a purchase model from its holdout errors and its dropout.

    *Reliable*: the predicted total of holdout purchases within
    ``±reliable.max_total_error_pct`` of the actual total and the per-customer
    correlation of predicted and actual purchases at least
    ``reliable.min_correlation``. *Ranking only*: the correlation at least
    ``ranking_only.min_correlation`` (whatever the total). Otherwise *not
    reliable*. A degenerate dropout (at least ``degenerate_share`` of the repeat
    buyers with a probability alive of ``degenerate_p_alive`` or more) makes it
    at best *ranking only*. Without a holdout check (``errors`` None) the
    verdict is *not checked*, treated as *not reliable*. A correlation or error
    that cannot be computed (no holdout purchases, constant predictions) fails its test.

    Parameters
    ----------
    errors
        :attr:`ClvValidation.errors` (``total_error_pct``, ``correlation``), or None without a holdout check.
    alive_share
        :attr:`ClvFit.alive_share` (the largest over the fits the figures rest on).
    settings
        The ``verdict`` thresholds.

    Returns
    -------
    ClvVerdict
    """
    degenerate = alive_share >= settings.degenerate_share
    dropout = LABELS.say(
        f"the model finds almost no dropout: {alive_share:.0%} of the customers who bought more than once are "
        f"{settings.degenerate_p_alive:.1%} or more likely to still be customers, however long ago they last "
        "bought, so it cannot tell a lost customer from a slow one",
        f"模型几乎识别不出客户流失：购买过不止一次的客户中，有 {alive_share:.0%} 无论最近一次购买距今多久，"
        f"仍为客户的概率都在 {settings.degenerate_p_alive:.1%} 以上，因此无法区分已流失的客户与购买较慢的客户",
    )
    if errors is None:
        reasons = [
            LABELS.say(
                "there was no holdout check, so the forecasts could not be compared with what customers bought",
                "没有验证期检验，无法将预测与客户的实际购买进行比较",
            )
        ]
        return ClvVerdict("not_reliable", False, tuple(reasons + ([dropout] if degenerate else [])))
    r, k = settings.reliable, settings.ranking_only
    error, corr = errors.get("total_error_pct", np.nan), errors.get("correlation", np.nan)
    total_ok = bool(np.isfinite(error) and abs(error) <= r.max_total_error_pct)
    reasons = [
        LABELS.say(
            f"the forecast of the total repeat purchases in the holdout period was {error:+.1f}% off the actual total "
            f"(reliable needs within ±{r.max_total_error_pct:g}%)",
            f"验证期内重复购买总数的预测与实际相差 {error:+.1f}%（可靠需在 ±{r.max_total_error_pct:g}% 以内）",
        )
        if np.isfinite(error)
        else LABELS.say(
            "the holdout period has no repeat purchase to compare the forecast with",
            "验证期内没有重复购买，无法与预测比较",
        ),
        LABELS.say(
            f"the per-customer correlation between forecast and actual purchases is {corr:.2f} (reliable needs at "
            f"least {r.min_correlation:.2f}, ranking at least {k.min_correlation:.2f})",
            f"逐客户预测购买与实际购买的相关系数为 {corr:.2f}（可靠需至少 {r.min_correlation:.2f}，"
            f"可用于排序需至少 {k.min_correlation:.2f}）",
        )
        if np.isfinite(corr)
        else LABELS.say(
            "the per-customer correlation between forecast and actual purchases cannot be computed",
            "无法计算逐客户预测购买与实际购买的相关系数",
        ),
    ]
    if degenerate:
        reasons.append(dropout)
    corr = corr if np.isfinite(corr) else -np.inf
    if total_ok and corr >= r.min_correlation and not degenerate:
        level = "reliable"
    elif corr >= k.min_correlation:
        level = "ranking_only"
    else:
        level = "not_reliable"
    return ClvVerdict(level, True, tuple(reasons))


def compare_models(validations: dict[str, ClvValidation], settings: ClvSettings) -> pd.DataFrame:
    """The candidates' holdout checks side by side, and the one chosen.

    The chosen model has the best verdict (:func:`clv_verdict` on its
    calibration fit); among equal verdicts, the smallest absolute holdout error
    of the total, then the higher per-customer correlation, then the earlier
    candidate in ``settings.candidates``.

    Parameters
    ----------
    validations
        Model key -> its :func:`validate_clv`, in candidate order.
    settings
        The ``clv`` settings (verdict thresholds).

    Returns
    -------
    pd.DataFrame
        One row per checked model in candidate order, columns :data:`COMPARISON_COLUMNS`:
        ``model`` (key), ``log_likelihood`` (calibration fit), ``total_error_pct``, ``mae``,
        ``correlation``, ``alive_share``, ``degenerate``, ``verdict`` (level key), ``chosen`` (bool).
    """
    rows = []
    for model, check in validations.items():
        e = check.errors
        rows.append(
            {
                "model": model,
                "log_likelihood": check.fit.log_likelihood,
                "total_error_pct": e["total_error_pct"],
                "mae": e["mae"],
                "correlation": e["correlation"],
                "alive_share": check.fit.alive_share,
                "degenerate": check.fit.degenerate,
                "verdict": clv_verdict(e, check.fit.alive_share, settings.verdict).level,
            }
        )
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS[:-1])
    order = pd.DataFrame(
        {
            "level": frame["verdict"].map(VERDICT_LEVELS.index),
            "error": frame["total_error_pct"].abs().fillna(np.inf),
            "corr": -frame["correlation"].fillna(-np.inf),
            "position": range(len(frame)),
        }
    )
    best = order.sort_values(["level", "error", "corr", "position"]).index[:1]
    frame["chosen"] = frame.index.isin(best)
    return frame.astype({"degenerate": bool, "chosen": bool})


def fallback_value(monetary: pd.Series, behaviour: pd.Series, settings: ClvFallbackSettings) -> pd.Series:
    """The stated rule used instead of CLV: last year's net spend x a weight by behaviour state.

    Parameters
    ----------
    monetary
        Net spend in the look-back window (the ``monetary`` indicator), index customer id.
    behaviour
        :func:`helpers.segmentation.gradings.behaviour_state` (active / dormant / churned).
    settings
        ``fallback.recency_weights`` per state.

    Returns
    -------
    pd.Series
        ``fallback_value`` over ``behaviour``'s index: spend (a negative net spend counts as 0) times the
        weight of the customer's state; NaN when the state is ``not_available`` or the spend is missing.
    """
    weight = behaviour.astype(object).map(settings.recency_weights).astype(float)
    spend = pd.to_numeric(monetary.reindex(behaviour.index)).astype(float).clip(lower=0.0)
    return (spend * weight).rename("fallback_value")


@dataclass(frozen=True)
class ClvUse:
    """What feeds the value matrix (and with it the potential class) and the projected-sales factor.

    Attributes
    ----------
    future_value
        The value matrix's future-value axis: ``clv`` or ``fallback_value`` (the Series' name says which).
    projected_sales
        The projected-sales factor's column: the model's ``projected_sales`` or ``fallback_value``.
    fallback
        :func:`fallback_value` of every graded customer (kept in the grading table either way).
    weights
        The fallback's weight per behaviour state.
    """

    future_value: pd.Series
    projected_sales: pd.Series
    fallback: pd.Series
    weights: dict[str, float]

    @property
    def matrix_basis(self) -> str:
        """``clv`` or ``fallback_value``."""
        return str(self.future_value.name)

    @property
    def projected_basis(self) -> str:
        """``projected_sales`` (the model's) or ``fallback_value``."""
        return str(self.projected_sales.name)


def clv_use(
    predictions: pd.DataFrame,
    verdict: ClvVerdict,
    monetary: pd.Series,
    behaviour: pd.Series,
    settings: ClvFallbackSettings,
    matrix_cut: str,
) -> ClvUse:
    """Decide where CLV is used and where the stated fallback rule (:func:`fallback_value`) replaces it.

    *Reliable*: CLV feeds the value matrix and the model's projected sales the
    projected-sales factor. *Ranking only*: CLV orders customers in the value
    matrix (its median, mean or quantile cuts only compare customers) but the
    projected-sales factor, whose cut points are money, uses the fallback; so
    does the value matrix with ``fixed`` (money) cuts. *Not reliable* (or not
    checked): the fallback everywhere.

    Parameters
    ----------
    predictions
        :func:`predict_clv` (``clv``, ``projected_sales``).
    verdict
        :func:`clv_verdict` on the chosen model.
    monetary, behaviour
        For :func:`fallback_value`; ``behaviour``'s index is the graded customers.
    settings
        The fallback's weights.
    matrix_cut
        The value matrix's cut (``segmentation.value_matrix.cut``).

    Returns
    -------
    ClvUse
        Every Series over ``behaviour``'s index.
    """
    fallback = fallback_value(monetary, behaviour, settings)
    matrix_clv = verdict.ranks and (verdict.in_money or matrix_cut != "fixed")
    future = predictions["clv"] if matrix_clv else fallback
    projected = predictions["projected_sales"] if verdict.in_money else fallback
    return ClvUse(
        future.reindex(fallback.index), projected.reindex(fallback.index), fallback, dict(settings.recency_weights)
    )


# --------------------------------------------------------------------------- one period
@dataclass
class PeriodClv:
    """The CLV of one reporting period, or why it is not available.

    Attributes
    ----------
    summary
        :func:`clv_summary` of every customer with a sale up to the as-of date.
    predictions
        :func:`predict_clv` of the chosen model for those customers; all NaN when it was not fitted.
    fit, validation
        The chosen model's full-history fit and its calibration / holdout check (None when not possible).
    comparison
        :func:`compare_models` over the candidates (no rows without a holdout check).
    verdict
        :func:`clv_verdict` on the chosen model.
    notes
        Plain-language reasons for anything not available.
    """

    summary: pd.DataFrame
    predictions: pd.DataFrame
    fit: ClvFit | None
    validation: ClvValidation | None
    comparison: pd.DataFrame
    verdict: ClvVerdict
    notes: list[str]


def period_clv(orders: pd.DataFrame, as_of: pd.Timestamp, settings: ClvSettings) -> PeriodClv:
    """Check every candidate on a holdout, fit the chosen one on the sale lines up to ``as_of`` and judge it.

    Each of ``settings.candidates`` is fitted on the history up to
    ``holdout_days`` before ``as_of`` and checked on the days after
    (:func:`validate_clv`); :func:`compare_models` chooses one, which is fitted
    again on the whole history for the predictions. Without enough history for
    a holdout check the first candidate is used and the verdict is *not checked*.

    Parameters
    ----------
    orders
        Clean orders (stage 01 contract): ``customer_id``, ``order_date``, ``amount``, ``line_type``.
    as_of
        Last day of the period; later purchases are ignored.
    settings
        The ``clv`` settings.

    Returns
    -------
    PeriodClv
        Never raises for data that are too thin: the notes say what is missing.
    """
    require_columns(orders, ["customer_id", "order_date", "amount", "line_type"], "orders")
    as_of = pd.Timestamp(as_of).normalize()
    # Spend models describe purchases: returns would make a repeat purchase look negative.
    sales = orders.loc[orders["line_type"].eq("sale").to_numpy(dtype=bool), ["customer_id", "order_date", "amount"]]
    summary = clv_summary(sales, observation_end=as_of, time_unit=settings.time_unit)
    empty = pd.DataFrame(columns=COMPARISON_COLUMNS)
    try:
        _require_repeaters(summary, settings)
    except GradingError as exc:
        predictions = pd.DataFrame(np.nan, index=summary.index, columns=list(CLV_COLUMNS))
        verdict = clv_verdict(None, 0.0, settings.verdict)
        return PeriodClv(summary, predictions, None, None, empty, verdict, [f"CLV not available: {exc}."])

    notes: list[str] = []
    validations: dict[str, ClvValidation] = {}
    calibration_end = as_of - pd.Timedelta(days=settings.holdout_days)
    first_sale = sales["order_date"].min().normalize()
    if first_sale > calibration_end - pd.Timedelta(days=settings.holdout_days):
        notes.append(
            f"No holdout check: it needs at least {settings.holdout_days} days of history before a "
            f"{settings.holdout_days}-day holdout, and the data start on {first_sale:%Y-%m-%d}."
        )
    else:
        for model in settings.candidates:
            try:
                validations[model] = validate_clv(
                    sales, calibration_end=calibration_end, observation_end=as_of, settings=settings, model=model
                )
            except GradingError as exc:  # too few repeat buyers before the holdout: the same for every model
                notes.append(f"No holdout check: {exc}.")
                break
    comparison = compare_models(validations, settings) if validations else empty
    chosen = str(comparison.loc[comparison["chosen"], "model"].iloc[0]) if validations else settings.candidates[0]
    fit = fit_clv(summary, settings, chosen)
    notes += fit.notes
    validation = validations.get(chosen)
    alive_share = max(fit.alive_share, validation.fit.alive_share if validation else 0.0)
    verdict = clv_verdict(validation.errors if validation else None, alive_share, settings.verdict)
    predictions = predict_clv(fit, summary, settings)
    notes += _flat_spend(predictions)
    return PeriodClv(summary, predictions, fit, validation, comparison, verdict, notes)


#: Expected spend varying less than this (coefficient of variation) across customers: the spend model says nothing.
_FLAT_SPEND_CV = 0.01


def _flat_spend(predictions: pd.DataFrame) -> list[str]:
    """A note when the spend model gives every customer the same spend per purchase (its fit collapsed)."""
    spend = predictions["expected_spend"].dropna()
    if len(spend) < 2 or not spend.mean() or spend.std() / abs(spend.mean()) >= _FLAT_SPEND_CV:
        return []
    return [
        f"The spend model finds no difference between customers: each is expected to spend about "
        f"{spend.mean():,.2f} per purchase. CLV differences here come from the number of purchases alone; the holdout "
        "check tests purchases, not spend, so read CLV amounts as purchases x an average order."
    ]


def p_alive_as_of(orders: pd.DataFrame, cutoff: pd.Timestamp, settings: ClvSettings, model: str) -> pd.Series:
    """P(alive) of every customer as of ``cutoff``, from ``model`` fitted on the sale lines up to that day only.

    Stage 04's baseline: the purchase model's own idea of who has left, checked against who then bought.

    Raises
    ------
    GradingError
        Too few repeat buyers up to the cut-off to fit the model.
    """
    cutoff = pd.Timestamp(cutoff).normalize()
    dates = orders["order_date"]
    keep = orders["line_type"].eq("sale").to_numpy(dtype=bool) & (dates < cutoff + pd.Timedelta(days=1)).to_numpy()
    summary = clv_summary(
        orders.loc[keep, ["customer_id", "order_date", "amount"]], observation_end=cutoff, time_unit=settings.time_unit
    )
    _require_repeaters(summary, settings)
    fit = fit_clv(summary, settings, model, spend=False)
    return predict_clv(fit, summary, settings)["p_alive"]
