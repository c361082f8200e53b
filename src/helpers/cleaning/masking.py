"""Mask personal data (contact names, phones, e-mails) for anything a reviewer sees.

Masking keeps just enough to recognise a record when talking to the client
("138****5678", "z***@hengda.com", "张*"), never enough to contact the person.
Company names are not personal data and stay readable.
"""

from __future__ import annotations

import re

import pandas as pd

from helpers.core.privacy import mask_email, mask_phone

__all__ = ["mask_emails", "mask_names", "mask_phones"]

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _mask_name(name: str) -> str:
    name = name.strip()
    if _CJK.search(name):
        return name[0] + "*" * max(len(name) - 1, 1)
    return " ".join(part[0] + "***" for part in name.split() if part)


def _masked(values: pd.Series, rule) -> pd.Series:
    text = values.astype("string")
    return text.map(lambda v: rule(v) if v is not pd.NA else v).astype("string")


def mask_names(values: pd.Series) -> pd.Series:
    """Keep the first character of a Chinese name, the initials of a Latin one."""
    return _masked(values, _mask_name)


def mask_phones(values: pd.Series) -> pd.Series:
    """Digits only, most hidden (``138****5678``; see :func:`helpers.core.privacy.mask_phone`)."""
    return _masked(values, mask_phone)


def mask_emails(values: pd.Series) -> pd.Series:
    """Keep the first letter and the domain (``z***@hengda.com``)."""
    return _masked(values, mask_email)
