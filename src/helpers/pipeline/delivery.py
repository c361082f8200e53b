"""What happens after a good run: stages that deliver their outputs to people (stage 06's e-mail digests).

:func:`deliver` runs once a period's outputs are committed, so a failed run delivers nothing and a delivery that
fails never touches the outputs. Each stage's record goes into the period's manifest under ``delivery``; the next
delivery reads it, so what was already delivered is not delivered again (``grading send --force`` does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from pydantic import BaseModel

from helpers.core.catalog import ProjectPaths
from helpers.core.periods import Period
from helpers.io.files import write_json
from helpers.io.manifest import read_manifest
from helpers.pipeline.context import stage_context
from helpers.pipeline.spec import Delivered, Stage

__all__ = ["deliver", "delivery_records"]


def delivery_records(manifest: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Stage key -> the record of its last delivery, from a period's manifest."""
    return {key: entry["delivery"] for key, entry in manifest.get("stages", {}).items() if entry.get("delivery")}


def deliver(
    paths: ProjectPaths,
    period: Period,
    settings: BaseModel,
    stages: Sequence[Stage],
    previous: Mapping[str, Mapping[str, Any]],
    *,
    force: bool = False,
    out: TextIO,
) -> list[str]:
    """Deliver the committed outputs of ``stages`` that declare ``deliver``; returns what did not arrive.

    Call it holding the period's lock, after the commit. Each stage's record replaces its ``delivery`` in the
    period's manifest; a delivery that raises is recorded (over the previous record, which stays) and reported,
    never re-raised, and so is a manifest that cannot be written: the outputs are good and kept.

    Parameters
    ----------
    previous
        Stage key -> the record of its previous delivery (read before the commit replaced the manifest).
    force
        Deliver again what was already delivered.
    out
        Where the lines go.
    """
    manifest_path = paths.manifest(period.label)
    manifest = read_manifest(manifest_path)
    failures: list[str] = []
    delivering = [s for s in stages if s.deliver is not None and s.key in manifest.get("stages", {})]
    for stage in delivering:
        assert stage.deliver is not None
        before = previous.get(stage.key, {})
        try:
            done = stage.deliver(stage_context(stage, paths, period, settings, {}), before, force)
        except Exception as exc:  # the outputs are committed: a delivery that breaks is reported, not raised
            why = f"{stage.key}: nothing was delivered ({type(exc).__name__}: {exc})"
            done = Delivered(record={**before, "error": why}, lines=[], failures=[why])  # what was sent stays known
        for line in done.lines:
            print(f"      {line}", file=out, flush=True)
        for line in done.failures:
            print(f"      warning: {line}", file=out, flush=True)
        failures += done.failures
        manifest["stages"][stage.key]["delivery"] = done.record
    if delivering:
        try:
            write_json(manifest_path, manifest)
        except OSError as exc:  # a full disk: the outputs stand, the record of this delivery is lost
            why = f"what was delivered could not be recorded in {paths.relative(manifest_path)} ({exc})"
            print(f"      warning: {why}", file=out, flush=True)
            failures.append(why)
    return failures
