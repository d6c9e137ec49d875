"""The floor: the fastest hand-written query we know for each core hot path (from the
diagnoses of the cold-cache work), adapted to the current schema (company amounts; split deals
credited to each person and region through their shares). One text per dialect where the
devices differ: SQLite takes `INDEXED BY`, `julianday`, `MATERIALIZED`; PostgreSQL plain SQL.

Each query is paired in bench/run.py with the core function that gives the same answer, and
`agree()` compares the two on the figures both produce before the timing counts.
"""

from __future__ import annotations

from decimal import Decimal


def _days(dialect: str, later: str, earlier: str) -> str:
    if dialect == "sqlite":
        return f"julianday({later}) - julianday({earlier})"
    return f"EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0"


def pipeline_by_stage(dialect: str) -> str:
    """b: open deals by stage, grouped before the join (one pass over the open deals)."""
    return """
    SELECT s.id, s.name, COALESCE(t.n, 0), COALESCE(t.amount, 0)
      FROM stage s
      LEFT JOIN (SELECT stage_id, COUNT(*) AS n, SUM(company_amount) AS amount FROM deal
                  WHERE status = 'open' GROUP BY stage_id) t ON t.stage_id = s.id
     ORDER BY s.position
    """


def funnel_cohort(dialect: str) -> str:
    """d: the funnel of the deals created in a period, whole company: the cohort's deals once
    (totals, lost reasons), the cohort's stays once through their covering index (reached, won
    and lost among them, completed days, where they were lost)."""
    materialized = "MATERIALIZED" if dialect == "sqlite" else "MATERIALIZED"
    return f"""
    WITH lost_stage AS {materialized} (SELECT id FROM stage WHERE is_lost),
    won_stage AS {materialized} (SELECT id FROM stage WHERE is_won)
    SELECT 'stay', stage_id,
           SUM(CASE WHEN first_entry THEN 1 ELSE 0 END),
           SUM(CASE WHEN first_entry AND current_stage_id IN (SELECT id FROM won_stage)
                    THEN 1 ELSE 0 END),
           SUM(CASE WHEN first_entry AND current_stage_id IN (SELECT id FROM lost_stage)
                    THEN 1 ELSE 0 END),
           COUNT(days), SUM(days),
           SUM(CASE WHEN left_for_stage_id IN (SELECT id FROM lost_stage) THEN 1 ELSE 0 END)
      FROM deal_stage_stay WHERE created_on BETWEEN :fs AND :fe GROUP BY stage_id
    UNION ALL
    SELECT 'deals', lost_reason_id, COUNT(*),
           SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END),
           SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END), NULL, NULL, NULL
      FROM deal WHERE created_on BETWEEN :fs AND :fe GROUP BY lost_reason_id
    UNION ALL
    SELECT 'closing', id, 0, 0, 0, NULL, NULL, NULL FROM stage WHERE is_won OR is_lost
    """


def funnel_history(dialect: str) -> str:
    """d, from the stage history alone (the floor before stays were kept on write): the
    cohort's history walked once in (deal, changed_at) order, reused for every figure."""
    dur = _days(
        dialect,
        "LEAD(h.changed_at) OVER (PARTITION BY h.deal_id ORDER BY h.changed_at, h.id)",
        "h.changed_at",
    )
    won = "d.status = 'won'" if dialect == "sqlite" else "(d.status = 'won')::int"
    lost = "d.status = 'lost'" if dialect == "sqlite" else "(d.status = 'lost')::int"
    return f"""
    WITH w AS MATERIALIZED (
      SELECT h.deal_id, h.to_stage_id AS st, h.from_stage_id AS fr, {dur} AS dur
        FROM deal_stage_history h
       WHERE h.deal_id IN (SELECT id FROM deal WHERE created_on BETWEEN :fs AND :fe))
    SELECT 'dur', st, COUNT(dur), SUM(dur), CAST(NULL AS BIGINT) FROM w GROUP BY st
    UNION ALL
    SELECT 'lost_at', fr, COUNT(*), CAST(NULL AS NUMERIC), CAST(NULL AS BIGINT) FROM w
     WHERE st IN (SELECT id FROM stage WHERE is_lost) GROUP BY fr
    UNION ALL
    SELECT 'reached', x.st, COUNT(*), SUM({won}), SUM({lost})
      FROM (SELECT DISTINCT deal_id, st FROM w) x JOIN deal d ON d.id = x.deal_id GROUP BY x.st
    """


