"""The tests' copies of a live SQLite database (tests.support.sqlite_copy) leave it working.

CI on 6 December: an AppTest fixture copied the shared demo database with shutil.copy while
the worker had it open. The copy's close() dropped the worker's locks on the file, the CLI
subprocess of a later test then took its last close for the only one, deleted the WAL and the
shared memory, and every later test of that worker failed with "disk I/O error"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.support import sqlite_copy

ANOTHER_PROCESS_WRITES = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1])\n"
    "c.execute('PRAGMA journal_mode=WAL')\n"
    "c.execute('INSERT INTO t VALUES (2)')\n"
    "c.commit()\n"
    "c.close()\n"
)


def test_a_copy_made_while_the_database_is_open_keeps_it_working(tmp_path):
    live = tmp_path / "live.db"
    kept = sqlite3.connect(live)
    kept.execute("PRAGMA journal_mode=WAL")
    kept.execute("CREATE TABLE t (x INTEGER)")
    kept.execute("INSERT INTO t VALUES (1)")
    kept.commit()  # still in the WAL: no checkpoint while `kept` is open

    url = sqlite_copy(f"sqlite:///{live}", tmp_path / "copy.db")

    copy = sqlite3.connect(url.removeprefix("sqlite:///"))
    assert copy.execute("SELECT x FROM t").fetchall() == [(1,)]
    copy.close()
    subprocess.run([sys.executable, "-c", ANOTHER_PROCESS_WRITES, str(live)], check=True)
    kept.execute("INSERT INTO t VALUES (3)")
    kept.commit()
    fresh = sqlite3.connect(live)
    assert sorted(fresh.execute("SELECT x FROM t").fetchall()) == [(1,), (2,), (3,)]
    fresh.close()
    kept.close()
