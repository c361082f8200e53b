"""The canonical tables every client export is mapped onto.

A mapping file (``config/mappings/*.yaml``) says which source column feeds
which canonical column. Loading parses each canonical column to its kind;
cleaning then works on canonical names only.

Kinds
-----
``id``      text identifier (numbers such as ``17850.0`` become ``"17850"``)
``text``    free text, stripped
``date``    timestamp; text in any of the mapping's ``date_formats`` or a native date
``number``  float
``int``     whole number (nullable)
``bool``    yes/no (1/0, true/false, 是/否, y/n)

Personal data: the contact columns (``personal=True``) are masked whole by
cleaning; in every other text column, phone numbers and e-mail addresses typed
into the text are masked when the file is read
(:func:`helpers.core.privacy.mask_personal_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ATTRIBUTE_PREFIX", "LEAD_OUTCOMES", "ORDER_STATUSES", "TABLES", "Column", "Kind"]

Kind = Literal["id", "text", "date", "number", "int", "bool"]


@dataclass(frozen=True)
class Column:
    """One canonical column."""

    name: str
    kind: Kind
    required: bool = False
    description: str = ""
    personal: bool = False


def _cols(*cols: Column) -> dict[str, Column]:
    return {c.name: c for c in cols}


TABLES: dict[str, dict[str, Column]] = {
    "orders": _cols(
        Column("order_id", "id", False, "order / invoice number; derived from customer and date when absent"),
        Column("line_no", "int", False, "line number within the order"),
        Column("customer_id", "id", False, "customer number; rows without one are excluded with a reason"),
        Column("order_date", "date", True, "order date (and time)"),
        Column("product_id", "id", False, "product / stock code"),
        Column("product_name", "text", False, "product description"),
        Column("category", "text", False, "product category when the order export carries it"),
        Column("quantity", "number", True, "quantity; negative on returns"),
        Column("unit_price", "number", False, "unit price (one of unit_price / amount is required)"),
        Column("amount", "number", False, "line amount (computed as quantity x unit_price when absent)"),
        Column("cost", "number", False, "line cost of goods (when absent: amount − profit, or quantity x unit cost)"),
        Column("profit", "number", False, "line profit, negative for a loss (gives the cost when cost is absent)"),
        Column("discount", "number", False, "discount off the list price as a share, 0–1 (0.2 = 20% off)"),
        Column("list_price", "number", False, "list (catalogue) unit price before discount"),
        Column("currency", "text", False, "ISO currency code of the line (default: the mapping's currency)"),
        Column("status", "text", False, "order status, mapped to completed / cancelled / returned"),
        Column("country", "text", False, "customer's country"),
        Column("is_custom", "bool", False, "custom / made-to-order line"),
    ),
    "customers": _cols(
        Column("customer_id", "id", True, "customer number (the key the order lines use)"),
        Column("customer_name", "text", description="company or person name"),
        Column("industry", "text", description="industry as the client spells it; standardised to two levels"),
        Column("region", "text", description="province, state or sales region as the client writes it"),
        Column("country", "text", description="country name or ISO code"),
        Column("company_size", "text", description="size band as the client writes it (large / 大型 …)"),
        Column("registration_date", "date", description="when the customer was registered or first signed"),
        Column("tenure_months", "number", description="months as a customer by the export date (snapshots)"),
        Column("churned", "bool", description="churn recorded by the client: yes/no; blank = not known yet (scored)"),
        Column("churn_date", "date", description="when the customer left (contract end, account closed)"),
        Column(
            "wallet",
            "number",
            description="the customer's yearly spend on what the client sells, ours and competitors' (a CRM "
            "estimate of purchasing potential), in the mapping's currency: gives the share of wallet",
        ),
        Column("contact_name", "text", description="personal data: masked in every output", personal=True),
        Column("contact_phone", "text", description="personal data: masked in every output", personal=True),
        Column("contact_email", "text", description="personal data: masked in every output", personal=True),
    ),
    "products": _cols(
        Column("product_id", "id", True, "product / stock code (the key the order lines use)"),
        Column("product_name", "text", description="product description"),
        Column("category", "text", description="product category"),
        Column("list_price", "number", description="list price per unit, in the mapping's currency"),
        Column("unit_cost", "number", description="cost per unit, in the mapping's currency"),
    ),
    "payments": _cols(
        Column("invoice_id", "id", description="invoice number"),
        Column("order_id", "id", description="the order it bills"),
        Column("customer_id", "id", True, "the customer billed"),
        Column("due_date", "date", True, "when payment is due"),
        Column("paid_date", "date", description="empty while unpaid"),
        Column("amount", "number", description="invoice amount, in the mapping's currency"),
    ),
    "tickets": _cols(
        Column("ticket_id", "id", description="ticket number"),
        Column("customer_id", "id", True, "the customer who raised it"),
        Column("opened_at", "date", True, "when it was opened"),
        Column("is_complaint", "bool", description="a complaint (yes) or another request (no)"),
        Column("response_hours", "number", description="hours until the first response"),
        Column("satisfaction", "int", description="1-5; empty when not rated"),
    ),
    "reviews": _cols(
        Column("review_id", "id", description="review number"),
        Column("order_id", "id", description="the order reviewed: gives the customer when customer_id is not mapped"),
        Column("customer_id", "id", description="the customer who reviewed (or map order_id)"),
        Column("review_date", "date", True, "when the review was written"),
        Column("score", "number", True, "the rating, on the scale the mapping declares (tables.reviews.scale)"),
        Column("review_text", "text", description="what the customer wrote (phones and e-mails masked)"),
    ),
    "surveys": _cols(
        Column("customer_id", "id", True, "the customer who answered"),
        Column("survey_date", "date", True, "when they answered"),
        Column("nps_score", "int", True, "0-10 likelihood to recommend"),
    ),
    "interactions": _cols(
        Column("customer_id", "id", True, "the customer"),
        Column("event_date", "date", True, "when it happened"),
        Column("event_type", "text", description="login, webinar, download ..."),
        Column("count", "number", description="events on that row (default 1), for aggregated exports"),
    ),
    "leads": _cols(
        Column("lead_id", "id", True, "lead / opportunity number"),
        Column("company_name", "text", description="the prospect's company"),
        Column("industry", "text", description="the prospect's industry as written"),
        Column("company_size", "text", description="size band as written"),
        Column("budget", "number", description="the prospect's stated budget"),
        Column("deal_value", "number", description="the deal's value: won value, or the expected value while open"),
        Column("decision_maker", "text", description="level of decision-maker contact"),
        Column("source", "text", description="where the lead came from (channel)"),
        Column("owner", "text", description="the sales owner or agent (our staff) as the CRM names them"),
        Column("product", "text", description="the product or product line the deal is about"),
        Column("stage", "text", description="the pipeline stage as the CRM names it (Prospecting, 商务谈判 …)"),
        Column("created_date", "date", True, "when the lead was created"),
        Column("engaged_date", "date", description="when sales first engaged with it"),
        Column("closed_date", "date", description="when it was won or lost; empty while open"),
        Column(
            "outcome",
            "text",
            description="won / lost / open: map the stage column here too, with `values` "
            "saying which stages are won, lost or open",
        ),
        Column("customer_id", "id", description="customer number once won"),
    ),
}

#: A customer attribute the mapping keeps beside the canonical columns (``attributes:``) is named
#: ``attr:<name shown>`` in the customers table.
ATTRIBUTE_PREFIX = "attr:"

#: Canonical order statuses (mapping ``values.status`` maps raw spellings onto these).
ORDER_STATUSES = ("completed", "cancelled", "returned")
#: Canonical lead outcomes.
LEAD_OUTCOMES = ("won", "lost", "open")
