"""The hostile-input corpus: small client exports, each wrong in one way a real export is.

Each :class:`Case` starts from the same clean export (order lines, customers,
products) and changes one thing: a repeated header, a decimal comma, a
contradicting currency sign, a 1e15 quantity, a date in 2199, an empty file …
:func:`run_case` writes it, runs stage 01 through the real command and returns
what a user would see. ``tests/test_hostile_inputs.py`` checks every case;
``python tests/hostile_corpus.py`` prints the corpus's summary table.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2025Q4"

MAPPING = {
    "name": "hostile",
    "title": "A client's export",
    "currency": "CNY",
    "reporting_currency": "CNY",
    "fx_to_reporting": {"USD": 7.1},
    "date_formats": ["%Y-%m-%d"],
    "decimal_mark": ".",
    "tables": {
        "orders": {
            "files": ["orders.*"],
            "columns": {
                "order_id": "订单号",
                "customer_id": "客户编号",
                "order_date": "下单日期",
                "product_id": "产品编码",
                "quantity": "数量",
                "unit_price": "单价",
                "currency": "币种",
                "status": "订单状态",
            },
            "values": {"status": {"已完成": "completed", "已取消": "cancelled", "退货": "returned"}},
        },
        "customers": {
            "files": ["customers.*"],
            "columns": {
                "customer_id": "客户编号",
                "customer_name": "客户名称",
                "registration_date": "注册日期",
                "contact_phone": "联系电话",
            },
        },
        "products": {
            "files": ["products.*"],
            "columns": {"product_id": "产品编码", "product_name": "产品名称", "list_price": "标准单价"},
        },
    },
}


def _orders() -> pd.DataFrame:
    n = 24
    return pd.DataFrame(
        {
            "订单号": [f"SO{1000 + i // 2}" for i in range(n)],
            "客户编号": [f"C{1 + i % 4:03d}" for i in range(n)],
            "下单日期": [f"2025-{10 + i % 3:02d}-{1 + i:02d}" for i in range(n)],
            "产品编码": [f"P{1 + i % 3}" for i in range(n)],
            "数量": [str(1 + i % 5) for i in range(n)],
            "单价": [f"{100 + 10 * i:.2f}" for i in range(n)],
            "币种": ["CNY"] * n,
            "订单状态": ["已完成"] * (n - 2) + ["已取消", "退货"],
        }
    )


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "客户编号": ["C001", "C002", "C003", "C004"],
            "客户名称": ["上海恒达机械有限公司", "苏州精工五金", "杭州海川贸易", "南京远航物流"],
            "注册日期": ["2020-01-05", "2021-03-09", "2022-07-15", "2023-11-30"],
            "联系电话": ["13812345678", "13987654321", "021-64381234", ""],
        }
    )


def _products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "产品编码": ["P1", "P2", "P3"],
            "产品名称": ["液压油缸", "轴承 6205", "密封圈"],
            "标准单价": ["120", "35.5", "8"],
        }
    )


@dataclass
class Export:
    """A client export being built: tables as text, how each file is written, and the mapping."""

    tables: dict[str, pd.DataFrame] = field(
        default_factory=lambda: {"orders": _orders(), "customers": _customers(), "products": _products()}
    )
    mapping: dict = field(default_factory=lambda: copy.deepcopy(MAPPING))
    #: table -> how its file is written: "csv" (UTF-8 with BOM) or "xlsx"
    formats: dict[str, str] = field(default_factory=dict)
    #: file name -> raw bytes written as they are (instead of the table's own file)
    raw_files: dict[str, bytes] = field(default_factory=dict)
    #: rows of each table's file as a spreadsheet counts them (data rows, no header)
    rows: dict[str, int] = field(default_factory=dict)
    #: file name -> where a symbolic link in the folder points (instead of the file)
    links: dict[str, str] = field(default_factory=dict)
    #: table -> options of its CSV file (encoding, sep), UTF-8 with BOM and commas by default
    csv: dict[str, dict] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for table, frame in self.tables.items():
            kind = self.formats.get(table, "csv")
            name = f"{table}.{kind}"
            if any(f.startswith(f"{table}.") for f in [*self.raw_files, *self.links]):
                continue
            if kind == "xlsx":
                frame.to_excel(folder / name, index=False, engine="openpyxl")
            else:
                frame.to_csv(folder / name, index=False, **{"encoding": "utf-8-sig", **self.csv.get(table, {})})
            self.rows[table] = len(frame)
        for name, data in self.raw_files.items():
            (folder / name).write_bytes(data)
        for name, target in self.links.items():
            (folder / name).symlink_to(target)
        path = folder.parent / "mapping.yaml"
        path.write_text(yaml.safe_dump(self.mapping, allow_unicode=True), encoding="utf-8")
        return path


@dataclass(frozen=True)
class Case:
    """One hostile export and what must come of it.

    ``says`` are fragments the error message must hold (file, column, row,
    value, the cause); ``ledger`` the exclusion reasons a run with
    ``exclude`` must record; ``settings`` changes to the ``cleaning`` section.
    """

    name: str
    what: str
    change: Callable[[Export], None]
    exit: int
    says: tuple[str, ...] = ()
    ledger: dict[str, int] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    check: Callable[[Path], None] | None = None


def _cell(table: str, column: str, row: int, value: object) -> Callable[[Export], None]:
    """Set one cell (``row`` as a spreadsheet counts it: header = 1)."""

    def change(export: Export) -> None:
        export.tables[table].loc[row - 2, column] = value

    return change


def _both(*changes: Callable[[Export], None]) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        for c in changes:
            c(export)

    return change


def _decimal(mark: str | None) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        if mark is None:
            export.mapping.pop("decimal_mark")
        else:
            export.mapping["decimal_mark"] = mark

    return change


def _comma_prices(export: Export) -> None:
    """Every price written with a decimal comma, as a European export has them (``110,00``)."""
    for table, column in (("orders", "单价"), ("products", "标准单价")):
        export.tables[table][column] = export.tables[table][column].str.replace(".", ",", regex=False)


def _duplicate_header(table: str, column: str, header: str, fmt: str = "csv") -> Callable[[Export], None]:
    def change(export: Export) -> None:
        frame = export.tables[table]
        values = frame[column].tolist()
        frame.insert(len(frame.columns), "__dup__", ["999"] * len(frame))
        export.tables[table] = frame.rename(columns={"__dup__": header})
        export.formats[table] = fmt
        assert values == export.tables[table].iloc[:, list(frame.columns).index(column)].tolist()

    return change


def _raw(name: str, data: bytes) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        export.raw_files[name] = data

    return change


def _header_only(table: str) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        export.tables[table] = export.tables[table].iloc[0:0]

    return change


def _workbook(sheets: list[tuple[str, list[list[object]], str]], merged: tuple[str, ...] = ()) -> bytes:
    """An .xlsx as openpyxl writes it: ``(name, rows, state)`` per sheet; ``=…`` cells are formulas without values."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows, state in sheets:
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        ws.sheet_state = state
    for spec in merged:
        book.worksheets[0].merge_cells(spec)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _orders_workbook(
    title_rows: int = 0, extra: tuple[tuple[str, list[list[object]], str], ...] = (), change=None
) -> Callable[[Export], None]:
    """The order lines as a workbook: ``title_rows`` rows of titles (a merged heading) above the header."""

    def build(export: Export) -> None:
        frame = export.tables["orders"]
        if change is not None:
            change(frame)
        rows: list[list[object]] = []
        if title_rows:
            rows += [["订单明细 2025年第四季度"]] + [[] for _ in range(title_rows - 1)]
        rows += [list(frame.columns)] + frame.astype(object).to_numpy().tolist()
        merged = ("A1:H1",) if title_rows else ()
        sheets = [("订单", rows, "visible"), *extra]
        export.raw_files["orders.xlsx"] = _workbook(sheets, merged)
        # Every row written is accounted for: an extra sheet's rows under its header, or all of them.
        export.rows["orders"] = len(frame) + sum(len(r) - (r[0] == list(frame.columns)) for _, r, _ in extra)
        export.tables.pop("orders")

    return build


