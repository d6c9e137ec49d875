"""Pipeline reviews: a manager walks through a rep's pipeline, sees what changed since the last
review, records notes and commitments; a rep sees their open commitments."""

from datetime import date

import streamlit as st

from core import clock
from core.errors import DomainError, ValidationFailed
from core.i18n import N_, _, day, ngettext, period_name
from core.models import Actor, Role
from core.org.access import load_actor
from core.pipeline import pricing, reviews, views
from core.pipeline.reviews import CHANGE_KINDS, CommitmentCreate, ReviewCreate
from core.progress import views as progress_views
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.flash import show_flash
from ui.format import as_text, money, money_in
from ui.review_link import show_linked_review
from ui.stage_names import shown

CHANGE_ICONS = {"added": "🆕", "moved": "↔️", "slipped": "⏰", "won": "🏆", "lost": "❌"}
CHANGE_TITLES = {
    "added": N_("Added"),
    "moved": N_("Moved"),
    "slipped": N_("Slipped"),
    "won": N_("Won"),
    "lost": N_("Lost"),
}  # a kind of change as the counts above the table name it
CHANGE_CELLS = {
    "added": N_("added"),
    "moved": N_("moved"),
    "slipped": N_("slipped"),
    "won": N_("won"),
    "lost": N_("lost"),
}  # a kind of change as the table's Change column reads it


@cached("reviews", "deals", "customers", "settings")
def rep_overview(person_id: int, rep_id: int, today: date):
    with read() as session:
        actor = load_actor(session, person_id)
        since, changes = reviews.changes_since_last_review(session, actor, rep_id, today=today)
        return (
            since,
            changes,
            reviews.open_commitments(session, actor, rep_id),
            reviews.reviews_of(session, actor, rep_id),
            views.my_open_deals(session, actor, owner_id=rep_id),
        )


@cached("deals", "targets", "org", "settings")
def rep_standing(person_id: int, rep_id: int, today: date):
    with read() as session:
        return progress_views.rep_quarter(
            session, load_actor(session, person_id), rep_id, today=today
        )


@cached("settings", ttl=300)
def company_code() -> str:
    """The currency the review's amounts are in."""
    with read() as session:
        return pricing.company_currency(session)


@cached("org", ttl=300)
def reps_to_review(person_id: int) -> list[tuple[int, str]]:
    with read() as session:
        return reviews.reviewable_reps(session, load_actor(session, person_id))


def complete(actor: Actor, commitment_id: int) -> None:
    """Button callback: mark a review's commitment done (Streamlit reruns by itself)."""
    save(
        lambda s: reviews.complete_commitment(s, actor, commitment_id),
        _("Commitment done."),
        affects={"reviews"},
        in_callback=True,
    )


actor = current_actor()
st.title(_("Pipeline reviews"))
show_flash("reviews")
show_linked_review(actor)  # /reviews?review=3 shows that review and chooses its rep

if actor.role == Role.REP:
    rep_id = actor.id
else:
    reps = reps_to_review(actor.id)
    if not reps:
        st.info(_("No reps in your area yet. Reps appear here once they are assigned to a region."))
        st.stop()
    rep = st.selectbox(_("Rep"), reps, format_func=lambda r: r[1], key="review_rep")
    rep_id = rep[0]

try:
    since, changes, commitments, past, open_deals = rep_overview(actor.id, rep_id, clock.today())
except DomainError as exc:
    st.error(str(exc))
    st.stop()

standing = rep_standing(actor.id, rep_id, clock.today())
st.subheader(_("This quarter ({period})").format(period=period_name(standing.period)))
target, won, pace, pipeline, coverage = st.columns(5)
target.metric(_("Target"), money(standing.target))
won.metric(
    _("Won"),
    money(standing.won),
    help=ngettext("{n} deal won", "{n} deals won", standing.won_deals).format(n=standing.won_deals),
)
pace.metric(
    _("Pace"),
    f"{standing.pace:.0%}" if standing.pace is not None else "–",
    help=_("Won ÷ expected to date (the same figure as on Attainment & forecast)"),
)
pipeline.metric(
    _("Open pipeline"),
    money(standing.open_pipeline),
    help=_("Open deals expected to close between today and the end of the quarter"),
)
coverage.metric(
    _("Coverage"),
    f"{standing.coverage:.2f}×" if standing.coverage is not None else "–",
    help=_("Open pipeline ÷ remaining gap"),
)
if standing.overdue_deals:
    st.caption(
        ngettext(
            "{n} open deal worth {amount} is overdue: agree a new close date in this review.",
            "{n} open deals worth {amount} are overdue: agree new close dates in this review.",
            standing.overdue_deals,
        ).format(n=standing.overdue_deals, amount=money(standing.overdue))
    )

