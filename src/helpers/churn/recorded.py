"""Churn the client recorded: a churn flag or a churn date in the customer table, e.g. a customer snapshot.

When the data say who left (a subscription export's ``Churn`` column, an account's closing date), that is the
label; nothing is inferred from silence. When the churn carries dates (and the customers a start: a registration
date, a tenure, or orders), the check is out of time as for order data: at each cut-off the rows are the customers
of that day, labelled by whether their churn date falls in the horizon after it. A snapshot without dates has no
time to validate across, so the check holds out a stratified share of the labelled customers, chosen by the seed:
the models learn on the rest, are compared and calibrated exactly as for order data
(:func:`helpers.churn.training.fit_churn`), and the chosen one is refitted on every labelled customer. Customers
whose churn is blank are scored and never trained on; those recorded as gone are not scored (there is nobody left
to call).

For contract data the retention curve by tenure is the Kaplan–Meier estimate (statsmodels ``SurvfuncRight``):
tenure in months is the time, a recorded churn the event, a customer still there censored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from helpers.churn.features import by_customer, is_categorical
from helpers.churn.training import Rows

__all__ = [
    "RETENTION_MONTHS",
    "current_at",
    "dated",
    "has_recorded_churn",
    "holdout_rows",
    "left_within",
    "recorded_churn",
    "retention_at",
    "retention_curve",
    "retention_split",
    "split_rows",
    "timeline",
]

#: Tenures (months) at which the retention table reads the curve.
RETENTION_MONTHS = (6, 12, 24, 36, 48, 60, 72)


def has_recorded_churn(customers: pd.DataFrame | None) -> bool:
    """Whether the customer table records churn for at least one customer (a flag or a date)."""
    if customers is None:
        return False
    return any(c in customers and customers[c].notna().any() for c in ("churned", "churn_date"))


def recorded_churn(customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Each customer's recorded churn as of ``as_of``: True (gone), False (still a customer), NA (not known).

    The flag decides where it is given; a churn date fills a blank flag (on or before the as-of date: gone; later:
    still a customer then). When the table records no flag at all, only dates, a customer without a churn date is
    still a customer; when it records flags, a blank flag without a date stays unknown (scored, never learned from).
    """
    table = by_customer(customers)
    flag = (table["churned"] if "churned" in table else pd.Series(pd.NA, index=table.index)).astype("boolean")
    if dated(table.reset_index()):
        end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        by_date = pd.Series(table["churn_date"].lt(end).to_numpy(), index=table.index, dtype="boolean")
        by_date = by_date.mask(table["churn_date"].isna().to_numpy())
        flag = flag.fillna(by_date) if flag.notna().any() else by_date.fillna(False)
    return flag.rename("churned")


def timeline(customers: pd.DataFrame, label: pd.Series) -> pd.DataFrame:
    """When each customer started and left, as far as the data say.

    Parameters
    ----------
    customers
        Stage 01's customers table.
    label
        :func:`recorded_churn` of the customers.

    Returns
    -------
    pd.DataFrame
        Index as ``label``; ``start`` (registration date, else first order, NaT when neither), ``gone`` (the churn
        date of a customer recorded as gone, NaT otherwise) and ``unplaced``: customers no cut-off can hold — gone
        without a date, churn unknown, or no start — who are in no cut-off's rows.
    """
    table = by_customer(customers).reindex(label.index)
    none = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    start = table.get("registration_date", none)
    if "first_order_date" in table:
        start = start.fillna(table["first_order_date"])
    gone = table.get("churn_date", none).where(label.eq(True).fillna(False).to_numpy())
    unplaced = label.isna() | (label.eq(True).fillna(False) & gone.isna()) | start.isna()
    return pd.DataFrame(
        {
            "start": start.astype("datetime64[ns]"),
            "gone": gone.astype("datetime64[ns]"),
            "unplaced": unplaced.astype(bool).to_numpy(),
        },
        index=label.index,
    )


def dated(customers: pd.DataFrame | None) -> bool:
    """Whether the recorded churn carries dates (then it can be checked out of time)."""
    return customers is not None and "churn_date" in customers and customers["churn_date"].notna().any()


