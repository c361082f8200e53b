"""The findings of stage 01, first on its report: what was read, what was kept, what the client should fix.

A reviewer reads these lines and may skip the rest; every figure is the one the tables below print (the same
record and reconciliation feed both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpers.cleaning.ledger import reason_label
from helpers.core.labels import LABELS
from helpers.reporting.display import note

if TYPE_CHECKING:
    from helpers.cleaning.stage import CleaningRun

__all__ = ["findings", "findings_note"]

#: Exclusion reasons only the client can remove, at the source (a value missing or unreadable, a row that matches
#: nothing); the others (cancelled orders, duplicates, test accounts) are the rules working as meant.
_FIX_AT_SOURCE = ("missing_", "invalid_", "unmatched_")


def _reasons(counts: list[tuple[str, int]], *, unit: str = "") -> str:
    """Reasons with their row counts, in the report's language (``unit``: the English word after each count)."""
    en = ", ".join(f"{reason_label(code)} ({n:,}{unit})" for code, n in counts)
    zh = "、".join(f"{reason_label(code)}（{n:,} 行）" for code, n in counts)
    return LABELS.say(en, zh)


def findings(run: CleaningRun) -> list[str]:
    """Three to five findings in plain words, with their numbers (Markdown list items without the dash)."""
    record, recon = run.record, run.reconciliation
    tables = record.get("tables", {})
    read, kept_rows = int(record["input_rows"]), int(record["kept_rows"])
    excluded = read - kept_rows
    lines = [
        LABELS.say(
            f"**Every raw row is accounted for:** {read:,} rows read from {len(tables)} table(s); "
            f"{kept_rows:,} kept and {excluded:,} excluded, each with its reason.",
            f"**每一行原始数据均有去向：** 从 {len(tables)} 张表中共读取 {read:,} 行；"
            f"保留 {kept_rows:,} 行，剔除 {excluded:,} 行，每一行剔除均注明原因。",
        )
    ]
    orders = tables.get("orders")
    if orders:
        kept = recon.loc[recon["step"] == "kept_total"].iloc[0]
        reasons = sorted(orders["excluded_rows"].items(), key=lambda kv: -kv[1])
        top = _reasons(reasons[:3])
        order_kept, order_read = int(orders["kept_rows"]), int(orders["input_rows"])
        rate = f"{orders['kept_rows'] / max(orders['input_rows'], 1):.1%}"
        net = f"{kept['amount']:,.0f} {run.currency}"
        lines.append(
            LABELS.say(
                f"**Order lines:** {order_kept:,} of {order_read:,} kept ({rate}), net {net}"
                + (f"; excluded mostly as {top}." if top else "; none excluded."),
                f"**订单明细：** {order_read:,} 行中保留 {order_kept:,} 行（{rate}），净额 {net}"
                + (f"；剔除原因主要为{top}。" if top else "；无剔除行。"),
            )
        )
        known = run.result.notes.get("known_customers")
        if known is not None:
            raw_ids = int(record.get("raw_customer_ids", known))
            lines.append(
                LABELS.say(
                    f"**Customers:** {int(known):,} form the customer base of the period "
                    f"({raw_ids:,} distinct customer ids in the raw orders).",
                    f"**客户：** 本期客户基数为 {int(known):,} 位（原始订单中共有 {raw_ids:,} 个不同的客户编号）。",
                )
            )
    warnings = run.warnings
    lines.append(
        LABELS.say(
            f"**{len(warnings)} data warning(s)** follow: read them before any figure.",
            f"**以下有 {len(warnings)} 条数据警告**，请先阅读，再看任何数字。",
        )
        if warnings
        else LABELS.say(
            "**No data warnings:** every table mapped was found and every row placed.",
            "**无数据警告：** 映射的每张表均已找到，每一行均已归类。",
        )
    )
    fixable = {
        code: n
        for entry in tables.values()
        for code, n in entry.get("excluded_rows", {}).items()
        if code.startswith(_FIX_AT_SOURCE)
    }
    if fixable:
        listed = _reasons(sorted(fixable.items()), unit=" rows")
        lines.append(
            LABELS.say(
                f"**What to do:** ask the client's data owner to correct these at the source — {listed}; they stay out "
                "of every figure until then.",
                f"**建议：** 请客户的数据负责人在源头更正以下问题——{listed}；更正之前，这些行不计入任何数字。",
            )
        )
    else:
        lines.append(
            LABELS.say(
                "**What to do:** nothing in the data needs the client's correction before the grading.",
                "**建议：** 数据中没有需要客户在分级前更正的内容。",
            )
        )
    return lines


def findings_note(run: CleaningRun) -> None:
    """The findings as the report's first lines."""
    note("\n".join(f"- {line}" for line in findings(run)))