st.subheader(_("Open commitments"))
if commitments.empty:
    st.caption(_("No open commitments."))
for item in commitments.itertuples():
    overdue = item.due_on is not None and item.due_on < clock.today()
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        if item.due_on and overdue:
            due = _("due {day} ⚠️ overdue").format(day=day(item.due_on))
        elif item.due_on:
            due = _("due {day}").format(day=day(item.due_on))
        else:
            due = ""
        deal = f" · {item.deal}" if item.deal else ""
        st.markdown(f"**{item.description}**  \n{due}{deal}")
        st.button(
            _("✔ Done"),
            key=f"review_done_{item.id}",
            on_click=complete,
            args=(actor, int(item.id)),
        )

if since:
    st.subheader(_("What changed since the last review on {day}").format(day=day(since)))
else:
    st.subheader(_("What changed in the last 30 days (no review yet)"))
if changes.empty:
    st.caption(_("Nothing moved, slipped, closed or was added."))
else:
    counts = changes["change"].value_counts()
    for column, kind in zip(st.columns(len(CHANGE_KINDS)), CHANGE_KINDS):
        column.metric(f"{CHANGE_ICONS[kind]} {_(CHANGE_TITLES[kind])}", int(counts.get(kind, 0)))
    st.dataframe(
        changes.drop(columns=["deal_id"]).assign(
            change=lambda f: [_(CHANGE_CELLS.get(str(k), str(k))) for k in f["change"]],
            amount=lambda f: f["amount"].map(money),
            **{side: lambda f, side=side: as_text(f[side].map(shown)) for side in ("from", "to")},
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "change": _("Change"),
            "deal": _("Deal"),
            "from": _("From"),
            "to": _("To"),
            "when": _("When"),
            "amount": _("Amount ({currency})").format(currency=company_code()),
        },
    )

# Commitment rows on the form are plain text boxes, so a row takes text on a single click (a data
# grid selects a cell on the first click and drops the first key typed into an empty row).
COMMITMENT_ROWS = 4


def commitment_rows() -> list[tuple[str, date | None]]:
    """The form's commitment rows: what (a text box) and an optional due date, side by side."""
    rows = []
    for number in range(COMMITMENT_ROWS):
        what_box, due_box = st.columns([3, 1], vertical_alignment="bottom")
        what = what_box.text_input(
            _("Commitment {number}").format(number=number + 1),
            max_chars=500,
            key=f"review_commitment_{number}",
            placeholder=_("e.g. Send the revised proposal") if number == 0 else "",
        )
        due = due_box.date_input(_("Due on"), value=None, key=f"review_commitment_due_{number}")
        rows.append((what, due))
    return rows


if actor.role != Role.REP:
    st.subheader(_("Record this review"))
    deal_options = list(open_deals.itertuples(index=False))
    with st.form("review_form", clear_on_submit=True):
        held_on = st.date_input(_("Held on"), value=clock.today(), key="review_held_on")
        discussed = st.multiselect(
            _("Deals discussed"),
            deal_options,
            placeholder=_("Pick the deals you talked about"),
            format_func=lambda d: f"{d.name} · {shown(d.stage)} · {money_in(d.amount, d.currency)}",
            key="review_deals",
        )
        notes = st.text_area(_("Notes"), key="review_notes")
        agreed = commitment_rows()
        st.caption(
            _("Up to {n} commitments a review; empty rows are left out.").format(n=COMMITMENT_ROWS)
        )
        submitted = st.form_submit_button(_("Save review"), type="primary")
    if submitted:

        def record(session):
            for number, (what, due) in enumerate(agreed, start=1):
                if due is not None and not what.strip():
                    raise ValidationFailed(
                        _(
                            "Commitment {number} has a due date but no text: write what was "
                            "agreed or clear the date."
                        ).format(number=number)
                    )
            data = ReviewCreate(
                rep_id=rep_id,
                held_on=held_on,
                deal_ids=[d.id for d in discussed],
                notes=notes or None,
                commitments=[
                    CommitmentCreate(description=what, due_on=due)
                    for what, due in agreed
                    if what.strip()
                ],
            )
            return reviews.record_review(session, actor, data)

        save(record, _("Review saved."), affects={"reviews"})

st.subheader(_("Past reviews"))
if past.empty:
    st.caption(_("No reviews recorded yet."))
else:
    st.dataframe(
        past.drop(columns=["id"]),
        hide_index=True,
        width="stretch",
        column_config={
            "held_on": _("Held on"),
            "manager": _("Manager"),
            "deals_discussed": st.column_config.NumberColumn(_("Deals discussed"), format="%d"),
            "commitments": st.column_config.NumberColumn(_("Commitments"), format="%d"),
            "notes": _("Notes"),
        },
    )
