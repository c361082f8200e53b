"""Phone numbers and e-mail addresses typed into free text are masked; everything else is left as typed."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conftest import CONFIG
from helpers.core.errors import DataValidationError
from helpers.core.privacy import mask_personal_data, mask_personal_data_in, mask_phone
from helpers.io.loaders import load_table, resolve_dataset


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("华东机电（王经理 13912345678）", "华东机电（王经理 139****5678）"),
        ("电话13912345678", "电话139****5678"),
        ("手机：+86 139-1234-5678", "手机：861******5678"),
        ("Tel 021-64381234转802", "Tel 021*******4802"),
        ("(0571) 8888 6666", "057*****6666"),
        ("+44 20 7946 0958", "442*****0958"),
        ("+1 (555) 123-4567", "155****4567"),
        ("0044 20 7946 0958", "004*******0958"),
        ("邮箱：li.lei@corp.cn；电话：0755-86013388", "邮箱：l***@corp.cn；电话：075*****3388"),
        ("alice.wong@example.com.cn ok", "a***@example.com.cn ok"),
        # national formats without a country code: Brazil, the US, the UK
        ("ligue 11 98765-4321", "ligue 119****4321"),
        ("(555) 123-4567", "******4567"),
        ("call 020 7946 0958", "call 020****0958"),
        ("Tel: 11 98765-4321", "Tel: 119****4321"),
    ],
)
def test_contact_details_in_text_are_masked(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "液压油缸 HSG50/32",
        "SO202301000003",
        "2024-01-01",
        "2025年1月1日",
        "1,234,567.89",
        "6205-2RS",
        "C00020",
        "ISBN 978-7-111-12345-6",
        "192.168.100.200",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "Model 3000 x 1200",
        "2024-10-10 10:00:00",
        "qty 1 234 5678",
        "SKU 100-2000-3000",  # shaped like a national number, but nothing says it is a phone
        "ISBN 978-3161-4841",
        "hotel 100 2000 3000",
    ],
)
def test_other_text_is_left_as_typed(text):
    assert mask_personal_data(text) == text


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "电话", "Tel: ", "王经理 "]))
def test_a_mobile_number_never_survives(number, prefix):
    masked = mask_personal_data(f"{prefix}{number} 华东")
    assert number not in re.sub(r"\D", "", masked)
    assert masked.startswith(prefix) and masked.endswith(" 华东")


def test_phone_masks_hide_at_least_three_digits():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("8888666") == "***8666"
    assert mask_phone("0571888866") == "******8866"
    assert mask_phone("12345") == "*****"


def test_a_column_is_masked_value_by_value_and_keeps_its_type():
    values = pd.Series(["a 13912345678", None, "b", "a 13912345678"], dtype="string")
    out = mask_personal_data_in(values)
    assert out.dtype == "string"
    assert out.tolist()[0] == "a 139****5678" and out.isna().tolist() == [False, True, False, False]
    assert out.iat[3] == out.iat[0]


def test_an_error_message_masks_the_bad_value():
    error = DataValidationError("not a number", file="orders.csv", column="qty", row=7, value="13912345678")
    assert "13912345678" not in str(error) and "139****5678" in str(error) and "row 7" in str(error)


def test_the_loader_masks_free_text_but_not_ids_or_contacts(tmp_path):
    """Free-text columns are masked when read; ids stay joinable and contact columns are left to cleaning."""
    folder = tmp_path / "export"
    folder.mkdir()
    pd.DataFrame(
        {
            "客户编号": ["13912345678"],
            "客户名称": ["王记五金 13912345678 wang@wangji.cn"],
            "联系电话": ["13912345678"],
        }
    ).to_csv(folder / "customers.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame({"客户编号": ["13912345678"], "下单日期": ["2024-03-05"], "数量": [1], "金额": [10]}).to_csv(
        folder / "orders.csv", index=False
    )
    mapping = {
        "name": "client",
        "title": "A client",
        "currency": "CNY",
        "reporting_currency": "CNY",
        "date_formats": ["%Y-%m-%d"],
        "tables": {
            "orders": {
                "files": ["orders.csv"],
                "columns": {"customer_id": "客户编号", "order_date": "下单日期", "quantity": "数量", "amount": "金额"},
            },
            "customers": {
                "files": ["customers.csv"],
                "columns": {"customer_id": "客户编号", "customer_name": "客户名称", "contact_phone": "联系电话"},
            },
        },
    }
    (tmp_path / "client.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    data = load_table(resolve_dataset(folder, str(tmp_path / "client.yaml"), CONFIG), "customers").data
    assert data["customer_name"].iat[0] == "王记五金 139****5678 w***@wangji.cn"
    assert data["customer_id"].iat[0] == "13912345678"
    assert data["contact_phone"].iat[0] == "13912345678"  # masked whole by cleaning (contact_phone_masked)
