"""RFM segmentation (RFM 客户分层, domain §3): scores, high/low cuts and the eight classic classes.

Customers are scored on R (``recency_days``, smaller is better), F
(``frequency``) and M (``monetary``) from the stage 02 indicators, each against
the customers being segmented.

Scores
    1..``bins`` (5 = best) from the customer's **mid-rank percentile**
    ``p = (n_below + n_equal / 2) / n``, where ``n_below`` counts customers with a
    worse value and ``n_equal`` those with the same value (the customer included):
    ``score = min(bins, floor(p * bins) + 1)``. Tied customers therefore always
    share a score, a dimension where everyone ties gets the middle score
    (``floor(bins / 2) + 1``), and with fewer distinct values than bins some
    scores stay unused — the score still says where the customer sits in the
    ranking. Ties are never split by row order (as ``qcut`` on
    ``rank(method="first")`` would), so the same data give the same scores
    whatever their order.

Classes
    Each dimension is high or low against a cut (``settings.rfm.cut``): with
    median / mean / quantile "high" is strictly better than the cut (R below it,
    F and M above it); with fixed thresholds it is inclusive (R <=, F and M >=).
    The (R, F, M) high/low pattern maps to a class by :data:`RFM_CLASS_BY_HIGH`.
    Override rules (first match wins, inclusive bounds) replace the class, and
    flag rules add labels such as churn risk beside it.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from helpers.core.config import Bounds
from helpers.core.labels import LABELS
from helpers.core.validation import require_columns
from helpers.segmentation.money import MoneyBasis, rfm_in_data_currency
from helpers.segmentation.settings import RFM_CLASSES, RfmSettings

__all__ = [
    "RFM_CLASS_BY_HIGH",
    "RFM_DIMENSIONS",
    "SEGMENT_COLUMNS",
    "SUMMARY_COLUMNS",
    "mid_rank_percentile",
    "mid_rank_position",
    "override_effect",
    "rf_matrix",
    "rfm_cuts",
    "rfm_high_low",
    "rfm_scores",
    "rfm_segments",
    "rule_mask",
    "segment_summary",
]

#: (R high, F high, M high) -> class key ("R high" means recent).
RFM_CLASS_BY_HIGH: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (False, True, True): "important_retain",
    (True, False, True): "important_develop",
    (False, False, True): "important_win_back",
    (True, True, False): "general_value",
    (False, True, False): "general_retain",
    (True, False, False): "general_develop",
    (False, False, False): "general_win_back",
}

#: The R, F and M indicator columns, with whether a larger value is better.
RFM_DIMENSIONS: dict[str, bool] = {"recency_days": False, "frequency": True, "monetary": True}
_SCORE_COLUMNS = {"recency_days": "r_score", "frequency": "f_score", "monetary": "m_score"}
_HIGH_COLUMNS = {"recency_days": "r_high", "frequency": "f_high", "monetary": "m_high"}

#: Columns of :func:`rfm_segments`, in order.
SEGMENT_COLUMNS: list[str] = [
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_code",
    "r_high",
    "f_high",
    "m_high",
    "rfm_class",
    "rfm_class_zh",
    "rfm_class_en",
    "rfm_class_source",
    "rfm_flags",
]
#: Columns of :func:`segment_summary`, in order (index ``rfm_class``).
SUMMARY_COLUMNS: list[str] = [
    "class_zh",
    "class_en",
    "customers",
    "share",
    "revenue",
    "revenue_share",
    "avg_order_value",
    "median_recency_days",
    "median_frequency",
    "median_monetary",
]
_NO_PURCHASE = "no purchase up to the as-of date, so recency (R) is undefined"


def mid_rank_position(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Twice-the-count form of the mid-rank percentile: ``2 * n_below + n_equal`` per value.

    Kept in whole numbers so score and tier boundaries are exact (no float
    residue at ``p * bins``). Divide by ``2 * n`` for the percentile.

    Parameters
    ----------
    values
        One value per customer; NA values are left out of the ranking and stay NA.
    higher_is_better
        False ranks smaller values as better (recency).

    Returns
    -------
    pd.Series
        Float (NaN for NA input), same index; ``n`` is ``values.notna().sum()``.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    # Average rank of a tie group = n_below + (n_equal + 1) / 2, so 2 * rank - 1 = 2 * n_below + n_equal.
    return 2 * numbers.rank(method="average", ascending=higher_is_better) - 1


def mid_rank_percentile(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Mid-rank percentile ``(n_below + n_equal / 2) / n`` in (0, 1); ties share it, NA stays NaN.

    Parameters
    ----------
    values
        One value per customer.
    higher_is_better
        False ranks smaller values as better (recency).

    Returns
    -------
    pd.Series
        Float, same index.
    """
    n = int(values.notna().sum())
    return mid_rank_position(values, higher_is_better=higher_is_better) / (2 * n) if n else values.astype("float64")


