import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import CONFIG, shared_file
from helpers.core.errors import ConfigError, DataValidationError
from helpers.core.mapping import load_mapping
from helpers.io.loaders import load_dataset, load_table, resolve_dataset
from helpers.io.sources import detect_encoding

MAPPING = {
    "name": "client",
    "title": "A client",
    "currency": "CNY",
    "reporting_currency": "CNY",
    "fx_to_reporting": {"USD": 7.0},
    "date_formats": ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"],
    "tables": {
        "orders": {
            "files": ["orders*.xlsx", "orders*.csv"],
            "columns": {
                "order_id": "订单号",
                "customer_id": "客户编号",
                "order_date": "下单日期",
                "quantity": "数量",
                "unit_price": "单价",
                "status": "订单状态",
                "currency": "币种",
            },
            "values": {"status": {"已完成": "completed", "已取消": "cancelled", "退货": "returned"}},
        },
        "customers": {"files": ["customers.csv"], "columns": {"customer_id": "客户编号", "customer_name": "客户名称"}},
    },
}


def write_client(tmp_path: Path, orders: pd.DataFrame, mapping: dict | None = None) -> tuple[Path, Path]:
    folder = tmp_path / "export"
    folder.mkdir()
    orders.to_csv(folder / "orders.csv", index=False, encoding="gb18030")
    pd.DataFrame({"客户编号": ["C1"], "客户名称": ["上海恒达机械有限公司"]}).to_csv(
        folder / "customers.csv", index=False, encoding="utf-8-sig"
    )
    mpath = tmp_path / "client.yaml"
    mpath.write_text(yaml.safe_dump(mapping or MAPPING, allow_unicode=True), encoding="utf-8")
    return folder, mpath


def orders_frame(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "订单号": ["SO1", "SO2", "SO3"],
            "客户编号": ["C1", "C1", "C2"],
            "下单日期": ["2024-03-05", "2024/3/6", "2024年3月7日"],
            "数量": ["2", "1", "3"],
            "单价": ["¥1,000.00", "50", "20"],
            "订单状态": ["已完成", "已取消", "退货"],
            "币种": ["CNY", "CNY", "USD"],
        }
    )
    for col, values in overrides.items():
        frame[col] = values
    return frame


def test_chinese_csv_in_gb18030_maps_and_parses(tmp_path):
    folder, mpath = write_client(tmp_path, orders_frame())
    tables = load_dataset(resolve_dataset(folder, str(mpath), CONFIG))
    orders = tables["orders"].data
    assert orders["order_date"].tolist() == list(pd.to_datetime(["2024-03-05", "2024-03-06", "2024-03-07"]))
    assert orders["unit_price"].tolist() == [1000.0, 50.0, 20.0]
    assert orders["status"].tolist() == ["completed", "cancelled", "returned"]
    assert orders["source_row"].tolist() == [2, 3, 4]  # the header is row 1, as in a spreadsheet
    assert tables["customers"].data["customer_name"].iloc[0] == "上海恒达机械有限公司"


@pytest.mark.parametrize(
    "column, bad, expect",
    [
        ("下单日期", ["2024-03-05", "2024-03-06", "31.02.2024"], "unparsable date"),
        ("单价", ["1", "zwei", "3"], "not a number"),
        ("订单状态", ["已完成", "挂起", "已完成"], "unknown value"),
    ],
)
def test_bad_values_name_file_column_row_and_value(tmp_path, column, bad, expect):
    folder, mpath = write_client(tmp_path, orders_frame(**{column: bad}))
    with pytest.raises(DataValidationError) as err:
        load_dataset(resolve_dataset(folder, str(mpath), CONFIG))
    e = err.value
    assert expect in str(e)
    bad_row = next(i for i, v in enumerate(bad) if v not in ("2024-03-05", "2024-03-06", "1", "3", "已完成"))
    assert (e.file, e.column, e.row, str(e.value)) == ("orders.csv", column, bad_row + 2, bad[bad_row])
    assert f"row {bad_row + 2}" in str(e) and "orders.csv" in str(e) and column in str(e)


