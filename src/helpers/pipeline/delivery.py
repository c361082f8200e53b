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
    period's manifest; a stage that has run but whose delivery raised is recorded and reported, never re-raised:
    the outputs are good and kept.

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
        ctx = stage_context(stage, paths, period, settings, {})
        try:
            done = stage.deliver(ctx, previous.get(stage.key, {}), force)
        except Exception as exc:  # the outputs are committed: a delivery that breaks is reported, not raised
            why = f"{stage.key}: nothing was delivered ({type(exc).__name__}: {exc})"
            done = Delivered(record={"error": why}, lines=[], failures=[why])
        for line in done.lines:
            print(f"      {line}", file=out, flush=True)
        for line in done.failures:
            print(f"      warning: {line}", file=out, flush=True)
        failures += done.failures
        manifest["stages"][stage.key]["delivery"] = done.record
    if delivering:
        write_json(manifest_path, manifest)
    return failures
