"""The per-customer gradings beside RFM (domain §3): value tier, behaviour state, needs type,
satisfaction and the CLV x profit value matrix.

Each grading is a ``string`` Series named after it, index ``customer_id``,
holding keys of :data:`GRADING_CLASSES`. A customer the data cannot grade gets
``"not_available"`` (never a default class); when a whole grading or one of its
inputs is missing, the reason is in ``attrs["unavailable"]``
(name -> reason, empty when everything was available), and the thresholds
actually used are in ``attrs["cuts"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.labels import LABELS
from helpers.core.periods import Period
from helpers.core.validation import require_columns
from helpers.segmentation.rfm import mid_rank_percentile
from helpers.segmentation.settings import (
    BehaviourSettings,
    NeedsSettings,
    SatisfactionClassSettings,
    ValueMatrixSettings,
    ValueTierSettings,
)
from helpers.shared import lookback_start

__all__ = [
    "GRADING_CLASSES",
    "NEEDS_SIGNALS",
    "NOT_AVAILABLE",
    "behaviour_state",
    "needs_signals",
    "needs_type",
    "satisfaction_class",
    "value_matrix",
    "value_score",
    "value_tier",
]

NOT_AVAILABLE = "not_available"

#: grading -> its class keys in report order, ``not_available`` last (words: the label registry,
#: one namespace per grading).
GRADING_CLASSES: dict[str, tuple[str, ...]] = {
    "value_tier": ("high", "medium", "low", NOT_AVAILABLE),
    "behaviour_state": ("active", "dormant", "churned", NOT_AVAILABLE),
    "needs_type": ("personalised", "price_sensitive", "quality_seeking", "no_clear_preference", NOT_AVAILABLE),
    "satisfaction_class": ("satisfied", "neutral", "unsatisfied", NOT_AVAILABLE),
    "value_matrix": ("strategic", "high_potential", "basic", "inefficient", NOT_AVAILABLE),
}

#: Columns of :func:`needs_signals`.
NEEDS_SIGNALS: list[str] = ["custom_share", "discount_rate", "premium_share"]


def _grading(values: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    out = pd.Series(values, index=index, dtype="string", name=name)
    out.index.name = "customer_id"
    return out


def _unavailable(indicators: pd.DataFrame, column: str) -> str | None:
    """Why an indicator cannot be used: listed unavailable by stage 02, or empty for every customer."""
    reason = indicators.attrs.get("unavailable", {}).get(column)
    if reason is None and not indicators[column].notna().any():
        reason = "no customer has a value"
    return reason


# --------------------------------------------------------------------------- value tier
def value_score(indicators: pd.DataFrame, settings: ValueTierSettings) -> pd.Series:
    """Weighted mid-rank percentile of spend and profit contribution, in (0, 1).

    Each of ``monetary`` and ``gross_profit`` is turned into its mid-rank
    percentile among the customers with a value (ties share it; see
    :func:`helpers.segmentation.rfm.mid_rank_percentile`) and the percentiles are averaged
    with ``settings.weights``. When profit contribution is unavailable (listed in
    ``attrs["unavailable"]`` or empty for everyone) spend is used alone; a
    customer whose own profit is unknown (no cost on any of their lines) is
    scored on the indicators they have, with the weights rescaled.

    Parameters
    ----------
    indicators
        Stage 02 indicators with ``monetary`` and ``gross_profit``.
    settings
        ``segmentation.gradings.value_tier`` settings.

    Returns
    -------
    pd.Series
        ``value_score``, float, NaN when the customer has no usable value.
        ``attrs["weights"]``: the weights used; ``attrs["unavailable"]``: inputs left out and why.
    """
    require_columns(indicators, ["monetary", "gross_profit"], "indicators")
    unavailable = {c: r for c in ("monetary", "gross_profit") if (r := _unavailable(indicators, c))}
    weights = {c: w for c, w in settings.weights.items() if w > 0 and c not in unavailable}
    if not weights and "monetary" not in unavailable:
        weights = {"monetary": 1.0}  # profit was the only weighted input and it is missing: spend alone
    weighted = pd.Series(0.0, index=indicators.index)
    total_weight = pd.Series(0.0, index=indicators.index)
    for column, weight in weights.items():
        p = mid_rank_percentile(indicators[column])
        weighted += (p * weight).fillna(0.0)
        total_weight += p.notna() * weight
    score = (weighted / total_weight.where(total_weight > 0)).rename("value_score")
    total = sum(weights.values())
    score.attrs["weights"] = {c: w / total for c, w in weights.items()}
    score.attrs["unavailable"] = unavailable
    return score


def value_tier(indicators: pd.DataFrame, settings: ValueTierSettings) -> pd.Series:
    """High / medium / low value (高/中/低价值) by the weighted spend-and-profit percentile.

    Customers are ordered by :func:`value_score`. A customer's position from the
    top is its mid-rank share ``q = (n_above + n_equal / 2) / n``: high when
    ``q < high_top_share``, medium when ``q < medium_top_share``, low otherwise.
    Customers with the same score therefore always land in the same tier, and
    without ties the top ``high_top_share`` of the customers are high.

    Parameters
    ----------
    indicators
        Stage 02 indicators (index ``customer_id``) with ``monetary`` and ``gross_profit``.
    settings
        ``segmentation.gradings.value_tier`` settings.

    Returns
    -------
    pd.Series
        ``value_tier``: ``high``, ``medium``, ``low`` or ``not_available`` (no
        usable spend). ``attrs``: ``weights`` (used, summing to 1), ``basis``
        (plain-language text, says when spend is used alone), ``unavailable``
        (input -> reason), ``cuts`` (``high_top_share``, ``medium_top_share`` and
        the lowest ``value_score`` in the high and medium tiers, NaN when empty).
    """
    score = value_score(indicators, settings)
    # Ranked from the best, the mid-rank percentile is the share from the top: (n_above + n_equal / 2) / n.
    top = mid_rank_percentile(score, higher_is_better=False)
    tiers = np.select(
        [
            score.isna().to_numpy(),
            (top < settings.high_top_share).to_numpy(),
            (top < settings.medium_top_share).to_numpy(),
        ],
        [NOT_AVAILABLE, "high", "medium"],
        default="low",
    )
    out = _grading(tiers, indicators.index, "value_tier")
    weights, unavailable = score.attrs["weights"], score.attrs["unavailable"]
    if "gross_profit" in unavailable and "monetary" in weights:
        basis = LABELS.say(
            f"spend alone: profit contribution is unavailable ({unavailable['gross_profit']})",
            f"仅按消费金额（利润贡献不可用：{unavailable['gross_profit']}）",
        )
    elif weights:
        basis = LABELS.say(
            "weighted percentile of "
            + " and ".join(f"{LABELS.text('signal', c)} ({w:.0%})" for c, w in weights.items()),
            "、".join(f"{LABELS.text('signal', c)}（{w:.0%}）" for c, w in weights.items()) + "的加权百分位",
        )
    else:
        basis = LABELS.say(
            "not available: " + "; ".join(f"{LABELS.text('signal', c)}: {r}" for c, r in unavailable.items()),
            "无法计算：" + "；".join(f"{LABELS.text('signal', c)}：{r}" for c, r in unavailable.items()),
        )
    out.attrs.update(
        weights=weights,
        basis=basis,
        unavailable=unavailable,
        cuts={
            "high_top_share": settings.high_top_share,
            "medium_top_share": settings.medium_top_share,
            "high_min_score": float(score[out == "high"].min()) if (out == "high").any() else np.nan,
            "medium_min_score": float(score[out == "medium"].min()) if (out == "medium").any() else np.nan,
        },
    )
    return out


# --------------------------------------------------------------------------- behaviour
def behaviour_state(indicators: pd.DataFrame, settings: BehaviourSettings) -> pd.Series:
    """Active / dormant / churned (活跃/沉睡/流失) by days since the last purchase.

    ``recency_days <= active_max_days``: active; ``>= churned_min_days``:
    churned; in between: dormant. A customer who never bought has no recency:
    ``not_available``.

    Parameters
    ----------
    indicators
        Stage 02 indicators with ``recency_days``.
    settings
        ``segmentation.gradings.behaviour`` settings.

    Returns
    -------
    pd.Series
        ``behaviour_state``; ``attrs["cuts"]`` the two thresholds,
        ``attrs["unavailable"]`` (``{"recency_days": why}`` for customers who never bought).
    """
    require_columns(indicators, ["recency_days"], "indicators")
    days = pd.to_numeric(indicators["recency_days"]).astype("float64")
    states = np.select(
        [
            days.isna().to_numpy(),
            (days <= settings.active_max_days).to_numpy(),
            (days >= settings.churned_min_days).to_numpy(),
        ],
        [NOT_AVAILABLE, "active", "churned"],
        default="dormant",
    )
    out = _grading(states, indicators.index, "behaviour_state")
    never = int(days.isna().sum())
    out.attrs.update(
        cuts={"active_max_days": settings.active_max_days, "churned_min_days": settings.churned_min_days},
        unavailable={
            "recency_days": LABELS.say(
                f"{never:,} customer(s) never bought up to the as-of date", f"{never:,} 位客户截至截止日期从未购买"
            )
        }
        if never
        else {},
    )
    return out


# --------------------------------------------------------------------------- needs
def _share(numerator: pd.Series, denominator: pd.Series, customers: pd.Index) -> pd.Series:
    """Per-customer ratio of two sums, NaN where the customer has no (positive) denominator."""
    num = numerator.groupby(level=0).sum().reindex(customers)
    den = denominator.groupby(level=0).sum().reindex(customers)
    return num / den.where(den > 0)


def needs_signals(
    orders: pd.DataFrame,
    products: pd.DataFrame | None,
    period: Period,
    lookback_days: int,
    *,
    customers: pd.Index | None = None,
) -> pd.DataFrame:
    """Purchase-mix signals behind the needs type: custom orders, discounts, premium products.

    Computed over the customer's sale lines (``line_type == "sale"``) in the
    look-back window ``[lookback_start, as-of]``; each share is taken over the
    lines where its inputs are known:

    - ``custom_share``: sales amount on lines with ``is_custom`` true / sales
      amount on lines where ``is_custom`` is known;
    - ``discount_rate``: ``1 - sum(amount) / sum(list value)`` over the lines
      whose list value is known (negative = paid above list): the line's own
      ``list_value`` (its list price or discount, stage 01), else quantity x
      its product's positive list price;
    - ``premium_share``: sales amount on products whose list price is above the
      median list price of their category (in the products table) / sales
      amount on products with a list price and a category.

    Amounts and line list values are in the reporting currency, product list
    prices in the mapping's currency: the product fallback is only meaningful
    when they are the same (as in the sample data, CNY) or the mapping has no
    foreign-currency lines.

    Parameters
    ----------
    orders
        Clean orders table (contract §2); ``is_custom`` and ``product_id`` are optional.
    products
        Clean products table, or None when the data have none.
    period
        The reporting period.
    lookback_days
        Length of the look-back window.
    customers
        The customers to return, e.g. ``indicators.index``; those without a sale
        in the window get NaN signals (so :func:`needs_type` says not available).
        Default: the customers with a sale in the window, sorted.

    Returns
    -------
    pd.DataFrame
        Index ``customer_id``, float columns :data:`NEEDS_SIGNALS`. A signal the
        data cannot give is NaN for everyone and ``attrs["unavailable"]`` maps it
        to the reason.

    Raises
    ------
    DataValidationError
        When the orders lack a required column.
    """
    require_columns(orders, ["customer_id", "order_date", "quantity", "amount", "line_type"], "orders")
    start, end = lookback_start(period, lookback_days), period.end_exclusive
    in_window = (orders["order_date"] >= start) & (orders["order_date"] < end) & orders["line_type"].eq("sale")
    cols = [
        c for c in ("customer_id", "quantity", "amount", "product_id", "is_custom", "list_value") if c in orders.columns
    ]
    lines = orders.loc[in_window.fillna(False).astype(bool).to_numpy(), cols].set_index("customer_id")
    if customers is None:
        customers = pd.Index(lines.index.dropna().unique()).sort_values()
    customers = pd.Index(customers, name="customer_id")
    amount = lines["amount"].astype("float64")
    out = pd.DataFrame(np.nan, index=customers, columns=NEEDS_SIGNALS)
    unavailable: dict[str, str] = {}

    if "is_custom" not in lines.columns or not lines["is_custom"].notna().any():
        unavailable["custom_share"] = LABELS.say(
            "the order lines do not say which are custom / made-to-order (the mapping can name a column that does)",
            "订单明细未标明哪些是定制订单（可在字段映射中指定标明定制的列）",
        )
    else:
        custom = lines["is_custom"].astype("boolean")
        known = custom.notna().to_numpy(dtype=bool)
        is_custom = custom.fillna(False).to_numpy(dtype=bool)
        out["custom_share"] = _share(amount.where(is_custom, 0.0)[known], amount[known], customers)

    catalogue = None
    if products is None:
        reason = LABELS.say("no product table in the data", "数据中没有产品表")
    elif "list_price" not in products.columns or not (pd.to_numeric(products["list_price"]) > 0).any():
        reason = LABELS.say("the product table has no list prices", "产品表中没有目录价")
    elif "product_id" not in lines.columns or not lines["product_id"].notna().any():
        reason = LABELS.say("the order lines carry no product ids", "订单明细中没有产品编号")
    else:
        reason = None
        catalogue = products.drop_duplicates("product_id", keep="last").set_index("product_id")
    own = lines["list_value"].astype("float64") if "list_value" in lines else pd.Series(np.nan, index=lines.index)
    list_value = own.where(own > 0)
    if catalogue is not None:
        price = pd.to_numeric(catalogue["list_price"]).astype("float64")
        price = price.where(price > 0)
        list_value = list_value.fillna(lines["quantity"].astype("float64") * lines["product_id"].map(price).to_numpy())
    priced = list_value.notna().to_numpy(dtype=bool)
    if priced.any():
        out["discount_rate"] = 1 - _share(amount[priced], list_value[priced], customers)
    else:
        unavailable["discount_rate"] = reason or LABELS.say(
            "neither the order lines nor the products give a list price or a discount",
            "订单明细和产品表均未提供目录价或折扣",
        )
    if catalogue is None:
        unavailable["premium_share"] = reason
    elif "category" not in catalogue.columns or not catalogue["category"].notna().any():
        unavailable["premium_share"] = LABELS.say("the product table has no categories", "产品表中没有产品类别")
    else:
        median = price.groupby(catalogue["category"]).transform("median")
        # 1 = premium, 0 = not, NaN = no list price or no category (left out of the share).
        premium = (price > median).astype("float64").where(price.notna() & catalogue["category"].notna())
        is_premium = lines["product_id"].map(premium).astype("float64")
        known = is_premium.notna().to_numpy(dtype=bool)
        premium_amount = amount.where(is_premium.eq(1).to_numpy(), 0.0)
        out["premium_share"] = _share(premium_amount[known], amount[known], customers)
    out.attrs["unavailable"] = unavailable
    return out


def needs_type(signals: pd.DataFrame, settings: NeedsSettings) -> pd.Series:
    """Personalised / price-sensitive / quality-seeking (个性化型/价格敏感型/品质追求型).

    The first that holds, in this order: ``custom_share >=
    personalised_min_custom_share``; ``discount_rate >=
    price_sensitive_min_discount``; ``premium_share >= quality_min_premium_share``.
    A customer with some signal but none reaching its threshold has no clear
    preference (无明显偏好); one with no signal at all (every value NaN, e.g. no
    sale in the window) is ``not_available``.

    Parameters
    ----------
    signals
        Result of :func:`needs_signals`, reindexed to the customers to grade.
    settings
        ``segmentation.gradings.needs`` settings.

    Returns
    -------
    pd.Series
        ``needs_type``; ``attrs["cuts"]`` the thresholds, ``attrs["unavailable"]``
        the signals the data cannot give (from ``signals.attrs``).
    """
    require_columns(signals, NEEDS_SIGNALS, "needs signals")
    s = signals[NEEDS_SIGNALS].astype("float64")
    types = np.select(
        [
            s.isna().all(axis=1).to_numpy(),
            (s["custom_share"] >= settings.personalised_min_custom_share).to_numpy(),
            (s["discount_rate"] >= settings.price_sensitive_min_discount).to_numpy(),
            (s["premium_share"] >= settings.quality_min_premium_share).to_numpy(),
        ],
        [NOT_AVAILABLE, "personalised", "price_sensitive", "quality_seeking"],
        default="no_clear_preference",
    )
    out = _grading(types, signals.index, "needs_type")
    out.attrs.update(cuts=settings.model_dump(), unavailable=dict(signals.attrs.get("unavailable", {})))
    return out


# --------------------------------------------------------------------------- satisfaction
def satisfaction_class(indicators: pd.DataFrame, settings: SatisfactionClassSettings) -> pd.Series:
    """Satisfied / neutral / unsatisfied (满意/一般/不满意) from CSAT, NPS and complaints.

    Precedence: **unsatisfied first** — any negative signal wins, so a customer
    who complains often is followed up even if they also gave a high rating:

    1. unsatisfied: ``csat < unsatisfied_max_csat``, or an NPS detractor, or
       ``complaints >= unsatisfied_min_complaints``;
    2. satisfied: ``csat >= satisfied_min_csat`` or an NPS promoter;
    3. neutral: the customer said something — a CSAT, an NPS answer, or a
       service ticket (or review) that was not a complaint;
    4. ``not_available`` (no data): none of these. Zero complaints from a
       customer who never contacted us says nothing about satisfaction.

    Parameters
    ----------
    indicators
        Stage 02 indicators with ``csat``, ``nps_class``, ``complaints`` and,
        optionally, ``tickets`` (without it, only a complaint counts as contact).
    settings
        ``segmentation.gradings.satisfaction`` settings.

    Returns
    -------
    pd.Series
        ``satisfaction_class``; ``attrs["cuts"]`` the thresholds,
        ``attrs["unavailable"]`` the signals the data cannot give.
    """
    require_columns(indicators, ["csat", "nps_class", "complaints"], "indicators")
    csat = pd.to_numeric(indicators["csat"]).astype("float64")
    nps = indicators["nps_class"].astype("string")
    complaints = pd.to_numeric(indicators["complaints"]).astype("float64")
    unsatisfied = (
        (csat < settings.unsatisfied_max_csat)
        | nps.eq("detractor").fillna(False).astype(bool)
        | (complaints >= settings.unsatisfied_min_complaints)
    )
    satisfied = (csat >= settings.satisfied_min_csat) | nps.eq("promoter").fillna(False).astype(bool)
    contacts = pd.to_numeric(indicators["tickets"]).astype("float64") if "tickets" in indicators else complaints
    has_signal = csat.notna() | nps.notna() | (contacts > 0) | (complaints > 0)
    classes = np.select(
        [unsatisfied.to_numpy(dtype=bool), satisfied.to_numpy(dtype=bool), has_signal.to_numpy(dtype=bool)],
        ["unsatisfied", "satisfied", "neutral"],
        default=NOT_AVAILABLE,
    )
    out = _grading(classes, indicators.index, "satisfaction_class")
    unavailable = {c: r for c in ("csat", "nps_class", "complaints") if (r := _unavailable(indicators, c))}
    out.attrs.update(cuts=settings.model_dump(), unavailable=unavailable)
    return out


# --------------------------------------------------------------------------- value matrix
def _matrix_cut(values: pd.Series, settings: ValueMatrixSettings, axis: str) -> float:
    if settings.cut == "fixed":
        return float(settings.fixed[axis])
    if values.empty:
        return float("nan")
    if settings.cut == "median":
        return float(values.median())
    if settings.cut == "mean":
        return float(values.mean())
    return float(values.quantile(settings.quantile))


def value_matrix(clv: pd.Series, gross_profit: pd.Series, settings: ValueMatrixSettings) -> pd.Series:
    """CLV x profit contribution quadrants: strategic, high potential, basic, inefficient.

    Each axis is high or low against its cut: with ``median``, ``mean`` or
    ``quantile`` (taken over the customers with both values) high is strictly
    above the cut; with ``fixed`` it is ``>=`` the threshold. High CLV and high
    profit: strategic (战略型); high CLV, low profit: high potential (高潜力型);
    low CLV, high profit: basic (基础型); low, low: inefficient (低效型). A
    customer missing either value is ``not_available``.

    Parameters
    ----------
    clv
        Customer lifetime value per customer (index ``customer_id``).
    gross_profit
        Profit contribution per customer (the ``gross_profit`` indicator).
    settings
        ``value_matrix`` settings.

    Returns
    -------
    pd.Series
        ``value_matrix`` over the union of both indexes (sorted);
        ``attrs["cuts"]`` ``{"clv": cut, "gross_profit": cut}``,
        ``attrs["unavailable"]`` the axes no customer has a value on.
    """
    data = pd.concat(
        {"clv": pd.to_numeric(clv).astype("float64"), "gross_profit": pd.to_numeric(gross_profit).astype("float64")},
        axis=1,
    ).sort_index()
    both = data.dropna()
    cuts = {axis: _matrix_cut(both[axis], settings, axis) for axis in ("clv", "gross_profit")}
    inclusive = settings.cut == "fixed"
    high = {a: (data[a] >= cuts[a]) if inclusive else (data[a] > cuts[a]) for a in cuts}
    known = data.notna().all(axis=1)
    classes = np.select(
        [
            ~known.to_numpy(),
            (high["clv"] & high["gross_profit"]).to_numpy(),
            high["clv"].to_numpy(),
            high["gross_profit"].to_numpy(),
        ],
        [NOT_AVAILABLE, "strategic", "high_potential", "basic"],
        default="inefficient",
    )
    out = _grading(classes, data.index, "value_matrix")
    unavailable = {}
    for axis, series in (("clv", clv), ("gross_profit", gross_profit)):
        # The reason the producer recorded (stage 02 for profit, the CLV fit for CLV), else a plain one.
        reason = series.attrs.get("unavailable", {}).get(axis)
        if reason is None and not series.notna().any():
            reason = LABELS.say("no customer has a value", "没有任何客户有该项数值")
        if reason is not None:
            unavailable[axis] = reason
    out.attrs.update(cuts=cuts, unavailable=unavailable)
    return out
