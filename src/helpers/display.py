"""How notebooks show things to a reviewer: titles, formatted tables, notes.

Tables render as styled HTML in reports and as plain text in a terminal, and
both forms are deterministic (no random element ids, no memory addresses), so
a notebook test can compare them cell by cell.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from IPython.display import Markdown, display

from helpers.periods import Period


class Table:
    """A DataFrame with number formats, shown as HTML or text.

    Parameters
    ----------
    frame
        The data (its index is hidden; put labels in columns).
    money, pct, ints, decimals, dates
        Columns to show with thousands separators and 2 decimals, as percent
        (values already ×100) with 1 decimal, as whole numbers, with 2
        decimals, and as ISO dates.
    right
        Text columns that hold figures already formatted: aligned right like numbers.
    caption
        Shown above the table.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        money: Iterable[str] = (),
        pct: Iterable[str] = (),
        ints: Iterable[str] = (),
        decimals: Iterable[str] = (),
        dates: Iterable[str] = (),
        right: Iterable[str] = (),
        caption: str | None = None,
        uid: str = "t",
    ) -> None:
        self.frame = frame.reset_index(drop=True)
        self.formats: dict[str, str] = {}
        for cols, fmt in ((money, "{:,.2f}"), (pct, "{:.1f}%"), (ints, "{:,.0f}"), (decimals, "{:,.2f}")):
            self.formats.update({c: fmt for c in cols if c in self.frame})
        self.dates = [c for c in dates if c in self.frame]
        self.right = [c for c in right if c in self.frame]
        self.caption = caption
        self.uid = uid

    def _text_frame(self) -> pd.DataFrame:
        out = self.frame.copy()
        for col, fmt in self.formats.items():
            out[col] = out[col].map(lambda v, f=fmt: "n/a" if pd.isna(v) else f.format(v))
        for col in self.dates:
            out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d").fillna("n/a")
        return out.astype(object).where(out.notna(), "n/a")

    def _repr_html_(self) -> str:
        styler = self._text_frame().style.hide(axis="index").set_uuid(self.uid)
        numeric = [*self.formats, *self.right]
        text = [c for c in self.frame.columns if c not in numeric]
        if numeric:
            styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
        if text:
            styler = styler.set_properties(subset=text, **{"text-align": "left"})
        # Headers sit over their column's content: left over text, right over numbers.
        styler = styler.set_table_styles(
            {c: [{"selector": "th", "props": f"text-align: {'right' if c in numeric else 'left'}"}]
             for c in self.frame.columns},
            overwrite=False,
        )
        if self.caption:
            styler = styler.set_caption(self.caption)
        return styler.to_html()

    def __repr__(self) -> str:
        text = self._text_frame().to_string(index=False)
        return f"{self.caption}\n{text}" if self.caption else text


def show_title(stage: str, period: Period, dataset_title: str) -> None:
    """The report's heading: stage name, period, as-of date and dataset."""
    display(
        Markdown(
            f"# {stage} — {period.label}\n\n"
            f"**Period:** {period.label} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}) · "
            f"**As of:** {period.as_of:%Y-%m-%d} · **Data:** {dataset_title}"
        )
    )


def note(text: str) -> None:
    """A plain-language remark for the reviewer (Markdown)."""
    display(Markdown(text))


def written_tables(written: dict[str, Path], root: Path) -> Table:
    """The tables a stage wrote for the next stages, with their row counts."""
    frame = pd.DataFrame(
        {
            "table": list(written),
            "file": [str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in written.values()],
            "rows": [pq.ParquetFile(p).metadata.num_rows for p in written.values()],
        }
    )
    return Table(frame, ints=["rows"], caption="Tables written for the next stages", uid="outputs")