def rfm_scores(indicators: pd.DataFrame, bins: int) -> pd.DataFrame:
    """1..``bins`` R, F and M scores (higher = better) from mid-rank percentiles.

    ``p = (n_below + n_equal / 2) / n`` over the customers given (each dimension
    over its non-NA values), ``score = min(bins, floor(p * bins) + 1)``. Tied
    customers share a score; when every customer ties the score is the middle one
    (``floor(bins / 2) + 1``, 3 of 5); with fewer distinct values than ``bins``
    some scores stay unused. R uses ``recency_days`` with smaller = better.

    Parameters
    ----------
    indicators
        Stage 02 indicators (``recency_days``, ``frequency``, ``monetary``), one
        row per customer to score.
    bins
        Number of score levels (2-10).

    Returns
    -------
    pd.DataFrame
        Same index, ``Int64`` columns ``r_score``, ``f_score``, ``m_score`` (NA where the value is NA).

    Raises
    ------
    DataValidationError
        When a column is missing.
    """
    require_columns(indicators, list(RFM_DIMENSIONS), "indicators")
    out = pd.DataFrame(index=indicators.index)
    for column, higher_is_better in RFM_DIMENSIONS.items():
        twice = mid_rank_position(indicators[column], higher_is_better=higher_is_better)
        n = int(twice.notna().sum())
        # floor(p * bins) with p = twice / (2n), in integers: exact at the bin edges.
        score = np.minimum(bins, np.floor(twice * bins / (2 * n)) + 1) if n else twice
        out[_SCORE_COLUMNS[column]] = pd.Series(score, index=indicators.index).astype("Int64")
    return out


def rfm_cuts(indicators: pd.DataFrame, settings: RfmSettings) -> dict[str, float]:
    """The value that splits each of R, F and M into high and low.

    ``median`` and ``mean`` are taken over the customers given (NA left out).
    ``quantile`` q leaves the best ``1 - q`` of the customers beyond the cut on
    every dimension: F and M are cut at their q-quantile, R (smaller is better)
    at the ``1 - q`` quantile of ``recency_days``. ``fixed`` takes
    ``settings.fixed`` as it is.

    Parameters
    ----------
    indicators
        Stage 02 indicators of the customers being segmented.
    settings
        The ``rfm`` settings.

    Returns
    -------
    dict
        ``{"recency_days": cut, "frequency": cut, "monetary": cut}`` (NaN when no value is known).
    """
    require_columns(indicators, list(RFM_DIMENSIONS), "indicators")
    cuts: dict[str, float] = {}
    for column, higher_is_better in RFM_DIMENSIONS.items():
        values = pd.to_numeric(indicators[column], errors="coerce").astype("float64").dropna()
        if settings.cut == "fixed":
            cuts[column] = float(settings.fixed[column])
        elif values.empty:
            cuts[column] = float("nan")
        elif settings.cut == "median":
            cuts[column] = float(values.median())
        elif settings.cut == "mean":
            cuts[column] = float(values.mean())
        else:
            q = settings.quantile if higher_is_better else 1 - settings.quantile
            cuts[column] = float(values.quantile(q))
    return cuts


def rfm_high_low(indicators: pd.DataFrame, settings: RfmSettings, cuts: dict[str, float] | None = None) -> pd.DataFrame:
    """Whether each customer is high on R, F and M.

    With ``median``, ``mean`` or ``quantile`` cuts "high" is strictly better than
    the cut (``R < cut``, ``F > cut``, ``M > cut``), so a customer on the typical
    value is low; with ``fixed`` cuts it is inclusive (``R <= cut``, ``F >= cut``,
    ``M >= cut``). An NA value is low.

    Parameters
    ----------
    indicators
        Stage 02 indicators.
    settings
        The ``rfm`` settings.
    cuts
        Cut values from :func:`rfm_cuts`; computed from ``indicators`` when None.

    Returns
    -------
    pd.DataFrame
        Same index, bool columns ``r_high``, ``f_high``, ``m_high``; ``attrs["cuts"]``.
    """
    cuts = rfm_cuts(indicators, settings) if cuts is None else cuts
    inclusive = settings.cut == "fixed"
    out = pd.DataFrame(index=indicators.index)
    for column, higher_is_better in RFM_DIMENSIONS.items():
        values = pd.to_numeric(indicators[column], errors="coerce").astype("float64")
        cut = cuts[column]
        if higher_is_better:
            high = values >= cut if inclusive else values > cut
        else:
            high = values <= cut if inclusive else values < cut
        out[_HIGH_COLUMNS[column]] = high.fillna(False).astype(bool)
    out.attrs["cuts"] = dict(cuts)
    return out


