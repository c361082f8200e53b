"""The churn models: logistic regression, a depth-limited decision tree, gradient boosting and recency alone.

Each model takes the feature frame of :func:`helpers.churn.features.churn_features` (NaN where unknown,
categorical columns as text) and a boolean label, and gives a probability of churn and each feature's
contribution to it for every customer — the reasons a reviewer reads. All are seeded: same rows, same model.

- :class:`LogisticModel` (statsmodels): skewed counts and amounts log-scaled, every column standardised, a
  missing value replaced by the training median with a flag column, so its odds ratios read "per standard
  deviation" with confidence intervals. Contributions: coefficient x standardised value.
- :class:`TreeModel` (scikit-learn): rules in plain language; contributions along each customer's path (the
  change of the churn share at each split, credited to the split's feature).
- :class:`BoostingModel` (histogram gradient boosting): the challenger. Contributions by occlusion: the drop in
  probability when a feature is set to the training's typical value.
- :class:`RecencyModel`: one feature alone — days since the last order for order data, tenure for a customer
  snapshot — the baseline every model must beat.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from helpers.churn.features import feature, is_categorical
from helpers.churn.settings import ModelSettings

__all__ = [
    "BASELINE_FEATURES",
    "MODEL_NAMES",
    "BoostingModel",
    "Calibrator",
    "LogisticModel",
    "RecencyModel",
    "TreeModel",
    "known_levels",
    "make_model",
]

#: The candidate models, simplest first (ties go to the earlier one).
MODEL_NAMES = ("recency", "logistic", "tree", "boosting")
#: The one-feature baselines: model name -> its feature (``recency`` for order data, ``tenure`` for snapshots).
BASELINE_FEATURES = {"recency": "recency_days", "tenure": "tenure_months"}
#: A category level shared by fewer training rows than this is pooled into "other".
_MIN_LEVEL_SHARE = 0.03
_MAX_LEVELS = 8


def _levels(values: pd.Series) -> list[str]:
    """The category levels worth a column: the commonest, each in at least 3 % of the rows, at most eight."""
    shares = values.dropna().astype(str).value_counts(normalize=True)
    return [str(k) for k in shares.index[shares >= _MIN_LEVEL_SHARE][:_MAX_LEVELS]]


def _one_hot(frame: pd.DataFrame, levels: dict[str, list[str]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Indicator columns ``feature=level`` (the first level is the reference and gets none)."""
    columns, source = {}, {}
    for name, kept in levels.items():
        text = frame[name].astype("string")
        for level in kept[1:]:
            column = f"{name}={level}"
            columns[column] = text.eq(level).fillna(False).astype(float)
            source[column] = name
    return pd.DataFrame(columns, index=frame.index), source


