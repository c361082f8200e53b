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

import hashlib
import html
import os
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from email import message_from_binary_file, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import NamedTuple

import pandas as pd

__all__ = [
    "Digest",
    "SendFailure",
    "SmtpServer",
    "digest",
    "recipients_of",
    "send_digests",
    "unmasked_contacts",
    "write_digests",
]

#: An e-mail address with at least two unmasked characters before the @; a run of 7+ digits (a phone number) that
#: is not a date.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\d*])\+?\d[\d .-]{5,}\d(?![\d*])")
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


def _sections(alerts: pd.DataFrame, group: str | None, limit: int | None) -> list[tuple[str | None, pd.DataFrame, int]]:
    """The alerts in sections: (heading, the rows shown, how many more) per value of ``group`` in order of first
    appearance (the caller sorts most urgent first); one section without a heading when ``group`` is None."""
    parts = [(None, alerts)] if group is None else [(str(k), g) for k, g in alerts.groupby(group, sort=False)]
    return [(k, g.head(limit) if limit else g, len(g) - limit if limit and len(g) > limit else 0) for k, g in parts]


def _plain(sections: list, columns: Mapping[str, str], intro: str, more: str) -> str:
    lines = [intro]
    for heading, rows, hidden in sections:
        lines.append("")
        if heading is not None:
            lines += [f"{heading} ({len(rows) + hidden})", ""]
        for _, row in rows.iterrows():
            lines.append(" · ".join(f"{header}: {row[c]}" for c, header in columns.items() if pd.notna(row[c])))
        if hidden:
            lines.append(more.format(more=hidden))
    return "\n".join(lines) + "\n"


def _html(sections: list, columns: Mapping[str, str], intro: str, title: str, more: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = [f"<p>{html.escape(intro)}</p>"]
    for heading, rows, hidden in sections:
        if heading is not None:
            body.append(f"<h3>{html.escape(heading)} ({len(rows) + hidden})</h3>")
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(r[c]) else str(r[c]))}</td>" for c in columns) + "</tr>"
            for _, r in rows.iterrows()
        )
        body.append(
            '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"
        )
        if hidden:
            body.append(f"<p>{html.escape(more.format(more=hidden))}</p>")
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>'
        + "".join(body)
        + "</body></html>"
    )


