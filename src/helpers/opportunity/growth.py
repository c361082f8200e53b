"""Growth among existing customers: what they do not buy yet, the wallet they keep elsewhere, a rising trend.

Three signals, each from what the data hold, over the look-back window up to the as-of date:

- **Co-purchase (交叉销售).** For an item a customer does not buy yet (a category, or a product when the order
  lines carry no category), the propensity is the largest share, over the items the customer does buy, of that
  item's buyers who also buy it: "62 % of the customers who buy bearings also buy seals". Items with fewer than
  ``min_buyers`` buyers neither suggest nor are suggested. The value of a suggestion scales with the customer: its
  buyers spend a median share *s* of their purchases on the item, so a customer who adds it would spend about
  s / (1 − s) of what they spend now on it; times the propensity.
- **Share of wallet (钱包份额).** When the customer table holds the customer's yearly spend on what the client sells
  (``wallet``: a CRM estimate of purchasing potential), the share is the customer's net spend with the client over
  the window, annualised, against it; the gap is the difference.
- **Trend (趋势).** Net spend in the window's later half against its earlier half.

The growth value adds the suggestions' value and the wallet gap. Stage 04's churn probability and band stand beside
each customer: a customer at high churn risk — or, where stage 04 gave no score, whose spend fell sharply from the
earlier half to the later — is kept apart, last, with the action to keep them before selling more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.shared import MONEY_DECIMALS

__all__ = ["GROWTH_COLUMNS", "co_purchase", "growth_table"]

#: Columns of the growth table, in order.
GROWTH_COLUMNS = [
    "customer_id",
    "customer_name",
    "owner",
    "spend",
    "items_bought",
    "suggestions",
    "top_item",
    "top_propensity",
    "because",
    "cross_sell_value",
    "spend_recent",
    "spend_before",
    "trend",
    "rising",
    "wallet",
    "wallet_share",
    "wallet_gap",
    "growth_value",
    "churn_probability",
    "risk_band",
    "retain_first",
    "action",
]

#: Floats a chunk of the (customers x items x items) propensity product may hold.
_CHUNK_CELLS = 20_000_000
#: An item's typical share of its buyers' spend is capped here, so s / (1 − s) stays finite (a one-item customer
#: base would make it infinite).
_MAX_TYPICAL_SHARE = 0.9


def _item_column(lines: pd.DataFrame) -> str | None:
    """What the suggestions name: ``category`` when the order lines carry one on most lines (in two or more
    values), else ``product_id`` when they carry that, else None (no co-purchase)."""
    for column in ("category", "product_id"):
        if column in lines and lines[column].notna().mean() >= 0.5 and lines[column].nunique() >= 2:
            return column
    return None


def co_purchase(
    spend: pd.DataFrame, *, min_buyers: int, max_items: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Propensities from co-purchase: for every customer and item not bought, the best "buyers of X also buy it".

    Parameters
    ----------
    spend
        Net spend per customer (rows) and item (columns), 0 where the customer does not buy the item.
    min_buyers
        Fewest buyers an item needs to take part.
    max_items
        The items with the most buyers kept (products can run to thousands).

    Returns
    -------
    (propensity, because, typical)
        ``propensity``: customers x items, 0–1, 0 where the customer buys the item or nothing suggests it;
        ``because``: the item bought that gives each propensity; ``typical``: the median share of an item in its
        buyers' spend.
    """
    bought = spend > 0
    buyers = bought.sum()
    items = buyers[buyers >= min_buyers].sort_values(ascending=False, kind="stable").index[:max_items]
    empty = pd.DataFrame(index=spend.index)
    if len(items) < 2:
        return empty, empty, pd.Series(dtype="float64")
    b = bought[items].to_numpy(dtype=np.float32)
    # P[j, k]: the share of item j's buyers who also buy item k.
    share = (b.T @ b) / buyers[items].to_numpy(dtype=np.float32)[:, None]
    np.fill_diagonal(share, 0.0)
    n_items = len(items)
    propensity = np.zeros(b.shape, dtype=np.float32)
    because = np.zeros(b.shape, dtype=np.int64)
    step = max(1, _CHUNK_CELLS // (n_items * n_items))
    for start in range(0, len(b), step):
        chunk = b[start : start + step, :, None] * share[None, :, :]
        propensity[start : start + step] = chunk.max(axis=1)
        because[start : start + step] = chunk.argmax(axis=1)
    propensity[b > 0] = 0.0
    total = spend.clip(lower=0).sum(axis=1)
    typical = spend[items].where(bought[items]).div(total.where(total > 0), axis=0).median()
    return (
        pd.DataFrame(propensity.astype("float64").round(6), index=spend.index, columns=items),
        pd.DataFrame(np.asarray(items)[because], index=spend.index, columns=items),
        typical,
    )


def _suggestions(
    propensity: pd.DataFrame,
    because: pd.DataFrame,
    typical: pd.Series,
    spend: pd.Series,
    *,
    top: int,
    min_propensity: float,
) -> pd.DataFrame:
    """Each customer's best ``top`` suggestions at ``min_propensity`` or more: text, the best one, their value
    (propensity x s / (1 − s) x the customer's spend, s the item's typical share; see the module docstring)."""
    out = pd.DataFrame(
        {
            "suggestions": pd.Series(pd.NA, index=propensity.index, dtype="string"),
            "top_item": pd.Series(pd.NA, index=propensity.index, dtype="string"),
            "top_propensity": np.nan,
            "because": pd.Series(pd.NA, index=propensity.index, dtype="string"),
            "cross_sell_value": 0.0,
        },
        index=propensity.index,
    )
    if propensity.empty or propensity.shape[1] == 0:
        return out
    values = propensity.to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    items = propensity.columns.to_numpy()
    share = typical.reindex(items).clip(upper=_MAX_TYPICAL_SHARE).to_numpy()
    uplift = share / (1 - share)
    spent = spend.reindex(propensity.index).to_numpy()
    texts, tops, top_p, why, worth = [], [], [], [], []
    for row, picks in enumerate(order):
        picks = [k for k in picks if values[row, k] >= min_propensity]
        texts.append("; ".join(f"{items[k]} {values[row, k]:.0%}" for k in picks) or pd.NA)
        tops.append(items[picks[0]] if picks else pd.NA)
        top_p.append(values[row, picks[0]] if picks else np.nan)
        why.append(because.iat[row, picks[0]] if picks else pd.NA)
        worth.append(float(sum(values[row, k] * uplift[k] for k in picks) * spent[row]))
    out["suggestions"] = pd.array(texts, dtype="string")
    out["top_item"] = pd.array([None if t is pd.NA else str(t) for t in tops], dtype="string")
    out["top_propensity"] = top_p
    out["because"] = pd.array([None if t is pd.NA else str(t) for t in why], dtype="string")
    out["cross_sell_value"] = np.round(worth, MONEY_DECIMALS)
    return out


def growth_table(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    churn: pd.DataFrame | None,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    min_buyers: int,
    max_items: int,
    suggestions: int,
    min_propensity: float,
    rising: float,
    falling: float,
    low_wallet_share: float,
    actions: dict[str, str],
) -> tuple[pd.DataFrame, str | None]:
    """The growth opportunities of every customer who bought in the window, ranked (see the module docstring).

    Parameters
    ----------
    orders
        Stage 01's kept order lines (``customer_id``, ``order_date``, ``amount``, ``category``, ``product_id``).
    customers
        Stage 01's customers (``customer_name``; ``wallet`` when the data hold it).
    churn
        Stage 04's churn table (``churn_probability``, ``risk_band``, ``owner``), or None.
    start, end
        The window ``start <= order_date < end``; its halves give the trend.
    min_buyers, max_items, suggestions, min_propensity
        See :func:`co_purchase`; the suggestions kept per customer and the least propensity one needs.
    rising
        The growth of the later half's spend over the earlier half's that counts as rising (0.2 = +20 %).
    falling
        The fall that puts a customer stage 04 did not score with the ones to retain first (0.5 = the later half's
        spend is half the earlier half's or less). Where stage 04 scored the customer, its band decides.
    low_wallet_share
        A share of wallet below this gets the share-of-wallet action. The window's spend is annualised before it
        is compared with the yearly wallet.
    actions
        ``retain_first``, ``cross_sell``, ``wallet``, ``rising``, ``maintain``: the action per customer.

    Returns
    -------
    (table, item_column)
        ``table``: :data:`GROWTH_COLUMNS`, customers to retain first (``retain_first``: high churn risk or a
        sharp fall) last, the rest by growth value;
        ``item_column``: ``category`` or ``product_id``, what the suggestions name; None when the order lines
        carry neither (no suggestions).
    """
    window = orders.loc[(orders["order_date"] >= start) & (orders["order_date"] < end)]
    item = _item_column(window)
    net = window.groupby("customer_id")["amount"].sum().round(MONEY_DECIMALS)
    ids = net.index[net > 0]
    if len(ids) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in GROWTH_COLUMNS}), item
    window = window.loc[window["customer_id"].isin(ids)]
    by_item = (
        window.dropna(subset=[item])
        .groupby(["customer_id", item])["amount"]
        .sum()
        .round(MONEY_DECIMALS)
        .unstack(fill_value=0.0)
        .reindex(ids, fill_value=0.0)
        if item
        else pd.DataFrame(index=ids)
    )
    propensity, because, typical = co_purchase(by_item, min_buyers=min_buyers, max_items=max_items)
    out = _suggestions(propensity, because, typical, net.reindex(ids), top=suggestions, min_propensity=min_propensity)
    half = start + (end - start) / 2
    recent = window.loc[window["order_date"] >= half].groupby("customer_id")["amount"].sum()
    before = window.loc[window["order_date"] < half].groupby("customer_id")["amount"].sum()
    out["customer_id"] = ids
    known = customers.drop_duplicates("customer_id").set_index("customer_id")
    out["customer_name"] = known["customer_name"].reindex(ids).to_numpy() if "customer_name" in known else pd.NA
    out["spend"] = net.reindex(ids).to_numpy()
    out["items_bought"] = (by_item > 0).sum(axis=1).to_numpy()
    out["spend_recent"] = recent.reindex(ids, fill_value=0.0).round(MONEY_DECIMALS).to_numpy()
    out["spend_before"] = before.reindex(ids, fill_value=0.0).round(MONEY_DECIMALS).to_numpy()
    out["trend"] = out["spend_recent"] / out["spend_before"].where(out["spend_before"] > 0) - 1
    out["rising"] = out["trend"].ge(rising) | (out["spend_before"].le(0) & out["spend_recent"].gt(0))
    wallet = (
        known["wallet"].astype("float64").reindex(ids).to_numpy() if "wallet" in known else np.full(len(ids), np.nan)
    )
    out["wallet"] = wallet
    yearly = out["spend"] * 365 / max((end - start).days, 1)  # the wallet is a year's spend
    out["wallet_share"] = yearly / out["wallet"].where(out["wallet"] > 0)
    out["wallet_gap"] = (out["wallet"] - yearly).clip(lower=0)
    out["growth_value"] = (out["cross_sell_value"] + out["wallet_gap"].fillna(0.0)).round(MONEY_DECIMALS)
    risk = (
        churn.drop_duplicates("customer_id").set_index("customer_id")
        if churn is not None and len(churn)
        else pd.DataFrame(index=pd.Index([], name="customer_id"))
    ).reindex(index=ids, columns=["churn_probability", "risk_band", "owner"])
    out["churn_probability"] = risk["churn_probability"].astype("float64").to_numpy()
    out["risk_band"] = pd.array(risk["risk_band"].to_numpy(), dtype="string")
    out["owner"] = pd.array(risk["owner"].to_numpy(), dtype="string")
    scored = out["risk_band"].isin(["high", "medium", "low"]).fillna(False)
    high = out["risk_band"].eq("high").fillna(False) | (~scored & out["trend"].le(-falling).fillna(False))
    out["retain_first"] = high
    action = np.select(
        [
            high,
            out["top_item"].notna(),
            out["wallet_share"].lt(low_wallet_share).fillna(False),
            out["rising"],
        ],
        [actions["retain_first"], actions["cross_sell"], actions["wallet"], actions["rising"]],
        default=actions["maintain"],
    )
    out["action"] = pd.array(action, dtype="string")
    out = out.sort_values(["retain_first", "growth_value", "spend"], ascending=[True, False, False], kind="stable")
    return out.reset_index(drop=True)[GROWTH_COLUMNS], item
