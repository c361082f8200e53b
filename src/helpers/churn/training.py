"""Out-of-time validation, choice and calibration of the churn model.

The procedure (:func:`fit_churn`):

1. Rows of a cut-off = customers at risk there (a purchase in the look-back window), their features as of the
   cut-off and whether they bought in the horizon after it. The **test** rows are those of ``as_of − H``; the
   model under test learns from the cut-offs before it (``as_of − 2H`` …), so every label it sees ends before the
   test's features begin to be unknown — validation "out of time", as the model will be used.
2. Every candidate (recency alone, logistic regression, the tree, gradient boosting) and the P(alive) baseline is
   scored on the same test rows: AUC, PR-AUC, Brier score, lift and capture of the top decile, and what a 0.7
   threshold flags.
3. The chosen model is the best of logistic regression and the tree, unless gradient boosting beats it by more
   than ``prefer_simple_within`` or recency alone beats them all; it must reach ``min_auc`` out of time, or it
   failed its own check and gives no probabilities.
4. Its probabilities are calibrated on cross-validated predictions of its training rows (folds keep a
   customer's rows together), and the calibration is checked on the test rows, before and after.
5. The scoring model is the chosen one refitted on the latest cut-offs (``as_of − H`` …) with its own
   calibration; it scores today's customers with features as of the as-of date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.churn.features import available_features
from helpers.churn.models import BASELINE_FEATURES, MODEL_NAMES, Calibrator, make_model
from helpers.churn.outcome import at_risk, churn_outcome
from helpers.churn.settings import ModelSettings

__all__ = [
    "ChurnFit",
    "Rows",
    "clip_probability",
    "cutoff_rows",
    "evaluate",
    "fit_churn",
    "reliability",
    "row_sizes",
]


def clip_probability(p: np.ndarray) -> np.ndarray:
    """Probabilities kept within [1 %, 99 %]: a calibration map may reach 0 or 1 at its ends, and no model knows
    a customer's next months for certain."""
    return np.clip(np.asarray(p, dtype=float), 0.01, 0.99)


@dataclass
class Rows:
    """Stacked rows of one or more cut-offs: features, label, and whose row at which cut-off."""

    features: pd.DataFrame
    label: pd.Series
    customer: pd.Series
    cutoff: pd.Series

    @property
    def churners(self) -> int:
        """Rows labelled churned."""
        return int(self.label.sum())

    @property
    def stayers(self) -> int:
        """Rows of customers who bought again within the horizon."""
        return int((~self.label).sum())

    def __len__(self) -> int:
        return len(self.label)


def cutoff_rows(
    featurize: Callable[[pd.Timestamp, pd.Index], pd.DataFrame],
    orders: pd.DataFrame,
    cutoffs: Sequence[pd.Timestamp],
    *,
    horizon_days: int,
    lookback_days: int,
    population: Callable[[pd.Timestamp], pd.Index] | None = None,
    outcome: Callable[[pd.Timestamp, pd.Index], pd.Series] | None = None,
) -> Rows:
    """The rows of ``cutoffs``: customers at risk at each, their features then and the outcome after.

    ``population`` and ``outcome`` replace who is at risk at a cut-off and whether each churned in the horizon after
    it (by default: a purchase in the look-back window; no purchase in the horizon).
    """
    population = population or (lambda c: at_risk(orders, c, lookback_days))
    outcome = outcome or (lambda c, ids: churn_outcome(orders, c, horizon_days, ids))
    parts = []
    for cutoff in cutoffs:
        customers = population(cutoff)
        feats = featurize(cutoff, customers)
        label = outcome(cutoff, customers)
        parts.append((feats, label, cutoff))
    if not parts:
        empty = pd.DataFrame()
        return Rows(empty, pd.Series(dtype=bool), pd.Series(dtype=str), pd.Series(dtype="datetime64[ns]"))
    features = pd.concat([p[0] for p in parts], ignore_index=True)
    label = pd.concat([p[1] for p in parts], ignore_index=True).astype(bool)
    customer = pd.concat([p[1].index.to_series() for p in parts], ignore_index=True).astype(str)
    cutoff = pd.Series(np.concatenate([[p[2]] * len(p[1]) for p in parts]), dtype="datetime64[ns]")
    return Rows(features, label, customer, cutoff)


