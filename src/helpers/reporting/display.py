"""How notebooks show things to a reviewer: titles, formatted tables, notes.

Tables render as styled HTML in reports and as plain text in a terminal, and
both forms are deterministic (no random element ids, no memory addresses), so
a notebook test can compare them cell by cell.

Everything shown comes from data somewhere (a customer's name, an industry as
spelled, a sheet name), so nothing here is passed to a browser as markup: table
cells, headers and captions are HTML-escaped, and notes are escaped first and
only then given their few marks (``**bold**``, ``*italic*``, `` `code` ``,
blank-line paragraphs). A name like ``<script>…</script>`` reads as itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import display

from helpers.core.labels import LABELS, in_language

if TYPE_CHECKING:
    from helpers.pipeline.context import StageContext

__all__ = [
    "display_all",
    "internal",
    "literal",
    "note",
    "Note",
    "outputs_table",
    "set_audience",
    "set_text_limit",
    "setting_ref",
    "show_title",
    "Table",
]

#: Longest text shown in a table cell or a note's value: ``reports.max_text_chars``, set by ``open_stage``
#: (None, no limit, until then).
_TEXT_LIMIT: dict[str, int | None] = {"chars": None}


def set_text_limit(chars: int | None) -> None:
    """Cut texts longer than ``chars`` in the tables and notes shown from now on (they end in "…")."""
    _TEXT_LIMIT["chars"] = chars


#: Who reads the report: ``reports.audience``, set by ``open_stage``. Analysts in JupyterLab see everything until then.
_AUDIENCE: dict[str, str] = {"reader": "internal"}


def set_audience(audience: str) -> None:
    """``client`` or ``internal``: what the notes and tables shown from now on may say (see :func:`internal`)."""
    _AUDIENCE["reader"] = audience


def internal() -> bool:
    """Whether the report is for the team that runs the toolkit: it may then name settings keys, files and models.

    A client's page never shows a settings key, a file path, a fingerprint or a model table; such details are
    shown only when this is true (or sit in notebook cells tagged ``internal``, which the client's HTML leaves
    out: :mod:`helpers.reporting.html`).
    """
    return _AUDIENCE["reader"] == "internal"


def setting_ref(key: str, file: str = "settings.yaml") -> str:
    """`` (`key` in `config/file`)`` for the team that tunes the settings; nothing for a client's page."""
    return f" (`{key}` in `config/{file}`)" if internal() else ""


def _cut(value: object) -> object:
    """A text cut to the limit; other values as they are."""
    limit = _TEXT_LIMIT["chars"]
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


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
        out = out.astype(object).where(out.notna(), "n/a")
        return out.map(_cut) if len(out) else out

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
            styler = styler.set_caption(html.escape(self.caption))
        return styler.format(escape="html").format_index(escape="html", axis=1).to_html()

    def __repr__(self) -> str:
        text = self._text_frame().to_string(index=False)
        return f"{self.caption}\n{text}" if self.caption else text


def display_all(*items: object) -> None:
    """Display the tables that exist (a section whose data are missing, or whose model was not fitted, has none)."""
    for item in items:
        if item is not None:
            display(item)


def show_title(stage: StageContext, data_title: str, first: Sequence[str] = ()) -> None:
    """The report's heading: stage number and title, period, as-of date and dataset; then ``first``, sentences a
    reader must see before any figure (data without order lines …), in bold."""
    spec, period = stage.spec, stage.period
    display(
        Note(
            LABELS.say(
                f"**Period:** {period.label} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}) · "
                f"**As of:** {period.as_of:%Y-%m-%d} · **Data:** {literal(data_title)}",
                f"**期间：**{period.label}（{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}）· "
                f"**截止日期：**{period.as_of:%Y-%m-%d} · **数据：**{literal(data_title)}",
            ),
            heading=f"{spec.number:02d} · {spec.title} — {period.label}",
        )
    )
    for sentence in first:
        text = str(sentence)
        display(Note(f"**{literal(text[:1].upper() + text[1:])}.**"))


_MARKS = re.compile(r"\\([\\`*])|`([^`]*)`")
_STRONG = re.compile(r"\*\*(.+?)\*\*", re.S)
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S)
_HOLD = "\ue000{}\ue001"  # private-use marks: a placeholder no text from data can contain after escaping


def literal(value: object) -> str:
    """``value`` as text a note shows exactly as it is: its ``*``, `` ` `` and ``\\`` are not marks.

    Not for inside a code span (marks are not read there, so neither are escapes).
    """
    return re.sub(r"([\\`*])", r"\\\1", str(_cut(str(value))))


def _inline(text: str) -> str:
    """One paragraph: escaped, then code spans, backslash escapes, bold and italic as tags."""
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        escaped, code = match.groups()
        held.append(escaped if escaped is not None else f"<code>{code}</code>")
        return _HOLD.format(len(held) - 1)

    text = _MARKS.sub(hold, html.escape(text.replace("\ue000", "").replace("\ue001", ""), quote=True))
    text = _EM.sub(r"<em>\1</em>", _STRONG.sub(r"<strong>\1</strong>", text))
    return re.sub("\ue000(\\d+)\ue001", lambda m: held[int(m.group(1))], text)


def _block(paragraph: str) -> str:
    """A paragraph, or a bulleted list when every line of it starts with ``- ``."""
    lines = paragraph.strip().splitlines()
    if all(line.startswith("- ") for line in lines):
        return "<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>"
    return f"<p>{_inline(paragraph)}</p>"


class Note:
    """A remark for the reviewer: safe HTML in reports, the text itself in a terminal.

    Parameters
    ----------
    text
        Plain text with a few marks: ``**bold**``, ``*italic*``, `` `code` ``,
        blank lines between paragraphs, and lists (a paragraph whose lines all
        start with ``- ``). Put values from data through :func:`literal` so
        their own ``*`` or `` ` `` are not read as marks; either way, no text
        becomes markup (everything is HTML-escaped).
    heading
        A title shown above the text (a level-1 heading).
    """

    def __init__(self, text: str, *, heading: str | None = None) -> None:
        # Written "English (中文)": shown in the report's language (helpers.core.labels.in_language).
        self.text = in_language(text, LABELS.language)
        self.heading = None if heading is None else in_language(f"# {heading}", LABELS.language)[2:]

    def _repr_html_(self) -> str:
        paragraphs = [p for p in re.split(r"\n\s*\n", self.text.strip()) if p.strip()]
        body = "".join(_block(p) for p in paragraphs)
        return (f"<h1>{html.escape(self.heading)}</h1>" if self.heading else "") + body

    def __repr__(self) -> str:
        return f"{self.heading}\n\n{self.text}" if self.heading else self.text


def note(text: str) -> None:
    """Show a plain-language remark for the reviewer (see :class:`Note` for its marks)."""
    display(Note(text))


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
