"""The ``grading`` command: run the numbered notebooks for one period.

Every stage is a notebook ``notebooks/NN_name.ipynb``; adding a stage means
adding a notebook. ``grading run`` executes them in order with Papermill,
renders each to reviewer HTML, writes ``data/processed/<period>/manifest.json``
and regenerates ``reports/index.html``.

Exit codes: 0 success, 1 a stage failed, 2 bad parameters or configuration.
Expected failures print one message, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TextIO

import papermill
from papermill.exceptions import PapermillExecutionError

from helpers.errors import ConfigError, GradingError
from helpers.periods import Period, parse_period
from helpers.report import export_html, stage_title, write_index

STAGE_GLOB = "[0-9][0-9]_*.ipynb"
VERSIONED_PACKAGES = (
    "pandas", "numpy", "pyarrow", "papermill", "nbconvert", "matplotlib",
    "duckdb", "scikit-learn", "statsmodels",
)
# The kernel process's own log ("running over TCP without encryption" at start,
# "KeyboardInterrupt caught" when the client interrupts it on shutdown) would print
# between our progress lines. A notebook's warnings and errors are unaffected:
# they reach its outputs, and a kernel that dies is reported by Papermill.
_QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]


@dataclass(frozen=True)
class StageResult:
    """The outcome of one stage.

    Attributes
    ----------
    name
        The notebook stem, e.g. ``01_data_cleaning``.
    status
        ``ok`` or ``failed``.
    seconds
        Notebook execution time.
    render_seconds
        HTML rendering time.
    notebook
        The executed notebook.
    html
        The rendered report, or ``None`` when even a partial one could not be rendered.
    error
        ``ename: evalue`` of the failing cell, for a failed stage.
    """

    name: str
    status: Literal["ok", "failed"]
    seconds: float
    render_seconds: float
    notebook: Path
    html: Path | None
    error: str | None = None


# --------------------------------------------------------------------- stages

def discover_stages(notebooks_dir: Path) -> list[Path]:
    """The stage notebooks ``NN_*.ipynb`` in ``notebooks_dir``, in run order."""
    return sorted(notebooks_dir.glob(STAGE_GLOB))


def select_stages(stages: Sequence[Path], wanted: str | None) -> list[Path]:
    """The stages whose number is listed in ``wanted`` (``"01,02"``); all when ``wanted`` is empty.

    Raises
    ------
    ConfigError
        When a listed number is not a number or names no stage.
    """
    items = [item.strip() for item in (wanted or "").split(",") if item.strip()]
    if not items:
        return list(stages)
    available = {int(nb.name[:2]) for nb in stages}
    numbers = set()
    for item in items:
        if not item.isdecimal() or int(item) not in available:
            listed = ", ".join(f"{n:02d}" for n in sorted(available))
            raise ConfigError(f"--stages: no stage {item!r}; the stages are {listed}")
        numbers.add(int(item))
    return [nb for nb in stages if int(nb.name[:2]) in numbers]


def _execute(notebook: Path, executed: Path, parameters: Mapping[str, str], cwd: Path) -> str | None:
    """Execute one notebook; return ``ename: evalue`` of the failing cell, or ``None``."""
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=dict(parameters),
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            extra_arguments=_QUIET_KERNEL,
        )
    except PapermillExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}"
    return None


def _render(executed: Path, title: str, failed: bool) -> Path | None:
    """Render the HTML next to the executed notebook; best effort for a failed stage."""
    try:
        return export_html(executed, executed.with_suffix(".html"), title)
    except Exception:
        if not failed:
            raise
        return None  # a partial report must never hide the stage's own error


def run_stage(
    notebook: Path, out_dir: Path, parameters: Mapping[str, str], *, cwd: Path, period: str
) -> StageResult:
    """Execute one stage notebook into ``out_dir`` and render its HTML.

    Parameters
    ----------
    notebook
        The stage notebook.
    out_dir
        Where the executed ``.ipynb`` and the ``.html`` go.
    parameters
        Papermill parameters (text values).
    cwd
        The kernel's working directory.
    period
        The period label, for the report title.

    Returns
    -------
    StageResult
    """
    executed = out_dir / notebook.name
    start = time.perf_counter()
    error = _execute(notebook, executed, parameters, cwd)
    executed_at = time.perf_counter()
    html = _render(executed, f"{stage_title(notebook.stem)} — {period}", failed=error is not None)
    return StageResult(
        name=notebook.stem,
        status="failed" if error else "ok",
        seconds=executed_at - start,
        render_seconds=time.perf_counter() - executed_at,
        notebook=executed,
        html=html,
        error=error,
    )


def _clear_outputs(notebooks: Sequence[Path], out_dir: Path) -> None:
    """Remove earlier outputs of the stages about to run, so a failed run leaves no stale report behind."""
    for nb in notebooks:
        for old in (out_dir / nb.name, (out_dir / nb.name).with_suffix(".html")):
            old.unlink(missing_ok=True)


def run_stages(
    notebooks: Sequence[Path],
    out_dir: Path,
    parameters: Mapping[str, str],
    *,
    cwd: Path,
    period: str,
    out: TextIO | None = None,
) -> list[StageResult]:
    """Run stages in order, printing progress, and stop at the first failure.

    This is the whole per-stage path of ``grading run`` (Papermill, then
    nbconvert), reusable with any notebooks folder, e.g. by the benchmark.

    Parameters
    ----------
    notebooks
        Stage notebooks in run order (see :func:`discover_stages`).
    out_dir
        Where executed notebooks and HTML go; created if missing.
    parameters
        Papermill parameters (text values).
    cwd
        The kernels' working directory.
    period
        The period label, for report titles.
    out
        Where progress goes (default: standard output).

    Returns
    -------
    list[StageResult]
        One per stage run; the last one failed if the run stopped early.
    """
    out = sys.stdout if out is None else out
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_outputs(notebooks, out_dir)
    results = []
    for i, nb in enumerate(notebooks, start=1):
        print(f"[{i}/{len(notebooks)}] {nb.stem} ... ", end="", file=out, flush=True)
        result = run_stage(nb, out_dir, parameters, cwd=cwd, period=period)
        took = result.seconds + result.render_seconds
        print(f"{took:.1f} s" if result.status == "ok" else f"failed after {took:.1f} s", file=out, flush=True)
        results.append(result)
        if result.status == "failed":
            break
    return results


# ------------------------------------------------------------------- manifest

def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the results; missing ones are skipped."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _cleaning_figures(path: Path, run_started: float, run_ok: bool) -> dict[str, Any]:
    """Stage 01's ``cleaning.json``, if it describes the data now on disk.

    A failed run may have stopped before stage 01 rewrote the file, so an older
    one is only trusted when the run succeeded (e.g. ``--stages 02`` after a full run).
    """
    if not path.is_file() or not (run_ok or path.stat().st_mtime >= run_started):
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _now() -> str:
    """Wall-clock time with the local UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunPlan:
    """What one ``grading run`` does: its parameters and where it reads and writes."""

    root: Path
    period: Period
    data: Path
    mapping: str
    stages: list[Path]

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports" / self.period.label

    @property
    def processed_dir(self) -> Path:
        return self.root / "data" / "processed" / self.period.label

    def parameters(self) -> dict[str, str]:
        """The Papermill parameters every stage receives."""
        return {
            "period": self.period.label,
            "data": str(self.data),
            "mapping": self.mapping,
            "project_root": str(self.root),
        }


