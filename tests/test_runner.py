"""The ``grading`` command on the real stages and a small generated sample.

The graph (earlier stages run when missing or out of date, or ``--no-deps``
names them), the manifest, runs that replace a period only when every stage
succeeded (a failed run leaves the good outputs byte-identical), the index, and
several periods at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from snapshot_fixture import SNAPSHOT_MAPPING, write_snapshot

from conftest import ROOT
from helpers.core.catalog import ProjectPaths
from helpers.pipeline.cli import main
from helpers.pipeline.memory import run_in_memory
from helpers.pipeline.promotion import commit, recover
from helpers.pipeline.state import RunBusyError, period_lock
from helpers.sample_data import generate

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
PERIOD = "2025Q4"


def grading(*argv: str) -> tuple[int, str, str]:
    """Run ``grading`` in-process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def new_project(base: Path, *, copy_config: bool = False) -> Path:
    """A scratch project with the repository's notebooks (and config, copied when a test edits it)."""
    root = base / "project"
    root.mkdir(parents=True)
    (root / "notebooks").symlink_to(ROOT / "notebooks", target_is_directory=True)
    if copy_config:
        shutil.copytree(ROOT / "config", root / "config")
    else:
        (root / "config").symlink_to(ROOT / "config", target_is_directory=True)
    return root


