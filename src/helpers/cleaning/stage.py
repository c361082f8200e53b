"""Stage 01, data cleaning (数据清洗): the declaration and the computation.

Raw exports in, clean canonical tables and the row ledger out; every raw row is
kept or excluded with a reason, and the order lines reconcile to the row and to 0.001.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.cleaning.ledger import check_reconciles, reconciliation
from helpers.cleaning.rules import CleaningResult, clean_dataset, cleaning_record
from helpers.cleaning.settings import CleaningSettings
from helpers.cleaning.standardise import LOOKUP_FILES, load_lookups
from helpers.cleaning.warnings import data_warnings
from helpers.core.catalog import Output
from helpers.io.loaders import Dataset, LoadedTable, load_dataset, resolve_dataset
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import External, Located, Stage

__all__ = ["STAGE", "CleaningRun", "compute", "locate_raw_data"]


@dataclass
class CleaningRun:
    """What stage 01 computed: the dataset read, the cleaning result and its record.

    Attributes
    ----------
    dataset
        The resolved dataset (mapping and files).
    loaded
        The tables as loaded, before cleaning.
    result
        Clean tables, ledger and data-quality notes.
    record
        What ``cleaning.json`` holds (mapping, files with sha256, row accounting).
    reconciliation
        Raw → kept → excluded by reason for the order lines.
    """

    dataset: Dataset
    loaded: dict[str, LoadedTable]
    result: CleaningResult
    record: dict[str, Any]
    reconciliation: pd.DataFrame

    @property
    def currency(self) -> str:
        return self.dataset.mapping.reporting_currency

    @property
    def data_title(self) -> str:
        return self.dataset.mapping.title

    @property
    def outputs(self) -> dict[str, Any]:
        return {**self.result.tables, "ledger": self.result.ledger, "cleaning": self.record}

    @property
    def warnings(self) -> list[str]:
        """What the data lack or contradict (:func:`helpers.cleaning.warnings.data_warnings`)."""
        return data_warnings(self.dataset, self.loaded, self.result)


def locate_raw_data(ctx: StageContext) -> Located:
    """The dataset of the run's ``data`` and ``mapping`` parameters (its files and the mapping's file)."""
    dataset = resolve_dataset(ctx.params.get("data") or "", ctx.params.get("mapping") or None, ctx.config_dir)
    return Located(dataset, tuple(dataset.all_files))


def compute(inputs: Mapping[str, Any], ctx: StageContext) -> CleaningRun:
    """Load the raw exports, clean every table and check the reconciliation.

    Parameters
    ----------
    inputs
        ``raw``: the :class:`~helpers.io.loaders.Dataset` to clean.
    ctx
        The stage context (period, ``cleaning`` settings, config folder).

    Raises
    ------
    DataValidationError
        An unusable file, column or value (naming the file, column, row and value).
    PeriodError
        When no order line is kept in the period.
    """
    dataset: Dataset = inputs["raw"]
    settings: CleaningSettings = ctx.section
    loaded = load_dataset(dataset, on_invalid=settings.on_invalid_value, limits=settings.plausible.limits())
    result = clean_dataset(
        loaded, dataset.mapping, settings, load_lookups(ctx.config_dir, dataset.mapping.industry_taxonomy), ctx.period
    )
    check_reconciles(result.ledger, result.tables["orders"])  # stops the run if the table and the ledger disagree
    record = cleaning_record(dataset, loaded, result, relative=ctx.paths.relative)
    return CleaningRun(dataset, loaded, result, record, reconciliation(result.ledger))


_ROW_SOURCE = (
    "`source_file`, `source_row`: where the raw row is (file, or `file.xlsx#Sheet`; the row as a "
    "spreadsheet numbers it, header = 1)"
)

STAGE = Stage(
    number=1,
    name="data_cleaning",
    title_zh="数据清洗",
    title_en="Data cleaning",
    question="Which raw rows are usable, and what happened to every other one?",
    question_zh="哪些原始数据行可用？其余每一行去了哪里？",
    inputs=(
        External(
            "raw", "the client's exports (a file or a folder) and the mapping that describes them", locate_raw_data
        ),
    ),
    outputs=(
        Output(
            "orders",
            "orders.parquet",
            "kept order lines (sales and netted returns), all dates",
            row="kept order line",
            columns=(
                "`customer_id` (str), `order_id` (str), `order_date` (datetime64), `product_id` (str or NA), "
                "`product_name`, `category` (str or NA), `quantity` (float), `unit_price` (float, reporting "
                "currency), `amount` (float, reporting currency; negative for returns), `cost` (float, reporting "
                "currency: the line's own cost, else amount − its profit, else quantity x the product's unit cost; "
                "NA when none is known), `list_value` (float: the line at list price — quantity x its list price, "
                "else amount / (1 − its discount); NA when the line says neither), `line_type` (`sale` / "
                "`return`), `country` (str or NA), `is_custom` "
                "(boolean, NA unless mapped), " + _ROW_SOURCE
            ),
        ),
        Output(
            "customers",
            "customers.parquet",
            "the clean customer base as of the period",
            row="customer known by the as-of date (registered by then, or with a kept order by then)",
            columns=(
                "`customer_id`, `customer_name`, `industry_l1`, `industry_l2` (NA when not in the taxonomy), "
                '`industry` (`"制造业-汽车零部件"` form, or as written when not in the taxonomy), `industry_listed` '
                "(bool: found in the taxonomy), `industry_raw`, `region` (the standard name, or as written), "
                "`region_listed` (bool: found in the region list), `country`, `company_size`, `registration_date`, "
                "`tenure_months`, `churned` (boolean, NA = not known), `churn_date`, `wallet` (float, reporting "
                "currency: the customer's yearly spend on what the client sells, NA when not mapped), "
                "`contact_name_masked`, `contact_phone_masked`, `contact_email_masked`, `missing_fields` (text: "
                "which contact fields are empty), `missing_contact` (bool; NA without a customer table), "
                "`in_customer_master` (bool: False for customers known only from orders), `first_order_date`, "
                "`last_order_date`, `total_spend` (net, up to the as-of date), `orders_count`"
            ),
        ),
        Output(
            "products",
            "products.parquet",
            "the product master",
            row="product",
            optional=True,
            columns="`product_id`, `product_name`, `category`, `list_price`, `unit_cost`",
        ),
        Output(
            "payments",
            "payments.parquet",
            "invoices and their payment",
            row="invoice",
            optional=True,
            columns="`invoice_id`, `order_id`, `customer_id`, `due_date`, `paid_date`, `amount` (reporting currency)",
        ),
        Output(
            "tickets",
            "tickets.parquet",
            "service tickets",
            row="ticket",
            optional=True,
            columns=(
                "`ticket_id`, `customer_id`, `opened_at`, `is_complaint` (bool), `response_hours`, "
                "`satisfaction` (Int64 1–5 or NA)"
            ),
        ),
        Output(
            "reviews",
            "reviews.parquet",
            "customer reviews and ratings",
            row="review",
            optional=True,
            columns=(
                "`review_id`, `order_id`, `customer_id` (the order's customer when the review names only the "
                "order), `review_date`, `score` (on the mapping's scale), `review_text` (masked), `rating_5` "
                "(the score on a 1–5 scale, as ticket satisfaction)"
            ),
        ),
        Output(
            "surveys",
            "surveys.parquet",
            "NPS survey answers",
            row="survey answer",
            optional=True,
            columns="`customer_id`, `survey_date`, `nps_score` (Int64 0–10)",
        ),
        Output(
            "interactions",
            "interactions.parquet",
            "logins, webinars, downloads …",
            row="event row",
            optional=True,
            columns="`customer_id`, `event_date`, `event_type`, `count` (float)",
        ),
        Output(
            "leads",
            "leads.parquet",
            "sales leads",
            row="lead",
            optional=True,
            columns=(
                "`lead_id`, `company_name`, `industry_l1`, `industry_l2`, `industry`, `industry_listed`, "
                "`company_size`, `budget`, `deal_value` (both in the reporting currency), `decision_maker`, "
                "`source`, `owner`, `product`, `stage` (as the CRM names it), `created_date`, `engaged_date`, "
                "`closed_date`, `outcome` (`won`/`lost`/`open`), `customer_id` (NA or empty when not mapped)"
            ),
        ),
        Output(
            "ledger",
            "ledger.parquet",
            "the row ledger: what happened to every raw row",
            row="raw row of every table",
            columns=(
                "`table`, `source_file`, `source_row`, `status` (`kept`/`excluded`), `reason` (a code of "
                "`helpers.cleaning.ledger.REASONS`; `sale`/`return` for kept order lines, `kept` for other kept "
                "rows), `amount` (order lines: amount in reporting currency, rounded to 0.001; NA for other tables)"
            ),
        ),
        Output(
            "cleaning",
            "cleaning.json",
            "the data read and the row accounting",
            columns=(
                "`data` (the data path, relative to the project when inside it), `mapping`, `mapping_title`, `credit`, "
                "`reporting_currency`, `fx_to_reporting` (the mapping's rates: reporting units per unit of each "
                "other currency), `inputs`: [{`file`, `table`, `rows`, `sheets`: {sheet: rows}, `skipped_sheets`: "
                "{sheet: why}, `sha256`, `read_as`}], `tables`: {table: {`input_rows`, `kept_rows`, "
                "`excluded_rows`: {reason: n}}} (rows of skipped sheets included), "
                "`input_rows`, `kept_rows`, `excluded_rows`: {reason: n}, `available_tables`, `raw_customer_ids` "
                "(distinct customer ids in the raw orders), `ids` (the mapping's id rules, which stage 03 applies "
                "to the manual sheet)"
            ),
        ),
    ),
    config_section="cleaning",
    settings=CleaningSettings,
    shared_sections=(),
    config_files=LOOKUP_FILES,
    compute=compute,
)