def _outcome_branches() -> str:
    """Won amount, won and lost deals of the quarter (now = 1) and the quarter a year before
    (now = 0), unsplit deals by their region, split deals by each share's region."""
    branches = []
    for now, start, end in ((1, ":s", ":e"), (0, ":bs", ":be")):
        branches.append(f"""
      SELECT region_id, {now} AS now,
             CASE WHEN status = 'won' THEN company_amount END AS won,
             CASE WHEN status = 'won' THEN 1 ELSE 0 END AS wn,
             CASE WHEN status = 'lost' THEN 1 ELSE 0 END AS ln
        FROM deal WHERE status IN ('won', 'lost') AND closed_on BETWEEN {start} AND {end}
         AND NOT credit_shared
      UNION ALL
      SELECT c.region_id, {now},
             CASE WHEN d.status = 'won' THEN c.amount END,
             CASE WHEN d.status = 'won' THEN 1 ELSE 0 END,
             CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END
        FROM deal d JOIN credit_split c ON c.deal_id = d.id
       WHERE d.status IN ('won', 'lost') AND d.closed_on BETWEEN {start} AND {end}
         AND d.credit_shared""")
    return "\n      UNION ALL".join(branches)


def plan_vs_actual_regions(dialect: str) -> str:
    """f: won and lost deals of a closed quarter and the same quarter a year before, by top
    region (the director's parts), read from the won/closed covering index (the status filter
    is what lets it answer alone), split deals through their shares."""
    return f"""
    WITH RECURSIVE
    root(id) AS (SELECT id FROM region WHERE parent_id IS NULL ORDER BY name LIMIT 1),
    parts(id) AS (SELECT id FROM region WHERE parent_id = (SELECT id FROM root)),
    sub(top, id) AS (SELECT id, id FROM parts
                     UNION ALL SELECT sub.top, r.id FROM sub JOIN region r ON r.parent_id = sub.id),
    o AS MATERIALIZED (SELECT region_id, now, SUM(won) AS won, SUM(wn) AS wn, SUM(ln) AS ln
                         FROM ({_outcome_branches()}) x GROUP BY region_id, now),
    t AS (SELECT region_id, SUM(amount) AS target FROM target
           WHERE plan_id = :review_plan AND person_id IS NULL AND month BETWEEN :s AND :e
             AND region_id IN (SELECT id FROM parts) GROUP BY region_id)
    SELECT p.id, MAX(t.target),
           SUM(CASE WHEN o.now = 1 THEN o.won END), SUM(CASE WHEN o.now = 1 THEN o.wn END),
           SUM(CASE WHEN o.now = 1 THEN o.ln END), SUM(CASE WHEN o.now = 0 THEN o.won END),
           SUM(CASE WHEN o.now = 0 THEN o.wn END), SUM(CASE WHEN o.now = 0 THEN o.ln END)
      FROM parts p JOIN sub ON sub.top = p.id
      LEFT JOIN o ON o.region_id = sub.id LEFT JOIN t ON t.region_id = p.id
     GROUP BY p.id
    """


def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def agree_pipeline(core, rows) -> str | None:
    """None when every stage has the same deals and amount; else what differs."""
    mine = {r[0]: (int(r[2]), _dec(r[3])) for r in rows}
    found = {
        int(r["stage_id"]): (int(r["deals"]), _dec(r["amount"])) for r in core.to_dict("records")
    }
    diff = {k: (found.get(k), v) for k, v in mine.items() if found.get(k) != v}
    return f"stages differ: {diff}" if diff else None


def agree_funnel(core, rows) -> str | None:
    """Reached, won and lost per stage, and the cohort's totals."""
    deals = sum(int(r[2]) for r in rows if r[0] == "deals")
    won = sum(int(r[3] or 0) for r in rows if r[0] == "deals")
    lost = sum(int(r[4] or 0) for r in rows if r[0] == "deals")
    if (core.deals, core.won, core.lost) != (deals, won, lost):
        return f"totals differ: core {(core.deals, core.won, core.lost)}, sql {(deals, won, lost)}"
    closing = {r[1] for r in rows if r[0] == "closing"}  # the funnel shows open stages
    reached = sorted(
        int(r[2]) for r in rows if r[0] == "stay" and r[1] not in closing and int(r[2])
    )
    core_reached = sorted(s.reached for s in core.stages if s.reached)
    if reached != core_reached:
        return f"reached differ: core {core_reached}, sql {reached}"
    return None


def agree_review(core, rows) -> str | None:
    """Won amount, won and closed deals of each top region."""
    mine = {str(r[0]): (_dec(r[2]), int(r[3] or 0), int(r[3] or 0) + int(r[4] or 0)) for r in rows}
    theirs = {
        str(r.key): (_dec(r.won), r.won_deals, r.closed_deals) for r in core if str(r.key) in mine
    }
    diff = {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}
    return f"regions differ: {diff}" if diff else None
