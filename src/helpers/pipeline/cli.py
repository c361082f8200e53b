"""The ``grading`` command: run stages for one or more periods, show their status, rebuild the index, send again.

Exit codes: 0 success, 1 a stage failed (``send``: a digest was not delivered), 2 bad parameters, configuration or
an earlier stage missing (with ``--no-deps``). Expected failures print one line, never a traceback.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from helpers.core.catalog import ProjectPaths
from helpers.core.errors import ConfigError, GradingError
from helpers.core.mapping import load_mapping
from helpers.core.periods import Period, parse_period, parse_periods
from helpers.io.manifest import read_manifest
from helpers.pipeline import registry
from helpers.pipeline.context import stage_statuses
from helpers.pipeline.delivery import deliver, delivery_records
from helpers.pipeline.promotion import recover
from helpers.pipeline.runner import run_period, write_index
from helpers.pipeline.spec import Param
from helpers.pipeline.state import period_lock

__all__ = ["build_parser", "main"]

_STATE_WORDS = {"ok": "up to date", "stale": "out of date", "missing": "not run"}


# --------------------------------------------------------------------------- arguments
def _stage_options(parser: argparse.ArgumentParser) -> None:
    """One option per stage parameter, from the declarations."""
    for s in registry.stages():
        for p in s.params:
            parser.add_argument(
                p.option, dest=p.name, default=None, help=f"stage {s.key[:2]}: {p.help} (default: {p.default!r})"
            )


def _common(parser: argparse.ArgumentParser, *, several: bool) -> None:
    if several:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--period", help="a month 2011-11, a quarter 2011Q4 or a year 2011")
        which.add_argument("--periods", help="several periods: a range 2011-01..2011-12 or a list 2011-10,2011-11")
    else:
        parser.add_argument("--period", required=True, help="a month 2011-11, a quarter 2011Q4 or a year 2011")
    parser.add_argument("--data", required=True, help="a data file (CSV, TXT, Excel, Parquet) or a folder of files")
    parser.add_argument(
        "--mapping", default=None, help="mapping name in config/mappings/ or a path to a mapping YAML (default: detect)"
    )
    parser.add_argument("--root", default=".", help="project folder holding notebooks/ (default: current folder)")
    _report_options(parser)


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        default=None,
        help="language of the reports, workbooks and index: zh, en or both (default: reports.language in the settings)",
    )
    parser.add_argument(
        "--audience",
        default=None,
        help=(
            "client (no settings, files or model tables) or internal (adds the method details and model tables) "
            "(default: reports.audience in the settings)"
        ),
    )


def _settings(paths: ProjectPaths, args: argparse.Namespace) -> Any:
    """The validated settings with the run's --lang and --audience over them."""
    return registry.load_settings(
        paths.config, lang=getattr(args, "lang", None) or "", audience=getattr(args, "audience", None) or ""
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``grading`` argument parser (stage options come from the stage declarations)."""
    parser = argparse.ArgumentParser(
        prog="grading",
        description="Customer grading (客户分级): run the stages for a period and render the HTML reports.",
        epilog=(
            "Exit codes: 0 success, 1 a stage failed (send: a digest not delivered), 2 bad parameters, configuration "
            "or a missing earlier stage."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    stages = ", ".join(f"{s.key[:2]} {s.title_en.lower()}" for s in registry.stages())
    run = sub.add_parser(
        "run",
        help="run the stages for one or more periods",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            f"Run the stages ({stages}) for a period: each notebook runs with Papermill into a staging folder,\n"
            "and the period's tables, reports and workbooks are replaced only when every stage succeeded.\n"
            "With --stages, earlier stages the chosen ones read run too when they are not run yet or out of date."
        ),
        epilog=(
            "examples:\n"
            "  grading run --period 2011-11 --data ../shared/data/online_retail.parquet\n"
            "  grading run --period 2025Q4 --data data/raw/sample --stages 03\n"
            "  grading run --periods 2011-01..2011-11 --data ../shared/data/online_retail.parquet --jobs 2"
        ),
    )
    _common(run, several=True)
    run.add_argument("--stages", default=None, help="comma-separated stage numbers to run, e.g. 01,02 (default: all)")
    run.add_argument(
        "--no-deps",
        action="store_true",
        help="run only the stages named; stop (exit 2) if an earlier one is not run yet or out of date",
    )
    run.add_argument("--jobs", type=int, default=1, help="periods run at the same time (default 1)")
    run.add_argument(
        "--pdf",
        action="store_true",
        help="also print every report of the period into one PDF, grading report first (needs headless Chromium)",
    )
    _stage_options(run)
    run.set_defaults(func=cmd_run)

    status = sub.add_parser(
        "status",
        help="show which stages of a period are up to date",
        description="For each stage: up to date, out of date (and why), or not run.",
    )
    _common(status, several=False)
    _stage_options(status)
    status.set_defaults(func=cmd_status)

    index = sub.add_parser(
        "index",
        help="regenerate reports/index.html",
        description="Regenerate reports/index.html from the periods' manifests.",
    )
    index.add_argument("--root", default=".", help="project folder (default: current folder)")
    _report_options(index)
    index.set_defaults(func=cmd_index)

    send = sub.add_parser(
        "send",
        help="deliver a period's saved outputs again (the alert digests by e-mail)",
        description=(
            "A run e-mails the alert digests once its outputs are saved. This sends those of a saved period that "
            "did not go out (a server that was down, an address added since); with --force, every one again."
        ),
    )
    send.add_argument("--period", required=True, help="the period, e.g. 2025Q4")
    send.add_argument("--force", action="store_true", help="send digests already sent, unchanged, again")
    send.add_argument("--root", default=".", help="project folder (default: current folder)")
    send.set_defaults(func=cmd_send)
    return parser


def _params(args: argparse.Namespace) -> dict[str, Any]:
    """The run's parameters: absolute data path, mapping as given (a file path made absolute), stage options."""
    data = Path(args.data).expanduser()
    if not data.exists():
        raise ConfigError(f"--data: {args.data} does not exist (give a data file or a folder of files)")
    mapping = args.mapping or ""
    if mapping and Path(mapping).expanduser().is_file():
        mapping = str(Path(mapping).expanduser().resolve())  # kernels run in notebooks/: relative paths would break
    if mapping:
        load_mapping(Path(args.root) / "config", mapping)  # a mistyped name stops here, before any stage runs
    params: dict[str, Any] = {"data": str(data.resolve()), "mapping": mapping}
    for s in registry.stages():
        for p in s.params:
            value = getattr(args, p.name, None)
            if value is not None:
                params[p.name] = _param_value(p, value)
    return params


_TRUE, _FALSE = {"1", "true", "yes", "y", "on"}, {"0", "false", "no", "n", "off"}


def _param_value(param: Param, text: str) -> str | int | float | bool:
    """A command-line value as the parameter's type (that of its default); a path must exist."""
    if param.path and text:
        path = Path(text).expanduser()
        if not path.exists():
            raise ConfigError(f"{param.option}: {text} does not exist")
        return str(path.resolve())  # kernels run in notebooks/: a relative path would point elsewhere
    kind = type(param.default)
    if kind is bool:
        if text.strip().lower() not in _TRUE | _FALSE:
            raise ConfigError(f"{param.option}: expected yes or no, got {text!r}")
        return text.strip().lower() in _TRUE
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(f"{param.option}: expected a number, got {text!r}") from None
    return text


def _project(args: argparse.Namespace) -> ProjectPaths:
    paths = ProjectPaths(Path(args.root))
    missing = [s.notebook for s in registry.stages() if not (paths.notebooks / s.notebook).is_file()]
    if missing:
        raise ConfigError(f"no {missing[0]} in {paths.notebooks}: run from the project folder or pass --root")
    strays = sorted(
        p.name
        for p in paths.notebooks.glob("[0-9][0-9]_*.ipynb")
        if p.name not in {s.notebook for s in registry.stages()}
    )
    if strays:
        raise ConfigError(f"notebooks/{strays[0]} has no stage declaration (add src/helpers/<stage>/stage.py)")
    return paths


def _requested(text: str | None) -> list[Any] | None:
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    if not items:
        return None
    for item in items:
        if not item.isdecimal():
            raise ConfigError(
                f"--stages: {item!r} is not a stage number; the stages are "
                + ", ".join(s.key[:2] for s in registry.stages())
            )
    return [registry.stage(item) for item in items]


# --------------------------------------------------------------------------- commands
def _run_one(paths: ProjectPaths, period: Period, args: argparse.Namespace, params: dict[str, Any]) -> int:
    settings = _settings(paths, args)
    outcome = run_period(paths, period, settings, params, _requested(args.stages), no_deps=args.no_deps, pdf=args.pdf)
    index = write_index(paths, settings.reports.language)
    if not outcome.ok:
        kept = (
            "its last good outputs are unchanged"
            if paths.manifest(period.label).is_file()
            else "nothing was written for it"
        )
        where = f"; this attempt's report: {paths.relative(outcome.failed_report)}" if outcome.failed_report else ""
        print(f"error: {period.label}: {outcome.error} — {kept}{where}", file=sys.stderr)
        return 1
    print(
        f"reports: {paths.relative(index)} · {period.label}: {paths.relative(paths.folder('reports', period.label))}/",
        flush=True,
    )
    if outcome.undelivered:  # the outputs are good: said once more at the end, where a long run's reader looks
        print(
            f"warning: {period.label}: the outputs are saved, but not everything was delivered (see the warnings "
            f"above); once fixed: grading send --period {period.label}",
            file=sys.stderr,
        )
    return 0


def _child_command(args: argparse.Namespace, period: str) -> list[str]:
    argv = [sys.executable, "-m", "helpers", "run", "--period", period, "--data", args.data, "--root", args.root]
    if args.mapping:
        argv += ["--mapping", args.mapping]
    if args.stages:
        argv += ["--stages", args.stages]
    if args.no_deps:
        argv.append("--no-deps")
    if args.pdf:
        argv.append("--pdf")
    for option in ("lang", "audience"):
        if getattr(args, option, None):
            argv += [f"--{option}", getattr(args, option)]
    for s in registry.stages():
        for p in s.params:
            if getattr(args, p.name, None) is not None:
                argv += [p.option, str(getattr(args, p.name))]
    return argv


def _run_parallel(periods: list[Period], args: argparse.Namespace) -> int:
    """Each period in its own process, ``--jobs`` at a time; their lines printed as they come, prefixed."""
    lock = threading.Lock()

    def one(period: Period) -> int:
        proc = subprocess.Popen(
            _child_command(args, period.label),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=Path.cwd(),
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            with lock:
                print(f"[{period.label}] {line.rstrip()}", flush=True)
        return proc.wait()

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        codes = list(pool.map(one, periods))
    return max(codes)


def cmd_run(args: argparse.Namespace) -> int:
    """``grading run``."""
    if args.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    periods = [parse_period(args.period)] if args.period else parse_periods(args.periods)
    paths = _project(args)
    params = _params(args)
    _settings(paths, args)  # a typo stops here, before anything runs
    if len(periods) > 1 and args.jobs > 1:
        return _run_parallel(periods, args)
    codes = []
    for period in periods:
        if len(periods) > 1:
            print(f"== {period.label}", flush=True)
        try:
            codes.append(_run_one(paths, period, args, params))
        except GradingError as exc:
            if len(periods) == 1:
                raise
            print(f"error: {period.label}: {exc}", file=sys.stderr)
            codes.append(2)
    return max(codes)


def cmd_status(args: argparse.Namespace) -> int:
    """``grading status``: one line per stage."""
    paths = _project(args)
    period = parse_period(args.period)
    settings = _settings(paths, args)
    params = _params(args)
    print(period.label)
    width = max(len(s.key) for s in registry.stages())
    for key, status in stage_statuses(paths, period, settings, params).items():
        detail = f": {status.reason}" if status.reason else ""
        print(f"  {key:<{width}}  {_STATE_WORDS[status.state]}{detail}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    """``grading index``."""
    paths = ProjectPaths(Path(args.root))
    print(f"index: {paths.relative(write_index(paths, _settings(paths, args).reports.language))}")
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    """``grading send``: 0 when every digest has reached its recipients, 1 when one has not."""
    paths = ProjectPaths(Path(args.root))
    period = parse_period(args.period)
    settings = registry.load_settings(paths.config)
    with period_lock(paths, period.label):
        recover(paths, period.label)  # a swap a dead run left half done is finished first
        manifest = read_manifest(paths.manifest(period.label))
        if not manifest.get("stages"):
            raise GradingError(f"{period.label} has not been run: run it first (grading run --period {period.label})")
        print(period.label, flush=True)
        deliver(
            paths, period, settings, registry.stages(), delivery_records(manifest), force=args.force, out=sys.stdout
        )
        records = delivery_records(read_manifest(paths.manifest(period.label)))
    write_index(paths, settings.reports.language)  # the front page says what was sent
    missing = [
        name
        for record in records.values()
        for name, entry in record.get("digests", {}).items()
        if entry.get("status") != "sent"
    ]
    return 1 if missing or any(r.get("error") for r in records.values()) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``grading`` and ``python -m helpers``; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
