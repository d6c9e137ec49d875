"""`report scorecard` and `report alerts`: the scorecard per rep or region, and the open alerts
(for a daily job). The command line acts as an administrator, so it sees everyone.

Reps are named as in every report: the scorecard's `entity` is the rep's email (a region's
name for regions) with `name` beside it; an alert's `owner` is the owner's name with
`owner_email` beside it."""

from __future__ import annotations

import json

import pandas as pd

from cli.common import (
    ACTOR,
    add_period_options,
    rep_names,
    report_period,
    report_today,
    sessions,
)
from core.evaluation import METRICS
from core.i18n import _
from core.org.regions import load_region_tree
from core.performance import alerts, scorecard
from core.transfer.spreadsheets import safe_frame


def scorecard_frame(
    cards: list[scorecard.Scorecard], names: dict[int, tuple[str, str]] | None = None
) -> pd.DataFrame:
    """One row per entity: entity (a rep's email from `names`, a region's name), name, period,
    score, then each metric's contribution in points (the contributions add up to the score)."""
    rows = []
    for card in cards:
        email = (names or {}).get(card.entity_id, ("", ""))[0] if card.kind == "rep" else ""
        row = {
            "entity": email or card.entity,
            "name": card.entity,
            "period": card.period,
            "score": card.score,
        }
        row.update({part.metric: part.contribution for part in card.parts})
        rows.append(row)
    return pd.DataFrame(rows, columns=["entity", "name", "period", "score", *METRICS])


def _render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(frame.to_dict(orient="records"), default=str, indent=2)
    if fmt == "csv":
        return safe_frame(frame).to_csv(index=False).rstrip("\n")
    return frame.to_string(index=False) if not frame.empty else _("(no rows)")


def scorecard_report(args) -> str:
    names: dict[int, tuple[str, str]] = {}
    with sessions(write=False)() as session:
        period = report_period(session, args)
        if args.by == "rep":
            cards = scorecard.rep_scorecards(session, ACTOR, period)
            names = rep_names(session, (card.entity_id for card in cards))
        else:
            tree = load_region_tree(session)
            ids = sorted(
                (r for r in tree.names if r != tree.root_id),
                key=lambda r: [tree.names[n] for n in tree.path(r)],
            )
            cards = scorecard.region_scorecards(session, ACTOR, period, region_ids=ids)
    return _render(scorecard_frame(cards, names), args.format)


ALERT_COLUMNS = [
    "rule",
    "severity",
    "subject_type",
    "subject",
    "owner",
    "owner_email",
    "region",
    "message",
]


def _owner_email(alert: alerts.Alert, names: dict[int, tuple[str, str]]) -> str:
    return names.get(alert.owner_id, ("", ""))[0] if alert.owner_id is not None else ""


def alerts_frame(
    found: list[alerts.Alert], names: dict[int, tuple[str, str]] | None = None
) -> pd.DataFrame:
    rows = [
        {
            **{c: getattr(a, c) for c in ALERT_COLUMNS if c != "owner_email"},
            "owner_email": _owner_email(a, names or {}),
            "figures": json.dumps(a.figures, default=str),
            "key": a.key,
        }
        for a in found
    ]
    return pd.DataFrame(rows, columns=[*ALERT_COLUMNS, "figures", "key"])


def alerts_report(args) -> str:
    with sessions(write=False)() as session:
        found = alerts.current_alerts(session, ACTOR, today=report_today(args))
        names = rep_names(session, (a.owner_id for a in found if a.owner_id is not None))
    if args.format == "json":
        return json.dumps(
            [{**a.model_dump(mode="json"), "owner_email": _owner_email(a, names)} for a in found],
            indent=2,
        )
    return _render(alerts_frame(found, names), "csv")


def register_reports(report_commands) -> None:
    parser = report_commands.add_parser(
        "scorecard", help="weighted scorecard per rep or region (contribution per metric)"
    )
    add_period_options(parser)
    parser.add_argument("--by", choices=["rep", "region"], default="rep")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.set_defaults(run=scorecard_report)
    parser = report_commands.add_parser("alerts", help="all open alerts with their figures")
    add_period_options(parser, period=False)  # alerts are of a day, not of a period
    parser.add_argument("--format", choices=["csv", "json"], default="csv")
    parser.set_defaults(run=alerts_report)
