"""Reports in Chinese or English, for a client or for the team: ``--lang`` and ``--audience``.

Every word a reader sees comes from the label registry in both languages (a label missing in either fails here,
and so does code asking for a label nobody wrote); headings written "English (中文)" are shown in the chosen
language; a client's page leaves out the cells tagged ``internal`` and names no settings key.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT
from helpers.core.catalog import ProjectPaths
from helpers.core.errors import ConfigError
from helpers.core.labels import LABELS, LabelRegistry, in_language
from helpers.pipeline import registry
from helpers.reporting import display
from helpers.reporting.html import export_html
from helpers.reporting.index import write_index

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
SRC = ROOT / "src" / "helpers"


# --------------------------------------------------------------------------- the registry
def test_every_label_has_both_languages_and_its_english_no_chinese():
    for namespace in LABELS.namespaces():
        for key in LABELS.keys(namespace):
            label = LABELS.label(namespace, key)
            assert label.zh.strip() and label.en.strip(), f"{namespace}.{key}"
            assert not CJK.search(label.en), f"{namespace}.{key}: the English label holds Chinese: {label.en!r}"


def test_a_label_missing_a_language_is_refused():
    labels = LabelRegistry(package=None)
    with pytest.raises(ValueError, match="both a Chinese and an English text"):
        labels.load_yaml("column:\n  revenue: [' ', Revenue]\n", "t.yaml")
    with pytest.raises(ValueError, match=r"needs \[中文, English\]"):
        labels.load_yaml("column:\n  revenue: [营收]\n", "t.yaml")


def _label_calls() -> list[tuple[Path, int, str, str]]:
    """Every ``LABELS.text/format/label/headers`` call in the package whose namespace and key are written out."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "LABELS"
                and node.func.attr in {"text", "format", "label"}
                and len(node.args) >= 2
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2])
            ):
                continue
            found.append((path, node.lineno, node.args[0].value, node.args[1].value))
    return found


def test_every_label_the_code_asks_for_is_written_in_both_languages():
    calls = _label_calls()
    assert len(calls) > 100  # the scan sees the package's calls
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {ns}.{key}" for path, line, ns, key in calls if not LABELS.has(ns, key)
    ]
    assert not missing, "labels asked for but not in any labels.yaml:\n" + "\n".join(missing)


def test_every_stage_says_what_it_answers_and_what_its_workbooks_hold_in_both_languages():
    for stage in registry.stages():
        assert CJK.search(stage.question_zh) and not CJK.search(stage.question), stage.key
        assert CJK.search(stage.title_zh) and not CJK.search(stage.title_en), stage.key
        for output in stage.outputs:
            if output.kind == "workbook":
                assert CJK.search(output.description_zh), output.name
                assert not CJK.search(output.description), output.name


# --------------------------------------------------------------------------- choosing
@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("## 3. Can the model be trusted? (模型验证)", "## 3. 模型验证", "## 3. Can the model be trusted?"),
        ("### How this report works (方法说明)", "### 方法说明", "### How this report works"),
        ("Revenue (营收) fell (a lot).", "Revenue (营收) fell (a lot).", "Revenue fell (a lot)."),
        ("# A name (e.g. 客户)", "# A name (e.g. 客户)", "# A name (e.g. 客户)"),  # not a bracket of Chinese alone
        ("## 1. RFM segmentation (RFM客户分层)", "## 1. RFM客户分层", "## 1. RFM segmentation"),
    ],
)
def test_a_bilingual_text_reads_in_one_language(text, zh, en):
    assert in_language(text, "zh") == zh
    assert in_language(text, "en") == en
    assert in_language(text, "both") == text


def test_the_run_chooses_the_language_and_audience_over_the_settings():
    settings = registry.load_settings(ROOT / "config", lang="zh", audience="internal")
    assert (settings.reports.language, settings.reports.audience) == ("zh", "internal")
    shipped = registry.load_settings(ROOT / "config")
    assert (shipped.reports.language, shipped.reports.audience) == ("both", "client")
    with pytest.raises(ConfigError, match=r"--lang: expected zh, en or both, got 'fr'"):
        registry.load_settings(ROOT / "config", lang="fr")
    with pytest.raises(ConfigError, match=r"--audience: expected client or internal, got 'boss'"):
        registry.load_settings(ROOT / "config", audience="boss")