def build_manifest(
    plan: RunPlan, results: Sequence[StageResult], started_at: str, run_started: float
) -> dict[str, Any]:
    """The run's manifest: stage 01's cleaning figures plus the run's parameters, stages and versions."""
    failed = next((r for r in results if r.status == "failed"), None)
    return {
        **_cleaning_figures(plan.processed_dir / "cleaning.json", run_started, run_ok=failed is None),
        "parameters": {
            "period": plan.period.label,
            "as_of": plan.period.as_of.date().isoformat(),
            "data": str(plan.data),
            "mapping": plan.mapping,
        },
        "status": "failed" if failed else "ok",
        "error": f"{failed.name}: {failed.error}" if failed else None,
        "started_at": started_at,
        "finished_at": _now(),
        "seconds": round(sum(r.seconds + r.render_seconds for r in results), 2),
        "stages": [_stage_entry(r, plan.root) for r in results],
        "versions": package_versions(),
    }


def _stage_entry(result: StageResult, root: Path) -> dict[str, Any]:
    return {
        "name": result.name,
        "status": result.status,
        "seconds": round(result.seconds, 2),
        "render_seconds": round(result.render_seconds, 2),
        "notebook": result.notebook.relative_to(root).as_posix(),
        "html": result.html.relative_to(root).as_posix() if result.html else None,
    }


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest`` as UTF-8 JSON (Chinese text stays readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------- commands

def _mapping_argument(mapping: str | None) -> str:
    """The mapping parameter: a name as given, an existing file as an absolute path.

    The kernels run in ``notebooks/``, so a path relative to the user's folder
    would otherwise point elsewhere.
    """
    if not mapping:
        return ""
    path = Path(mapping).expanduser()
    return str(path.resolve()) if path.is_file() else mapping


def plan_run(args: argparse.Namespace) -> RunPlan:
    """Check the command-line arguments and decide what to run.

    Raises
    ------
    GradingError
        For a bad period, a missing data path or project folder, or unknown stages.
    """
    period = parse_period(args.period)
    data = Path(args.data).expanduser().resolve()
    if not data.exists():
        raise ConfigError(f"--data: {args.data} does not exist (give a data file or a folder of files)")
    root = Path(args.root).expanduser().resolve()
    notebooks_dir = root / "notebooks"
    stages = discover_stages(notebooks_dir)
    if not stages:
        raise ConfigError(
            f"no stage notebooks (NN_name.ipynb) in {notebooks_dir}: run from the project folder or pass --root"
        )
    return RunPlan(root, period, data, _mapping_argument(args.mapping), select_stages(stages, args.stages))


def _regenerate_index(root: Path) -> Path:
    return write_index(root / "reports", root / "data" / "processed")


def cmd_run(args: argparse.Namespace) -> int:
    """``grading run``: execute the stages, write the manifest and the index."""
    plan = plan_run(args)
    started_at, run_started = _now(), time.time()
    results = run_stages(
        plan.stages, plan.reports_dir, plan.parameters(), cwd=plan.root / "notebooks", period=plan.period.label
    )
    manifest = build_manifest(plan, results, started_at, run_started)
    manifest_path = write_manifest(plan.processed_dir / "manifest.json", manifest)
    index = _regenerate_index(plan.root)
    failed = results[-1] if results[-1].status == "failed" else None
    if failed:
        print(f"error: stage {failed.name} failed: {failed.error}", file=sys.stderr)
        if failed.html:
            print(f"partial report: {failed.html}", file=sys.stderr)
        return 1
    print(f"reports: {index}\nmanifest: {manifest_path}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    """``grading index``: regenerate ``reports/index.html``."""
    print(f"index: {_regenerate_index(Path(args.root).expanduser().resolve())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``grading`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="grading",
        description="Customer grading (客户分级): run the numbered notebooks for a period and render HTML reports.",
        epilog="Exit codes: 0 success, 1 a stage failed, 2 bad parameters or configuration.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run the stages for one period",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Execute notebooks/NN_*.ipynb in order with Papermill.\n"
            "Executed notebooks and HTML go to reports/PERIOD/, the run's manifest to\n"
            "data/processed/PERIOD/manifest.json, and reports/index.html is regenerated."
        ),
        epilog=(
            "examples:\n"
            "  grading run --period 2011-11 --data ../shared/data/online_retail.parquet\n"
            "  grading run --period 2025Q4 --data data/raw/sample --stages 01,02"
        ),
    )
    run.add_argument("--period", required=True, help="a month 2011-11, a quarter 2011Q4 or a year 2011")
    run.add_argument("--data", required=True, help="a data file (CSV, TXT, Excel, Parquet) or a folder of files")
    run.add_argument(
        "--mapping", default=None,
        help="mapping name in config/mappings/ or a path to a mapping YAML (default: detect from the data's columns)",
    )
    run.add_argument("--stages", default=None, help="comma-separated stage numbers to run, e.g. 01,02 (default: all)")
    _add_root(run)
    run.set_defaults(func=cmd_run)
    index = sub.add_parser(
        "index", help="regenerate reports/index.html", description="Regenerate reports/index.html from reports/."
    )
    _add_root(index)
    index.set_defaults(func=cmd_index)
    return parser


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="project folder holding notebooks/ (default: current folder)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``grading`` and ``python -m helpers``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
