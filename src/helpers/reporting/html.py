"""Render an executed notebook as a reviewer's HTML report.

Reviewers read only the HTML: no code, no prompts, no warnings, and a file that
opens offline (charts are inline base64 PNGs, CSS is inline, nothing is loaded
from a CDN). The template lives in ``helpers/reporting/templates/grading``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from helpers.io.files import write_text

__all__ = ["export_html"]

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
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            # Papermill gives the cell it adds a random id, which the HTML carries: two runs would differ.
            cell["id"] = "injected-parameters"
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
    return write_text(html_path, body)
