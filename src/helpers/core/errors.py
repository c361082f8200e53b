"""Errors a user of the toolkit can see.

Every error that bad input can cause is one of these, so the command-line
runner can print its message (which names the file, column, row and value)
instead of a traceback.
"""

from __future__ import annotations

from typing import Any

from helpers.core.privacy import mask_personal_data

__all__ = ["ConfigError", "DataValidationError", "GradingError", "PeriodError", "is_user_error"]


class GradingError(Exception):
    """Base class of every error caused by the user's data, config or parameters."""


class ConfigError(GradingError):
    """A configuration file is missing, malformed or holds an invalid value."""


class PeriodError(GradingError):
    """A period label cannot be parsed, or the data hold nothing for it."""


class DataValidationError(GradingError):
    """A raw input value or column is unusable.

    Parameters
    ----------
    message
        What is wrong, in plain language.
    file
        The input file (with ``#sheet`` for a workbook sheet).
    column
        The column as named in the input file.
    row
        The row as the user sees it in the file (1 = header line for CSV/Excel).
    value
        An example bad value.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: Any = None,
    ) -> None:
        self.file, self.column, self.row, self.value = file, column, row, value
        where = []
        if file is not None:
            where.append(f"file {file}")
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        if value is not None:  # masked: the bad value may be a phone number typed into the wrong column
            where.append(f"value {mask_personal_data(repr(value))}")
        super().__init__(message + (f" ({', '.join(where)})" if where else ""))


def is_user_error(name: str) -> bool:
    """Whether an exception class name (as a notebook's error output records it) is one of ours.

    Our errors are written for the user: their message alone is the sentence to show. Any other is a defect, and
    its type helps whoever fixes it. Subclasses are looked up when asked, so those defined in any stage's module
    that is loaded count.
    """

    def names(cls: type) -> set[str]:
        return {cls.__name__}.union(*(names(sub) for sub in cls.__subclasses__()))

    return name in names(GradingError)
