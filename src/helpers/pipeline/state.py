"""What a period's outputs were made from, and whether they are still up to date.

Every stage run records, in the period's ``manifest.json`` under ``stages``, an
entry with the sha256 of each input (earlier stages' files, the raw data and
the mapping, a consultant's sheet), the hash of the settings it read (its
sections of ``settings.yaml`` and its other config files), its parameters, the
project version, and the sha256 of each output. A stage is **out of date**
(stale) when any of these differ now; **not run** when it has no entry or an
output is missing. :func:`stage_status` says which, with the reason in words.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from helpers.core.catalog import ProjectPaths
from helpers.core.config import canonical
from helpers.core.errors import GradingError
from helpers.io.files import sha256, sha256_bytes
from helpers.pipeline.spec import Stage

__all__ = [
    "ABSENT",
    "RunBusyError",
    "StageStatus",
    "index_lock",
    "period_lock",
    "project_version",
    "settings_fingerprint",
    "settings_parts",
    "stage_status",
]

#: The fingerprint of an optional input the data do not have.
ABSENT = "absent"
_PACKAGE = "customer-grading"

try:  # POSIX; elsewhere runs of one period are not guarded against each other
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class RunBusyError(GradingError):
    """Another run of the same period holds its lock."""


def project_version() -> str:
    """The installed project's version: outputs of another version are out of date."""
    try:
        return metadata.version(_PACKAGE)
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


def settings_parts(spec: Stage, settings: BaseModel, config_dir: Path) -> dict[str, str]:
    """sha256 of each part of the settings a stage reads: its sections of ``settings.yaml`` and its config files."""
    parts = {
        section: sha256_bytes(json.dumps(canonical(getattr(settings, section)), sort_keys=True).encode("utf-8"))
        for section in spec.sections
    }
    for name in spec.config_files:
        path = Path(config_dir) / name
        parts[name] = sha256(path) if path.is_file() else ABSENT
    return parts


def settings_fingerprint(parts: Mapping[str, str]) -> str:
    """One sha256 over :func:`settings_parts`."""
    return sha256_bytes(json.dumps(dict(parts), sort_keys=True).encode("utf-8"))


@dataclass(frozen=True)
class StageStatus:
    """``ok`` (up to date), ``stale`` (out of date) or ``missing`` (not run), with the reason."""

    state: Literal["ok", "stale", "missing"]
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def _describe_input(name: str, then: Any, now: Any) -> str:
    if then == ABSENT:
        return f"{name} appeared"
    if now == ABSENT:
        return f"{name} is gone"
    if isinstance(then, dict) and isinstance(now, dict) and set(then) != set(now):
        return f"the files of {name} changed"
    return f"{name} changed"


def stage_status(
    spec: Stage,
    entry: Mapping[str, Any] | None,
    *,
    period: str,
    outputs_now: Mapping[str, str],
    inputs_now: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    settings_now: Mapping[str, str],
    params_now: Mapping[str, Any],
) -> StageStatus:
    """Compare a stage's recorded entry with the present.

    Parameters
    ----------
    spec
        The stage.
    entry
        Its entry in the period's manifest (``None``: never run).
    period
        The period's label (for the file names in the reasons).
    outputs_now
        Output name -> sha256 of the file now (:data:`ABSENT` when missing).
    inputs_now, settings_now, params_now
        The input fingerprints (or a function giving them: they are only computed when the
        outputs, version, settings and parameters are current), the settings parts
        (:func:`settings_parts`) and stage parameters a run would use now.
    """
    if not entry:
        return StageStatus("missing", "not run for this period yet")
    recorded = entry.get("outputs", {})
    for output in spec.outputs:
        then = recorded.get(output.name, {}).get("sha256", ABSENT) if isinstance(recorded, dict) else ABSENT
        now = outputs_now.get(output.name, ABSENT)
        if now == ABSENT and (then != ABSENT or not output.optional):
            return StageStatus("missing", f"its output {output.filename(period)} is missing")
        # A workbook for people may be opened and saved; only the tables later stages read must be as written.
        if now != then and output.place == "processed":
            return StageStatus("stale", f"its output {output.name} was changed after the run")
    if entry.get("version") != project_version():
        return StageStatus(
            "stale", f"made by version {entry.get('version')} of the project, this is {project_version()}"
        )
    if entry.get("settings_sha256") != settings_fingerprint(settings_now):
        then_parts = entry.get("settings_parts") or {}
        changed = [name for name, value in settings_now.items() if then_parts.get(name) != value]
        return StageStatus("stale", f"its settings changed ({', '.join(changed or settings_now)})")
    then_params = entry.get("parameters", {})
    for name, value in params_now.items():
        if then_params.get(name) != value:
            return StageStatus("stale", f"its parameter {name} changed")
    then_inputs = entry.get("inputs", {})
    for name, now in (inputs_now() if callable(inputs_now) else inputs_now).items():
        if then_inputs.get(name) != now:
            return StageStatus("stale", _describe_input(name, then_inputs.get(name), now))
    return StageStatus("ok")


@contextlib.contextmanager
def period_lock(paths: ProjectPaths, period: str) -> Iterator[None]:
    """Hold the lock of one period for a run (or an interactive write) of it.

    Raises
    ------
    RunBusyError
        When another process holds it: two runs of one period would overwrite each other.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    paths.locks.mkdir(parents=True, exist_ok=True)
    path = paths.locks / f"{period}.lock"
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise RunBusyError(f"period {period} is being run by {holder}; wait for it to finish") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def index_lock(paths: ProjectPaths) -> Iterator[None]:
    """Serialise rewriting ``reports/index.html`` between runs of different periods (waits for the other)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    paths.locks.mkdir(parents=True, exist_ok=True)
    with open(paths.locks / "index.lock", "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