def rule_mask(indicators: pd.DataFrame, when: dict[str, Bounds]) -> pd.Series:
    """Customers meeting every condition of a rule (bounds inclusive; an NA value never meets one).

    Parameters
    ----------
    indicators
        Stage 02 indicators holding every column the rule names.
    when
        Column -> inclusive :class:`helpers.core.config.Bounds`.

    Returns
    -------
    pd.Series
        Bool, same index.
    """
    require_columns(indicators, list(when), "indicators")
    mask = pd.Series(True, index=indicators.index)
    for column, bounds in when.items():
        values = pd.to_numeric(indicators[column], errors="coerce").astype("float64")
        if bounds.min is not None:
            mask &= (values >= bounds.min).fillna(False).astype(bool)
        if bounds.max is not None:
            mask &= (values <= bounds.max).fillna(False).astype(bool)
    return mask


def _rule_notes(indicators: pd.DataFrame, settings: RfmSettings) -> dict[str, str]:
    """Rules that test an indicator the data cannot give: they match no customer, and the report says why."""
    unavailable = indicators.attrs.get("unavailable", {})
    notes = {}
    for kind, rules in (("override", settings.overrides), ("flag", settings.flags)):
        for rule in rules:
            missing = [c for c in rule.when if c in unavailable]
            if missing:
                why = "; ".join(f"{c}: {unavailable[c]}" for c in missing)
                notes[f"{kind} {rule.name}"] = f"matches no customer, it tests an unavailable indicator ({why})"
    return notes


