"""Real export shapes loaded through a mapping alone: joins, constants and derived columns.

Each fixture is a small folder of files shaped like a kind of export the
project meets (written here, so the tests say exactly what the files hold),
with the mapping a consultant would write for it. Every raw row of every file
must be accounted for: per file, rows = kept + excluded.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import clean
from helpers.core.errors import ConfigError, DataValidationError
from helpers.io.expressions import check_expression

PERIOD = "2024Q4"


def _write(folder: Path, files: dict[str, pd.DataFrame], mapping: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in files.items():
        frame.to_csv(folder / name, index=False)
    path = folder / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _base(name: str, currency: str, tables: dict) -> dict:
    return {
        "name": name,
        "title": name,
        "currency": currency,
        "reporting_currency": currency,
        "decimal_mark": ".",
        "ids": {"case": "keep", "leading_zeros": "keep", "inner_spaces": "keep"},
        "date_formats": ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"],
        "tables": tables,
    }


def _every_file_adds_up(run) -> dict[str, dict]:
    """Per (table, file) of cleaning.json: rows = kept + excluded; returns them by file name."""
    by_file = {}
    for entry in run.record["inputs"]:
        assert entry["rows"] == entry["kept_rows"] + entry["excluded_rows"], entry
        by_file[(entry["table"], Path(entry["file"]).name)] = entry
    return by_file


# --------------------------------------------------------------------------- a marketplace: five files
def marketplace(folder: Path) -> Path:
    """Order headers, order items, customers (a per-order key and the person's key) and reviews, apart."""
    heads = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o9"],  # o9 has no item
            "customer_id": ["k1", "k2", "k3", "k4"],
            "order_status": ["delivered", "delivered", "canceled", "delivered"],
            "order_purchase_timestamp": [
                "2024-10-03 10:00:00",
                "2024-11-05 09:30:00",
                "2024-11-20 12:00:00",
                "2024-12-01 08:00:00",
            ],
        }
    )
    items = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3", "oX"],  # oX: an item whose order header is missing
            "order_item_id": [1, 2, 1, 1, 1],
            "product_id": ["p1", "p2", "p1", "p3", "p1"],
            "price": [100.0, 50.5, 100.0, 30.0, 10.0],
            "freight_value": [5.0, 5.0, 7.5, 2.0, 1.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["k1", "k2", "k3", "k4"],
            "customer_unique_id": ["u1", "u1", "u2", "u3"],  # u1 bought twice, under two order keys
            "customer_state": ["SP", "SP", "RJ", "MG"],
        }
    )
    reviews = pd.DataFrame(
        {
            "review_id": ["r1", "r2", "r3"],
            "order_id": ["o1", "o2", "o3"],
            "review_score": [5, 1, 2],
            "review_creation_date": ["2024-10-10", "2024-11-10", "2024-11-25"],
        }
    )
    mapping = _base(
        "marketplace",
        "BRL",
        {
            "orders": {
                "files": ["order_items.csv"],
                "join": [
                    {"files": ["orders.csv"], "on": "order_id", "name": "heads"},
                    {"files": ["customers.csv"], "on": "customer_id", "name": "buyers"},
                ],
                "columns": {
                    "order_id": "order_id",
                    "line_no": "order_item_id",
                    "customer_id": "customer_unique_id",
                    "order_date": "order_purchase_timestamp",
                    "product_id": "product_id",
                    "unit_price": "price",
                    "status": "order_status",
                },
                "constants": {"quantity": 1},
                "values": {"status": {"delivered": "completed", "canceled": "cancelled"}},
            },
            "customers": {
                "files": ["customers.csv"],
                "columns": {"customer_id": "customer_unique_id", "region": "customer_state"},
            },
            "tickets": {
                "files": ["reviews.csv"],
                "join": [
                    {"files": ["orders.csv"], "on": "order_id", "name": "heads"},
                    {"files": ["customers.csv"], "on": "customer_id", "name": "buyers"},
                ],
                "columns": {
                    "ticket_id": "review_id",
                    "customer_id": "customer_unique_id",
                    "opened_at": "review_creation_date",
                },
                "derive": {"is_complaint": "review_score <= 2"},
            },
        },
    )
    return _write(
        folder,
        {"orders.csv": heads, "order_items.csv": items, "customers.csv": customers, "reviews.csv": reviews},
        mapping,
    )


