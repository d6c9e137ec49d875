"""app.py freezes the objects alive once the app is up (ui.heap), once per process: a full
collection during a page run then walks only what the runs made."""

from __future__ import annotations

import gc

from tests.app.conftest import new_app
from ui import heap


def test_the_first_run_freezes_the_startup_objects_once(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(heap, "_frozen", False)
    freezes = []
    freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: (freezes.append(1), freeze()))
    assert gc.get_freeze_count() == 0
    at = new_app().run()
    assert not at.exception, at.exception
    frozen = gc.get_freeze_count()
    assert frozen > 10_000, frozen  # the modules, classes and functions of the app
    at.run()
    assert freezes == [1]  # not again on the next run
