"""``reports/index.html``: the last good run of every period, newest first.

Each period that has had a good run gets a row: its data, the stage reports
(with a warning on a stage older than the tables it read), the workbooks, when
it ran and the order lines kept. A later failed attempt is mentioned in the
row with a link to its report; a period that never ran well gets no row (its
failed attempt stays in ``reports/failed-runs/`` for diagnosis). Every text
from data is HTML-escaped; the page loads nothing from the network.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpers.core.catalog import ProjectPaths
from helpers.core.errors import PeriodError
from helpers.core.periods import Period, parse_period
from helpers.io.files import read_record, write_text
from helpers.io.manifest import read_manifest

__all__ = ["CLEANING_RECORD", "outdated_stages", "write_index"]

#: Stage 01's record of the data read and the rows kept, in the period's processed folder.
CLEANING_RECORD = "cleaning.json"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #1f2328; margin: 0; line-height: 1.5; }
main { max-width: 68rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
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
@media print { a { color: inherit; text-decoration: none; } h1 { break-after: avoid; } }
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


def _reports_cell(period: str, manifest: dict[str, Any], folder: Path) -> str:
    outdated = outdated_stages(manifest)
    items = []
    for key, entry in manifest.get("stages", {}).items():
        title = f"{key[:2]} {entry.get('title', key)}"
        report = entry.get("report")
        line = (
            _link(period, Path(report).name, title)
            if report and (folder / Path(report).name).is_file()
            else f'{html.escape(title)} <span class="muted">(no report: written by hand in a notebook)</span>'
        )
        if key in outdated:
            line += (
                f' <span class="warn">— older than its inputs ({html.escape(", ".join(outdated[key]))}); '
                "run this stage again</span>"
            )
        items.append(f"<li>{line}</li>")
    books = [f"<li>{_link(period, p.name, p.name)}</li>" for p in sorted(folder.glob("*.xlsx"))]
    if books:
        items.append(f'<li><span class="muted">Workbooks (Excel):</span><ul>{"".join(books)}</ul></li>')
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="muted">no report</span>'


def _run_cell(manifest: dict[str, Any], attempt: dict[str, Any], paths: ProjectPaths, period: str) -> str:
    run = manifest.get("run", {})
    when = str(run.get("finished_at", ""))[:16].replace("T", " ")
    seconds = run.get("seconds")
    took = f" · {seconds:.0f} s" if isinstance(seconds, (int, float)) else ""
    cell = f'<span class="ok">last good run</span><br><span class="muted">{html.escape(when)}{took}</span>'
    if attempt and str(attempt.get("finished_at", "")) > str(run.get("finished_at", "")):
        tried = str(attempt.get("finished_at", ""))[:16].replace("T", " ")
        report = attempt.get("report")
        link = (" " + _link(f"failed-runs/{period}", str(report), "its report")) if report else ""
        cell += (
            f'<br><span class="failed">a later attempt on {html.escape(tried)} failed: '
            f"{html.escape(str(attempt.get('error', '')))}</span>{link}"
        )
    return cell


def _rows_cell(cleaning: dict[str, Any]) -> str:
    orders = cleaning.get("tables", {}).get("orders", {})
    kept, total = orders.get("kept_rows"), orders.get("input_rows")
    if not isinstance(kept, int) or not isinstance(total, int):
        return '<span class="muted">–</span>'
    return f"{kept:,} / {total:,}"


def _row(period: Period, paths: ProjectPaths) -> str:
    manifest = read_manifest(paths.manifest(period.label))
    attempt = read_record(paths.failed(period.label) / "attempt.json")
    folder = paths.folder("reports", period.label)
    # The data's title and row accounting come from stage 01's own record: its one source.
    cleaning = read_record(paths.folder("processed", period.label) / CLEANING_RECORD)
    return (
        f"<tr><td>{html.escape(period.label)}</td>"
        f"<td>{html.escape(str(cleaning.get('mapping_title', '–')))}</td>"
        f"<td>{_reports_cell(period.label, manifest, folder)}</td>"
        f"<td>{_run_cell(manifest, attempt, paths, period.label)}</td>"
        f'<td class="num">{_rows_cell(cleaning)}</td></tr>'
    )


def write_index(paths: ProjectPaths) -> Path:
    """Write ``reports/index.html`` (atomically) from the periods' manifests and failed attempts.

    Returns
    -------
    Path
        The index file.
    """
    rows = "\n".join(_row(p, paths) for p in _periods(paths))
    body = (
        "<table><thead><tr><th>Period (期间)</th><th>Data (数据)</th><th>Reports (报告)</th><th>Run (运行)</th>"
        '<th class="num">Order lines kept / raw</th></tr></thead>'
        f"<tbody>\n{rows}\n</tbody></table>"
        if rows
        else '<p class="muted">No reports yet: run <code>grading run --period … --data …</code>.</p>'
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customer grading reports</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>Customer grading reports <span lang="zh">客户分级报告</span></h1>
{body}
</main>
</body>
</html>
"""
    return write_text(paths.index, page)