def test_a_marketplace_export_loads_through_its_mapping_alone(tmp_path):
    mapping = marketplace(tmp_path / "export")
    run = clean(tmp_path / "export", PERIOD, str(mapping))
    orders = run.result.tables["orders"]
    # Lines carry the person's key through two joins, the header's date, and quantity 1.
    assert sorted(orders["customer_id"].unique()) == ["u1"]  # o3 was cancelled
    assert orders["amount"].sum() == pytest.approx(250.5)
    assert set(orders["order_date"].dt.strftime("%Y-%m-%d")) == {"2024-10-03", "2024-11-05"}
    ledger = run.result.ledger
    reasons = ledger.groupby(["table", "reason"]).size().to_dict()
    assert reasons[("orders", "unmatched_heads")] == 1  # the item oX
    assert reasons[("orders", "cancelled_order")] == 1
    assert reasons[("orders+heads", "joined")] == 3 and reasons[("orders+heads", "join_unmatched")] == 1  # o9
    assert reasons[("orders+buyers", "joined")] == 3 and reasons[("orders+buyers", "join_unmatched")] == 1  # k4
    files = _every_file_adds_up(run)
    assert files[("orders", "order_items.csv")]["rows"] == 5
    assert files[("orders+heads", "orders.csv")]["rows"] == 4
    assert files[("tickets+heads", "orders.csv")]["excluded_rows"] == 1  # o9 has no review
    tickets = run.result.tables["tickets"]
    assert dict(zip(tickets["ticket_id"], tickets["is_complaint"])) == {"r1": False, "r2": True, "r3": True}
    # What the consultant must know first, in plain words.
    warnings = run.warnings
    assert "1 row of the order lines found no row in the joined file heads (orders.csv) and was excluded" in warnings
    assert "1 row of the joined file heads (orders.csv) matches none of the order lines" in warnings
    assert "1 row of the joined file heads (orders.csv) matches none of the service tickets" in warnings
    assert dict(zip(tickets["ticket_id"], tickets["customer_id"])) == {"r1": "u1", "r2": "u1", "r3": "u2"}


def _with_reviews_table(tmp_path: Path, scale: dict) -> Path:
    """The marketplace with its reviews as a reviews table: order number only, a 1-5 score."""
    mapping_path = marketplace(tmp_path / "export")
    mapping = yaml.safe_load(mapping_path.read_text(encoding="utf-8"))
    del mapping["tables"]["tickets"]
    mapping["tables"]["reviews"] = {
        "files": ["reviews.csv"],
        "columns": {
            "review_id": "review_id",
            "order_id": "order_id",
            "review_date": "review_creation_date",
            "score": "review_score",
            "review_text": "review_comment_message",
        },
        "scale": scale,
    }
    reviews = pd.read_csv(tmp_path / "export" / "reviews.csv")
    reviews.loc[len(reviews)] = ["r4", "oZ", 4, "2024-12-02"]  # an order the export does not hold
    reviews["review_comment_message"] = ["ótimo", "ligue 11 98765-4321", None, "bom"]
    reviews.to_csv(tmp_path / "export" / "reviews.csv", index=False)
    mapping_path.write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return mapping_path


