"""Run the stages in this process, passing their outputs in memory: no notebooks, no files.

The same ``compute`` functions the notebooks call, chained through the catalog:
each stage gets the outputs of the earlier ones by name. The benchmark times the
stages this way, and a test checks that it gives the tables the runner writes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.catalog import ProjectPaths
from helpers.core.periods import parse_period
from helpers.pipeline import registry
from helpers.pipeline.context import stage_context
from helpers.pipeline.spec import StageResult

__all__ = ["MemoryRun", "run_in_memory"]


@dataclass
class MemoryRun:
    """The results of the stages run, by key, with each one's computation time."""

    results: dict[str, StageResult] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


def run_in_memory(
    project_root: str | Path,
    period: str,
    *,
    data: str | Path,
    mapping: str = "",
    last: int = 99,
    **params: Any,
) -> MemoryRun:
    """Compute stages 1..``last`` for a period, each reading the earlier ones' outputs from memory.

    Parameters
    ----------
    project_root
        The project (its ``config/`` is read; nothing is written).
    period, data, mapping
        As for ``grading run``.
    last
        The number of the last stage to compute.
    **params
        Stage parameters.
    """
    paths = ProjectPaths(Path(project_root))
    settings = registry.load_settings(paths.config)
    parsed = parse_period(period)
    run = MemoryRun()
    values: Mapping[str, Any] = {"data": str(data), "mapping": mapping, **params}
    for spec in registry.stages():
        if spec.number > last:
            break
        ctx = stage_context(spec, paths, parsed, settings, values)
        inputs = {name: run.outputs.get(name) for name in spec.table_inputs}
        inputs |= {external.name: ctx.locate(external).value for external in spec.externals}
        started = time.perf_counter()
        result = ctx.compute(inputs)
        run.seconds[spec.key] = time.perf_counter() - started
        run.results[spec.key] = result
        run.outputs.update({name: _as_stored(value) for name, value in result.outputs.items()})
    return run


def _as_stored(value: Any) -> Any:
    """What a later stage would read back from the file: a table without the in-memory ``attrs``."""
    if isinstance(value, pd.DataFrame):
        value = value.copy(deep=False)
        value.attrs = {}
    return value
