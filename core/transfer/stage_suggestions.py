"""A proposed stage of ours for every stage name of another system's export; the user confirms.

Rules, in order:
1. The same name (case and spacing ignored) is that stage.
2. A name saying won or lost ("Closed Won", "Won", "赢单", "Closed Lost", "输单") is the Won
   or Lost stage.
3. A name sharing a word with one of our open stages ("Negotiation/Review" and "Negotiation",
   "Qualification" and "Qualified") is that stage.
4. The source's win probability (the most frequent one written with that stage): 100% is Won,
   0% of a closed stage is Lost, anything else the open stage whose probability is nearest.
5. Otherwise the first open stage, flagged for the user to check.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.i18n import _
from core.transfer.numbers import probabilities


@dataclass(frozen=True)
class OurStage:
    name: str
    probability: Decimal
    """0..1, as configured."""
    is_won: bool = False
    is_lost: bool = False


@dataclass(frozen=True)
class Suggestion:
    stage: str
    why: str
    """Why this stage was proposed, in words for the wizard."""
    sure: bool = True
    """False: nothing matched; the user must look."""


WON_WORDS = ("won", "win", "赢", "成交", "签约", "受注", "gewonnen", "gagné", "ganado")
LOST_WORDS = ("lost", "loss", "输", "丢", "失败", "失注", "verloren", "perdu", "perdido")


def _words(name: str) -> set[str]:
    return {w[:6] for w in re.findall(r"\w+", name.lower()) if len(w) > 2}


def _says(name: str, words: Iterable[str]) -> bool:
    lowered = name.lower()
    return any(
        re.search(rf"\b{re.escape(w)}\b", lowered) if w.isascii() else w in lowered for w in words
    )


def stage_probabilities(pairs: Iterable[tuple[str, str]], decimal_comma: bool = False) -> dict:
    """Source stage -> its most frequent probability in percent (None when never written),
    from (stage, probability text) of every row; keeps only the distinct pairs."""
    counts = Counter((stage, text.strip()) for stage, text in pairs if stage)
    texts = list(dict.fromkeys(text for __, text in counts))
    read = dict(zip(texts, probabilities(texts, decimal_comma), strict=True))
    seen: dict[str, Counter] = defaultdict(Counter)
    for (stage, text), count in counts.items():
        seen[stage][read[text]] += count
    out: dict[str, Decimal | None] = {}
    for stage, counter in seen.items():
        known = [(count, value) for value, count in counter.items() if value is not None]
        out[stage] = max(known)[1] if known else None
    return out


def suggest_stage(source: str, probability: Decimal | None, ours: list[OurStage]) -> Suggestion:
    """Our stage for one source stage name (see the module's rules)."""
    open_stages = [s for s in ours if not (s.is_won or s.is_lost)]
    won = next((s for s in ours if s.is_won), None)
    lost = next((s for s in ours if s.is_lost), None)
    key = " ".join(source.lower().split())
    for stage in ours:
        if " ".join(stage.name.lower().split()) == key:
            return Suggestion(stage.name, _("same name"))
    if won and _says(source, WON_WORDS) and not _says(source, LOST_WORDS):
        return Suggestion(won.name, _("the name says won"))
    if lost and _says(source, LOST_WORDS):
        return Suggestion(lost.name, _("the name says lost"))
    words = _words(source)
    sharing = [s for s in open_stages if _words(s.name) & words]
    if len(sharing) == 1:
        return Suggestion(sharing[0].name, _("a word of the name"))
    if probability is not None:
        percent = f"{probability.normalize():f}%"
        if probability >= 100 and won:
            return Suggestion(won.name, _("probability {percent}").format(percent=percent))
        if probability <= 0 and lost and "closed" in source.lower():
            return Suggestion(lost.name, _("probability {percent}").format(percent=percent))
        if open_stages:
            nearest = min(
                open_stages,
                key=lambda s: (abs(s.probability * 100 - probability), s.probability),
            )
            return Suggestion(nearest.name, _("probability {percent}").format(percent=percent))
    first = open_stages[0] if open_stages else ours[0]
    return Suggestion(first.name, _("no match: check it"), sure=False)


def suggest_stages(
    sources: dict[str, Decimal | None], ours: list[OurStage]
) -> dict[str, Suggestion]:
    """Our stage for every source stage name (name -> probability in percent, or None)."""
    return {name: suggest_stage(name, probability, ours) for name, probability in sources.items()}
