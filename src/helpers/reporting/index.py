"""``reports/index.html``: the front page — the last good run of every period, newest first.

Each period that has had a good run gets a section: its dates and data, when it last ran well (and the order lines
kept), its grading report first (the reviewer's page), then the stage reports with one line each on what they
answer (with a warning on a stage older than the tables it read), the Excel workbooks for the client's team, and
the alert digests with what became of each. A later failed attempt is mentioned with a link to its report; a
period that never ran well gets no section (its failed attempt stays in ``reports/failed-runs/`` for diagnosis).
What each file is comes from the stage declarations. Every text from data is HTML-escaped; the page loads nothing
from the network.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpers.core.catalog import ProjectPaths
from helpers.core.errors import PeriodError
from helpers.core.labels import LABELS, Label, Language
from helpers.core.periods import Period, parse_period
from helpers.io.files import read_record, write_text
from helpers.io.manifest import read_manifest
from helpers.reporting.pdf import pdf_name

__all__ = ["CLEANING_RECORD", "outdated_stages", "write_index"]

#: Stage 01's record of the data read and the rows kept, in the period's processed folder.
CLEANING_RECORD = "cleaning.json"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #1f2328; margin: 0; line-height: 1.5; }
main { max-width: 68rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.3rem; }
h2 { font-size: 1.3rem; margin: 0 0 0.2rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.3rem; }
section.period { border-top: 2px solid #d0d7de; padding: 1rem 0 1.2rem; }
.start { background: #f6f8fa; border-left: 4px solid #0969da; padding: 0.6rem 0.9rem; margin: 0.8rem 0; }
.start a { font-size: 1.1rem; font-weight: 600; }
li { margin: 0.15rem 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.45rem 0.7rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fafbfc; }
.num { text-align: right; white-space: nowrap; }
ul { margin: 0; padding-left: 1.1rem; }
a { color: #0969da; }
.failed { color: #cf222e; }
.warn { color: #9a6700; }
.ok { color: #1a7f37; }
.muted { color: #656d76; }
@media print { a { color: inherit; text-decoration: none; } h1, h2, h3 { break-after: avoid; }
  section.period { break-inside: avoid; } }
"""


def _periods(paths: ProjectPaths) -> list[Period]:
    """Periods with a good run (a manifest), newest first; other folders are ignored."""
    found = []
    root = paths.processed_root
    for folder in root.iterdir() if root.is_dir() else []:
        if not (folder / "manifest.json").is_file():
            continue
        try:
            found.append(parse_period(folder.name))
        except PeriodError:
            continue
    # A month ends no later than its quarter and year, and starts later: it comes first.
    return sorted(found, key=lambda p: (p.end, p.start), reverse=True)


