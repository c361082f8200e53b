"""The per-period folder of derived tables, ``data/processed/<period>/``.

Stages write their tables here as Parquet and read earlier stages' tables
back, so nothing is computed twice. A table the data do not have is simply
absent, and :func:`read_tables` returns only what exists.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from helpers.errors import GradingError


def period_dir(project_root: str | Path, period_label: str) -> Path:
    """``<root>/data/processed/<period>``, created if needed."""
    path = Path(project_root) / "data" / "processed" / period_label
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> dict[str, Path]:
    """Write each table as ``<name>.parquet``; return the paths written."""
    paths = {}
    for name, frame in tables.items():
        paths[name] = folder / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    return paths


def read_tables(folder: Path, names: list[str]) -> dict[str, pd.DataFrame]:
    """Read the named tables that exist in ``folder`` (absent ones are left out)."""
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in names if (folder / f"{name}.parquet").exists()}


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """Read one table an earlier stage must have written; a clear error otherwise."""
    path = folder / f"{name}.parquet"
    if not path.exists():
        raise GradingError(f"{path} is missing: run the earlier stages for this period first (grading run ...)")
    return pd.read_parquet(path)


def write_json(path: Path, data: dict[str, object]) -> Path:
    """Write JSON deterministically (sorted keys, UTF-8, no ASCII escapes for Chinese)."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def read_json(path: Path) -> dict[str, object]:
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(path.read_text(encoding="utf-8"))


def clear_stage_outputs(folder: Path) -> None:
    """Delete the tables of an earlier run in this period folder (the runner's manifest stays).

    Stage 01 calls this first: a table the new data do not have must be absent,
    not left over from other data, or later stages would read it.
    """
    for path in folder.iterdir():
        if path.is_file() and path.suffix in {".parquet", ".json"} and path.name != "manifest.json":
            path.unlink()


def check_same_data(cleaning: dict[str, object], data: str | Path, mapping: str, config_dir: Path) -> None:
    """Raise unless the period's tables were made from exactly this data: same files, content and mapping.

    Parameters
    ----------
    cleaning
        Stage 01's ``cleaning.json`` of the period.
    data, mapping
        The run's parameters (``mapping`` empty = detect).
    config_dir
        The project's ``config`` folder.
    """
    from helpers.loaders import resolve_dataset, sha256  # loaders need pyarrow & co.; keep this module light

    if "data" not in cleaning:
        raise GradingError("the tables of this period were made by an older version: run stage 01 again")
    dataset = resolve_dataset(data, mapping or None, config_dir)
    now = {str(p): sha256(p) for paths in dataset.files.values() for p in paths}
    then = {str(i["file"]): str(i["sha256"]) for i in cleaning["inputs"]}  # type: ignore[union-attr]
    if (str(dataset.path), dataset.mapping.name, now) != (cleaning["data"], cleaning["mapping"], then):
        raise GradingError(
            f"the tables of this period were made from {cleaning['data']} (mapping {cleaning['mapping']}), "
            f"not from the current content of {data}: run stage 01 for this data first"
        )
