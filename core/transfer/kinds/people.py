"""Importing people: matched by email; a manager imports reps of their own area only.

New people get a user name from their email address; "reports to" may name a person in the
same file. `functions` lists the deal-team functions a person can fill, separated by `;`, each
one of the known functions; an empty cell clears them.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Role
from core.org import audit
from core.pipeline.team import clean_functions, split_functions
from core.transfer.formats import Kind, PersonRow
from core.transfer.import_context import ImportContext, ImportResult, repeated_in_file, same_value
from db.schema import Person


def _unique_username(email: str, taken: set[str]) -> str:
    base = email.split("@")[0].lower()[:110] or "user"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}.{n}"
    taken.add(name)
    return name


def import_people(ctx: ImportContext, dry_run: bool) -> ImportResult:
    present = ctx.rows.present
    rows: list[tuple[int, PersonRow]] = []
    seen: dict = {}
    for number, row, __ in ctx.rows.of(PersonRow):
        if not repeated_in_file(ctx, number, "email", row.email, row.email, seen):
            rows.append((number, row))
    people = ctx.people()
    in_file = {row.email: row for _number, row in rows}
    by_name_in_file: dict[str, list[str]] = defaultdict(list)
    for _number, row in rows:
        by_name_in_file[row.name.lower()].append(row.email)
    planned: list[dict] = []
    held: dict[str, list[str]] = {}
    if ctx.actor.role == Role.MANAGER and "functions" in present:
        held = {
            e: list(f or []) for e, f in ctx.session.execute(select(Person.email, Person.functions))
        }
    for number, row in rows:
        region_id = ctx.region(number, "region", row.region)
        if ctx.actor.role == Role.MANAGER:
            if row.role != Role.REP:
                ctx.problem(number, "role", row.role.value, _("managers may only import reps"))
            ctx.in_area(number, "region", row.region, region_id)
            known = people.get(row.email)
            if known is not None:
                ctx.in_area(number, "email", row.email, known.region_id)
        boss: str | None = None
        if row.reports_to:
            value = row.reports_to
            if "@" in value and value.lower() in in_file:
                boss = value.lower()
            elif "@" not in value and len(by_name_in_file.get(value.lower(), [])) == 1:
                boss = by_name_in_file[value.lower()][0]
            else:
                found = ctx.person(number, "reports_to", value)
                boss = found.email if found else None
            if boss == row.email:
                ctx.problem(number, "reports_to", value, _("a person cannot report to themselves"))
        functions: list[str] = []
        try:
            functions = clean_functions(ctx.session, split_functions(row.functions))
        except ValidationFailed as exc:
            ctx.problem(number, "functions", row.functions, str(exc))
        if ctx.actor.role == Role.MANAGER and functions != held.get(row.email, functions[:0]):
            ctx.problem(
                number,
                "functions",
                row.functions,
                _("only administrators and directors set functions"),
            )
        planned.append(
            {
                "number": number,
                "row": row,
                "region_id": region_id,
                "boss": boss,
                "functions": functions,
            }
        )
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.PEOPLE, dry_run=dry_run)
    session = ctx.session
    taken = {u.lower() for u in session.scalars(select(Person.username))}
    ids = {email: ref.id for email, ref in people.items()}
    changes: list[tuple[dict, Person | None]] = []
    for plan in planned:
        row = plan["row"]
        values = {
            "name": row.name,
            "role": row.role.value,
            "region_id": plan["region_id"],
            "hire_date": row.hire_date,
        }
        values = {k: v for k, v in values.items() if k in present or k == "name"}
        if "region" in present:
            values["region_id"] = plan["region_id"]
        values.pop("region", None)
        current = session.get(Person, ids[row.email]) if row.email in ids else None
        if current is None:
            result.created += 1
            changes.append((plan, None))
            continue
        boss_id = ids.get(plan["boss"]) if plan["boss"] else None
        differs = any(not same_value(getattr(current, k), v) for k, v in values.items())
        if "reports_to" in present and current.reports_to_id != boss_id:
            differs = True
        if "functions" in present and list(current.functions or []) != plan["functions"]:
            differs = True
        if differs:
            result.updated += 1
            changes.append((plan, current))
        else:
            result.unchanged += 1
    if dry_run:
        return result
    created_ids = {}
    for plan, current in changes:
        row = plan["row"]
        if current is None:
            person = Person(
                username=_unique_username(row.email, taken),
                email=row.email,
                name=row.name,
                role=row.role.value,
                region_id=plan["region_id"],
                hire_date=row.hire_date,
                active=True,
                functions=plan["functions"],
            )
            session.add(person)
            session.flush()
            ids[row.email] = person.id
            created_ids[row.email] = person.id
            audit.record(
                session,
                ctx.actor,
                "import",
                "person",
                person.id,
                after={
                    "email": row.email,
                    "role": row.role,
                    "region": row.region,
                    "functions": plan["functions"],
                },
            )
    for plan, current in changes:
        row = plan["row"]
        person = current or session.get_one(Person, ids[row.email])
        before = {
            "name": person.name,
            "role": person.role,
            "region_id": person.region_id,
            "reports_to_id": person.reports_to_id,
            "hire_date": person.hire_date,
            "functions": list(person.functions or []),
        }
        if current is not None:
            person.name = row.name
            if "role" in present:
                person.role = row.role.value
            if "region" in present:
                person.region_id = plan["region_id"]
            if "hire_date" in present:
                person.hire_date = row.hire_date
            if "functions" in present:
                person.functions = list(plan["functions"])
        if "reports_to" in present:
            person.reports_to_id = ids.get(plan["boss"]) if plan["boss"] else None
        if current is not None:
            audit.record(
                session,
                ctx.actor,
                "import",
                "person",
                person.id,
                before=before,
                after={
                    "name": person.name,
                    "role": person.role,
                    "region_id": person.region_id,
                    "reports_to_id": person.reports_to_id,
                    "hire_date": person.hire_date,
                    "functions": list(person.functions or []),
                },
            )
    session.flush()
    return result
