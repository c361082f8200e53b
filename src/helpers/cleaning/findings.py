"""The findings of stage 01, first on its report: what was read, what was kept, what the client should fix.

A reviewer reads these lines and may skip the rest; every figure is the one the tables below print (the same
record and reconciliation feed both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.cleaning.ledger import reason_label
from helpers.reporting.display import note

if TYPE_CHECKING:
    from helpers.cleaning.stage import CleaningRun

__all__ = ["findings", "findings_note"]

#: Exclusion reasons only the client can remove, at the source (a value missing or unreadable, a row that matches
#: nothing); the others (cancelled orders, duplicates, test accounts) are the rules working as meant.
_FIX_AT_SOURCE = ("missing_", "invalid_", "unmatched_")


def findings(run: CleaningRun) -> list[str]:
    """Three to five findings in plain words, with their numbers (Markdown list items without the dash)."""
    record, recon = run.record, run.reconciliation
    tables = record.get("tables", {})
    excluded = int(record["input_rows"]) - int(record["kept_rows"])
    lines = [
        f"**Every raw row is accounted for:** {int(record['input_rows']):,} rows read from {len(tables)} table(s); "
        f"{int(record['kept_rows']):,} kept and {excluded:,} excluded, each with its reason."
    ]
    orders = tables.get("orders")
    if orders:
        kept = recon.loc[recon["step"] == "kept_total"].iloc[0]
        reasons = sorted(orders["excluded_rows"].items(), key=lambda kv: -kv[1])
        top = ", ".join(f"{reason_label(code)} ({n:,})" for code, n in reasons[:3])
        lines.append(
            f"**Order lines:** {int(orders['kept_rows']):,} of {int(orders['input_rows']):,} kept "
            f"({orders['kept_rows'] / max(orders['input_rows'], 1):.1%}), net {kept['amount']:,.0f} {run.currency}"
            + (f"; excluded mostly as {top}." if top else "; none excluded.")
        )
        known = run.result.notes.get("known_customers")
        if known is not None:
            lines.append(
                f"**Customers:** {int(known):,} form the customer base of the period "
                f"({int(record.get('raw_customer_ids', known)):,} distinct customer ids in the raw orders)."
            )
    warnings = run.warnings
    lines.append(
        f"**{len(warnings)} data warning(s)** follow: read them before any figure."
        if warnings
        else "**No data warnings:** every table mapped was found and every row placed."
    )
    fixable = {
        code: n
        for entry in tables.values()
        for code, n in entry.get("excluded_rows", {}).items()
        if code.startswith(_FIX_AT_SOURCE)
    }
    if fixable:
        listed = ", ".join(f"{reason_label(code)} ({n:,} rows)" for code, n in sorted(fixable.items()))
        lines.append(
            f"**What to do:** ask the client's data owner to correct these at the source — {listed}; they stay out "
            "of every figure until then."
        )
    else:
        lines.append("**What to do:** nothing in the data needs the client's correction before the grading.")
    return lines


def findings_note(run: CleaningRun) -> None:
    """The findings as the report's first lines."""
    note("\n".join(f"- {line}" for line in findings(run)))
