"""The label registry: every word a reader sees, in Chinese and English, in one place.

Class names, column headers, reason codes, table names, factor names, chart
titles and axis labels are looked up here by a namespace and a key
(``LABELS.text("rfm_class", "important_value")``) instead of being written where
they are shown. The words live in ``labels.yaml`` files: ``helpers/core/labels.yaml``
for what every stage shares and ``helpers/<stage>/labels.yaml`` for each stage,
all loaded on first use. Words that come from the client's config (the
scorecard's factor names) stay in that config and are shown with :meth:`Label.render`.

File format::

    rfm_class:
      _style: value                       # optional: how "both" reads, see below
      important_value: [重要价值客户, important value]

The language is ``zh``, ``en`` or ``both`` (the default). In ``both``, a
*value* namespace (class names, reasons) reads ``重要价值客户 important value``,
a *compact* one (chart annotations, units) reads English only, and any other
(headers, titles) reads ``Customers (客户数)``. A label may hold ``{name}``
placeholders, filled by :meth:`LabelRegistry.format`.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import yaml

__all__ = ["LABELS", "LANGUAGES", "Label", "LabelRegistry", "Language", "in_language"]

Language = Literal["zh", "en", "both"]
LANGUAGES: tuple[Language, ...] = ("zh", "en", "both")
_STYLE_KEY = "_style"
_STYLES = ("heading", "value", "compact")


@dataclass(frozen=True)
class Label:
    """One label in both languages."""

    zh: str
    en: str

    def render(self, language: Language, *, style: str = "heading") -> str:
        """The label in ``language``; ``both`` joins the two by ``style`` (value: ``中文 English``,
        heading: ``English (中文)``, compact: English only)."""
        if language == "zh":
            return self.zh
        if language == "en" or self.zh == self.en or style == "compact":
            return self.en
        return f"{self.zh} {self.en}" if style == "value" else f"{self.en} ({self.zh})"


#: `` (流失风险客户)``, `` (RFM客户分层)``: a bracket of Chinese after English words (capitals allowed: RFM, CLV; a
#: lowercase word makes it English: "(e.g. 客户)").
_CHINESE_BRACKET = r"\(([^()a-z]*[\u4e00-\u9fff][^()a-z]*)\)"
_BRACKET = re.compile(r"[ \t]*" + _CHINESE_BRACKET)
#: A Markdown heading written "English (中文)": its marks, its number ("3." or "2.1"), the English, the Chinese.
_HEADING = re.compile(r"^(#{1,6}[ \t]+)(\d+(?:\.\d+)*\.?[ \t]+)?(.*?)[ \t]*" + _CHINESE_BRACKET + r"[ \t]*$")


def in_language(text: str, language: Language) -> str:
    """A report text written bilingually ("English (中文)") in one language.

    ``en`` drops every bracket of Chinese; ``zh`` makes each Markdown heading written ``## 3. English (中文)`` read
    ``## 3. 中文``. Running text written in English stays English in ``zh``: the words of tables, charts and
    workbooks come from the registry in the chosen language. ``both`` returns the text unchanged.
    """
    if language == "both":
        return text
    if language == "en":
        return _BRACKET.sub("", text)
    return "\n".join(_HEADING.sub(r"\1\2\4", line) for line in text.split("\n"))


class LabelRegistry:
    """Namespaces of labels, each an ordered ``key -> Label`` mapping.

    Parameters
    ----------
    package
        The package whose ``labels.yaml`` files (its own and its sub-packages') are
        loaded on first use; ``None`` starts empty (for tests).
    """

    def __init__(self, package: str | None = "helpers") -> None:
        self._spaces: dict[str, dict[str, Label]] = {}
        self._styles: dict[str, str] = {}
        self._package = package
        self._loaded = package is None
        self.language: Language = "both"

    # ------------------------------------------------------------------ filling
    def add(self, namespace: str, entries: Mapping[str, Label | Iterable[str]], *, style: str = "heading") -> None:
        """Add labels; a key defined again must say the same thing.

        Parameters
        ----------
        namespace
            ``rfm_class``, ``column``, ``chart`` …
        entries
            key -> :class:`Label` or ``(zh, en)``.
        style
            How ``both`` joins the languages: ``heading``, ``value`` or ``compact`` (see the module doc).

        Raises
        ------
        ValueError
            A key defined twice with different words, a label missing a language, an unknown style.
        """
        if style not in _STYLES:
            raise ValueError(f"label namespace {namespace}: style must be one of {_STYLES}, got {style!r}")
        if self._styles.setdefault(namespace, style) != style:
            raise ValueError(f"label namespace {namespace} is declared with two styles")
        space = self._spaces.setdefault(namespace, {})
        for key, raw in entries.items():
            label = raw if isinstance(raw, Label) else Label(*[str(t) for t in raw])
            if not label.zh.strip() or not label.en.strip():
                raise ValueError(f"label {namespace}.{key}: both a Chinese and an English text are needed")
            if key in space and space[key] != label:
                raise ValueError(f"label {namespace}.{key} is defined twice: {space[key]} and {label}")
            space[str(key)] = label

    def load_yaml(self, text: str, source: str) -> None:
        """Add every namespace of one ``labels.yaml`` text."""
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{source}: expected 'namespace: {{key: [中文, English]}}'")
        for namespace, entries in data.items():
            if not isinstance(entries, dict):
                raise ValueError(f"{source}: {namespace}: expected 'key: [中文, English]' entries")
            keys = [k for k in entries if not isinstance(k, str)]
            if keys:  # YAML reads on/off/yes/no as booleans: such a key must be quoted
                raise ValueError(f"{source}: {namespace}: key {keys[0]!r} is not text (quote it)")
            entries = dict(entries)
            style = entries.pop(_STYLE_KEY, None)
            bad = [k for k, v in entries.items() if not (isinstance(v, list) and len(v) == 2)]
            if bad:
                raise ValueError(f"{source}: {namespace}: {bad[0]!r} needs [中文, English]")
            self.add(str(namespace), {str(k): tuple(v) for k, v in entries.items()}, style=style or "heading")

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        # Read the files as package data: importing the sub-packages would load the whole pipeline.
        root = importlib.resources.files(self._package)  # type: ignore[arg-type]
        folders = [root, *sorted((f for f in root.iterdir() if f.is_dir()), key=lambda f: f.name)]
        for folder in folders:
            resource = folder / "labels.yaml"
            if resource.is_file():
                self.load_yaml(resource.read_text(encoding="utf-8"), f"{self._package}/{folder.name}/labels.yaml")

    # ------------------------------------------------------------------ reading
    def namespaces(self) -> list[str]:
        self._ensure_loaded()
        return list(self._spaces)

    def style(self, namespace: str) -> str:
        """How the namespace reads in both languages: ``heading``, ``value`` or ``compact``."""
        self._space(namespace)
        return self._styles[namespace]

    def keys(self, namespace: str) -> list[str]:
        """The keys of a namespace, in the order they were defined."""
        return list(self._space(namespace))

    def has(self, namespace: str, key: object) -> bool:
        self._ensure_loaded()
        return str(key) in self._spaces.get(namespace, {})

    def label(self, namespace: str, key: object) -> Label:
        space = self._space(namespace)
        try:
            return space[str(key)]
        except KeyError:
            raise KeyError(f"no label {namespace}.{key} (add it to a labels.yaml)") from None

    def text(self, namespace: str, key: object, language: Language | None = None) -> str:
        """The label of ``key`` in ``language`` (default: the registry's language)."""
        return self.label(namespace, key).render(language or self.language, style=self._styles[namespace])

    def format(self, namespace: str, key: object, language: Language | None = None, **values: object) -> str:
        """The label with its ``{placeholders}`` filled (``LABELS.format("chart", "bar_rows", rows="1,234")``)."""
        return self.text(namespace, key, language).format(**values)

    def say(self, en: str, zh: str) -> str:
        """A sentence written in code in both languages, in the registry's language (``both`` reads English, as
        running text does: the words inside it come from the registry in ``both``).

        For the generated prose of a report (findings, notes): ``LABELS.say(f"{n:,} customers graded",
        f"已分级客户 {n:,} 位")``.
        """
        return zh if self.language == "zh" else en

    def texts(self, namespace: str, language: Language | None = None) -> dict[str, str]:
        """Every key of a namespace with its label, in definition order."""
        return {key: self.text(namespace, key, language) for key in self._space(namespace)}

    def headers(self, columns: Iterable[str], namespace: str = "column") -> dict[str, str]:
        """Column -> header for every column (each must have a label)."""
        return {c: self.text(namespace, c) for c in columns}

    def relabel(self, frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
        """A copy of ``frame`` with the keys in ``columns`` (column -> namespace) replaced by their labels.

        Missing values stay missing; a value without a label is shown as it is.
        """
        out = frame.copy()
        for column, namespace in columns.items():
            if column in out:
                table = self.texts(namespace)
                out[column] = out[column].map(lambda v, t=table: t.get(v, v) if isinstance(v, str) else v)
        return out

    def _space(self, namespace: str) -> dict[str, Label]:
        self._ensure_loaded()
        try:
            return self._spaces[namespace]
        except KeyError:
            raise KeyError(f"no label namespace {namespace!r}") from None


#: The registry every report, chart and workbook takes its words from.
LABELS = LabelRegistry()
