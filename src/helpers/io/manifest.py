"""Reading a period's ``manifest.json`` safely, whatever wrote it.

A manifest from an older version of the project (whose ``stages`` was a list),
a truncated file or one edited by hand must not stop a run or the index: what
cannot be read is treated as "not run", so the stages simply run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.io.files import read_record

__all__ = ["read_manifest", "stage_entries"]


def stage_entries(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The manifest's per-stage entries (stage key -> entry); ``{}`` unless they are a mapping of mappings."""
    stages = manifest.get("stages")
    if not isinstance(stages, dict) or not all(isinstance(e, dict) for e in stages.values()):
        return {}
    return stages


def read_manifest(path: Path) -> dict[str, Any]:
    """A period's manifest with ``stages`` made safe to read, or ``{}`` when there is none or it is unreadable."""
    manifest = read_record(path)
    if manifest:
        manifest["stages"] = stage_entries(manifest)
    return manifest
