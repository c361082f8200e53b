"""Stage 06's building blocks: migration between periods (the transition matrix conserves the customers present in
both; entrants and leavers apart) and the alert digests (parsed back with the standard library; sent to a real SMTP
server the test starts on the loopback address)."""

from __future__ import annotations

import socket
from email import message_from_binary_file, policy
from email.header import decode_header, make_header

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.grading_report.mail import SmtpServer, send_digests, unmasked_contacts, write_digests
from helpers.grading_report.migration import ENTRANT, LEAVER, migration

LADDER = ["core", "important", "ordinary", "small"]
CLASSES = [*LADDER, "potential"]


# --------------------------------------------------------------------------- migration
def _grading(ids, classes, revenue=None) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ids, "final_class": classes, "monetary": revenue if revenue is not None else [1.0] * len(ids)}
    )


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(0, 60), st.sampled_from(CLASSES), max_size=40),
    st.dictionaries(st.integers(0, 60), st.sampled_from(CLASSES), max_size=40),
)
def test_the_matrix_conserves_the_customers_of_both_periods_and_counts_the_others_apart(before, now):
    previous = _grading([f"C{i}" for i in before], list(before.values()))
    current = _grading([f"C{i}" for i in now], list(now.values()), [float(i) for i in now])
    m = migration(previous, current, "final_class", ladder=LADDER)
    both = set(before) & set(now)
    assert m.matrix.to_numpy().sum() == len(both)
    assert m.entrants["customers"].sum() == len(set(now) - set(before))
    assert m.leavers["customers"].sum() == len(set(before) - set(now))
    for cls in CLASSES:  # each of this period's classes = who stayed or moved in + who entered
        if cls in m.matrix.columns:
            arrived = m.matrix[cls].sum() + m.entrants.loc[cls, "customers"]
            assert arrived == sum(v == cls for v in now.values())
    assert m.revenue.to_numpy().sum() == pytest.approx(sum(float(i) for i in both))
    assert m.table["customers"].sum() == len(set(before) | set(now))


def test_moves_of_more_than_one_rung_are_listed_and_potential_has_no_rank():
    previous = _grading(["A", "B", "C", "D", "E"], ["small", "core", "important", "potential", "ordinary"])
    current = _grading(["A", "B", "C", "D", "F"], ["core", "ordinary", "ordinary", "core", "small"], [9, 5, 4, 3, 1])
    m = migration(previous, current, "final_class", ladder=LADDER)
    movers = m.movers.set_index("customer_id")
    assert set(movers.index) == {"A", "B"}  # C moved one rung; D came from potential (no rank)
    assert movers.loc["A", "steps"] == 3 and movers.loc["B", "steps"] == -2
    assert movers.index[0] == "B"  # the falls first
    table = m.table.set_index(["from_class", "to_class"])
    assert table.loc[(ENTRANT, "small"), "customers"] == 1 and table.loc[("ordinary", LEAVER), "customers"] == 1


def test_a_customer_graded_twice_in_one_period_is_an_error():
    with pytest.raises(ValueError, match="more than once"):
        migration(_grading(["A", "A"], ["core", "small"]), _grading(["A"], ["core"]), "final_class", ladder=LADDER)


# --------------------------------------------------------------------------- alert digests
COLUMNS = {"customer_name": "客户", "contact_phone_masked": "电话", "reason": "原因", "action": "行动"}


def _alerts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "customer_name": ["上海立富能源股份有限公司", "Acme Corp", "无名客户"],
            "contact_phone_masked": ["138****5678", "+1 ***-***-0199", None],
            "reason": ["流失概率 82%", "downgraded core → ordinary", "连续两个月未下单"],
            "action": ["客户经理 48 小时内回访", "call the buyer", "发送召回优惠"],
            "owner": ["张伟", "Anna Snelling", None],
        }
    )


def _write(tmp_path, alerts=None):
    return write_digests(
        _alerts() if alerts is None else alerts,
        tmp_path / "alerts",
        owner_column="owner",
        recipients={"张伟": ["zhang.wei@client.example"]},
        everyone=["sales-lead@client.example"],
        columns=COLUMNS,
        subject="客户预警 2025Q4 — {owner}（{alerts} 条）",
        intro="{owner}：本期以下客户需要关注。",
        sender="grading@consultant.example",
    )


