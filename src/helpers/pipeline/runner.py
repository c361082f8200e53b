"""Run stages for a period: plan over the graph, execute in staging, replace the period only on success.

:func:`plan_run` decides what runs: the stages asked for, plus every earlier
stage they read that is not run yet or out of date (or, with ``no_deps``, a
:class:`NeedsEarlierStage` error naming it). :func:`run_period` plans and executes the
plan: each stage's notebook runs with Papermill into the run's staging folders
(``data/processed/.staging/<period>.<run>/``, ``reports/.staging/...``) and is
rendered to HTML; only when every stage succeeded do the staging folders
replace the period's folders, all or nothing (:mod:`helpers.pipeline.promotion`). A failed run leaves the
period's previous outputs byte-identical and keeps its own reports in
``reports/failed-runs/<period>/`` for diagnosis.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

from helpers.core.catalog import ProjectPaths
from helpers.core.errors import GradingError, is_user_error
from helpers.core.labels import Label, Language
from helpers.core.periods import Period
from helpers.io.files import read_json, write_json
from helpers.io.manifest import read_manifest
from helpers.pipeline import registry
from helpers.pipeline.context import StageContext, stage_context
from helpers.pipeline.delivery import deliver, delivery_records
from helpers.pipeline.promotion import PLACES, carry_forward, commit, recover, tidy
from helpers.pipeline.spec import Stage
from helpers.pipeline.state import index_lock, period_lock, project_version

__all__ = [
    "NeedsEarlierStage",
    "NotebookRun",
    "Plan",
    "RunOutcome",
    "package_versions",
    "plan_run",
    "run_period",
    "write_index",
]

VERSIONED_PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "papermill",
    "nbconvert",
    "matplotlib",
    "duckdb",
    "scikit-learn",
    "statsmodels",
    "pymc-marketing",
)
# The kernel process's own log ("running over TCP without encryption" at start, "KeyboardInterrupt caught"
# when the client interrupts it on shutdown) would print between our progress lines. A notebook's warnings and
# errors are unaffected: they reach its outputs, and a kernel that dies is reported by Papermill.
_QUIET_KERNEL = ["--IPKernelApp.log_level=CRITICAL"]


def _quiet_kernel_manager() -> type:
    """A kernel manager whose kernel process writes nothing to our terminal.

    Whatever the kernel process itself prints outside a cell — ipykernel's and pyzmq's own tracebacks while it
    shuts down ("Socket operation on non-socket"), which no log level silences — would otherwise appear in the
    user's console as a traceback after a clean error message. A cell's output is captured by the kernel and
    reaches the notebook either way.
    """
    from jupyter_client import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super().start_kernel(**kw)

    return QuietKernelManager


class NeedsEarlierStage(GradingError):
    """``--no-deps`` was given but an earlier stage must run first."""


@dataclass(frozen=True)
class Plan:
    """What one run of a period does.

    Attributes
    ----------
    run
        The stages to execute, in order, with the reason each runs.
    reused
        Earlier stages whose up-to-date outputs the run reads as they are.
    """

    run: list[tuple[Stage, str]]
    reused: list[Stage]


@dataclass(frozen=True)
class NotebookRun:
    """The outcome of one stage notebook: ``ok`` or ``failed`` (``error`` = ``ename: evalue``)."""

    stage: Stage
    status: str
    seconds: float
    render_seconds: float
    notebook: Path
    html: Path | None
    error: str | None = None


@dataclass
class RunOutcome:
    """The outcome of one period's run."""

    period: str
    ok: bool
    stages: list[NotebookRun] = field(default_factory=list)
    error: str | None = None
    failed_report: Path | None = None
    #: After a good run: what its deliveries (e.g. e-mailed digests) failed to deliver.
    undelivered: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- planning
