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

from conftest import ROOT
from helpers.grading_report.alerts import collect_alerts
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
    assert set(m.moves["customer_id"]) == {"A", "B", "C", "D"}  # every change of class, one rung included
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
        nobody="全体客户经理",
        date=pd.Timestamp("2025-12-31"),
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
    assert send_digests({d.path: d.recipients for d in digests}, server) == {}
    assert sorted(to[0] for _, to, _ in received) == sorted(d.recipients[0] for d in digests)
    for _, _, content in received:
        message = message_from_binary_file(__import__("io").BytesIO(content), policy=policy.default)
        assert message["Subject"].startswith("客户预警 2025Q4")
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
        assert unmasked_contacts(message.get_body(("plain",)).get_content()) == []

    refused = {digests[0].path: ["ghost@nowhere.example"]} | {d.path: d.recipients for d in digests[1:]}
    failures = send_digests(refused, server)
    assert list(failures) == [digests[0].path] and "ghost@nowhere.example" in failures[digests[0].path].reason
    assert failures[digests[0].path].refused == ("ghost@nowhere.example",)
    assert all(d.path.is_file() for d in digests)  # a failed send never loses the digest files

    tls = SmtpServer("127.0.0.1", port, starttls=True, sender="grading@consultant.example")
    assert set(send_digests({d.path: d.recipients for d in digests}, tls)) == {d.path for d in digests}  # no STARTTLS


def test_credentials_come_from_the_environment_and_their_absence_is_said(tmp_path):
    digests = _write(tmp_path)
    server = SmtpServer("127.0.0.1", 1, starttls=True, sender="x@y.example", username_env="GRADING_SMTP_USER")
    failures = send_digests({d.path: d.recipients for d in digests}, server, environ={})
    assert set(failures) == {d.path for d in digests}
    assert all("GRADING_SMTP_USER" in f.reason for f in failures.values())


def test_a_long_digest_lists_each_kind_up_to_its_limit_most_urgent_first_and_counts_the_rest(tmp_path):
    many = pd.concat([_alerts().assign(owner=None)] * 4, ignore_index=True)
    many["kind"] = ["高流失风险"] * 3 + ["预警信号"] * 9
    many["customer_name"] = [f"客户{i:02d}" for i in range(12)]
    (written,) = write_digests(
        many,
        tmp_path / "alerts",
        owner_column="owner",
        recipients={},
        everyone=["lead@client.example"],
        columns={"kind": "类型", **COLUMNS},
        subject="预警（{alerts} 条）",
        intro="以下预警",
        sender="grading@consultant.example",
        nobody="全体",
        date=pd.Timestamp("2025-12-31"),
        group="kind",
        limit=4,
        more="……另有 {more} 条",
    )
    message = _read(written.path)
    plain, page = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert written.alerts == 12 and message["Subject"] == "预警（12 条）"  # the count says every alert
    assert plain.index("高流失风险 (3)") < plain.index("预警信号 (9)")  # sections in the order given: urgent first
    assert "客户02" in plain and "客户06" in plain and "客户07" not in plain  # four of the second kind shown
    assert "……另有 5 条" in plain and "……另有 5 条" in page and "<h3>预警信号 (9)</h3>" in page
    assert "类型:" not in plain  # the kind heads its section instead of standing in every row


def _committed_digests(root, period):
    """A saved period whose stage 06 wrote the test's digests (as the runner leaves it after its commit)."""
    from helpers.core.catalog import ProjectPaths
    from helpers.io.files import write_json

    paths = ProjectPaths(root)
    _write(paths.folder("reports", period))  # reports/<period>/alerts/*.eml
    write_json(paths.manifest(period), {"period": period, "stages": {"06_grading_report": {"outputs": {}}}})
    return paths


