"""Every stage's findings read in Chinese: every line translated, with the same figures as the English.

The findings (the executive summary each report opens with) are built on one small in-memory run of the six stages,
with the label registry in English and in Chinese. The Chinese lines must be Chinese, print the same numbers as the
English ones and keep none of the English wording written in code; texts that come from the data or the settings (a
reason's label that may name a file, a model's reason for not fitting, the configured actions) are shown as they are
and left out of that check. ``both`` reads the English sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pytest

from conftest import ROOT
from helpers.churn import report as churn_report
from helpers.cleaning.findings import findings as cleaning_findings
from helpers.cleaning.ledger import reason_label
from helpers.core.labels import LABELS
from helpers.grading_report import report as grading_report
from helpers.indicators.findings import findings as indicator_findings
from helpers.opportunity import report as opportunity_report
from helpers.reporting.display import literal
from helpers.segmentation.findings import findings as segmentation_findings

pytestmark = pytest.mark.slow

#: A figure as the findings print it: 1,234 / 12.5% / 2025.
NUMBER = re.compile(r"\d[\d,.]*%?")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
#: English wording the findings write in code; none of it may be left in a Chinese line.
ENGLISH = (
    "What to do",
    "customers",
    "customer base",
    "net spend",
    "rows read",
    "kept",
    "excluded",
    "data warning",
    "Order lines",
    "This period",
    "against",
    "Against",
    "Loyalty",
    "Concentration",
    "look-back",
    "graded",
    "revenue",
    "Pyramid",
    "stage 0",
    "alerts fired",
    "at high risk",
    "early-warning rule",
    "open leads",
    "open deals",
    "expert score",
    "Growth among",
    "to retain first",
    "KPIs",
)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    from helpers.pipeline.memory import run_in_memory
    from helpers.sample_data import generate

    folder = tmp_path_factory.mktemp("findings_zh") / "sample"
    generate(folder, n_customers=120, seed=7)
    return run_in_memory(ROOT, "2025Q4", data=folder, last=6)


def _shown(module) -> Callable:
    """The lines a report module's ``findings_note`` shows (through its ``note``)."""

    def lines(run, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        shown: list[str] = []
        monkeypatch.setattr(module, "note", shown.append)
        module.findings_note(run)
        return "\n".join(shown).splitlines()

    return lines


def _returned(findings: Callable) -> Callable:
    return lambda run, monkeypatch: findings(run)


def _cleaning_as_is(run) -> list[str]:
    codes = {code for entry in run.record.get("tables", {}).values() for code in entry.get("excluded_rows", {})}
    return [reason_label(code) for code in codes]


def _churn_as_is(run) -> list[str]:
    return [run.fit.reason or "", *run.settings.actions.values()]


def _opportunity_as_is(run) -> list[str]:
    check = run.check
    reasons = [] if check is None else [check.reason or "", check.probability_reason or "", *check.left_out.values()]
    return [*reasons, *run.settings.actions.values(), *run.settings.growth.actions.values()]


#: Stage key -> (its findings' lines, the texts in them shown as they come).
STAGES: dict[str, tuple[Callable, Callable]] = {
    "01_data_cleaning": (_returned(cleaning_findings), _cleaning_as_is),
    "02_indicators": (_returned(indicator_findings), lambda run: []),
    "03_rfm_segmentation": (_returned(segmentation_findings), lambda run: []),
    "04_churn_model": (_shown(churn_report), _churn_as_is),
    "05_opportunity_scoring": (_shown(opportunity_report), _opportunity_as_is),
    "06_grading_report": (_shown(grading_report), lambda run: []),
}


def _findings(monkeypatch: pytest.MonkeyPatch, stage: str, run, language: str) -> list[str]:
    monkeypatch.setattr(LABELS, "language", language)
    return STAGES[stage][0](run, monkeypatch)


def _numbers(text: str) -> Counter:
    """The figures of a text; a full stop or comma right after a figure is the sentence's, not the figure's."""
    return Counter(m.rstrip(",.") for m in NUMBER.findall(text))


@pytest.mark.parametrize("stage", list(STAGES))
def test_the_findings_read_in_chinese_with_the_english_figures(sample_run, monkeypatch, stage):
    run = sample_run.results[stage]
    en = _findings(monkeypatch, stage, run, "en")
    zh = _findings(monkeypatch, stage, run, "zh")

    assert en and len(zh) == len(en), (en, zh)
    kept = sorted({literal(t) for t in STAGES[stage][1](run) if t} | {t for t in STAGES[stage][1](run) if t}, key=len)
    for en_line, zh_line in zip(en, zh, strict=True):
        assert CHINESE.search(zh_line), zh_line
        assert _numbers(zh_line) == _numbers(en_line), (en_line, zh_line)
        assert zh_line.count("**") == en_line.count("**"), (en_line, zh_line)
        assert ("**What to do:**" in en_line) == ("**建议：**" in zh_line), (en_line, zh_line)
        rest = zh_line
        for text in reversed(kept):
            rest = rest.replace(text, "")
        left = [fragment for fragment in ENGLISH if fragment in rest]
        assert not left, (left, zh_line)


@pytest.mark.parametrize("stage", list(STAGES))
def test_both_languages_read_the_english_findings(sample_run, monkeypatch, stage):
    run = sample_run.results[stage]
    en = _findings(monkeypatch, stage, run, "en")
    both = _findings(monkeypatch, stage, run, "both")
    # The sentences are the English ones; only the labels inside them read in both languages.
    assert [_numbers(line) for line in both] == [_numbers(line) for line in en]
    assert not any("**建议：**" in line for line in both)
