"""The weighted-score engine every 100-point score shares: the stage 03 scorecard, the opportunity score.

Each row (a customer, a lead) has a sub-score per factor on the factor scale (scorecard levels 1–4; the share of a
factor's points, 0–1), or none when the data cannot say. The score is the weighted mean of the sub-scores over the
factors the row has, rescaled so that the bottom of the scale gives 0 and the top 100: a missing factor drops out
and the others are re-weighted, since unknown is not bad. ``coverage``, the share of the total weight that was
available, says how much the score rests on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["SCORE_COLUMNS", "weighted_score"]

#: Columns of :func:`weighted_score`.
SCORE_COLUMNS = ["score", "coverage", "factors_used", "factors_missing"]


def _joined_keys(absent: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """Comma-joined keys of the absent factors per row, built once per distinct pattern (fast for millions)."""
    if absent.shape[0] == 0:
        return np.array([], dtype=object)
    patterns, inverse = np.unique(absent, axis=0, return_inverse=True)
    text = np.array([",".join(k for k, a in zip(keys, row, strict=True) if a) for row in patterns], dtype=object)
    return text[inverse.reshape(-1)]


def weighted_score(
    values: pd.DataFrame, weights: dict[str, float], *, scale: tuple[float, float] = (0.0, 1.0)
) -> pd.DataFrame:
    """The 0–100 score of every row from its sub-scores, re-weighted over the factors it has.

    ``score = (sum(w * s) / sum(w) − low) / (high − low) * 100`` over the factors with a sub-score ``s``, so a row
    at the bottom of the scale on every factor it has scores 0 and one at the top 100, whatever is missing.

    Parameters
    ----------
    values
        One column per factor of ``weights`` (NaN / NA = not available), on ``scale``.
    weights
        Factor -> weight (0 or more, not all 0; only their ratios matter; a factor weighing 0 is shown, not counted).
    scale
        The sub-scores' bottom and top.

    Returns
    -------
    pd.DataFrame
        Index as ``values``; ``score`` (float, rounded to 6 decimals so a sum like 79.99999999 does not miss a
        threshold of 80; NaN when no factor is available), ``coverage`` (available weight / total weight),
        ``factors_used`` (int) and ``factors_missing`` (comma-joined factor names, "" when none).

    Raises
    ------
    ValueError
        A factor of ``weights`` missing from ``values``, a negative weight or all 0, or a sub-score off the scale.
    """
    keys = list(weights)
    missing = [k for k in keys if k not in values.columns]
    if missing:
        raise ValueError(f"weighted score: no column for factor(s) {missing}")
    w = np.array([weights[k] for k in keys], dtype="float64")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            f"weighted score: weights must be 0 or more and not all 0, got {dict(zip(keys, w, strict=True))}"
        )
    low, high = scale
    x = values[keys].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    off = ~np.isnan(x) & ((x < low) | (x > high))
    if off.any():
        row, col = np.argwhere(off)[0]
        raise ValueError(
            f"weighted score: factor {keys[col]} of row {values.index[row]!r} is {x[row, col]}, off the scale "
            f"{low}–{high}"
        )
    available = ~np.isnan(x)
    used_weight = available.astype("float64") @ w
    weighted = np.where(available, x, 0.0) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(used_weight > 0, weighted / used_weight, np.nan)
    score = np.clip(np.round((mean - low) / (high - low) * 100.0, 6), 0.0, 100.0)
    return pd.DataFrame(
        {
            "score": score,
            "coverage": used_weight / w.sum(),
            "factors_used": available.sum(axis=1).astype("int64"),
            "factors_missing": pd.array(_joined_keys(~available, keys), dtype="string"),
        },
        index=values.index,
    )