def _read(path):
    with open(path, "rb") as handle:
        return message_from_binary_file(handle, policy=policy.default)


def test_a_digest_per_owner_parses_back_with_subject_recipients_and_both_parts(tmp_path):
    digests = _write(tmp_path)
    assert [d.owner for d in digests] == ["", "Anna Snelling", "张伟"]  # no owner: one digest for the lead
    assert [d.alerts for d in digests] == [1, 1, 1]
    zhang = _read(digests[2].path)
    raw = digests[2].path.read_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower()  # the Chinese subject is RFC 2047 encoded
    assert str(make_header(decode_header(raw.split(b"Subject: ")[1].split(b"\nFrom")[0].decode()))) == (
        "客户预警 2025Q4 — 张伟（1 条）"
    )
    assert zhang["Subject"] == "客户预警 2025Q4 — 张伟（1 条）" and zhang["To"] == "zhang.wei@client.example"
    assert zhang.get_content_type() == "multipart/alternative"
    plain = zhang.get_body(("plain",)).get_content()
    page = zhang.get_body(("html",)).get_content()
    assert (
        "上海立富能源股份有限公司" in plain and "138****5678" in plain and "<td>上海立富能源股份有限公司</td>" in page
    )
    assert _read(digests[1].path)["To"] == "sales-lead@client.example"  # an owner not listed: to everyone


def test_a_digest_with_unmasked_contact_data_is_refused(tmp_path):
    alerts = _alerts()
    alerts.loc[0, "contact_phone_masked"] = "13812345678"
    with pytest.raises(ValueError, match="unmasked contact data"):
        _write(tmp_path, alerts)
    assert unmasked_contacts("138****5678 · z***@client.example") == []
    assert unmasked_contacts("zhang.wei@client.example +86 138 1234 5678") == [
        "zhang.wei@client.example",
        "+86 138 1234 5678",
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on the loopback address; yields (port, the messages it received)."""
    aiosmtpd = pytest.importorskip(
        "aiosmtpd.controller", reason="aiosmtpd is a test dependency (pip install -e .[test])"
    )

    class Collect:
        def __init__(self) -> None:
            self.received: list[tuple[str, list[str], bytes]] = []

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.endswith("@nowhere.example"):
                return "550 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            return "250 Message accepted"

    handler = Collect()
    port = _free_port()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.received
    finally:
        controller.stop()


def test_digests_reach_a_real_smtp_server_and_a_failure_is_reported_per_recipient(tmp_path, smtp_server):
    port, received = smtp_server
    digests = _write(tmp_path)
    server = SmtpServer("127.0.0.1", port, starttls=False, sender="grading@consultant.example")
    assert send_digests(digests, server) == {}
    assert sorted(to[0] for _, to, _ in received) == sorted(d.recipients[0] for d in digests)
    for _, _, content in received:
        message = message_from_binary_file(__import__("io").BytesIO(content), policy=policy.default)
        assert message["Subject"].startswith("客户预警 2025Q4")
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
        assert unmasked_contacts(message.get_body(("plain",)).get_content()) == []

    refused = [d.__class__(d.path, d.owner, ("ghost@nowhere.example",), d.alerts) for d in digests[:1]]
    failures = send_digests(refused + digests[1:], server)
    assert list(failures) == [digests[0].path] and "ghost@nowhere.example" in failures[digests[0].path]
    assert all(d.path.is_file() for d in digests)  # a failed send never loses the digest files

    tls = SmtpServer("127.0.0.1", port, starttls=True, sender="grading@consultant.example")
    assert set(send_digests(digests, tls)) == {d.path for d in digests}  # the server offers no STARTTLS


def test_credentials_come_from_the_environment_and_their_absence_is_said(tmp_path):
    digests = _write(tmp_path)
    server = SmtpServer("127.0.0.1", 1, starttls=True, sender="x@y.example", username_env="GRADING_SMTP_USER")
    failures = send_digests(digests, server, environ={})
    assert set(failures) == {d.path for d in digests}
    assert all("GRADING_SMTP_USER" in why for why in failures.values())