@dataclass
class LogisticModel:
    """Logistic regression on standardised features (statsmodels ``Logit``).

    After :meth:`fit`: ``coefficients`` (a table a reviewer can read) and ``note`` (how the fit went, when it
    needed help: a ridge penalty when the plain fit did not converge or the data separate perfectly).
    """

    seed: int = 0
    name: str = "logistic"
    numeric: list[str] = field(default_factory=list)
    levels: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    medians: pd.Series | None = None
    means: pd.Series | None = None
    sds: pd.Series | None = None
    columns: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)
    params: pd.Series | None = None
    coefficients: pd.DataFrame | None = None
    note: str = ""

    def _raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Log-scaled numbers (missing: the training median, and a flag column), then the category columns."""
        numbers = pd.DataFrame(index=frame.index)
        for name in self.numeric:
            values = frame[name].astype(float)
            if feature(name).kind in ("count", "money", "days"):
                values = np.sign(values) * np.log1p(values.abs())
            numbers[name] = values
        flags = {f"{name}:missing": numbers[name].isna().astype(float) for name in self.missing}
        numbers = numbers.fillna(self.medians)
        return pd.concat([numbers, pd.DataFrame(flags, index=frame.index), _one_hot(frame, self.levels)[0]], axis=1)

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The standardised design matrix (no constant) of ``frame``."""
        raw = self._raw(frame)[self.columns]
        return (raw - self.means) / self.sds

    def fit(self, frame: pd.DataFrame, y: pd.Series) -> LogisticModel:
        """Fit on ``frame`` (features) and ``y`` (True = churned)."""
        import statsmodels.api as sm

        self.numeric = [c for c in frame.columns if not is_categorical(frame, c)]
        self.levels = {
            c: kept for c in frame.columns if is_categorical(frame, c) and len(kept := _levels(frame[c])) > 1
        }
        # A flag for "no value" where it is neither rare nor nearly universal: a handful of flagged rows would
        # separate perfectly and make the fit undefined.
        share = frame[self.numeric].isna().mean()
        self.missing = [c for c in self.numeric if _MIN_LEVEL_SHARE <= share[c] <= 1 - _MIN_LEVEL_SHARE]
        self.medians = pd.Series(np.nan, index=self.numeric)  # nothing filled while the medians are measured
        self.medians = self._raw(frame)[self.numeric].median()
        raw = self._raw(frame)  # now with the missing values filled
        self.source = {c: c for c in self.numeric} | {f"{c}:missing": c for c in self.missing}
        self.source |= _one_hot(frame, self.levels)[1]
        raw = _drop_redundant(raw)
        self.columns = list(raw.columns)
        self.means, self.sds = raw.mean(), raw.std(ddof=0).replace(0, 1.0)
        x = sm.add_constant(self.design(frame), has_constant="add")
        target = y.astype(float).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = sm.Logit(target, x).fit(disp=0, maxiter=200)
                converged = bool(result.mle_retvals.get("converged", True)) and np.isfinite(result.bse).all()
            except Exception:  # singular or separated: the ridge fit below
                converged = False
            if converged and np.abs(result.params.drop("const")).max() < 15:
                self.params = result.params
                ci = result.conf_int()
                self.coefficients = _coefficient_table(result.params, ci[0], ci[1], result.pvalues, self.source)
                return self
            # A plain fit that does not converge (or runs to huge coefficients) is made definite by a small ridge
            # penalty; its coefficients have no confidence intervals, and the table says so.
            fitted = sm.GLM(target, x, family=sm.families.Binomial()).fit_regularized(alpha=1e-3, L1_wt=0.0)
        self.params = pd.Series(fitted.params, index=x.columns)
        self.coefficients = _coefficient_table(self.params, None, None, None, self.source)
        self.note = "ridge"
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The probability of churn of each row."""
        x = self.design(frame)
        z = self.params["const"] + x.to_numpy() @ self.params[self.columns].to_numpy()
        return 1.0 / (1.0 + np.exp(-z))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Coefficient x standardised value, summed per feature (log-odds; positive raises the risk)."""
        terms = self.design(frame) * self.params[self.columns]
        return terms.T.groupby(pd.Series(self.source)[self.columns].to_numpy()).sum().T


def _drop_redundant(raw: pd.DataFrame, limit: float = 0.95) -> pd.DataFrame:
    """Constant columns and near-copies (|correlation| above ``limit`` with an earlier column) left out."""
    keep: list[str] = []
    varying = [c for c in raw.columns if raw[c].std(ddof=0) > 0]
    corr = raw[varying].corr().abs()
    for column in varying:
        if all(not (corr.loc[column, k] > limit) for k in keep):
            keep.append(column)
    return raw[keep]


def _coefficient_table(
    params: pd.Series,
    low: pd.Series | None,
    high: pd.Series | None,
    pvalues: pd.Series | None,
    source: dict[str, str],
) -> pd.DataFrame:
    """Odds ratio (and its interval and p-value when known) per design column, the strongest first."""
    params = params.drop("const")
    table = pd.DataFrame(
        {
            "feature": [source[c] for c in params.index],
            "column": params.index,
            "coefficient": params.to_numpy(),
            "odds_ratio": np.exp(params.to_numpy()),
        }
    )
    if low is not None:
        table["ci_low"] = np.exp(low.drop("const").to_numpy())
        table["ci_high"] = np.exp(high.drop("const").to_numpy())
        table["p_value"] = pvalues.drop("const").to_numpy()
    else:
        table["ci_low"] = table["ci_high"] = table["p_value"] = np.nan
    return table.reindex(table["coefficient"].abs().sort_values(ascending=False).index).reset_index(drop=True)


