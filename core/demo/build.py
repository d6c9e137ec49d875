"""One demo build in progress: the connection, the scale, the random generator and what the
earlier steps produced for the later ones (people, customers, deals)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection

from core.demo.scales import Scale
from core.demo.words import ENGLISH, Words
from db.bulk import bulk_insert

Progress = Callable[[str, float], None]


class DemoBuild:
    """The state shared by the generation steps; each step fills in what the next ones read."""

    # organisation
    team_ids: list[int]
    team_top: list[int]
    region_names: list[str]
    region_parent: list[int | None]
    director_id: int
    top_manager: dict[int, int]
    team_manager: dict[int, int]
    rep_ids: np.ndarray
    rep_region: np.ndarray
    rep_skill: np.ndarray
    rep_hire: np.ndarray
    rep_team: np.ndarray
    person_names: dict[int, str]
    # customers
    customer_owner: np.ndarray
    customer_region: np.ndarray
    customer_seg_factor: np.ndarray
    customer_cols: dict[str, Any]
    customer_last_activity: np.ndarray
    # deals
    deal: dict[str, np.ndarray]

    def __init__(
        self,
        conn: Connection,
        scale: Scale,
        seed: int,
        today: date,
        progress: Progress,
        words: Words = ENGLISH,
    ):
        self.conn, self.scale, self.today, self.progress = conn, scale, today, progress
        self.words = words
        """The names of things, in the demo company's language."""
        self.rng = np.random.default_rng(seed)
        # currencies and splits draw from their own stream, so the rest of the data stays put
        self.money_rng = np.random.default_rng([seed, 4217])
        self.fy = today.year  # demo company: fiscal year = calendar year
        self.window_start = date(self.fy - 2, 1, 1)
        self.counts: dict[str, int] = {}

    def insert(self, model, columns) -> None:
        """Bulk-insert rows given column-wise; `counts` adds them up per table."""
        name = model.__tablename__
        self.counts[name] = self.counts.get(name, 0) + bulk_insert(
            self.conn, model.__table__, columns
        )