def digests(*folders: Path) -> dict[str, str]:
    """sha256 of every file under the folders, by path."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data") / "sample"
    generate(folder, n_customers=120, seed=7)
    return folder


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory, sample: Path) -> tuple[Path, int, str, str]:
    """Stages 01 and 02 of the sample for 2025Q4, run once for the module."""
    root = new_project(tmp_path_factory.mktemp("good"))
    code, out, err = grading("run", "--period", PERIOD, "--data", str(sample), "--stages", "01,02", "--root", str(root))
    return root, code, out, err


# ------------------------------------------------------------------ a good run
def test_a_good_run_writes_the_period_its_manifest_and_the_index(good):
    root, code, out, err = good
    assert code == 0, err
    assert out.splitlines()[0].startswith("[1/2] 01_data_cleaning ... ") and "[2/2] 02_indicators ... " in out
    assert "warning:" not in out  # the sample has every table the mapping names
    paths = ProjectPaths(root)
    assert (paths.folder("processed", PERIOD) / "orders.parquet").is_file()
    assert (paths.folder("reports", PERIOD) / "02_indicators.html").is_file()
    manifest = json.loads(paths.manifest(PERIOD).read_text(encoding="utf-8"))
    assert manifest["period"] == PERIOD and manifest["as_of"] == "2025-12-31"
    assert list(manifest["stages"]) == ["01_data_cleaning", "02_indicators"]
    indicators = manifest["stages"]["02_indicators"]
    # What the stage read (with hashes), its settings hash, what it wrote (with hashes) and how long it took.
    assert indicators["inputs"]["orders"] == manifest["stages"]["01_data_cleaning"]["outputs"]["orders"]["sha256"]
    assert indicators["inputs"]["leads"] != "absent" and len(indicators["settings_sha256"]) == 64
    assert indicators["outputs"]["indicators"]["rows"] > 0 and indicators["notebook_seconds"] > 0
    assert indicators["report"] == f"reports/{PERIOD}/02_indicators.html"
    raw = manifest["stages"]["01_data_cleaning"]["inputs"]["raw"]
    assert any(name.endswith("orders.xlsx") for name in raw)
    assert any(name.endswith("config/mappings/sample_distributor.yaml") for name in raw)  # the mapping is an input
    assert manifest["input_rows"] == manifest["kept_rows"] + sum(manifest["excluded_rows"].values())
    # Nothing of the run is left beside the period, and the index links its reports.
    assert not (paths.processed_root / ".staging").exists() and not (paths.reports_root / ".staging").exists()
    index = paths.index.read_text(encoding="utf-8")
    assert f'href="{PERIOD}/01_data_cleaning.html"' in index and "Customer indicators and KPIs" in index


def test_status_says_what_is_up_to_date(good, sample):
    root, *_ = good
    code, out, _ = grading("status", "--period", PERIOD, "--data", str(sample), "--root", str(root))
    assert code == 0
    lines = dict(line.split(None, 1) for line in out.splitlines()[1:])
    assert lines["01_data_cleaning"] == "up to date" and lines["02_indicators"] == "up to date"
    assert lines["03_rfm_segmentation"].startswith("not run")


def test_a_later_stage_reuses_up_to_date_earlier_ones(good, sample):
    root, *_ = good
    before = json.loads(ProjectPaths(root).manifest(PERIOD).read_text(encoding="utf-8"))
    code, out, err = grading("run", "--period", PERIOD, "--data", str(sample), "--stages", "02", "--root", str(root))
    assert code == 0, err
    assert out.startswith("up to date, reused: 01_data_cleaning\n[1/1] 02_indicators ... ")
    after = json.loads(ProjectPaths(root).manifest(PERIOD).read_text(encoding="utf-8"))
    assert after["stages"]["01_data_cleaning"] == before["stages"]["01_data_cleaning"]
    assert after["stages"]["02_indicators"]["run_id"] != before["stages"]["02_indicators"]["run_id"]


def test_a_failed_run_leaves_the_good_period_byte_identical(good, sample):
    root, *_ = good
    paths = ProjectPaths(root)
    before = digests(paths.folder("processed", PERIOD), paths.folder("reports", PERIOD))
    code, out, err = grading(
        "run", "--period", PERIOD, "--data", str(sample), "--mapping", "online_retail", "--root", str(root)
    )
    assert code == 1
    assert digests(paths.folder("processed", PERIOD), paths.folder("reports", PERIOD)) == before
    line = err.strip()
    assert "\n" not in line and "Traceback" not in out + err
    assert line.startswith(f"error: {PERIOD}: stage 01_data_cleaning failed: mapped column(s) ")
    assert "its last good outputs are unchanged" in line
    assert f"reports/failed-runs/{PERIOD}/01_data_cleaning.html" in line
    failed = paths.failed(PERIOD)
    page = (failed / "01_data_cleaning.html").read_text(encoding="utf-8")
    assert "This report is incomplete" in page and "An Exception was encountered" not in page
    assert json.loads((failed / "attempt.json").read_text(encoding="utf-8"))["stage"] == "01_data_cleaning"
    index = paths.index.read_text(encoding="utf-8")
    assert "last good run" in index and "a later attempt on" in index and "failed-runs/2025Q4" in index


def test_the_next_good_run_clears_the_failed_attempt(good, sample):
    root, *_ = good
    code, _, err = grading("run", "--period", PERIOD, "--data", str(sample), "--stages", "01", "--root", str(root))
    assert code == 0, err
    assert not ProjectPaths(root).failed(PERIOD).exists()
    index = ProjectPaths(root).index.read_text(encoding="utf-8")
    assert "a later attempt" not in index
    # Stage 02 read the tables stage 01 has just replaced: the index says it should run again.
    manifest = json.loads(ProjectPaths(root).manifest(PERIOD).read_text(encoding="utf-8"))
    assert (
        manifest["stages"]["02_indicators"]["inputs"]["orders"]
        == manifest["stages"]["01_data_cleaning"]["outputs"]["orders"]["sha256"]
    )  # same data, same bytes


def test_the_in_memory_engine_gives_the_tables_the_runner_writes(good, sample):
    """The same computations chained in memory (no notebooks, no files) give byte-for-byte the same tables."""
    root, *_ = good
    run = run_in_memory(root, PERIOD, data=str(sample), last=2)
    processed = ProjectPaths(root).folder("processed", PERIOD)
    for name in ("orders", "customers", "ledger", "tickets", "indicators", "kpis"):
        buffer = io.BytesIO()
        run.outputs[name].to_parquet(buffer, index=False)
        pd.testing.assert_frame_equal(pd.read_parquet(buffer), pd.read_parquet(processed / f"{name}.parquet"))
    assert run.outputs["cleaning"]["input_rows"] == json.loads((processed / "cleaning.json").read_text())["input_rows"]


# ------------------------------------------------------------------ the graph
def test_no_deps_names_the_stage_to_run_first(tmp_path, sample):
    root = new_project(tmp_path)
    code, out, err = grading(
        "run", "--period", "2025Q3", "--data", str(sample), "--stages", "02", "--no-deps", "--root", str(root)
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: stage 02_indicators needs stage 01_data_cleaning first (not run for this period yet)")
    assert "--stages 01" in err
    assert not (root / "data" / "processed" / "2025Q3").exists()


def test_changed_settings_make_the_stage_and_later_ones_out_of_date(tmp_path, sample):
    root = new_project(tmp_path, copy_config=True)
    assert grading("run", "--period", PERIOD, "--data", str(sample), "--stages", "01,02", "--root", str(root))[0] == 0
    settings = root / "config" / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("trend_periods: 12", "trend_periods: 6"), encoding="utf-8"
    )
    _, out, _ = grading("status", "--period", PERIOD, "--data", str(sample), "--root", str(root))
    out = " ".join(out.split())  # the columns' width follows the longest stage name
    assert "01_data_cleaning up to date" in out
    assert "02_indicators out of date: its settings changed (indicators)" in out
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("drop_duplicate_lines: true", "drop_duplicate_lines: false"),
        encoding="utf-8",
    )
    _, out, _ = grading("status", "--period", PERIOD, "--data", str(sample), "--root", str(root))
    out = " ".join(out.split())
    assert "01_data_cleaning out of date: its settings changed (cleaning)" in out
    assert "02_indicators out of date" in out
    # A typo in a section stops with the file and the key.
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("trend_periods: 6", "trend_period: 6"), encoding="utf-8"
    )
    code, _, err = grading("status", "--period", PERIOD, "--data", str(sample), "--root", str(root))
    assert code == 2 and "settings.yaml" in err and "indicators.trend_period" in err


def test_a_period_that_never_ran_well_gets_no_index_row(tmp_path, sample):
    root = new_project(tmp_path)
    code, _, err = grading("run", "--period", "2015-01", "--data", str(sample), "--root", str(root))
    assert code == 1 and "no kept orders in period 2015-01" in err and "nothing was written for it" in err
    paths = ProjectPaths(root)
    assert not paths.folder("reports", "2015-01").exists() and not paths.folder("processed", "2015-01").exists()
    assert (paths.failed("2015-01") / "01_data_cleaning.html").is_file()
    assert "2015-01" not in paths.index.read_text(encoding="utf-8")


def test_several_periods_run_in_parallel(tmp_path, sample):
    root = new_project(tmp_path)
    code, out, err = grading(
        "run",
        "--periods",
        "2025-11..2025-12",
        "--jobs",
        "2",
        "--data",
        str(sample),
        "--stages",
        "01",
        "--root",
        str(root),
    )
    assert code == 0, out + err
    assert "[2025-11] [1/1] 01_data_cleaning" in out and "[2025-12] [1/1] 01_data_cleaning" in out
    index = ProjectPaths(root).index.read_text(encoding="utf-8")
    assert index.index("2025-12/01_data_cleaning.html") < index.index("2025-11/01_data_cleaning.html")


# ------------------------------------------------------------------ guards, without kernels
def _staged_run(paths: ProjectPaths, run_id: str, text: str) -> None:
    for place in ("processed", "reports"):
        folder = paths.folder(place, PERIOD, run_id)
        folder.mkdir(parents=True)
        (folder / "file.txt").write_text(text, encoding="utf-8")


def test_commit_replaces_both_folders(tmp_path):
    paths = ProjectPaths(tmp_path)
    _staged_run(paths, "r1", "old")
    commit(paths, PERIOD, "r1")
    _staged_run(paths, "r2", "new")
    commit(paths, PERIOD, "r2")
    for place in ("processed", "reports"):
        assert (paths.folder(place, PERIOD) / "file.txt").read_text(encoding="utf-8") == "new"
        assert not (paths.base(place) / ".trash").exists() and not (paths.base(place) / ".staging").exists()


@pytest.mark.parametrize("done", [0, 1, 2, 3])
def test_a_swap_cut_short_is_finished_never_left_half_old_half_new(tmp_path, done):
    """A process dies after ``done`` of the four renames of a commit: recovery completes it."""
    paths = ProjectPaths(tmp_path)
    _staged_run(paths, "r1", "old")
    commit(paths, PERIOD, "r1")
    _staged_run(paths, "r2", "new")
    paths.locks.mkdir(parents=True, exist_ok=True)
    (paths.locks / f"{PERIOD}.commit.json").write_text(json.dumps({"run_id": "r2"}), encoding="utf-8")
    renames = [(paths.folder(p, PERIOD), paths.trash(p, PERIOD, "r2")) for p in ("processed", "reports")]
    renames += [(paths.folder(p, PERIOD, "r2"), paths.folder(p, PERIOD)) for p in ("processed", "reports")]
    for source, target in renames[:done]:
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
    recover(paths, PERIOD)
    for place in ("processed", "reports"):
        assert (paths.folder(place, PERIOD) / "file.txt").read_text(encoding="utf-8") == "new"
    assert not (paths.locks / f"{PERIOD}.commit.json").exists()


def test_leftovers_of_a_run_that_never_committed_are_dropped(tmp_path):
    paths = ProjectPaths(tmp_path)
    _staged_run(paths, "r1", "good")
    commit(paths, PERIOD, "r1")
    _staged_run(paths, "r2", "half written")  # died before its commit
    recover(paths, PERIOD)
    assert (paths.folder("processed", PERIOD) / "file.txt").read_text(encoding="utf-8") == "good"
    assert not paths.folder("processed", PERIOD, "r2").exists()


def test_two_runs_of_one_period_do_not_overlap(tmp_path):
    paths = ProjectPaths(tmp_path)
    with period_lock(paths, PERIOD), pytest.raises(RunBusyError, match=f"period {PERIOD} is being run by process"):  # noqa: SIM117 - the inner lock is what raises
        with period_lock(paths, PERIOD):
            pass
    with period_lock(paths, PERIOD):  # released: the next run may start
        pass


def test_bad_arguments_exit_2_with_one_line(tmp_path, sample):
    root = new_project(tmp_path)
    for argv, message in (
        (["--period", "2011-13"], "invalid period '2011-13'"),
        (["--period", "2011-11", "--stages", "07"], "no stage '07'"),
        (["--periods", "2011-05..2011-03"], "ends before it starts"),
        (["--period", "2011-11", "--scorecard-input", "nope.xlsx"], "--scorecard-input: nope.xlsx does not exist"),
        (["--period", "2011-11", "--mapping", "online_retial"], "mapping 'online_retial' not found"),
    ):
        code, out, err = grading("run", *argv, "--data", str(sample), "--root", str(root))
        assert code == 2 and message in err and "Traceback" not in out + err
    code, _, err = grading("run", "--period", "2011-11", "--data", str(tmp_path / "nope.csv"), "--root", str(root))
    assert code == 2 and "nope.csv does not exist" in err


def test_a_notebook_without_a_declaration_is_refused(tmp_path, sample):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    (root / "config").symlink_to(ROOT / "config", target_is_directory=True)
    shutil.copy(root / "notebooks" / "02_indicators.ipynb", root / "notebooks" / "09_scratch.ipynb")
    code, _, err = grading("run", "--period", PERIOD, "--data", str(sample), "--root", str(root))
    assert code == 2 and "notebooks/09_scratch.ipynb has no stage declaration" in err


def test_stage_parameters_reach_the_command_line():
    help_text = subprocess.run(
        [sys.executable, "-m", "helpers", "run", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    ).stdout
    assert "--scorecard-input SCORECARD_INPUT" in help_text and "stage 03:" in help_text


def test_data_warnings_reach_the_console_the_manifest_and_the_report(tmp_path, sample):
    data = tmp_path / "export"
    shutil.copytree(sample, data)
    (data / "nps_survey.csv").unlink()
    root = new_project(tmp_path)
    code, out, err = grading("run", "--period", PERIOD, "--data", str(data), "--stages", "01", "--root", str(root))
    assert code == 0, err
    said = "no file for the NPS survey answers: the mapping looks for nps_survey.csv"
    assert f"      warning: {said}" in out
    manifest = json.loads(ProjectPaths(root).manifest(PERIOD).read_text(encoding="utf-8"))
    assert any(w.startswith(said) for w in manifest["stages"]["01_data_cleaning"]["warnings"])
    page = (ProjectPaths(root).folder("reports", PERIOD) / "01_data_cleaning.html").read_text(encoding="utf-8")
    assert "Data warnings (1)" in page and said in page


def test_what_the_kernel_process_prints_outside_a_cell_stays_off_the_console(tmp_path, capfd):
    """ipykernel's own shutdown tracebacks (no log level silences them) never reach the user's terminal."""
    import nbformat

    from helpers.pipeline.runner import _execute

    kernel = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
    nb.cells = [
        nbformat.v4.new_code_cell("period = ''", metadata={"tags": ["parameters"]}),
        # Written straight to the process's stderr when the kernel exits, as pyzmq's shutdown traceback is.
        nbformat.v4.new_code_cell(
            "import atexit, os\natexit.register(lambda: os.write(2, b'Traceback (kernel exit)\\n'))"
        ),
    ]
    source = tmp_path / "probe.ipynb"
    nbformat.write(nb, source)
    assert _execute(source, tmp_path / "out.ipynb", {"period": "x"}, tmp_path) is None
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_a_customer_snapshot_runs_every_stage_and_scores_its_blank_labels(tmp_path):
    truth = write_snapshot(tmp_path / "export", n=600, seed=11)
    mapping = tmp_path / "subscribers.yaml"
    mapping.write_text(SNAPSHOT_MAPPING, encoding="utf-8")
    root = new_project(tmp_path)
    code, out, err = grading(
        "run", "--period", "2026-10", "--data", str(tmp_path / "export"), "--mapping", str(mapping), "--root", str(root)
    )
    assert code == 0, err
    assert "customer snapshot" in out
    paths = ProjectPaths(root)
    churn = pd.read_parquet(paths.folder("processed", "2026-10") / "churn.parquet").set_index("customer_id")
    blank = truth.loc[truth["blanked"], "customerID"]
    assert churn["churn_probability"].reindex(blank).notna().all()
    page = (paths.folder("reports", "2026-10") / "04_churn_model.html").read_text(encoding="utf-8")
    assert "Retention by tenure" in page and "held out" in page and "Traceback" not in page


#: What a client's page must not show: settings keys and files, paths, fingerprints, names written like code.
_CLIENT_LEAKS = re.compile(
    r"config/|data/|reports/|\.ya?ml\b|\.parquet\b|\.json\b|\.ipynb\b|\b[0-9a-f]{12,}\b"
    r"|\b[a-z]+(?:_[a-z0-9]+)+\b|\b[a-z_]{3,}\.[a-z_]{3,}\b"
)


def client_leaks(page: str, raw_files: set[str]) -> list[str]:
    """The settings keys, paths, hashes and code-like names in a report's visible text (the client's own export
    files may be named: they are what the client sent)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", page)))
    for name in raw_files:
        text = text.replace(name, " ")
    return sorted(set(_CLIENT_LEAKS.findall(text)))


