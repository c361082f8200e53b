"""Stage 06's delivery: the committed alert digests e-mailed to their recipients, once, after the run is saved.

The runner calls :func:`deliver_digests` after it committed the period (:mod:`helpers.pipeline.delivery`), so a
failed run sends nothing and a failed send never touches the files. What was sent is recorded per file with the
file's hash and the addresses it reached; a later delivery sends a digest only to those of its recipients it has
not reached with the same content (a re-run of an unchanged period e-mails nobody; a server that took some
recipients and refused others is retried for the others alone), unless forced (``grading send --force``). A
delivery that cannot send — no server configured — keeps what earlier ones sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from helpers.grading_report.mail import SmtpServer, recipients_of, send_digests
from helpers.grading_report.settings import MailSettings
from helpers.io.files import sha256
from helpers.pipeline.context import StageContext
from helpers.pipeline.spec import Delivered

__all__ = ["deliver_digests"]

_NO_SERVER = "no mail server is configured"
_NO_ADDRESS = "no recipient: no address is configured for its account manager, nor for everyone"


def _entry(path: Path, old: Mapping[str, Any], force: bool) -> dict[str, Any]:
    """A digest's record before sending: its hash, recipients, and whom this content already reached."""
    digest, to = sha256(path), list(recipients_of(path))
    reached = [] if force or old.get("sha256") != digest else [a for a in old.get("sent_to", []) if a in to]
    return {
        "sha256": digest,
        "to": to,
        "sent_to": reached,
        "sent_at": old.get("sent_at") if reached else None,
        "status": "sent" if to and len(reached) == len(to) else "not sent",
        "detail": "sent before, unchanged since" if to and len(reached) == len(to) else "",
    }


def deliver_digests(ctx: StageContext, previous: Mapping[str, Any], force: bool = False) -> Delivered:
    """Send the period's committed digests to the recipients they have not reached, when a server is configured.

    Parameters
    ----------
    ctx
        Stage 06 on the period's folders (after the commit).
    previous
        The record of the last delivery of this period (``{}``: none).
    force
        Send every addressed digest to all its recipients again.

    Returns
    -------
    Delivered
        ``record["digests"]``: file name -> ``sha256``, ``to``, ``sent_to`` (the addresses this content reached),
        ``sent_at``, ``status`` (``sent``, ``failed``, ``not sent``) and ``detail``; the console lines; a failure
        line per digest that did not reach everyone although a server is configured.
    """
    mail: MailSettings = ctx.section.mail
    folder = ctx.output_path("alert_digests")
    where = ctx.paths.relative(folder)
    if not folder.is_dir():  # the stage always writes it: someone removed it
        why = f"the digest folder {where}/ is missing: run stage 06 again to write it"
        return Delivered({**previous, "error": why}, [], [why])
    before = previous.get("digests", {})
    entries = {f.name: _entry(f, before.get(f.name, {}), force) for f in sorted(folder.glob("*.eml"))}
    record: dict[str, Any] = {"server": None, "digests": entries}
    if not entries:
        return Delivered(record, ["no alert fired: no digest to send"])
    if mail.smtp is None:  # nothing goes out; what earlier deliveries sent stays recorded
        pending = [e for e in entries.values() if e["status"] != "sent"]
        for entry in pending:
            entry["detail"] = _NO_SERVER
        said = (
            f"{len(pending)} alert digest(s) in {where}/, not sent: {_NO_SERVER}"
            if pending
            else f"the alert digests in {where}/ were all sent before and are unchanged"
        )
        return Delivered(record, [said])
    smtp = mail.smtp
    record["server"] = f"{smtp.host}:{smtp.port}"
    due: dict[Path, list[str]] = {}
    for name, entry in entries.items():
        if not entry["to"]:
            entry["detail"] = _NO_ADDRESS
        elif entry["status"] != "sent":
            due[folder / name] = [a for a in entry["to"] if a not in entry["sent_to"]]
    server = SmtpServer(smtp.host, smtp.port, smtp.starttls, mail.sender, smtp.username_env, smtp.password_env)
    failed = send_digests(due, server)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    for path, recipients in due.items():
        entry = entries[path.name]
        refused = failed[path].refused if path in failed else ()
        took = [a for a in recipients if a not in refused]
        entry["sent_to"] += took
        if took:
            entry["sent_at"] = now
        if path in failed:
            entry.update(status="failed", detail=failed[path].reason)
        else:
            entry.update(status="sent", detail="sent")
    unchanged = sum(e["detail"] == "sent before, unchanged since" for e in entries.values())
    line = f"alert digests e-mailed through {record['server']}: {len(due) - len(failed)} sent"
    if unchanged:
        line += f", {unchanged} unchanged since they were sent (not sent again)"
    failures = [
        f"alert digest {name} not sent to {', '.join(a for a in e['to'] if a not in e['sent_to']) or 'anyone'}: "
        f"{e['detail']}"
        for name, e in entries.items()
        if e["status"] != "sent"
    ]
    if failures:
        failures.append(
            f"the digests are kept in {where}/. Once the server is reachable, grading send --period "
            f"{ctx.period.label} sends what did not go out; an address added or corrected in the settings "
            "(grading_report.mail) is written into the digests when stage 06 runs again (--stages 06), which sends "
            "the changed ones"
        )
    return Delivered(record, [line], failures)
