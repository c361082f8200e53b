"""helpers.reporting: reviewer HTML from an executed notebook, and the reports index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers.core.catalog import ProjectPaths
from helpers.reporting.html import export_html
from helpers.reporting.index import outdated_stages, write_index

PARAMETERS = 'period = ""\ndata = ""\nmapping = ""\nproject_root = ""'
PLOT = (
    "%matplotlib inline\n"
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(2, 1.5))\n"
    "ax.plot([1, 3, 2])\n"
    "plt.show()"
)
TABLE = "import pandas as pd\npd.DataFrame({'customer_id': ['c1', 'c2'], 'total_spend': [1250.5, 87.25]})"
WARN = "import warnings\nwarnings.warn('NOISY-WARNING-TEXT')\nprint('visible stdout', period)"
# Any src/href/url() that reaches the network, protocol-relative URLs included.
EXTERNAL_URL = re.compile(
    r"""(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I
)


def _stage_notebook() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_markdown_cell("# Tiny stage heading\n\nPlain-language text for reviewers."),
            new_code_cell(WARN),
            new_code_cell(PLOT),
            new_code_cell(TABLE),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real Papermill execution, rendered once for every test in this module."""
    tmp = tmp_path_factory.mktemp("report")
    source, executed = tmp / "01_tiny_stage.ipynb", tmp / "out" / "01_tiny_stage.ipynb"
    executed.parent.mkdir()
    nbformat.write(_stage_notebook(), source)
    papermill.execute_notebook(
        str(source), str(executed), parameters={"period": "2011-11"}, kernel_name="python3", progress_bar=False
    )
    html_path = export_html(executed, executed.with_suffix(".html"), "01 Tiny stage — 2011-11")
    return html_path, html_path.read_text(encoding="utf-8")


def test_title_is_the_given_title(rendered):
    _, html = rendered
    assert "<title>01 Tiny stage — 2011-11</title>" in html


def test_no_code_and_no_prompts(rendered):
    _, html = rendered
    body = html[html.index("<body") :]  # the inline CSS names every class
    for code in ("plt.subplots", "pd.DataFrame", "warnings.warn", "project_root ="):
        assert code not in body
    for css_class in ("jp-InputArea-editor", "jp-InputPrompt", "jp-OutputPrompt"):
        assert css_class not in body


def test_markdown_table_and_stdout_are_kept(rendered):
    _, html = rendered
    assert re.search(r"<h1[^>]*>Tiny stage heading", html)
    assert 'class="dataframe' in html and "1250.5" in html
    assert "visible stdout 2011-11" in html


def test_stderr_warnings_are_dropped(rendered):
    _, html = rendered
    assert "NOISY-WARNING-TEXT" not in html


def test_plot_is_an_inline_image_and_no_file_is_written_beside(rendered):
    html_path, html = rendered
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
    assert sorted(p.name for p in html_path.parent.iterdir()) == ["01_tiny_stage.html", "01_tiny_stage.ipynb"]


def test_opens_offline(rendered):
    _, html = rendered
    assert not EXTERNAL_URL.search(html), EXTERNAL_URL.search(html).group(0)
    assert "<script src" not in html


def _failed_notebook(path, ename, evalue):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 01 · Data cleaning", metadata={}),
            new_markdown_cell(
                '<span style="color:red">An Exception was encountered at <a href="#err">In [4]</a>.</span>',
                metadata={"tags": ["papermill-error-cell-tag"]},
            ),
            new_code_cell(
                "raise ...",
                outputs=[
                    new_output(
                        "error",
                        ename=ename,
                        evalue=evalue,
                        traceback=["\x1b[0;31m---------\x1b[0m", "Traceback frame in SECRET_FRAME", f"{ename}: x"],
                    )
                ],
            ),
        ]
    )
    nbformat.write(nb, path)
    return export_html(path, path.with_suffix(".html"), "t").read_text(encoding="utf-8")


def test_a_failed_report_opens_with_one_plain_sentence_on_what_failed_and_what_to_do(tmp_path):
    html = _failed_notebook(tmp_path / "failed.ipynb", "DataValidationError", "bad date (file a.csv, row 7)")
    text = re.sub(r"<[^>]+>", " ", html)
    assert "This report is incomplete" in text and "bad date (file a.csv, row 7)" in text
    assert "run the period again" in text and "last good" in text
    assert text.index("01 · Data cleaning") < text.index("This report is incomplete")  # under the title
    for jargon in ("SECRET_FRAME", "An Exception was encountered", "In [4]", "DataValidationError", "Traceback"):
        assert jargon not in text, jargon
    link = _failed_notebook(tmp_path / "link.ipynb", "DataValidationError", "bad [x](javascript:alert(1)) *here*")
    assert "javascript:alert" in link and 'href="javascript' not in link and "<em>" not in link  # text, not markup
    other = _failed_notebook(tmp_path / "bug.ipynb", "KeyError", "'monetary'")
    assert "KeyError: 'monetary'" in other and "whoever maintains the toolkit" in other  # a defect keeps its type


def _period(paths: ProjectPaths, label: str, stages: dict, cleaning: dict | None = None, **extra) -> None:
    """A period with a manifest, the reports it names and stage 01's record."""
    folder = paths.folder("reports", label)
    folder.mkdir(parents=True)
    for key, entry in stages.items():
        if entry.get("report"):
            (folder / f"{key}.html").write_text("<html></html>", encoding="utf-8")
    manifest = {"period": label, "stages": stages, **extra}
    paths.folder("processed", label).mkdir(parents=True)
    paths.manifest(label).write_text(json.dumps(manifest), encoding="utf-8")
    if cleaning:
        (paths.folder("processed", label) / "cleaning.json").write_text(json.dumps(cleaning), encoding="utf-8")


