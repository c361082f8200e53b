"""Alerts that reach people: one digest per account manager as a standard e-mail file, and sending it.

A digest is an :class:`email.message.EmailMessage`: a plain-text body with an HTML alternative, the subject encoded
for any mail reader (Chinese included, RFC 2047), written as a ``.eml`` file that any mail program opens. Sending
is plain SMTP (STARTTLS when configured), the user name and password read from environment variables whose names
the settings give — never from a config file. Each digest is sent on its own: a failure is reported for its
recipients and never touches the files.

Contact data in an alert must already be masked (stage 01 masks every contact column): a digest that would carry
an unmasked e-mail address or phone number is refused.
"""

from __future__ import annotations

import html
import os
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email import message_from_binary_file, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pandas as pd

__all__ = ["Digest", "SmtpServer", "digest", "send_digests", "unmasked_contacts", "write_digests"]

#: An e-mail address with at least two unmasked characters before the @; a run of 7+ digits (a phone number) that
#: is not a date.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w*.,])\+?\d[\d -]{5,}\d(?![\w*.,])")
_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")


def unmasked_contacts(text: str, *, phones: bool = True) -> list[str]:
    """The e-mail addresses (and, with ``phones``, phone numbers) in ``text`` that are not masked."""
    found = _EMAIL.findall(text)
    if phones:
        for match in _PHONE.findall(text):
            run = match.strip()
            if sum(ch.isdigit() for ch in run) >= 7 and not any(_DATE.fullmatch(p) for p in run.split()):
                found.append(run)
    return found


@dataclass(frozen=True)
class Digest:
    """One recipient's digest: where its file is, whom it is for, and how many alerts it holds."""

    path: Path
    owner: str
    recipients: tuple[str, ...]
    alerts: int


@dataclass(frozen=True)
class SmtpServer:
    """Where to send, and the names of the environment variables that hold the credentials (None: no login)."""

    host: str
    port: int
    starttls: bool
    sender: str
    username_env: str | None = None
    password_env: str | None = None
    timeout: float = 30.0


def _plain(alerts: pd.DataFrame, columns: Mapping[str, str], intro: str) -> str:
    lines = [intro, ""]
    for _, row in alerts.iterrows():
        lines.append(" · ".join(f"{header}: {row[c]}" for c, header in columns.items() if pd.notna(row[c])))
    return "\n".join(lines) + "\n"


def _html(alerts: pd.DataFrame, columns: Mapping[str, str], intro: str, title: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(r[c]) else str(r[c]))}</td>" for c in columns) + "</tr>"
        for _, r in alerts.iterrows()
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>'
        f"<p>{html.escape(intro)}</p>"
        '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></body></html>"
    )


def digest(
    alerts: pd.DataFrame,
    *,
    columns: Mapping[str, str],
    subject: str,
    intro: str,
    sender: str,
    recipients: Sequence[str],
) -> EmailMessage:
    """One digest: the alerts as a plain-text list and an HTML table.

    Parameters
    ----------
    alerts
        The recipient's alerts, one per row (contacts already masked).
    columns
        Column -> the header a reader sees, in order.
    subject, intro
        The subject line and the sentence above the list (any language).
    sender, recipients
        The From and To addresses.

    Raises
    ------
    ValueError
        When an alert carries an unmasked e-mail address or phone number (the column and value are named).
    """
    for column in columns:
        for value in alerts[column].dropna().astype(str):
            # every column is searched for e-mail addresses; numbers only where a phone may stand
            found = unmasked_contacts(value, phones="phone" in column or "contact" in column)
            if found:
                raise ValueError(f"column {column!r} carries unmasked contact data ({found[0][:3]}…): mask it first")
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    message["From"] = sender
    if recipients:  # without any, the file is a draft to forward
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    message.set_content(_plain(alerts, columns, intro))
    message.add_alternative(_html(alerts, columns, intro, subject), subtype="html")
    return message


def _file_name(owner: str) -> str:
    """A file name for an owner's digest: letters (any script), digits, - and _ kept, the rest as _."""
    return re.sub(r"[^\w-]+", "_", owner).strip("_") or "owner"


def write_digests(
    alerts: pd.DataFrame,
    folder: Path,
    *,
    owner_column: str,
    recipients: Mapping[str, Sequence[str]],
    everyone: Sequence[str],
    columns: Mapping[str, str],
    subject: str,
    intro: str,
    sender: str,
    nobody: str,
) -> list[Digest]:
    """One ``.eml`` digest per owner (one for all alerts when the data name no owner), written into ``folder``.

    Parameters
    ----------
    alerts
        Every alert of the period; ``owner_column`` names whose it is (NA: nobody's).
    recipients
        Owner -> the addresses of that owner's digest; an owner not listed, and alerts with no owner, go to
        ``everyone``.
    columns, subject, intro, sender
        As for :func:`digest`; ``subject`` and ``intro`` may hold ``{owner}`` and ``{alerts}``.
    nobody
        The ``{owner}`` of the digest of alerts with no owner (e.g. "all account managers").

    Returns
    -------
    list of Digest
        The files written, in owner order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    owners = (
        alerts[owner_column].astype("string").fillna("")
        if owner_column in alerts
        else pd.Series("", index=alerts.index, dtype="string")
    )
    written = []
    for owner, group in alerts.groupby(owners.to_numpy(), sort=True):
        to = tuple(recipients.get(owner, ())) or tuple(everyone)
        shown = owner or nobody
        message = digest(
            group,
            columns=columns,
            subject=subject.format(owner=shown, alerts=len(group)),
            intro=intro.format(owner=shown, alerts=len(group)),
            sender=sender,
            recipients=to,
        )
        path = folder / f"{_file_name(owner) if owner else 'all'}.eml"
        path.write_bytes(message.as_bytes())
        written.append(Digest(path, owner, to, len(group)))
    return written


def send_digests(
    digests: Sequence[Digest], server: SmtpServer, *, environ: Mapping[str, str] | None = None
) -> dict[Path, str]:
    """Send each digest file to its recipients; returns the failures, digest file -> what went wrong.

    Every digest is sent in a connection of its own, so one refused recipient or a dropped connection affects
    that digest alone. Files are read, never moved or deleted.
    """
    env = os.environ if environ is None else environ
    user = env.get(server.username_env) if server.username_env else None
    password = env.get(server.password_env, "") if server.password_env else ""
    if server.username_env and not user:
        reason = f"the environment variable {server.username_env} (the SMTP user name) is not set"
        return {d.path: reason for d in digests}
    failures: dict[Path, str] = {}
    for item in digests:
        try:
            with open(item.path, "rb") as handle:
                message = message_from_binary_file(handle, policy=policy.SMTP)
            with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as smtp:
                if server.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if user:
                    smtp.login(user, password)
                refused = smtp.send_message(message, from_addr=server.sender, to_addrs=list(item.recipients))
            if refused:
                failures[item.path] = "refused: " + ", ".join(f"{r} ({code})" for r, (code, _) in refused.items())
        except (OSError, smtplib.SMTPException) as error:
            failures[item.path] = f"{type(error).__name__}: {error}"
    return failures
