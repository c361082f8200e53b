"""Phone numbers and e-mail addresses found inside any text, masked.

Clients type contact details wherever there is room: ``华东机电（王经理 13912345678）``
as a customer name, an e-mail in a lead's source, a hotline in a product
name. :func:`mask_personal_data` finds them in free text and masks them the
way the contact columns are masked (``139****5678``, ``w***@example.com``),
so they reach no table, report, workbook or message; the rest of the text
stays readable.

What is found:

- e-mail addresses;
- Chinese mobile numbers (``1[3-9]`` and 9 more digits, with ``+86``/``0086``,
  spaces or dashes);
- Chinese landlines (area code ``0xx``/``0xxx``, in brackets or not, then 7-8
  digits, an extension after it);
- international numbers (``+`` or ``00`` and a country code, then 7 to 15
  digits in groups).

A product code shaped like a landline (``0571-8888666``) is masked too: a
masked look-alike is a small price for never printing a number.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["mask_email", "mask_personal_data", "mask_phone", "mask_personal_data_in"]

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_SEP = r"[\s\-.]?"
_PHONES = [
    # international: + or 00, country code, then digit groups
    r"(?:\+|00)\d{1,3}" + r"(?:[\s\-.]?\(?\d{1,4}\)?){2,6}",
    # Chinese mobile, optionally +86 / 86
    r"(?:(?:\+|00)?86" + _SEP + r")?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}",
    # Chinese landline: (0xx) or 0xx-, 7-8 digits, optional extension
    r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})" + _SEP + r"\d{3,4}" + _SEP + r"\d{4}(?:\s*(?:-|转|ext\.?)\s*\d{1,6})?",
    # other national formats with the area code in brackets: (555) 123-4567, (11) 98765-4321
    r"\(\d{2,4}\)[\s\-.]?\d{3,5}[\s\-.]\d{4}",
]
# Other national formats without brackets look like part or invoice numbers (100-2000-3000), so they are
# masked only after a word that says a phone follows: "call 020 7946 0958", "ligue 11 98765-4321".
_CUE = r"(?:tel|tél|phone|call|fone|ligue|mobile|mob|cel|cell|whatsapp|fax|telefone|telefono|teléfono)"
_CUED = re.compile(
    rf"(?<![A-Za-z])(?P<cue>{_CUE}\.?:?\s*)(?P<number>\d{{2,4}}[\s\-.]\d{{3,5}}[\s\-.]\d{{4}})(?!\d)", re.I
)
# Not inside a Latin word or a longer number ("SO202301000003"); right after Chinese text is fine ("电话13912345678").
_PATTERN = re.compile(rf"(?P<email>{_EMAIL})|(?<![A-Za-z0-9_+])(?P<phone>{'|'.join(_PHONES)})(?!\d)", re.IGNORECASE)


def mask_phone(phone: str) -> str:
    """The digits only, most of them hidden: ``138****5678``; ``******6666`` below 11 digits.

    A number of 11 digits or more keeps its first three and last four; a
    shorter one only its last four (keeping seven of a landline's eight would
    hide nothing); below 7 digits, nothing is kept.
    """
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    if len(digits) < 11:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str) -> str:
    """Keep the first letter and the domain (``z***@hengda.com``)."""
    local, _, domain = email.strip().partition("@")
    if not domain:
        return local[:1] + "***"
    return f"{local[:1]}***@{domain}"


def _masked(match: re.Match[str]) -> str:
    if match.group("email"):
        return mask_email(match.group("email"))
    phone = match.group("phone")
    digits = len(re.sub(r"\D", "", phone))
    return mask_phone(phone) if 7 <= digits <= 18 else phone


def mask_personal_data(text: str) -> str:
    """``text`` with every phone number and e-mail address in it masked."""
    text = _CUED.sub(lambda m: m.group("cue") + mask_phone(m.group("number")), text)
    return _PATTERN.sub(_masked, text)


def mask_personal_data_in(values: pd.Series) -> pd.Series:
    """:func:`mask_personal_data` on every text of a column (each distinct value once); NA stays NA."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return values
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:  # every value missing: nothing to mask
        return values
    masked = pd.Series([mask_personal_data(v) if isinstance(v, str) else v for v in uniques], dtype=object)
    out = pd.Series(masked.to_numpy()[codes], index=values.index, dtype=object)
    out[codes == -1] = values[codes == -1]
    return out.astype(values.dtype)