def current_at(line: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Index:
    """The customers of ``cutoff`` (the day included) a model may learn from: started by it and not gone by it."""
    end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    keep = line["start"].lt(end) & ~line["gone"].lt(end) & ~line["unplaced"]
    return pd.Index(line.index[keep.to_numpy()], name="customer_id")


def left_within(line: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int, customers: pd.Index) -> pd.Series:
    """Whether each customer's recorded churn date falls in the ``horizon_days`` after ``cutoff``."""
    end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    gone = line["gone"].reindex(customers)
    return (gone.ge(end) & gone.lt(end + pd.Timedelta(days=horizon_days))).astype(bool)


def split_rows(rows: Rows, share: float, seed: int) -> tuple[Rows, Rows]:
    """The held-out test rows and the training rows of ``rows`` (stratified by the label, seeded)."""
    rng = np.random.default_rng(seed)
    y = rows.label.to_numpy(dtype=bool)
    test = np.zeros(len(y), dtype=bool)
    for cls in (True, False):
        where = np.flatnonzero(y == cls)
        test[rng.choice(where, size=int(round(share * len(where))), replace=False)] = True

    def part(mask: np.ndarray) -> Rows:
        return Rows(
            rows.features.loc[mask].reset_index(drop=True),
            rows.label.loc[mask].reset_index(drop=True),
            rows.customer.loc[mask].reset_index(drop=True),
            rows.cutoff.loc[mask].reset_index(drop=True),
        )

    return part(test), part(~test)


def holdout_rows(
    features: pd.DataFrame, label: pd.Series, share: float, seed: int, as_of: pd.Timestamp
) -> tuple[Rows, Rows, Rows]:
    """The held-out test rows, the training rows and every labelled row (stratified by the label, seeded).

    Parameters
    ----------
    features
        Features of the labelled customers (index ``customer_id``).
    label
        True = churned, same index.
    share
        The share of each class held out for the test.
    seed
        The random seed: same data, same split.
    as_of
        The date the rows stand for (a snapshot has one).
    """
    every = Rows(
        features.reset_index(drop=True),
        pd.Series(label.to_numpy(dtype=bool)),
        pd.Series(features.index.astype(str)),
        pd.Series(pd.Timestamp(as_of), index=range(len(label)), dtype="datetime64[ns]"),
    )
    test, train = split_rows(every, share, seed)
    return test, train, every


def retention_curve(tenure: pd.Series, churned: pd.Series, group: pd.Series | None = None) -> pd.DataFrame:
    """The Kaplan–Meier retention by tenure, overall or per group.

    Parameters
    ----------
    tenure
        Months as a customer (up to churn for those who left, up to the snapshot for the others).
    churned
        True = left (the event), False = still a customer (censored); NA rows are left out.
    group
        Optional level per customer: one curve per level.

    Returns
    -------
    pd.DataFrame
        ``group`` (``""`` overall), ``months``, ``retention`` (share still a customer after that many months),
        ``lower``, ``upper`` (95 % interval), ``at_risk`` (customers with at least that tenure); one row per
        month at which someone left, starting at ``months`` 0 with retention 1.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    known = churned.notna() & tenure.notna()
    frame = pd.DataFrame(
        {
            "t": tenure[known].astype(float).clip(lower=0),
            "e": churned[known].astype(bool).astype(int),
            "g": (group[known].astype("string").fillna("?") if group is not None else ""),
        }
    )
    parts = []
    for name, part in frame.groupby("g", sort=True):
        if part.empty:
            continue
        if part["e"].sum() == 0:
            curve = pd.DataFrame({"months": [0.0], "retention": [1.0], "lower": [1.0], "upper": [1.0]})
            curve["at_risk"] = len(part)
        else:
            fit = SurvfuncRight(part["t"].to_numpy(), part["e"].to_numpy())
            lower, upper = _pointwise_band(fit)
            curve = pd.DataFrame(
                {
                    "months": np.r_[0.0, fit.surv_times],
                    "retention": np.r_[1.0, fit.surv_prob],
                    "lower": np.r_[1.0, lower],
                    "upper": np.r_[1.0, upper],
                    "at_risk": np.r_[len(part), fit.n_risk],
                }
            )
        longest = float(part["t"].max())
        if longest > curve["months"].iat[-1]:  # the curve goes on, flat, to the longest tenure seen
            last = curve.iloc[-1]
            curve.loc[len(curve)] = [
                longest,
                last["retention"],
                last["lower"],
                last["upper"],
                (part["t"] >= longest).sum(),
            ]
        curve.insert(0, "group", str(name))
        parts.append(curve)
    if not parts:
        return pd.DataFrame(columns=["group", "months", "retention", "lower", "upper", "at_risk"])
    return pd.concat(parts, ignore_index=True)


def _pointwise_band(fit: Any) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % pointwise interval of a Kaplan–Meier curve (log-log, Greenwood's variance), within [0, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s, se = fit.surv_prob, fit.surv_prob_se
        z = 1.959964
        log_s = np.log(s)
        half = z * se / (s * np.abs(log_s))
        lower = np.exp(-np.exp(np.log(-log_s) + half))
        upper = np.exp(-np.exp(np.log(-log_s) - half))
    lower = np.where(np.isfinite(lower), lower, s)
    upper = np.where(np.isfinite(upper), upper, s)
    return np.clip(lower, 0, 1), np.clip(upper, 0, 1)


def retention_split(features: pd.DataFrame, churned: pd.Series, *, max_levels: int = 6) -> str | None:
    """The categorical attribute whose levels' churn rates differ most (for a second retention chart), or None."""
    best, spread = None, 0.0
    known = churned.dropna().astype(bool)
    for name in features.columns:
        if not is_categorical(features, name):
            continue
        values = features[name].reindex(known.index)
        counts = values.value_counts()
        if not 2 <= len(counts) <= max_levels or counts.min() < 30:
            continue
        rates = known.groupby(values).mean()
        if rates.max() - rates.min() > spread:
            best, spread = name, float(rates.max() - rates.min())
    return best


def retention_at(curve: pd.DataFrame, months: tuple[int, ...] = RETENTION_MONTHS) -> pd.DataFrame:
    """The retention of each group after each of ``months`` (the step curve read at that tenure); NaN beyond the
    longest tenure observed."""
    out = {}
    for group, part in curve.groupby("group", sort=False):
        part = part.sort_values("months")
        values = []
        for m in months:
            seen = part.loc[part["months"] <= m, "retention"]
            values.append(float(seen.iloc[-1]) if len(seen) and m <= part["months"].max() + 1e-9 else np.nan)
        out[group] = values
    return pd.DataFrame(out, index=pd.Index(months, name="months")).T