def _mail_settings(port):
    from conftest import ROOT
    from helpers.pipeline.registry import load_settings

    settings = load_settings(ROOT / "config")
    mail = settings.grading_report.mail
    smtp = {"host": "127.0.0.1", "port": port, "starttls": False, "username_env": None, "password_env": None}
    mail = mail.model_copy(update={"smtp": type(mail).model_fields["smtp"].annotation.__args__[0](**smtp)})
    report = settings.grading_report.model_copy(update={"mail": mail})
    return settings.model_copy(update={"grading_report": report})


def test_digests_are_sent_once_after_the_commit_and_a_failed_one_is_sent_when_asked_again(tmp_path, smtp_server):
    import io

    from helpers.core.periods import parse_period
    from helpers.io.manifest import read_manifest
    from helpers.pipeline.delivery import deliver, delivery_records
    from helpers.pipeline.registry import stage

    port, received = smtp_server
    paths = _committed_digests(tmp_path, "2025Q4")
    period, stages, out = parse_period("2025Q4"), [stage("06")], io.StringIO()
    settings = _mail_settings(port)
    ghost = paths.folder("reports", "2025Q4") / "alerts" / "Anna_Snelling.eml"
    ghost.write_bytes(ghost.read_bytes().replace(b"sales-lead@client.example", b"ghost@nowhere.example"))

    failures = deliver(paths, period, settings, stages, {}, out=out)
    assert len(received) == 2 and any("Anna_Snelling.eml" in f and "ghost@nowhere.example" in f for f in failures)
    record = delivery_records(read_manifest(paths.manifest("2025Q4")))["06_grading_report"]
    assert {k: v["status"] for k, v in record["digests"].items()} == {
        "all.eml": "sent",
        "Anna_Snelling.eml": "failed",
        "张伟.eml": "sent",
    }
    assert "grading send --period 2025Q4" in out.getvalue()

    # the address is corrected; delivering again sends that one alone: the others are unchanged since they went out
    ghost.write_bytes(ghost.read_bytes().replace(b"ghost@nowhere.example", b"anna@client.example"))
    assert deliver(paths, period, settings, stages, {"06_grading_report": record}, out=out) == []
    assert len(received) == 3 and received[-1][1] == ["anna@client.example"]
    record = delivery_records(read_manifest(paths.manifest("2025Q4")))["06_grading_report"]
    assert deliver(paths, period, settings, stages, {"06_grading_report": record}, out=out) == []
    assert len(received) == 3  # nothing changed: nobody is mailed twice
    deliver(paths, period, settings, stages, {"06_grading_report": record}, force=True, out=out)
    assert len(received) == 6
    assert all(p.is_file() for p in (paths.folder("reports", "2025Q4") / "alerts").iterdir())


def test_what_was_sent_stays_known_through_a_run_without_a_server_a_partial_refusal_and_a_broken_delivery(
    tmp_path, smtp_server
):
    import io

    from helpers.core.periods import parse_period
    from helpers.io.manifest import read_manifest
    from helpers.pipeline.delivery import deliver, delivery_records
    from helpers.pipeline.registry import load_settings, stage

    port, received = smtp_server
    paths = _committed_digests(tmp_path, "2025Q4")
    period, stages, out = parse_period("2025Q4"), [stage("06")], io.StringIO()
    record = lambda: delivery_records(read_manifest(paths.manifest("2025Q4")))
    zhang = paths.folder("reports", "2025Q4") / "alerts" / "张伟.eml"
    # one digest to two people, one of whom the server refuses: the other gets it, and only once
    zhang.write_bytes(
        zhang.read_bytes().replace(b"zhang.wei@client.example", b"zhang.wei@client.example, x@nowhere.example")
    )
    deliver(paths, period, _mail_settings(port), stages, {}, out=out)
    entry = record()["06_grading_report"]["digests"]["张伟.eml"]
    assert entry["status"] == "failed" and entry["sent_to"] == ["zhang.wei@client.example"] and len(received) == 3
    # a run on a machine with no server keeps what went out
    deliver(paths, period, load_settings(ROOT / "config"), stages, record(), out=out)
    kept = record()["06_grading_report"]["digests"]
    assert kept["all.eml"]["status"] == "sent" and kept["张伟.eml"]["sent_to"] == ["zhang.wei@client.example"]
    # a delivery that breaks keeps the record too, and says why
    (paths.folder("reports", "2025Q4") / "alerts").rename(tmp_path / "moved")
    failures = deliver(paths, period, _mail_settings(port), stages, record(), out=out)
    assert failures and "missing" in failures[0] and record()["06_grading_report"]["digests"] == kept
    (tmp_path / "moved").rename(paths.folder("reports", "2025Q4") / "alerts")
    # back with the server: only the refused address is tried again; nobody else is mailed twice
    deliver(paths, period, _mail_settings(port), stages, record(), out=out)
    assert len(received) == 3  # x@nowhere.example is refused again; the others were reached before