@dataclass
class TreeModel:
    """A depth-limited decision tree; :meth:`rules` prints its leaves in plain language."""

    max_depth: int = 3
    min_leaf_share: float = 0.02
    seed: int = 0
    name: str = "tree"
    numeric: list[str] = field(default_factory=list)
    levels: dict[str, list[str]] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)
    had_missing: set[str] = field(default_factory=set)
    model: Any = None

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The tree's columns: numbers as they are (missing stays missing), one column per kept category level."""
        dummies, _ = _one_hot(frame, self.levels)
        return pd.concat([frame[self.numeric].astype(float), dummies], axis=1)[self.columns]

    def fit(self, frame: pd.DataFrame, y: pd.Series) -> TreeModel:
        """Fit on ``frame`` (features) and ``y`` (True = churned)."""
        from sklearn.tree import DecisionTreeClassifier

        self.numeric = [c for c in frame.columns if not is_categorical(frame, c)]
        self.levels = {
            c: kept for c in frame.columns if is_categorical(frame, c) and len(kept := _levels(frame[c])) > 1
        }
        dummies, one_hot = _one_hot(frame, self.levels)
        self.source = {c: c for c in self.numeric} | one_hot
        self.columns = self.numeric + list(dummies.columns)
        self.had_missing = {c for c in self.numeric if frame[c].isna().any()}
        leaf = max(5, math.ceil(self.min_leaf_share * len(frame)))
        self.model = DecisionTreeClassifier(max_depth=self.max_depth, min_samples_leaf=leaf, random_state=self.seed)
        self.model.fit(self.design(frame), y.astype(int).to_numpy())
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The churn share of each row's leaf."""
        return self.model.predict_proba(self.design(frame))[:, 1]

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The churn share's change at each split on a customer's path, credited to the split's feature."""
        tree = self.model.tree_
        share = tree.value[:, 0, 1] / tree.value[:, 0, :].sum(axis=1)
        paths = self.model.decision_path(self.design(frame)).tocsr()
        out = np.zeros((len(frame), len(self.columns)))
        for row in range(len(frame)):
            nodes = paths.indices[paths.indptr[row] : paths.indptr[row + 1]]
            for parent, child in zip(nodes[:-1], nodes[1:], strict=False):
                out[row, tree.feature[parent]] += share[child] - share[parent]
        terms = pd.DataFrame(out, index=frame.index, columns=self.columns)
        return terms.T.groupby(pd.Series(self.source)[self.columns].to_numpy()).sum().T

    def rules(self) -> pd.DataFrame:
        """One row per leaf: the conditions (feature, operator, threshold), rows and churn share, riskiest first."""
        tree = self.model.tree_
        rows = []

        def walk(node: int, conditions: list[tuple[str, str, float]]) -> None:
            if tree.children_left[node] == -1:
                counts = tree.value[node, 0, :]
                rows.append(
                    {
                        "conditions": conditions,
                        "rows": int(tree.n_node_samples[node]),
                        "churn_share": float(counts[1] / counts.sum()),
                    }
                )
                return
            column, threshold = self.columns[tree.feature[node]], float(tree.threshold[node])
            # scikit-learn sends a missing value to the side its training chose: say which in the condition
            # (only for a column that had missing values to learn from).
            missing_left = bool(getattr(tree, "missing_go_to_left", np.ones(tree.node_count))[node])
            if column not in self.had_missing:
                walk(tree.children_left[node], [*conditions, (column, "<=", threshold, False)])
                walk(tree.children_right[node], [*conditions, (column, ">", threshold, False)])
                return
            walk(tree.children_left[node], [*conditions, (column, "<=", threshold, missing_left)])
            walk(tree.children_right[node], [*conditions, (column, ">", threshold, not missing_left)])

        walk(0, [])
        for row in rows:
            row["conditions"] = _tightest(row["conditions"])
        return pd.DataFrame(rows).sort_values("churn_share", ascending=False, kind="stable").reset_index(drop=True)


def _tightest(conditions: list[tuple[str, str, float, bool]]) -> list[tuple[str, str, float, bool]]:
    """A path's conditions with one per feature and direction: "≤ 28 and ≤ 2" says "≤ 2" (a missing value goes
    where the last split on it sent it)."""
    kept: dict[tuple[str, str], tuple[str, str, float, bool]] = {}
    for condition in conditions:
        column, op, threshold, _ = condition
        before = kept.get((column, op))
        if before is None or (threshold < before[2] if op == "<=" else threshold > before[2]):
            kept[(column, op)] = condition
    return [c for c in conditions if kept.get((c[0], c[1])) is c]


