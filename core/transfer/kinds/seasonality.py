"""Importing named seasonality profiles: each name's twelve rows (months 1 to 12, calendar
months, January first) replace that profile, by the rules of core.plans.seasonality (at most
two decimals each, exactly 100 together, a name that is not a built-in seasonality).

The whole file is checked first: a name whose months are not exactly 1 to 12 or whose
percentages do not add up to exactly 100 is refused naming it, and nothing is written.
Profiles the file does not name are left alone; a profile equal to the file's is unchanged.
Only directors and administrators import profiles.
"""

from __future__ import annotations

from decimal import Decimal

from core import planning
from core.errors import ValidationFailed
from core.i18n import _
from core.plans.seasonality import all_profiles, save_profile
from core.transfer.formats import Kind, SeasonalityRow
from core.transfer.import_context import ImportContext, ImportResult, repeated_in_file

MONTHS = range(1, 13)


def _checked(ctx: ImportContext, name: str, row: int, months: dict[int, Decimal]) -> bool:
    """Whether one profile's rows make twelve months adding up to exactly 100 (else the
    problem is recorded on the profile's first row, naming it)."""
    missing = [m for m in MONTHS if m not in months]
    if missing:
        listed = ", ".join(str(m) for m in missing)
        ctx.problem(
            row,
            "month",
            name,
            _(
                "the profile '{name}' has no row for month {listed}; give one row for "
                "each month from 1 to 12"
            ).format(name=name, listed=listed),
        )
        return False
    try:
        planning.calendar_profile([months[m] for m in MONTHS])
    except planning.PlanningError as exc:
        ctx.problem(
            row,
            "percent",
            name,
            _("the profile '{name}' is refused: {exc}").format(name=name, exc=exc),
        )
        return False
    return True


def import_seasonality(ctx: ImportContext, dry_run: bool) -> ImportResult:
    session = ctx.session
    seen: dict = {}
    first_row: dict[str, int] = {}
    wanted: dict[str, dict[int, Decimal]] = {}
    for number, row, __ in ctx.rows.of(SeasonalityRow):
        name = " ".join(row.name.split())
        if repeated_in_file(ctx, number, "month", str(row.month), (name, row.month), seen):
            continue
        first_row.setdefault(name, number)
        wanted.setdefault(name, {})[row.month] = row.percent
    for name, months in wanted.items():
        _checked(ctx, name, first_row[name], months)
    ctx.fail_if_problems()
    result = ImportResult(kind=Kind.SEASONALITY, dry_run=dry_run)
    stored = all_profiles(session)
    for name, months in wanted.items():
        values = [months[m] for m in MONTHS]
        before = stored.get(name)
        if before == values:
            result.unchanged += len(MONTHS)
            continue
        if before is None:
            result.created += len(MONTHS)
        else:
            result.updated += len(MONTHS)
        # the service checks the name and writes (a dry run's savepoint is rolled back)
        try:
            save_profile(session, ctx.actor, name, values)
        except ValidationFailed as exc:
            ctx.problem(first_row[name], "name", name, str(exc))
    ctx.fail_if_problems()
    return result
