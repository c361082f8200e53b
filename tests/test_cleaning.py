import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from conftest import CONFIG, SETTINGS, loaded
from helpers.cleaning.ledger import check_reconciles, reconciliation, summary, to_milli
from helpers.cleaning.rules import clean_dataset, clean_events, find_test_accounts
from helpers.cleaning.standardise import Lookups
from helpers.core.errors import GradingError, PeriodError
from helpers.core.mapping import load_mapping
from helpers.core.periods import parse_period

CLEANING = SETTINGS.cleaning
OR_MAPPING = load_mapping(CONFIG, "online_retail")
LOOKUPS = Lookups(
    taxonomy={"制造业": {"汽车零部件": ["汽配", "Automotive parts"]}, "服务业": {"软件": ["IT软件"]}},
    regions={"华东": ["华东区", "East China"]},
    countries={"Ireland": ["EIRE"]},
)
PERIOD = parse_period("2011-12")


def or_lines(rows: list[tuple]) -> pd.DataFrame:
    cols = ["order_id", "product_id", "quantity", "order_date", "unit_price", "customer_id", "country"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame


LINES = [  # order_id, product, qty, date, price, customer, country -> expected reason
    (("536365", "85123A", 6, "2011-12-01", 2.55, "17850", "EIRE"), "sale"),
    (("536365", "85123A", 6, "2011-12-01", 2.55, "17850", "EIRE"), "duplicate_line"),
    (("536366", "22633", 6, "2011-12-01", 1.85, "TEST001", "United Kingdom"), "test_account"),
    (("536367", "84879", 32, "2011-12-01", 1.69, None, "United Kingdom"), "missing_customer_id"),
    (("A563185", "B", 1, "2011-12-02", 11062.06, "12345", "United Kingdom"), "adjustment"),
    (("536368", "POST", 3, "2011-12-02", 18.0, "12345", "France"), "non_product_line"),
    (("536369", "22139", 5, "2011-12-02", 0.0, "12345", "France"), "zero_amount"),
    (("536370", "22139", -5, "2011-12-02", 4.25, "12345", "France"), "return"),  # negative quantity: a return
    (("536373", "22139", 1, None, 4.25, "12345", "France"), "missing_date"),
    (("C536371", "85123A", -2, "2011-12-03", 2.55, "17850", "EIRE"), "return"),
    (("536372", "22139", 4, "2011-12-03", 4.25, "12345", "France"), "sale"),
]


def run(lines: pd.DataFrame, period=PERIOD, customers=None):
    tables = {"orders": loaded(lines)}
    if customers is not None:
        tables["customers"] = loaded(customers, "customers.csv")
    return clean_dataset(tables, OR_MAPPING, CLEANING, LOOKUPS, period)


def test_each_rule_gives_its_reason_in_priority_order():
    result = run(or_lines([r for r, _ in LINES]))
    orders_ledger = result.ledger[result.ledger["table"] == "orders"]
    assert orders_ledger["reason"].tolist() == [reason for _, reason in LINES]
    assert orders_ledger["source_row"].tolist() == list(range(2, 2 + len(LINES)))


def test_returns_are_kept_negative_and_net_the_customer():
    result = run(or_lines([r for r, _ in LINES]))
    orders = result.tables["orders"]
    ret = orders[orders["order_id"] == "C536371"].iloc[0]
    assert (ret["quantity"], ret["amount"]) == (-2, -5.1)
    base = result.tables["customers"].set_index("customer_id")
    assert base.loc["17850", "total_spend"] == pytest.approx(6 * 2.55 - 2 * 2.55)
    assert base.loc["17850", "orders_count"] == 1  # a return is not an order
    assert orders["country"].iloc[0] == "Ireland"  # EIRE standardised


def test_reconciliation_adds_up_to_the_thousandth():
    result = run(or_lines([r for r, _ in LINES]))
    recon = reconciliation(result.ledger).set_index("step")
    raw = 6 * 2.55 * 2 + 6 * 1.85 + 32 * 1.69 + 11062.06 + 54 + 0 - 5 * 4.25 - 2 * 2.55 + 4 * 4.25 + 4.25
    assert recon.loc["raw", "amount"] == pytest.approx(raw, abs=1e-9)
    assert recon.loc["kept_total", "rows"] + recon.loc["excluded_total", "rows"] == len(LINES)
    assert recon.loc["kept_total", "amount"] + recon.loc["excluded_total", "amount"] == pytest.approx(raw, abs=1e-9)
    check_reconciles(result.ledger, result.tables["orders"])


def test_summary_counts_for_the_manifest():
    s = summary(run(or_lines([r for r, _ in LINES])).ledger)
    assert s["input_rows"] == 11 and s["kept_rows"] == 4
    assert s["excluded_rows"] == {
        "adjustment": 1,
        "duplicate_line": 1,
        "missing_customer_id": 1,
        "missing_date": 1,
        "non_product_line": 1,
        "test_account": 1,
        "zero_amount": 1,
    }


def test_test_accounts_match_whole_words_only():
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(["1", "2", "3", "4"], dtype="string"),
            "customer_name": ["Greatest Hardware Ltd", "Demolition Co", "ACME Test Account", "测试客户-内部"],
        }
    )
    assert find_test_accounts(customers, CLEANING) == {"TEST001", "3", "4"}


