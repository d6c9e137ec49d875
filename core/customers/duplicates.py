"""Likely duplicates: the same normalised name, or a very similar one, already in the archive.

The same normalised name in the same region is never allowed; anything else that looks alike is
shown to the user, who confirms that it is a different customer.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.orm import Session

from core.customers.names import (
    bigram_similarity,
    bigrams,
    normalize_name,
    starts_with,
    written_without_spaces,
)
from core.errors import ValidationFailed
from core.i18n import _
from db.schema import Customer, Person, Region

SIMILARITY_THRESHOLD = 0.85
"""Two names whose normalised keys are at least this similar (difflib ratio) look like one."""

BIGRAM_THRESHOLD = 0.6
"""Names written without spaces (Chinese, Japanese...) look alike when at least this share of
their character pairs is common (Dice): 北京华为技术有限公司 and 北京华为 do, 深圳腾讯科技
does not."""

_CANDIDATE_LIMIT = 3000
_BIGRAM_CANDIDATES = 500


def similarity(left: str, right: str) -> float:
    """How alike two keys are, 0 to 1: character pairs for names written without spaces,
    difflib's ratio otherwise."""
    if left == right:
        return 1.0
    if written_without_spaces(left) or written_without_spaces(right):
        return bigram_similarity(left, right)
    return difflib.SequenceMatcher(a=left, b=right, autojunk=False).ratio()


def shared_pairs_condition(column, key: str, threshold: float = BIGRAM_THRESHOLD):
    """(score, condition): how many of the key's character pairs a stored key holds, and the
    least number a key must hold to reach `threshold` (Dice c/(n+m) >= t/2 with m >= c gives
    c >= t*n/(2-t)). Runs as LIKE '%pair%' in SQL, so no customer is loaded to be compared."""
    pairs = sorted(bigrams(key))
    score: ColumnElement[int] = sum(
        (case((column.like(f"%{p}%"), 1), else_=0) for p in pairs[1:]),
        case((column.like(f"%{pairs[0]}%"), 1), else_=0),
    )
    needed = max(1, math.ceil(threshold * len(pairs) / (2 - threshold) - 1e-9))
    return score, score >= needed


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
            message = _(
                "'{name}' already exists in {region} (owner: {value}). Open that "
                "customer instead of creating it again."
            ).format(name=first.name, region=first.region, value=first.owner or "none")
        else:
            names = "; ".join(f"{c.name} ({c.region})" for c in candidates[:3])
            message = _(
                "This looks like an existing customer: {names}. Confirm that it is a "
                "different customer, or use the existing one."
            ).format(names=names)
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
    columns = (
        Customer.id,
        Customer.name,
        Customer.normalized_name,
        Customer.region_id,
        Region.name,
        Person.name,
    )
    query = (
        select(*columns)
        .join(Region, Region.id == Customer.region_id)
        .outerjoin(Person, Person.id == Customer.owner_id)
    )
    if written_without_spaces(key):
        score, enough = shared_pairs_condition(Customer.normalized_name, key, BIGRAM_THRESHOLD)
        query = (
            query.where(or_(Customer.normalized_name == key, enough))
            .order_by(score.desc(), Customer.id)
            .limit(_BIGRAM_CANDIDATES)
        )
        threshold = min(threshold, BIGRAM_THRESHOLD)
    else:
        first_word = key.split()[0]
        prefixes = {first_word, key[:3]}
        conditions = [starts_with(Customer.normalized_name, p) for p in prefixes]
        query = query.where(or_(*conditions)).limit(_CANDIDATE_LIMIT)
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    found: list[DuplicateCandidate] = []
    for cid, cname, ckey, cregion_id, region, owner in session.execute(query):
        ratio = _similarity_at_least(key, ckey, threshold)
        if ratio is not None:
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


def _similarity_at_least(key: str, other: str, threshold: float) -> float | None:
    """The similarity of the two keys when it reaches `threshold`, else None (difflib's quick
    upper bounds first: most candidates are dismissed without the full comparison)."""
    if key == other:
        return 1.0
    if written_without_spaces(key) or written_without_spaces(other):
        ratio = bigram_similarity(key, other)
        return ratio if ratio >= threshold else None
    matcher = difflib.SequenceMatcher(a=other, b=key, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    ratio = matcher.ratio()
    return ratio if ratio >= threshold else None


class NearName(BaseModel):
    """An existing customer whose name looks like, but is not, a name being imported."""

    id: int
    name: str
    region: str
    similarity: float


_BATCH = 100
_BATCH_CANDIDATES = 20_000


def near_names(
    session: Session, keys: list[str], threshold: float = SIMILARITY_THRESHOLD
) -> dict[str, list[NearName]]:
    """For each key, existing customers with a similar but different key, most similar first.
    Candidates come from SQL a batch of keys at a time (the first word or three letters of a
    key, or the character pairs of a name written without spaces), and are compared here."""
    found: dict[str, list[NearName]] = {}
    ordered = sorted(set(k for k in keys if k))
    for start in range(0, len(ordered), _BATCH):
        chunk = ordered[start : start + _BATCH]
        conditions: list[ColumnElement[bool]] = []
        for key in chunk:
            if written_without_spaces(key):
                conditions.extend(Customer.normalized_name.like(f"%{p}%") for p in bigrams(key))
            else:
                for prefix in {key.split()[0], key[:3]}:
                    conditions.append(starts_with(Customer.normalized_name, prefix))
        rows = session.execute(
            select(Customer.id, Customer.name, Customer.normalized_name, Region.name)
            .join(Region, Region.id == Customer.region_id)
            .where(or_(*conditions))
            .order_by(Customer.id)
            .limit(_BATCH_CANDIDATES)
        ).all()
        by_start: dict[str, list] = defaultdict(list)
        by_pair: dict[str, list] = defaultdict(list)
        for row in rows:
            by_start[row[2][:3]].append(row)
            for pair in bigrams(row[2]):
                by_pair[pair].append(row)
        for key in chunk:
            if written_without_spaces(key):
                own = min(threshold, BIGRAM_THRESHOLD)
                shared = {r[0]: r for pair in bigrams(key) for r in by_pair.get(pair, [])}
                candidates = list(shared.values())
            else:
                own, first_word = threshold, key.split()[0]
                candidates = list(by_start.get(key[:3], []))
                if len(first_word) < 3:
                    candidates += [r for r in rows if r[2].startswith(first_word)]
            near = {}
            for cid, cname, ckey, region in candidates:
                if ckey != key and (ratio := _similarity_at_least(key, ckey, own)) is not None:
                    near[cid] = NearName(id=cid, name=cname, region=region, similarity=ratio)
            if near:
                found[key] = sorted(near.values(), key=lambda n: (-n.similarity, n.id))
    return found
