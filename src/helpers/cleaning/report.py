"""Tables the data-cleaning report shows (stage 01), built from the cleaning results.

Each function returns a :class:`helpers.reporting.display.Table` (or shows a
note when the data lack what it would describe), so the notebook cells stay one
line. Headers, reasons and table names come from the label registry.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import display

from helpers.cleaning.ledger import reason_label
from helpers.cleaning.rules import CONTACT_FIELDS, CleaningResult
from helpers.core.labels import LABELS
from helpers.core.mapping import Mapping
from helpers.core.schema import TABLES
from helpers.io.sources import UNEXPECTED_ENCODING_NAMES
from helpers.reporting.display import Table, internal, literal, note

__all__ = [
    "customer_base_preview",
    "excluded_rows",
    "inputs_table",
    "missing_fields_report",
    "reconciliation_summary",
    "reconciliation_table",
    "standardisation_report",
    "tables_table",
]


def _header(key: str, currency: str | None = None) -> str:
    text = LABELS.text("column", key)
    return f"{text}, {currency}" if currency else text


def reconciliation_table(recon: pd.DataFrame, currency: str) -> Table:
    """The reconciliation (:func:`helpers.cleaning.ledger.reconciliation`) as a reviewer reads it."""
    frame = pd.DataFrame(
        {
            "step": [LABELS.text("reconciliation_step", s) for s in recon["step"]],
            "reason": [reason_label(r) if r else "" for r in recon["reason"]],
            "rows": recon["rows"],
            "amount": recon["amount"],
            "rows_pct": recon["rows_pct"],
            "amount_pct": recon["amount_pct"],
        }
    )
    headers = {c: _header(c, currency if c == "amount" else None) for c in frame.columns}
    return Table(
        frame.rename(columns=headers),
        ints=[headers["rows"]],
        money=[headers["amount"]],
        pct=[headers["rows_pct"], headers["amount_pct"]],
        uid="reconciliation",
    )


def _line(recon: pd.DataFrame, step: str) -> pd.Series:
    return recon[recon["step"] == step].iloc[0]


def reconciliation_summary(recon: pd.DataFrame, currency: str, notes: dict[str, object]) -> None:
    """One paragraph with the headline figures of the reconciliation."""
    raw, kept, excluded = _line(recon, "raw"), _line(recon, "kept_total"), _line(recon, "excluded_total")
    returns = notes["returns"]
    note(
        LABELS.say(
            f"**{int(raw['rows']):,}** raw order lines worth **{raw['amount']:,.2f} {currency}**: "
            f"**{int(kept['rows']):,}** kept ({kept['rows_pct']:.1f}%, net {kept['amount']:,.2f} {currency}, of which "
            f"{returns['lines']:,} return lines worth {returns['amount']:,.2f}), "
            f"**{int(excluded['rows']):,}** excluded ({excluded['rows_pct']:.1f}%). "
            f"Distinct customer ids in the raw orders, before any filtering: **{notes['raw_customer_ids']:,}**; "
            f"of them, **{notes['known_customers']:,}** have a kept order line or registration by the as-of date and "
            "form the customer base (the others have only excluded lines, or first appear after the as-of date).",
            f"原始订单明细共 **{int(raw['rows']):,}** 行，金额 **{raw['amount']:,.2f} {currency}**："
            f"保留 **{int(kept['rows']):,}** 行（{kept['rows_pct']:.1f}%，净额 {kept['amount']:,.2f} {currency}，"
            f"其中退货明细 {returns['lines']:,} 行，金额 {returns['amount']:,.2f}），"
            f"剔除 **{int(excluded['rows']):,}** 行（{excluded['rows_pct']:.1f}%）。"
            f"原始订单中（未经任何筛选）共有 **{notes['raw_customer_ids']:,}** 个不同的客户编号；"
            f"其中 **{notes['known_customers']:,}** 个在截止日前有保留的订单明细或已完成注册，构成客户基数"
            "（其余客户编号只有被剔除的明细，或在截止日之后才首次出现）。",
        )
    )


def excluded_rows(recon: pd.DataFrame) -> pd.DataFrame:
    """The excluded reasons (``reason_label``, ``rows``, ``amount``) for the exclusions chart."""
    part = recon[recon["step"] == "excluded"]
    return pd.DataFrame(
        {
            "reason_label": [reason_label(r) for r in part["reason"]],
            "rows": part["rows"].to_numpy(),
            "amount": part["amount"].to_numpy(),
        }
    )


def tables_table(record: dict[str, object], mapping: Mapping) -> Table:
    """Rows received, kept and excluded per table (tables not in the data are listed as such).

    ``record`` is stage 01's ``cleaning.json`` (its ``tables`` hold the per-table accounting).
    """
    per_table: dict[str, dict[str, object]] = record["tables"]  # type: ignore[assignment]
    rows = []
    for table in TABLES:
        figures = per_table.get(table)
        name = LABELS.text("table", table)
        if figures is None:
            why = "not_mapped" if table not in mapping.tables else "no_file"
            rows.append((name, None, None, None, LABELS.text("table_status", why)))
            continue
        joins = [f"{table}+{j.name}" for j in mapping.tables[table].join] if table in mapping.tables else []
        for key in [table, *(k for k in joins if k in per_table)]:
            figures = per_table[key]
            excluded: dict[str, int] = figures["excluded_rows"]  # type: ignore[assignment]
            ranked = sorted(excluded.items(), key=lambda kv: -kv[1])
            reasons = LABELS.say(
                "; ".join(f"{reason_label(k)}: {v:,}" for k, v in ranked),
                "；".join(f"{reason_label(k)}：{v:,}" for k, v in ranked),
            )
            rows.append(
                (table_name(key), figures["input_rows"], figures["kept_rows"], sum(excluded.values()), reasons or "—")
            )
    keys = ["table", "input_rows", "kept_rows", "excluded_total", "excluded_by_reason"]
    headers = [_header(k) for k in keys]
    return Table(pd.DataFrame(rows, columns=headers), ints=headers[1:4], uid="tables")


def encoding_note(record: dict[str, object]) -> None:
    """Flag text files decoded in an encoding a Chinese export is rarely in: garbled names are then likely."""
    odd = [
        (Path(str(f["file"])).name, str(f.get("read_as", "")).partition(",")[0])
        for f in record["inputs"]  # type: ignore[union-attr]
        if str(f.get("read_as", "")).partition(",")[0] in UNEXPECTED_ENCODING_NAMES.values()
    ]
    if odd:
        files = "; ".join(f"{literal(name)} was read as {encoding}" for name, encoding in odd)
        files_zh = "；".join(f"{literal(name)} 按 {encoding} 编码读取" for name, encoding in odd)
        note(
            LABELS.say(
                f"**Check the text of these files:** {files}, an encoding Chinese exports are rarely in (the bytes are "
                "not UTF-8 and read best so). If names or industries look garbled in the tables of this report, ask "
                "the client for a UTF-8 export or declare the file's encoding in the mapping.",
                f"**请核对以下文件的文字内容：** {files_zh}。中文导出文件很少使用这种编码（这些文件的字节不是 UTF-8，"
                "按该编码读取效果最好）。如本报告表格中的客户名称或行业出现乱码，请向客户索取 UTF-8 编码的导出文件，"
                "或在映射中声明该文件的编码。",
            )
        )


def inputs_table(record: dict[str, object]) -> Table:
    """The files read, with rows and, for an internal report, the start of their sha256 (the full one is in the
    manifest)."""
    frame = pd.DataFrame(record["inputs"])
    frame["table"] = frame["table"].map(table_name)
    frame["excluded_total"] = frame.get("excluded_rows", pd.Series(0, index=frame.index))
    frame["file"] = frame["file"].map(lambda p: Path(p).name)
    frame["sheets"] = frame["sheets"].map(lambda d: ", ".join(k.partition("#")[2] for k in d if "#" in k) or "—")
    frame["skipped_sheets"] = frame["skipped_sheets"].map(
        lambda d: "; ".join(f"{k.partition('#')[2]} ({v})" for k, v in d.items()) or "—"
    )
    frame["sha256"] = frame["sha256"].str[:16] + "…"
    frame["read_as"] = frame.get("read_as", pd.Series("", index=frame.index)).fillna("").replace("", "—")
    keys = ["table", "file", "read_as", "sheets", "rows", "kept_rows", "excluded_total", "skipped_sheets"]
    keys += ["sha256"] if internal() else []
    headers = LABELS.headers(keys)
    counts = [headers[k] for k in ("rows", "kept_rows", "excluded_total")]
    return Table(frame[keys].rename(columns=headers), ints=counts, uid="inputs")


def table_name(table: str) -> str:
    """A ledger table as the report names it: ``orders`` -> order lines, ``orders+heads`` -> joined onto them."""
    base, _, join = table.partition("+")
    name = LABELS.text("table", base)
    if not join:
        return name
    joined = LABELS.text("table_status", "joined")
    return LABELS.say(f"{name} ← {join} ({joined})", f"{name} ← {join}（{joined}）")


def standardisation_report(result: CleaningResult, mapping: Mapping) -> None:
    """Industry, region, country and currency standardisation, with what stayed unmatched."""
    notes = result.notes
    if "industry_unmatched" not in notes:
        note(
            LABELS.say(
                "*Not available: the data have no customer table, so there are no industries or regions to "
                "standardise.*",
                "*不适用：数据中没有客户表，因此没有需要标准化的行业或地区。*",
            )
        )
    else:
        customers = result.tables["customers"]
        known = customers[customers["in_customer_master"]]
        industries = known.groupby(["industry", "industry_raw"], dropna=False).size().rename("customers").reset_index()
        industries = industries[industries["industry"].astype("string") != industries["industry_raw"].astype("string")]
        rewritten = notes["industry_standardised"]
        industry_unmatched, region_unmatched = (int(notes[k].sum()) for k in ("industry_unmatched", "region_unmatched"))
        note(
            LABELS.say(
                f"**Industries:** {rewritten:,} customers' industry was rewritten into the "
                f"two-level form; {industry_unmatched:,} not in the industry list are kept as "
                f"written. **Regions:** {region_unmatched:,} not in the region list are kept as "
                "written.",
                f"**行业：** {rewritten:,} 位客户的行业已改写为两级行业分类；"
                f"{industry_unmatched:,} 位客户的行业不在行业列表中，按原写法保留。"
                f"**地区：** {region_unmatched:,} 位客户的地区不在地区列表中，按原写法保留。",
            )
        )
        if len(industries):
            shown = industries.sort_values("customers", ascending=False).head(15)[
                ["industry_raw", "industry", "customers"]
            ]
            headers = {
                "industry_raw": _header("industry_as_spelled"),
                "industry": _header("industry_standard"),
                "customers": _header("customers"),
            }
            display(
                Table(
                    shown.rename(columns=headers),
                    ints=[headers["customers"]],
                    caption=LABELS.text("caption", "industries_rewritten"),
                    uid="industry",
                )
            )
        for key, label in (("industry_unmatched", "industry"), ("region_unmatched", "region")):
            counts: pd.Series = notes[key]  # type: ignore[assignment]
            if len(counts):
                label_zh = {"industry": "行业", "region": "地区"}[label]
                note(
                    LABELS.say(
                        f"{label.capitalize()} spellings kept as written (not in the list; a spelling can be added to "
                        "the list or mapped onto it): " + ", ".join(f"“{literal(k)}” ({v})" for k, v in counts.items()),
                        f"以下{label_zh}写法不在列表中，按原写法保留（可将该写法加入列表，或映射到列表中的某一项）："
                        + "、".join(f"“{literal(k)}”（{v}）" for k, v in counts.items()),
                    )
                )
    orders = result.tables["orders"]
    countries = orders["country"].value_counts()
    if len(countries):
        top = countries.head(5)
        top_en = ", ".join(f"{literal(k)} {v:,}" for k, v in top.items())
        top_zh = "、".join(f"{literal(k)} {v:,}" for k, v in top.items())
        note(
            LABELS.say(
                f"**Countries** in the kept orders: {len(countries)} (top: " + top_en + ").",
                f"保留订单涉及的**国家/地区**：{len(countries)} 个（最多的为：" + top_zh + "）。",
            )
        )
    rates = dict(mapping.fx_to_reporting)
    currency = mapping.reporting_currency
    conversions = [f"1 {c} = {r} {currency}" for c, r in rates.items()]
    note(
        LABELS.say(
            f"**Currency:** every amount is in {currency}"
            + (f"; converted at {', '.join(conversions)}." if rates else "."),
            f"**币种：** 所有金额均以 {currency} 计" + (f"；折算汇率为 {'，'.join(conversions)}。" if rates else "。"),
        )
    )


def missing_fields_report(result: CleaningResult) -> Table | None:
    """Customers with missing contact fields (kept and flagged)."""
    customers = result.tables["customers"]
    master = customers[customers["in_customer_master"]]
    fields = [f for f in CONTACT_FIELDS if f in result.notes.get("contact_fields", [])]
    if not fields:
        note(
            LABELS.say(
                "*Not available: the data have no customer contact fields.*", "*不适用：数据中没有客户联系方式字段。*"
            )
        )
        return None
    counts = pd.Series({f: int(master["missing_fields"].str.contains(f, regex=False).sum()) for f in fields})
    total = len(master)
    headers = LABELS.headers(["contact_field", "customers_missing", "customers_pct"])
    frame = pd.DataFrame(
        {
            headers["contact_field"]: [LABELS.text("field", f) for f in counts.index],
            headers["customers_missing"]: counts.to_numpy(),
        }
    )
    frame[headers["customers_pct"]] = frame[headers["customers_missing"]] / total * 100 if total else float("nan")
    flagged = int(master["missing_contact"].fillna(False).astype(bool).sum())
    note(
        LABELS.say(
            f"{flagged:,} of the {total:,} customers of the master known by the as-of date miss at least one contact "
            "field; they are kept and flagged in the customer table for the account team to complete.",
            f"截止日前已在客户主数据中的 {total:,} 位客户里，有 {flagged:,} 位至少缺少一项联系方式；"
            "这些客户均予保留，并在客户表中标记，由客户团队补全。",
        )
    )
    return Table(frame, ints=[headers["customers_missing"]], pct=[headers["customers_pct"]], uid="missing")


def warnings_note(warnings: list[str]) -> None:
    """The data warnings, first thing in the report (or one line saying there are none)."""
    if not warnings:
        note(
            LABELS.say(
                "**No data warnings**: every mapped table was found, every sheet read, every joined row placed, and "
                "every customer and product of the order lines is in its master table (where the data have one).",
                "**无数据警告**：映射的每张表均已找到，每个工作表均已读取，每一行关联数据均已匹配；"
                "订单明细中的每位客户和每个产品均在相应的主数据表中（如数据提供了主数据表）。",
            )
        )
        return
    items = "\n".join(f"- {literal(w)}" for w in warnings)
    note(
        LABELS.say(
            f"**Data warnings ({len(warnings)})** — read these before any figure below:\n\n{items}",
            f"**数据警告（{len(warnings)} 条）**——请先阅读以下警告，再看下文的任何数字：\n\n{items}",
        )
    )


def unknown_customers_note(result: CleaningResult, currency: str) -> None:
    """Customers who bought but are missing from the customer master: how many, their lines and spend."""
    if "industry_unmatched" not in result.notes:
        return  # no customer master at all: the tables table says so
    customers = result.tables["customers"]
    unknown = customers.loc[~customers["in_customer_master"].fillna(False).astype(bool), "customer_id"]
    if unknown.empty:
        note(
            LABELS.say(
                "Every customer of the kept order lines is in the customer master.",
                "保留的订单明细中，每位客户均在客户主数据中。",
            )
        )
        return
    orders = result.tables["orders"]
    theirs = orders["customer_id"].isin(set(unknown))
    examples = ", ".join(literal(c) for c in unknown.head(5)) + (" …" if len(unknown) > 5 else "")
    examples_zh = "、".join(literal(c) for c in unknown.head(5)) + (" …" if len(unknown) > 5 else "")
    lines, net = int(theirs.sum()), orders.loc[theirs, "amount"].sum()
    note(
        LABELS.say(
            f"**{len(unknown):,} {'customer is' if len(unknown) == 1 else 'customers are'} in the order lines "
            "but not in the customer master** "
            f"({lines:,} kept order lines, net {net:,.2f} {currency}): "
            f"{examples}. They are kept and graded on what they bought, without industry, region or contacts; "
            "ask the client for their master records.",
            f"**有 {len(unknown):,} 位客户出现在订单明细中，但不在客户主数据中**"
            f"（保留的订单明细 {lines:,} 行，净额 {net:,.2f} {currency}）：{examples_zh}。"
            "这些客户均予保留，并按其购买记录参与分级，但缺少行业、地区和联系人信息；请向客户索取其主数据记录。",
        )
    )


def customer_base_preview(customers: pd.DataFrame, currency: str, n: int = 10) -> Table | None:
    """The top customers by spend up to the as-of date, as the clean base table shows them (masked); None without
    customers (a lead history)."""
    if customers.empty:
        return None
    columns = [
        "customer_id",
        "customer_name",
        "industry",
        "region",
        "country",
        "contact_phone_masked",
        "last_order_date",
        "orders_count",
        "total_spend",
    ]
    cols = [c for c in columns if c in customers and customers[c].notna().any()]
    headers = {c: _header(c, currency if c == "total_spend" else None) for c in cols}
    top = customers.sort_values("total_spend", ascending=False).head(n)[cols].rename(columns=headers)
    return Table(
        top,
        money=[headers["total_spend"]],
        ints=[headers.get("orders_count", "")],
        dates=[headers.get("last_order_date", "")],
        uid="customers",
    )
