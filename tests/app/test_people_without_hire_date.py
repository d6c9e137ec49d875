"""A person imported without a hire date reads "–" on the Organisation page, not "None"."""

from __future__ import annotations

from sqlalchemy import update

from core.demo import seed as demo
from db.config import get_settings
from db.engine import make_engine, migrate
from db.schema import Person
from tests.app.conftest import signed_in
from tests.app.test_no_missing_values_shown import missing_cells
from tests.conftest import SEED_TODAY


def test_people_without_a_hire_date_show_a_dash(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'hire.db'}"
    engine = make_engine(url)
    migrate(engine)
    demo.seed(engine, scale="small", seed=11, today=SEED_TODAY)
    with engine.begin() as conn:
        changed = conn.execute(
            update(Person).where(Person.username.like("%rep%")).values(hire_date=None)
        ).rowcount
    engine.dispose()
    assert changed
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    at = signed_in("director").switch_page("pages/organisation.py").run()
    assert not at.exception, at.exception
    assert not missing_cells(at), missing_cells(at)
    hired = [
        str(v)
        for frame in (d.value for d in at.dataframe)
        if "hire_date" in frame
        for v in frame["hire_date"]
    ]
    assert "–" in hired