def test_invalid_values_can_be_excluded_instead(tmp_path):
    folder, mpath = write_client(tmp_path, orders_frame(下单日期=["2024-03-05", "someday", "2024-03-07"]))
    table = load_table(resolve_dataset(folder, str(mpath), CONFIG), "orders", on_invalid="exclude")
    assert table.invalid.tolist()[1] == "order_date" and table.invalid.isna().tolist() == [True, False, True]


def test_missing_mapped_column_is_named(tmp_path):
    folder, mpath = write_client(tmp_path, orders_frame().drop(columns="单价"))
    with pytest.raises(DataValidationError, match="单价") as err:
        load_dataset(resolve_dataset(folder, str(mpath), CONFIG))
    assert err.value.file == "orders.csv"


def test_unknown_currency_needs_a_rate(tmp_path):
    folder, mpath = write_client(tmp_path, orders_frame(币种=["CNY", "EUR", "CNY"]))
    with pytest.raises(DataValidationError, match="fx_to_reporting.EUR"):
        load_dataset(resolve_dataset(folder, str(mpath), CONFIG))


def test_every_excel_sheet_is_read_with_native_and_text_dates(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    with pd.ExcelWriter(folder / "orders.xlsx", engine="xlsxwriter") as xw:
        orders_frame().iloc[:2].to_excel(xw, sheet_name="2023", index=False)
        third = orders_frame().iloc[2:].copy()
        third["下单日期"] = [dt.datetime(2024, 3, 7, 9, 15)]
        third.to_excel(xw, sheet_name="2024", index=False)
    mpath = tmp_path / "m.yaml"
    mapping = {**MAPPING, "tables": {"orders": MAPPING["tables"]["orders"]}}
    mpath.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    orders = load_dataset(resolve_dataset(folder, str(mpath), CONFIG))["orders"].data
    assert orders["source_file"].tolist() == ["orders.xlsx#2023", "orders.xlsx#2023", "orders.xlsx#2024"]
    assert orders["order_date"].iloc[2] == pd.Timestamp("2024-03-07 09:15")


def test_a_notes_sheet_is_skipped_and_reported(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    with pd.ExcelWriter(folder / "orders.xlsx", engine="xlsxwriter") as xw:
        pd.DataFrame({"说明": ["本表为2024年订单导出", "金额单位：元"]}).to_excel(xw, sheet_name="说明", index=False)
        orders_frame().to_excel(xw, sheet_name="2024", index=False)
    mpath = tmp_path / "m.yaml"
    mpath.write_text(
        yaml.safe_dump({**MAPPING, "tables": {"orders": MAPPING["tables"]["orders"]}}, allow_unicode=True),
        encoding="utf-8",
    )
    table = load_table(resolve_dataset(folder, str(mpath), CONFIG), "orders")
    assert len(table.data) == 3
    assert table.files[0] == {
        "file": "orders.xlsx#说明",
        "table": "orders",
        "rows": 3,  # every non-blank row of the sheet, its first line included: each is in the ledger
        "skipped_rows": 3,
        "skipped": "none of the mapped columns",
    }
    assert table.other_rows.to_dict("list") == {
        "table": ["orders"] * 3,
        "source_file": ["orders.xlsx#说明"] * 3,
        "source_row": [1, 2, 3],
        "reason": ["sheet_without_headers"] * 3,
    }


def test_a_workbook_without_the_mapped_columns_is_a_clear_error(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    with pd.ExcelWriter(folder / "orders.xlsx", engine="xlsxwriter") as xw:
        pd.DataFrame({"说明": ["订单导出"]}).to_excel(xw, sheet_name="说明", index=False)
    mpath = tmp_path / "m.yaml"
    mpath.write_text(
        yaml.safe_dump({**MAPPING, "tables": {"orders": MAPPING["tables"]["orders"]}}, allow_unicode=True),
        encoding="utf-8",
    )
    with pytest.raises(
        DataValidationError,
        match="no sheet holds the mapped orders headers.*in its first 30 rows.*说明: none of the mapped columns",
    ) as err:
        load_table(resolve_dataset(folder, str(mpath), CONFIG), "orders")
    assert err.value.file == "orders.xlsx"


@pytest.mark.parametrize("score", ["11", "-1"])
def test_nps_scores_outside_0_to_10_are_invalid(tmp_path, score):
    folder, mpath = write_client(tmp_path, orders_frame())
    pd.DataFrame({"客户编号": ["C1"], "日期": ["2024-03-05"], "评分": [score]}).to_csv(folder / "nps.csv", index=False)
    mapping = {
        **MAPPING,
        "tables": {
            **MAPPING["tables"],
            "surveys": {
                "files": ["nps.csv"],
                "columns": {"customer_id": "客户编号", "survey_date": "日期", "nps_score": "评分"},
            },
        },
    }
    mpath.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError, match="outside the scale 0 to 10") as err:
        load_dataset(resolve_dataset(folder, str(mpath), CONFIG))
    assert (err.value.column, err.value.row) == ("评分", 2)


def test_bad_mapping_names_file_and_key(tmp_path):
    bad = {
        **MAPPING,
        "tables": {
            "orders": {**MAPPING["tables"]["orders"], "columns": {"order_date": "d", "quantity": "q", "price": "p"}}
        },
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*unknown canonical column 'price'"):
        load_mapping(CONFIG, str(path))


def test_unknown_file_format_cannot_be_detected(tmp_path):
    path = tmp_path / "export.csv"
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(path, index=False)
    with pytest.raises(ConfigError, match="MAPPING"):
        resolve_dataset(path, None, CONFIG)
    with pytest.raises(DataValidationError, match="does not exist"):
        resolve_dataset(tmp_path / "nope.csv", None, CONFIG)


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name, mapping, rows",
    [
        ("online_retail.parquet", "online_retail", 541_909),
        ("online_retail_II_year_2009_2010.parquet", "online_retail_ii", 525_461),
        ("CDNOW_master.txt", "cdnow", 69_659),
        ("CDNOW_sample.txt", "cdnow_sample", 6_919),
    ],
)
def test_shared_files_are_detected_and_read_whole(name, mapping, rows):
    dataset = resolve_dataset(shared_file(name), None, CONFIG)
    assert dataset.mapping.name == mapping
    assert len(load_table(dataset, "orders").data) == rows


@pytest.mark.realdata
def test_uci_workbook_as_published_is_read(tmp_path):
    """The .xlsx as UCI publishes it (sheet "Online Retail", Excel dates) maps like the Parquet copy."""
    src = pd.read_parquet(shared_file("online_retail.parquet")).head(300)
    path = tmp_path / "Online Retail.xlsx"
    src.to_excel(path, sheet_name="Online Retail", index=False, engine="xlsxwriter")
    dataset = resolve_dataset(path, None, CONFIG)
    assert dataset.mapping.name == "online_retail"
    data = load_table(dataset, "orders").data
    assert data["order_date"].tolist() == src["InvoiceDate"].tolist()
    assert data["customer_id"].iloc[0] == "17850" and data["source_file"].iloc[0] == "Online Retail.xlsx#Online Retail"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("客户编号,客户名称\nC1,上海恒达机械有限公司\n".encode(), "utf-8"),
        ("客户编号,客户名称\nC1,上海恒达\n".encode("utf-8-sig"), "utf-8-sig"),
        ("客户编号,客户名称\nC1,上海恒达\n".encode("utf-16"), "utf-16"),
        ("客户编号,客户名称,所属行业\nC00001,南昌成金物流股份有限公司,服务业_物流\n".encode("gb18030"), "gb18030"),
        ("Kunde;Name\nK1;Müller GmbH\nK2;Café Crème\nK3;Zürich Präzision\n".encode("cp1252"), "cp1252"),
    ],
)
def test_the_encoding_is_detected_not_guessed_as_chinese(data, encoding):
    """A European file is not read as GB18030 mojibake, and Chinese files still are GB18030 or UTF-8."""
    assert detect_encoding(data) == encoding


def test_the_separator_is_sniffed_and_recorded(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    orders_frame().to_csv(folder / "orders.csv", index=False, sep=";", encoding="gb18030")
    mpath = tmp_path / "m.yaml"
    mpath.write_text(
        yaml.safe_dump({**MAPPING, "tables": {"orders": MAPPING["tables"]["orders"]}}, allow_unicode=True),
        encoding="utf-8",
    )
    table = load_table(resolve_dataset(folder, str(mpath), CONFIG), "orders")
    assert len(table.data) == 3 and table.data["quantity"].tolist() == [2, 1, 3]
    assert table.files[0]["read_as"] == "GB18030 (Chinese), semicolon-separated"
