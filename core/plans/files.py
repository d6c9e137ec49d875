"""Plan files: a plan downloaded as a table (CSV or Excel), changed outside and uploaded again
by a director into a draft.

Every row is checked (known region and rep, whole non-negative amounts, months where the rep
is in that region) and then every level must add up; the plan is saved whole or, on any
problem, not at all (the message lists the rows at fault).
"""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.i18n import _
from core.models import Actor
from core.org import audit
from core.org.regions import load_region_tree
from core.plans.cells import (
    PlanInfo,
    check_sums,
    claim,
    company_region_id,
    load_cells,
    plan_by_id,
    plan_info,
    save_cells,
    state_of,
)
from core.plans.rules import ensure, upload_refusal
from db.schema import Person


def read_plan_file(name: str, content: bytes) -> pd.DataFrame:
    """A plan file (CSV or Excel, as downloaded) as text cells; refuses other formats."""
    lowered = name.lower()
    try:
        if lowered.endswith(".csv"):
            return pd.read_csv(
                io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
        if lowered.endswith((".xlsx", ".xlsm")):
            return pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False)
    except Exception as exc:  # unreadable file: say so, never a traceback
        raise ValidationFailed(
            _("{name} could not be read as a plan: {exc}").format(name=name, exc=exc)
        ) from None
    raise ValidationFailed(
        _("{name}: upload a .csv or .xlsx file downloaded from this page.").format(name=name)
    )


def _cell_units(raw: object) -> int | None:
    text = str(raw).strip().lstrip("'").replace(",", "")
    if text == "" or text.lower() == "nan":
        return None
    value = Decimal(text)
    if not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise ValueError
    return int(value)


def upload_plan(
    session: Session,
    actor: Actor,
    plan_id: int,
    frame: pd.DataFrame,
    *,
    expected_lock_version: int | None,
) -> PlanInfo:
    """Replace a draft plan's amounts with an uploaded table (the format `plan_table` gives).

    Every row is checked (known region and rep, whole non-negative amounts, months where the
    rep is in that region) and then every level must add up; the plan is saved whole or, on
    any problem, not at all (the message lists the rows at fault).
    """
    plan = plan_by_id(session, plan_id)
    ensure(upload_refusal(actor, state_of(session, plan)))
    old = load_cells(session, plan)
    tree = load_region_tree(session)
    labels = [m.strftime("%Y-%m") for m in old.months]
    missing = [c for c in ["level", "region", "username", *labels] if c not in frame.columns]
    if missing:
        raise ValidationFailed(
            _("The file lacks the column(s) ")
            + ", ".join(missing)
            + _("; download the plan to see the expected layout.")
        )
    path_to_region = {
        " / ".join(tree.names[r] for r in tree.path(region)): region for region in old.region
    }
    usernames = dict(
        session.execute(
            select(Person.username, Person.id).where(Person.id.in_([p for p, __ in old.rep] or [0]))
        ).all()
    )
    new = old.copy()
    errors: list[str] = []
    # a row is ("region", region id) or (person id, region id), as PlanCells keys a rep
    seen: set[tuple[str | int, int]] = set()
    for number, row in enumerate(frame.to_dict("records"), start=2):
        level = str(row.get("level", "")).strip()
        region = path_to_region.get(str(row.get("region", "")).strip())
        where = f"Row {number}"
        if region is None:
            errors.append(
                _("{where}: unknown region '{get}'.").format(where=where, get=row.get("region"))
            )
            continue
        rep_key: tuple[int, int] | None = None
        key: tuple[str | int, int]
        if level == "region":
            key = ("region", region)
        elif level == "rep":
            person = usernames.get(str(row.get("username", "")).strip())
            if person is None or (person, region) not in old.rep:
                errors.append(
                    _("{where}: '{get}' has no targets in {get2}.").format(
                        where=where, get=row.get("username"), get2=row.get("region")
                    )
                )
                continue
            key = rep_key = (person, region)
        else:
            errors.append(
                _("{where}: level must be 'region' or 'rep' (got '{level}').").format(
                    where=where, level=level
                )
            )
            continue
        if key in seen:
            errors.append(_("{where}: appears twice.").format(where=where))
            continue
        seen.add(key)
        present = np.ones(12, bool) if rep_key is None else old.present[rep_key]
        values = np.zeros(12, np.int64)
        for i, label in enumerate(labels):
            try:
                units = _cell_units(row.get(label, ""))
            except (ValueError, ArithmeticError):
                errors.append(
                    _("{where}, {label}: '{get}' is not a whole amount >= 0.").format(
                        where=where, label=label, get=row.get(label)
                    )
                )
                continue
            if units is None and present[i]:
                errors.append(
                    _("{where}, {label}: the amount is missing.").format(where=where, label=label)
                )
            elif units is not None and not present[i]:
                errors.append(
                    _("{where}, {label}: the rep is not in this region that month.").format(
                        where=where, label=label
                    )
                )
            elif units is not None:
                values[i] = units
        if rep_key is None:
            new.region[region] = values
        else:
            new.rep[rep_key] = values
    expected: set[tuple[str | int, int]] = {("region", r) for r in old.region}
    expected |= set(old.rep)
    for absent in expected - seen:
        if absent[0] == "region":
            errors.append(
                _("The row of region {get} is missing.").format(get=tree.names.get(absent[1]))
            )
        else:
            errors.append(
                _("The row of rep #{absent} in {get} is missing.").format(
                    absent=absent[0], get=tree.names.get(absent[1])
                )
            )
    if not errors:
        errors = [
            _("Does not add up: {p}").format(p=p)
            for p in check_sums(new, tree, Decimal(plan.padding_pct))
        ]
    if errors:
        more = _(" (and {value} more)").format(value=len(errors) - 10) if len(errors) > 10 else ""
        raise ValidationFailed(_("Nothing was saved. ") + " ".join(errors[:10]) + more)
    claim(session, plan, expected_lock_version)
    changed = save_cells(session, plan, old, new)
    root = company_region_id(tree)
    plan.company_target = Decimal(int(new.region[root].sum()))
    audit.record(
        session,
        actor,
        "upload",
        "target_plan",
        plan.id,
        after={"rows": len(seen), "cells_changed": changed},
    )
    session.flush()
    return plan_info(session, plan, actor)
