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
from helpers.core.labels import LANGUAGES, Language, in_language
from helpers.io.files import write_text

__all__ = ["INTERNAL_TAG", "export_html", "failure_sentence", "report_choices"]

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


def failure_sentence(ename: str, evalue: str, language: Language = "both") -> str:
    """What failed and what to do, in plain words, for the top of a failed report (in Chinese for ``zh``; the
    error's own text stays as it was raised)."""
    user = is_user_error(ename)
    if language == "zh":
        what = evalue.rstrip(".") if user else f"工具遇到了无法解释的错误（{ename}: {evalue}）"
        todo = (
            "更正错误所指出的内容（文件、列或设置），然后重新运行本期"
            if user
            else "把本页旁边保存的已执行笔记本发给工具的维护人员"
        )
        return f"**本报告不完整：该阶段已停止。** {what}。处理办法：{todo}。本期上一次成功的报告和数据表保持不变。"
    if user:
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


def _failure_cell(ename: str, evalue: str, language: Language) -> NotebookNode:
    # The error's text may carry data (a file name, a cell's value): shown as text, never as markup or a link.
    what = _MARKDOWN.sub(r"\\\1", html.escape(evalue, quote=False))
    cell = nbformat.v4.new_markdown_cell(failure_sentence(ename, what, language))
    cell["id"] = "failure"
    return cell


#: The tag of the cells a client's report leaves out: settings, files, model tables, the tables for later stages.
#: (A Markdown text written in both languages is two cells tagged ``en`` and ``zh``: the report shows the one of its
#: language, ``en`` for ``both``.)
INTERNAL_TAG = "internal"


def report_choices(nb: NotebookNode) -> tuple[Language, str]:
    """The language and audience the notebook ran with (its Papermill parameters ``lang`` and ``audience``).

    A notebook not run by the runner (an analyst's own export) reads as it was written: both languages, everything.
    """
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    language = params.get("lang") or "both"
    audience = params.get("audience") or "internal"
    return (language if language in LANGUAGES else "both"), audience


def _for_reviewers(nb: NotebookNode, title: str) -> NotebookNode:
    """A copy of ``nb`` with reviewer-ready outputs and the report title in the run's language, the cells its
    audience does not read left out; a failed run opens with one sentence saying what failed and what to do, in
    place of Papermill's notice."""
    nb = copy.deepcopy(nb)
    language, audience = report_choices(nb)
    nb.metadata["title"] = in_language(title, language)  # the lab template puts this in <title>
    failed = _first_error(nb)
    dropped = {_PAPERMILL_ERROR_TAG} | ({INTERNAL_TAG} if audience == "client" else set())
    dropped |= {"en"} if language == "zh" else {"zh"}  # a text written twice: the Chinese cell or the English one
    nb.cells = [c for c in nb.cells if not dropped & set(c.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        if cell.cell_type == "markdown":  # written "English (中文)"; what code showed is in its language already
            cell.source = in_language(cell.source, language)
        if cell.cell_type == "code":
            cell.outputs = _reviewer_outputs(cell.outputs)
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            # Papermill gives the cell it adds a random id, which the HTML carries: two runs would differ.
            cell["id"] = "injected-parameters"
    if failed:
        heading = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
        nb.cells.insert(heading + 1, _failure_cell(*failed, language))  # under the title, before anything else
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