def evaluate(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """How well scores ``p`` predict churn ``y`` (1 = churned).

    Returns
    -------
    dict
        ``rows``, ``churn_rate``, ``auc``, ``pr_auc`` (average precision), ``brier`` (NaN when ``p`` is not a
        probability), ``lift_top_decile`` (churn rate of the top 10 % by score / overall rate),
        ``capture_top_decile`` (share of the churners in that top 10 %), and at ``threshold``: ``flagged``,
        ``precision``, ``recall``.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    base = float(y.mean()) if y.size else np.nan
    out: dict[str, float] = {"rows": int(y.size), "churn_rate": base}
    if y.size == 0 or y.min() == y.max():
        return (
            out
            | dict.fromkeys(
                ["auc", "pr_auc", "brier", "lift_top_decile", "capture_top_decile", "precision", "recall"], np.nan
            )
            | {"flagged": 0}
        )
    out["auc"] = float(roc_auc_score(y, p))
    out["pr_auc"] = float(average_precision_score(y, p))
    out["brier"] = float(brier_score_loss(y, p)) if (p.min() >= 0 and p.max() <= 1) else np.nan
    # The top 10 % by score. Rows tied at the boundary share its remaining places (each counts a fraction), so
    # a score with few distinct values (a tree, a calibration map) is not favoured by the rows' order.
    k = 0.1 * y.size
    cut = np.sort(p)[::-1][max(int(np.ceil(k)) - 1, 0)]
    above, tied = p > cut, p == cut
    weight = above + tied * (k - above.sum()) / tied.sum()
    out["lift_top_decile"] = float((weight * y).sum() / k / base)
    out["capture_top_decile"] = float((weight * y).sum() / y.sum())
    flagged = p >= threshold
    out["flagged"] = int(flagged.sum())
    out["precision"] = float(y[flagged].mean()) if flagged.any() else np.nan
    out["recall"] = float(y[flagged].sum() / y.sum())
    return out


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10, *, order: np.ndarray | None = None) -> pd.DataFrame:
    """The calibration table: rows in bins of equal size by predicted probability, mean predicted vs observed.

    ``order`` ranks the rows into bins instead of ``p`` (the raw score, so that the tables before and after
    calibration hold the same customers in each bin).
    """
    frame = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    if frame.empty:
        return pd.DataFrame(columns=["bin", "rows", "predicted", "observed"])
    ranks = pd.Series(frame["p"] if order is None else np.asarray(order, dtype=float)).rank(method="first")
    frame["bin"] = np.ceil(ranks / len(frame) * min(bins, len(frame))).astype(int)
    table = frame.groupby("bin").agg(rows=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"))
    return table.reset_index()


@dataclass
class ChurnFit:
    """What the out-of-time check found and the model that scores today's customers.

    Attributes
    ----------
    status
        ``ok`` (a validated, calibrated model scores), ``failed`` (the chosen model missed ``min_auc`` out of
        time: no probabilities), ``no_model`` (the data cannot support one: too few rows or outcomes).
    reason
        Why, in one plain sentence, when the status is not ``ok``.
    features
        The features used (they vary in the training rows).
    comparison
        One row per model and baseline (index: name): the metrics of :func:`evaluate` on the test rows,
        ``kind`` (``model`` / ``baseline``), ``fitted`` and ``note``.
    chosen, why
        The chosen model's name and the reason for the choice.
    calibration_method, before, after
        The calibration map and the reliability tables of the chosen model on the test rows.
    after_metrics
        The chosen model's metrics on the test rows after calibration.
    model, calibrator
        The scoring model (refitted on the latest cut-offs) and its calibration map.
    fitted
        Each candidate as fitted for the out-of-time check (name -> model).
    sizes
        Rows, churners and cut-offs of the training and test rows.
    final_oof
        The calibrated probability of each row of the scoring model's training by a model that did not see that
        customer (index: customer); a customer scored on the very figures it was trained on gets this one.
    """

    status: str
    reason: str = ""
    features: list[str] = field(default_factory=list)
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    chosen: str | None = None
    why: str = ""
    calibration_method: str = ""
    before: pd.DataFrame = field(default_factory=pd.DataFrame)
    after: pd.DataFrame = field(default_factory=pd.DataFrame)
    after_metrics: dict[str, float] = field(default_factory=dict)
    model: Any = None
    calibrator: Calibrator | None = None
    fitted: dict[str, Any] = field(default_factory=dict)
    sizes: dict[str, Any] = field(default_factory=dict)
    final_oof: pd.Series | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probabilities of ``features`` (rows as :func:`helpers.churn.features.churn_features`),
        within [1 %, 99 %] (:func:`clip_probability`)."""
        return clip_probability(self.calibrator(self.model.predict(features[self.features])))


def _short(rows: Rows, label: str, minimum: int) -> str | None:
    if len(rows) == 0:
        return f"there are no {label}"
    if rows.churners < minimum or rows.stayers < minimum:
        return (
            f"the {label} hold {rows.churners} churner(s) and {rows.stayers} customer(s) who stayed; "
            f"a model needs at least {minimum} of each"
        )
    return None


#: How the out-of-time check names its rows: test, training, scoring model's.
_CUTOFF_NAMES = ("rows of the test cut-off", "rows of the training cut-offs", "rows of the latest cut-offs")


def _calibration_method(settings: ModelSettings, rows: int) -> str:
    if settings.calibration != "auto":
        return settings.calibration
    return "isotonic" if rows >= settings.isotonic_min_rows else "sigmoid"


def _out_of_fold(name: str, rows: Rows, features: list[str], settings: ModelSettings) -> np.ndarray:
    """Each training row's prediction by a model that did not see that customer (grouped, stratified folds)."""
    from sklearn.model_selection import StratifiedGroupKFold

    folds = StratifiedGroupKFold(n_splits=settings.calibration_folds, shuffle=True, random_state=settings.seed)
    raw = np.full(len(rows), np.nan)
    y = rows.label.to_numpy(dtype=int)
    for train, held in folds.split(rows.features, y, groups=rows.customer.to_numpy()):
        model = make_model(name, settings).fit(rows.features.iloc[train][features], rows.label.iloc[train])
        raw[held] = model.predict(rows.features.iloc[held][features])
    return raw


def _calibrated(
    name: str, rows: Rows, features: list[str], settings: ModelSettings
) -> tuple[Any, Calibrator, np.ndarray]:
    """The model fitted on every row, a calibration map fitted on its out-of-fold predictions, and those."""
    method = _calibration_method(settings, len(rows))
    oof = _out_of_fold(name, rows, features, settings)
    calibrator = Calibrator(method).fit(oof, rows.label.to_numpy(dtype=int))
    return make_model(name, settings).fit(rows.features[features], rows.label), calibrator, oof


#: How the choice names the models.
_NAMES = {
    "recency": "days since the last order alone",
    "tenure": "tenure alone",
    "logistic": "logistic regression",
    "tree": "the decision tree",
    "boosting": "gradient boosting",
}


def _choose(comparison: pd.DataFrame, margin: float, baseline: str = "recency") -> tuple[str, str]:
    """The chosen model and why (see the module docstring, step 3)."""
    auc = comparison.loc[comparison["kind"].eq("model") & comparison["fitted"], "auc"].dropna()
    simple = auc.reindex(["logistic", "tree"]).dropna()
    if simple.empty:
        if baseline not in auc:
            return "", "no model could be fitted"
        return baseline, "neither logistic regression nor the decision tree could be fitted"
    best = str(simple.idxmax())
    chosen = best
    why = f"{_NAMES[best]} has the better test AUC of the two simple models ({simple[best]:.3f})"
    if "boosting" in auc and auc["boosting"] > simple[best] + margin:
        chosen = "boosting"
        why = (
            f"gradient boosting beats the better simple model by {auc['boosting'] - simple[best]:.3f} AUC "
            f"({auc['boosting']:.3f} vs {simple[best]:.3f}), more than the {margin:.2f} a simpler model is granted"
        )
    elif "boosting" in auc:
        why += (
            f"; gradient boosting ({auc['boosting']:.3f}) does not beat it by more than {margin:.2f}, so the "
            "model that explains itself is kept"
        )
    if baseline in auc and chosen in auc and auc[baseline] >= auc[chosen]:
        return baseline, (
            f"{_NAMES[baseline]} ({auc[baseline]:.3f}) does as well as every model "
            f"(best {auc[chosen]:.3f}): the other features add nothing on the test customers"
        )
    return chosen, why


def row_sizes(test: Rows, validation_train: Rows, final_train: Rows) -> dict[str, dict[str, int]]:
    """Rows and churners of the test, training and scoring-model rows (for the report and the metrics file)."""
    return {
        "test": {"rows": len(test), "churners": test.churners},
        "train": {"rows": len(validation_train), "churners": validation_train.churners},
        "final_train": {"rows": len(final_train), "churners": final_train.churners},
    }


def fit_churn(
    test: Rows,
    validation_train: Rows,
    final_train: Rows,
    settings: ModelSettings,
    *,
    threshold: float,
    baselines: dict[str, pd.Series] | None = None,
    baseline: str = "recency",
    names: tuple[str, str, str] | None = None,
) -> ChurnFit:
    """Check every candidate out of time, choose, calibrate, and refit the chosen one for scoring.

    Parameters
    ----------
    test, validation_train, final_train
        The rows of the test cut-off, of the cut-offs before it, and of the latest cut-offs (scoring model).
    settings
        The ``churn.model`` settings.
    threshold
        The high-risk threshold (precision, recall and customers flagged are measured there).
    baselines
        Name -> churn score per customer of the test rows (e.g. ``1 − P(alive)`` refitted at the test cut-off).
    baseline
        The one-feature model every other must beat (``recency``; ``tenure`` for a customer snapshot, left out
        when the snapshot gives no tenure).
    names
        How the reasons name the test, training and scoring-model rows (default: the cut-offs'); a held-out
        check names its customers.

    Returns
    -------
    ChurnFit
        Never raises for data that cannot support a model: the status and reason say so.
    """
    sizes = row_sizes(test, validation_train, final_train)
    names = names or _CUTOFF_NAMES
    for rows, label in ((test, names[0]), (validation_train, names[1])):
        short = _short(rows, label, settings.min_class_customers)
        if short:
            return ChurnFit("no_model", reason=short, sizes=sizes)
    features = [f for f in available_features(validation_train.features) if f in test.features.columns]
    if baseline == "recency" and "recency_days" not in features:
        return ChurnFit("no_model", reason="no customer's recency varies: nothing to learn from", sizes=sizes)
    if not features:
        return ChurnFit("no_model", reason="no feature varies between customers: nothing to learn from", sizes=sizes)
    candidates = [baseline] * (BASELINE_FEATURES[baseline] in features) + list(MODEL_NAMES[1:])
    y_test = test.label.to_numpy(dtype=int)
    records, raw_test, fitted = {}, {}, {}
    for name in candidates:
        try:
            model = make_model(name, settings).fit(validation_train.features[features], validation_train.label)
            raw_test[name] = model.predict(test.features[features])
            fitted[name] = model
            note = getattr(model, "note", "")
            records[name] = {"kind": "model", "fitted": True, "note": note} | evaluate(
                y_test, raw_test[name], threshold
            )
        except Exception as exc:  # one candidate failing must not stop the others
            records[name] = {"kind": "model", "fitted": False, "note": f"{type(exc).__name__}: {exc}"}
    for name, scores in (baselines or {}).items():
        values = pd.Series(scores).reindex(test.customer.to_numpy()).to_numpy(dtype=float)
        known = ~np.isnan(values)
        entry = {"kind": "baseline", "fitted": bool(known.any()), "note": ""}
        if known.any():
            entry |= evaluate(y_test[known], values[known], threshold)
            entry["brier"] = np.nan  # P(alive) is not the probability of buying within the horizon
            if not known.all():
                entry["note"] = f"{int((~known).sum())} test customer(s) without a value"
        records[name] = entry
    comparison = pd.DataFrame.from_dict(records, orient="index")
    chosen, why = _choose(comparison, settings.prefer_simple_within, baseline)
    if not chosen:
        return ChurnFit("no_model", reason=f"no model could be fitted ({why})", comparison=comparison, sizes=sizes)
    result = ChurnFit("ok", features=features, comparison=comparison, chosen=chosen, why=why, sizes=sizes)
    result.fitted = fitted

    # Calibration: fitted on the training rows' out-of-fold predictions, checked on the test rows.
    method = _calibration_method(settings, len(validation_train))
    try:
        oof = _out_of_fold(chosen, validation_train, features, settings)
        calibrator = Calibrator(method).fit(oof, validation_train.label.to_numpy(dtype=int))
    except Exception as exc:  # a fold the data cannot fill: no calibrated probabilities, said plainly
        result.status = "no_model"
        result.reason = f"the chosen model could not be calibrated on its training rows ({type(exc).__name__}: {exc})"
        return result
    calibrated = clip_probability(calibrator(raw_test[chosen]))
    result.calibration_method = method
    result.before = reliability(y_test, raw_test[chosen])
    result.after = reliability(y_test, calibrated, order=raw_test[chosen])
    result.after_metrics = evaluate(y_test, calibrated, threshold)

    auc = comparison.loc[chosen, "auc"]
    if not auc >= settings.min_auc:
        result.status = "failed"
        asked = f"at least {settings.min_auc:.2f} is asked"
        result.reason = (
            f"the chosen model predicts churn no better than AUC {auc:.2f} on the {names[0]} ({asked}): "
            "its probabilities are not used"
        )
        return result
    short = _short(final_train, names[2], settings.min_class_customers)
    if short:
        result.status, result.reason = "no_model", short
        return result
    try:
        result.model, result.calibrator, oof = _calibrated(chosen, final_train, features, settings)
        result.final_oof = pd.Series(clip_probability(result.calibrator(oof)), index=final_train.customer.to_numpy())
    except Exception as exc:  # as above: the latest cut-offs cannot give a calibrated model
        result.status = "no_model"
        result.reason = f"the scoring model could not be fitted on the latest cut-offs ({type(exc).__name__}: {exc})"
    return result