def _blank_lines_csv(export: Export) -> None:
    """Blank lines above and between the order lines, and a bad value below them."""
    frame = export.tables.pop("orders")
    frame.loc[9, "数量"] = "x9"
    lines = frame.to_csv(index=False).splitlines()
    text = "\n".join([lines[0], "", *lines[1:6], "", "", *lines[6:]]) + "\n"
    export.raw_files["orders.csv"] = text.encode("utf-8-sig")


def _csv(table: str, **options: str) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        export.csv[table] = options

    return change


def _western_names(export: Export) -> None:
    """A European client's customer file: Latin headers and accented names."""
    english = {"客户编号": "Kunde", "客户名称": "Name", "注册日期": "Seit", "联系电话": "Telefon"}
    frame = export.tables["customers"].rename(columns=english)
    frame["Name"] = ["Müller GmbH", "Café Crème SARL", "Zürich Präzision AG", "Señor Peña SL"]
    export.tables["customers"] = frame
    columns = export.mapping["tables"]["customers"]["columns"]
    export.mapping["tables"]["customers"]["columns"] = {k: english[v] for k, v in columns.items()}


def _read_as(label: str, expected: str) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        record = json.loads((root / "data" / "processed" / PERIOD / "cleaning.json").read_text(encoding="utf-8"))
        read_as = {Path(f["file"]).name: f["read_as"] for f in record["inputs"]}
        assert read_as[label].startswith(expected), read_as

    return check