def _entry(title: str, key: str, period: str, inputs=None, outputs=None) -> dict:
    return {"title": title, "report": f"reports/{period}/{key}.html", "inputs": inputs or {}, "outputs": outputs or {}}


def test_index_lists_periods_with_a_good_run_newest_first(tmp_path):
    paths = ProjectPaths(tmp_path)
    _period(paths, "2011-10", {"01_data_cleaning": _entry("Data cleaning (数据清洗)", "01_data_cleaning", "2011-10")})
    _period(
        paths,
        "2011-11",
        {
            "01_data_cleaning": _entry("Data cleaning (数据清洗)", "01_data_cleaning", "2011-11"),
            "02_indicators": _entry("Customer indicators and KPIs (指标体系)", "02_indicators", "2011-11"),
        },
        run={"finished_at": "2011-12-01T09:30:00+08:00", "seconds": 12.3},
        cleaning={
            "mapping_title": "UCI <Online> Retail",
            "tables": {"orders": {"input_rows": 541909, "kept_rows": 397924}},
        },
    )
    (paths.folder("reports", "2011-11") / "customer_grading_2011-11.xlsx").write_bytes(b"x")
    (paths.reports_root / "notes").mkdir()  # not a period
    (paths.reports_root / "failed-runs" / "2015-01").mkdir(parents=True)  # never ran well: no row
    html = write_index(paths).read_text(encoding="utf-8")
    assert html.index("2011-11") < html.index("2011-10")
    assert 'href="2011-11/01_data_cleaning.html">01 Data cleaning (数据清洗)</a>' in html
    assert 'href="2011-11/customer_grading_2011-11.xlsx"' in html
    assert "397,924 / 541,909" in html and "2011-12-01 09:30" in html and "12 s" in html
    assert "UCI &lt;Online&gt; Retail" in html  # text from data is escaped
    assert "notes" not in html and "2015-01" not in html
    assert '<html lang="en">' in html and '<meta charset="utf-8">' in html
    assert not EXTERNAL_URL.search(html)


def test_index_mentions_a_later_failed_attempt_and_outdated_stages(tmp_path):
    paths = ProjectPaths(tmp_path)
    stages = {
        "01_data_cleaning": _entry(
            "Data cleaning", "01_data_cleaning", "2025Q4", outputs={"orders": {"sha256": "new"}}
        ),
        "02_indicators": _entry("Indicators", "02_indicators", "2025Q4", inputs={"orders": "old"}),
    }
    _period(paths, "2025Q4", stages, run={"finished_at": "2026-01-05T10:00:00+08:00"})
    assert outdated_stages({"stages": stages}) == {"02_indicators": ["orders"]}
    failed = paths.failed("2025Q4")
    failed.mkdir(parents=True)
    (failed / "attempt.json").write_text(
        json.dumps(
            {
                "finished_at": "2026-01-06T08:00:00+08:00",
                "error": "stage 01_data_cleaning failed: <b>bad</b>",
                "report": "01_data_cleaning.html",
            }
        ),
        encoding="utf-8",
    )
    html = write_index(paths).read_text(encoding="utf-8")
    assert "a later attempt on 2026-01-06 08:00 failed: stage 01_data_cleaning failed: &lt;b&gt;bad&lt;/b&gt;" in html
    assert 'href="failed-runs/2025Q4/01_data_cleaning.html"' in html
    assert "older than its inputs (orders); run this stage again" in html


