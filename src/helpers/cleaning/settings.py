"""Settings of stage 01: the ``cleaning`` section of ``config/settings.yaml`` (defaults are in the YAML)."""

from __future__ import annotations

from typing import Literal

from helpers.core.config import Strict

__all__ = ["CleaningSettings"]


class CleaningSettings(Strict):
    """How raw rows are judged (domain §1)."""

    #: ``error``: stop at an unparsable value naming file, column, row and value; ``exclude``: ledger it.
    on_invalid_value: Literal["error", "exclude"]
    #: Exact duplicate order lines (an order synced twice) are excluded.
    drop_duplicate_lines: bool
    test_account_ids: list[str]
    #: In customer names, case-insensitive; Latin words match whole words only.
    test_account_name_patterns: list[str]