def _ids(**rules: str) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        export.mapping["ids"] = rules

    return change


def _rename_customer(old: str, new: str) -> Callable[[Export], None]:
    """Every order line of customer ``old`` written as ``new``."""

    def change(export: Export) -> None:
        orders = export.tables["orders"]
        orders.loc[orders["客户编号"] == old, "客户编号"] = new

    return change


def _customers_are(n: int, unknown: int) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        customers = pd.read_parquet(root / "data" / "processed" / PERIOD / "customers.parquet")
        assert len(customers) == n and int((~customers["in_customer_master"]).sum()) == unknown, customers

    return check


def _report_says(text: str) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        page = (root / "reports" / PERIOD / "01_data_cleaning.html").read_text(encoding="utf-8")
        assert text in re.sub(r"<[^>]+>", "", page), text

    return check


def _customer_name_is(pattern: str) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        names = pd.read_parquet(root / "data" / "processed" / PERIOD / "customers.parquet")["customer_name"]
        assert names.astype(str).str.contains(pattern, regex=False).any(), names.tolist()

    return check


def _skipped_sheet(label: str, why: str) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        record = json.loads((root / "data" / "processed" / PERIOD / "cleaning.json").read_text(encoding="utf-8"))
        skipped = {k: v for f in record["inputs"] for k, v in f["skipped_sheets"].items()}
        assert why in skipped.get(label, ""), skipped

    return check


def _both_checks(*checks: Callable[[Path], None]) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        for c in checks:
            c(root)

    return check


def _kept_amount(expected: float) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        orders = pd.read_parquet(root / "data" / "processed" / PERIOD / "orders.parquet")
        assert abs(orders["amount"].sum() - expected) < 1e-6, orders["amount"].sum()

    return check


_BASE_AMOUNT = float((_orders()["数量"].astype(float) * _orders()["单价"].astype(float))[:-2].sum())
_RETURN = float(_orders()["数量"].astype(float).iloc[-1] * _orders()["单价"].astype(float).iloc[-1])
_CLEAN_TOTAL = _BASE_AMOUNT - _RETURN  # the cancelled line is excluded, the return nets


