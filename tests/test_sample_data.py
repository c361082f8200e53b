"""Tests of the sample-data generator: determinism, file layout, planted behaviour and planted dirt."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import sample_data as sd
from helpers.cleaning.standardise import load_synonyms, load_taxonomy, standardise_industry, standardise_names
from helpers.core.mapping import load_mapping
from helpers.io.loaders import load_dataset, resolve_dataset
from helpers.segmentation.manual_input import find_manual_input, read_manual_input
from helpers.segmentation.settings import load_scorecard

CONFIG = Path(__file__).resolve().parents[1] / "config"
MAPPING = load_mapping(CONFIG, "sample_distributor")

HEADERS = {
    "customers": [
        "客户编号",
        "客户名称",
        "所属行业",
        "所在区域",
        "企业规模",
        "注册日期",
        "联系人",
        "联系电话",
        "电子邮箱",
    ],
    "products": ["产品编码", "产品名称", "产品类别", "标准单价", "单位成本"],
    "orders": ["订单号", "行号", "客户编号", "下单日期", "产品编码", "数量", "单价", "币种", "订单状态"],
    "payments": ["发票号", "订单号", "客户编号", "到期日", "付款日期", "金额"],
    "tickets": ["工单号", "客户编号", "创建时间", "是否投诉", "响应时长(小时)", "满意度"],
    "surveys": ["Customer ID", "Response Date", "Score (0-10)"],
    "interactions": ["customer_id", "month", "event_type", "count"],
    "leads": [
        "线索编号",
        "公司名称",
        "行业",
        "企业规模",
        "预算金额",
        "决策人接触",
        "来源",
        "创建日期",
        "关闭日期",
        "结果",
        "客户编号",
    ],
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path) -> pd.DataFrame:
    """A generated table as raw values (all sheets of a workbook stacked)."""
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig").replace("", None)
    if path.suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=object)
        return pd.concat(sheets.values(), ignore_index=True)
    return pd.read_parquet(path)


def _parses(values: pd.Series, formats: list[str]) -> pd.Series:
    """Per text value: whether one of the mapping's date formats reads it."""
    ok = pd.Series(False, index=values.index)
    for fmt in formats:
        ok |= pd.to_datetime(values, format=fmt, errors="coerce").notna()
    return ok


@pytest.fixture(scope="module")
def excel(tmp_path_factory) -> dict[str, Path]:
    return sd.generate(tmp_path_factory.mktemp("excel"), n_customers=250, seed=7)