def test_a_choice_of_language_makes_every_stage_out_of_date():
    from helpers.pipeline.state import settings_parts

    stage = registry.stages()[0]
    config = ROOT / "config"
    both = settings_parts(stage, registry.load_settings(config), config)
    zh = settings_parts(stage, registry.load_settings(config, lang="zh"), config)
    assert both != zh  # the reports are rendered again in the language asked for


def test_notes_and_stage_titles_follow_the_language(monkeypatch):
    monkeypatch.setattr(LABELS, "language", "zh")
    stage = registry.stage("03")
    assert stage.title == stage.title_zh
    shown = display.Note("**Findings (结论)** fine", heading="Report (报告)")
    assert shown.heading == "报告" and shown.text == "**Findings (结论)** fine"
    monkeypatch.setattr(LABELS, "language", "en")
    assert stage.title == stage.title_en and display.Note("**Findings (结论)**").text == "**Findings**"


def test_a_settings_key_is_named_for_the_team_only(monkeypatch):
    monkeypatch.setitem(display._AUDIENCE, "reader", "client")
    assert not display.internal() and display.setting_ref("rfm.cut") == ""
    monkeypatch.setitem(display._AUDIENCE, "reader", "internal")
    assert display.setting_ref("rfm.cut") == " (`rfm.cut` in `config/settings.yaml`)"


# --------------------------------------------------------------------------- the HTML
def _executed(path: Path, lang: str, audience: str) -> Path:
    """A notebook as Papermill leaves it, with the run's choices in its metadata (no kernel needed)."""
    nb = new_notebook(
        cells=[
            new_markdown_cell("## 1. Who is at risk (流失风险客户)\nSome words (一些话) here."),
            new_markdown_cell("## Outputs (输出)", metadata={"tags": ["internal"]}),
            new_code_cell("outputs_table(stage)", metadata={"tags": ["internal"]}),
        ],
        metadata={"papermill": {"parameters": {"lang": lang, "audience": audience}}},
    )
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    ("lang", "audience", "shown", "hidden"),
    [
        ("zh", "client", ["1. 流失风险客户"], ["Who is at risk", "Outputs", "输出"]),
        ("en", "internal", ["1. Who is at risk", "Some words here.", "Outputs"], ["流失风险客户", "一些话"]),
        ("both", "client", ["Who is at risk (流失风险客户)"], ["Outputs"]),
    ],
)
def test_the_html_shows_the_language_and_the_cells_its_reader_reads(tmp_path, lang, audience, shown, hidden):
    path = _executed(tmp_path / "04_churn_model.ipynb", lang, audience)
    page = export_html(path, path.with_suffix(".html"), "04 Risk report (风险报告) — 2025Q4").read_text("utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)  # what a reader sees, not the CSS
    for text in shown:
        assert text in page, text
    for text in hidden:
        assert text not in page, text


def test_the_index_speaks_the_language_asked_for(tmp_path):
    paths = ProjectPaths(tmp_path)
    folder = paths.folder("processed", "2025Q4")
    folder.mkdir(parents=True)
    (paths.folder("reports", "2025Q4")).mkdir(parents=True)
    (paths.folder("reports", "2025Q4") / "06_grading_report.html").write_text("x", encoding="utf-8")
    (paths.folder("reports", "2025Q4") / "customer_grading_report_2025Q4.xlsx").write_bytes(b"x")
    report = "reports/2025Q4/06_grading_report.html"
    (folder / "manifest.json").write_text(
        '{"period": "2025Q4", "run": {"finished_at": "2026-01-02T10:00:00"}, '
        f'"stages": {{"06_grading_report": {{"title": "x", "report": "{report}"}}}}}}',
        encoding="utf-8",
    )
    zh = write_index(paths, "zh").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh and "从这里开始" in zh and "客户分级报告" in zh
    assert "给客户团队的客户分级报告" in zh  # the workbook's description
    for english in ("Start here", "Workbooks", "last good run", "Who are the customers"):
        assert english not in zh
    en = write_index(paths, "en").read_text(encoding="utf-8")
    assert "Start here" in en and "Who are the customers" in en and not CJK.search(en)
