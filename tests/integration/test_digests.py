"""Email digests against a real SMTP server started on 127.0.0.1, on SQLite and PostgreSQL.

Expected values come from elsewhere than the digest code: recipients and follow-ups from raw
SQL, figures from `manage.py report attainment --format json`.
"""

from __future__ import annotations

import email
import json
import os
import re
import socket
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from core.demo import seed as demo
from core.org.access import load_actor
from core.performance.alerts import current_alerts
from core.performance.digests.sending import send_digests
from core.performance.digests.settings import SmtpSettings
from db.engine import make_engine, migrate, session_factory
from tests.conftest import ROOT, SEED_TODAY
from tests.support import fresh_postgres, skip_or_fail

TODAY = SEED_TODAY
CJK = re.compile(r"[\u4e00-\u9fff]")


class Inbox:
    """An SMTP handler keeping every message; recipients in `refuse` get a temporary error."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.refuse & set(envelope.rcpt_tos):
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if f"<{address}>" in str(m["To"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def db_url(backend, tmp_path_factory) -> str:
    """A database of our own (the digests commit), with the small demo data."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('digests') / 'digests.db'}"
        engine = make_engine(url)
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            skip_or_fail("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
        engine = fresh_postgres(base, "digests")
        url = engine.url.render_as_string(hide_password=False)
    migrate(engine)
    demo.seed(engine, scale="small", seed=7, today=TODAY)
    engine.dispose()
    return url


@pytest.fixture
def db(db_url):
    """The engine; after each test the digest tables are emptied and people restored."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        people = conn.execute(text("SELECT id, active, language FROM person")).all()
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM digest_sent"))
        conn.execute(text("DELETE FROM digest_opt_out"))
        conn.execute(text("DELETE FROM alert_state"))
        for pid, active, language in people:
            conn.execute(
                text("UPDATE person SET active = :a, language = :l WHERE id = :i"),
                {"a": active, "l": language, "i": pid},
            )
    engine.dispose()


def settings(inbox: Inbox) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=inbox.port, sender="sales@example.com")


def send(db, kind: str, inbox: Inbox, today: date = TODAY, dry_run: bool = False):
    factory = session_factory(db, write=True)
    return send_digests(factory, kind, today=today, settings=settings(inbox), dry_run=dry_run)


def manage(db_url: str, *args: str, port: int | None = None) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin", "SMTP_FROM": "sales@example.com"}
    if port is not None:
        env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def rows(db, sql: str, **params) -> list:
    with db.connect() as conn:
        return conn.execute(text(sql), params).all()


def plain(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def whole(value: str | None) -> str:
    """A report's money as the email writes it: whole units with thousands separators."""
    return "–" if value is None else f"{Decimal(value).quantize(Decimal(1)):,}"


def percent_of(won: str, target: str | None) -> str:
    if target is None or Decimal(target) == 0:
        return "–"
    return f"{(Decimal(won) / Decimal(target) * 100).quantize(Decimal('0.1')):,}%"


def test_the_weekly_digest_reaches_every_active_rep_and_manager_once_with_the_reports_figures(
    db, db_url, inbox
):
    (gone,) = rows(db, "SELECT id, email FROM person WHERE role = 'rep' AND active ORDER BY id")[:1]
    with db.begin() as conn:
        conn.execute(text("UPDATE person SET active = false WHERE id = :i"), {"i": gone.id})
    done = manage(
        db_url, "digest", "send", "--kind", "weekly", "--today", str(TODAY), port=inbox.port
    )
    assert done.returncode == 0, done.stderr

    expected = {
        address
        for (address,) in rows(
            db,
            "SELECT email FROM person WHERE active AND role IN ('rep', 'manager', 'director')",
        )
    }
    received = [str(m["To"]) for m in inbox.messages]
    assert sorted(a for r in received for a in expected if f"<{a}>" in r) == sorted(expected)
    assert len(received) == len(expected)
    assert not inbox.to(gone.email)
    admins = rows(db, "SELECT email FROM person WHERE role = 'admin'")
    assert admins and not any(inbox.to(a.email) for a in admins)
    logged = rows(db, "SELECT recipient, period_key FROM digest_sent WHERE kind = 'weekly'")
    year, week, __ = TODAY.isocalendar()
    assert sorted(r.recipient for r in logged) == sorted(expected)
    assert {r.period_key for r in logged} == {f"{year}-W{week:02d}"}

    report = manage(
        db_url, "report", "attainment", "--by", "rep", "--format", "json", "--today", str(TODAY)
    )
    assert report.returncode == 0, report.stderr
    by_rep = {row["entity"]: row for row in json.loads(report.stdout)}
    reps = rows(db, "SELECT email FROM person WHERE active AND role = 'rep'")
    checked = 0
    for rep in reps:
        (message,) = inbox.to(rep.email)
        body = plain(message)
        assert html(message).startswith("<!DOCTYPE html>")
        row = by_rep.get(rep.email)
        if row is None:
            continue
        assert f"Target: {whole(row['target'])} USD" in body or row["target"] is None
        assert f"Won: {whole(row['won'])} USD" in body
        assert f"Attainment: {percent_of(row['won'], row['target'])}" in body
        if row["gap"] is not None:
            assert f"Gap: {whole(row['gap'])} USD" in body
        if row["probability"] is not None:
            chance = (Decimal(row["probability"]) * 100).quantize(Decimal("0.1"))
            assert f"Probability of making it: {chance}%" in body
        checked += 1
    assert checked >= 3

    # A manager's digest lists the reps of the regions they manage, best attainment first.
    managers = rows(
        db,
        "SELECT p.email, r.name FROM person p JOIN region_manager m ON m.person_id = p.id "
        "JOIN region r ON r.id = m.region_id WHERE p.active AND p.role = 'manager' ORDER BY p.id",
    )
    manager = managers[0]
    area = manage(
        db_url,
        "report",
        "attainment",
        "--by",
        "rep",
        "--region",
        manager.name,
        "--format",
        "json",
        "--today",
        str(TODAY),
    )
    team = json.loads(area.stdout)
    assert team
    lines = plain(inbox.to(manager.email)[0]).splitlines()
    positions = []
    for row in team:
        line = next(i for i, t in enumerate(lines) if t.startswith(f"  {row['name']} | "))
        assert f"Won: {whole(row['won'])} | " in lines[line]
        positions.append((row, line))
    ranked = sorted(positions, key=lambda p: p[1])
    values = [Decimal(r["attainment"]) for r, __ in ranked if r["attainment"] is not None]
    assert values == sorted(values, reverse=True)


def test_a_second_run_sends_nothing_and_a_dry_run_sends_and_logs_nothing(db, db_url, inbox):
    dry = manage(
        db_url,
        "digest",
        "send",
        "--kind",
        "weekly",
        "--dry-run",
        "--today",
        str(TODAY),
        port=inbox.port,
    )
    assert dry.returncode == 0, dry.stderr
    assert "Would send to" in dry.stdout and "nothing was sent or logged" in dry.stdout
    assert inbox.messages == []
    assert rows(db, "SELECT id FROM digest_sent") == []

    first = send(db, "weekly", inbox)
    count = len(inbox.messages)
    assert count == len(first.deliveries) > 0
    again = send(db, "weekly", inbox, today=TODAY + timedelta(days=1 if TODAY.weekday() < 6 else 0))
    assert again.deliveries == [] and len(inbox.messages) == count
    assert again.already_sent == count


def test_a_person_who_opted_out_gets_no_digest_of_that_kind(db, inbox):
    (rep,) = rows(db, "SELECT id, email FROM person WHERE active AND role = 'rep' ORDER BY id")[:1]
    from core.performance.digests.services import set_opt_out

    with session_factory(db, write=True).begin() as session:
        set_opt_out(session, load_actor(session, rep.id), rep.id, "weekly", True)
    run = send(db, "weekly", inbox)
    assert run.opted_out == 1
    assert not inbox.to(rep.email)
    assert len(inbox.messages) == len(run.deliveries) > 0


def test_the_daily_digest_reports_only_high_alerts_no_earlier_digest_reported(db, inbox):
    factory = session_factory(db, write=True)
    with factory() as session:
        managers = rows(db, "SELECT id, email FROM person WHERE active AND role = 'manager'")
        person = next(
            m
            for m in managers
            if [
                a
                for a in current_alerts(session, load_actor(session, m.id), today=TODAY)
                if a.severity == "high"
            ]
        )
        actor = load_actor(session, person.id)
        high = [a.key for a in current_alerts(session, actor, today=TODAY) if a.severity == "high"]
    held_back = high[0]
    with db.begin() as conn:  # the person had acknowledged one alert before the first digest
        conn.execute(
            text(
                "INSERT INTO alert_state (alert_key, person_id, acknowledged_at) "
                "VALUES (:k, :p, CURRENT_TIMESTAMP)"
            ),
            {"k": held_back, "p": person.id},
        )
    send(db, "daily", inbox)
    (first,) = inbox.to(person.email)
    (logged,) = rows(
        db, "SELECT items FROM digest_sent WHERE kind = 'daily' AND person_id = :p", p=person.id
    )
    items = logged.items if isinstance(logged.items, list) else json.loads(logged.items)
    assert sorted(items) == sorted(k for k in high if k != held_back)
    assert "new high-severity alert" in str(first["Subject"])

    with db.begin() as conn:  # reopened: it is new to this person's digests
        conn.execute(text("DELETE FROM alert_state"))
    inbox.messages.clear()
    send(db, "daily", inbox, today=TODAY)  # same day: already sent
    assert inbox.messages == []
    send(db, "daily", inbox, today=TODAY + timedelta(days=1))
    (second,) = inbox.to(person.email)
    (row,) = rows(
        db,
        "SELECT items FROM digest_sent WHERE kind = 'daily' AND person_id = :p AND period_key = :d",
        p=person.id,
        d=(TODAY + timedelta(days=1)).isoformat(),
    )
    again = row.items if isinstance(row.items, list) else json.loads(row.items)
    assert held_back in again
    assert not set(again) & set(items)
    assert str(second["Subject"]).startswith(f"{len(again)} new high-severity alert")


def test_reminders_list_each_persons_follow_ups_due_today_and_overdue(db, inbox):
    run = send(db, "reminders", inbox)
    expected = rows(
        db,
        "SELECT p.email, f.title, f.due_on FROM follow_up f JOIN person p ON p.id = f.owner_id "
        "WHERE p.active AND f.status IN ('open', 'snoozed') AND f.due_on <= :d",
        d=TODAY,
    )
    owners = {r.email for r in expected}
    assert owners, "the demo data has follow-ups due"
    assert {d.email for d in run.deliveries} == owners
    for address in owners:
        (message,) = inbox.to(address)
        body = plain(message)
        mine = [r for r in expected if r.email == address]
        for r in mine:
            assert f"  {r.title} | " in body
        overdue = sum(1 for r in mine if str(r.due_on) < TODAY.isoformat())
        due = sum(1 for r in mine if str(r.due_on) == TODAY.isoformat())
        assert f"{overdue} overdue, {due} due today" in str(message["Subject"])


def test_a_chinese_recipient_gets_the_digest_in_chinese_with_both_parts(db, inbox):
    (rep,) = rows(db, "SELECT id, email FROM person WHERE active AND role = 'rep' ORDER BY id")[:1]
    with db.begin() as conn:
        conn.execute(text("UPDATE person SET language = 'zh_CN' WHERE id = :i"), {"i": rep.id})
    send(db, "weekly", inbox)
    (message,) = inbox.to(rep.email)
    assert CJK.search(str(message["Subject"]))
    body, page = plain(message), html(message)
    assert "目标" in body and "赢单" in body and "Target:" not in body
    assert "目标" in page
    (lang,) = rows(db, "SELECT language FROM digest_sent WHERE person_id = :p", p=rep.id)
    assert lang.language == "zh_CN"
    others = [m for m in inbox.messages if f"<{rep.email}>" not in str(m["To"])]
    assert others and all(not CJK.search(str(m["Subject"])) for m in others)
    assert all(m.get_body(("plain",)) and m.get_body(("html",)) for m in inbox.messages)


def test_an_unreachable_server_exits_2_with_one_line_and_marks_nothing_sent(db, db_url):
    port = free_port()  # nothing listens there
    done = manage(db_url, "digest", "send", "--kind", "weekly", "--today", str(TODAY), port=port)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and str(port) in lines[0]
    assert rows(db, "SELECT id FROM digest_sent") == []


def test_a_failure_half_way_keeps_the_sent_ones_logged_and_the_next_run_sends_the_rest(db, inbox):
    from core.performance.digests.delivery import MailServerUnavailable

    planned = send(db, "weekly", inbox, dry_run=True).deliveries
    assert len(planned) > 3
    inbox.refuse = {planned[2].email}
    with pytest.raises(MailServerUnavailable, match="2 digests were sent"):
        send(db, "weekly", inbox)
    logged = {r.recipient for r in rows(db, "SELECT recipient FROM digest_sent")}
    assert logged == {planned[0].email, planned[1].email}
    inbox.refuse = set()
    inbox.messages.clear()
    rest = send(db, "weekly", inbox)
    assert {d.email for d in rest.deliveries} == {d.email for d in planned[2:]}
    assert rest.already_sent == 2
