"""How notebooks show things to a reviewer: titles, formatted tables, notes.

Tables render as styled HTML in reports and as plain text in a terminal, and
both forms are deterministic (no random element ids, no memory addresses), so
a notebook test can compare them cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import Markdown, display

from helpers.core.labels import LABELS

if TYPE_CHECKING:
    from helpers.pipeline.context import StageContext

__all__ = ["note", "outputs_table", "show_title", "Table"]


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
            {
                c: [{"selector": "th", "props": f"text-align: {'right' if c in numeric else 'left'}"}]
                for c in self.frame.columns
            },
            overwrite=False,
        )
        if self.caption:
            styler = styler.set_caption(self.caption)
        return styler.to_html()

    def __repr__(self) -> str:
        text = self._text_frame().to_string(index=False)
        return f"{self.caption}\n{text}" if self.caption else text


def show_title(stage: StageContext, data_title: str) -> None:
    """The report's heading: stage number and title, period, as-of date and dataset."""
    spec, period = stage.spec, stage.period
    display(
        Markdown(
            f"# {spec.number:02d} · {spec.title} — {period.label}\n\n"
            f"**Period:** {period.label} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}) · "
            f"**As of:** {period.as_of:%Y-%m-%d} · **Data:** {data_title}"
        )
    )


def note(text: str) -> None:
    """A plain-language remark for the reviewer (Markdown)."""
    display(Markdown(text))


def outputs_table(stage: StageContext) -> Table:
    """What the stage wrote (after ``stage.run()``): each output, its file in the period's folder and its rows."""
    rows = []
    for output in stage.spec.outputs:
        record = stage.written.get(output.name)
        if record is None:
            continue
        folder = stage.paths.folder(output.place, stage.period.label)
        rows.append(
            {
                "output": output.description,
                "file": stage.paths.relative(folder / record["file"]),
                "rows": record.get("rows", float("nan")),
            }
        )
    headers = LABELS.headers(["output", "file", "rows"])
    frame = pd.DataFrame(rows, columns=list(headers)).rename(columns=headers)
    return Table(frame, ints=[headers["rows"]], caption=LABELS.text("caption", "outputs"), uid="outputs")
