"""The standard stages of a B2B project sale, defined once in the domain.

Every deal walks Lead -> Qualified -> Technical exchange -> Requirements and solution ->
Evaluation -> Negotiation -> Won (or Lost). Each stage has its default win probability, the
days a deal may stay before it counts as stalled, its exit checklist and the deal-team roles
it needs on entry. An empty database is set up with these; the admin edits them afterwards.
"""

STANDARD_STAGES: tuple[tuple[str, str, int | None, list[str], list[str]], ...] = (
    # name, probability, max days, exit checklist, roles required on entering the stage
    ("Lead", "0.05", 21, ["Contact identified", "Need confirmed"], []),
    ("Qualified", "0.15", 30, ["Budget confirmed", "Decision maker known"], []),
    ("Technical exchange", "0.30", 30, ["Technical workshop held"], ["pre-sales engineer"]),
    (
        "Requirements and solution",
        "0.45",
        45,
        ["Requirements documented", "Solution proposed"],
        ["solution consultant"],
    ),
    ("Evaluation", "0.60", 45, ["Proof of value accepted"], ["executive sponsor"]),
    ("Negotiation", "0.80", 30, ["Terms agreed", "Legal review done"], ["finance", "legal"]),
    ("Won", "1", None, [], ["executive"]),
    ("Lost", "0", None, [], []),
)