def test_cdnow_keeps_identical_rows_and_zero_purchases():
    cdnow = load_mapping(CONFIG, "cdnow")
    lines = pd.DataFrame(
        {
            "customer_id": pd.array(["7", "7", "7"], dtype="string"),
            "order_date": pd.to_datetime(["1997-01-02"] * 3),
            "quantity": [1.0, 1.0, 1.0],
            "amount": [12.0, 12.0, 0.0],
        }
    )
    result = clean_dataset({"orders": loaded(lines)}, cdnow, CLEANING, LOOKUPS, parse_period("1997-01"))
    orders = result.tables["orders"]
    assert len(orders) == 3 and orders["order_id"].nunique() == 1  # one order per customer and day


def test_period_without_orders_is_a_clear_error():
    with pytest.raises(PeriodError, match="no kept orders in period 2012-05.*2011-12-01 to 2011-12-03"):
        run(or_lines([r for r, _ in LINES]), period=parse_period("2012-05"))


def customers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array(["17850", "12345", "12345", "TEST9", "55555"], dtype="string"),
            "customer_name": ["恒达机械有限公司", "旧名称", "华信软件有限公司", "测试客户-内部", "Acme Ltd"],
            "industry": ["汽配", "服务业/软件", "IT软件", "汽配", "养殖业"],
            "region": ["华东区", "East China", "华东", "华东", "火星"],
            "contact_name": ["张伟", None, "李娜", "王五", "John Smith"],
            "contact_phone": ["13812345678", "13900001111", None, "13700000000", "+44 20 7946 0958"],
            "contact_email": ["zhang.wei@hengda.com", None, "li.na@huaxin.cn", "t@t.cn", "john@acme.co.uk"],
        }
    )


def test_customers_are_deduped_standardised_and_masked():
    result = run(or_lines([r for r, _ in LINES]), customers=customers_frame())
    ledger = result.ledger[result.ledger["table"] == "customers"]
    assert ledger["reason"].tolist() == ["kept", "duplicate_record", "kept", "test_account", "kept"]
    base = result.tables["customers"].set_index("customer_id")
    assert base.loc["12345", "customer_name"] == "华信软件有限公司"  # the later record wins
    assert base.loc["12345", "industry"] == "服务业-软件" and base.loc["17850", "industry"] == "制造业-汽车零部件"
    assert base.loc["17850", "region"] == "华东"
    assert "55555" not in base.index  # no registration date and no order: nothing says it was known by then
    assert base.loc["17850", "contact_phone_masked"] == "138****5678"
    assert base.loc["17850", "contact_name_masked"] == "张*"
    assert base.loc["12345", "missing_fields"] == "contact_phone" and bool(base.loc["12345", "missing_contact"])
    assert not any(c in base.columns for c in ("contact_name", "contact_phone", "contact_email"))  # no raw PII
    assert result.notes["industry_unmatched"].to_dict() == {"养殖业": 1}


def test_values_not_in_the_lists_are_kept_as_written_and_flagged():
    master = customers_frame()
    master["industry"] = ["Aquaculture", "服务业/软件", "IT软件", "汽配", "养殖业"]
    master["region"] = [" Île-de-France ", "East China", "华东", "华东", None]
    base = run(or_lines([r for r, _ in LINES]), customers=master).tables["customers"].set_index("customer_id")
    assert base.loc["17850", "industry"] == "Aquaculture" and pd.isna(base.loc["17850", "industry_l1"])
    assert base.loc["17850", "region"] == "Île-de-France"  # never emptied
    assert not base.loc["17850", "industry_listed"] and not base.loc["17850", "region_listed"]
    assert base.loc["12345", "industry_listed"] and base.loc["12345", "region"] == "华东"
    assert base.loc["12345", "region_listed"]


def test_the_shipped_lists_travel_an_english_taxonomy_iso_countries_and_world_regions():
    from helpers.cleaning.standardise import load_lookups, standardise_industry, standardise_names

    en = load_lookups(CONFIG, "en")
    industry = standardise_industry(pd.Series(["SaaS", "e-commerce", "Food & Beverage", "Widgets"]), en.taxonomy)
    assert industry["industry"].tolist() == [
        "Information-Software",
        "Trade-Retail",
        "Manufacturing-Food and beverage",
        "Widgets",  # not in the taxonomy: kept as written
    ]
    assert industry["industry_listed"].tolist() == [True, True, True, False]
    countries = standardise_names(pd.Series(["DEU", "br", "EIRE", "Channel Islands"]), en.countries)
    assert countries["name"].tolist() == ["Germany", "Brazil", "Ireland", "Channel Islands"]
    regions = standardise_names(pd.Series(["APAC", "emea", "华东区", "Bavaria"]), en.regions)
    assert regions["name"].tolist() == ["Asia Pacific", "EMEA", "华东", "Bavaria"]
    assert load_mapping(CONFIG, "online_retail").industry_taxonomy == "cn"  # the default