def test_reviews_with_only_an_order_number_feed_satisfaction(tmp_path):
    from helpers.core.periods import parse_period
    from helpers.indicators.customer import customer_indicators

    mapping = _with_reviews_table(tmp_path, {"min": 1, "max": 5})
    run = clean(tmp_path / "export", PERIOD, str(mapping))
    reviews = run.result.tables["reviews"].set_index("review_id")
    # The customer comes from the order, a cancelled one included (r3): the review is still theirs.
    assert reviews["customer_id"].to_dict() == {"r1": "u1", "r2": "u1", "r3": "u2"}
    assert reviews["rating_5"].tolist() == [5.0, 1.0, 2.0]
    assert "98765" not in str(reviews["review_text"].tolist())  # a phone in the text is masked
    ledger = run.result.ledger
    assert ledger.loc[ledger["table"] == "reviews", "reason"].tolist() == ["kept", "kept", "kept", "unknown_order"]
    assert _every_file_adds_up(run)[("reviews", "reviews.csv")]["excluded_rows"] == 1
    t = run.result.tables
    indicators = customer_indicators(
        t["orders"],
        parse_period(PERIOD),
        lookback_days=365,
        customers=t["customers"],
        reviews=t["reviews"],
        csat_satisfied_min=4,
        nps_promoter_min=9,
        nps_detractor_max=6,
    )
    assert indicators.loc["u1", "csat"] == 0.5  # a 5 and a 1
    assert "csat" not in indicators.attrs["unavailable"]
    from helpers.indicators.kpis import period_kpis

    kpis = period_kpis(
        t["orders"],
        parse_period(PERIOD),
        reviews=t["reviews"],
        lookback_days=365,
        churn_horizon_days=90,
        csat_satisfied_min=4,
        nps_promoter_min=9,
        nps_detractor_max=6,
    )
    assert kpis["csat"] == pytest.approx(1 / 3)  # the period's three reviews, one satisfied


def test_a_score_outside_the_declared_scale_is_named(tmp_path):
    mapping = _with_reviews_table(tmp_path, {"min": 0, "max": 3})  # the 5s and 4s do not fit
    with pytest.raises(DataValidationError, match="outside the scale 0 to 3") as err:
        clean(tmp_path / "export", PERIOD, str(mapping))
    text = str(err.value)
    assert "reviews.csv" in text and "review_score" in text and "row 2" in text and "'5'" in text


def test_a_reviews_table_must_declare_its_scale(tmp_path):
    mapping = _with_reviews_table(tmp_path, {"min": 1, "max": 5})
    spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    del spec["tables"]["reviews"]["scale"]
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="declare the rating scale"):
        clean(tmp_path / "export", PERIOD, str(mapping))


# --------------------------------------------------------------------------- a retailer: profit and discount per line
def retailer(folder: Path) -> Path:
    lines = pd.DataFrame(
        {
            "Order ID": ["CA-1", "CA-1", "CA-2", "US-3"],
            "Order Date": ["2024-10-08", "2024-10-08", "2024-11-11", "2024-12-24"],
            "Customer ID": ["CG-12520", "CG-12520", "DV-13045", "SO-20335"],
            "Product ID": ["FUR-1", "OFF-2", "FUR-1", "TEC-3"],
            "Sales": ["261.96", "731.94", "14.62", "957.58"],
            "Quantity": [2, 3, 2, 5],
            "Discount": [0.0, 0.0, 0.2, 0.45],
            "Profit": [41.91, 219.58, 6.87, -383.03],
        }
    )
    mapping = _base(
        "retailer",
        "USD",
        {
            "orders": {
                "files": ["superstore.csv"],
                "columns": {
                    "order_id": "Order ID",
                    "order_date": "Order Date",
                    "customer_id": "Customer ID",
                    "product_id": "Product ID",
                    "amount": "Sales",
                    "quantity": "Quantity",
                    "profit": "Profit",
                    "discount": "Discount",
                },
                # a list price per unit the export does not give, derived from the discount
                "derive": {"unit_price": '"Sales" / "Quantity" / (1 - "Discount")'},
            }
        },
    )
    return _write(folder, {"superstore.csv": lines}, mapping)


