"""The stages, found from their declarations, and what follows from them.

A stage is a sub-package of :mod:`helpers` with a ``stage`` module defining
``STAGE`` (:class:`helpers.pipeline.spec.Stage`). :func:`stages` finds them
all, in number order, and checks the graph: unique numbers, names, outputs and
settings sections; every table input an output of an *earlier* stage. From the
declarations come the :class:`~helpers.core.catalog.Catalog` of outputs and
the settings model (:func:`settings_model`: ``analysis`` plus one section per stage).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

import helpers
from helpers.core.catalog import Catalog
from helpers.core.config import AnalysisSettings, ReportSettings, load_model
from helpers.core.errors import ConfigError
from helpers.pipeline.spec import Stage

__all__ = [
    "SETTINGS_FILE",
    "SHARED_SECTIONS",
    "Settings",
    "catalog",
    "load_settings",
    "settings_model",
    "stage",
    "stages",
]

#: The settings file in the config folder.
SETTINGS_FILE = "settings.yaml"
#: Sections of the settings every stage may read, by name, with their model.
SHARED_SECTIONS: dict[str, type[BaseModel]] = {"analysis": AnalysisSettings, "reports": ReportSettings}
#: The settings model's type (assembled at run time from the declarations).
Settings = BaseModel


def _declaration_modules() -> list[str]:
    """``helpers.<pkg>.stage`` for every sub-package that has a ``stage`` module."""
    found = []
    for module in pkgutil.iter_modules(helpers.__path__):
        name = f"helpers.{module.name}.stage"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            found.append(name)
    return found


@functools.cache
def stages() -> tuple[Stage, ...]:
    """Every declared stage, in number order, with the graph checked.

    Raises
    ------
    ConfigError
        A ``stage`` module without ``STAGE``; two stages with one number, name,
        output or settings section; an input that no earlier stage writes.
    """
    declared: list[Stage] = []
    for name in _declaration_modules():
        spec = getattr(importlib.import_module(name), "STAGE", None)
        if not isinstance(spec, Stage):
            raise ConfigError(f"{name} defines no STAGE (a helpers.pipeline.spec.Stage)")
        declared.append(spec)
    declared.sort(key=lambda s: s.number)
    _check(declared)
    return tuple(declared)


def _check(declared: list[Stage]) -> None:
    for attribute in ("number", "name", "config_section"):
        values = [getattr(s, attribute) for s in declared]
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ConfigError(f"two stages declare the same {attribute}: {', '.join(repeated)}")
    reserved = [s.key for s in declared if s.config_section in SHARED_SECTIONS]
    if reserved:
        raise ConfigError(
            f"stage {reserved[0]}: its settings section may not be a shared one ({', '.join(SHARED_SECTIONS)})"
        )
    params = [p.name for s in declared for p in s.params]
    repeated = sorted({p for p in params if params.count(p) > 1})
    if repeated:
        raise ConfigError(f"two stages declare the same parameter: {', '.join(repeated)}")
    written: dict[str, Stage] = {}
    earlier_sections: set[str] = set()
    for s in declared:
        for needed in s.table_inputs:
            if needed not in written:
                raise ConfigError(f"stage {s.key} reads {needed!r}, which no earlier stage declares as an output")
        for shared in s.shared_sections:
            # A later stage may read an earlier stage's section (the same thresholds, one place).
            if shared not in SHARED_SECTIONS and shared not in earlier_sections:
                raise ConfigError(
                    f"stage {s.key}: unknown shared settings section {shared!r} (a shared section or an earlier "
                    "stage's own)"
                )
        earlier_sections.add(s.config_section)
        for output in s.outputs:
            if output.name in written:
                raise ConfigError(f"output {output.name!r} is declared by {written[output.name].key} and {s.key}")
            written[output.name] = s


def stage(number_or_key: int | str) -> Stage:
    """One stage by number (``3``, ``"03"``), key (``"03_rfm_segmentation"``) or name."""
    text = str(number_or_key)
    for s in stages():
        if text in (s.key, s.name) or (text.isdecimal() and int(text) == s.number):
            return s
    known = ", ".join(s.key for s in stages())
    raise ConfigError(f"no stage {number_or_key!r}; the stages are {known}")


@functools.cache
def catalog() -> Catalog:
    """Every declared output, by name."""
    return Catalog((s.key, output) for s in stages() for output in s.outputs)


@functools.cache
def settings_model() -> type[BaseModel]:
    """The model of ``settings.yaml``: the shared sections and one section per stage, all required."""
    fields = {name: (model, ...) for name, model in SHARED_SECTIONS.items()}
    fields |= {s.config_section: (s.settings, ...) for s in stages()}
    return create_model("Settings", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


def load_settings(config_dir: Path, *, lang: str = "", audience: str = "") -> BaseModel:
    """Read and validate ``config_dir/settings.yaml``; a typo or a missing key names the file and the key.

    Parameters
    ----------
    config_dir
        The project's ``config/`` folder.
    lang, audience
        The run's choice of report language and audience (``--lang``, ``--audience``), replacing
        ``reports.language`` and ``reports.audience`` when given; empty keeps the file's.

    Raises
    ------
    ConfigError
        Settings that do not validate, or a language or audience that does not exist.
    """
    settings = load_model(settings_model(), Path(config_dir) / SETTINGS_FILE)
    chosen = {k: v for k, v in {"language": lang, "audience": audience}.items() if v}
    if not chosen:
        return settings
    reports = settings.reports  # type: ignore[attr-defined]
    try:
        reports = type(reports).model_validate({**reports.model_dump(), **chosen})
    except ValidationError as exc:
        option = "--lang" if exc.errors()[0]["loc"][0] == "language" else "--audience"
        allowed = "zh, en or both" if option == "--lang" else "client or internal"
        value = lang if option == "--lang" else audience
        raise ConfigError(f"{option}: expected {allowed}, got {value!r}") from None
    return settings.model_copy(update={"reports": reports})