def plan_run(
    paths: ProjectPaths,
    period: Period,
    settings: BaseModel,
    params: Mapping[str, Any],
    requested: Sequence[Stage] | None = None,
    *,
    no_deps: bool = False,
) -> Plan:
    """Decide which stages run: those requested, and the earlier ones they need that are not up to date.

    An earlier stage runs again when it has not run for the period, when its inputs,
    settings, parameters or the project version changed since, or when a stage it
    reads runs again in this plan (:meth:`~helpers.pipeline.context.StageContext.status`).

    Raises
    ------
    NeedsEarlierStage
        With ``no_deps``, naming the first earlier stage that would have to run, and why.
    GradingError
        When an input of an earlier stage cannot be found (e.g. the data path or mapping).
    """
    everything = list(registry.stages())
    wanted = {s.key for s in (requested or everything)}
    contexts = {s.key: stage_context(s, paths, period, settings, params) for s in everything}
    needed = set(wanted)
    for s in reversed(everything):
        if s.key in needed:
            needed |= set(contexts[s.key].reads())
    manifest = read_manifest(paths.manifest(period.label))
    run: list[tuple[Stage, str]] = []
    reused: list[Stage] = []
    behind: dict[str, str] = {}
    for s in everything:
        if s.key not in needed:
            continue
        if s.key in wanted:
            run.append((s, "asked for"))
            behind[s.key] = "runs again"
            continue
        status = contexts[s.key].status(manifest, behind)
        if status.ok:
            reused.append(s)
        else:
            run.append((s, status.reason))
            behind[s.key] = "runs again"
    earlier = [(s, why) for s, why in run if s.key not in wanted]
    if no_deps and earlier:
        first, why = earlier[0]
        keys = ",".join(s.key[:2] for s, _ in earlier)
        raise NeedsEarlierStage(
            f"stage {min(wanted)} needs stage {first.key} first ({why}): run grading run --period {period.label} "
            f"--data {paths.relative(Path(params['data'])) if params.get('data') else '<data>'} --stages {keys}, "
            "or leave out --no-deps"
        )
    return Plan(run=run, reused=reused)


# --------------------------------------------------------------------------- executing
def _execute(notebook: Path, executed: Path, parameters: Mapping[str, Any], cwd: Path) -> str | None:
    """Execute one notebook; return what went wrong in one line (``ename: evalue`` of the failing cell), or ``None``.

    Any failure to execute — a cell's error, a kernel that died or timed out — is the stage's failure, reported
    in one line: the period's good outputs stay untouched either way.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=dict(parameters),
            cwd=str(cwd),
            kernel_name="python3",
            progress_bar=False,
            extra_arguments=_QUIET_KERNEL,
            kernel_manager_class=_quiet_kernel_manager(),
        )
    except PapermillExecutionError as exc:
        return exc.evalue if is_user_error(exc.ename) else f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # a dead or hung kernel is a failed stage, not a traceback
        return f"the notebook could not be executed ({type(exc).__name__}: {exc})".replace("\n", " ")
    return None


def _render(executed: Path, title: str) -> tuple[Path | None, str | None]:
    """The HTML next to the executed notebook, or why it could not be rendered."""
    from helpers.reporting.html import export_html

    if not executed.is_file():
        return None, "the notebook wrote no executed copy to render"
    try:
        return export_html(executed, executed.with_suffix(".html"), title), None
    except Exception as exc:  # a report that cannot be rendered fails its stage in one line
        return None, f"the report could not be rendered ({type(exc).__name__}: {exc})"


def run_notebook(
    stage: Stage, paths: ProjectPaths, out_dir: Path, parameters: Mapping[str, Any], period: str
) -> NotebookRun:
    """Execute a stage's notebook into ``out_dir`` and render its HTML there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / stage.notebook
    started = time.perf_counter()
    error = _execute(paths.notebooks / stage.notebook, executed, parameters, paths.notebooks)
    executed_at = time.perf_counter()
    title = Label(stage.title_zh, stage.title_en).render(parameters.get("lang") or "both")
    html, render_error = _render(executed, f"{stage.key[:2]} {title} — {period}")
    error = error or render_error  # a partial report of a failed stage never hides the stage's own error
    return NotebookRun(
        stage,
        "failed" if error else "ok",
        executed_at - started,
        time.perf_counter() - executed_at,
        executed,
        html,
        error,
    )