def test_a_retailer_export_derives_what_it_lacks(tmp_path):
    mapping = retailer(tmp_path / "export")
    run = clean(tmp_path / "export", PERIOD, str(mapping))
    orders = run.result.tables["orders"]
    assert orders["amount"].sum() == pytest.approx(261.96 + 731.94 + 14.62 + 957.58)
    assert orders.loc[orders["product_id"] == "TEC-3", "unit_price"].iloc[0] == pytest.approx(957.58 / 5 / 0.55)
    assert _every_file_adds_up(run)[("orders", "superstore.csv")]["kept_rows"] == 4
    # Profit and discount per line: the cost and the list value the gradings read, with no product file.
    line = orders.set_index("product_id").loc["TEC-3"]
    assert line["cost"] == pytest.approx(957.58 + 383.03)  # a loss-making line
    assert line["list_value"] == pytest.approx(957.58 / 0.55)
    from helpers.core.periods import parse_period
    from helpers.segmentation.gradings import needs_signals

    signals = needs_signals(orders, None, parse_period(PERIOD), 365)
    assert signals.loc["SO-20335", "discount_rate"] == pytest.approx(0.45)
    assert signals.loc["CG-12520", "discount_rate"] == pytest.approx(0.0)
    assert "discount_rate" not in signals.attrs["unavailable"]  # the lines give it, no product table needed
    assert signals.attrs["unavailable"]["premium_share"] == "no product table in the data"


def test_line_profit_feeds_profit_contribution(tmp_path):
    from helpers.core.periods import parse_period
    from helpers.indicators.customer import customer_indicators

    mapping = retailer(tmp_path / "export")
    run = clean(tmp_path / "export", PERIOD, str(mapping))
    t = run.result.tables
    indicators = customer_indicators(
        t["orders"],
        parse_period(PERIOD),
        lookback_days=365,
        customers=t["customers"],
        csat_satisfied_min=4,
        nps_promoter_min=9,
        nps_detractor_max=6,
    )
    assert indicators.loc["CG-12520", "gross_profit"] == pytest.approx(41.91 + 219.58)
    assert indicators.loc["SO-20335", "gross_profit"] == pytest.approx(-383.03)
    assert indicators["cost_coverage"].to_numpy() == pytest.approx(1.0)


# --------------------------------------------------------------------------- a B2B pipeline with accounts
def pipeline(folder: Path) -> Path:
    deals = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2", "D3", "D4"],
            "account": ["Acme Corp", "Betasoft", "Acme Corp", "Nowhere Ltd"],  # Nowhere: not in accounts
            "deal_stage": ["Won", "Lost", "Engaging", "Won"],
            "engage_date": ["2024-10-01", "2024-10-15", "2024-11-02", "2024-11-20"],
            "close_date": ["2024-11-01", "2024-11-30", "", "2024-12-15"],
            "close_value": [1200, 0, None, 300],
            "sales_agent": ["Anna Snelling", "Cecily Lampkin", "Anna Snelling", "Versie Hillebrand"],
            "product": ["GTX Pro", "MG Special", "GTX Pro", "GTK 500"],
        }
    )
    accounts = pd.DataFrame(
        {
            "account": ["Acme Corp", "Betasoft", "Cheery"],
            "sector": ["technolgy", "software", "retail"],
            "employees": [2822, 1095, 6],
        }
    )
    mapping = _base(
        "crm",
        "USD",
        {
            "orders": {
                "files": ["sales_pipeline.csv"],
                "join": [{"files": ["accounts.csv"], "on": "account", "name": "accounts", "required": False}],
                "columns": {
                    "order_id": "opportunity_id",
                    "customer_id": "account",
                    "order_date": "close_date",
                    "amount": "close_value",
                },
                "constants": {"quantity": 1},
                "derive": {"status": "CASE WHEN deal_stage = 'Won' THEN 'completed' ELSE 'cancelled' END"},
            },
            "leads": {
                "files": ["sales_pipeline.csv"],
                "join": [{"files": ["accounts.csv"], "on": "account", "name": "accounts", "required": False}],
                "columns": {
                    "lead_id": "opportunity_id",
                    "company_name": "account",
                    "industry": "sector",
                    "created_date": "engage_date",
                    "engaged_date": "engage_date",
                    "closed_date": "close_date",
                    "stage": "deal_stage",
                    "outcome": "deal_stage",  # the same column, read through `values`
                    "owner": "sales_agent",
                    "product": "product",
                    "deal_value": "close_value",
                },
                "values": {"outcome": {"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"}},
                "derive": {
                    "company_size": "CASE WHEN employees >= 1000 THEN 'large' WHEN employees >= 50 THEN 'medium' "
                    "WHEN employees IS NULL THEN NULL ELSE 'small' END",
                },
            },
        },
    )
    return _write(folder, {"sales_pipeline.csv": deals, "accounts.csv": accounts}, mapping)