def test_customer_base_holds_only_customers_known_by_the_as_of_date():
    lines = or_lines([r for r, _ in LINES] + [("536999", "22139", 1, "2012-01-20", 4.25, "77777", "France")])
    master = customers_frame()
    master["registration_date"] = pd.to_datetime(["2010-01-01", "2010-01-01", "2010-01-01", None, "2012-02-01"])
    result = run(lines, customers=master)
    base = result.tables["customers"].set_index("customer_id")
    assert "77777" not in base.index  # first order after the as-of date 2011-12-31
    assert "55555" not in base.index  # registered after the as-of date, no order before it
    assert {"17850", "12345"} <= set(base.index)
    assert (result.ledger["status"] == "kept").sum() == 5 + 3  # future rows are still valid rows in the ledger


def test_events_of_unknown_customers_are_accounted_for():
    tickets = pd.DataFrame(
        {
            "ticket_id": pd.array(["T1", "T2", "T2", "T3", "T4"], dtype="string"),
            "customer_id": pd.array(["C1", "C1", "C1", "ZZZ", None], dtype="string"),
            "opened_at": pd.to_datetime(["2024-01-01"] * 5),
            "satisfaction": pd.array([5, 2, 3, 4, 4], dtype="Int64"),
        }
    )
    clean, ledger = clean_events("tickets", loaded(tickets), test_ids=set(), known_customers={"C1"})
    assert ledger["reason"].tolist() == ["kept", "duplicate_record", "kept", "unknown_customer", "missing_customer_id"]
    assert clean["satisfaction"].tolist() == [5, 3]
    assert "is_complaint" in clean and clean["is_complaint"].isna().all()  # unmapped column: NA, not False


# ---------------------------------------------------------------- property: the ledger always reconciles
line = st.tuples(
    st.sampled_from(["S1", "S2", "S3", "C9", "A1"]),
    st.sampled_from(["P1", "P2", "POST", None]),
    st.integers(-5, 20),
    st.sampled_from(["2011-12-01", "2011-12-05", "2011-11-20"]),
    st.sampled_from([0.0, 0.001, 1.25, 2.55, 19.99, -3.0]),
    st.sampled_from(["1", "2", "TEST001", None]),
    st.sampled_from(["EIRE", "France", None]),
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=1, max_size=40))
def test_every_raw_row_is_kept_or_excluded_and_amounts_reconcile(rows):
    rows = [("S0", "P1", 1, "2011-12-02", 1.0, "1", "France"), *rows]  # at least one sale in the period
    lines = or_lines(rows)
    result = run(lines)
    ledger = result.ledger[result.ledger["table"] == "orders"]
    assert len(ledger) == len(lines) and ledger["source_row"].is_unique
    kept = ledger["status"] == "kept"
    assert kept.sum() == len(result.tables["orders"])
    # Raw amounts as interpreted: a return line credits the customer whatever sign the export used.
    is_return = lines["order_id"].str.startswith("C") | (lines["quantity"] < 0)
    signed = (lines["quantity"] * lines["unit_price"]).where(
        ~is_return, -(lines["quantity"] * lines["unit_price"]).abs()
    )
    raw_milli = int(np.round(signed * 1000).sum())
    assert to_milli(ledger["amount"]) == raw_milli
    assert to_milli(ledger.loc[kept, "amount"]) + to_milli(ledger.loc[~kept, "amount"]) == raw_milli
    check_reconciles(result.ledger, result.tables["orders"])
    orders = result.tables["orders"]
    assert (orders.loc[orders["line_type"] == "sale", "amount"] > 0).all()
    assert (orders.loc[orders["line_type"] == "return", "amount"] < 0).all()


def test_the_reconciliation_is_exact_beyond_int64():
    """Amounts whose thousandths overflow int64 are summed exactly (no wrap to a negative total)."""
    amounts = [5e18, 4e18, 3.5, -2.25]
    ledger = pd.DataFrame(
        {"table": "orders", "status": ["kept", "kept", "excluded", "kept"], "reason": ["sale"] * 2 + ["x", "sale"]}
    ).assign(amount=amounts)
    expected = sum(int(round(a * 1000)) for a in amounts)
    assert to_milli(ledger["amount"]) == expected > 0
    recon = reconciliation(ledger)
    raw = recon[recon["step"] == "raw"].iloc[0]
    assert raw["amount"] == expected / 1000 and raw["amount_pct"] == 100


def test_a_non_finite_amount_cannot_be_reconciled():
    with pytest.raises(GradingError, match="not finite"):
        to_milli(pd.Series([1.0, float("inf")]))
