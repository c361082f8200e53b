"""Stage 01: clean the loaded canonical tables and account for every raw row.

Data contract
-------------
Input: the canonical tables from :func:`helpers.io.loaders.load_table` (any subset;
``orders`` is required). Output: the clean tables of ``docs/contracts.md`` §2
and the row ledger (:mod:`helpers.cleaning.ledger`).

Order-line rules, applied in this order (the first that matches is the reason):
unparsable value (``on_invalid_value: exclude`` only), missing date, exact
duplicate line, test account, missing customer id, cancelled order, accounting
adjustment, postage/fee line, missing amount, zero amount, negative amount on a
sale. What is left is kept as a ``sale``, or as a ``return`` (status "returned",
a return order prefix, or a negative quantity: domain §1), whose negative amount
nets the customer's purchases in the period the return happens.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from helpers.cleaning.ledger import ledger_entries, summary
from helpers.cleaning.masking import mask_emails, mask_names, mask_phones
from helpers.cleaning.settings import CleaningSettings
from helpers.cleaning.standardise import Lookups, standardise_industry, standardise_names, unmatched
from helpers.core.errors import PeriodError
from helpers.core.mapping import Mapping, Scale
from helpers.core.periods import Period
from helpers.core.schema import ATTRIBUTE_PREFIX, TABLES
from helpers.io.files import sha256
from helpers.io.loaders import Dataset, LoadedTable, line_currency
from helpers.shared import known_customers

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOMER_COLUMNS",
    "check_period_has_orders",
    "clean_customers",
    "clean_dataset",
    "clean_events",
    "clean_orders",
    "cleaning_record",
    "CleaningResult",
    "customer_base",
    "find_test_accounts",
    "order_amounts",
    "order_reasons",
]

#: Average days in a month: a tenure in months as days.
_DAYS_PER_MONTH = 365.25 / 12
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
#: Columns of the clean customer base table (docs/contracts.md §2), whatever the data hold.
CUSTOMER_COLUMNS = [
    "customer_id",
    "customer_name",
    "industry_l1",
    "industry_l2",
    "industry",
    "industry_listed",
    "industry_raw",
    "region",
    "region_listed",
    "country",
    "company_size",
    "registration_date",
    "tenure_months",
    "churned",
    "churn_date",
    "wallet",
    "contact_name_masked",
    "contact_phone_masked",
    "contact_email_masked",
    "missing_fields",
    "missing_contact",
    "in_customer_master",
    "first_order_date",
    "last_order_date",
    "total_spend",
    "orders_count",
]
_ID_COLUMNS = {
    "products": "product_id",
    "payments": "invoice_id",
    "tickets": "ticket_id",
    "reviews": "review_id",
    "leads": "lead_id",
}


@dataclass
class CleaningResult:
    """Clean tables, the row ledger, and data-quality notes for the report."""

    tables: dict[str, pd.DataFrame]
    ledger: pd.DataFrame
    notes: dict[str, object] = field(default_factory=dict)


def _first_reason(reason: pd.Series, mask: pd.Series, code: str) -> pd.Series:
    """Set ``code`` where ``mask`` holds and no earlier rule has matched."""
    return reason.mask(reason.isna() & mask.fillna(False).astype(bool), code)


def _starts_with(values: pd.Series, prefixes: list[str]) -> pd.Series:
    if not prefixes:
        return pd.Series(False, index=values.index)
    return values.astype("string").str.startswith(tuple(prefixes)).fillna(False).astype(bool)


def find_test_accounts(customers: pd.DataFrame | None, settings: CleaningSettings) -> set[str]:
    """Customer ids of test/internal accounts: listed in settings or so named in the customer table."""
    ids = set(settings.test_account_ids)
    patterns = settings.test_account_name_patterns
    if customers is not None and "customer_name" in customers and patterns:
        # Latin words must stand alone ("Test Co" but not "Greatest Ltd"); Chinese ones need no spaces.
        regex = "|".join(
            rf"(?<![a-z]){re.escape(p.casefold())}(?![a-z])" if p.isascii() else re.escape(p.casefold())
            for p in patterns
        )
        names = customers["customer_name"].astype("string").str.casefold()
        hit = names.str.contains(regex, regex=True).fillna(False).astype(bool)
        ids |= set(customers.loc[hit, "customer_id"].dropna())
    return ids


# --------------------------------------------------------------------------- orders
def order_amounts(orders: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """Line amount and unit price in the reporting currency, with returns made negative.

    Returns
    -------
    pd.DataFrame
        ``amount`` (rounded to 0.001), ``unit_price``, ``fx_rate``, ``is_return``.
    """
    currency = line_currency(orders, mapping)
    rate = currency.map({c: mapping.fx_rate(c) for c in currency.unique()}).astype("float64")
    quantity = orders["quantity"]
    amount = orders["amount"] if "amount" in orders else pd.Series(np.nan, index=orders.index)
    if "unit_price" in orders:
        amount = amount.fillna(quantity * orders["unit_price"])
        unit_price = orders["unit_price"]
    else:
        unit_price = (amount / quantity).where(quantity != 0)
    is_return = _starts_with(
        orders.get("order_id", pd.Series(pd.NA, index=orders.index)), mapping.rules.return_order_prefixes
    )
    is_return |= (quantity < 0).fillna(False).astype(bool)
    if "status" in orders:
        is_return |= (orders["status"] == "returned").fillna(False).astype(bool)
    # A return credits the customer whatever sign the export used.
    amount = amount.where(~is_return, -amount.abs())
    return pd.DataFrame(
        {
            "amount": (amount * rate).round(3),
            "unit_price": (unit_price.abs() * rate),
            "fx_rate": rate,
            "is_return": is_return,
        }
    )


def order_reasons(
    orders: LoadedTable, mapping: Mapping, settings: CleaningSettings, test_ids: set[str], values: pd.DataFrame
) -> pd.Series:
    """The ledger reason of every raw order line (see the module docstring for the rule order)."""
    df, rules = orders.data, mapping.rules
    reason = orders.load_reasons()
    reason = _first_reason(reason, df["order_date"].isna(), "missing_date")
    if settings.drop_duplicate_lines and not rules.keep_exact_duplicates:
        key = rules.duplicate_key or [c for c in df.columns if c in TABLES["orders"]]
        reason = _first_reason(reason, df.duplicated(subset=key, keep="first"), "duplicate_line")
    customer = df["customer_id"] if "customer_id" in df else pd.Series(pd.NA, index=df.index, dtype="string")
    reason = _first_reason(reason, customer.isin(test_ids), "test_account")
    reason = _first_reason(reason, customer.isna(), "missing_customer_id")
    if "status" in df:
        reason = _first_reason(reason, df["status"] == "cancelled", "cancelled_order")
    if "order_id" in df:
        reason = _first_reason(reason, _starts_with(df["order_id"], rules.adjustment_order_prefixes), "adjustment")
    if "product_id" in df and rules.non_product_codes:
        reason = _first_reason(reason, df["product_id"].isin(rules.non_product_codes), "non_product_line")
    amount, is_return = values["amount"], values["is_return"]
    reason = _first_reason(reason, amount.isna(), "missing_amount")
    if not rules.keep_zero_amount:
        reason = _first_reason(reason, amount == 0, "zero_amount")
    reason = _first_reason(reason, (amount < 0) & ~is_return, "negative_amount")
    return reason.fillna(pd.Series(np.where(is_return, "return", "sale"), index=df.index)).astype("string")


def clean_orders(
    orders: LoadedTable,
    mapping: Mapping,
    settings: CleaningSettings,
    *,
    test_ids: set[str],
    products: pd.DataFrame | None,
    countries: dict[str, list[str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean order lines.

    Returns
    -------
    (clean, ledger)
        ``clean`` has the columns of ``docs/contracts.md`` §2 ``orders.parquet``;
        ``ledger`` one entry per raw line.
    """
    df = orders.data
    values = order_amounts(df, mapping)
    reason = order_reasons(orders, mapping, settings, test_ids, values)
    ledger = ledger_entries("orders", df, reason, values["amount"])

    keep = reason.isin(["sale", "return"]).to_numpy()
    kept = df.loc[keep]
    v = values.loc[keep]
    quantity = kept["quantity"].where(~v["is_return"], -kept["quantity"].abs())
    if "order_id" in kept:
        order_id = kept["order_id"]
    else:
        # One order per customer and day when the export has no order number (CDNOW).
        order_id = kept["customer_id"] + "@" + kept["order_date"].dt.strftime("%Y-%m-%d")

    def col(name: str) -> pd.Series:
        return kept[name] if name in kept else pd.Series(pd.NA, index=kept.index, dtype="string")

    clean = pd.DataFrame(
        {
            "customer_id": kept["customer_id"].astype("string"),
            "order_id": order_id.astype("string"),
            "order_date": kept["order_date"],
            "product_id": col("product_id"),
            "product_name": col("product_name"),
            "category": col("category"),
            "quantity": quantity.astype("float64"),
            "unit_price": v["unit_price"],
            "amount": v["amount"],
            "cost": _line_cost(kept, v),
            "list_value": _line_list_value(kept, v, quantity),
            "line_type": pd.Series(np.where(v["is_return"], "return", "sale"), index=kept.index, dtype="string"),
            "country": standardise_names(col("country"), countries)["name"],
            "is_custom": col("is_custom").astype("boolean"),  # stage 03 needs type; NA when not mapped
            "source_file": kept["source_file"].astype("string"),
            "source_row": kept["source_row"],
        }
    )
    if products is not None and len(products):
        catalogue = products.set_index("product_id")
        if "category" in catalogue:
            clean["category"] = clean["category"].fillna(clean["product_id"].map(catalogue["category"]))
        if "unit_cost" in catalogue:
            cost_rate = mapping.fx_rate(mapping.currency)  # unit costs are in the mapping's currency
            from_products = (
                clean["quantity"] * clean["product_id"].map(catalogue["unit_cost"]).astype("float64") * cost_rate
            )
            clean["cost"] = clean["cost"].fillna(from_products)  # a line's own cost comes first
    clean["category"] = clean["category"].astype("string")
    return clean.reset_index(drop=True), ledger