def test_a_crm_pipeline_loads_with_its_accounts(tmp_path):
    mapping = pipeline(tmp_path / "export")
    run = clean(tmp_path / "export", PERIOD, str(mapping))
    leads = run.result.tables["leads"].set_index("lead_id")
    assert leads["outcome"].to_dict() == {"D1": "won", "D2": "lost", "D3": "open", "D4": "won"}
    assert leads.loc["D1", "company_size"] == "large" and pd.isna(leads.loc["D4", "company_size"])
    assert leads["stage"].to_dict() == {"D1": "Won", "D2": "Lost", "D3": "Engaging", "D4": "Won"}
    assert leads.loc["D1", "owner"] == "Anna Snelling" and leads.loc["D4", "product"] == "GTK 500"
    assert leads.loc["D1", "deal_value"] == 1200 and pd.isna(leads.loc["D3", "deal_value"])
    assert leads.loc["D2", "engaged_date"] == pd.Timestamp("2024-10-15") and pd.isna(leads.loc["D3", "closed_date"])
    assert leads.loc["D1", "industry"] == "technolgy" and not leads.loc["D1", "industry_listed"]  # kept as written
    # A lead without the date that places it is ledgered, not kept undated.
    no_date = pipeline(tmp_path / "undated")
    deals = pd.read_csv(tmp_path / "undated" / "sales_pipeline.csv")
    deals.loc[2, "engage_date"] = None
    deals.to_csv(tmp_path / "undated" / "sales_pipeline.csv", index=False)
    undated = clean(tmp_path / "undated", PERIOD, str(no_date)).result
    assert "D3" not in set(undated.tables["leads"]["lead_id"])
    ledger = undated.ledger
    assert ledger.loc[(ledger["table"] == "leads") & (ledger["source_row"] == 4), "reason"].tolist() == ["missing_date"]
    orders = run.result.tables["orders"]
    assert orders["amount"].sum() == 1500  # won deals are the sales; the optional join keeps Nowhere Ltd
    files = _every_file_adds_up(run)
    assert files[("leads+accounts", "accounts.csv")]["excluded_rows"] == 1  # Cheery has no deal


def test_a_pipeline_stage_the_mapping_does_not_place_is_named(tmp_path):
    mapping = pipeline(tmp_path / "export")
    deals = pd.read_csv(tmp_path / "export" / "sales_pipeline.csv")
    deals.loc[2, "deal_stage"] = "On hold"
    deals.to_csv(tmp_path / "export" / "sales_pipeline.csv", index=False)
    with pytest.raises(DataValidationError, match="unknown value") as err:
        clean(tmp_path / "export", PERIOD, str(mapping))
    assert "On hold" in str(err.value) and "deal_stage" in str(err.value) and "row 4" in str(err.value)


# --------------------------------------------------------------------------- what a join refuses
def test_a_repeated_key_in_a_joined_file_names_both_rows(tmp_path):
    mapping = marketplace(tmp_path / "export")
    heads = pd.read_csv(tmp_path / "export" / "orders.csv")
    pd.concat([heads, heads.iloc[[1]]]).to_csv(tmp_path / "export" / "orders.csv", index=False)
    with pytest.raises(DataValidationError, match=r"the key repeats \(rows 3 and 6\)") as err:
        clean(tmp_path / "export", PERIOD, str(mapping))
    assert (err.value.file, err.value.column, err.value.row, err.value.value) == ("orders.csv", "order_id", 6, "o2")


def test_a_join_without_its_file_is_named(tmp_path):
    mapping = marketplace(tmp_path / "export")
    (tmp_path / "export" / "customers.csv").unlink()
    with pytest.raises(DataValidationError, match=r"joins \['customers.csv'\] onto the orders rows"):
        clean(tmp_path / "export", PERIOD, str(mapping))