def test_two_consecutive_periods_give_a_migration_and_one_period_says_there_is_nothing_to_compare(tmp_path, sample):
    root = new_project(tmp_path)
    code, out, err = grading("run", "--period", "2025Q3", "--data", str(sample), "--root", str(root))
    assert code == 0, err
    paths = ProjectPaths(root)
    # The shipped settings make client reports: no settings key, path, fingerprint or column name in any of them.
    raw_files = {p.name for p in sample.iterdir()}
    for report in sorted(paths.folder("reports", "2025Q3").glob("*.html")):
        assert client_leaks(report.read_text(encoding="utf-8"), raw_files) == [], report.name
    first = (paths.folder("reports", "2025Q3") / "06_grading_report.html").read_text(encoding="utf-8")
    assert "Nothing to compare yet" in first and "Traceback" not in first
    assert pd.read_parquet(paths.folder("processed", "2025Q3") / "migration.parquet").empty
    code, out, err = grading("run", "--period", PERIOD, "--data", str(sample), "--root", str(root), "--pdf")
    assert code == 0, err
    from helpers.reporting.pdf import find_browser

    printed = paths.folder("reports", PERIOD) / f"grading_reports_{PERIOD}.pdf"
    if find_browser():  # every report in one PDF, linked from the front page
        assert printed.read_bytes().startswith(b"%PDF") and printed.name in paths.index.read_text(encoding="utf-8")
    else:
        assert "headless Chromium is not installed" in out and not printed.exists()
    moved = pd.read_parquet(paths.folder("processed", PERIOD) / "migration.parquet")
    final = moved.loc[moved["classification"].eq("final_class")]
    both = final.loc[~final["from_class"].eq("(new)") & ~final["to_class"].eq("(gone)")]
    previous = pd.read_parquet(paths.folder("processed", "2025Q3") / "grading_final.parquet")
    current = pd.read_parquet(paths.folder("processed", PERIOD) / "grading_final.parquet")
    assert both["customers"].sum() == len(set(previous["customer_id"]) & set(current["customer_id"]))
    assert (both["from_class"] != both["to_class"]).any()  # some customers changed class
    page = (paths.folder("reports", PERIOD) / "06_grading_report.html").read_text(encoding="utf-8")
    assert "Against 2025Q3" in page and "Migration of the final class" in page
    assert any(p.suffix == ".eml" for p in (paths.folder("reports", PERIOD) / "alerts").iterdir())
    # the digests are delivered after the commit, and what became of each is in the manifest
    assert "not sent: no mail server is configured" in out
    delivery = json.loads(paths.manifest(PERIOD).read_text(encoding="utf-8"))["stages"]["06_grading_report"]
    assert {e["status"] for e in delivery["delivery"]["digests"].values()} == {"not sent"}