def rfm_segments(indicators: pd.DataFrame, settings: RfmSettings, money: MoneyBasis | None = None) -> pd.DataFrame:
    """RFM scores, high/low flags, class and flags of every customer with a purchase.

    Customers without any purchase up to the as-of date (``recency_days`` NA)
    have no R and are left out (counted in ``attrs["excluded"]``). Scores, cuts
    and high/low are computed against the remaining customers. The class comes
    from the (R, F, M) high/low pattern (:data:`RFM_CLASS_BY_HIGH`) unless an
    override rule matches: rules are tried in order and the first whose every
    condition holds (bounds inclusive; an NA value fails its condition) sets
    the class. Flag rules add their labels (joined by ``"; "``).

    Parameters
    ----------
    indicators
        Stage 02 indicators (index ``customer_id``) with ``recency_days``,
        ``frequency``, ``monetary`` and every column a rule tests;
        ``attrs["unavailable"]`` is used to explain rules that cannot match.
    settings
        The ``rfm`` settings.
    money
        How the settings' amounts (in ``settings.currency``) apply to the data
        (:func:`helpers.segmentation.money.rfm_in_data_currency`); None: as set.

    Returns
    -------
    pd.DataFrame
        Index ``customer_id``, columns :data:`SEGMENT_COLUMNS`:
        ``recency_days``, ``frequency`` (Int64), ``monetary`` (float) copied;
        ``r_score``, ``f_score``, ``m_score`` (Int64); ``rfm_code`` (e.g. ``"545"``,
        digits joined by ``-`` when ``score_bins`` is 10); ``r_high``, ``f_high``,
        ``m_high`` (bool); ``rfm_class`` (a key of :data:`helpers.segmentation.settings.RFM_CLASSES`),
        ``rfm_class_zh``, ``rfm_class_en``; ``rfm_class_source`` (``"cut"`` or the
        override's name); ``rfm_flags`` (labels, ``""`` if none).
        ``attrs``: ``cuts`` (dict), ``cut_method``, ``bins``, ``excluded``
        (``{"count", "reason"}``), ``score_levels_used`` (score column -> sorted
        levels that occur), ``unavailable`` (rule -> why it cannot match or
        was not applied), ``money`` (the :class:`MoneyBasis` used as a dict, or
        None), ``settings`` (the settings applied, amounts in the data's
        currency, as a dict).

    Raises
    ------
    DataValidationError
        When a needed column is missing.
    """
    money_notes: dict[str, str] = {}
    if money is not None:
        settings, money_notes = rfm_in_data_currency(settings, money)
    rule_columns = [c for rule in [*settings.overrides, *settings.flags] for c in rule.when]
    require_columns(indicators, list(dict.fromkeys([*RFM_DIMENSIONS, *rule_columns])), "indicators")
    bought = indicators["recency_days"].notna().to_numpy(dtype=bool)
    base = indicators.loc[bought]

    scores = rfm_scores(base, settings.score_bins)
    cuts = rfm_cuts(base, settings)
    high = rfm_high_low(base, settings, cuts)

    # The high/low pattern as a number 0-7 indexes the class table: vectorised for millions of customers.
    table = np.array(
        [RFM_CLASS_BY_HIGH[(bool(r), bool(f), bool(m))] for r in (0, 1) for f in (0, 1) for m in (0, 1)], dtype=object
    )
    pattern = 4 * high["r_high"].to_numpy(int) + 2 * high["f_high"].to_numpy(int) + high["m_high"].to_numpy(int)
    keys = pd.Series(table[pattern], index=base.index, dtype="object")
    source = pd.Series("cut", index=base.index, dtype="object")
    assigned = pd.Series(False, index=base.index)
    for rule in settings.overrides:
        hit = rule_mask(base, rule.when) & ~assigned
        keys[hit] = rule.assign
        source[hit] = rule.name
        assigned |= hit
    flags = np.full(len(base), "", dtype=object)
    for flag in settings.flags:
        hit = rule_mask(base, flag.when).to_numpy()
        flags = np.where(hit, np.where(flags == "", flag.label, flags + "; " + flag.label), flags)

    sep = "" if settings.score_bins < 10 else "-"
    text = scores.astype("string")
    code = text["r_score"] + sep + text["f_score"] + sep + text["m_score"]
    out = pd.DataFrame(
        {
            "recency_days": base["recency_days"].astype("Int64"),
            "frequency": base["frequency"].astype("Int64"),
            "monetary": base["monetary"].astype("float64"),
            **{c: scores[c] for c in scores.columns},
            "rfm_code": code.astype("string"),
            **{c: high[c] for c in high.columns},
            "rfm_class": keys.astype("string"),
            "rfm_class_zh": keys.map({k: LABELS.label("rfm_class", k).zh for k in RFM_CLASSES}).astype("string"),
            "rfm_class_en": keys.map({k: LABELS.label("rfm_class", k).en for k in RFM_CLASSES}).astype("string"),
            "rfm_class_source": source.astype("string"),
            "rfm_flags": pd.Series(flags, index=base.index, dtype="string"),
        },
        index=base.index,
    )[SEGMENT_COLUMNS]
    out.index.name = "customer_id"
    out.attrs.update(
        cuts=cuts,
        cut_method=settings.cut,
        bins=settings.score_bins,
        excluded={"count": int((~bought).sum()), "reason": _NO_PURCHASE},
        score_levels_used={c: sorted(int(v) for v in scores[c].dropna().unique()) for c in scores.columns},
        unavailable=_rule_notes(indicators, settings) | money_notes,
        # attrs travel into Parquet metadata: JSON-ready values only.
        money=None if money is None else asdict(money),
        settings=settings.model_dump(mode="json"),
    )
    return out


def override_effect(segments: pd.DataFrame, rules: list[str]) -> pd.DataFrame:
    """Per override rule: the customers it matched, and those whose class it changed.

    A rule that matches a customer sets the class, but the class is often the
    one the R/F/M cut gives anyway; only the customers it *changed* moved class.
    Both counts come from here, so the report and the workbook print the same.

    Parameters
    ----------
    segments
        Result of :func:`rfm_segments` (``rfm_class_source``, ``rfm_class`` and the high/low flags).
    rules
        The override rules' names, in the settings' order.

    Returns
    -------
    pd.DataFrame
        Index ``rule`` (the names given); ``matched`` (customers whose
        ``rfm_class_source`` is the rule) and ``changed`` (of those, the ones whose
        class differs from the cut's), both int64.
    """
    require_columns(segments, ["rfm_class", "rfm_class_source", *_HIGH_COLUMNS.values()], "RFM segments")
    by_cut = pd.Series(
        [RFM_CLASS_BY_HIGH[k] for k in zip(segments["r_high"], segments["f_high"], segments["m_high"])],
        index=segments.index,
        dtype="object",
    )
    moved = segments["rfm_class"].astype("object").ne(by_cut)
    source = segments["rfm_class_source"].astype("object")
    rows = {name: (int(source.eq(name).sum()), int((source.eq(name) & moved).sum())) for name in rules}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["matched", "changed"], dtype="int64")
    out.index.name = "rule"
    return out


