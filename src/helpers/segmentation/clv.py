"""Customer lifetime value (客户生命周期价值): BG/NBD + Gamma-Gamma with PyMC-Marketing.

The transaction model is BG/NBD (Fader, Hardie & Lee 2005): while a customer is
"alive" they buy at a Poisson rate, and after each purchase they may drop out.
The spend model is Gamma-Gamma: each customer's average spend varies around a
customer-specific mean. Both are fitted with :mod:`pymc_marketing.clv`, the
maintained successor of ``lifetimes``; this module only prepares the data,
turns the settings into priors and reshapes the results into per-customer tables.

Fitting is MAP by default. With the flat (``HalfFlat``) priors of
``config/settings.yaml`` the MAP is the maximum-likelihood estimate, which is
what the published CDNOW figures are (``tests/test_clv_cdnow.py`` checks them
to 1%). ``fit_method: mcmc`` samples the posterior instead and adds 94%
intervals to the CLV.

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
from helpers.core.validation import require_columns
from helpers.segmentation.settings import ClvSettings, PriorSpec

if TYPE_CHECKING:  # imported lazily at run time: see use_compile_cache
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

__all__ = [
    "CLV_COLUMNS",
    "INTERVAL",
    "UNIT_DAYS",
    "UNITS_PER_MONTH",
    "clv_summary",
    "ClvFit",
    "ClvValidation",
    "fit_clv",
    "horizon_units",
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

#: Output columns of :func:`predict_clv`, with their meanings.
CLV_COLUMNS: dict[str, str] = {
    "expected_purchases": "Expected purchases (预计购买次数) over the horizon, from BG/NBD.",
    "p_alive": "Probability alive (存活概率): chance the customer has not silently left, from BG/NBD.",
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
    """A fitted BG/NBD + Gamma-Gamma pair and what the report says about it.

    Attributes
    ----------
    bgnbd, gamma_gamma
        The fitted PyMC-Marketing models (``gamma_gamma`` is None when too few
        customers have repeat purchases with a positive spend).
    params
        One row per parameter: ``model``, ``parameter``, ``value`` (MAP, or
        posterior mean), and for MCMC ``low``/``high`` (94% HDI).
    log_likelihood
        BG/NBD log-likelihood at the fitted parameters (MAP fits).
    customers, repeat_customers, spend_customers
        Customers in the fit, with repeat purchases, and in the spend model.
    method, time_unit, seconds
        How it was fitted and how long it took.
    """

    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel | None
    params: pd.DataFrame
    log_likelihood: float
    customers: int
    repeat_customers: int
    spend_customers: int
    method: str
    time_unit: str
    seconds: float
    notes: list[str] = field(default_factory=list)


def _model_frame(summary: pd.DataFrame) -> pd.DataFrame:
    require_columns(summary, ["frequency", "recency", "T", "monetary_value"], "CLV summary")
    frame = summary[["frequency", "recency", "T", "monetary_value"]].astype(float)
    frame.index = frame.index.astype(str)
    return frame.rename_axis("customer_id").reset_index()


def _fit_kwargs(settings: ClvSettings, n_customers: int) -> dict[str, Any]:
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


def _params(model: Any, label: str, names: list[str]) -> pd.DataFrame:
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
    """Sum over customers of the BG/NBD log-likelihood at the (first) posterior point."""
    import pymc as pm

    ll = pm.compute_log_likelihood(
        model.idata.sel(chain=[0], draw=[0]), model=model.model, extend_inferencedata=False, progressbar=False
    )
    return float(ll["recency_frequency"].sum())


def fit_clv(summary: pd.DataFrame, settings: ClvSettings) -> ClvFit:
    """Fit BG/NBD on every customer and Gamma-Gamma on the repeat buyers.

    Parameters
    ----------
    summary
        Output of :func:`clv_summary` in ``settings.time_unit``:
        index customer id, columns ``frequency``, ``recency``, ``T``, ``monetary_value``.
    settings
        The ``clv`` settings: fit method, priors, MCMC sampler and seed.

    Returns
    -------
    ClvFit

    Raises
    ------
    GradingError
        When fewer than ``settings.min_repeat_customers`` customers bought more
        than once: the models cannot tell dropout from a low purchase rate.
    """
    _quiet_imports()
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    frame = _model_frame(summary)
    repeaters = frame.loc[frame["frequency"] > 0]
    if len(repeaters) < settings.min_repeat_customers:
        raise GradingError(
            f"only {len(repeaters)} customers bought on more than one day "
            f"(segmentation.clv.min_repeat_customers is {settings.min_repeat_customers}): the CLV model is not fitted"
        )
    started = time.perf_counter()
    kwargs = _fit_kwargs(settings, len(frame))
    bgnbd = BetaGeoModel(model_config={k: _prior(v) for k, v in settings.bgnbd_priors.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "The group fit_data is not defined in the InferenceData scheme"
        bgnbd.fit(data=frame[["customer_id", "frequency", "recency", "T"]], **kwargs)
        # The spend model needs a positive average repeat spend (it takes its logarithm).
        spenders = repeaters.loc[repeaters["monetary_value"] > 0]
        notes = []
        if len(spenders) < len(repeaters):
            notes.append(
                f"{len(repeaters) - len(spenders)} repeat buyers with a zero or negative average repeat spend "
                "are left out of the spend model."
            )
        gamma_gamma = None
        if len(spenders) >= settings.min_repeat_customers:
            gamma_gamma = GammaGammaModel(model_config={k: _prior(v) for k, v in settings.gamma_gamma_priors.items()})
            gamma_gamma.fit(data=spenders[["customer_id", "monetary_value", "frequency"]], **kwargs)
        else:
            notes.append("Too few repeat buyers with a positive spend: expected spend and CLV are not available.")
    params = [_params(bgnbd, "BG/NBD", ["r", "alpha", "a", "b"])]
    if gamma_gamma is not None:
        params.append(_params(gamma_gamma, "Gamma-Gamma", ["p", "q", "v"]))
    return ClvFit(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        params=pd.concat(params, ignore_index=True),
        log_likelihood=_log_likelihood(bgnbd) if settings.fit_method == "map" else float("nan"),
        customers=len(frame),
        repeat_customers=len(repeaters),
        spend_customers=len(spenders),
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
    purchases, _, _ = _per_customer(fit.bgnbd.expected_purchases(data=frame, future_t=t), index)
    alive, _, _ = _per_customer(fit.bgnbd.expected_probability_alive(data=frame), index)
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
        transaction_model=fit.bgnbd,
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
        The calibration-period fit.
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
    expected, _, _ = _per_customer(fit.bgnbd.expected_purchases_new_customer(data=grid), grid.index)
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
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    top_bucket: int = 7,
) -> ClvValidation:
    """Fit on the calibration period and compare predicted with actual holdout purchases.

    Parameters
    ----------
    transactions
        Purchases (sale lines) with customer, date and amount columns.
    calibration_end, observation_end
        Last calibration day and last holdout day (inclusive).
    settings
        The ``clv`` settings (time unit, priors, fit method).
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
    fit = fit_clv(summary, settings.model_copy(update={"fit_method": "map"}))
    holdout = float(summary["duration_holdout"].iloc[0]) if len(summary) else 0.0
    predicted, _, _ = _per_customer(
        fit.bgnbd.expected_purchases(data=_model_frame(summary), future_t=holdout), summary.index
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


# --------------------------------------------------------------------------- one period
def _diagnostics(fit: ClvFit) -> list[str]:
    """Plain-language warnings about fits that are valid but say little."""
    p = dict(zip(fit.params["parameter"], fit.params["value"]))
    dropout = p["a"] / (p["a"] + p["b"])
    if dropout < 0.001:
        return [
            f"The purchase model finds almost no dropout (mean chance to leave after a purchase "
            f"a/(a+b) = {dropout:.5f}), so the probability alive is close to 1 for everyone: the history is too "
            "short, or customers too regular, to tell a lost customer from a slow one. Expected purchases and CLV "
            "still rank customers by their purchase rate; read p_alive with care."
        ]
    return []


@dataclass
class PeriodClv:
    """The CLV of one reporting period, or why it is not available.

    Attributes
    ----------
    summary
        :func:`clv_summary` of every customer with a sale up to the as-of date.
    predictions
        :func:`predict_clv` for those customers; all NaN when the model was not fitted.
    fit, validation
        The full-history fit and the calibration / holdout check (None when not possible).
    notes
        Plain-language reasons for anything not available.
    """

    summary: pd.DataFrame
    predictions: pd.DataFrame
    fit: ClvFit | None
    validation: ClvValidation | None
    notes: list[str]


def period_clv(orders: pd.DataFrame, as_of: pd.Timestamp, settings: ClvSettings) -> PeriodClv:
    """Fit, predict and validate the CLV models on the sale lines up to ``as_of``.

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
    notes: list[str] = []
    fit = validation = None
    try:
        fit = fit_clv(summary, settings)
        predictions = predict_clv(fit, summary, settings)
        notes += fit.notes
        notes += _diagnostics(fit)
    except GradingError as exc:
        notes.append(f"CLV not available: {exc}.")
        predictions = pd.DataFrame(np.nan, index=summary.index, columns=list(CLV_COLUMNS))
    calibration_end = as_of - pd.Timedelta(days=settings.holdout_days)
    first_sale = sales["order_date"].min()
    if fit is None:
        pass
    elif pd.isna(first_sale) or first_sale.normalize() > calibration_end - pd.Timedelta(days=settings.holdout_days):
        notes.append(
            f"No holdout check: it needs at least {settings.holdout_days} days of history before a "
            f"{settings.holdout_days}-day holdout (segmentation.clv.holdout_days), and the data start on "
            f"{first_sale:%Y-%m-%d}."
        )
    else:
        try:
            validation = validate_clv(sales, calibration_end=calibration_end, observation_end=as_of, settings=settings)
        except GradingError as exc:
            notes.append(f"No holdout check: {exc}.")
    return PeriodClv(summary, predictions, fit, validation, notes)
