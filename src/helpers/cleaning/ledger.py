"""The row ledger: every raw row is kept or excluded, with a reason.

Data contract
-------------
One ledger row per raw row of every table: ``table``, ``source_file``,
``source_row``, ``status`` (``kept`` / ``excluded``), ``reason`` (a code of
:data:`REASONS`, ``invalid_<column>`` or ``unmatched_<join>``) and ``amount`` (order lines: the
line amount in the reporting currency, rounded to 0.001, with return lines
counted as credits whatever sign the export gave them; NA elsewhere).

Amounts are reconciled in integer thousandths, so "raw = kept + excluded"
holds to the last digit instead of to a floating-point tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.errors import GradingError
from helpers.core.labels import LABELS

__all__ = [
    "KEPT_REASONS",
    "LEDGER_COLUMNS",
    "REASONS",
    "check_reconciles",
    "ledger_entries",
    "reason_label",
    "reconciliation",
    "summary",
    "milli",
    "to_milli",
]

#: Reason codes, in the order the rules are applied; their words are in ``cleaning/labels.yaml``
#: (namespace ``reason``). An unparsable value gives ``invalid_<column>``.
REASONS: tuple[str, ...] = (
    "sale",
    "return",
    "kept",
    "missing_date",
    "duplicate_line",
    "duplicate_record",
    "test_account",
    "missing_customer_id",
    "cancelled_order",
    "adjustment",
    "non_product_line",
    "missing_amount",
    "zero_amount",
    "negative_amount",
    "unknown_customer",
    "unknown_order",
    "hidden_sheet",
    "sheet_without_headers",
    "joined",
    "join_unmatched",
)
#: ``joined``: a row of a joined file that gave its values to at least one row of the table.
KEPT_REASONS = ("sale", "return", "kept", "joined")
LEDGER_COLUMNS = ["table", "source_file", "source_row", "status", "reason", "amount"]


def reason_label(code: str) -> str:
    """What a reason code means, in the report's language (``invalid_order_date`` names the field)."""
    if code.startswith("invalid_"):
        column = code.removeprefix("invalid_")
        field = LABELS.text("field", column) if LABELS.has("field", column) else column
        return LABELS.format("reason", "invalid", field=field)
    if code.startswith("unmatched_"):
        return LABELS.format("reason", "unmatched", file=code.removeprefix("unmatched_"))
    return LABELS.text("reason", code)


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
            "amount": (amount.round(3) if amount is not None else pd.Series(np.nan, index=data.index)).astype(
                "float64"
            ),
        }
    )


#: Below this many thousandths per row, int64 sums of up to 2**20 rows cannot overflow; above, Python ints.
_INT64_SAFE = 2**42


def milli(amount: pd.Series) -> pd.Series:
    """Amounts in integer thousandths (NA counts as 0): exact, whatever their size.

    ``int64`` when no sum of them can overflow, Python integers (unbounded)
    otherwise, so a 1e15 quantity cannot wrap the reconciliation round to a
    negative total.

    Raises
    ------
    GradingError
        When an amount is not finite: no exact total exists (the loader refuses
        such values, so this is a guard against a rule that makes one).
    """
    values = amount.fillna(0).to_numpy(dtype="float64")
    scaled = np.round(values * 1000)
    finite = np.isfinite(scaled)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise GradingError(f"cannot reconcile exactly: amount {values[i]!r} (ledger row {i + 1}) is not finite")
    if len(scaled) <= 2**20 and np.abs(scaled).max(initial=0) < _INT64_SAFE:
        return pd.Series(scaled.astype("int64"), index=amount.index)
    return pd.Series([int(v) for v in scaled], index=amount.index, dtype=object)


def to_milli(amount: pd.Series) -> int:
    """Sum of amounts in integer thousandths (NA counts as 0), exact."""
    return int(sum(milli(amount).tolist()))


def reconciliation(ledger: pd.DataFrame, table: str = "orders") -> pd.DataFrame:
    """Raw rows and amount -> kept -> excluded by reason, for one table.

    Returns
    -------
    pd.DataFrame
        Columns ``step`` (``raw``, ``kept``, ``kept_total``, ``excluded``, ``excluded_total``),
        ``reason`` (a reason code, ``""`` on the totals), ``rows``, ``amount``, ``rows_pct``,
        ``amount_pct``: the raw total first, then each kept reason, the kept total, each
        excluded reason (most rows first) and the excluded total. ``amount`` is exact to 0.001,
        and NaN for a reason none of whose rows has an amount (a sheet not read, amounts that
        could not be parsed).
    """
    part = ledger[ledger["table"] == table]
    thousandths = milli(part["amount"])
    by_reason = (
        pd.DataFrame(
            {"status": part["status"], "reason": part["reason"], "milli": thousandths, "known": part["amount"].notna()}
        )
        .groupby(["status", "reason"], observed=True)
        .agg(rows=("milli", "size"), milli=("milli", "sum"), known=("known", "any"))
        .reset_index()
    )

    def block(status: str) -> pd.DataFrame:
        rows = by_reason[by_reason["status"] == status].sort_values(["rows", "reason"], ascending=[False, True])
        order = {code: i for i, code in enumerate(KEPT_REASONS)}
        if status == "kept":
            rows = rows.sort_values("reason", key=lambda s: s.map(order))
        return rows

    lines = [("raw", "", len(part), int(sum(thousandths.tolist())), True)]
    for status in ("kept", "excluded"):
        rows = block(status)
        columns = ["reason", "rows", "milli", "known"]
        lines += [(status, str(r), int(n), int(m), bool(k)) for r, n, m, k in rows[columns].to_numpy()]
        lines.append((f"{status}_total", "", int(rows["rows"].sum()), int(rows["milli"].sum()), True))
    out = pd.DataFrame(lines, columns=["step", "reason", "rows", "milli", "known"])
    raw_rows, raw_milli = lines[0][2], lines[0][3]
    # A reason whose rows carry no amount at all (not read, unparsable) has none to show, rather than 0.
    out["amount"] = (out["milli"] / 1000).where(out["known"])
    out["rows_pct"] = out["rows"] / raw_rows * 100 if raw_rows else np.nan
    out["amount_pct"] = (out["milli"] / raw_milli * 100).where(out["known"]) if raw_milli else np.nan
    return out.drop(columns=["milli", "known"])


def check_reconciles(ledger: pd.DataFrame, clean_orders: pd.DataFrame) -> None:
    """Raise when the ledger and the clean order table disagree by a single row or 0.001.

    The partition raw = kept + excluded holds by construction; what can break is
    the link between the ledger's kept rows and the table later stages read.
    """
    kept = ledger[(ledger["table"] == "orders") & (ledger["status"] == "kept")]
    if len(kept) != len(clean_orders):
        raise AssertionError(f"ledger keeps {len(kept)} order lines but the clean table has {len(clean_orders)}")
    if to_milli(kept["amount"]) != to_milli(clean_orders["amount"]):
        kept_amount, table_amount = to_milli(kept["amount"]) / 1000, to_milli(clean_orders["amount"]) / 1000
        raise AssertionError(f"ledger kept amount {kept_amount} != clean orders {table_amount}")


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