def test_alerts_of_a_kind_come_most_urgent_first():
    graded = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "risk_band": ["high", "high", "low", "low"],
            "churn_probability": [0.71, 0.93, 0.1, 0.2],
            "monetary": [10.0, 20.0, 5.0, 900.0],
            "rule_hits": [None, None, "silent", "silent"],
            "final_class": ["small"] * 4,
        }
    )
    alerts = collect_alerts(
        graded,
        moves=None,
        class_counts=None,
        key_classes=["core"],
        shrink_share=0.1,
        actions={k: k for k in ("churn_high", "downgraded", "early_warning", "class_shrank")},
        class_names={},
    )
    assert alerts["customer_id"].tolist() == ["B", "A", "D", "C"]  # higher churn probability, bigger spender first


def test_without_a_mail_server_the_digests_are_recorded_as_not_sent_and_send_says_so(tmp_path, capsys):
    import shutil

    from conftest import ROOT
    from helpers.io.manifest import read_manifest
    from helpers.pipeline.cli import main

    shutil.copytree(ROOT / "config", tmp_path / "config")
    assert main(["send", "--period", "2025Q4", "--root", str(tmp_path)]) == 2  # never run
    assert "has not been run" in capsys.readouterr().err
    paths = _committed_digests(tmp_path, "2025Q4")
    assert main(["send", "--period", "2025Q4", "--root", str(tmp_path)]) == 1  # nothing reached anyone
    assert "3 alert digest(s) in reports/2025Q4/alerts/, not sent: no mail server is configured" in (
        capsys.readouterr().out
    )
    assert "not sent: no mail server is configured" in paths.index.read_text(encoding="utf-8")  # the front page
    record = read_manifest(paths.manifest("2025Q4"))["stages"]["06_grading_report"]["delivery"]
    assert record["server"] is None and {e["status"] for e in record["digests"].values()} == {"not sent"}


# --------------------------------------------------------------------------- the consolidated table, alerts, KPIs
PLANS = {
    c: {"action": f"act {c}", "contact": f"who {c}", "frequency": "monthly", "channel": "visit"} for c in [*CLASSES]
}


def _stage_tables():
    grading = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "customer_name": ["甲", "乙", "丙"],
            "scorecard_class": ["core", "small", "potential"],
            "rfm_class": ["important_value", "general_win_back", "general_develop"],
            "monetary": [1000.0, 10.0, 0.0],
            "clv": [5000.0, 20.0, float("nan")],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["A", "B", "C", "Z"], "contact_phone_masked": ["138****0001", None, "x", "y"]}
    )
    indicators = pd.DataFrame({"customer_id": ["A", "B", "C"], "interaction_rate": [0.5, 0.1, None]})
    churn = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "owner": ["张伟", None],
            "churn_probability": [0.81, 0.2],
            "risk_band": ["high", "low"],
            "reasons": ["订单减少", None],
            "rule_hits": [None, "silent 2 months"],
        }
    )
    growth = pd.DataFrame({"customer_id": ["B"], "growth_value": [300.0], "top_item": ["轴承"]})
    return grading, customers, indicators, churn, growth