def test_the_index_opens_each_period_with_its_grading_report_and_links_what_goes_to_people(tmp_path):
    paths = ProjectPaths(tmp_path)
    stages = {
        key: _entry(title, key, "2025Q4")
        for key, title in [("01_data_cleaning", "Data cleaning"), ("06_grading_report", "Customer grading report")]
    }
    stages["06_grading_report"]["delivery"] = {
        "digests": {
            "Anna.eml": {"status": "sent", "sent_at": "2026-01-05T10:02:00+08:00"},
            "all.eml": {"status": "not sent", "detail": "no mail server is configured"},
        }
    }
    _period(paths, "2025Q4", stages, run={"finished_at": "2026-01-05T10:00:00+08:00"})
    folder = paths.folder("reports", "2025Q4")
    for name in ("opportunity_priority_2025Q4.xlsx", "customer_grading_report_2025Q4.xlsx"):
        (folder / name).write_bytes(b"x")
    (folder / "alerts").mkdir()
    for name in ("Anna.eml", "all.eml"):
        (folder / "alerts" / name).write_bytes(b"x")
    html = write_index(paths).read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert text.index("Start here") < text.index("06 Customer grading report") < text.index("01 Data cleaning")
    assert "Which raw rows are usable" in text  # what each stage answers, from its declaration
    assert text.index("customer_grading_report_2025Q4.xlsx") < text.index("opportunity_priority_2025Q4.xlsx")
    assert "sent 2026-01-05 10:02: Anna" in text and 'href="2025Q4/alerts/Anna.eml"' in html
    assert "not sent: no mail server is configured: alerts with no account manager" in text


def test_index_without_reports(tmp_path):
    html = write_index(ProjectPaths(tmp_path)).read_text(encoding="utf-8")
    assert "No reports yet" in html


# --------------------------------------------------------------------------- the period's PDF
def _executed(folder, key, text):
    nb = new_notebook(
        cells=[
            new_code_cell("period = 'x'", metadata={"tags": ["injected-parameters"]}),
            new_markdown_cell(f"# {text}"),
            new_code_cell("1", outputs=[new_output("execute_result", data={"text/plain": text}, execution_count=1)]),
        ]
    )
    nb.cells[1]["id"], nb.cells[2]["id"] = "t-01", "t-02"  # the same ids in every stage, as the notebooks have
    nbformat.write(nb, folder / f"{key}.ipynb")


def test_the_period_pdf_opens_with_the_grading_report_and_starts_each_stage_on_a_new_page(tmp_path):
    from helpers.reporting.pdf import period_notebook

    for key in ("01_data_cleaning", "06_grading_report", "03_rfm_segmentation"):
        _executed(tmp_path, key, f"report {key[:2]}")
    joined = period_notebook(
        [tmp_path / f"{k}.ipynb" for k in ("01_data_cleaning", "03_rfm_segmentation", "06_grading_report")]
    )
    titles = [c.source for c in joined.cells if c.cell_type == "markdown" and c.source.startswith("#")]
    assert titles == ["# report 06", "# report 01", "# report 03"]
    assert sum("break-before: page" in c.source for c in joined.cells) == 2
    ids = [c["id"] for c in joined.cells]
    assert len(ids) == len(set(ids)) and not any("period = " in c.source for c in joined.cells)


def test_without_chromium_the_pdf_is_refused_in_one_sentence(tmp_path, monkeypatch):
    from helpers.core.errors import GradingError
    from helpers.reporting import pdf

    monkeypatch.setattr(pdf, "find_browser", lambda: None)
    with pytest.raises(GradingError, match="headless Chromium is not installed"):
        pdf.write_period_pdf(tmp_path, "2025Q4", ["06_grading_report"])


def test_the_period_pdf_is_printed_when_chromium_is_installed(tmp_path):
    from helpers.reporting.pdf import find_browser, write_period_pdf

    if find_browser() is None:
        pytest.skip("headless Chromium is not installed (Debian: apt install chromium)")
    for key in ("01_data_cleaning", "06_grading_report"):
        _executed(tmp_path, key, f"report {key[:2]}")
    made = write_period_pdf(tmp_path, "2025Q4", ["01_data_cleaning", "06_grading_report"])
    assert made.name == "grading_reports_2025Q4.pdf" and made.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "01_data_cleaning.ipynb",
        "06_grading_report.ipynb",
        "grading_reports_2025Q4.pdf",
    ]  # nothing of the printing is left beside it


def test_a_run_never_carries_an_older_pdf_forward(tmp_path):
    from helpers.pipeline.promotion import carry_forward

    paths = ProjectPaths(tmp_path)
    committed = paths.folder("reports", "2025Q4")
    committed.mkdir(parents=True)
    (committed / "grading_reports_2025Q4.pdf").write_bytes(b"%PDF old")
    (committed / "notes.txt").write_text("a user's file", encoding="utf-8")
    paths.folder("reports", "2025Q4", "r1").mkdir(parents=True)
    paths.folder("processed", "2025Q4", "r1").mkdir(parents=True)
    carry_forward(paths, "2025Q4", "r1", ["06_grading_report"])
    assert sorted(p.name for p in paths.folder("reports", "2025Q4", "r1").iterdir()) == ["notes.txt"]