def digest(
    alerts: pd.DataFrame,
    *,
    columns: Mapping[str, str],
    subject: str,
    intro: str,
    sender: str,
    recipients: Sequence[str],
    date: pd.Timestamp,
    group: str | None = None,
    limit: int | None = None,
    more: str = "… {more} more",
) -> EmailMessage:
    """One digest: the alerts as a plain-text list and an HTML table, in a section per ``group`` when given.

    The same alerts give the same bytes: the date is the one given (the period's as-of date), and the message id
    and the part boundary are derived from the content, never from the clock or chance.

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
    date
        The Date header.
    group, limit, more
        The column whose values head the sections (in order of first appearance; it is not repeated in the rows),
        the rows shown per section, and the line saying how many more there are (``{more}``: that number). The
        whole list stays in the workbook: a digest is what a person reads in one sitting.

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
    message["Date"] = format_datetime(pd.Timestamp(date).tz_localize(None).to_pydatetime().replace(tzinfo=UTC))
    shown = {c: h for c, h in columns.items() if c != group}
    sections = _sections(alerts, group, limit)
    plain, page = _plain(sections, shown, intro, more), _html(sections, shown, intro, subject, more)
    key = hashlib.sha256("\x00".join([subject, ", ".join(recipients), plain]).encode("utf-8")).hexdigest()
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "localhost"
    message["Message-ID"] = f"<{key[:32]}@{domain}>"
    message.set_content(plain)
    message.add_alternative(page, subtype="html")
    message.set_boundary(f"=_digest_{key[32:56]}")
    return message


def _file_names(owners: Sequence[str]) -> dict[str, str]:
    """A distinct file name per owner: letters (any script), digits, - and _ kept, the rest as _; ``all`` for the
    alerts with no owner; a number added where two owners would share a name ("Li Wei" and "Li/Wei")."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for owner in owners:
        base = (re.sub(r"[^\w-]+", "_", owner).strip("_") or "owner") if owner else "all"
        name, n = base, 1
        while name.casefold() in taken or (owner and name == "all"):
            n += 1
            name = f"{base}_{n}"
        taken.add(name.casefold())
        names[owner] = f"{name}.eml"
    return names


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
    date: pd.Timestamp,
    group: str | None = None,
    limit: int | None = None,
    more: str = "… {more} more",
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
    date
        The Date of every digest (the period's as-of date: the same alerts give the same files).
    group, limit, more
        As for :func:`digest`.

    Returns
    -------
    list of Digest
        The files written, in owner order.
    """
    owners = (
        alerts[owner_column].astype("string").fillna("")
        if owner_column in alerts
        else pd.Series("", index=alerts.index, dtype="string")
    )
    built = []  # every digest first: an alert refused stops the writing before any file
    for owner, rows in alerts.groupby(owners.to_numpy(), sort=True):
        to = tuple(recipients.get(owner, ())) or tuple(everyone)
        shown = owner or nobody
        values = {"owner": shown, "alerts": len(rows)}
        message = digest(
            rows,
            columns=columns,
            subject=subject.format(**values),
            intro=intro.format(**values),
            sender=sender,
            recipients=to,
            date=date,
            group=group,
            limit=limit,
            more=more,
        )
        built.append((owner, to, len(rows), message))
    names = _file_names([owner for owner, *_ in built])
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for owner, to, count, message in built:
        path = folder / names[owner]
        path.write_bytes(message.as_bytes())
        written.append(Digest(path, owner, to, count))
    return written


class SendFailure(NamedTuple):
    """Why a digest did not reach everyone, and who it did not reach (every recipient unless the server refused
    some and took the others)."""

    reason: str
    refused: tuple[str, ...]


def send_digests(
    digests: Mapping[Path, Sequence[str]], server: SmtpServer, *, environ: Mapping[str, str] | None = None
) -> dict[Path, SendFailure]:
    """Send each digest file to its recipients; returns the failures, digest file -> what went wrong and to whom.

    Every digest is sent in a connection of its own, so one refused recipient or a dropped connection affects
    that digest alone. Files are read, never moved or deleted. No message names a character of the credentials.

    Parameters
    ----------
    digests
        Digest file -> its recipients.
    server
        Where to send, and the environment variables that hold the credentials.
    environ
        Where those variables are read (default: the process's environment).
    """
    env = os.environ if environ is None else environ
    user = env.get(server.username_env) if server.username_env else None
    password = env.get(server.password_env, "") if server.password_env else ""
    for name, what in ((server.username_env, "user name"), (server.password_env, "password")):
        if name and not env.get(name):
            why = f"the environment variable {name} (the SMTP {what}) is not set"
            return {path: SendFailure(why, tuple(to)) for path, to in digests.items()}
    failures: dict[Path, SendFailure] = {}
    for path, recipients in digests.items():
        try:
            with open(path, "rb") as handle:
                message = message_from_binary_file(handle, policy=policy.SMTP)
            with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as smtp:
                if server.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if user:
                    smtp.login(user, password)
                refused = smtp.send_message(message, from_addr=server.sender, to_addrs=list(recipients))
            if refused:  # the others were accepted
                why = "refused: " + ", ".join(f"{r} ({code})" for r, (code, _) in refused.items())
                failures[path] = SendFailure(why, tuple(refused))
        except smtplib.SMTPRecipientsRefused as error:
            why = "refused: " + ", ".join(f"{r} ({code})" for r, (code, _) in error.recipients.items())
            failures[path] = SendFailure(why, tuple(recipients))
        except UnicodeError:  # its message would quote a character of the user name or password
            why = "the SMTP user name or password holds characters the login cannot encode"
            failures[path] = SendFailure(why, tuple(recipients))
        except (OSError, smtplib.SMTPException, ValueError) as error:
            failures[path] = SendFailure(f"{type(error).__name__}: {error}", tuple(recipients))
    return failures


def recipients_of(path: Path) -> tuple[str, ...]:
    """The addresses in a digest file's To header (none for a draft)."""
    with open(path, "rb") as handle:
        message = message_from_binary_file(handle, policy=policy.SMTP)
    return tuple(address for _, address in getaddresses(message.get_all("To", [])) if address)
