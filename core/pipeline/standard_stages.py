"""The standard stages of a B2B project sale, defined once in the domain.

Every deal walks Lead -> Qualified -> Technical exchange -> Requirements and solution ->
Evaluation -> Negotiation -> Won (or Lost). Each stage has its default win probability, the
days a deal may stay before it counts as stalled, its exit checklist and the deal-team roles
it needs on entry. An empty database is set up with these; the admin edits them afterwards.
"""

from core.i18n import N_

STANDARD_STAGES: tuple[tuple[str, str, int | None, list[str], list[str]], ...] = (
    # name, probability, max days, exit checklist, roles required on entering the stage
    (N_("Lead"), "0.05", 21, [N_("Contact identified"), N_("Need confirmed")], []),
    (N_("Qualified"), "0.15", 30, [N_("Budget confirmed"), N_("Decision maker known")], []),
    (
        N_("Technical exchange"),
        "0.30",
        30,
        [N_("Technical workshop held")],
        [N_("pre-sales engineer")],
    ),
    (
        N_("Requirements and solution"),
        "0.45",
        45,
        [N_("Requirements documented"), N_("Solution proposed")],
        [N_("solution consultant")],
    ),
    (N_("Evaluation"), "0.60", 45, [N_("Proof of value accepted")], [N_("executive sponsor")]),
    (
        N_("Negotiation"),
        "0.80",
        30,
        [N_("Terms agreed"), N_("Legal review done")],
        [N_("finance"), N_("legal")],
    ),
    (N_("Won"), "1", None, [], [N_("executive")]),
    (N_("Lost"), "0", None, [], []),
)
