"""Likely duplicates: the same normalised name, or a very similar one, already in the archive.

The same normalised name in the same region is never allowed; anything else that looks alike is
shown to the user, who confirms that it is a different customer.
"""

from __future__ import annotations

import difflib

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.customers.names import normalize_name, starts_with
from core.errors import ValidationFailed
from db.schema import Customer, Person, Region

SIMILARITY_THRESHOLD = 0.85
"""Two names whose normalised keys are at least this similar (difflib ratio) look like one."""

_CANDIDATE_LIMIT = 3000


class DuplicateCandidate(BaseModel):
    """An existing customer that looks like the one being saved."""

    id: int
    name: str
    region: str
    owner: str | None
    similarity: float
    same_region: bool
    exact: bool  # same normalised name

    @property
    def blocking(self) -> bool:
        """Same normalised name in the same region: the archive cannot hold both."""
        return self.exact and self.same_region


class LikelyDuplicate(ValidationFailed):
    """Saving would create a likely duplicate; the caller shows the candidates and asks."""

    def __init__(self, candidates: list[DuplicateCandidate]):
        self.candidates = candidates
        first = candidates[0]
        if first.blocking:
            message = (
                f"'{first.name}' already exists in {first.region} (owner: {first.owner or 'none'})."
                " Open that customer instead of creating it again."
            )
        else:
            names = "; ".join(f"{c.name} ({c.region})" for c in candidates[:3])
            message = (
                f"This looks like an existing customer: {names}. Confirm that it is a different "
                "customer, or use the existing one."
            )
        super().__init__(message)

    @property
    def blocking(self) -> bool:
        return any(c.blocking for c in self.candidates)


def find_duplicates(
    session: Session,
    name: str,
    region_id: int | None,
    *,
    exclude_id: int | None = None,
    threshold: float = SIMILARITY_THRESHOLD,
    limit: int = 10,
) -> list[DuplicateCandidate]:
    """Existing customers that look like `name`: the same normalised name (any region), or a
    very similar one. Candidates come from SQL by index-backed prefix of the name's first word
    and its first three letters; only those few are compared in Python."""
    key = normalize_name(name)
    if not key:
        return []
    first_word = key.split()[0]
    prefixes = {first_word, key[:3]}
    conditions = [starts_with(Customer.normalized_name, p) for p in prefixes]
    query = (
        select(
            Customer.id,
            Customer.name,
            Customer.normalized_name,
            Customer.region_id,
            Region.name,
            Person.name,
        )
        .join(Region, Region.id == Customer.region_id)
        .outerjoin(Person, Person.id == Customer.owner_id)
        .where(or_(*conditions))
        .limit(_CANDIDATE_LIMIT)
    )
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    found: list[DuplicateCandidate] = []
    matcher = difflib.SequenceMatcher(b=key, autojunk=False)
    for cid, cname, ckey, cregion_id, region, owner in session.execute(query):
        matcher.set_seq1(ckey)
        if ckey != key and (
            matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold
        ):
            continue
        ratio = 1.0 if ckey == key else matcher.ratio()
        if ratio >= threshold:
            found.append(
                DuplicateCandidate(
                    id=cid,
                    name=cname,
                    region=region,
                    owner=owner,
                    similarity=round(ratio, 3),
                    same_region=cregion_id == region_id,
                    exact=ckey == key,
                )
            )
    found.sort(key=lambda c: (not c.blocking, not c.exact, not c.same_region, -c.similarity))
    return found[:limit]