@dataclass
class BoostingModel:
    """The challenger: scikit-learn's histogram gradient boosting (missing values and categories handled natively)."""

    seed: int = 0
    name: str = "boosting"
    numeric: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    model: Any = None

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numbers as they are; each category as a pandas categorical of the kept levels plus ``other``."""
        x = frame[self.numeric].astype(float).copy()
        for name, kept in self.categories.items():
            text = frame[name].astype("string").where(frame[name].astype("string").isin(kept), "other")
            x[name] = pd.Categorical(text.fillna("other"), categories=[*kept, "other"])
        return x

    def fit(self, frame: pd.DataFrame, y: pd.Series) -> BoostingModel:
        """Fit on ``frame`` (features) and ``y`` (True = churned); no early stopping, so the fit is reproducible."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        self.numeric = [c for c in frame.columns if not is_categorical(frame, c)]
        self.categories = {c: _levels(frame[c]) for c in frame.columns if is_categorical(frame, c)}
        x = self.design(frame)
        self.reference = {c: x[c].median() for c in self.numeric} | {
            c: (x[c].mode().iloc[0] if x[c].notna().any() else "other") for c in self.categories
        }
        self.model = HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=300,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=False,
            categorical_features="from_dtype",
            random_state=self.seed,
        )
        self.model.fit(x, y.astype(int).to_numpy())
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The probability of churn of each row."""
        return self.model.predict_proba(self.design(frame))[:, 1]

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The probability's drop when one feature is set to the training's typical value (occlusion)."""
        x = self.design(frame)
        base = self.model.predict_proba(x)[:, 1]
        out = {}
        for name in x.columns:
            moved = x.copy()
            if name in self.categories:
                moved[name] = pd.Categorical([self.reference[name]] * len(x), categories=x[name].cat.categories)
            else:
                moved[name] = self.reference[name]
            out[name] = base - self.model.predict_proba(moved)[:, 1]
        return pd.DataFrame(out, index=frame.index)


@dataclass
class RecencyModel:
    """One feature alone, days since the last order by default (a one-feature logistic regression on its
    logarithm)."""

    seed: int = 0
    name: str = "recency"
    column: str = "recency_days"
    model: Any = None
    fill: float = 0.0
    mean: float = 0.0

    def _x(self, frame: pd.DataFrame) -> np.ndarray:
        return np.log1p(frame[self.column].astype(float).fillna(self.fill).clip(lower=0)).to_numpy()[:, None]

    def fit(self, frame: pd.DataFrame, y: pd.Series) -> RecencyModel:
        """Fit on the feature's values in ``frame`` and ``y`` (True = churned)."""
        from sklearn.linear_model import LogisticRegression

        self.fill = float(frame[self.column].median())
        x = self._x(frame)
        self.mean = float(x.mean())
        self.model = LogisticRegression(C=1e4).fit(x, y.astype(int).to_numpy())
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The probability of churn of each row."""
        return self.model.predict_proba(self._x(frame))[:, 1]

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Coefficient x (the feature's logarithm − its training mean)."""
        x = self._x(frame)[:, 0]
        return pd.DataFrame({self.column: self.model.coef_[0, 0] * (x - self.mean)}, index=frame.index)


def known_levels(model: Any) -> dict[str, list[str]]:
    """The category levels a fitted model tells apart, per feature (none for recency alone)."""
    return dict(getattr(model, "levels", None) or getattr(model, "categories", None) or {})


def make_model(name: str, settings: ModelSettings) -> Any:
    """A fresh, unfitted model by name (``settings``: the ``churn.model`` section)."""
    if name == "logistic":
        return LogisticModel(seed=settings.seed)
    if name == "tree":
        return TreeModel(settings.tree_max_depth, settings.tree_min_leaf_share, settings.seed)
    if name == "boosting":
        return BoostingModel(seed=settings.seed)
    if name in BASELINE_FEATURES:
        return RecencyModel(seed=settings.seed, name=name, column=BASELINE_FEATURES[name])
    raise ValueError(f"unknown churn model {name!r}; the models are {', '.join([*MODEL_NAMES, *BASELINE_FEATURES])}")


@dataclass
class Calibrator:
    """Maps a model's raw probability to one that means what it says (``isotonic`` or ``sigmoid``, i.e. Platt)."""

    method: str
    model: Any = None

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        """Learn the map from raw probabilities ``raw`` to the observed outcomes ``y`` (1 = churned)."""
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y.astype(float))
        else:
            from sklearn.linear_model import LogisticRegression

            self.model = LogisticRegression(C=1e4).fit(_logit(raw)[:, None], y.astype(int))
        return self

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return np.clip(self.model.predict(raw), 0.0, 1.0)
        return self.model.predict_proba(_logit(raw)[:, None])[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))
