"""A stage at work: its period, settings, parameters, inputs and outputs.

A notebook starts with :func:`open_stage` and makes one call::

    stage = open_stage("02", period=period, data=data, mapping=mapping,
                       project_root=project_root, run_id=run_id)
    result = stage.run()

:meth:`StageContext.run` reads the declared inputs through the catalog, calls
the stage's ``compute`` and writes the declared outputs, recording in the
period's manifest what they were made from. Under the runner (``run_id`` set)
everything goes to the run's staging folders, and a stage reads the outputs of
earlier stages of the same run from there; opened by hand in JupyterLab it
works on the period's folders and first checks that the earlier stages are up
to date. Tests and the benchmark call :meth:`StageContext.compute` with tables
they hold, without files or notebooks.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from helpers.core.catalog import Catalog, Output, ProjectPaths
from helpers.core.errors import ConfigError, GradingError
from helpers.core.labels import LABELS
from helpers.core.periods import Period, parse_period
from helpers.io.files import fingerprint, read_json, sha256, write_json
from helpers.io.manifest import read_manifest
from helpers.io.tables import read_table, table_rows, write_table
from helpers.pipeline import registry
from helpers.pipeline.spec import COMMON_PARAMETERS, External, Located, Stage, StageResult
from helpers.pipeline.state import (
    ABSENT,
    StageStatus,
    period_lock,
    project_version,
    settings_fingerprint,
    settings_parts,
    stage_status,
)

__all__ = ["StageContext", "open_stage", "stage_context", "stage_statuses"]


@dataclass
class StageContext:
    """Everything one stage run needs.

    Attributes
    ----------
    spec
        The stage's declaration.
    paths
        The project's folders.
    period
        The reporting period.
    settings
        The whole validated ``settings.yaml`` (:attr:`section` is the stage's own part).
    params
        ``data``, ``mapping``, ``run_id`` and the stage's own parameters (defaults filled in).
    """

    spec: Stage
    paths: ProjectPaths
    period: Period
    settings: BaseModel
    params: dict[str, Any]
    #: After :meth:`run`: output name -> {file, place, sha256, rows} of what was written.
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    _located: dict[str, Located] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ what the stage reads
    @property
    def section(self) -> Any:
        """The stage's own settings section (``settings.<config_section>``)."""
        return getattr(self.settings, self.spec.config_section)

    @property
    def analysis(self) -> Any:
        """The ``analysis`` section every stage shares."""
        return self.settings.analysis  # type: ignore[attr-defined]

    @property
    def config_dir(self) -> Path:
        return self.paths.config

    @property
    def run_id(self) -> str | None:
        return self.params.get("run_id") or None

    @property
    def catalog(self) -> Catalog:
        return registry.catalog()

    def stage_params(self) -> dict[str, Any]:
        """The values of the stage's own parameters."""
        return {p.name: self.params[p.name] for p in self.spec.params}

    def recorded_params(self) -> dict[str, Any]:
        """The parameters as the manifest records and compares them.

        A path parameter names a file an external input reads: the file's content is in the
        input fingerprints, so its text (absolute, or empty for the usual place) is recorded
        relative to the project for people and left out of the comparison.
        """
        return {p.name: self.params[p.name] for p in self.spec.params if not p.path}

    # ------------------------------------------------------------------ where things are
    def _staged(self) -> dict[str, Any]:
        """Entries of the stages this run has completed so far (empty outside a run)."""
        if not self.run_id:
            return {}
        return read_manifest(self.paths.manifest(self.period.label, self.run_id)).get("stages", {})

    def input_path(self, name: str) -> Path:
        """Where input ``name`` is read from: this run's staging folder if its stage ran in this run."""
        ran_here = self.catalog.producer(name) in self._staged()
        return self.catalog.path(self.paths, name, self.period.label, self.run_id if ran_here else None)

    def output_path(self, name: str) -> Path:
        """Where output ``name`` is written (the staging folder under a run)."""
        return self.catalog.path(self.paths, name, self.period.label, self.run_id)

    def locate(self, external: External) -> Located:
        """Find an external input (once per context)."""
        if external.name not in self._located:
            self._located[external.name] = external.locate(self)
        return self._located[external.name]

    # ------------------------------------------------------------------ fingerprints and status
    def input_fingerprints(self) -> dict[str, Any]:
        """sha256 of every input as it is now (:data:`ABSENT` for a missing optional table)."""
        prints: dict[str, Any] = {}
        for name in self.spec.table_inputs:
            path = self.input_path(name)
            prints[name] = sha256(path) if path.is_file() else ABSENT
        for external in self.spec.externals:
            located = self.locate(external)
            prints[external.name] = {self.paths.relative(p): sha256(p) for p in located.files} or ABSENT
        return prints

    def settings_parts(self) -> dict[str, str]:
        return settings_parts(self.spec, self.settings, self.config_dir)

    def settings_fingerprint(self) -> str:
        return settings_fingerprint(self.settings_parts())

    def output_fingerprints(self) -> dict[str, str]:
        """sha256 of every declared output file in the period's folder (:data:`ABSENT` when missing)."""
        prints = {}
        for output in self.spec.outputs:
            path = self.catalog.path(self.paths, output.name, self.period.label)
            prints[output.name] = fingerprint(path) or ABSENT
        return prints

    def reads(self) -> list[str]:
        """The keys of the earlier stages whose outputs this stage reads."""
        return list(dict.fromkeys(self.catalog.producer(n) for n in self.spec.table_inputs))

    def status(self, manifest: Mapping[str, Any] | None = None, behind: Mapping[str, str] | None = None) -> StageStatus:
        """Whether the period's outputs of this stage are up to date.

        The one rule: a stage is out of date when an earlier stage it reads is not up to date
        or runs again (``behind``: stage key -> ``"is not up to date"`` / ``"runs again"``), or
        when its own inputs, settings, parameters or the project version changed since it ran.
        """
        late = [key for key in self.reads() if key in (behind or {})]
        if late:
            return StageStatus("stale", f"it reads {', '.join(late)}, which {behind[late[0]]}")
        if manifest is None:
            manifest = read_manifest(self.paths.manifest(self.period.label))
        return stage_status(
            self.spec,
            manifest["stages"].get(self.spec.key) if manifest else None,
            period=self.period.label,
            outputs_now=self.output_fingerprints(),
            inputs_now=self.input_fingerprints,
            settings_now=self.settings_parts(),
            params_now=self.recorded_params(),
        )

    def require_upstream(self) -> None:
        """Outside a run: raise unless every earlier stage this one reads, and theirs, is up to date."""
        manifest = read_manifest(self.paths.manifest(self.period.label))
        statuses = stage_statuses(
            self.paths, self.period, self.settings, self.params, manifest, only=_closure(self.spec.key)
        )
        for key in self.reads():
            status = statuses[key]
            if not status.ok:
                state = "has not been run" if status.state == "missing" else "is out of date"
                raise GradingError(
                    f"stage {key} {state} for {self.period.label} ({status.reason}): run it first, e.g. "
                    f"grading run --period {self.period.label} --data <data> --stages {key[:2]}"
                )

    # ------------------------------------------------------------------ reading, computing, writing
    def read_inputs(self) -> dict[str, Any]:
        """Every declared input: tables as DataFrames (``None`` when an optional one is absent), JSON as dicts."""
        values: dict[str, Any] = {}
        for name in self.spec.table_inputs:
            output = self.catalog[name]
            path = self.input_path(name)
            if not path.is_file():
                if output.optional:
                    values[name] = None
                    continue
                raise GradingError(
                    f"{self.paths.relative(path)} is missing: stage {self.catalog.producer(name)} must run first "
                    f"for {self.period.label}"
                )
            values[name] = read_table(path) if output.kind == "table" else read_json(path)
        for external in self.spec.externals:
            values[external.name] = self.locate(external).value
        return values

    def compute(self, inputs: Mapping[str, Any]) -> StageResult:
        """Call the stage's computation on ``inputs`` (no files read or written)."""
        return self.spec.compute(inputs, self)

    def write(self, result: StageResult) -> dict[str, dict[str, Any]]:
        """Write the declared outputs of ``result``; return name -> {file, place, sha256, rows}.

        An optional output the result leaves out (``None``) is removed from the folder, so no
        table of an earlier run with other data survives.

        Raises
        ------
        ConfigError
            When the result lacks a required output or holds an undeclared one.
        """
        produced = dict(result.outputs)
        declared = {o.name for o in self.spec.outputs}
        extra = sorted(set(produced) - declared)
        if extra:
            raise ConfigError(
                f"stage {self.spec.key} produced undeclared output(s) {extra}; declare them in its stage.py"
            )
        written: dict[str, dict[str, Any]] = {}
        for output in self.spec.outputs:
            value = produced.get(output.name)
            path = self.output_path(output.name)
            if value is None:
                if not output.optional:
                    raise ConfigError(f"stage {self.spec.key} did not produce its output {output.name!r}")
                _remove(path)
                continue
            _write_output(output, value, path)
            record = {"file": output.filename(self.period.label), "place": output.place, "sha256": fingerprint(path)}
            if output.kind == "table":
                record["rows"] = table_rows(path)
            written[output.name] = record
        return written

    def run(self) -> StageResult:
        """Read the inputs, compute, write the outputs and record them in the manifest.

        Outside a runner (``run_id`` empty) it holds the period's lock, finishes a run a dead
        process left half done, checks that the earlier stages are up to date, and writes
        straight into the period's folders.
        """
        started = time.perf_counter()
        if self.run_id:
            return self._run(started)
        from helpers.pipeline.promotion import recover  # promotion reads the registry, as this module does

        with period_lock(self.paths, self.period.label):
            recover(self.paths, self.period.label)
            self.require_upstream()
            return self._run(started)

    def _run(self, started: float) -> StageResult:
        fingerprints = self.input_fingerprints()
        result = self.compute(self.read_inputs())
        written = self.written = self.write(result)
        entry = {
            "title": self.spec.title,
            "question": self.spec.question,
            "version": project_version(),
            "run_id": self.run_id or "interactive",
            "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "parameters": {
                p.name: self.paths.relative(Path(self.params[p.name]))
                if p.path and self.params[p.name]
                else self.params[p.name]
                for p in self.spec.params
            },
            "settings_sha256": self.settings_fingerprint(),
            "settings_parts": self.settings_parts(),
            "inputs": fingerprints,
            "outputs": written,
            "compute_seconds": round(time.perf_counter() - started, 3),
            "warnings": [str(w) for w in getattr(result, "warnings", ())],
        }
        path = self.paths.manifest(self.period.label, self.run_id)
        manifest = read_manifest(path) or {"stages": {}}
        manifest["stages"][self.spec.key] = entry
        write_json(path, manifest)
        return result


