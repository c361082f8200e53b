"""Hostile values for the tests: script, formula and personal-data payloads planted in a generated sample.

:func:`plant_payloads` rewrites a sample written by :func:`helpers.sample_data.generate`
so that every free-text field a report or workbook can show carries a payload:
customer names, ids, industries and regions (unmatched spellings are listed by
name), contacts, product names and categories, lead fields, and the name of an
order sheet. Half of those texts also carry a phone number or an e-mail
address in one of the formats clients type. The files stay valid exports, so
the run must succeed, show the payloads as plain text and the personal data
nowhere.
"""

from __future__ import annotations

import csv
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

#: Markup that runs script when a browser renders it live.
XSS = [
    "<script>alert(101)</script>",
    "<img src=x onerror=alert(102)>",
    "<svg onload=alert(103)>",
    '<iframe src="javascript:alert(104)"></iframe>',
    "</td></tr></table><b onmouseover=alert(105)>x</b>",
    '"><a href="javascript:alert(106)">link</a>',
    "<details open ontoggle=alert(107)>",
    "**bold** `tick $x^2$ {{7*7}}",
]
#: Text a spreadsheet would run as a formula (OWASP's CSV-injection starters).
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(1)", "\t=1+2", "\r=3+4"]
PAYLOADS = XSS + FORMULAS
#: An order sheet name carrying markup (sheet names exclude []:*?/\ and stop at 31 characters).
SHEET_PAYLOAD = "<svg onload=alert(108)>"
#: Customer ids replaced by payload ids everywhere they occur.
ID_PAYLOADS = ["<b onmouseover=alert(109)>C1</b>", "=1+C2", "<script>alert(110)</script>", "$\\frac{1}{$ C4"]


#: Contact details as clients type them into free text (``{i}`` makes each one unique).
CONTACTS = [
    "电话1391234{i:04d}",
    "手机 +86 139 5678 {i:04d}",
    "Tel 021-6438{i:04d}",
    "(0571) 8866{i:04d}",
    "+44 20 7946 {i:04d}",
    "li.lei{i}@example.com.cn",
    "0086 137-0000-{i:04d}",
]
_planted: list[str] = []


def _contact(i: int) -> str:
    text = CONTACTS[i % len(CONTACTS)].format(i=len(_planted))
    _planted.append(text.split(" ", 1)[1] if text.startswith(("手机 ", "Tel ")) else text.removeprefix("电话"))
    return text


def _cycle(n: int, offset: int = 0) -> list[str]:
    """``n`` texts: a payload each, and a phone number or e-mail address in every other one."""
    return [
        f"{PAYLOADS[(i + offset) % len(PAYLOADS)]} 公司{i}" + (f" {_contact(i + offset)}" if i % 2 else "")
        for i in range(n)
    ]


def _rewrite_csv(path: Path, change) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    change(frame)
    # Every field quoted: a payload's tab or carriage return stays inside its cell.
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", quoting=csv.QUOTE_ALL)


def _rewrite_xlsx(path: Path, change, rename: dict[str, str] | None = None) -> None:
    book = pd.read_excel(path, sheet_name=None, dtype=object, engine="calamine")
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": {"strings_to_formulas": False}}) as out:
        for name, frame in book.items():
            change(frame)
            frame.to_excel(out, sheet_name=(rename or {}).get(name, name), index=False)