def outdated_stages(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Stages whose recorded inputs differ from what the earlier stages' outputs are now.

    That happens after running an earlier stage alone (``--stages 01``): the later
    stages' tables and reports are still those of the older run. Unlike
    :meth:`helpers.pipeline.context.StageContext.status`, this reads the manifest only
    (the index has no data path to hash the raw files with).

    Returns
    -------
    dict
        Stage key -> the inputs that changed since it ran.
    """
    stages: dict[str, Any] = manifest.get("stages", {})
    current = {name: out.get("sha256") for entry in stages.values() for name, out in entry.get("outputs", {}).items()}
    outdated = {}
    for key, entry in stages.items():
        changed = [name for name, sha in entry.get("inputs", {}).items() if name in current and sha != current[name]]
        if changed:
            outdated[key] = changed
    return outdated


def _link(folder: str, name: str, text: str) -> str:
    return f'<a href="{quote(folder)}/{quote(name)}">{html.escape(text)}</a>'


#: The stage whose report is the period's front page, shown first.
_FRONT_STAGE = "06_grading_report"


def _text(key: str, language: Language, **values: object) -> str:
    """A word or sentence of the index in ``language``, HTML-escaped (values from data included)."""
    return html.escape(LABELS.format("index_text", key, language, **values))


def _heading(key: str, language: Language) -> str:
    return html.escape(LABELS.text("index", key, language))


def _stage_line(
    period: str, key: str, entry: dict[str, Any], folder: Path, outdated: dict[str, list[str]], language: Language
) -> str:
    """A stage's report linked, with what it answers (from its declaration) and a warning when it is outdated."""
    from helpers.pipeline import registry

    declared = next((s for s in registry.stages() if s.key == key), None)
    named = Label(declared.title_zh, declared.title_en).render(language) if declared else entry.get("title", key)
    title = f"{key[:2]} {named}"
    report = entry.get("report")
    line = (
        _link(period, Path(report).name, title)
        if report and (folder / Path(report).name).is_file()
        else f'{html.escape(title)} <span class="muted">({_text("by_hand", language)})</span>'
    )
    if declared:
        line += f' <span class="muted">— {html.escape(declared.question_in(language))}</span>'
    if key in outdated:
        line += f' <span class="warn">— {_text("outdated", language, inputs=", ".join(outdated[key]))}</span>'
    return line


def _deliverables(period: str, manifest: dict[str, Any], folder: Path, language: Language) -> str:
    """The workbooks (the grading report's first; what each holds, from the declarations) and the digests, grouped
    by what became of them."""
    from helpers.pipeline import registry

    declared = sorted(
        (s.key != _FRONT_STAGE, s.number, o.filename(period), o.description_zh if language == "zh" else o.description)
        for s in registry.stages()
        for o in s.outputs
        if o.place == "reports" and o.kind == "workbook"
    )
    described = {name: text for *_, name, text in declared}
    order = {name: i for i, (*_, name, _) in enumerate(declared)}
    books = [
        f"<li>{_link(period, p.name, p.name)}"
        + (f' <span class="muted">— {html.escape(described[p.name])}</span>' if p.name in described else "")
        + "</li>"
        for p in sorted(folder.glob("*.xlsx"), key=lambda p: (order.get(p.name, len(order)), p.name))
    ]
    out = f"<h3>{_heading('workbooks', language)}</h3><ul>{''.join(books)}</ul>" if books else ""
    pdf = folder / pdf_name(period)
    if pdf.is_file():
        out += (
            f"<h3>{_heading('to_print', language)}</h3><ul><li>{_link(period, pdf.name, pdf.name)} "
            f'<span class="muted">— {_text("pdf", language)}</span></li></ul>'
        )
    delivered: dict[str, Any] = {}
    errors = []
    for entry in manifest.get("stages", {}).values():
        delivered |= (entry.get("delivery") or {}).get("digests", {})
        if (entry.get("delivery") or {}).get("error"):
            errors.append(f'<li><span class="failed">{html.escape(str(entry["delivery"]["error"]))}</span></li>')
    groups: dict[str, list[str]] = {}
    for p in sorted(folder.glob("*/*.eml")):
        record = delivered.get(p.name, {})
        status = record.get("status")
        said = (
            f'<span class="ok">{_text("sent", language, when=str(record.get("sent_at") or "")[:16].replace("T", " "))}'
            "</span>"
            if status == "sent"
            else f'<span class="warn">{html.escape(_status(status, language))}: '
            f"{html.escape(str(record.get('detail', '')))}</span>"
            if status
            else f'<span class="muted">{_text("written", language)}</span>'
        )
        name = LABELS.text("index_text", "no_owner", language) if p.stem == "all" else p.stem.replace("_", " ")
        groups.setdefault(said, []).append(_link(period, p.relative_to(folder).as_posix(), name))
    mails = [*errors, *(f"<li>{said}: {', '.join(links)}</li>" for said, links in groups.items())]
    if mails:
        out += f"<h3>{_heading('digests', language)}</h3><ul>{''.join(mails)}</ul>"
    return out


def _status(status: str, language: Language) -> str:
    """A delivery status (sent, failed, not sent) in ``language``; one the registry does not know as it is."""
    return LABELS.text("digest_status", status, language) if LABELS.has("digest_status", status) else status


def _reports(period: str, manifest: dict[str, Any], folder: Path, language: Language) -> str:
    outdated = outdated_stages(manifest)
    stages = manifest.get("stages", {})
    front = ""
    if _FRONT_STAGE in stages:
        front = (
            f'<div class="start">{_heading("start_here", language)}: '
            f"{_stage_line(period, _FRONT_STAGE, stages[_FRONT_STAGE], folder, outdated, language)}</div>"
        )
    items = [
        f"<li>{_stage_line(period, k, e, folder, outdated, language)}</li>"
        for k, e in stages.items()
        if k != _FRONT_STAGE
    ]
    listed = f"<h3>{_heading('stage_reports', language)}</h3><ul>{''.join(items)}</ul>" if items else ""
    body = front + listed + _deliverables(period, manifest, folder, language)
    return body or f'<p class="muted">{_text("no_report", language)}</p>'


def _run_line(
    manifest: dict[str, Any], attempt: dict[str, Any], period: str, cleaning: dict[str, Any], language: Language
) -> str:
    run = manifest.get("run", {})
    when = str(run.get("finished_at", ""))[:16].replace("T", " ")
    seconds = run.get("seconds")
    took = f" · {seconds:.0f} s" if isinstance(seconds, (int, float)) else ""
    good = _text("last_good_run", language)
    line = f'<span class="ok">{good}</span> <span class="muted">{html.escape(when)}{took}</span>'
    rows = _rows(cleaning)
    if rows:
        line += f' · <span class="muted">{_text("rows", language)}: {rows}</span>'
    if attempt and str(attempt.get("finished_at", "")) > str(run.get("finished_at", "")):
        tried = str(attempt.get("finished_at", ""))[:16].replace("T", " ")
        report = attempt.get("report")
        its = LABELS.text("index_text", "its_report", language)
        link = (" " + _link(f"failed-runs/{period}", str(report), its)) if report else ""
        failed = _text("later_failed", language, when=tried, error=str(attempt.get("error", "")))
        line += f'<br><span class="failed">{failed}</span>{link}'
    return f"<p>{line}</p>"


def _rows(cleaning: dict[str, Any]) -> str:
    orders = cleaning.get("tables", {}).get("orders", {})
    kept, total = orders.get("kept_rows"), orders.get("input_rows")
    if not isinstance(kept, int) or not isinstance(total, int):
        return ""
    return f"{kept:,} / {total:,}"


def _section(period: Period, paths: ProjectPaths, language: Language) -> str:
    manifest = read_manifest(paths.manifest(period.label))
    attempt = read_record(paths.failed(period.label) / "attempt.json")
    folder = paths.folder("reports", period.label)
    # The data's title and row accounting come from stage 01's own record: its one source.
    cleaning = read_record(paths.folder("processed", period.label) / CLEANING_RECORD)
    data = cleaning.get("mapping_title")
    dates = f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"
    return (
        f'<section class="period"><h2>{html.escape(period.label)} '
        f'<span class="muted">{dates}{" · " + html.escape(str(data)) if data else ""}</span></h2>'
        f"{_run_line(manifest, attempt, period.label, cleaning, language)}"
        f"{_reports(period.label, manifest, folder, language)}</section>"
    )


def write_index(paths: ProjectPaths, language: Language = "both") -> Path:
    """Write ``reports/index.html`` (atomically) from the periods' manifests and failed attempts.

    Parameters
    ----------
    paths
        The project.
    language
        ``zh``, ``en`` or ``both``: every word of the page, from the label registry.

    Returns
    -------
    Path
        The index file.
    """
    sections = "\n".join(_section(p, paths, language) for p in _periods(paths))
    body = (
        f'<p class="muted">{_text("intro", language)}</p>\n' + sections
        if sections
        else f'<p class="muted">{_text("none_yet", language)} <code>grading run --period … --data …</code></p>'
    )
    title = html.escape(LABELS.text("index", "title", language))
    page = f"""<!DOCTYPE html>
<html lang="{"zh-CN" if language == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""
    return write_text(paths.index, page)
