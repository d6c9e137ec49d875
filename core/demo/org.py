"""The demo organisation: a region tree with managers, and reps of different skill and hire
date (some hired this year, so their targets ramp up). The demo accounts sign in with one
password."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from core.demo.build import DemoBuild
from core.demo.columns import day_number, iso_days
from core.demo.words import ENGLISH
from core.org.auth import hash_password
from db.schema import Person, Region, RegionManager

DEMO_PASSWORD = "demo"
DEMO_ACCOUNTS = ENGLISH.accounts
"""The demo accounts and what each can do (in English; see core.demo.words)."""


def add_organisation(build: DemoBuild) -> None:
    """The region tree, the demo accounts, managers of every region and the reps."""
    scale, rng, words = build.scale, build.rng, build.words
    names: list[str] = [words.root_region]
    parents: list[int | None] = [None]
    build.team_ids, build.team_top, top_ids = [], [], []
    for top_name, teams in scale.regions:
        top_id = len(names) + 1
        names.append(words.region(top_name))
        parents.append(1)
        top_ids.append(top_id)
        for team in teams:
            build.team_ids.append(len(names) + 1)
            build.team_top.append(top_id)
            names.append(words.region(team))
            parents.append(top_id)
    build.region_names = names
    build.region_parent = parents
    build.insert(
        Region,
        {
            "id": list(range(1, len(names) + 1)),
            "name": names,
            "parent_id": parents,
            "active": [True] * len(names),
        },
    )

    password = hash_password(DEMO_PASSWORD)
    people: dict[str, list] = {
        k: []
        for k in (
            "id",
            "username",
            "email",
            "name",
            "role",
            "region_id",
            "reports_to_id",
            "hire_date",
            "active",
            "password_hash",
            "failed_logins",
        )
    }
    used_names: set[str] = set()

    def person_name(i: int) -> str:
        first, last = words.first, words.last
        name = words.person(first[i % len(first)], last[(i * 7 + i // len(first)) % len(last)])
        base, number = name, 1
        while name in used_names:
            number += 1
            name = base + " Jr" * (number - 1) if words.locale == "en" else f"{base}{number}"
        used_names.add(name)
        return name

    def add(username, role, region_id, reports_to, hire, name=None) -> int:
        pid = len(people["id"]) + 1
        name = name or person_name(pid)
        people["id"].append(pid)
        people["username"].append(username)
        people["email"].append(f"{username}@example.com")
        people["name"].append(name)
        people["role"].append(role)
        people["region_id"].append(region_id)
        people["reports_to_id"].append(reports_to)
        people["hire_date"].append(hire)
        people["active"].append(True)
        people["password_hash"].append(password)
        people["failed_logins"].append(0)
        return pid

    early = (build.window_start - timedelta(days=900)).isoformat()
    add("admin", "admin", 1, None, early, words.admin_name)
    build.director_id = add("director", "director", 1, None, early, words.director_name)
    build.top_manager = {}
    build.team_manager = {}
    managers_rows = []
    for index, top_id in enumerate(top_ids):
        username = "manager" if index == 0 else f"manager.{index + 1}"
        pid = add(username, "manager", top_id, build.director_id, early)
        build.top_manager[top_id] = pid
        managers_rows.append((top_id, pid))
    for index, team_id in enumerate(build.team_ids):
        top = build.team_top[index]
        pid = add(f"lead.{index + 1}", "manager", team_id, build.top_manager[top], early)
        build.team_manager[team_id] = pid
        managers_rows.append((team_id, pid))

    # Reps: spread over teams; most hired long ago, some this year (ramping).
    n = scale.reps
    rep_team = np.arange(n) % len(build.team_ids)
    rng.shuffle(rep_team[1:])  # rep 0 ("rep") stays in the first team of the first region
    skill = np.clip(rng.normal(1.0, 0.25, n), 0.5, 1.6)
    window = day_number(build.window_start)
    hire = window - rng.integers(60, 2000, n)
    new = rng.random(n) < 0.18
    hire[new] = rng.integers(window, day_number(build.today) - 45, new.sum())
    # a few hired this year, at least 60 days ago (early in a year: late last year instead)
    this_year = rng.choice(np.arange(1, n), size=max(2, n // 12), replace=False)
    latest = day_number(build.today) - 60
    earliest = min(day_number(date(build.fy, 1, 1)), latest - 60)
    hire[this_year] = rng.integers(earliest, latest, len(this_year))
    hire[0] = window - 400
    build.rep_ids = np.zeros(n, dtype=np.int64)
    build.rep_region = np.zeros(n, dtype=np.int64)
    for i in range(n):
        team_id = build.team_ids[rep_team[i]]
        username = "rep" if i == 0 else f"rep.{i + 1}"
        build.rep_ids[i] = add(
            username, "rep", team_id, build.team_manager[team_id], iso_days(np.array([hire[i]]))[0]
        )
        build.rep_region[i] = team_id
    build.rep_skill, build.rep_hire, build.rep_team = skill, hire, rep_team
    build.person_names = dict(zip(people["id"], people["name"]))
    build.insert(Person, people)
    build.insert(
        RegionManager,
        {
            "region_id": [r for r, _ in managers_rows],
            "person_id": [p for _, p in managers_rows],
        },
    )
