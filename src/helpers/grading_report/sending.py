"""Stage 06's delivery: the committed alert digests e-mailed to their recipients, once, after the run is saved.

The runner calls :func:`deliver_digests` after it committed the period (:mod:`helpers.pipeline.delivery`), so a
failed run sends nothing and a failed send never touches the files. What was sent is recorded per file with the
file's hash and recipients; a later run whose digest is byte-identical for the same recipients does not send it
again (a re-run of an unchanged period e-mails nobody), unless forced (``grading send --force``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from helpers.grading_report.mail import SmtpServer, recipients_of, send_digests
from helpers.grading_report.settings import MailSettings
from helpers.io.files import sha256
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import Delivered

__all__ = ["deliver_digests"]


def deliver_digests(ctx: StageContext, previous: Mapping[str, Any], force: bool = False) -> Delivered:
    """Send the period's committed digests that were not sent before, when a mail server is configured.

    Parameters
    ----------
    ctx
        Stage 06 on the period's folders (after the commit).
    previous
        The record of the last delivery of this period (``{}``: none).
    force
        Send every addressed digest again.

    Returns
    -------
    Delivered
        ``record["digests"]``: file name -> ``sha256``, ``to``, ``status`` (``sent``, ``failed``, ``not sent``),
        ``detail`` and ``sent_at``; the console lines; one failure line per digest that did not go out although a
        server is configured.
    """
    mail: MailSettings = ctx.section.mail
    folder = ctx.output_path("alert_digests")
    where = ctx.paths.relative(folder)
    files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
    entries: dict[str, dict[str, Any]] = {
        f.name: {"sha256": sha256(f), "to": list(recipients_of(f)), "status": "not sent", "sent_at": None}
        for f in files
    }
    record: dict[str, Any] = {"server": None, "digests": entries}
    if not files:
        return Delivered(record, ["no alert fired: no digest to send"])
    if mail.smtp is None:
        for entry in entries.values():
            entry["detail"] = "no mail server is configured"
        return Delivered(record, [f"{len(files)} alert digest(s) in {where}/, not sent: no mail server is configured"])
    smtp = mail.smtp
    record["server"] = f"{smtp.host}:{smtp.port}"
    before = previous.get("digests", {})
    due: dict[Any, list[str]] = {}
    for f in files:
        entry, old = entries[f.name], before.get(f.name, {})
        if not entry["to"]:
            entry["detail"] = "no recipient: no address is configured for its account manager, nor for everyone"
        elif (
            not force
            and old.get("status") == "sent"
            and (old.get("sha256"), old.get("to"))
            == (
                entry["sha256"],
                entry["to"],
            )
        ):
            entry.update(status="sent", sent_at=old.get("sent_at"), detail="sent before, unchanged since")
        else:
            due[f] = entry["to"]
    server = SmtpServer(smtp.host, smtp.port, smtp.starttls, mail.sender, smtp.username_env, smtp.password_env)
    failed = send_digests(due, server)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    for f in due:
        entry = entries[f.name]
        if f in failed:
            entry.update(status="failed", detail=failed[f])
        else:
            entry.update(status="sent", sent_at=now, detail="sent")
    sent_now = len(due) - len(failed)
    unchanged = sum(e["detail"] == "sent before, unchanged since" for e in entries.values())
    line = f"alert digests e-mailed through {record['server']}: {sent_now} sent"
    if unchanged:
        line += f", {unchanged} unchanged since they were sent (not sent again)"
    failures = [
        f"alert digest {name} not sent{' to ' + ', '.join(e['to']) if e['to'] else ''}: {e['detail']}"
        for name, e in entries.items()
        if e["status"] != "sent"
    ]
    if failures:
        failures.append(
            f"the digests are kept in {where}/. Once the server is reachable, grading send --period "
            f"{ctx.period.label} sends what did not go out; an address added or corrected in the settings "
            f"(grading_report.mail) is written into the digests when stage 06 runs again (--stages 06), which sends "
            "the changed ones"
        )
    return Delivered(record, [line], failures)