def _notebook_parameters(ctx: StageContext, run_id: str) -> dict[str, Any]:
    """What Papermill passes: the common parameters, then the stage's own (defaults filled by the context)."""
    return {
        "period": ctx.period.label,
        "data": ctx.params.get("data", ""),
        "mapping": ctx.params.get("mapping", ""),
        "project_root": str(ctx.paths.root),
        "run_id": run_id,
        # The settings' choices, or the run's --lang/--audience over them: the notebook shows them, the HTML too.
        "lang": ctx.settings.reports.language,  # type: ignore[attr-defined]
        "audience": ctx.settings.reports.audience,  # type: ignore[attr-defined]
        **ctx.stage_params(),
    }


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape the results; missing ones are skipped."""
    versions = {"python": platform.python_version(), "customer-grading": project_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _final_manifest(
    paths: ProjectPaths,
    period: Period,
    run_id: str,
    params: Mapping[str, Any],
    results: Sequence[NotebookRun],
    started_at: str,
    started: float,
) -> dict[str, Any]:
    """The period's manifest after a good run: this run's stage entries over the ones it did not replace."""
    committed = read_manifest(paths.manifest(period.label))
    staged = read_manifest(paths.manifest(period.label, run_id))
    stages = {**committed.get("stages", {}), **staged.get("stages", {})}
    for r in results:
        entry = stages[r.stage.key]
        entry["report"] = paths.relative(paths.folder("reports", period.label) / r.html.name) if r.html else None
        entry["notebook_seconds"] = round(r.seconds, 2)
        entry["render_seconds"] = round(r.render_seconds, 2)
    stages = {key: stages[key] for key in sorted(stages)}
    manifest: dict[str, Any] = {
        "period": period.label,
        "as_of": period.as_of.date().isoformat(),
        "project_version": project_version(),
        "parameters": {
            "data": paths.relative(Path(params["data"])) if params.get("data") else "",
            "mapping": params.get("mapping", ""),
        },
        "stages": stages,
        "run": {
            "id": run_id,
            "started_at": started_at,
            "finished_at": _now(),
            "seconds": round(time.perf_counter() - started, 2),
            "stages_run": [r.stage.key for r in results],
        },
        "versions": package_versions(),
    }
    cleaning = paths.folder("processed", period.label, run_id) / "cleaning.json"
    if cleaning.is_file():  # stage 01's row accounting, for the index and the reader of the manifest
        for key, value in read_json(cleaning).items():
            manifest.setdefault(key, value)
    return manifest


def _keep_failed_attempt(paths: ProjectPaths, period: str, run_id: str, outcome: RunOutcome) -> None:
    """Move the failed run's reports to ``reports/failed-runs/<period>/`` (replacing an older attempt)."""
    failed = paths.failed(period)
    shutil.rmtree(failed, ignore_errors=True)
    staged_reports = paths.folder("reports", period, run_id)
    failed.parent.mkdir(parents=True, exist_ok=True)
    if staged_reports.is_dir():
        staged_reports.rename(failed)
    failed.mkdir(parents=True, exist_ok=True)
    failing = outcome.stages[-1] if outcome.stages else None
    write_json(
        failed / "attempt.json",
        {
            "period": period,
            "finished_at": _now(),
            "run_id": run_id,
            "error": outcome.error,
            "stage": failing.stage.key if failing else None,
            "report": failing.html.name if failing and failing.html else None,
        },
    )
    shutil.rmtree(paths.folder("processed", period, run_id), ignore_errors=True)
    tidy(paths)
    if failing and failing.html:
        outcome.failed_report = failed / failing.html.name


def _print_pdf(paths: ProjectPaths, label: str, run_id: str, out: TextIO) -> None:
    """The period's reports in one PDF, into the run's staging folder; a warning when it cannot be made."""
    from helpers.reporting.pdf import write_period_pdf

    try:
        made = write_period_pdf(paths.folder("reports", label, run_id), label, [s.key for s in registry.stages()])
    except GradingError as exc:
        print(f"      warning: {exc}", file=out, flush=True)
        return
    print(f"pdf: {paths.relative(paths.folder('reports', label) / made.name)}", file=out, flush=True)


