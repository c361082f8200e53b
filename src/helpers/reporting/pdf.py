"""One printable PDF per period: the grading report first, then each stage report, each on a new page.

The executed notebooks of the period's stages are joined into one notebook (a page break between two stages),
rendered with the reviewers' template (:mod:`helpers.reporting.html`, its A4 print stylesheet) and printed by
headless Chromium when it is installed; without it, :func:`write_period_pdf` says so and the HTML reports stay the
deliverable (any browser prints them).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from helpers.core.errors import GradingError
from helpers.core.labels import LABELS
from helpers.reporting.html import export_html, report_choices

__all__ = ["BROWSERS", "find_browser", "pdf_name", "period_notebook", "write_period_pdf"]

#: Chromium's names on Debian, Ubuntu and with Google's packages, tried in order.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: The stage whose report opens the PDF.
FRONT_STAGE = "06_grading_report"
_PAGE_BREAK = '<div style="break-before: page; page-break-before: always"></div>'


def pdf_name(period: str) -> str:
    """The PDF's file name in the period's reports folder."""
    return f"grading_reports_{period}.pdf"


def find_browser() -> str | None:
    """The headless Chromium to print with, or None when none is installed."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def period_notebook(executed: Sequence[Path]) -> NotebookNode:
    """The executed notebooks joined in order (a page break before each after the first), the grading report's
    first when it is among them; each cell's id made unique by its stage."""
    ordered = sorted(executed, key=lambda p: (p.stem != FRONT_STAGE, p.name))
    joined = nbformat.v4.new_notebook()
    for i, path in enumerate(ordered):
        nb = nbformat.read(path, as_version=4)
        if i == 0:
            joined.metadata = nb.metadata
        else:
            brk = nbformat.v4.new_markdown_cell(_PAGE_BREAK)
            brk["id"] = f"page-break-{path.stem[:2]}"
            joined.cells.append(brk)
        for cell in nb.cells:
            if {"parameters", "injected-parameters"} & set(cell.get("metadata", {}).get("tags", [])):
                continue  # nothing a reader sees, and their ids would repeat from one stage to the next
            cell["id"] = f"{path.stem[:2]}-{cell.get('id', len(joined.cells))}"
            joined.cells.append(cell)
    return joined


def write_period_pdf(reports: Path, period: str, stages: Sequence[str], *, timeout: float = 300) -> Path:
    """Print the period's reports, found in ``reports`` (the executed ``<stage>.ipynb``), into one PDF there.

    Parameters
    ----------
    reports
        The period's reports folder (a run's staging folder before it commits).
    period
        The period label (the title and the file name).
    stages
        The stage keys to include, in pipeline order.

    Raises
    ------
    GradingError
        Without headless Chromium, without any executed report, or when Chromium fails (its message, one line).
    """
    browser = find_browser()
    if browser is None:
        raise GradingError(
            "no PDF: headless Chromium is not installed (Debian: apt install chromium fonts-noto-cjk); the HTML "
            "reports print from any browser"
        )
    executed = [reports / f"{key}.ipynb" for key in stages if (reports / f"{key}.ipynb").is_file()]
    if not executed:
        raise GradingError(f"no PDF: no executed report of {period} in {reports}")
    page = reports / f".print_{period}.html"
    target = reports / pdf_name(period)
    source = reports / f".print_{period}.ipynb"
    try:
        joined = period_notebook(executed)
        nbformat.write(joined, source)
        language, _ = report_choices(joined)
        export_html(source, page, f"{LABELS.text('index', 'title', language)} — {period}")
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={reports / '.print-profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GradingError(f"no PDF: Chromium could not print the reports ({type(exc).__name__}: {exc})") from None
    finally:
        for leftover in (page, source):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(reports / ".print-profile", ignore_errors=True)
    if done.returncode != 0 or not target.is_file():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise GradingError(f"no PDF: Chromium exited with {done.returncode} ({last})")
    return target