def test_an_expression_naming_an_unknown_header_is_named(tmp_path):
    path = retailer(tmp_path / "export")
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    mapping["tables"]["orders"]["derive"] = {"unit_price": '"Sales" / "Qty"'}
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tables.orders.derive.unit_price: no file has the header\(s\) \['Qty'\]"):
        clean(tmp_path / "export", PERIOD, str(path))


@pytest.mark.parametrize(
    ("expression", "refusal"),
    [
        ("read_csv('/etc/passwd')", "not a function of one row"),
        ("(SELECT * FROM read_text('/etc/passwd'))", "subquery"),
        ("getenv('HOME')", "not a function of one row"),
        ("1) AS x FROM __rows; COPY (SELECT 1) TO '/tmp/x.csv'; SELECT (1", "not an expression|one expression"),
        ("sum(price)", "not a function of one row"),
        ("row_number() OVER ()", "window"),
        ("1 UNION SELECT 2", "not an expression DuckDB can read"),
        ("heads.price", "double quotes"),
    ],
)
def test_an_expression_cannot_reach_outside_its_row(expression, refusal):
    with pytest.raises(ConfigError, match=refusal):
        check_expression(expression, "mapping m, tables.orders.derive.x")


def test_even_a_checked_expression_runs_where_files_cannot_be_read(tmp_path):
    """The connection itself refuses files: a second wall behind the check."""
    from helpers.io import expressions

    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret", encoding="utf-8")
    with expressions._connection() as con, pytest.raises(Exception, match="disabled by configuration"):
        con.execute(f"SELECT * FROM read_text('{secret}')").fetchall()
    with expressions._connection() as con, pytest.raises(Exception, match="lock"):
        con.execute("SET enable_external_access = true")


def test_ratings_mapped_as_nps_and_missing_registration_dates_are_warned():
    from types import SimpleNamespace

    from helpers.cleaning.warnings import _dates, _scales

    surveys = pd.DataFrame({"nps_score": [1, 2, 3, 4, 5] * 4})
    said = _scales(SimpleNamespace(tables={"surveys": surveys}))
    assert said and "all 20 NPS answers are between 1 and 5 on a 0–10 scale" in said[0]
    assert _scales(SimpleNamespace(tables={"surveys": surveys.assign(nps_score=[1, 9, 3, 4, 5] * 4)})) == []
    assert _scales(SimpleNamespace(tables={"surveys": surveys.head(19)})) == []  # too few to tell
    customers = pd.DataFrame({"registration_date": pd.to_datetime([None, None])})
    with_master = SimpleNamespace(tables={"customers": customers}, notes={"industry_unmatched": 0})
    assert "no registration dates" in _dates(with_master)[0]
    dated = pd.DataFrame({"registration_date": pd.to_datetime(["2024-01-01", None])})
    assert _dates(SimpleNamespace(tables={"customers": dated}, notes={"industry_unmatched": 0})) == []
    assert _dates(SimpleNamespace(tables={"customers": customers}, notes={})) == []  # no master: nothing to say


def test_the_readme_join_with_an_unquoted_on_key_loads():
    """YAML 1.1 reads `on:` as true; the README writes it unquoted, so the mapping must take it."""
    from helpers.core.mapping import Join

    spec = yaml.safe_load("{files: [orders.csv], on: order_id, name: heads}")
    assert True in spec  # what PyYAML makes of it
    assert Join.model_validate(spec).on == "order_id"
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "{files: [orders.csv], on: order_id, name: heads}" in readme


def test_a_bad_value_in_a_joined_file_is_shown_where_it_is(tmp_path):
    mapping = marketplace(tmp_path / "export")
    heads = pd.read_csv(tmp_path / "export" / "orders.csv")
    heads.loc[1, "order_status"] = "approved"  # o2's header: row 3 of orders.csv
    heads.to_csv(tmp_path / "export" / "orders.csv", index=False)
    with pytest.raises(DataValidationError, match="unknown value") as err:
        clean(tmp_path / "export", PERIOD, str(mapping))
    text = str(err.value)
    assert "file orders.csv" in text and "row 3" in text and "'approved'" in text, text