def plant_payloads(folder: Path) -> list[str]:
    """Put script, formula and personal-data payloads in every free-text field of the sample in ``folder``.

    Returns the personal data planted: the phone numbers and e-mail addresses
    typed into free text, and those of the contact columns. The busiest
    buyers' ids are replaced by :data:`ID_PAYLOADS`, so they show in the
    top-customer tables and charts.
    """
    _planted.clear()
    orders = pd.read_excel(folder / "orders.xlsx", sheet_name=None, dtype=object, engine="calamine")
    lines = pd.concat(orders.values())["客户编号"].value_counts()
    busiest = [str(c) for c in lines.index[: len(ID_PAYLOADS)]]
    ids = dict(zip(busiest, ID_PAYLOADS, strict=True))

    def new_ids(frame: pd.DataFrame, column: str) -> None:
        if column in frame:
            frame[column] = frame[column].map(lambda v: ids.get(str(v), v))

    def customers(frame: pd.DataFrame) -> None:
        new_ids(frame, "客户编号")
        contacts.extend(v for c in ("联系电话", "电子邮箱") for v in frame[c] if v)
        frame["客户名称"] = _cycle(len(frame))
        frame.loc[::7, "所属行业"] = _cycle(len(frame.loc[::7]), 1)
        frame.loc[::9, "所在区域"] = _cycle(len(frame.loc[::9]), 2)
        frame["联系人"] = _cycle(len(frame), 3)

    def products(frame: pd.DataFrame) -> None:
        frame["产品名称"] = _cycle(len(frame), 4)
        frame.loc[::3, "产品类别"] = _cycle(len(frame.loc[::3]), 5)

    def leads(frame: pd.DataFrame) -> None:
        new_ids(frame, "客户编号")
        frame["公司名称"] = _cycle(len(frame), 6)
        frame.loc[::5, "行业"] = _cycle(len(frame.loc[::5]), 7)
        frame.loc[::4, "来源"] = _cycle(len(frame.loc[::4]), 8)

    contacts: list[str] = []
    _rewrite_csv(folder / "customers.csv", customers)
    _rewrite_csv(folder / "products.csv", products)
    for name in ("payments.csv", "nps_survey.csv", "interactions.csv"):
        column = {"nps_survey.csv": "Customer ID", "interactions.csv": "customer_id"}.get(name, "客户编号")
        _rewrite_csv(folder / name, lambda f, c=column: new_ids(f, c))
    last = list(orders)[-1]
    _rewrite_xlsx(folder / "orders.xlsx", lambda f: new_ids(f, "客户编号"), rename={last: SHEET_PAYLOAD})
    _rewrite_xlsx(folder / "service_tickets.xlsx", lambda f: new_ids(f, "客户编号"))
    _rewrite_xlsx(folder / "leads.xlsx", leads)
    for path in sorted((folder / "manual").glob("*.xlsx")):  # the consultant's sheets name customers too
        book = load_workbook(path)
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value in ids:
                        cell.value = ids[cell.value]
                        cell.data_type = "s"  # openpyxl would store "=1+C2" as a formula
        book.save(path)
    return [*_planted, *contacts]


class _Live(HTMLParser):
    """Collects the tags and attributes that would run script in a browser."""

    DANGEROUS = {"script", "iframe", "object", "embed", "svg", "math", "details", "base", "form", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") or name in ("http-equiv", "srcdoc", "formaction"):
                self.found.append(f"<{tag} {name}=…>")
            if value and re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I):
                self.found.append(f"<{tag} {name}={value[:40]}>")
        if tag in self.DANGEROUS:
            self.found.append(f"<{tag}>")


def live_markup(page: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Tags and attributes of ``page`` that would run script, minus those the template itself has (``allowed``)."""
    parser = _Live()
    parser.feed(page)
    return [f for f in parser.found if f not in allowed]


def formula_cells(path: Path) -> list[str]:
    """Cells of a workbook that are formulas, or text a spreadsheet would turn into one when edited."""
    book = load_workbook(path)
    found = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append(f"{ws.title}!{cell.coordinate} formula {cell.value!r}")
                elif (
                    isinstance(cell.value, str)
                    and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r")
                    and not cell.quotePrefix
                    and len(cell.value) > 1
                ):
                    found.append(f"{ws.title}!{cell.coordinate} unguarded {cell.value!r}")
    return found


def _texts(path: Path) -> str:
    """Everything a file holds as text: pages and JSON unescaped, every cell of a table or workbook."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return "\n".join(frame[c].astype(str).str.cat(sep="\n") for c in frame.columns)
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".json", ".ipynb"):
        text = text.encode().decode("unicode_escape", errors="replace") + "\n" + text
    return html.unescape(text)


def personal_data_in(root: Path, planted: list[str]) -> list[str]:
    """``file: value`` for every planted phone number or e-mail address found in an output under ``root``.

    A phone counts as found when its digits appear unbroken (any formatting)
    or as typed; an e-mail when its local part and ``@`` do.
    """
    needles = []
    for value in planted:
        if "@" in value:
            needles.append((value, [value.split("@")[0] + "@"]))
        else:
            digits = re.sub(r"\D", "", value)
            needles.append((value, [value, digits]))
    found = []
    outputs = [p for folder in ("reports", "data/processed") for p in sorted((root / folder).rglob("*")) if p.is_file()]
    assert outputs, f"no outputs under {root}"
    for path in outputs:
        text = _texts(path)
        digits_only = re.sub(r"[\s\-().+]", "", text)
        for value, forms in needles:
            if any(f in text for f in forms) or (len(forms) > 1 and forms[1] in digits_only):
                found.append(f"{path.relative_to(root)}: {value}")
    return found