def test_the_grading_table_has_one_row_per_graded_customer_with_every_stage_beside_it():
    from helpers.grading_report.table import FINAL_COLUMNS, grading_table

    grading, customers, indicators, churn, growth = _stage_tables()
    table = grading_table(
        grading,
        customers=customers,
        indicators=indicators,
        churn=churn,
        growth=growth,
        clv_verdict="ranking_only",
        plans=PLANS,
    )
    assert table.columns.tolist() == FINAL_COLUMNS and table["customer_id"].tolist() == ["A", "B", "C"]
    row = table.set_index("customer_id")
    assert row.loc["A", "final_class"] == "core" and row.loc["A", "contact"] == "who core"
    assert row.loc["A", "owner"] == "张伟" and row.loc["A", "churn_probability"] == 0.81
    assert row.loc["B", "top_item"] == "轴承" and pd.isna(row.loc["C", "churn_probability"])  # not listed: NA
    assert (table["clv_verdict"] == "ranking_only").all()
    with pytest.raises(ValueError, match="no contact plan for class"):
        grading_table(
            grading, customers=customers, indicators=indicators, churn=None, growth=None, clv_verdict="x", plans={}
        )


def test_alerts_list_each_kind_with_customer_owner_reason_and_action():
    from helpers.grading_report.alerts import ALERT_COLUMNS, collect_alerts
    from helpers.grading_report.table import grading_table

    grading, customers, indicators, churn, growth = _stage_tables()
    graded = grading_table(
        grading, customers=customers, indicators=indicators, churn=churn, growth=growth, clv_verdict="x", plans=PLANS
    ).merge(churn[["customer_id", "reasons", "rule_hits"]], on="customer_id", how="left")
    previous = _grading(["A", "B", "C", "D"], ["core", "core", "important", "important"])
    current = _grading(["A", "B", "C"], ["core", "small", "ordinary"])  # C: one class down, still an alert
    m = migration(previous, current, "final_class", ladder=LADDER)
    counts = pd.DataFrame({"previous": [2, 1], "current": [1, 0]}, index=["core", "important"])
    alerts = collect_alerts(
        graded,
        moves=m.moves,
        class_counts=counts,
        key_classes=["core", "important"],
        shrink_share=0.1,
        actions={k: f"do {k}" for k in ("churn_high", "downgraded", "early_warning", "class_shrank")},
        class_names={"core": "核心客户", "small": "中小客户", "important": "重要客户"},
    )
    assert alerts.columns.tolist() == ALERT_COLUMNS
    assert alerts["kind"].tolist() == [
        "churn_high",
        "downgraded",
        "downgraded",
        "early_warning",
        "class_shrank",
        "class_shrank",
    ]
    first = alerts.iloc[0]
    assert (first["customer_id"], first["owner"], first["reason"]) == ("A", "张伟", "churn probability 81%; 订单减少")
    assert (
        alerts.iloc[1]["reason"] == "核心客户 → 中小客户 (3 classes down)"
        and alerts.iloc[1]["action"] == "do downgraded"
    )
    assert alerts.iloc[2]["customer_id"] == "C" and alerts.iloc[2]["reason"].endswith("(1 class down)")
    assert alerts.iloc[3]["reason"] == "silent 2 months"
    # the class that shrank most first: 重要客户 lost all of its one customer, 核心客户 half of two
    assert alerts.iloc[4]["reason"] == "重要客户: 1 → 0 customers (−100%)" and pd.isna(alerts.iloc[4]["customer_id"])
    assert alerts.iloc[5]["reason"] == "核心客户: 2 → 1 customers (−50%)"


def test_the_kpi_panel_gives_this_period_the_previous_the_change_and_the_trend():
    from helpers.grading_report.kpis import kpi_panel

    kpis = pd.DataFrame({"period": ["2025Q2", "2025Q3", "2025Q4"], "churn_rate": [0.3, None, 0.25], "nps": [5, 6, 8]})
    panel = kpi_panel(kpis, ["churn_rate", "nps", "csat"], extra={"clv_mean": pd.Series({"2025Q4": 900.0})})
    assert panel.index.tolist() == ["churn_rate", "nps", "clv_mean"]  # csat: not in the table, not shown
    assert panel.loc["nps", ["current", "previous", "change"]].tolist() == [8, 6, 2]
    assert pd.isna(panel.loc["churn_rate", "previous"]) and pd.isna(panel.loc["churn_rate", "change"])  # NA, not 0
    assert panel.loc["clv_mean", "current"] == 900 and pd.isna(panel.loc["clv_mean", "previous"])
    assert panel.attrs["periods"] == ["2025Q2", "2025Q3", "2025Q4"]


