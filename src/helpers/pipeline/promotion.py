"""Replacing a period's outputs with a run's staging folders, all or nothing.

A run stages everything under ``data/processed/.staging/<period>.<run>/`` and
``reports/.staging/<period>.<run>/``. When every stage succeeded:

1. :func:`carry_forward` hard-links into the staging folders every file of the
   period the run did not replace (other stages' outputs and reports, files a
   user put there);
2. :func:`commit` writes a commit marker, moves both period folders aside, moves
   both staging folders in, removes the marker, then deletes the old folders.

If the process dies during step 2, :func:`recover` (run under the period's lock
before anything else touches the period) finishes the swap from the marker, so
the period is never left half old, half new; without a marker it only clears
staging folders of runs that never committed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from helpers.core.catalog import Place, ProjectPaths
from helpers.io.files import read_record, write_json
from helpers.pipeline import registry

__all__ = ["PLACES", "carry_forward", "commit", "recover", "tidy"]

#: The two folders a period has.
PLACES: tuple[Place, ...] = ("processed", "reports")


def _marker(paths: ProjectPaths, period: str) -> Path:
    return paths.locks / f"{period}.commit.json"


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def carry_forward(paths: ProjectPaths, period: str, run_id: str, ran: Iterable[str]) -> None:
    """Put into the staging folders every file of the period the run did not replace.

    Outputs and reports of the stages that ran are left behind (their new versions
    are staged, and an optional output they no longer write must disappear); the
    manifest is rewritten by the run, and so is the period's PDF (or it is gone);
    everything else is hard-linked forward unchanged.
    """
    from helpers.reporting.pdf import pdf_name

    ran = set(ran)
    # the period's PDF is of the reports as they were: a run makes it again (--pdf) or leaves none
    replaced: dict[Place, set[str]] = {"processed": {"manifest.json"}, "reports": {pdf_name(period)}}
    for s in registry.stages():
        if s.key in ran:
            for output in s.outputs:
                replaced[output.place].add(output.filename(period))
            replaced["reports"] |= {s.notebook, f"{s.key}.html"}
    for place in PLACES:
        committed, staged = paths.folder(place, period), paths.folder(place, period, run_id)
        if not committed.is_dir():
            continue
        folders = tuple(name for name in replaced[place] if name.endswith("/"))  # folder outputs: replaced whole
        for source in committed.rglob("*"):
            relative = source.relative_to(committed).as_posix()
            if (
                source.is_file()
                and relative not in replaced[place]
                and not relative.startswith(folders)
                and not (staged / relative).exists()
            ):
                _link_or_copy(source, staged / relative)


def _finish(paths: ProjectPaths, period: str, run_id: str) -> None:
    """Move the period folders aside and the staging folders in (each step skipped when already done)."""
    for place in PLACES:
        committed, trash = paths.folder(place, period), paths.trash(place, period, run_id)
        if committed.exists() and paths.folder(place, period, run_id).exists():
            trash.parent.mkdir(parents=True, exist_ok=True)
            committed.rename(trash)
    for place in PLACES:
        staged = paths.folder(place, period, run_id)
        if staged.exists():
            staged.rename(paths.folder(place, period))


def commit(paths: ProjectPaths, period: str, run_id: str) -> None:
    """Replace both period folders by the run's staging folders.

    The commit marker makes the swap all or nothing across the two folders: from
    the moment it is written, :func:`recover` completes the swap if the process dies.
    """
    for place in PLACES:
        paths.folder(place, period, run_id).mkdir(parents=True, exist_ok=True)
    marker = _marker(paths, period)
    write_json(marker, {"period": period, "run_id": run_id})
    _finish(paths, period, run_id)
    marker.unlink()
    for place in PLACES:
        shutil.rmtree(paths.trash(place, period, run_id), ignore_errors=True)
    tidy(paths)


def tidy(paths: ProjectPaths) -> None:
    """Remove the staging and trash folders when nothing is left in them."""
    for place in PLACES:
        for folder in (paths.base(place) / ".staging", paths.base(place) / ".trash"):
            with contextlib.suppress(OSError):  # not empty (another period's run) or already gone
                folder.rmdir()


def recover(paths: ProjectPaths, period: str) -> None:
    """Finish a swap a dead process left half done; drop the leftovers of runs that never committed.

    Call it holding the period's lock, before planning or writing anything for the period.
    """
    marker = _marker(paths, period)
    pending = read_record(marker).get("run_id")
    if pending:
        _finish(paths, period, str(pending))
        marker.unlink()
    elif marker.exists():  # a marker that cannot be read: nothing was moved before it was complete
        marker.unlink()
    for place in PLACES:
        base = paths.base(place)
        for leftover in [*(base / ".staging").glob(f"{period}.*"), *(base / ".trash").glob(f"{period}.*")]:
            shutil.rmtree(leftover, ignore_errors=True)
    tidy(paths)