def test_a_run_in_chinese_for_the_team_switches_every_page_and_workbook(tmp_path, sample):
    import openpyxl

    root = new_project(tmp_path)
    code, out, err = grading(
        "run", "--period", PERIOD, "--data", str(sample), "--root", str(root), "--lang", "zh", "--audience", "internal"
    )
    assert code == 0, err
    paths = ProjectPaths(root)
    reports = paths.folder("reports", PERIOD)
    index = paths.index.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in index and "从这里开始" in index and "Start here" not in index
    segmentation = (reports / "03_rfm_segmentation.html").read_text(encoding="utf-8")
    assert f"<title>03 RFM客户分层与价值分级 — {PERIOD}</title>" in segmentation
    assert "方法说明" in segmentation and "How this report works" not in segmentation
    # the team's page names the settings and the tables written for later stages; a client's would not
    assert "config/scorecard.yaml" in segmentation and f"data/processed/{PERIOD}/grading.parquet" in segmentation
    assert "文件指纹" in (reports / "01_data_cleaning.html").read_text(encoding="utf-8")
    grading_report = (reports / "06_grading_report.html").read_text(encoding="utf-8")
    assert "1. 客户等级" in grading_report and "The customers by class" not in grading_report
    book = openpyxl.load_workbook(reports / f"customer_grading_{PERIOD}.xlsx", read_only=True)
    assert book.sheetnames[1] == "客户分级"
    header = next(book["客户分级"].iter_rows(min_row=1, max_row=1, values_only=True))
    assert header[0] == "客户编号" and all(re.search(r"[\u4e00-\u9fff]", str(h)) for h in header if h)
    # choosing the language again is a different report: every stage runs again in it
    code, out, err = grading("status", "--period", PERIOD, "--data", str(sample), "--root", str(root), "--lang", "en")
    assert code == 0 and "out of date" in out
