"""`report scorecard` and `report alerts`: the scorecard per rep or region, and the open alerts
(for a daily job). The command line acts as an administrator, so it sees everyone."""

from __future__ import annotations

import json

import pandas as pd

from cli.common import ACTOR, sessions
from core.evaluation import METRICS
from core.org.company import fiscal_start_month
from core.org.regions import load_region_tree
from core.performance import alerts, scorecard
from core.periods import parse_period
from core.transfer.spreadsheets import safe_frame


def scorecard_frame(cards: list[scorecard.Scorecard]) -> pd.DataFrame:
    """One row per entity: entity, period, score, then each metric's contribution in points
    (the contributions add up to the score)."""
    rows = []
    for card in cards:
        row = {"entity": card.entity, "period": card.period, "score": card.score}
        row.update({part.metric: part.contribution for part in card.parts})
        rows.append(row)
    return pd.DataFrame(rows, columns=["entity", "period", "score", *METRICS])


def _render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(frame.to_dict(orient="records"), default=str, indent=2)
    if fmt == "csv":
        return safe_frame(frame).to_csv(index=False).rstrip("\n")
    return frame.to_string(index=False) if not frame.empty else "(no rows)"


def scorecard_report(args) -> str:
    with sessions(write=False)() as session:
        period = parse_period(args.period, fiscal_start_month(session))
        if args.by == "rep":
            cards = scorecard.rep_scorecards(session, ACTOR, period)
        else:
            tree = load_region_tree(session)
            ids = sorted(
                (r for r in tree.names if r != tree.root_id),
                key=lambda r: [tree.names[n] for n in tree.path(r)],
            )
            cards = scorecard.region_scorecards(session, ACTOR, period, region_ids=ids)
    return _render(scorecard_frame(cards), args.format)


def alerts_frame(found: list[alerts.Alert]) -> pd.DataFrame:
    columns = ["rule", "severity", "subject_type", "subject", "owner", "region", "message"]
    rows = [
        {
            **{c: getattr(a, c) for c in columns},
            "figures": json.dumps(a.figures, default=str),
            "key": a.key,
        }
        for a in found
    ]
    return pd.DataFrame(rows, columns=[*columns, "figures", "key"])


def alerts_report(args) -> str:
    with sessions(write=False)() as session:
        found = alerts.current_alerts(session, ACTOR)
    if args.format == "json":
        return json.dumps([a.model_dump(mode="json") for a in found], indent=2)
    return _render(alerts_frame(found), "csv")


def register_reports(report_commands) -> None:
    parser = report_commands.add_parser(
        "scorecard", help="weighted scorecard per rep or region (contribution per metric)"
    )
    parser.add_argument("--period", required=True, help="2026-03, 2026Q1 or FY2026")
    parser.add_argument("--by", choices=["rep", "region"], default="rep")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.set_defaults(run=scorecard_report)
    parser = report_commands.add_parser("alerts", help="all open alerts with their figures")
    parser.add_argument("--format", choices=["csv", "json"], default="csv")
    parser.set_defaults(run=alerts_report)
