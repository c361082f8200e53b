"""How a stage declares itself: number, title, inputs, outputs, settings and parameters.

Each stage sub-package holds a ``stage.py`` with one :class:`Stage` named
``STAGE``; :mod:`helpers.pipeline.registry` finds them. Adding a stage is adding
that declaration, its notebook ``notebooks/NN_name.ipynb`` and its helpers —
the runner, the catalog, the settings model, the command line and
``docs/contracts.md`` all follow from the declarations.

The computation is a plain function ``compute(inputs, ctx) -> result``:
``inputs`` maps every declared input to its value (a DataFrame for a table, a
dict for a JSON record, ``None`` for an optional table the data do not have,
the located object for an :class:`External` input); ``ctx`` is the
:class:`helpers.pipeline.context.StageContext` (period, settings, parameters);
``result.outputs`` maps every declared output to what is written (a DataFrame,
a dict, or an object with ``write(path)`` for a workbook); ``result.warnings``,
when present, holds plain sentences on what the data lack or contradict: the
manifest records them, the console prints them, the report shows them first.
The notebook, the tests and the benchmark all call the same function.

A stage whose outputs must reach people (stage 06 e-mails its alert digests) declares ``deliver``: the runner
calls it only once the run's outputs are committed, never from the notebook, so a failed run sends nothing, and
keeps what it returns (:class:`Delivered`) in the period's manifest, where the next delivery reads it (what was
already sent is not sent again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from helpers.core.catalog import Output
from helpers.core.errors import ConfigError
from helpers.core.labels import LABELS, Label, Language

if TYPE_CHECKING:
    from helpers.pipeline.context import StageContext

__all__ = ["COMMON_PARAMETERS", "Delivered", "External", "Located", "Output", "Param", "Stage", "StageResult"]

#: Parameters every stage notebook takes (in its ``parameters`` cell), besides its own.
#: ``lang`` and ``audience`` are the run's choices of report language and reader ("": the settings' own).
COMMON_PARAMETERS: tuple[str, ...] = ("period", "data", "mapping", "project_root", "run_id", "lang", "audience")


class StageResult(Protocol):
    """What a stage's ``compute`` returns: at least the declared outputs by name."""

    @property
    def outputs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Delivered:
    """What a stage's ``deliver`` did with its committed outputs.

    Attributes
    ----------
    record
        Kept in the manifest under the stage's ``delivery`` (JSON-ready); the next delivery receives it.
    lines
        Plain sentences for the console: what reached whom.
    failures
        Lines of ``lines`` that say something did not arrive (printed as warnings).
    """

    record: dict[str, Any]
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Located:
    """An external input, found.

    Attributes
    ----------
    value
        What ``compute`` receives (a resolved dataset, a file path, or ``None`` when absent).
    files
        The files whose content the stage depends on: hashed to tell when it is out of date.
    """

    value: Any
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class External:
    """An input from outside the pipeline: the client's raw data, a consultant's sheet.

    ``locate(ctx)`` finds it from the run's parameters; it may raise a
    :class:`helpers.core.errors.GradingError` with a message for the user.
    """

    name: str
    description: str
    locate: Callable[[StageContext], Located]


@dataclass(frozen=True)
class Param:
    """A stage's own notebook parameter, offered on the command line as ``--name-with-dashes``.

    Attributes
    ----------
    name
        The notebook variable (``scorecard_input``).
    default
        Its value when not given (plain: text, number or bool, as Papermill passes it).
    help
        One line for ``grading run --help``.
    path
        A file path: made absolute before it reaches the notebook (kernels run in ``notebooks/``). The
        file must be read through an :class:`External` input, whose fingerprint tells when it changed.
    """

    name: str
    default: str | int | float | bool
    help: str
    path: bool = False

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


#: The settings section every stage's report reads (how data are shown): part of every stage's fingerprint.
REPORTS_SECTION = "reports"


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline.

    Attributes
    ----------
    number, name
        ``3``, ``"rfm_segmentation"``: the notebook is ``03_rfm_segmentation.ipynb``.
    title_zh, title_en
        The title reviewers see.
    question, question_zh
        One line: what the stage answers (index, contracts), in English and in Chinese.
    inputs
        Names of outputs of earlier stages (see the catalog) and :class:`External` inputs.
    outputs
        What it writes.
    config_section, settings
        Its section of ``config/settings.yaml`` and the pydantic model validating it.
    compute
        The computation (see the module docstring).
    shared_sections
        Other sections of ``settings.yaml`` it reads: ``analysis``, or an earlier stage's own section.
    config_files
        Other files of ``config/`` it reads (e.g. ``scorecard.yaml``).
    params
        Its own notebook parameters.
    deliver
        What it does once its outputs are committed: ``deliver(ctx, previous, force) -> Delivered``, ``ctx`` on the
        period's folders, ``previous`` the record of the last delivery (``{}`` when none), ``force`` to redo what
        was done (see the module docstring).
    """

    number: int
    name: str
    title_zh: str
    title_en: str
    question: str
    inputs: tuple[str | External, ...]
    outputs: tuple[Output, ...]
    config_section: str
    settings: type[BaseModel]
    compute: Callable[[Mapping[str, Any], StageContext], StageResult]
    shared_sections: tuple[str, ...] = ("analysis",)
    config_files: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default=())
    deliver: Callable[[StageContext, Mapping[str, Any], bool], Delivered] | None = None
    question_zh: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 99:
            raise ConfigError(f"stage {self.name!r}: number must be 1-99, got {self.number}")
        clash = [p.name for p in self.params if p.name in COMMON_PARAMETERS]
        if clash:
            raise ConfigError(f"stage {self.key}: parameter(s) {clash} clash with the common parameters")

    @property
    def key(self) -> str:
        """``03_rfm_segmentation``: the notebook stem, the name of its report and of its manifest entry."""
        return f"{self.number:02d}_{self.name}"

    @property
    def notebook(self) -> str:
        return f"{self.key}.ipynb"

    def question_in(self, language: Language) -> str:
        """What the stage answers in ``language`` (the English one when no Chinese is declared)."""
        return Label(self.question_zh or self.question, self.question).render(language)

    @property
    def title(self) -> str:
        """The title in the reports' language (:attr:`helpers.core.labels.LABELS.language`)."""
        return Label(self.title_zh, self.title_en).render(LABELS.language)

    @property
    def table_inputs(self) -> tuple[str, ...]:
        """The inputs that are outputs of earlier stages."""
        return tuple(i for i in self.inputs if isinstance(i, str))

    @property
    def externals(self) -> tuple[External, ...]:
        return tuple(i for i in self.inputs if isinstance(i, External))

    @property
    def sections(self) -> tuple[str, ...]:
        """Every settings section it reads: the shared ones, ``reports`` (every stage reports), then its own."""
        return (*self.shared_sections, REPORTS_SECTION, self.config_section)