def run_period(
    paths: ProjectPaths,
    period: Period,
    settings: BaseModel,
    params: Mapping[str, Any],
    requested: Sequence[Stage] | None = None,
    *,
    no_deps: bool = False,
    pdf: bool = False,
    out: TextIO | None = None,
) -> RunOutcome:
    """Plan and run stages for one period; replace the period's outputs only if every stage succeeds.

    Holding the period's lock throughout, it first finishes a run a dead process left
    half done (:func:`~helpers.pipeline.promotion.recover`), then plans (:func:`plan_run`),
    so what it plans on cannot change before it runs. Once the outputs are committed, the stages that ran and
    declare a delivery deliver them (:func:`~helpers.pipeline.delivery.deliver`): a delivery that fails is
    reported in ``undelivered`` and leaves the outputs as they are.

    Parameters
    ----------
    paths, period, settings
        The project, the period and the validated settings.
    params
        ``data`` (absolute), ``mapping`` and the stages' own parameters.
    requested, no_deps
        As in :func:`plan_run`.
    pdf
        Also print every report of the period into one PDF (:mod:`helpers.reporting.pdf`), when headless Chromium
        is installed; without it, a warning says so and the run succeeds.
    out
        Where progress lines go (default: standard output).

    Raises
    ------
    NeedsEarlierStage, GradingError
        From planning (nothing has been written then), or when every stage succeeded but the
        period's folders could not be replaced (the next run restores them first).
    """
    out = sys.stdout if out is None else out
    label = period.label
    outcome = RunOutcome(period=label, ok=False)
    with period_lock(paths, label):
        recover(paths, label)
        plan = plan_run(paths, period, settings, params, requested, no_deps=no_deps)
        run_id = f"{datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}"
        started_at, started = _now(), time.perf_counter()
        for place in PLACES:
            paths.folder(place, label, run_id).mkdir(parents=True, exist_ok=True)
        if plan.reused:
            print(f"up to date, reused: {', '.join(s.key for s in plan.reused)}", file=out, flush=True)
        for i, (stage, _why) in enumerate(plan.run, start=1):
            print(f"[{i}/{len(plan.run)}] {stage.key} ... ", end="", file=out, flush=True)
            ctx = stage_context(stage, paths, period, settings, params)
            result = run_notebook(
                stage, paths, paths.folder("reports", label, run_id), _notebook_parameters(ctx, run_id), label
            )
            recorded = read_manifest(paths.manifest(label, run_id)).get("stages", {})
            if result.status == "ok" and stage.key not in recorded:
                result = dataclasses.replace(
                    result, status="failed", error="the notebook did not call stage.run(), so it wrote no outputs"
                )
            took = result.seconds + result.render_seconds
            print(f"{took:.1f} s" if result.status == "ok" else f"failed after {took:.1f} s", file=out, flush=True)
            for warning in recorded.get(stage.key, {}).get("warnings", []):
                print(f"      warning: {warning}", file=out, flush=True)
            outcome.stages.append(result)
            if result.status == "failed":
                outcome.error = f"stage {stage.key} failed: {result.error}"
                _keep_failed_attempt(paths, label, run_id, outcome)
                return outcome
        try:
            carry_forward(paths, label, run_id, (s.key for s, _ in plan.run))
            if pdf:
                _print_pdf(paths, label, run_id, out)
            manifest = _final_manifest(paths, period, run_id, params, outcome.stages, started_at, started)
            write_json(paths.manifest(label, run_id), manifest)
            delivered = delivery_records(read_manifest(paths.manifest(label)))  # the last good run's deliveries
            commit(paths, label, run_id)
        except OSError as exc:  # a full disk, a file held open: the next run finishes or undoes this one first
            raise GradingError(
                f"{label}: every stage succeeded, but the period's outputs could not be replaced ({exc}); "
                "run again: the last good outputs are restored or the swap completed first"
            ) from None
        shutil.rmtree(paths.failed(label), ignore_errors=True)
        outcome.ok = True
        outcome.undelivered = deliver(paths, period, settings, [s for s, _ in plan.run], delivered, out=out)
    return outcome


def write_index(paths: ProjectPaths, language: Language = "both") -> Path:
    """Regenerate ``reports/index.html`` in ``language`` (serialised between concurrent runs)."""
    from helpers.reporting.index import write_index as render

    with index_lock(paths):
        return render(paths, language)
