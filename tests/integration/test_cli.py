"""manage.py as a user runs it: a real process on a real SQLite file."""

import subprocess
import sys

from sqlalchemy import create_engine, select

from db.schema import AuditLog, Person
from tests.conftest import ROOT


def run(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_init_db_seed_and_user_commands_work_end_to_end(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "init-db").returncode == 0
    first = run(url, "seed", "--scale", "small", "--seed", "1")
    assert first.returncode == 0, first.stderr
    assert "Seeded 'small' demo data" in first.stdout
    again = run(url, "seed", "--scale", "small", "--if-empty")
    assert again.returncode == 0 and "nothing seeded" in again.stdout
    refused = run(url, "seed", "--scale", "small")
    assert refused.returncode == 1 and "--reset" in refused.stderr

    added = run(
        url,
        "user",
        "add",
        "--email",
        "kim@example.com",
        "--name",
        "Kim Lee",
        "--role",
        "manager",
        "--region",
        "Europe",
        stdin="secret-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert run(url, "user", "set-password", "kim", "--password", "secret-2").returncode == 0
    assert run(url, "user", "deactivate", "kim@example.com").returncode == 0

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(Person.active).where(Person.username == "kim")) is False
        actions = conn.scalars(
            select(AuditLog.action).where(AuditLog.entity == "person").order_by(AuditLog.id)
        ).all()
        labels = set(conn.scalars(select(AuditLog.actor_label)))
    assert actions == ["add", "set_password", "deactivate"]
    assert labels == {"manage.py (administrator)"}


def test_bad_input_gives_one_clear_line_and_a_non_zero_exit(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    bad_email = run(
        url,
        "user",
        "add",
        "--email",
        "nope",
        "--name",
        "X",
        "--role",
        "rep",
        "--password",
        "pw-1234",
    )
    assert bad_email.returncode == 1
    assert bad_email.stderr.startswith("error: email:")
    unknown = run(url, "user", "deactivate", "ghost")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: No person with username or email 'ghost'."


def test_an_unreachable_or_malformed_database_url_gives_one_line_not_a_traceback():
    for url, expected in [
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "Cannot connect to the database"),
        ("not a url", "DATABASE_URL is not a valid database URL"),
        ("mysql://x@localhost/db", "No database driver"),
    ]:
        result = run(url, "init-db")
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.stderr
        assert "Traceback" not in result.stderr


def test_backup_and_restore_round_trip(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert run(url, "seed", "--scale", "small", "--seed", "2").returncode == 0
    backup_file = tmp_path / "backup.db"
    made = run(url, "backup", "--out", str(backup_file))
    assert made.returncode == 0, made.stderr
    assert run(url, "user", "deactivate", "rep").returncode == 0
    refused = run(url, "restore", str(backup_file))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    restored = run(url, "restore", str(backup_file), "--yes")
    assert restored.returncode == 0, restored.stderr
    with create_engine(url).connect() as conn:
        assert conn.scalar(select(Person.active).where(Person.username == "rep")) is True
        assert conn.scalar(select(AuditLog.action).order_by(AuditLog.id.desc())) == "seed"
    missing = run(url, "restore", str(tmp_path / "nope.db"), "--yes")
    assert missing.returncode == 2 and "No backup file" in missing.stderr
