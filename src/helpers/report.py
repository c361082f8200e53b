"""Render an executed notebook as a reviewer's HTML report.

Reviewers read only the HTML: no code, no prompts, no warnings, and a file that
opens offline (charts are inline base64 PNGs, CSS is inline, nothing is loaded
from a CDN). The template lives in ``helpers/templates/grading``.
"""
from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from helpers.errors import PeriodError
from helpers.periods import Period, parse_period

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "grading"


def _reviewer_outputs(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """Drop stderr streams and cut error tracebacks to their last line.

    Warnings go to stderr and mean nothing to a reviewer; a failed cell keeps
    ``ename: evalue`` (our errors name file, column, row and value), while the
    full traceback stays in the executed ``.ipynb`` for the analyst.
    """
    kept = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            continue
        if out.get("output_type") == "error":
            out = copy.deepcopy(out)
            out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
        kept.append(out)
    return kept


def _for_reviewers(nb: NotebookNode, title: str) -> NotebookNode:
    """A copy of ``nb`` with reviewer-ready outputs and the report title."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title  # the lab template puts this in <title>
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _reviewer_outputs(cell.outputs)
    return nb


def _exporter() -> HTMLExporter:
    """An HTML exporter that hides code and prompts and uses our offline template."""
    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def export_html(executed_ipynb: Path, html_path: Path, title: str) -> Path:
    """Render an executed notebook to a self-contained HTML file.

    Parameters
    ----------
    executed_ipynb
        The notebook as executed by Papermill (outputs included; may be a
        partially executed notebook whose run failed).
    html_path
        Where to write the HTML; parent folders are created.
    title
        The page title, e.g. ``"01 Data cleaning — 2011-11"``.

    Returns
    -------
    Path
        ``html_path``.
    """
    nb = nbformat.read(executed_ipynb, as_version=4)
    body, _resources = _exporter().from_notebook_node(_for_reviewers(nb, title))
    # The resources are ignored on purpose: HTMLExporter extracts no files
    # (PNGs stay inline as data URIs), so the HTML is the whole report.
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def stage_title(stem: str) -> str:
    """A stage's human title from its notebook stem: ``01_data_cleaning`` → ``01 Data cleaning``."""
    number, _, name = stem.partition("_")
    return f"{number} {name.replace('_', ' ').capitalize()}".strip()


_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #1f2328; margin: 0; line-height: 1.5; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 0.45rem 0.7rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fafbfc; }
.num { text-align: right; white-space: nowrap; }
ul { margin: 0; padding-left: 1.1rem; }
a { color: #0969da; }
.failed { color: #cf222e; font-weight: 600; }
.ok { color: #1a7f37; }
.muted { color: #656d76; }
@media print { a { color: inherit; text-decoration: none; } h1 { break-after: avoid; } }
"""


def _periods(reports_dir: Path) -> list[Period]:
    """The period folders under ``reports_dir``, newest first; other folders are ignored."""
    found = []
    for folder in reports_dir.iterdir() if reports_dir.is_dir() else []:
        if not folder.is_dir():
            continue
        try:
            found.append(parse_period(folder.name))
        except PeriodError:
            continue
    # A month ends no later than its quarter and year, and starts later: it comes first.
    return sorted(found, key=lambda p: (p.end, p.start), reverse=True)


def _read_manifest(path: Path) -> dict[str, Any]:
    """A period's manifest, or ``{}`` when it is missing or unreadable (the index still lists the period)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _stage_links(folder: Path) -> str:
    items = [
        f'<li><a href="{quote(folder.name)}/{quote(page.name)}">{html.escape(stage_title(page.stem))}</a></li>'
        for page in sorted(folder.glob("*.html"))
    ]
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="muted">no report</span>'


def _run_cell(manifest: dict[str, Any]) -> str:
    if not manifest:
        return '<span class="muted">no manifest</span>'
    status = str(manifest.get("status", "?"))
    when = str(manifest.get("finished_at", ""))[:16].replace("T", " ")
    seconds = manifest.get("seconds")
    took = f" · {seconds:.0f} s" if isinstance(seconds, (int, float)) else ""
    css = "failed" if status == "failed" else "ok"
    return f'<span class="{css}">{html.escape(status)}</span><br><span class="muted">{html.escape(when)}{took}</span>'


def _rows_cell(manifest: dict[str, Any]) -> str:
    orders = manifest.get("tables", {}).get("orders", {})
    kept, total = orders.get("kept_rows"), orders.get("input_rows")
    if not isinstance(kept, int) or not isinstance(total, int):
        return '<span class="muted">–</span>'
    return f"{kept:,} / {total:,}"


def _index_row(period: Period, reports_dir: Path, processed_dir: Path) -> str:
    manifest = _read_manifest(processed_dir / period.label / "manifest.json")
    return (
        f"<tr><td>{html.escape(period.label)}</td>"
        f"<td>{html.escape(str(manifest.get('mapping_title', '–')))}</td><td>{_stage_links(reports_dir / period.label)}</td>"
        f"<td>{_run_cell(manifest)}</td><td class=\"num\">{_rows_cell(manifest)}</td></tr>"
    )


def write_index(reports_dir: Path, processed_dir: Path) -> Path:
    """Write ``reports_dir/index.html``: every period's stage reports, newest period first.

    Parameters
    ----------
    reports_dir
        The folder holding one sub-folder of HTML reports per period.
    processed_dir
        The folder holding ``<period>/manifest.json``, read for the run's status,
        time and row counts when present.

    Returns
    -------
    Path
        The index file written.
    """
    rows = "\n".join(_index_row(p, reports_dir, processed_dir) for p in _periods(reports_dir))
    body = (
        "<table><thead><tr><th>Period</th><th>Data</th><th>Stages</th><th>Run</th>"
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
<style>{_INDEX_CSS}</style>
</head>
<body>
<main>
<h1>Customer grading reports <span lang="zh">客户分级报告</span></h1>
{body}
</main>
</body>
</html>
"""
    reports_dir.mkdir(parents=True, exist_ok=True)
    index = reports_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
