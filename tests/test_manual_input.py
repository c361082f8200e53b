"""Tests of the scorecard's manual input sheet: template, round trip, validation, lookup."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers.core.errors import DataValidationError
from helpers.core.mapping import IdRules
from helpers.segmentation import manual_input as mi
from helpers.segmentation.settings import load_scorecard

CONFIG = Path(__file__).resolve().parents[1] / "config"
CARD = load_scorecard(CONFIG)
MANUAL = [f for f in CARD.factors if f.source == "manual"]
MANUAL_KEYS = [f.key for f in MANUAL]
HEADERS = {f.key: mi.factor_header(f) for f in MANUAL}
KNOWN = pd.Index(["17850", "C00002", "C00003", "C00004"], name="customer_id")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_name": ["甲公司", "乙公司", None],
            "rfm_class": ["important_value", "general_retain", "general_develop"],
            "monetary": [1_234_567.5, 80_000.0, None],
            "first_order_date": pd.to_datetime(["2020-01-05", "2023-06-30", None]),
        },
        index=pd.Index(["17850", "C00002", "C00003"], name="customer_id"),
    )


def _existing() -> pd.DataFrame:
    levels = pd.DataFrame(
        {k: pd.array([None] * 3, dtype="Int64") for k in MANUAL_KEYS},
        index=pd.Index(["17850", "C00002", "C00003"], name="customer_id"),
    )
    levels.loc["17850", "product_importance"] = 4
    levels.loc["17850", "prospects"] = 3
    levels.loc["C00002", "share_of_wallet"] = 1
    levels.loc["C00003", "strategic_fit"] = 2
    return levels


@pytest.fixture
def template(tmp_path) -> Path:
    return mi.write_manual_template(
        tmp_path / "scorecard_2025Q4.xlsx", _customers(), CARD, period_label="2025Q4", existing=_existing()
    )


def _sheet(tmp_path: Path, frame: pd.DataFrame, sheet: str = mi.INPUT_SHEET, name: str = "filled.xlsx") -> Path:
    """A workbook as a consultant might leave it: any columns, any values (header = row 1)."""
    path = tmp_path / name
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
    return path


# --------------------------------------------------------------------------- template
def test_template_layout(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == [mi.INSTRUCTIONS_SHEET, mi.INPUT_SHEET]
    ws = wb[mi.INPUT_SHEET]
    header = [c.value for c in ws[1]]
    assert header == [mi.ID_HEADER, "customer_name", "rfm_class", "monetary", "first_order_date", *HEADERS.values()]
    assert header[5] == "6 我方产品对其重要性 Importance of our product to them [product_importance]"
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["17850", "C00002", "C00003"]  # ids stay text
    assert ws.cell(2, 6).value == 4 and ws.cell(3, 6).value is None
    assert ws.freeze_panes == "C2"
    assert ws.cell(2, 6).fill.fgColor.rgb.endswith("FFF2CC")
    rules = ws.data_validations.dataValidation
    assert len(rules) == len(MANUAL)
    # operator None is Excel's default, "between"
    assert {(r.type, r.operator or "between", r.formula1, r.formula2, r.allow_blank) for r in rules} == {
        ("whole", "between", "1", "4", True)
    }
    assert str(rules[0].sqref) == "F2:F4"
    notes = " ".join(str(c.value) for row in wb[mi.INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    for f in MANUAL:
        assert f.name_zh in notes and f.name_en in notes and all(text in notes for text in f.levels.values())
    assert "2025Q4" in notes and "scorecard_2025Q4.xlsx" in notes


def test_template_is_byte_identical_for_identical_inputs(tmp_path, template):
    again = mi.write_manual_template(
        tmp_path / "again.xlsx", _customers(), CARD, period_label="2025Q4", existing=_existing()
    )
    assert _sha(again) == _sha(template)
    other = mi.write_manual_template(tmp_path / "other.xlsx", _customers(), CARD, period_label="2025Q4")
    assert _sha(other) != _sha(template)


def test_context_columns_choice_and_checks(tmp_path):
    path = mi.write_manual_template(
        tmp_path / "t.xlsx",
        _customers(),
        CARD,
        period_label="2025Q4",
        context_columns={"customer_name": "客户名称 Name", "monetary": "销售额 Sales"},
    )
    header = [c.value for c in openpyxl.load_workbook(path)[mi.INPUT_SHEET][1]]
    assert header[:3] == [mi.ID_HEADER, "客户名称 Name", "销售额 Sales"]
    with pytest.raises(ValueError, match="not in customers"):
        mi.write_manual_template(tmp_path / "t.xlsx", _customers(), CARD, period_label="P", context_columns=["x"])
    with pytest.raises(ValueError, match="reserved"):
        mi.write_manual_template(
            tmp_path / "t.xlsx", _customers(), CARD, period_label="P", context_columns={"monetary": "Sales [monetary]"}
        )
    with pytest.raises(ValueError, match="unique"):
        mi.write_manual_template(tmp_path / "t.xlsx", pd.concat([_customers()] * 2), CARD, period_label="P")


def test_round_trip(template, tmp_path):
    levels = mi.read_manual_input(template, CARD, KNOWN)
    assert list(levels.columns) == MANUAL_KEYS and (levels.dtypes == "Int64").all()
    assert levels.index.tolist() == ["17850", "C00002", "C00003"] and levels.index.name == "customer_id"
    pd.testing.assert_frame_equal(levels, _existing(), check_index_type=False)
    assert levels.attrs["absent_factors"] == []
    # writing what was read gives the same file again
    again = mi.write_manual_template(
        tmp_path / "again.xlsx", _customers(), CARD, period_label="2025Q4", existing=levels
    )
    assert _sha(again) == _sha(template)


def test_reordered_columns_excel_numbers_text_levels_and_blank_rows(tmp_path):
    frame = pd.DataFrame(
        {
            HEADERS["prospects"]: [3, None, None, "2"],
            "备注 notes": ["free text is ignored", None, None, "x"],
            mi.ID_HEADER: [17850.0, None, None, "C00004"],  # an id typed as a number reads as "17850"
            HEADERS["industry_standing"]: [4.0, None, None, None],
        }
    )
    levels = mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)
    assert levels.index.tolist() == ["17850", "C00004"]
    assert levels["prospects"].tolist() == [3, 2] and levels["industry_standing"].tolist() == [4, pd.NA]
    assert levels["loss_impact"].isna().all()
    assert set(levels.attrs["absent_factors"]) == set(MANUAL_KEYS) - {"prospects", "industry_standing"}


def test_plain_customer_id_header_no_factor_columns_and_no_customers(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C00002"], HEADERS["loss_impact"]: [1]})
    assert mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)["loss_impact"].tolist() == [1]
    ids_only = mi.read_manual_input(_sheet(tmp_path, frame[["customer_id"]], name="ids.xlsx"), CARD, KNOWN)
    assert ids_only.index.tolist() == ["C00002"] and ids_only.isna().all().all()
    assert ids_only.attrs["absent_factors"] == MANUAL_KEYS
    empty = mi.write_manual_template(tmp_path / "empty.xlsx", _customers().iloc[:0], CARD, period_label="2025Q4")
    levels = mi.read_manual_input(empty, CARD, KNOWN)
    assert levels.empty and list(levels.columns) == MANUAL_KEYS


# --------------------------------------------------------------------------- validation errors
@pytest.mark.parametrize("bad", [5, 0, 2.5, "high", "3.5", True])
def test_level_must_be_a_whole_number_1_to_4(tmp_path, bad):
    frame = pd.DataFrame({mi.ID_HEADER: ["C00002", "C00003", "C00004"], HEADERS["strategic_fit"]: [1, None, bad]})
    path = _sheet(tmp_path, frame)
    with pytest.raises(DataValidationError, match="whole number 1-4") as err:
        mi.read_manual_input(path, CARD, KNOWN)
    e = err.value
    assert e.file == f"filled.xlsx#{mi.INPUT_SHEET}" and e.column == HEADERS["strategic_fit"] and e.row == 4
    assert e.value == bad
    assert "filled.xlsx" in str(e) and "row 4" in str(e) and repr(bad) in str(e)


def test_unknown_customer_id(tmp_path):
    frame = pd.DataFrame({mi.ID_HEADER: ["C00002", "C99999"], HEADERS["prospects"]: [1, 2]})
    with pytest.raises(DataValidationError, match="not among the customers") as err:
        mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)
    assert (err.value.column, err.value.row, err.value.value) == (mi.ID_HEADER, 3, "C99999")
    assert "filled.xlsx" in str(err.value)


def test_sheet_ids_are_written_as_the_mapping_writes_the_datas(tmp_path):
    """A typed ``c00002`` finds C00002 when the mapping says case does not matter, and only then."""
    frame = pd.DataFrame({mi.ID_HEADER: [" c00002", "C 00003"], HEADERS["prospects"]: [1, 2]})
    path = _sheet(tmp_path, frame)
    rules = IdRules(case="upper", inner_spaces="remove")
    assert mi.read_manual_input(path, CARD, KNOWN, rules).index.tolist() == ["C00002", "C00003"]
    with pytest.raises(DataValidationError, match="not among the customers"):
        mi.read_manual_input(path, CARD, KNOWN, IdRules(case="keep", inner_spaces="keep"))


def test_duplicate_customer_id(tmp_path):
    frame = pd.DataFrame({mi.ID_HEADER: ["17850", "C00002", 17850.0], HEADERS["prospects"]: [1, 2, 3]})
    with pytest.raises(DataValidationError, match=r"more than once \(rows 2, 4\)") as err:
        mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)
    assert (err.value.column, err.value.row, err.value.value) == (mi.ID_HEADER, 4, "17850")


def test_levels_without_customer_id(tmp_path):
    frame = pd.DataFrame({mi.ID_HEADER: ["C00002", None], HEADERS["prospects"]: [1, 2]})
    with pytest.raises(DataValidationError, match="no customer id") as err:
        mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)
    assert err.value.row == 3


def test_missing_customer_id_column(tmp_path):
    frame = pd.DataFrame({"客户编号": ["C00002"], HEADERS["prospects"]: [1]})
    with pytest.raises(DataValidationError, match=r"no customer id column.*filled\.xlsx"):
        mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)


@pytest.mark.parametrize(
    "header, message",
    [
        ("99 人脉 Network [network]", "unknown factor column"),
        ("2 去年销售额 Last year's sales [last_year_sales]", "computed from the data"),
    ],
)
def test_unknown_or_data_factor_column(tmp_path, header, message):
    frame = pd.DataFrame({mi.ID_HEADER: ["C00002"], header: [1]})
    with pytest.raises(DataValidationError, match=message) as err:
        mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)
    assert err.value.column == header and header in str(err.value)


def test_repeated_factor_column(tmp_path):
    frame = pd.DataFrame([["C00002", 1, 2]], columns=[mi.ID_HEADER, HEADERS["prospects"], HEADERS["prospects"]])
    with pytest.raises(DataValidationError, match="appears twice"):
        mi.read_manual_input(_sheet(tmp_path, frame), CARD, KNOWN)


def test_missing_sheet_and_missing_file(tmp_path):
    path = _sheet(tmp_path, pd.DataFrame({mi.ID_HEADER: ["C00002"]}), sheet="Sheet1")
    with pytest.raises(DataValidationError, match="no sheet.*Sheet1.*filled.xlsx"):
        mi.read_manual_input(path, CARD, KNOWN)
    with pytest.raises(DataValidationError, match="does not exist"):
        mi.read_manual_input(tmp_path / "absent.xlsx", CARD, KNOWN)
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    with pytest.raises(DataValidationError, match="cannot read"):
        mi.read_manual_input(tmp_path / "junk.xlsx", CARD, KNOWN)


# --------------------------------------------------------------------------- lookup
def test_find_manual_input_prefers_the_project(tmp_path, monkeypatch):
    root, data = tmp_path / "project", tmp_path / "dataset"
    in_project = root / "data" / "manual" / "scorecard_2025Q4.xlsx"
    in_data = data / "manual" / "scorecard_2025Q4.xlsx"
    data.mkdir(parents=True)
    assert mi.find_manual_input(root, data, "2025Q4") is None
    in_data.parent.mkdir(parents=True)
    in_data.write_bytes(b"x")
    assert mi.find_manual_input(root, data, "2025Q4") == in_data
    assert mi.find_manual_input(root, str(data), "2025Q4") == in_data
    assert mi.find_manual_input(root, data, "2025Q3") is None
    assert mi.find_manual_input(root, None, "2025Q4") is None
    assert mi.find_manual_input(root, data / "orders.csv", "2025Q4") is None  # a single-file dataset ships none
    in_project.parent.mkdir(parents=True)
    in_project.write_bytes(b"x")
    assert mi.find_manual_input(root, data, "2025Q4") == in_project
    relative = root / "raw" / "sample"
    (relative / "manual").mkdir(parents=True)
    (relative / "manual" / "scorecard_2024.xlsx").write_bytes(b"x")
    # A relative data path is relative to the working folder, as the loaders read it (notebooks run in notebooks/).
    monkeypatch.chdir(root)
    assert mi.find_manual_input(root, "raw/sample", "2024") == relative / "manual" / "scorecard_2024.xlsx"
