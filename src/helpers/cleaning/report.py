"""Tables the data-cleaning report shows (stage 01), built from the cleaning results.

Each function returns a :class:`helpers.reporting.display.Table` (or shows a
note when the data lack what it would describe), so the notebook cells stay one
line. Headers, reasons and table names come from the label registry.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import display

from helpers.cleaning.ledger import reason_label
from helpers.cleaning.rules import CONTACT_FIELDS, CleaningResult
from helpers.core.labels import LABELS
from helpers.core.mapping import Mapping
from helpers.core.schema import TABLES
from helpers.io.sources import UNEXPECTED_ENCODING_NAMES
from helpers.reporting.display import Table, internal, literal, note

__all__ = [
    "customer_base_preview",
    "excluded_rows",
    "inputs_table",
    "missing_fields_report",
    "reconciliation_summary",
    "reconciliation_table",
    "standardisation_report",
    "tables_table",
]


def _header(key: str, currency: str | None = None) -> str:
    text = LABELS.text("column", key)
    return f"{text}, {currency}" if currency else text


def reconciliation_table(recon: pd.DataFrame, currency: str) -> Table:
    """The reconciliation (:func:`helpers.cleaning.ledger.reconciliation`) as a reviewer reads it."""
    frame = pd.DataFrame(
        {
            "step": [LABELS.text("reconciliation_step", s) for s in recon["step"]],
            "reason": [reason_label(r) if r else "" for r in recon["reason"]],
            "rows": recon["rows"],
            "amount": recon["amount"],
            "rows_pct": recon["rows_pct"],
            "amount_pct": recon["amount_pct"],
        }
    )
    headers = {c: _header(c, currency if c == "amount" else None) for c in frame.columns}
    return Table(
        frame.rename(columns=headers),
        ints=[headers["rows"]],
        money=[headers["amount"]],
        pct=[headers["rows_pct"], headers["amount_pct"]],
        uid="reconciliation",
    )


def _line(recon: pd.DataFrame, step: str) -> pd.Series:
    return recon[recon["step"] == step].iloc[0]


def reconciliation_summary(recon: pd.DataFrame, currency: str, notes: dict[str, object]) -> None:
    """One paragraph with the headline figures of the reconciliation."""
    raw, kept, excluded = _line(recon, "raw"), _line(recon, "kept_total"), _line(recon, "excluded_total")
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
    return pd.DataFrame(
        {
            "reason_label": [reason_label(r) for r in part["reason"]],
            "rows": part["rows"].to_numpy(),
            "amount": part["amount"].to_numpy(),
        }
    )


def tables_table(record: dict[str, object], mapping: Mapping) -> Table:
    """Rows received, kept and excluded per table (tables not in the data are listed as such).

    ``record`` is stage 01's ``cleaning.json`` (its ``tables`` hold the per-table accounting).
    """
    per_table: dict[str, dict[str, object]] = record["tables"]  # type: ignore[assignment]
    rows = []
    for table in TABLES:
        figures = per_table.get(table)
        name = LABELS.text("table", table)
        if figures is None:
            why = "not_mapped" if table not in mapping.tables else "no_file"
            rows.append((name, None, None, None, LABELS.text("table_status", why)))
            continue
        joins = [f"{table}+{j.name}" for j in mapping.tables[table].join] if table in mapping.tables else []
        for key in [table, *(k for k in joins if k in per_table)]:
            figures = per_table[key]
            excluded: dict[str, int] = figures["excluded_rows"]  # type: ignore[assignment]
            reasons = "; ".join(f"{reason_label(k)}: {v:,}" for k, v in sorted(excluded.items(), key=lambda kv: -kv[1]))
            rows.append(
                (table_name(key), figures["input_rows"], figures["kept_rows"], sum(excluded.values()), reasons or "—")
            )
    keys = ["table", "input_rows", "kept_rows", "excluded_total", "excluded_by_reason"]
    headers = [_header(k) for k in keys]
    return Table(pd.DataFrame(rows, columns=headers), ints=headers[1:4], uid="tables")


def encoding_note(record: dict[str, object]) -> None:
    """Flag text files decoded in an encoding a Chinese export is rarely in: garbled names are then likely."""
    odd = [
        (Path(str(f["file"])).name, str(f.get("read_as", "")).partition(",")[0])
        for f in record["inputs"]  # type: ignore[union-attr]
        if str(f.get("read_as", "")).partition(",")[0] in UNEXPECTED_ENCODING_NAMES.values()
    ]
    if odd:
        files = "; ".join(f"{literal(name)} was read as {encoding}" for name, encoding in odd)
        note(
            f"**Check the text of these files:** {files}, an encoding Chinese exports are rarely in (the bytes are "
            "not UTF-8 and read best so). If names or industries look garbled in the tables of this report, ask the "
            "client for a UTF-8 export or declare the file's encoding in the mapping."
        )


def inputs_table(record: dict[str, object]) -> Table:
    """The files read, with rows and, for an internal report, the start of their sha256 (the full one is in the
    manifest)."""
    frame = pd.DataFrame(record["inputs"])
    frame["table"] = frame["table"].map(table_name)
    frame["excluded_total"] = frame.get("excluded_rows", pd.Series(0, index=frame.index))
    frame["file"] = frame["file"].map(lambda p: Path(p).name)
    frame["sheets"] = frame["sheets"].map(lambda d: ", ".join(k.partition("#")[2] for k in d if "#" in k) or "—")
    frame["skipped_sheets"] = frame["skipped_sheets"].map(
        lambda d: "; ".join(f"{k.partition('#')[2]} ({v})" for k, v in d.items()) or "—"
    )
    frame["sha256"] = frame["sha256"].str[:16] + "…"
    frame["read_as"] = frame.get("read_as", pd.Series("", index=frame.index)).fillna("").replace("", "—")
    keys = ["table", "file", "read_as", "sheets", "rows", "kept_rows", "excluded_total", "skipped_sheets"]
    keys += ["sha256"] if internal() else []
    headers = LABELS.headers(keys)
    counts = [headers[k] for k in ("rows", "kept_rows", "excluded_total")]
    return Table(frame[keys].rename(columns=headers), ints=counts, uid="inputs")


def table_name(table: str) -> str:
    """A ledger table as the report names it: ``orders`` -> order lines, ``orders+heads`` -> joined onto them."""
    base, _, join = table.partition("+")
    name = LABELS.text("table", base)
    return f"{name} ← {join} ({LABELS.text('table_status', 'joined')})" if join else name


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
            f"two-level form; {int(notes['industry_unmatched'].sum()):,} not in the industry list are kept as "
            f"written. **Regions:** {int(notes['region_unmatched'].sum()):,} not in the region list are kept as "
            "written."
        )
        if len(industries):
            shown = industries.sort_values("customers", ascending=False).head(15)[
                ["industry_raw", "industry", "customers"]
            ]
            headers = {
                "industry_raw": _header("industry_as_spelled"),
                "industry": _header("industry_standard"),
                "customers": _header("customers"),
            }
            display(
                Table(
                    shown.rename(columns=headers),
                    ints=[headers["customers"]],
                    caption=LABELS.text("caption", "industries_rewritten"),
                    uid="industry",
                )
            )
        for key, label in (("industry_unmatched", "industry"), ("region_unmatched", "region")):
            counts: pd.Series = notes[key]  # type: ignore[assignment]
            if len(counts):
                note(
                    f"{label.capitalize()} spellings kept as written (not in the list; a spelling can be added to the "
                    "list or mapped onto it): " + ", ".join(f"“{literal(k)}” ({v})" for k, v in counts.items())
                )
    orders = result.tables["orders"]
    countries = orders["country"].value_counts()
    if len(countries):
        note(
            f"**Countries** in the kept orders: {len(countries)} (top: "
            + ", ".join(f"{literal(k)} {v:,}" for k, v in countries.head(5).items())
            + ")."
        )
    rates = dict(mapping.fx_to_reporting)
    note(
        f"**Currency:** every amount is in {mapping.reporting_currency}"
        + (
            f"; converted at {', '.join(f'1 {c} = {r} {mapping.reporting_currency}' for c, r in rates.items())}."
            if rates
            else "."
        )
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
    headers = LABELS.headers(["contact_field", "customers_missing", "customers_pct"])
    frame = pd.DataFrame(
        {
            headers["contact_field"]: [LABELS.text("field", f) for f in counts.index],
            headers["customers_missing"]: counts.to_numpy(),
        }
    )
    frame[headers["customers_pct"]] = frame[headers["customers_missing"]] / total * 100 if total else float("nan")
    flagged = int(master["missing_contact"].fillna(False).astype(bool).sum())
    note(
        f"{flagged:,} of the {total:,} customers of the master known by the as-of date miss at least one contact "
        "field; they are kept and flagged in the customer table for the account team to complete."
    )
    return Table(frame, ints=[headers["customers_missing"]], pct=[headers["customers_pct"]], uid="missing")


def warnings_note(warnings: list[str]) -> None:
    """The data warnings, first thing in the report (or one line saying there are none)."""
    if not warnings:
        note(
            "**No data warnings**: every mapped table was found, every sheet read, every joined row placed, and "
            "every customer and product of the order lines is in its master table (where the data have one)."
        )
        return
    items = "\n".join(f"- {literal(w)}" for w in warnings)
    note(f"**Data warnings ({len(warnings)})** — read these before any figure below:\n\n{items}")


def unknown_customers_note(result: CleaningResult, currency: str) -> None:
    """Customers who bought but are missing from the customer master: how many, their lines and spend."""
    if "industry_unmatched" not in result.notes:
        return  # no customer master at all: the tables table says so
    customers = result.tables["customers"]
    unknown = customers.loc[~customers["in_customer_master"].fillna(False).astype(bool), "customer_id"]
    if unknown.empty:
        note("Every customer of the kept order lines is in the customer master.")
        return
    orders = result.tables["orders"]
    theirs = orders["customer_id"].isin(set(unknown))
    examples = ", ".join(literal(c) for c in unknown.head(5)) + (" …" if len(unknown) > 5 else "")
    note(
        f"**{len(unknown):,} {'customer is' if len(unknown) == 1 else 'customers are'} in the order lines "
        "but not in the customer master** "
        f"({int(theirs.sum()):,} kept order lines, net {orders.loc[theirs, 'amount'].sum():,.2f} {currency}): "
        f"{examples}. They are kept and graded on what they bought, without industry, region or contacts; "
        "ask the client for their master records."
    )


def customer_base_preview(customers: pd.DataFrame, currency: str, n: int = 10) -> Table | None:
    """The top customers by spend up to the as-of date, as the clean base table shows them (masked); None without
    customers (a lead history)."""
    if customers.empty:
        return None
    columns = [
        "customer_id",
        "customer_name",
        "industry",
        "region",
        "country",
        "contact_phone_masked",
        "last_order_date",
        "orders_count",
        "total_spend",
    ]
    cols = [c for c in columns if c in customers and customers[c].notna().any()]
    headers = {c: _header(c, currency if c == "total_spend" else None) for c in cols}
    top = customers.sort_values("total_spend", ascending=False).head(n)[cols].rename(columns=headers)
    return Table(
        top,
        money=[headers["total_spend"]],
        ints=[headers.get("orders_count", "")],
        dates=[headers.get("last_order_date", "")],
        uid="customers",
    )