def _bad_cell(row: int, column: str, value: object) -> Callable[[pd.DataFrame], None]:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value

    return change


_TEST_LINES = [list(_orders().columns), ["T1", "C001", "2025-11-01", "P1", "1000", "99999", "CNY", "已完成"]]
_NOTES = [["说明"], ["本表为2025年订单导出"], ["金额单位：元"]]
_PARTIAL = [["订单号", "客户编号", "日期"], ["SO1", "C001", "2025-10-01"]]
_ENCRYPTED = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(512)

CASES: list[Case] = [
    Case("clean", "the clean export", lambda e: None, 0, check=_kept_amount(_CLEAN_TOTAL)),
    # --- headers
    Case(
        "duplicate_header_csv",
        "a mapped header twice in a CSV",
        _duplicate_header("orders", "单价", "单价"),
        1,
        ("orders.csv", "'单价'", "row 1", "appears 2 times"),
    ),
    Case(
        "duplicate_header_spaces",
        "a mapped header repeated with a trailing space",
        _duplicate_header("orders", "数量", "数量 "),
        1,
        ("orders.csv", "'数量'", "row 1", "appears 2 times"),
    ),
    Case(
        "duplicate_header_xlsx",
        "a mapped header twice in a workbook sheet",
        _duplicate_header("orders", "单价", "单价", fmt="xlsx"),
        1,
        ("orders.xlsx#Sheet1", "'单价'", "row 1", "appears 2 times"),
    ),
    Case(
        "missing_column",
        "a mapped column absent",
        lambda e: e.tables.update(orders=e.tables["orders"].drop(columns=["数量"])),
        1,
        ("orders.csv", "'数量'", "not found"),
    ),
    # --- decimal marks
    Case(
        "decimal_comma_undeclared",
        "12,5 with no decimal mark declared",
        _both(_decimal(None), _cell("orders", "单价", 5, "12,5")),
        1,
        ("orders.csv", "'单价'", "row 5", "'12,5'", "decimal mark"),
    ),
    Case(
        "european_number_undeclared",
        "1.234,56 with no decimal mark declared",
        _both(_decimal(None), _cell("orders", "单价", 6, "1.234,56")),
        1,
        ("orders.csv", "'单价'", "row 6", "'1.234,56'", "decimal mark"),
    ),
    Case(
        "thousands_comma_undeclared",
        "1,234 with no decimal mark declared",
        _both(_decimal(None), _cell("orders", "单价", 7, "1,234")),
        1,
        ("orders.csv", "'单价'", "row 7", "'1,234'", "1,234 or 1.234"),
    ),
    Case(
        "decimal_comma_declared",
        "12,5 with decimal_mark ','",
        _both(_decimal(","), _comma_prices, _cell("orders", "单价", 2, "12,5")),
        0,
        check=_kept_amount(_CLEAN_TOTAL - 100 * 1 + 12.5 * 1),
    ),
    Case(
        "decimal_comma_under_dot",
        "12,5 with decimal_mark '.'",
        _cell("orders", "单价", 5, "12,5"),
        1,
        ("orders.csv", "'单价'", "row 5", "'12,5'", "not a number"),
    ),
    Case(
        "thousands_comma_declared",
        "1,234.50 with decimal_mark '.'",
        _cell("orders", "单价", 2, "1,234.50"),
        0,
        check=_kept_amount(_CLEAN_TOTAL - 100 + 1234.5),
    ),
    # --- currency signs
    Case(
        "dollar_on_cny_line",
        "$12.00 on a CNY line",
        _cell("orders", "单价", 4, "$12.00"),
        1,
        ("orders.csv", "'单价'", "row 4", "'$12.00'", "contradicts the line's currency CNY"),
    ),
    Case(
        "dollar_on_usd_line",
        "$12.00 on a USD line",
        _both(_cell("orders", "单价", 2, "$12.00"), _cell("orders", "币种", 2, "USD")),
        0,
        check=_kept_amount(_CLEAN_TOTAL - 100 + 12 * 7.1),
    ),
    Case(
        "yuan_sign_on_cny_line",
        "¥1,200.50 and 100元 on CNY lines",
        _both(_cell("orders", "单价", 2, "¥1,200.50"), _cell("orders", "单价", 3, "100元")),
        0,
        check=_kept_amount(_CLEAN_TOTAL - 100 + 1200.5 - 110 * 2 + 100 * 2),
    ),
    Case(
        "euro_on_product_price",
        "€8 as a CNY list price",
        _cell("products", "标准单价", 3, "€8"),
        1,
        ("products.csv", "'标准单价'", "row 3", "'€8'", "contradicts"),
    ),
    # --- non-finite and implausible numbers
    Case(
        "inf_price", "inf as a unit price", _cell("orders", "单价", 3, "inf"), 1, ("'单价'", "row 3", "'inf'", "finite")
    ),
    Case(
        "overflowing_price",
        "1e309 as a unit price",
        _cell("orders", "单价", 3, "1e309"),
        1,
        ("'单价'", "row 3", "'1e309'", "finite"),
    ),
    Case(
        "huge_quantity",
        "a quantity of 1e15",
        _cell("orders", "数量", 8, "1e15"),
        1,
        ("orders.csv", "'数量'", "row 8", "'1e15'", "plausible range"),
    ),
    Case(
        "huge_quantity_excluded",
        "a quantity of 1e15, invalid rows excluded",
        _cell("orders", "数量", 8, "1e15"),
        0,
        ledger={"invalid_quantity": 1},
        settings={"on_invalid_value": "exclude"},
    ),
    Case(
        "negative_list_price",
        "a negative list price",
        _cell("products", "标准单价", 2, "-120"),
        1,
        ("products.csv", "'标准单价'", "row 2", "'-120'", "plausible range"),
    ),
    Case(
        "text_in_quantity",
        "text in a quantity",
        _cell("orders", "数量", 9, "three"),
        1,
        ("orders.csv", "'数量'", "row 9", "'three'", "not a number"),
    ),
    # --- dates
    Case(
        "date_2199",
        "an order dated 2199",
        _cell("orders", "下单日期", 10, "2199-01-01"),
        1,
        ("orders.csv", "'下单日期'", "row 10", "'2199-01-01'", "plausible range"),
    ),
    Case(
        "date_1900",
        "a registration date in 1900",
        _cell("customers", "注册日期", 3, "1900-01-01"),
        1,
        ("customers.csv", "'注册日期'", "row 3", "'1900-01-01'", "plausible range"),
    ),
    Case(
        "date_beyond_pandas",
        "an order dated 2300 (beyond pandas' dates)",
        _cell("orders", "下单日期", 4, "2300-01-01"),
        1,
        ("orders.csv", "'下单日期'", "row 4", "'2300-01-01'", "far outside any plausible range"),
    ),
    Case(
        "unparsable_date",
        "an order date in no declared format",
        _cell("orders", "下单日期", 11, "11/05/2025"),
        1,
        ("orders.csv", "'下单日期'", "row 11", "'11/05/2025'", "formats tried"),
    ),
    Case(
        "bad_dates_excluded",
        "a date in 2199 and a garbled date, invalid rows excluded",
        _both(_cell("orders", "下单日期", 10, "2199-01-01"), _cell("orders", "下单日期", 11, "soon")),
        0,
        ledger={"invalid_order_date": 2},
        settings={"on_invalid_value": "exclude"},
    ),
    # --- empty and header-only files
    Case("empty_orders", "an empty order file", _raw("orders.csv", b""), 1, ("orders.csv", "empty")),
    Case("empty_customers", "an empty customer file", _raw("customers.csv", b""), 1, ("customers.csv", "empty")),
    Case(
        "header_only_orders",
        "an order file with a header and no rows",
        _header_only("orders"),
        1,
        ("orders.csv", "no rows"),
    ),
    Case("header_only_customers", "a customer file with a header and no rows", _header_only("customers"), 0),
    # --- workbooks as clients make them
    Case("header_below_titles", "the header on row 4, under a merged title", _orders_workbook(title_rows=3), 0),
    Case(
        "header_below_titles_bad_value",
        "a bad value under a header on row 4: the row as the sheet numbers it",
        _orders_workbook(title_rows=3, change=_bad_cell(5, "数量", "x9")),
        1,
        ("orders.xlsx#订单", "'数量'", "row 10", "'x9'"),
    ),
    Case(
        "notes_sheet",
        "a notes sheet beside the order lines: listed as skipped",
        _orders_workbook(extra=(("说明", _NOTES, "visible"),)),
        0,
        ledger={"sheet_without_headers": 3},
        check=_skipped_sheet("orders.xlsx#说明", "3 rows, none of the mapped columns"),
    ),
    Case(
        "sheet_with_some_headers",
        "a sheet with some of the mapped headers: named, not skipped",
        _orders_workbook(extra=(("补录", _PARTIAL, "visible"),)),
        1,
        ("orders.xlsx#补录", "not found", "row 1"),
    ),
    Case(
        "hidden_test_sheet",
        "a hidden sheet of test lines: skipped and listed",
        _orders_workbook(extra=(("测试", _TEST_LINES, "hidden"),)),
        0,
        ledger={"hidden_sheet": 1},
        check=_both_checks(_skipped_sheet("orders.xlsx#测试", "1 row, hidden sheet"), _kept_amount(_CLEAN_TOTAL)),
    ),
    Case(
        "hidden_sheet_read",
        "a hidden sheet read because the mapping says so",
        _both(
            _orders_workbook(extra=(("补录", _TEST_LINES, "hidden"),)),
            lambda e: e.mapping["tables"]["orders"].update(read={"hidden_sheets": True}),
        ),
        0,
    ),
    Case(
        "formula_without_value",
        "formula cells without a saved value",
        _orders_workbook(change=_bad_cell(3, "单价", "=100*1.1")),
        1,
        ("orders.xlsx#订单", "formula cell(s) without a saved value", "F5"),
    ),
    Case(
        "password_protected",
        "a password-protected workbook",
        _raw("orders.xlsx", _ENCRYPTED),
        1,
        ("orders.xlsx", "password-protected"),
    ),
    Case(
        "corrupt_workbook",
        "a workbook that is not one",
        _raw("orders.xlsx", b"PK\x03\x04 not really a zip"),
        1,
        ("orders.xlsx", "cannot read the workbook"),
    ),
    # --- files
    Case(
        "broken_link",
        "the customer file a broken link",
        lambda e: e.links.update({"customers.csv": "/nonexistent/customers.csv"}),
        1,
        ("customers.csv", "broken link"),
    ),
    Case(
        "link_outside_folder",
        "the customer file a link to a file outside the data folder",
        lambda e: e.links.update({"customers.csv": str(ROOT / "README.md")}),
        1,
        ("customers.csv", "outside the data folder"),
    ),
    Case(
        "pattern_outside_folder",
        "a mapping pattern reaching outside the data folder",
        lambda e: e.mapping["tables"]["customers"].update(files=["../*.yaml"]),
        1,
        ("outside the data folder",),
    ),
    # --- text files
    Case(
        "latin1_customers",
        "customer names in Windows-1252 (a European export)",
        _both(_western_names, _csv("customers", encoding="cp1252")),
        0,
        check=_both_checks(_customer_name_is("Zürich Präzision AG"), _read_as("customers.csv", "Windows-1252")),
    ),
    Case(
        "gb18030_customers",
        "customer names in GB18030 (a Chinese Excel's CSV)",
        _csv("customers", encoding="gb18030"),
        0,
        check=_both_checks(_customer_name_is("苏州精工五金"), _read_as("customers.csv", "GB18030")),
    ),
    Case(
        "utf16_customers",
        "customer names in UTF-16 (Excel's Unicode text)",
        _csv("customers", encoding="utf-16"),
        0,
        check=_both_checks(_customer_name_is("杭州海川贸易"), _read_as("customers.csv", "UTF-16")),
    ),
    Case(
        "semicolon_orders",
        "order lines separated by semicolons",
        _csv("orders", sep=";"),
        0,
        check=_both_checks(_kept_amount(_CLEAN_TOTAL), _read_as("orders.csv", "UTF-8, semicolon")),
    ),
    Case(
        "tab_orders",
        "order lines separated by tabs",
        _csv("orders", sep="\t"),
        0,
        check=_both_checks(_kept_amount(_CLEAN_TOTAL), _read_as("orders.csv", "UTF-8, tab")),
    ),
    Case(
        "declared_wrong_encoding",
        "a file declared UTF-8 that is GB18030",
        _both(
            _csv("customers", encoding="gb18030"),
            lambda e: e.mapping["tables"]["customers"].update(read={"encoding": "utf-8"}),
        ),
        1,
        ("customers.csv", "cannot decode the file as utf-8"),
    ),
    Case(
        "binary_as_csv",
        "a binary file named .csv",
        _raw("customers.csv", bytes(range(256)) * 40),
        1,
        ("customers.csv",),
    ),
    Case(
        "blank_lines",
        "blank lines in a CSV: row numbers as the file has them",
        _blank_lines_csv,
        1,
        ("orders.csv", "'数量'", "row 14", "'x9'"),
    ),
    # --- ids
    Case(
        "id_case_undecided",
        "c001 in the orders, C001 in the master, the mapping silent",
        _cell("orders", "客户编号", 6, "c001"),
        1,
        ("orders.csv", "'客户编号'", "row 6", "'c001'", "differ only in their case"),
    ),
    Case(
        "id_case_merged",
        "c001 and C001 one customer (ids: case: upper)",
        _both(_cell("orders", "客户编号", 6, "c001"), _ids(case="upper")),
        0,
        check=_customers_are(4, unknown=0),
    ),
    Case(
        "id_case_kept_apart",
        "c001 and C001 two customers (ids: case: keep): the extra one shown",
        _both(_cell("orders", "客户编号", 6, "c001"), _ids(case="keep")),
        0,
        check=_both_checks(_customers_are(5, unknown=1), _report_says("1 customer is in the order lines but not")),
    ),
    Case(
        "id_leading_zeros_undecided",
        "00042 in the orders, 42 in the master",
        _both(_cell("customers", "客户编号", 5, "42"), _rename_customer("C004", "00042")),
        1,
        ("'00042'", "differ only in their leading zeros"),
    ),
    Case(
        "id_spaces_undecided",
        "C 002 in the orders, C002 in the master",
        _cell("orders", "客户编号", 3, "C 002"),
        1,
        ("orders.csv", "row 3", "'C 002'", "differ only in their spaces inside"),
    ),
    Case(
        "unknown_customer",
        "order lines of a customer missing from the master: counted and shown",
        _cell("orders", "客户编号", 7, "C999"),
        0,
        check=_both_checks(_customers_are(5, unknown=1), _report_says("C999")),
    ),
    # --- values a reader must never act on
    Case(
        "unknown_status",
        "an order status the mapping does not know",
        _cell("orders", "订单状态", 12, "挂起"),
        1,
        ("orders.csv", "'订单状态'", "row 12", "'挂起'", "unknown value"),
    ),
    Case(
        "phone_in_name",
        "a mobile number typed into a customer name",
        _cell("customers", "客户名称", 2, "上海恒达机械 王经理13812345678"),
        0,
        check=_customer_name_is("王经理138****5678"),
    ),
    Case(
        "phone_in_bad_value",
        "a phone number typed into a quantity",
        _cell("orders", "数量", 5, "13812345678"),
        1,
        ("orders.csv", "'数量'", "row 5", "138****5678"),
    ),
    Case(
        "script_in_name",
        "markup in a customer name",
        _cell("customers", "客户名称", 3, "<script>alert(1)</script>"),
        0,
        check=_customer_name_is("<script>alert(1)</script>"),
    ),
    Case(
        "formula_in_name",
        "a formula as a customer name",
        _cell("customers", "客户名称", 4, '=HYPERLINK("http://x","y")'),
        0,
        check=_customer_name_is("=HYPERLINK"),
    ),
]


