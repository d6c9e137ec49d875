"""My account (language, digest opt-outs), the Email digests page, and Home's "this week"."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine, select, text

from db.schema import DigestOptOut, DigestSent, Person
from tests.app.conftest import signed_in


def _engine(url: str):
    return create_engine(url)


@pytest.fixture
def restored(app_database):
    """Undo what these tests change in the shared app database."""
    yield
    with _engine(app_database).begin() as conn:
        conn.execute(text("DELETE FROM digest_opt_out"))
        conn.execute(text("DELETE FROM digest_sent"))
        conn.execute(text("UPDATE person SET language = NULL"))


def test_a_rep_changes_the_language_and_the_app_then_speaks_chinese(app_database, restored):
    at = signed_in("rep")
    at.switch_page("pages/account.py").run()
    assert not at.exception
    assert at.title[0].value == "My account"
    at.selectbox(key="account_language").select("zh_CN").run()
    at.button(key="save_language").click().run()
    assert not at.exception
    with _engine(app_database).connect() as conn:
        code = conn.scalar(select(Person.language).where(Person.username == "rep"))
    assert code == "zh_CN"
    again = signed_in("rep")  # the next page run speaks the chosen language
    assert again.title[0].value == "我的一天"
    assert any("销售代表" in m.value for m in again.sidebar.markdown)
    at.selectbox(key="account_language").select("").run()
    at.button(key="save_language").click().run()
    with _engine(app_database).connect() as conn:
        assert conn.scalar(select(Person.language).where(Person.username == "rep")) is None


def test_a_rep_stops_and_resumes_a_kind_of_digest(app_database, restored):
    at = signed_in("rep")
    at.switch_page("pages/account.py").run()
    assert at.checkbox(key="digest_weekly").value is True
    at.checkbox(key="digest_daily").uncheck()
    at.button[-2].click().run()  # the email choices' submit button (the password form is last)
    assert not at.exception
    assert any("email choices are saved" in s.value for s in at.success)
    with _engine(app_database).connect() as conn:
        rep_id = conn.scalar(select(Person.id).where(Person.username == "rep"))
        kinds = conn.scalars(select(DigestOptOut.kind).where(DigestOptOut.person_id == rep_id))
        assert set(kinds) == {"daily"}
    assert at.checkbox(key="digest_daily").value is False
    at.checkbox(key="digest_daily").check()
    at.button[-2].click().run()
    with _engine(app_database).connect() as conn:
        assert conn.scalars(select(DigestOptOut.kind)).all() == []


def test_an_admin_sees_the_sent_log_and_a_preview(app_database, restored):
    with _engine(app_database).begin() as conn:
        rep_id = conn.scalar(select(Person.id).where(Person.username == "rep"))
        conn.execute(
            DigestSent.__table__.insert(),
            {
                "person_id": rep_id,
                "kind": "weekly",
                "period_key": "2026-W49",
                "recipient": "rep@example.com",
                "subject": "Your week: 50.0% of your 2026Q4 target",
                "language": "en",
                "sent_at": datetime.now(),
                "items": ["behind_pace:rep:1"],
            },
        )
    at = signed_in("admin")
    at.switch_page("pages/digests.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Email digests"
    (log,) = [d for d in at.dataframe if "Subject" in d.value.columns]
    assert list(log.value["Subject"]) == ["Your week: 50.0% of your 2026Q4 target"]
    assert any("Subject:" in m.value for m in at.markdown) or at.info
    at.selectbox(key="digest_log_kind").select("daily").run()
    assert not [d for d in at.dataframe if "Subject" in d.value.columns]
    assert any("No digest was sent" in i.value for i in at.info)


def test_a_rep_and_a_manager_cannot_open_the_digests_page():
    for username in ("rep", "manager"):
        at = signed_in(username)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/digests.py")


def test_home_shows_this_week_for_a_rep_and_a_manager():
    for username, heading in (("rep", "Deals to close this month"), ("manager", "Reps, best")):
        at = signed_in(username)
        at.switch_page("pages/home.py").run()
        assert not at.exception
        assert any(h.value == "This week" for h in at.subheader), username
        assert any(heading in m.value for m in at.markdown), username