def segment_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """Customers, revenue and typical R/F/M of each RFM class, plus a total row.

    Revenue is the sum of ``monetary``: net spend in the look-back window, so a
    customer whose returns exceed their purchases counts negatively. Revenue
    shares divide by the net total over all classes (they sum to 1; a class can
    have a negative share, and every share is NaN when the net total is not
    positive). Average order value is revenue / orders (sum of ``frequency``),
    NaN without orders.

    Parameters
    ----------
    segments
        Result of :func:`rfm_segments`.

    Returns
    -------
    pd.DataFrame
        Index ``rfm_class``: the eight class keys in the order of
        :data:`~helpers.segmentation.settings.RFM_CLASSES` (all of them, empty classes with 0 customers),
        then ``"total"``. Columns :data:`SUMMARY_COLUMNS`: ``class_zh``,
        ``class_en``, ``customers``, ``share`` (of customers), ``revenue``,
        ``revenue_share``, ``avg_order_value``, ``median_recency_days``,
        ``median_frequency``, ``median_monetary``.
    """
    require_columns(segments, ["rfm_class", "recency_days", "frequency", "monetary"], "RFM segments")
    data = pd.DataFrame(
        {
            "rfm_class": segments["rfm_class"].astype("object"),
            "recency_days": pd.to_numeric(segments["recency_days"]).astype("float64"),
            "frequency": pd.to_numeric(segments["frequency"]).astype("float64"),
            "monetary": pd.to_numeric(segments["monetary"]).astype("float64"),
        }
    )
    groups = {key: data.loc[data["rfm_class"] == key] for key in RFM_CLASSES}
    groups["total"] = data
    n_total = len(data)
    revenue_total = float(data["monetary"].sum())
    rows = []
    for key, g in groups.items():
        revenue, orders = float(g["monetary"].sum()), float(g["frequency"].sum())
        rows.append(
            {
                "rfm_class": key,
                "class_zh": LABELS.label("rfm_class", key).zh,
                "class_en": LABELS.label("rfm_class", key).en,
                "customers": len(g),
                "share": len(g) / n_total if n_total else np.nan,
                "revenue": revenue,
                "revenue_share": revenue / revenue_total if revenue_total > 0 else np.nan,
                "avg_order_value": revenue / orders if orders > 0 else np.nan,
                "median_recency_days": g["recency_days"].median(),
                "median_frequency": g["frequency"].median(),
                "median_monetary": g["monetary"].median(),
            }
        )
    out = pd.DataFrame(rows).set_index("rfm_class")
    out["customers"] = out["customers"].astype("int64")
    return out[SUMMARY_COLUMNS]


def rf_matrix(segments: pd.DataFrame, value: str = "customers") -> pd.DataFrame:
    """The R-score x F-score grid of the RFM heat map.

    Parameters
    ----------
    segments
        Result of :func:`rfm_segments`.
    value
        ``"customers"``: number of customers per cell (0 when empty);
        ``"monetary"``: their mean net spend (NaN when empty).

    Returns
    -------
    pd.DataFrame
        Index ``r_score`` from ``bins`` (best, first row) down to 1, columns
        ``f_score`` from 1 to ``bins``, so it reads like the chart;
        ``attrs["value"]`` says what the cells hold.

    Raises
    ------
    ValueError
        For an unknown ``value``.
    """
    if value not in ("customers", "monetary"):
        raise ValueError(f"value must be 'customers' or 'monetary', got {value!r}")
    require_columns(segments, ["r_score", "f_score", "monetary"], "RFM segments")
    scores = segments[["r_score", "f_score"]].astype("float64")
    # The bins the scores were made with; a table that lost its attrs falls back on the highest score seen.
    bins = int(segments.attrs.get("bins") or np.nan_to_num(scores.max().max(), nan=1.0))
    grouped = segments["monetary"].astype("float64").groupby([scores["r_score"], scores["f_score"]])
    cells = grouped.size() if value == "customers" else grouped.mean()
    grid = cells.unstack("f_score") if len(cells) else pd.DataFrame(dtype="float64")
    levels = range(1, bins + 1)
    grid = grid.reindex(index=[float(r) for r in reversed(levels)], columns=[float(f) for f in levels])
    if value == "customers":
        grid = grid.fillna(0).astype("int64")
    grid.index = pd.Index(list(reversed(levels)), name="r_score")
    grid.columns = pd.Index(list(levels), name="f_score")
    grid.attrs["value"] = value
    return grid