@dataclass(frozen=True)
class Outcome:
    """What a user saw: the exit code, the message, and the row accounting of a good run."""

    exit: int
    message: str
    traceback: str  # any traceback the command printed ("" when none)
    rows: dict[str, dict] = field(default_factory=dict)


def project(tmp: Path, settings: dict) -> Path:
    """A scratch project: the repository's notebooks, a copy of its config with ``cleaning`` changes."""
    root = tmp / "project"
    root.mkdir(parents=True)
    (root / "notebooks").symlink_to(ROOT / "notebooks", target_is_directory=True)
    shutil.copytree(ROOT / "config", root / "config")
    if settings:
        path = root / "config" / "settings.yaml"
        text = path.read_text(encoding="utf-8")
        for key, value in settings.items():
            text, n = re.subn(rf"(?m)^(  {key}:) *\S+", rf"\g<1> {value}", text)
            assert n == 1, key
        path.write_text(text, encoding="utf-8")
    return root


def run_case(case: Case, tmp: Path) -> tuple[Outcome, Export]:
    """Write the case's export, run stage 01 on it through the command line, and say what came out."""
    export = Export()
    case.change(export)
    root = project(tmp, case.settings)
    folder = tmp / "export"
    mapping = export.write(folder)
    done = subprocess.run(
        [sys.executable, "-m", "helpers", "run", "--root", str(root), "--period", PERIOD]
        + ["--data", str(folder), "--mapping", str(mapping), "--stages", "01"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=600,
    )
    message = (done.stderr.strip().splitlines() or [""])[-1]
    rows = {}
    record = root / "data" / "processed" / PERIOD / "cleaning.json"
    if done.returncode == 0 and record.exists():
        rows = json.loads(record.read_text(encoding="utf-8"))["tables"]
    printed = done.stdout + done.stderr
    traceback = printed[printed.index("Traceback") :] if "Traceback" in printed else ""
    return Outcome(done.returncode, message, traceback, rows), export


def quality(case: Case, outcome: Outcome) -> str:
    """How well the message serves the user: which of file, column, row and value it names."""
    if outcome.exit == 0:
        return "runs; rows accounted for" if outcome.rows else "runs"
    named = [
        part
        for part, pattern in (
            ("file", r"\(file "),
            ("column", r", column '"),
            ("row", r", row \d+"),
            ("value", r", value \S"),
        )
        if re.search(pattern, outcome.message)
    ]
    return "names " + ", ".join(named) if named else "no location"


def main() -> None:
    """Print the corpus's summary table (Markdown): case, exit code, message quality, message."""
    import os
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = [(case, pool.submit(run_case, case, Path(tmp) / case.name)) for case in CASES]
        print("| case | what | exit (expected) | message | message names |")
        print("|---|---|---|---|---|")
        tracebacks = []
        for case, run in runs:
            outcome, _ = run.result()
            if outcome.traceback:
                tracebacks.append(f"{case.name}:\n{outcome.traceback}")
            shown = outcome.message.removeprefix("error: ").replace("|", "\\|")
            shown = re.sub(r" — (nothing was written|its last good outputs).*", "", shown)
            print(
                f"| {case.name} | {case.what} | {outcome.exit} ({case.exit}) | {shown if outcome.exit else ''} | "
                f"{quality(case, outcome)} |"
            )
        print("\n\n".join(tracebacks))


if __name__ == "__main__":
    main()
