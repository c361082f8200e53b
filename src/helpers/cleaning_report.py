"""Tables the data-cleaning report shows (stage 01), built from the cleaning results.

Each function returns a :class:`helpers.display.Table` (or shows a note when
the data lack what it would describe), so the notebook cells stay one line.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import display

from helpers.cleaning import CONTACT_FIELDS, CleaningResult
from helpers.config import Mapping
from helpers.display import Table, note
from helpers.schema import TABLES

_TABLE_LABELS = {
    "orders": "order lines (订单明细)",
    "customers": "customers (客户)",
    "products": "products (产品)",
    "payments": "payments (回款)",
    "tickets": "service tickets (服务工单)",
    "surveys": "NPS survey answers (NPS调研)",
    "interactions": "logins / interactions (互动)",
    "leads": "leads (销售线索)",
}


def reconciliation_table(recon: pd.DataFrame, currency: str) -> Table:
    """The reconciliation as a reviewer reads it."""
    frame = recon.rename(
        columns={
            "step": "step",
            "reason": "reason",
            "rows": "rows",
            "amount": f"amount ({currency})",
            "rows_pct": "% of raw rows",
            "amount_pct": "% of raw amount",
        }
    )
    return Table(
        frame,
        ints=["rows"],
        money=[f"amount ({currency})"],
        pct=["% of raw rows", "% of raw amount"],
        uid="reconciliation",
    )


def reconciliation_summary(recon: pd.DataFrame, currency: str, notes: dict[str, object]) -> None:
    """One paragraph with the headline figures of the reconciliation."""
    raw = recon.iloc[0]
    kept = recon[recon["step"] == "kept (total)"].iloc[0]
    excluded = recon[recon["step"] == "excluded (total)"].iloc[0]
    returns = notes["returns"]
    note(
        f"**{int(raw['rows']):,}** raw order lines worth **{raw['amount']:,.2f} {currency}**: "
        f"**{int(kept['rows']):,}** kept ({kept['rows_pct']:.1f}%, net {kept['amount']:,.2f} {currency}, of which "
        f"{returns['lines']:,} return lines worth {returns['amount']:,.2f}), "
        f"**{int(excluded['rows']):,}** excluded ({excluded['rows_pct']:.1f}%). "
        f"Distinct customer ids in the raw orders, before any filtering: **{notes['raw_customer_ids']:,}**; "
        f"of them, **{notes['known_customers']:,}** have a kept order line or registration by the as-of date and "
        "form the customer base (the others have only excluded lines, or first appear after the as-of date)."
    )


def excluded_rows(recon: pd.DataFrame) -> pd.DataFrame:
    """The excluded reasons (``reason_label``, ``rows``, ``amount``) for the exclusions chart."""
    part = recon[recon["step"] == "excluded"]
    return part.rename(columns={"reason": "reason_label"})[["reason_label", "rows", "amount"]]


def tables_table(ledger_summary: dict[str, object], mapping: Mapping) -> Table:
    """Rows received, kept and excluded per table (tables not in the data are listed as such)."""
    per_table: dict[str, dict[str, object]] = ledger_summary["tables"]  # type: ignore[assignment]
    rows = []
    for table in TABLES:
        figures = per_table.get(table)
        if figures is None:
            where = "not mapped" if table not in mapping.tables else "no file found"
            rows.append((_TABLE_LABELS[table], None, None, None, f"not in the data ({where})"))
            continue
        excluded: dict[str, int] = figures["excluded_rows"]  # type: ignore[assignment]
        reasons = "; ".join(f"{k}: {v:,}" for k, v in sorted(excluded.items(), key=lambda kv: -kv[1])) or "—"
        rows.append(
            (_TABLE_LABELS[table], figures["input_rows"], figures["kept_rows"], sum(excluded.values()), reasons)
        )
    frame = pd.DataFrame(rows, columns=["table", "raw rows", "kept", "excluded", "excluded by reason"])
    return Table(frame, ints=["raw rows", "kept", "excluded"], uid="tables")


def inputs_table(record: dict[str, object]) -> Table:
    """The files read, with rows and the start of their sha256 (the full one is in the manifest)."""
    frame = pd.DataFrame(record["inputs"])
    frame["file"] = frame["file"].map(lambda p: Path(p).name)
    frame["sheets"] = frame["sheets"].map(lambda d: ", ".join(k.partition("#")[2] for k in d if "#" in k) or "—")
    frame["skipped sheets"] = frame["skipped_sheets"].map(
        lambda d: "; ".join(f"{k.partition('#')[2]} ({v})" for k, v in d.items()) or "—"
    )
    frame["sha256"] = frame["sha256"].str[:16] + "…"
    return Table(frame[["table", "file", "sheets", "rows", "skipped sheets", "sha256"]], ints=["rows"], uid="inputs")


def standardisation_report(result: CleaningResult, mapping: Mapping) -> None:
    """Industry, region, country and currency standardisation, with what stayed unmatched."""
    notes = result.notes
    if "industry_unmatched" not in notes:
        note("*Not available: the data have no customer table, so there are no industries or regions to standardise.*")
    else:
        customers = result.tables["customers"]
        known = customers[customers["in_customer_master"]]
        industries = known.groupby(["industry", "industry_raw"], dropna=False).size().rename("customers").reset_index()
        industries = industries[industries["industry"].astype("string") != industries["industry_raw"].astype("string")]
        note(
            f"**Industries:** {notes['industry_standardised']:,} customers' industry was rewritten into the "
            f"two-level form; {int(notes['industry_unmatched'].sum()):,} stayed unmatched. "
            f"**Regions:** {int(notes['region_unmatched'].sum()):,} unmatched."
        )
        if len(industries):
            display_frame = industries.sort_values("customers", ascending=False).head(15)
            display_frame = display_frame.rename(columns={"industry_raw": "as spelled in the export", "industry": "standard (两级行业)"})
            display(Table(display_frame, ints=["customers"], caption="Industry spellings rewritten (top 15)", uid="industry"))
        for key, label in (("industry_unmatched", "industry"), ("region_unmatched", "region")):
            counts: pd.Series = notes[key]  # type: ignore[assignment]
            if len(counts):
                note(f"Unmatched {label} spellings: " + ", ".join(f"`{k}` ({v})" for k, v in counts.items()))
    orders = result.tables["orders"]
    countries = orders["country"].value_counts()
    if len(countries):
        note(f"**Countries** in the kept orders: {len(countries)} (top: " + ", ".join(f"{k} {v:,}" for k, v in countries.head(5).items()) + ").")
    rates = {c: r for c, r in mapping.fx_to_reporting.items()}
    note(
        f"**Currency:** every amount is in {mapping.reporting_currency}"
        + (f"; converted at {', '.join(f'1 {c} = {r} {mapping.reporting_currency}' for c, r in rates.items())}." if rates else ".")
    )


def missing_fields_report(result: CleaningResult) -> Table | None:
    """Customers with missing contact fields (kept and flagged)."""
    customers = result.tables["customers"]
    master = customers[customers["in_customer_master"]]
    fields = [f for f in CONTACT_FIELDS if f in result.notes.get("contact_fields", [])]
    if not fields:
        note("*Not available: the data have no customer contact fields.*")
        return None
    counts = pd.Series({f: int(master["missing_fields"].str.contains(f, regex=False).sum()) for f in fields})
    total = len(master)
    frame = pd.DataFrame({"field": counts.index, "customers missing it": counts.to_numpy()})
    frame["% of customers"] = frame["customers missing it"] / total * 100 if total else float("nan")
    flagged = int(master["missing_contact"].fillna(False).astype(bool).sum())
    note(f"{flagged:,} of the {total:,} customers of the master known by the as-of date miss at least one contact "
         "field; they are flagged "
         "(`missing_contact`, `missing_fields`) for the account team to complete.")
    return Table(frame, ints=["customers missing it"], pct=["% of customers"], uid="missing")


def customer_base_preview(customers: pd.DataFrame, currency: str, n: int = 10) -> Table:
    """The top customers by spend up to the as-of date, as the clean base table shows them (masked)."""
    headers = {
        "customer_id": "customer", "customer_name": "name", "industry": "industry (行业)", "region": "region",
        "country": "country", "contact_phone_masked": "phone (masked)", "last_order_date": "last order",
        "orders_count": "orders", "total_spend": f"total spend to the as-of date ({currency})",
    }
    cols = [c for c in headers if c in customers and customers[c].notna().any()]
    top = customers.sort_values("total_spend", ascending=False).head(n)[cols].rename(columns=headers)
    return Table(top, money=[headers["total_spend"]], ints=["orders"], dates=["last order"], uid="customers")