def _line_cost(kept: pd.DataFrame, v: pd.DataFrame) -> pd.Series:
    """The line's own cost in the reporting currency: ``cost`` (signed as the line), else ``amount − profit``."""
    cost = pd.Series(np.nan, index=kept.index)
    if "cost" in kept:
        cost = pd.to_numeric(kept["cost"]).astype("float64").abs() * np.sign(v["amount"]) * v["fx_rate"]
    if "profit" in kept:
        cost = cost.fillna(v["amount"] - pd.to_numeric(kept["profit"]).astype("float64") * v["fx_rate"])
    return cost.round(3)


def _line_list_value(kept: pd.DataFrame, v: pd.DataFrame, quantity: pd.Series) -> pd.Series:
    """The line at list price in the reporting currency: quantity x ``list_price``, else amount / (1 − discount).

    NaN where the line says neither (stage 03 then falls back on the product table's list price); a 100% discount
    gives no list value either.
    """
    value = pd.Series(np.nan, index=kept.index)
    if "list_price" in kept:
        value = quantity * pd.to_numeric(kept["list_price"]).astype("float64").abs() * v["fx_rate"]
    if "discount" in kept:
        discount = pd.to_numeric(kept["discount"]).astype("float64")
        value = value.fillna(v["amount"] / (1 - discount.where(discount < 1)))
    return value.round(3)