def _the_workbook_reads_back_as_the_table(run, path) -> None:
    """The grading sheet re-read: every customer, in order, with the same spend and the class as labelled."""
    import openpyxl

    from helpers.core.labels import LABELS

    run.outputs["grading_report_workbook"].write(path)
    book = openpyxl.load_workbook(path)
    sheet = book[LABELS.text("grading_report_sheet", "grading")]
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    read = pd.DataFrame(rows[1:], columns=headers)
    h = lambda key: LABELS.text("grading_report_column", key)
    assert read[h("customer_id")].astype(str).tolist() == run.table["customer_id"].tolist()
    assert read[h("monetary")].astype(float).round(2).tolist() == run.table["monetary"].astype(float).round(2).tolist()
    assert read[h("final_class")].tolist() == [LABELS.text("scorecard_class", k) for k in run.table["final_class"]]
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref is not None
    assert len(sheet.conditional_formatting) > 0  # classes and risk bands coloured


@pytest.mark.slow
def test_the_stage_digests_of_the_sample_reach_a_loopback_server_without_unmasked_contacts(tmp_path, smtp_server):
    from conftest import ROOT
    from helpers.pipeline.memory import run_in_memory
    from helpers.sample_data import generate

    generate(tmp_path / "sample", n_customers=120, seed=7)
    run = run_in_memory(ROOT, "2025Q4", data=tmp_path / "sample", last=6).results["06_grading_report"]
    assert len(run.alerts) > 0
    _the_workbook_reads_back_as_the_table(run, tmp_path / "report.xlsx")
    run.digests.mail = run.digests.mail.model_copy(update={"everyone": ["sales-lead@client.example"]})
    run.digests.write(tmp_path / "alerts")
    written = run.digests.written
    assert sum(d.alerts for d in written) == len(run.alerts)  # every alert is in one digest
    port, received = smtp_server
    server = SmtpServer("127.0.0.1", port, starttls=False, sender=run.settings.mail.sender)
    assert send_digests({d.path: d.recipients for d in written}, server) == {}
    assert len(received) == len(written)
    for _, to, content in received:
        message = message_from_binary_file(__import__("io").BytesIO(content), policy=policy.default)
        assert to == ["sales-lead@client.example"] and "2025Q4" in message["Subject"]
        for part in ("plain", "html"):
            assert unmasked_contacts(message.get_body((part,)).get_content()) == []


def test_a_folder_output_is_replaced_whole_and_a_failed_write_keeps_the_old_one(tmp_path):
    from helpers.core.catalog import Output
    from helpers.pipeline.context import _write_output

    class Files:
        def __init__(self, *names: str, fail: bool = False) -> None:
            self.names, self.fail = names, fail

        def write(self, folder):
            folder.mkdir(parents=True)
            for name in self.names:
                (folder / name).write_text(name, encoding="utf-8")
            if self.fail:
                raise ValueError("refused half way")

    output = Output("alert_digests", "alerts/", "digests", place="reports")
    assert output.kind == "folder"
    target = tmp_path / "alerts"
    _write_output(output, Files("a.eml", "b.eml"), target)
    _write_output(output, Files("b.eml"), target)
    assert sorted(p.name for p in target.iterdir()) == ["b.eml"]  # the earlier run's a.eml is gone
    with pytest.raises(ValueError, match="half way"):
        _write_output(output, Files("c.eml", fail=True), target)
    assert sorted(p.name for p in target.iterdir()) == ["b.eml"]  # the good one is whole