def _closure(key: str) -> set[str]:
    """The stages ``key`` reads, directly or through others (``key`` itself left out)."""
    catalog = registry.catalog()
    reads = {s.key: {catalog.producer(n) for n in s.table_inputs} for s in registry.stages()}
    found, todo = set(), list(reads[key])
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(reads[current])
    return found


def stage_statuses(
    paths: ProjectPaths,
    period: Period,
    settings: BaseModel,
    params: Mapping[str, Any],
    manifest: Mapping[str, Any] | None = None,
    *,
    only: set[str] | None = None,
) -> dict[str, StageStatus]:
    """Every stage's status for a period (or only those in ``only``), in stage order.

    A stage reading one that is not up to date is out of date too (:meth:`StageContext.status`).
    """
    if manifest is None:
        manifest = read_manifest(paths.manifest(period.label))
    behind: dict[str, str] = {}
    statuses: dict[str, StageStatus] = {}
    for spec in registry.stages():
        if only is not None and spec.key not in only:
            continue
        status = stage_context(spec, paths, period, settings, params).status(manifest, behind)
        statuses[spec.key] = status
        if not status.ok:
            behind[spec.key] = "is not up to date"
    return statuses


def _remove(path: Path) -> None:
    """A file or a folder output, gone."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _write_output(output: Output, value: Any, path: Path) -> None:
    if output.kind == "folder":  # written whole beside, then swapped in: no file of an earlier run stays among the
        partial = path.with_name(path.name + ".partial")  # new ones, and a failed write leaves the old folder whole
        _remove(partial)
        value.write(partial)
        old = path.with_name(path.name + ".old")
        _remove(old)
        if path.exists():
            path.rename(old)
        partial.rename(path)
        _remove(old)
    elif output.kind == "table":
        write_table(path, value)
    elif output.kind == "json":
        write_json(path, value)
    else:
        value.write(path)


def stage_context(
    stage: Stage | str | int, paths: ProjectPaths, period: Period, settings: BaseModel, params: Mapping[str, Any]
) -> StageContext:
    """A context from parsed parts; ``params`` may hold any parameters, the stage keeps its own."""
    spec = stage if isinstance(stage, Stage) else registry.stage(stage)
    values = {name: params.get(name, "") for name in COMMON_PARAMETERS if name not in ("period", "project_root")}
    for p in spec.params:
        values[p.name] = params.get(p.name, p.default)
    return StageContext(spec=spec, paths=paths, period=period, settings=settings, params=values)


def open_stage(
    stage: str | int,
    *,
    project_root: str | Path,
    period: str,
    data: str = "",
    mapping: str = "",
    run_id: str = "",
    lang: str = "",
    audience: str = "",
    **params: Any,
) -> StageContext:
    """The context of one stage, from its notebook's plain parameters.

    Also applies the report chart style (Chinese fonts included), so a notebook's
    first cell is this call and nothing else needs to come before it.

    Parameters
    ----------
    stage
        Its number (``"02"``), key or name.
    project_root, period, data, mapping, run_id, lang, audience
        The common notebook parameters (``run_id`` is set by the runner; ``lang`` and ``audience``, when given,
        replace the settings' ``reports.language`` and ``reports.audience``).
    **params
        The stage's own parameters.

    Raises
    ------
    GradingError
        A bad period, settings that do not validate, an unknown parameter.
    """
    from helpers.reporting.display import set_audience, set_text_limit  # only a notebook shows things
    from helpers.reporting.style import use_report_style  # charts only matter where a notebook draws

    spec = registry.stage(stage)
    unknown = sorted(set(params) - {p.name for p in spec.params})
    if unknown:
        raise ConfigError(f"stage {spec.key} has no parameter(s) {unknown}")
    paths = ProjectPaths(Path(project_root))
    settings = registry.load_settings(paths.config, lang=lang, audience=audience)
    use_report_style()
    reports = settings.reports  # type: ignore[attr-defined]
    set_text_limit(reports.max_text_chars)
    set_audience(reports.audience)
    LABELS.language = reports.language
    common = {"data": data, "mapping": mapping, "run_id": run_id, "lang": lang, "audience": audience}
    return stage_context(spec, paths, parse_period(period), settings, {**common, **params})
