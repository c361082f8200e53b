"""Data warnings: what an export lacks or contradicts, said once, first, in plain words.

Stage 01 keeps or excludes every row with a reason; these sentences are the
few facts a consultant must know before reading any figure: a table the
mapping expects but the folder does not hold, sheets not read, rows a join
could not place, customers and products the master tables do not know. They
go to the console, the manifest and the top of the stage's report.
"""

from __future__ import annotations

import pandas as pd

from helpers.cleaning.rules import CleaningResult
from helpers.core.labels import LABELS
from helpers.io.loaders import Dataset, LoadedTable

__all__ = ["data_warnings"]


def _table(table: str) -> str:
    return LABELS.text("table", table, "en")


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _some(values: pd.Series, n: int = 3, chars: int = 40) -> str:
    """A few values as examples, each shortened: a warning is a sentence, not a data dump."""
    shown = ", ".join(str(v) if len(str(v)) <= chars else str(v)[: chars - 1] + "…" for v in values.head(n))
    return shown + (", …" if len(values) > n else "")


def _snapshot(dataset: Dataset) -> list[str]:
    if not dataset.mapping.snapshot:
        return []
    if "customers" not in dataset.mapping.tables:
        return [
            "the data are a lead history (leads, no order lines, no customer table): the analyses that need "
            "customers and their orders (RFM, value grading, lifetime value, the order KPIs, churn) have nothing to "
            "work on; stage 05 scores the leads and checks the score against their outcomes"
        ]
    return [
        "the data are a customer snapshot (one row per customer, churn recorded, no order lines): the analyses "
        "that need order history (RFM, value grading, lifetime value, the order KPIs) have nothing to work on; "
        "stage 04 models the churn the snapshot records"
    ]


def _missing_tables(dataset: Dataset) -> list[str]:
    mapping = dataset.mapping
    main = mapping.main_table
    others = [t for t in mapping.tables if t != main]
    if dataset.single_file:
        if not others:
            return []
        names = ", ".join(_table(t) for t in others)
        return [
            f"only the {_table(main)} were read (DATA is one file): the mapping's other tables ({names}) need the "
            "folder"
        ]
    return [
        f"no file for the {_table(t)}: the mapping looks for {', '.join(mapping.tables[t].files)} and the folder has "
        "none, so what needs them is shown as not available"
        for t in others
        if t not in dataset.files
    ]


def _skipped_sheets(loaded: dict[str, LoadedTable]) -> list[str]:
    out = []
    for lt in loaded.values():
        for f in lt.files:
            if "skipped" in f:
                out.append(f"sheet {f['file']} was not read ({f['skipped']}; {_rows(int(f['skipped_rows']))})")
    return out


def _joins(dataset: Dataset, result: CleaningResult) -> list[str]:
    out = []
    ledger = result.ledger
    for table, tm in dataset.mapping.tables.items():
        for join in tm.join:
            lost = int(((ledger["table"] == table) & (ledger["reason"] == f"unmatched_{join.name}")).sum())
            if lost:
                out.append(
                    f"{_rows(lost)} of the {_table(table)} found no row in the joined file {join.name} "
                    f"({', '.join(join.files)}) and {'was' if lost == 1 else 'were'} excluded"
                )
            unused = int(((ledger["table"] == f"{table}+{join.name}") & (ledger["reason"] == "join_unmatched")).sum())
            if unused:
                out.append(
                    f"{_rows(unused)} of the joined file {join.name} ({', '.join(join.files)}) "
                    f"{'matches' if unused == 1 else 'match'} none of the {_table(table)}"
                )
    return out


def _unknown_ids(result: CleaningResult) -> list[str]:
    out = []
    orders, customers = result.tables["orders"], result.tables["customers"]
    if "industry_unmatched" in result.notes:  # there is a customer master
        unknown = customers.loc[~customers["in_customer_master"].fillna(False).astype(bool), "customer_id"]
        if len(unknown):
            lines = int(orders["customer_id"].isin(set(unknown)).sum())
            out.append(
                f"{len(unknown):,} customers of the order lines are not in the customer master ({lines:,} kept lines, "
                f"e.g. {_some(unknown)}): they are graded without industry, region or contacts"
            )
    products = result.tables.get("products")
    if products is not None and "product_id" in orders:
        codes = orders["product_id"].dropna()
        unknown = pd.Series(sorted(set(codes) - set(products["product_id"].dropna())), dtype="string")
        if len(unknown):
            lines = int(codes.isin(set(unknown)).sum())
            out.append(
                f"{len(unknown):,} product codes of the kept order lines are not in the product master "
                f"({lines:,} lines, e.g. {_some(unknown)}): their cost and category are unknown"
            )
    return out


#: Fewer answers than this say too little about the scale they were given on.
_SCALE_MIN_ANSWERS = 20


def _scales(result: CleaningResult) -> list[str]:
    """Answers that fit their column's range but look like another scale (a 1-5 rating mapped as NPS)."""
    surveys = result.tables.get("surveys")
    if surveys is None:
        return []
    scores = pd.to_numeric(surveys["nps_score"], errors="coerce").dropna()
    if len(scores) >= _SCALE_MIN_ANSWERS and scores.max() <= 5:
        return [
            f"all {len(scores):,} NPS answers are between {scores.min():.0f} and {scores.max():.0f} on a 0–10 scale: "
            "if they are 1–5 ratings, map them as the satisfaction of tickets or reviews instead, or NPS will read "
            "every customer as a detractor"
        ]
    return []


def _dates(result: CleaningResult) -> list[str]:
    """Dates a grading needs that the data do not hold."""
    customers = result.tables["customers"]
    orders = result.tables.get("orders")
    if orders is not None and orders.empty:  # a snapshot: no first order to count from, and none needed
        return []
    if "industry_unmatched" in result.notes and customers["registration_date"].isna().all():
        return [
            "the customer master has no registration dates: relationship length counts from each customer's first "
            "order in the data, which is shorter than the real relationship for customers who bought before"
        ]
    return []


def data_warnings(dataset: Dataset, loaded: dict[str, LoadedTable], result: CleaningResult) -> list[str]:
    """The data warnings of a cleaning run, most consequential first (empty when there is nothing to say)."""
    return [
        *_snapshot(dataset),
        *_missing_tables(dataset),
        *_joins(dataset, result),
        *_unknown_ids(result),
        *_scales(result),
        *_dates(result),
        *_skipped_sheets(loaded),
    ]
