"""The row ledger: every raw row is kept or excluded, with a reason.

Data contract
-------------
One ledger row per raw row of every table: ``table``, ``source_file``,
``source_row``, ``status`` (``kept`` / ``excluded``), ``reason`` (a code of
:data:`REASONS`, or ``invalid_<column>``) and ``amount`` (order lines: the
line amount in the reporting currency, rounded to 0.001, with return lines
counted as credits whatever sign the export gave them; NA elsewhere).

Amounts are reconciled in integer thousandths, so "raw = kept + excluded"
holds to the last digit instead of to a floating-point tolerance.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Reason code -> (English label, Chinese label). The order is the order rules are applied in.
REASONS: dict[str, tuple[str, str]] = {
    "sale": ("kept: sale line", "保留：销售明细"),
    "return": ("kept: return / cancellation credit, netted against the customer", "保留：退货冲减"),
    "kept": ("kept", "保留"),
    "missing_date": ("no date", "缺少日期"),
    "duplicate_line": ("exact duplicate of an earlier line (synced twice)", "重复明细"),
    "duplicate_record": ("repeated record of the same id (the last one is kept)", "重复记录"),
    "test_account": ("test or internal account", "测试/内部账户"),
    "missing_customer_id": ("no customer id", "缺少客户编号"),
    "cancelled_order": ("cancelled order", "已取消订单"),
    "adjustment": ("accounting adjustment (e.g. bad debt)", "财务调整"),
    "non_product_line": ("postage, fee, discount or manual line", "运费/手续费/折扣等非产品行"),
    "missing_amount": ("no price or amount", "缺少金额"),
    "zero_amount": ("zero amount (free item)", "零金额"),
    "negative_amount": ("negative amount on a sale line", "销售行金额为负"),
    "unknown_customer": ("customer id found in no customer table or kept order", "未知客户"),
}
KEPT_REASONS = ("sale", "return", "kept")
LEDGER_COLUMNS = ["table", "source_file", "source_row", "status", "reason", "amount"]


def reason_label(code: str) -> str:
    """Plain-language label of a reason code (English / 中文)."""
    if code.startswith("invalid_"):
        column = code.removeprefix("invalid_")
        return f"unparsable {column} / {column} 无法解析"
    en, zh = REASONS.get(code, (code, code))
    return f"{en} / {zh}"


def ledger_entries(table: str, data: pd.DataFrame, reason: pd.Series, amount: pd.Series | None = None) -> pd.DataFrame:
    """Ledger rows for one loaded table.

    Parameters
    ----------
    table
        Canonical table name.
    data
        The loaded table (``source_file``, ``source_row``).
    reason
        Per row: the reason code (kept rows carry ``sale``/``return``/``kept``).
    amount
        Per row amount in reporting currency (order lines), else NA.
    """
    if reason.isna().any():
        raise ValueError(f"{table}: {int(reason.isna().sum())} row(s) have no ledger reason")
    kept = reason.isin(KEPT_REASONS)
    return pd.DataFrame(
        {
            "table": pd.Series(table, index=data.index, dtype="string"),
            "source_file": data["source_file"].astype("string"),
            "source_row": data["source_row"].astype("int64"),
            "status": pd.Series(np.where(kept, "kept", "excluded"), index=data.index, dtype="string"),
            "reason": reason.astype("string"),
            "amount": (amount.round(3) if amount is not None else pd.Series(np.nan, index=data.index)).astype("float64"),
        }
    )


def to_milli(amount: pd.Series) -> int:
    """Sum of amounts in integer thousandths (NA counts as 0)."""
    return int(np.round(amount.fillna(0).to_numpy(dtype="float64") * 1000).astype("int64").sum())


def reconciliation(ledger: pd.DataFrame, table: str = "orders") -> pd.DataFrame:
    """Raw rows and amount -> kept -> excluded by reason, for one table.

    Returns
    -------
    pd.DataFrame
        Columns ``step``, ``reason``, ``rows``, ``amount``, ``rows_pct``, ``amount_pct``:
        the raw total first, then each kept reason, the kept total, each excluded
        reason (most rows first) and the excluded total. ``amount`` is exact to 0.001.
    """
    part = ledger[ledger["table"] == table]
    milli = pd.Series(np.round(part["amount"].fillna(0).to_numpy() * 1000).astype("int64"), index=part.index)
    by_reason = (
        pd.DataFrame({"status": part["status"], "reason": part["reason"], "milli": milli})
        .groupby(["status", "reason"], observed=True)
        .agg(rows=("milli", "size"), milli=("milli", "sum"))
        .reset_index()
    )

    def block(status: str) -> pd.DataFrame:
        rows = by_reason[by_reason["status"] == status].sort_values(["rows", "reason"], ascending=[False, True])
        order = {code: i for i, code in enumerate(KEPT_REASONS)}
        if status == "kept":
            rows = rows.sort_values("reason", key=lambda s: s.map(order))
        return rows

    lines = [("raw rows (input)", "", len(part), int(milli.sum()))]
    for status, total_label in (("kept", "kept (total)"), ("excluded", "excluded (total)")):
        rows = block(status)
        lines += [(status, reason_label(r), int(n), int(m)) for r, n, m in rows[["reason", "rows", "milli"]].to_numpy()]
        lines.append((total_label, "", int(rows["rows"].sum()), int(rows["milli"].sum())))
    out = pd.DataFrame(lines, columns=["step", "reason", "rows", "milli"])
    raw_rows, raw_milli = lines[0][2], lines[0][3]
    out["amount"] = out["milli"] / 1000
    out["rows_pct"] = out["rows"] / raw_rows * 100 if raw_rows else np.nan
    out["amount_pct"] = out["milli"] / raw_milli * 100 if raw_milli else np.nan
    return out.drop(columns="milli")


def check_reconciles(ledger: pd.DataFrame, clean_orders: pd.DataFrame) -> None:
    """Raise when the ledger and the clean order table disagree by a single row or 0.001.

    The partition raw = kept + excluded holds by construction; what can break is
    the link between the ledger's kept rows and the table later stages read.
    """
    kept = ledger[(ledger["table"] == "orders") & (ledger["status"] == "kept")]
    if len(kept) != len(clean_orders):
        raise AssertionError(f"ledger keeps {len(kept)} order lines but the clean table has {len(clean_orders)}")
    if to_milli(kept["amount"]) != to_milli(clean_orders["amount"]):
        raise AssertionError(
            f"ledger kept amount {to_milli(kept['amount']) / 1000} != clean orders {to_milli(clean_orders['amount']) / 1000}"
        )


def summary(ledger: pd.DataFrame) -> dict[str, object]:
    """Row accounting for the manifest: totals and per table."""

    def counts(part: pd.DataFrame) -> dict[str, object]:
        excluded = part.loc[part["status"] == "excluded", "reason"].value_counts().sort_index()
        return {
            "input_rows": int(len(part)),
            "kept_rows": int((part["status"] == "kept").sum()),
            "excluded_rows": {str(k): int(v) for k, v in excluded.items()},
        }

    out = counts(ledger)
    out["tables"] = {str(t): counts(part) for t, part in ledger.groupby("table", sort=True)}
    return out
