"""Render an executed notebook as a reviewer's HTML report.

Reviewers read only the HTML: no code, no prompts, no warnings, and a file that
opens offline (charts are inline base64 PNGs, CSS is inline, nothing is loaded
from a CDN). The template lives in ``helpers/reporting/templates/grading``.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from helpers.core.errors import is_user_error
from helpers.io.files import write_text

__all__ = ["export_html", "failure_sentence"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "grading"


#: The tag of the cells Papermill adds to a failed notebook ("An Exception was encountered at In [4]").
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def _reviewer_outputs(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """Drop stderr streams (warnings mean nothing to a reviewer) and errors (said once, at the top of the page:
    see :func:`_failure_cell`); the full traceback stays in the executed ``.ipynb`` for the analyst."""
    return [
        out
        for out in outputs
        if out.get("output_type") != "error"
        and not (out.get("output_type") == "stream" and out.get("name") == "stderr")
    ]


def _first_error(nb: NotebookNode) -> tuple[str, str] | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                return str(out.get("ename", "Error")), str(out.get("evalue", ""))
    return None


def failure_sentence(ename: str, evalue: str) -> str:
    """What failed and what to do, in plain words, for the top of a failed report."""
    if is_user_error(ename):
        what, todo = evalue.rstrip("."), "correct what it names (a file, a column, a setting) and run the period again"
    else:
        what = f"the toolkit met an error it does not explain ({ename}: {evalue})".rstrip(".")
        todo = "send the executed notebook saved beside this page to whoever maintains the toolkit"
    return (
        f"**This report is incomplete: the stage stopped.** {what}. What to do: {todo}. The period's last good "
        "reports and tables are unchanged."
    )


#: Characters that would make Markdown of an error's text (a link, emphasis, code) — backslash-escaped.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def _failure_cell(ename: str, evalue: str) -> NotebookNode:
    # The error's text may carry data (a file name, a cell's value): shown as text, never as markup or a link.
    what = _MARKDOWN.sub(r"\\\1", html.escape(evalue, quote=False))
    cell = nbformat.v4.new_markdown_cell(failure_sentence(ename, what))
    cell["id"] = "failure"
    return cell


def _for_reviewers(nb: NotebookNode, title: str) -> NotebookNode:
    """A copy of ``nb`` with reviewer-ready outputs and the report title; a failed run opens with one sentence
    saying what failed and what to do, in place of Papermill's notice."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title  # the lab template puts this in <title>
    failed = _first_error(nb)
    nb.cells = [c for c in nb.cells if _PAPERMILL_ERROR_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _reviewer_outputs(cell.outputs)
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            # Papermill gives the cell it adds a random id, which the HTML carries: two runs would differ.
            cell["id"] = "injected-parameters"
    if failed:
        heading = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
        nb.cells.insert(heading + 1, _failure_cell(*failed))  # under the title, before anything else
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
