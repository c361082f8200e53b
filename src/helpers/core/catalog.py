"""Where everything lives: the project's folders and the catalog of named stage outputs.

:class:`ProjectPaths` is the one place that builds a path: the period folders
(``data/processed/<period>/``, ``reports/<period>/``), the staging folders a run
writes into before it replaces a period's outputs, the failed-attempt folder,
locks and the index. :class:`Catalog` maps every output a stage declares
(:class:`Output`) to its file, so stages, tests and the benchmark name tables
(``"orders"``, ``"grading"``) instead of building file names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from helpers.core.errors import ConfigError

__all__ = ["Catalog", "Output", "Place", "ProjectPaths", "column_list"]

#: ``processed``: tables for later stages (``data/processed/<period>/``);
#: ``reports``: files for people (``reports/<period>/``).
Place = Literal["processed", "reports"]
_KINDS = {".parquet": "table", ".json": "json", ".xlsx": "workbook"}


@dataclass(frozen=True)
class Output:
    """One named output of a stage: a Parquet table, a JSON record, an Excel workbook, or a folder of files
    (``file`` ends with ``/``; the value writes them, e.g. one e-mail per recipient).

    Attributes
    ----------
    name
        The catalog name other stages use as an input (``"orders"``).
    file
        File name; ``{period}`` is replaced by the period label.
    description, description_zh
        What it holds, in one line (``docs/contracts.md``), in English and (for what a client's team opens: the
        workbooks, listed on the index) in Chinese.
    row
        What one row is (tables).
    columns
        The column contract in Markdown: what later stages may rely on.
    place
        ``processed`` or ``reports``.
    optional
        Written only when the data have it; a later stage then gets ``None`` and reports
        the figures it would give as not available (never as zero).
    """

    name: str
    file: str
    description: str
    row: str = ""
    columns: str = ""
    place: Place = "processed"
    optional: bool = False
    description_zh: str = ""

    def __post_init__(self) -> None:
        if not self.file.endswith("/") and Path(self.file).suffix not in _KINDS:
            raise ConfigError(f"output {self.name!r}: {self.file!r} is not .parquet, .json, .xlsx or a folder/")

    @property
    def kind(self) -> str:
        """``table``, ``json``, ``workbook`` or ``folder``."""
        return "folder" if self.file.endswith("/") else _KINDS[Path(self.file).suffix]

    def filename(self, period: str) -> str:
        """The file name for one period."""
        return self.file.replace("{period}", period)


def column_list(names: Iterable[str]) -> str:
    """Column names as an :class:`Output`'s ``columns`` text lists them: ```a`, `b```."""
    return ", ".join(f"`{n}`" for n in names)


@dataclass(frozen=True)
class ProjectPaths:
    """Every folder of a project, from its root.

    A run writes into staging folders (:meth:`folder` with a ``run_id``) beside the
    period folders, on the same file system, so that replacing a period's outputs
    is a rename.
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def processed_root(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def reports_root(self) -> Path:
        return self.root / "reports"

    @property
    def manual(self) -> Path:
        """Where consultants save their filled-in input sheets."""
        return self.root / "data" / "manual"

    @property
    def index(self) -> Path:
        return self.reports_root / "index.html"

    @property
    def locks(self) -> Path:
        return self.processed_root / ".locks"

    def base(self, place: Place) -> Path:
        """``data/processed`` or ``reports``."""
        return self.processed_root if place == "processed" else self.reports_root

    def folder(self, place: Place, period: str, run_id: str | None = None) -> Path:
        """A period's folder, or a run's staging folder for it when ``run_id`` is given."""
        if run_id:
            return self.base(place) / ".staging" / f"{period}.{run_id}"
        return self.base(place) / period

    def trash(self, place: Place, period: str, run_id: str) -> Path:
        """Where a replaced period folder waits for deletion (restored if a run dies mid-swap)."""
        return self.base(place) / ".trash" / f"{period}.{run_id}"

    def failed(self, period: str) -> Path:
        """The last failed attempt of a period: its reports, kept apart from the good ones."""
        return self.reports_root / "failed-runs" / period

    def manifest(self, period: str, run_id: str | None = None) -> Path:
        return self.folder("processed", period, run_id) / "manifest.json"

    def relative(self, path: Path) -> str:
        """``path`` relative to the root when it is inside (POSIX form), else absolute."""
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


class Catalog:
    """Every output the stages declare, by name."""

    def __init__(self, entries: Iterable[tuple[str, Output]]) -> None:
        self._outputs: dict[str, Output] = {}
        self._producer: dict[str, str] = {}
        for stage_key, output in entries:  # names are unique: the registry checks the declarations
            self._outputs[output.name] = output
            self._producer[output.name] = stage_key

    def __contains__(self, name: object) -> bool:
        return name in self._outputs

    def __iter__(self) -> Iterator[Output]:
        return iter(self._outputs.values())

    def __getitem__(self, name: str) -> Output:
        try:
            return self._outputs[name]
        except KeyError:
            raise ConfigError(
                f"no stage declares an output named {name!r}; known: {', '.join(self._outputs)}"
            ) from None

    def producer(self, name: str) -> str:
        """The key of the stage that writes ``name`` (``01_data_cleaning``)."""
        self[name]
        return self._producer[name]

    def path(self, paths: ProjectPaths, name: str, period: str, run_id: str | None = None) -> Path:
        """The file of output ``name`` for ``period`` (in the run's staging folder when ``run_id`` is given)."""
        output = self[name]
        return paths.folder(output.place, period, run_id) / output.filename(period)