# --------------------------------------------------------------------------- customers
def _keep_last_per_id(reason: pd.Series, ids: pd.Series) -> pd.Series:
    """Mark all but the last row of each id as a repeated record (later rows are updates)."""
    candidates = reason.isna() & ids.notna()
    repeated = ids.where(candidates).duplicated(keep="last") & candidates
    return _first_reason(reason, repeated, "duplicate_record")


def clean_customers(
    customers: LoadedTable, settings: CleaningSettings, lookups: Lookups, test_ids: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """Clean the customer master: dedupe, standardise, mask contacts, flag missing fields.

    Returns
    -------
    (clean, ledger, notes)
        ``notes`` holds the unmatched industry/region spellings and the
        standardisation counts for the report.
    """
    df = customers.data
    reason = customers.load_reasons()
    reason = _first_reason(reason, df["customer_id"].isna(), "missing_customer_id")
    reason = _first_reason(reason, df["customer_id"].isin(test_ids), "test_account")
    reason = _keep_last_per_id(reason, df["customer_id"])
    reason = reason.fillna("kept")
    ledger = ledger_entries("customers", df, reason)
    kept = df[reason == "kept"].reset_index(drop=True)

    def col(name: str) -> pd.Series:
        return kept[name] if name in kept else pd.Series(pd.NA, index=kept.index, dtype="string")

    industry = standardise_industry(col("industry"), lookups.taxonomy)
    region = standardise_names(col("region"), lookups.regions)
    clean = pd.DataFrame(
        {
            "customer_id": kept["customer_id"],
            "customer_name": col("customer_name"),
            **industry,
            "industry_raw": col("industry"),
            "region": region["name"],
            "region_listed": region["listed"],
            "country": standardise_names(col("country"), lookups.countries)["name"],
            "company_size": col("company_size"),
            "registration_date": kept.get("registration_date", pd.NaT),
            "tenure_months": kept.get("tenure_months", np.nan),
            "churned": kept["churned"] if "churned" in kept else pd.Series(pd.NA, index=kept.index, dtype="boolean"),
            "churn_date": kept.get("churn_date", pd.NaT),
            "wallet": kept.get("wallet", np.nan),
            "contact_name_masked": mask_names(col("contact_name")),
            "contact_phone_masked": mask_phones(col("contact_phone")),
            "contact_email_masked": mask_emails(col("contact_email")),
        }
    )
    present = [f for f in CONTACT_FIELDS if f in kept]
    missing = pd.DataFrame({f: col(f).isna() for f in present})
    listed = pd.Series("", index=clean.index, dtype="string")
    for f in present:
        listed = listed + np.where(missing[f], f + ", ", "")
    clean["missing_fields"] = listed.str.removesuffix(", ")
    clean["missing_contact"] = missing.any(axis=1).astype("boolean") if present else pd.NA
    for attribute in [c for c in kept if c.startswith(ATTRIBUTE_PREFIX)]:
        clean[attribute] = kept[attribute]
    notes = {
        "industry_unmatched": unmatched(col("industry"), industry["industry_listed"]),
        "industry_standardised": int((col("industry").astype("string") != industry["industry"]).fillna(False).sum()),
        "region_unmatched": unmatched(col("region"), region["listed"]),
        "contact_fields": present,
    }
    return clean, ledger, notes


def customer_base(customers: pd.DataFrame | None, orders: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The clean customer base table as of the period: master data plus order summaries.

    A customer is in it when known by the as-of date
    (:func:`helpers.shared.known_customers`): registered by then, or with a
    kept order by then. A snapshot that gives the tenure but no registration
    date is read as taken on the as-of date: registered ``tenure_months``
    before it (before their churn date, for a customer who left on a recorded date). Customers
    that order but are missing from the master (or every customer, for
    transaction-only data) get a row with unknown attributes and
    ``in_customer_master = False``.
    """
    upto = orders[orders["order_date"] < period.end_exclusive]
    sales = upto[upto["line_type"] == "sale"]
    summary = pd.DataFrame(
        {
            "first_order_date": sales.groupby("customer_id")["order_date"].min(),
            "last_order_date": sales.groupby("customer_id")["order_date"].max(),
            "total_spend": upto.groupby("customer_id")["amount"].sum(),
            "orders_count": sales.groupby("customer_id")["order_id"].nunique(),
        }
    )
    if (
        customers is not None
        and customers["registration_date"].isna().all()
        and customers["tenure_months"].notna().any()
    ):
        days = (customers["tenure_months"].astype("float64") * _DAYS_PER_MONTH).round()
        # A customer who left was a customer up to their churn date, the others up to the snapshot.
        end = (
            customers["churn_date"]
            .where(
                customers["churned"].fillna(True).astype(bool) & customers["churn_date"].notna(),
                period.as_of.normalize(),
            )
            .clip(upper=period.as_of.normalize())
        )
        customers = customers.assign(registration_date=end - pd.to_timedelta(days, unit="D"))
    attributes: list[str] = []
    known = known_customers(orders, period, customers)  # the one definition stages 01 and 02 share
    if customers is None:
        countries = upto.dropna(subset=["country"]).groupby("customer_id")["country"].agg(lambda s: s.mode().iat[0])
        base = pd.DataFrame(index=known).assign(country=countries.reindex(known).astype("string"))
        base["in_customer_master"] = False
    else:
        master = customers.set_index("customer_id")
        base = master.reindex(known)
        attributes = [c for c in master if c.startswith(ATTRIBUTE_PREFIX)]
        base["in_customer_master"] = known.isin(master.index)
    base.index.name = "customer_id"
    base = base.join(summary, how="left")
    base["total_spend"] = base["total_spend"].fillna(0.0)
    base["orders_count"] = base["orders_count"].fillna(0).astype("int64")
    base = base.reset_index().reindex(columns=CUSTOMER_COLUMNS + attributes)
    # Attributes the data lack stay NA (never "no"): typed so Parquet keeps them as text / dates / flags.
    for col in CUSTOMER_COLUMNS:
        if base[col].isna().all():
            flag = col in ("missing_contact", "industry_listed", "region_listed", "churned")
            kind = (
                "datetime64[ns]"
                if col.endswith("_date")
                else "boolean"
                if flag
                else "float64"
                if col in ("tenure_months", "wallet")
                else "string"
            )
            base[col] = base[col].astype(kind)
    return base


# --------------------------------------------------------------------------- other tables
def clean_events(
    table: str,
    loaded: LoadedTable,
    *,
    test_ids: set[str],
    known_customers: set[str] | None,
    order_customers: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean payments, tickets, reviews, surveys, interactions and leads.

    Rules in order: unparsable value, a review's order unknown (reviews that
    name an order but no customer take the order's customer from
    ``order_customers``, order id -> customer id), no value in a required date, missing customer id (not for
    leads), test account, unknown customer (when a customer table or orders
    define who is known; not for leads, whose customer id is filled only once
    won), repeated id (the last record is kept) or exact duplicate row.
    """
    df = loaded.data
    reason = loaded.load_reasons()
    if table == "reviews" and "order_id" in df:
        own = df["customer_id"] if "customer_id" in df else pd.Series(pd.NA, index=df.index, dtype="string")
        lookup = order_customers if order_customers is not None else pd.Series(dtype="string")
        from_order = df["order_id"].map(lookup).astype("string")
        reason = _first_reason(reason, own.isna() & df["order_id"].notna() & from_order.isna(), "unknown_order")
        df = df.assign(customer_id=own.fillna(from_order))
    for name, column in TABLES[table].items():  # a row without the date that places it in time places nowhere
        if column.kind == "date" and column.required and name in df:
            reason = _first_reason(reason, df[name].isna(), "missing_date")
    customer = df.get("customer_id")
    if customer is not None and table != "leads":
        reason = _first_reason(reason, customer.isna(), "missing_customer_id")
        reason = _first_reason(reason, customer.isin(test_ids), "test_account")
        if known_customers is not None:
            reason = _first_reason(reason, ~customer.isin(known_customers), "unknown_customer")
    id_col = _ID_COLUMNS.get(table)
    if id_col and id_col in df:
        reason = _keep_last_per_id(reason, df[id_col])
    else:
        canonical = [c for c in df.columns if c in TABLES[table]]
        reason = _first_reason(reason, df.duplicated(subset=canonical, keep="first"), "duplicate_line")
    reason = reason.fillna("kept")
    ledger = ledger_entries(table, df, reason)
    clean = df[reason == "kept"].drop(columns=["source_file", "source_row"]).reset_index(drop=True)
    for name, column in TABLES[table].items():  # every contract column exists, NA when unmapped
        if name not in clean:
            clean[name] = (
                pd.Series(pd.NA, index=clean.index, dtype="string")
                if column.kind in ("id", "text")
                else pd.Series(pd.NaT, index=clean.index, dtype="datetime64[ns]")
                if column.kind == "date"
                else np.nan
            )
    if table == "interactions":
        clean["count"] = clean["count"].fillna(1.0).astype("float64")
    return clean, ledger


# --------------------------------------------------------------------------- the stage
def clean_dataset(
    loaded: dict[str, LoadedTable], mapping: Mapping, settings: CleaningSettings, lookups: Lookups, period: Period
) -> CleaningResult:
    """Clean every loaded table and build the ledger.

    Parameters
    ----------
    loaded
        Canonical tables by name (``orders`` required).
    mapping, settings, lookups
        From ``config/``.
    period
        The run's period: customer summaries are computed up to its as-of date.

    Raises
    ------
    PeriodError
        When no order line is kept within the period.
    """
    ledgers: list[pd.DataFrame] = []
    tables: dict[str, pd.DataFrame] = {}
    notes: dict[str, object] = {}
    raw_customers = loaded["customers"].data if "customers" in loaded else None
    test_ids = find_test_accounts(raw_customers, settings)

    customers = None
    if "customers" in loaded:
        customers, ledger, notes = clean_customers(loaded["customers"], settings, lookups, test_ids)
        ledgers.append(ledger)
    if "products" in loaded:
        tables["products"], ledger = clean_events(
            "products", loaded["products"], test_ids=test_ids, known_customers=None
        )
        ledgers.append(ledger)

    orders, ledger = clean_orders(
        loaded["orders"],
        mapping,
        settings,
        test_ids=test_ids,
        products=tables.get("products"),
        countries=lookups.countries,
    )
    ledgers.append(ledger)
    tables["orders"] = orders
    tables["customers"] = customer_base(customers, orders, period)

    # Who exists at all (any date): events of customers known only after the as-of date are still valid rows.
    known = set(orders["customer_id"].dropna()) | (set(customers["customer_id"]) if customers is not None else set())
    raw_orders = loaded["orders"].data
    order_customers = (
        raw_orders.dropna(subset=["customer_id"]).drop_duplicates("order_id").set_index("order_id")["customer_id"]
        if "order_id" in raw_orders and "customer_id" in raw_orders
        else None
    )
    for table in ("payments", "tickets", "reviews", "surveys", "interactions", "leads"):
        if table in loaded:
            tables[table], ledger = clean_events(
                table, loaded[table], test_ids=test_ids, known_customers=known, order_customers=order_customers
            )
            ledgers.append(ledger)
    if "reviews" in tables:
        scale = cast(Scale, mapping.tables["reviews"].scale)  # the mapping's validation requires one
        # One scale for every rating: 1-5, as ticket satisfaction is read.
        tables["reviews"]["rating_5"] = 1 + 4 * (tables["reviews"]["score"].astype("float64") - scale.min) / (
            scale.max - scale.min
        )
    rate = mapping.fx_rate(mapping.currency)
    money = (("payments", "amount"), ("leads", "budget"), ("leads", "deal_value"), ("customers", "wallet"))
    for table, column in money:
        if table in tables:  # these exports carry no currency column: the mapping's currency
            tables[table][column] = tables[table][column].astype("float64") * rate
    if "leads" in tables:
        tables["leads"] = pd.concat(
            [
                tables["leads"].drop(columns="industry"),
                standardise_industry(tables["leads"]["industry"], lookups.taxonomy),
            ],
            axis=1,
        )

    notes["raw_customer_ids"] = int(loaded["orders"].data.get("customer_id", pd.Series(dtype="string")).nunique())
    notes["known_customers"] = int(tables["customers"]["customer_id"].isin(set(orders["customer_id"])).sum())
    notes["unknown_to_master"] = (
        int((~tables["customers"]["in_customer_master"]).sum()) if customers is not None else None
    )
    notes["returns"] = {
        "lines": int((orders["line_type"] == "return").sum()),
        "amount": float(orders.loc[orders["line_type"] == "return", "amount"].sum()),
    }
    if not mapping.snapshot:  # a snapshot has no order lines: its customers are the data
        check_period_has_orders(orders, period)
    # Rows of sheets not read are accounted for too: raw = kept + excluded over every row of every file.
    for lt in loaded.values():
        for t, rows in lt.other_rows.groupby("table", sort=False):
            ledgers.append(ledger_entries(str(t), rows.reset_index(drop=True), rows["reason"].reset_index(drop=True)))
    return CleaningResult(tables=tables, ledger=pd.concat(ledgers, ignore_index=True), notes=notes)


def check_period_has_orders(orders: pd.DataFrame, period: Period) -> None:
    """Raise a clear error when no kept sale falls in the period."""
    sales = orders.loc[orders["line_type"] == "sale", "order_date"]
    if not period.contains(sales).any():
        span = f"{sales.min():%Y-%m-%d} to {sales.max():%Y-%m-%d}" if len(sales) else "nothing"
        raise PeriodError(f"no kept orders in period {period.label}; the data's kept orders run from {span}")


def cleaning_record(
    dataset: Dataset, loaded: dict[str, LoadedTable], result: CleaningResult, relative: Callable[[Path], str] = str
) -> dict[str, object]:
    """What ``cleaning.json`` records: mapping, input files with sha256, row accounting.

    ``relative`` writes a path as the record shows it (the project-relative form under a run,
    so two clones of the project record the same text).
    """
    inputs = []
    ledger_file = result.ledger["source_file"].astype("string").str.replace(r"#.*$", "", regex=True)
    for table, paths in dataset.sources():
        files = loaded[table.partition("+")[0]].files
        for path in paths:
            mine = [
                f
                for f in files
                if f["table"] == table and (f["file"] == path.name or str(f["file"]).startswith(f"{path.name}#"))
            ]
            rows = result.ledger[(result.ledger["table"] == table) & (ledger_file == path.name)]
            inputs.append(
                {
                    "file": relative(path),
                    "table": table,
                    "rows": sum(int(f["rows"]) for f in mine),
                    "kept_rows": int((rows["status"] == "kept").sum()),
                    "excluded_rows": int((rows["status"] == "excluded").sum()),
                    "sheets": {str(f["file"]): int(f["rows"]) for f in mine if "skipped" not in f},
                    "skipped_sheets": {
                        str(
                            f["file"]
                        ): f"{f['skipped_rows']} row{'' if f['skipped_rows'] == 1 else 's'}, {f['skipped']}"
                        for f in mine
                        if "skipped" in f
                    },
                    "sha256": sha256(path),
                    "read_as": next((str(f["read_as"]) for f in mine if "read_as" in f), ""),
                }
            )
    record = summary(result.ledger)
    record.update(
        data=relative(dataset.path),
        mapping=dataset.mapping.name,
        mapping_title=dataset.mapping.title,
        credit=dataset.mapping.credit,
        reporting_currency=dataset.mapping.reporting_currency,
        fx_to_reporting=dict(sorted(dataset.mapping.fx_to_reporting.items())),
        inputs=inputs,
        available_tables=sorted(result.tables),
        raw_customer_ids=result.notes["raw_customer_ids"],
        ids=dataset.mapping.ids.model_dump(),
    )
    return record