@pytest.fixture(scope="module")
def default(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The default size (800 customers, 3 years) as Parquet, loaded; enough customers for the statistics."""
    files = sd.generate(tmp_path_factory.mktemp("default"), fmt="parquet")
    return {table: pd.read_parquet(path) for table, path in files.items() if path.suffix == ".parquet"}


# --------------------------------------------------------------------------- determinism and layout
@pytest.mark.parametrize("fmt", ["excel", "parquet"])
def test_same_arguments_give_identical_files(tmp_path, fmt):
    a = sd.generate(tmp_path / "a", n_customers=120, seed=3, fmt=fmt)
    b = sd.generate(tmp_path / "b", n_customers=120, seed=3, fmt=fmt)
    assert "manual" in a  # the consultant's scorecard sheet is byte-identical too
    assert {t: _sha(p) for t, p in a.items()} == {t: _sha(p) for t, p in b.items()}
    c = sd.generate(tmp_path / "c", n_customers=120, seed=4, fmt=fmt)
    assert _sha(c["orders"]) != _sha(a["orders"])


def test_files_and_headers(excel):
    expected = {
        "customers": "customers.csv",
        "products": "products.csv",
        "orders": "orders.xlsx",
        "payments": "payments.csv",
        "tickets": "service_tickets.xlsx",
        "surveys": "nps_survey.csv",
        "interactions": "interactions.csv",
        "leads": "leads.xlsx",
    }
    for table, name in expected.items():
        assert excel[table].name == name and excel[table].is_file()
        assert list(_read(excel[table]).columns) == HEADERS[table], table
        if name.endswith(".csv"):
            assert excel[table].read_bytes().startswith(b"\xef\xbb\xbf"), "CSV exports carry a UTF-8 BOM"
    assert excel["truth"] == excel["customers"].parent / "_truth" / "customers_truth.parquet"
    assert pd.ExcelFile(excel["orders"], engine="calamine").sheet_names == ["2023", "2024", "2025"]


def test_parquet_variant_has_the_same_columns(default):
    for table, columns in HEADERS.items():
        assert list(default[table].columns) == columns, table


def test_switching_format_removes_the_other_files(tmp_path):
    sd.generate(tmp_path, n_customers=60, fmt="excel")
    sd.generate(tmp_path, n_customers=60, fmt="parquet")
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob("*.csv"))


def test_the_mapping_loads_both_formats(excel, default, tmp_path):
    assert MAPPING.fx_to_reporting["USD"] == sd.FX_USD_CNY
    parquet_dir = sd.generate(tmp_path, n_customers=120, fmt="parquet")["orders"].parent
    for folder in (excel["orders"].parent, parquet_dir):
        dataset = resolve_dataset(folder, None, CONFIG)  # a folder of these files is recognised
        assert dataset.mapping.name == "sample_distributor"
        loaded = load_dataset(dataset, on_invalid="error")  # every planted value parses
        assert set(loaded) == set(HEADERS)
        assert set(loaded["orders"].data["status"]) == {"completed", "cancelled", "returned"}
        assert set(loaded["leads"].data["outcome"]) == {"won", "lost", "open"}


# --------------------------------------------------------------------------- orders
def test_orders_cover_three_years_with_seasonality(excel, default):
    sheets = pd.read_excel(excel["orders"], sheet_name=None, engine="calamine", dtype=object)
    for name, sheet in sheets.items():
        native = sheet["下单日期"][sheet["下单日期"].map(lambda v: not isinstance(v, str))]
        assert len(sheet) > 1000 and (pd.to_datetime(native).dt.year == int(name)).all()
    sales = default["orders"][default["orders"]["订单状态"] == "已完成"]
    per_month = sales.groupby(sales["下单日期"].dt.month).size()
    assert per_month[2] < 0.75 * per_month.mean() < per_month[12] * 0.75  # New Year dip, year-end peak


def test_revenue_is_concentrated_pareto(default):
    o = default["orders"]
    o = o[(o["订单状态"] != "已取消") & o["客户编号"].str.startswith("C", na=False)].drop_duplicates()
    amount = o["数量"] * o["单价"] * np.where(o["币种"] == "USD", sd.FX_USD_CNY, 1.0)
    revenue = amount.groupby(o["客户编号"]).sum()
    revenue = revenue[revenue > 0].sort_values(ascending=False)
    share = revenue.head(round(len(revenue) * 0.1)).sum() / revenue.sum()
    assert 0.6 <= share <= 0.8


def test_returns_cancellations_and_currencies(default):
    o = default["orders"].drop_duplicates()
    returns, sales = o[o["订单状态"] == "退货"], o[o["订单状态"] == "已完成"]
    assert 0.005 < len(returns) / len(o) < 0.05
    assert (returns["数量"] < 0).all() and returns["订单号"].str.startswith("TH").all()
    assert (o.loc[o["订单状态"] != "退货", "数量"] > 0).all()
    # every return follows a sale of the same product to the same customer (or to a line whose
    # customer id the planted dirt removed)
    first_sale = sales.groupby(["客户编号", "产品编码"])["下单日期"].min()
    earliest = first_sale.reindex(pd.MultiIndex.from_frame(returns[["客户编号", "产品编码"]])).to_numpy()
    unmatched = returns[~(earliest < returns["下单日期"].to_numpy())]
    anonymous = sales[sales["客户编号"].isna()].groupby("产品编码")["下单日期"].min()
    assert len(unmatched) <= 3
    assert (anonymous.reindex(unmatched["产品编码"]).to_numpy() < unmatched["下单日期"].to_numpy()).all()
    # cancellations are whole orders
    statuses = o[o["订单状态"] != "退货"].groupby("订单号")["订单状态"].nunique()
    assert (statuses == 1).all()
    cancelled = o.loc[o["订单状态"] == "已取消", "订单号"].nunique() / o["订单号"].nunique()
    assert 0.005 < cancelled < 0.05
    usd = o[o["币种"] == "USD"]
    assert 0 < usd["客户编号"].nunique() < 0.1 * o["客户编号"].nunique()
    assert usd["单价"].median() < o.loc[o["币种"] == "CNY", "单价"].median()


def test_order_dirt(excel):
    o = _read(excel["orders"])
    dup = o.duplicated().mean()
    assert 0.002 < dup < 0.01
    missing = o["客户编号"].isna().sum()
    assert 3 <= missing < 0.005 * len(o)
    test = o[o["客户编号"] == sd.TEST_ACCOUNT]
    assert 6 <= len(test) <= 12 and (test["订单状态"] == "已完成").all()
    dates = o["下单日期"]
    text = dates[dates.map(lambda v: isinstance(v, str))]
    assert 0.005 < len(text) / len(o) < 0.06
    assert text.str.contains("/").any() and text.str.contains("年").any()
    assert _parses(text, MAPPING.date_formats).all()
    assert dates.drop(text.index).map(lambda v: isinstance(v, dt.datetime)).all()  # real Excel dates


# --------------------------------------------------------------------------- customers, products, payments
def test_customer_dirt_and_formats(excel):
    c = _read(excel["customers"])
    real = c[c["客户编号"].str.fullmatch(r"C\d{5}")]
    assert real["客户编号"].nunique() == 250
    assert 1 <= real["客户编号"].duplicated().sum() <= 0.04 * 250
    test = c[c["客户编号"] == sd.TEST_ACCOUNT]
    assert test["客户名称"].tolist() == ["测试客户-内部"]
    for col in ("联系人", "联系电话", "电子邮箱"):
        assert 0.005 < real[col].isna().mean() < 0.12, col
    phones = real["联系电话"].dropna()
    assert phones.str.fullmatch(r"1[3-9]\d{9}").all()
    assert real["电子邮箱"].dropna().str.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+\.[a-z.]+").all()
    assert real["客户名称"].str.endswith(("有限公司", "Ltd.", "Bhd.", "JSC", "LLC", "FZE")).all()
    reg = real["注册日期"]
    assert _parses(reg, MAPPING.date_formats).all()
    assert reg.str.contains("年").any() and reg.str.contains("/").any() and reg.str.fullmatch(r"\d{4}-\d\d-\d\d").any()
    assert (pd.to_datetime(reg[reg.str.fullmatch(r"\d{4}-\d\d-\d\d")]) < "2023-01-01").mean() > 0.5


def test_industry_and_region_spellings_standardise(excel):
    taxonomy, regions = load_taxonomy(CONFIG), load_synonyms(CONFIG, "regions.yaml")
    c = _read(excel["customers"])
    c = c[c["客户编号"] != sd.TEST_ACCOUNT]
    std = standardise_industry(c["所属行业"], taxonomy)
    assert std["industry"].notna().all()
    variant = (c["所属行业"] != std["industry"]).mean()
    assert 0.2 < variant < 0.4
    assert standardise_names(c["所在区域"], regions)["listed"].all()
    assert (c["所在区域"] != standardise_names(c["所在区域"], regions)["name"]).any()
    leads = _read(excel["leads"])
    assert standardise_industry(leads["行业"], taxonomy)["industry"].notna().all()


def test_products(excel):
    p = pd.read_csv(excel["products"], encoding="utf-8-sig")
    assert 150 <= len(p) <= 250 and p["产品编码"].is_unique and p["产品类别"].nunique() == 8
    margin = 1 - p["单位成本"] / p["标准单价"]
    assert margin.between(0.14, 0.46).all()


def test_payments(excel):
    pay = _read(excel["payments"])
    orders = _read(excel["orders"])
    done = set(orders.loc[orders["订单状态"] == "已完成", "订单号"])
    assert pay["发票号"].is_unique and pay["订单号"].isin(done).all()
    due, paid = pd.to_datetime(pay["到期日"]), pd.to_datetime(pay["付款日期"])
    assert 0.01 < paid.isna().mean() < 0.2
    late = (paid - due).dt.days
    typical = late.groupby(pay["客户编号"]).median()
    assert 0.55 < (typical <= 3).mean() < 0.85  # most customers pay on terms, some don't
    assert (typical > 30).any()  # chronically late payers
    assert (pay["金额"].astype(float) > 0).all()


# --------------------------------------------------------------------------- planted behaviour
def test_churned_customers_fade_then_stop(default):
    truth, orders, inter = default["truth"], default["orders"], default["interactions"]
    churned = truth[
        truth["churn_month"].notna()
        & (truth["decline_start_month"] >= truth["first_active_month"] + pd.DateOffset(months=6))
    ]
    assert len(churned) > 40
    sales = orders[orders["订单状态"] != "退货"].assign(
        month=lambda d: d["下单日期"].dt.to_period("M").dt.to_timestamp()
    )
    logins = inter[inter["event_type"] == "login"].assign(month=lambda d: pd.to_datetime(d["month"]))
    pre = during = first_half = second_half = 0.0
    pre_months = during_months = 0
    for row in churned.itertuples():
        mine = sales[sales["客户编号"] == row.customer_id]["month"]
        start, stop = row.decline_start_month, row.churn_month
        pre += mine.between(start - pd.DateOffset(months=6), start, inclusive="left").sum()
        during += mine.between(start, stop, inclusive="left").sum()
        pre_months, during_months = pre_months + 6, during_months + row.decline_months
        half = start + pd.DateOffset(months=row.decline_months // 2)
        first_half += mine.between(start, half, inclusive="left").sum()
        second_half += mine.between(half + pd.DateOffset(months=row.decline_months % 2), stop, inclusive="left").sum()
        assert (mine < stop).all(), f"{row.customer_id} orders after churning"
        my_logins = logins[logins["customer_id"] == row.customer_id]["month"]
        assert (my_logins < stop).all(), f"{row.customer_id} logs in after churning"
    assert during / during_months < 0.75 * pre / pre_months
    assert second_half < first_half


def test_churned_customers_complained_more(default):
    truth, tickets = default["truth"], default["tickets"]
    complaints = tickets[tickets["是否投诉"] == "是"].merge(
        truth[["customer_id", "decline_start_month"]], left_on="客户编号", right_on="customer_id"
    )
    healthy = complaints[
        complaints["decline_start_month"].isna() | (complaints["创建时间"] < complaints["decline_start_month"])
    ]
    per_customer = healthy.groupby("客户编号").size().reindex(truth["customer_id"], fill_value=0).to_numpy()
    rate = per_customer / truth["healthy_months"].clip(lower=1).to_numpy()
    churned, retained = truth["churn_month"].notna().to_numpy(), truth["decline_start_month"].isna().to_numpy()
    assert rate[churned].mean() > 1.5 * rate[retained].mean()


def test_satisfaction_and_nps_follow_service(default):
    t = default["tickets"]
    sat = t.groupby("是否投诉")["满意度"].mean()
    assert sat["否"] - sat["是"] > 0.8
    assert 0.1 < t["满意度"].isna().mean() < 0.4 and t["满意度"].dropna().between(1, 5).all()
    nps = default["surveys"].merge(default["truth"], left_on="Customer ID", right_on="customer_id")
    declining = nps["decline_start_month"].notna() & (nps["Response Date"] >= nps["decline_start_month"])
    assert nps["Score (0-10)"].between(0, 10).all()
    assert nps.loc[~declining, "Score (0-10)"].mean() - nps.loc[declining, "Score (0-10)"].mean() > 1.0


def test_leads_outcome_depends_on_decision_maker_contact(default):
    leads, customers, truth = default["leads"], default["customers"], default["truth"]
    closed = leads[leads["结果"] != "跟进中"]
    won_rate = closed.groupby("决策人接触")["结果"].apply(lambda r: (r == "赢单").mean())
    assert won_rate["已接触决策人"] > 2 * won_rate["未接触"] and won_rate["已接触决策人"] - won_rate["未接触"] > 0.2
    assert (leads["关闭日期"].isna() == (leads["结果"] == "跟进中")).all()
    assert (leads["关闭日期"].dropna() > leads.loc[leads["关闭日期"].notna(), "创建日期"]).all()
    won = leads[leads["结果"] == "赢单"]
    assert won["客户编号"].notna().all() and leads.loc[leads["结果"] != "赢单", "客户编号"].isna().all()
    assert set(won["客户编号"]) <= set(customers["客户编号"])
    assert (truth["source"] == "lead").sum() == len(won) and len(truth) == 800
    # new customers keep arriving: won leads register in every year
    new = truth[truth["source"] == "lead"]["first_active_month"].dt.year.value_counts()
    assert {2023, 2024, 2025} <= set(new.index)


def test_interactions_are_monthly_counts(default):
    i = default["interactions"]
    assert set(i["event_type"]) == {"login", "webinar", "download"}
    assert i["month"].str.fullmatch(r"\d{4}-\d\d-01").all() and (i["count"] > 0).all()
    assert not i.duplicated(["customer_id", "month", "event_type"]).any()


# --------------------------------------------------------------------------- consultant input
def test_manual_scorecard_sheet(excel, tmp_path):
    card = load_scorecard(CONFIG)
    manual = excel["manual"]
    assert manual == excel["customers"].parent / "manual" / "scorecard_2025Q4.xlsx"
    assert find_manual_input(tmp_path, excel["customers"].parent, "2025Q4") == manual
    customers = _read(excel["customers"])
    levels = read_manual_input(manual, card, pd.Index(customers["客户编号"].dropna().unique()))  # ids all exist
    manual_keys = [f.key for f in card.factors if f.source == "manual"]
    assert list(levels.columns) == manual_keys and levels.attrs["absent_factors"] == []
    # the largest accounts (48 of 250) plus a few others; almost every cell filled in
    assert 48 < len(levels) <= 60 and levels.notna().mean().min() > 0.9
    # bigger customers tend to get higher levels
    truth = pd.read_parquet(excel["truth"]).set_index("customer_id")
    size = truth["latent_size"].reindex(levels.index)
    big = size >= size.median()
    mean_level = levels.astype(float).mean(axis=1)
    assert mean_level[big].mean() > mean_level[~big].mean()
    # prospects (the potential rule's factor) spread over the levels, some at 3 or better
    assert (levels["prospects"] >= 3).sum() > 0 and levels["prospects"].nunique() >= 3


def test_manual_sheet_follows_the_scorecard_and_end_date(tmp_path):
    card = load_scorecard(CONFIG)
    only = card.model_copy(update={"factors": [f for f in card.factors if f.key in ("prospects", "credit")]})
    files = sd.generate(tmp_path, n_customers=60, fmt="parquet", end="2025-05-20", scorecard=only)
    assert files["manual"].name == "scorecard_2025Q2.xlsx"
    known = pd.Index(pd.read_parquet(files["customers"])["客户编号"].unique())
    levels = read_manual_input(files["manual"], only, known)
    assert list(levels.columns) == ["prospects"] and levels["prospects"].notna().any()


# --------------------------------------------------------------------------- arguments and command line
def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match="at least 20"):
        sd.generate(tmp_path, n_customers=5)
    with pytest.raises(ValueError, match="fmt"):
        sd.generate(tmp_path, fmt="csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after"):
        sd.generate(tmp_path, start="2025-01-01", end="2024-01-01")


def test_command_line(tmp_path, capsys):
    assert (
        sd.main(
            [
                "--out",
                str(tmp_path),
                "--customers",
                "60",
                "--format",
                "parquet",
                "--start",
                "2024-03-15",
                "--end",
                "2025-06-30",
            ]
        )
        == 0
    )
    assert "orders.parquet" in capsys.readouterr().out
    orders = pd.read_parquet(tmp_path / "orders.parquet")
    assert orders["下单日期"].min() >= pd.Timestamp("2024-03-15")
    assert orders["下单日期"].max() <= pd.Timestamp("2025-06-30")
    assert re.fullmatch(r"SO202403\d{6}", orders["订单号"].iloc[0])
