"""The Credit section of a deal's page: who the deal's revenue is credited to and, for those
core allows, the editor of the split (the owner's manager, directors, admins) or of a proposal
(the owner). Core decides every permission and every refusal (core.pipeline.credit); this only
leaves out what the viewer may not use and shows core's messages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import streamlit as st

from core.errors import DomainError, PermissionDenied
from core.i18n import _
from core.models import Actor
from core.org.access import load_actor
from core.pipeline import credit, credit_view
from core.pipeline.credit_view import CreditSection, ShownLine
from ui.data import cached, read, save
from ui.stage_names import moment

CREDIT_WRITES = ("deals", "alerts")
"""A split changes the deal and every figure that credits it (figures read the deals tag)."""

HUNDRED = Decimal(100)


@cached("deals", "org", "settings", ttl=30, show_spinner=False)
def load_section(person_id: int, deal_id: int) -> CreditSection:
    with read() as session:
        return credit_view.credit_section(session, load_actor(session, person_id), deal_id)


@cached("deals", "org", ttl=300, show_spinner=False)
def split_candidates(person_id: int, deal_id: int) -> list[tuple[int, str]]:
    with read() as session:
        return credit_view.split_candidates(session, load_actor(session, person_id), deal_id)


def _acting(session, actor: Actor) -> Actor:
    """The acting user as stored now (a deactivation since the page loaded counts)."""
    if actor.id is None:
        raise PermissionDenied(_("Sign in as a person of the company to change a deal's credit."))
    return load_actor(session, actor.id)


def _cents(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _line_text(line: ShownLine, currency: str) -> str:
    """One person's part as a list item."""
    percent = f"{line.percent:.2f}"
    if line.amount is None and line.region:
        return _("- **{name}** ({region}): {percent} %, not priced").format(
            name=line.name, region=line.region, percent=percent
        )
    if line.amount is None:
        return _("- **{name}**: {percent} %, not priced").format(name=line.name, percent=percent)
    amount = _cents(line.amount)
    if line.region:
        return _("- **{name}** ({region}): {percent} %, {amount} {currency}").format(
            name=line.name, region=line.region, percent=percent, amount=amount, currency=currency
        )
    return _("- **{name}**: {percent} %, {amount} {currency}").format(
        name=line.name, percent=percent, amount=amount, currency=currency
    )


def _percent_text(line: ShownLine) -> str:
    """One person's percent in a proposal (a proposal has no amounts until applied)."""
    if line.region:
        return _("- **{name}** ({region}): {percent} %").format(
            name=line.name, region=line.region, percent=f"{line.percent:.2f}"
        )
    return _("- **{name}**: {percent} %").format(name=line.name, percent=f"{line.percent:.2f}")


def _render_lines(section: CreditSection) -> None:
    st.markdown("\n".join(_line_text(line, section.company_currency) for line in section.lines))
    if section.company_amount is None:
        st.caption(
            _(
                "This deal's {amount} {currency} has no exchange rate in effect, so its shares "
                "are not priced: the figures list the deal apart, in nobody's total, until an "
                "administrator adds a {currency} rate."
            ).format(amount=_cents(section.amount), currency=section.currency)
        )
    elif not section.shared:
        st.caption(
            _("The whole credit goes to the owner, {owner}, until the credit is split.").format(
                owner=section.owner
            )
        )
    elif section.currency != section.company_currency:
        st.caption(
            _(
                "The shares add up to the deal's {company_amount} {company_currency} (converted "
                "from {amount} {currency}); each share counts for its person and their region."
            ).format(
                company_amount=_cents(section.company_amount),
                company_currency=section.company_currency,
                amount=_cents(section.amount),
                currency=section.currency,
            )
        )
    else:
        st.caption(
            _(
                "The shares add up to the deal's {company_amount} {company_currency}; each share "
                "counts for its person and their region."
            ).format(
                company_amount=_cents(section.company_amount),
                company_currency=section.company_currency,
            )
        )


def _proposal_lines(section: CreditSection) -> None:
    proposal = section.proposal
    assert proposal is not None
    st.markdown("\n".join(_percent_text(line) for line in proposal.lines))
    if proposal.note:
        st.caption(_("Note: {note}").format(note=proposal.note))


def _render_proposal_for_manager(actor: Actor, section: CreditSection, key: str) -> None:
    """The owner's pending proposal, to apply as the split or to decline."""
    proposal = section.proposal
    assert proposal is not None
    with st.container(border=True):
        st.markdown(
            _("**{person} proposed this split on {moment}.**").format(
                person=proposal.proposed_by, moment=moment(proposal.proposed_at, at=True)
            )
        )
        _proposal_lines(section)
        apply, decline = st.columns(2)
        if apply.button(
            _("Apply the proposal"),
            key=f"{key}_credit_apply_{section.deal_id}",
            type="primary",
            width="stretch",
        ):

            def applied(session) -> None:
                credit.apply_proposal(
                    session, _acting(session, actor), section.deal_id, section.version
                )

            save(applied, _("The proposed split is applied."), affects=CREDIT_WRITES)
        if decline.button(
            _("Decline the proposal"),
            key=f"{key}_credit_decline_{section.deal_id}",
            width="stretch",
        ):

            def declined(session) -> None:
                credit.reject_proposal(session, _acting(session, actor), section.deal_id)

            save(
                declined,
                _("The proposal is declined; the credit stays as it was."),
                affects=CREDIT_WRITES,
            )


def _render_own_proposal(section: CreditSection) -> None:
    proposal = section.proposal
    assert proposal is not None
    with st.container(border=True):
        st.markdown(
            _(
                "**You proposed this split on {moment}; it counts once your manager applies it.**"
            ).format(moment=moment(proposal.proposed_at, at=True))
        )
        _proposal_lines(section)


class _Editor:
    """The lines being edited, kept in the session between reruns: who is in the split, the
    percent of each (one number input per person) and the deal's version when editing began."""

    def __init__(self, section: CreditSection, key: str, mode: str) -> None:
        self.section = section
        self.base = f"{key}_credit_{mode}_{section.deal_id}"
        self.state_key = f"{self.base}_lines"
        state = st.session_state.get(self.state_key)
        if state is None or (state["version"] != section.version and not self.edited(state)):
            self.start(mode)

    def pct_key(self, person_id: int) -> str:
        return f"{self.base}_pct_{person_id}"

    def start(self, mode: str) -> None:
        """Begin from the saved split (the owner: from their pending proposal, if any)."""
        lines = self.section.lines
        if mode == "propose" and self.section.proposal is not None:
            lines = self.section.proposal.lines
        initial = {line.person_id: float(line.percent) for line in lines}
        for person_id, value in initial.items():
            st.session_state[self.pct_key(person_id)] = value
        st.session_state[self.state_key] = {
            "version": self.section.version,
            "people": list(initial),
            "initial": initial,
        }

    def edited(self, state: dict) -> bool:
        if state["people"] != list(state["initial"]):
            return True
        return any(
            st.session_state.get(self.pct_key(pid)) != value
            for pid, value in state["initial"].items()
        )

    @property
    def people(self) -> list[int]:
        return list(st.session_state[self.state_key]["people"])

    @property
    def seen_version(self) -> int:
        return int(st.session_state[self.state_key]["version"])

    def percents(self) -> dict[int, Decimal]:
        """Each person's percent as typed (core checks the decimals and the total)."""
        out = {}
        for person_id in self.people:
            value = st.session_state.get(self.pct_key(person_id))
            try:
                out[person_id] = Decimal(str(value if value is not None else 0))
            except InvalidOperation:
                out[person_id] = Decimal(0)
        return out

    def add(self, picker_key: str) -> None:
        """Callback: add the picked person with the percent still missing to reach 100."""
        person_id = st.session_state.get(picker_key)
        if person_id is None or person_id in self.people:
            return
        missing = HUNDRED - sum(self.percents().values(), Decimal(0))
        st.session_state[self.pct_key(person_id)] = float(max(missing, Decimal(0)))
        st.session_state[self.state_key]["people"] = [*self.people, person_id]
        st.session_state[picker_key] = None

    def remove(self, person_id: int) -> None:
        """Callback: take a person out of the split."""
        st.session_state[self.state_key]["people"] = [p for p in self.people if p != person_id]

    def forget(self) -> list[str]:
        """The keys to drop once saved, so the editor starts again from the saved split."""
        return [self.state_key]


def _render_editor_lines(editor: _Editor, names: dict[int, str]) -> Decimal:
    """One line per person (percent and Remove), stacked on a phone; returns the total."""
    people = editor.people
    for person_id in people:
        line = st.container(horizontal=True, vertical_alignment="bottom")
        line.number_input(
            _("{person}: percent of the credit").format(
                person=names.get(person_id, editor.section.owner)
            ),
            min_value=0.0,
            max_value=100.0,
            step=0.01,
            format="%.2f",
            key=editor.pct_key(person_id),
        )
        if len(people) > 1:
            line.button(
                _("Remove"),
                key=f"{editor.base}_rm_{person_id}",
                on_click=editor.remove,
                args=(person_id,),
                help=_("Take this person out of the split."),
            )
    total = sum(editor.percents().values(), Decimal(0))
    if total == HUNDRED:
        st.caption(_("✅ The percentages add up to 100 %."))
    else:
        st.warning(
            _(
                "The percentages add up to {total} %; they must add up to exactly 100 % for "
                "the split to be saved."
            ).format(total=f"{total:.2f}"),
            icon="🧮",
        )
    return total


def _render_picker(editor: _Editor, candidates: list[tuple[int, str]]) -> None:
    offered = [pid for pid, __ in candidates if pid not in editor.people]
    labels = dict(candidates)
    picker_key = f"{editor.base}_pick"
    st.selectbox(
        _("Add a person to the split"),
        offered,
        index=None,
        format_func=lambda pid: labels.get(pid, "?"),
        placeholder=_("Pick a person"),
        key=picker_key,
    )
    st.button(
        _("Add to the split"),
        key=f"{editor.base}_add",
        on_click=editor.add,
        args=(picker_key,),
        width="stretch",
    )


def _start_again(editor: _Editor) -> None:
    """Drop the unsaved lines and read the deal again (after a refusal, e.g. someone else
    changed the deal meanwhile)."""
    if editor.edited(st.session_state[editor.state_key]) and st.button(
        _("Start again from the saved split"), key=f"{editor.base}_reset"
    ):
        st.session_state.pop(editor.state_key, None)
        load_section.clear()
        st.rerun()


def _editor_names(candidates: list[tuple[int, str]], section: CreditSection) -> dict[int, str]:
    names = dict(candidates)
    for line in section.lines:
        names.setdefault(line.person_id, line.name)
    return names


def _render_set_editor(actor: Actor, section: CreditSection, key: str) -> None:
    """The owner's manager, directors and admins replace the split."""
    with st.expander(_("✏️ Split the credit")):
        st.caption(
            _(
                "Give each person a percentage with at most two decimals; together they must "
                "make exactly 100 %. Each person's share is rounded to cents so the shares add "
                "up to the deal's amount."
            )
        )
        try:
            candidates = split_candidates(actor.id, section.deal_id)
        except DomainError as exc:
            st.error(str(exc))
            return
        editor = _Editor(section, key, "set")
        _render_editor_lines(editor, _editor_names(candidates, section))
        _render_picker(editor, candidates)
        if st.button(
            _("Save the split"),
            key=f"{editor.base}_save",
            type="primary",
            width="stretch",
        ):
            percents = editor.percents()

            def saved(session) -> None:
                credit.set_split(
                    session,
                    _acting(session, actor),
                    section.deal_id,
                    editor.seen_version,
                    percents,
                )

            save(
                saved,
                _("The credit split is saved."),
                affects=CREDIT_WRITES,
                forget=editor.forget(),
            )
        if section.shared and st.button(
            _("Give 100 % to the owner"), key=f"{editor.base}_whole", width="stretch"
        ):

            def whole(session) -> None:
                credit.set_split(
                    session,
                    _acting(session, actor),
                    section.deal_id,
                    section.version,
                    {section.owner_id: HUNDRED},
                )

            save(
                whole,
                _("The split is ended: the whole credit goes to {owner}.").format(
                    owner=section.owner
                ),
                affects=CREDIT_WRITES,
                forget=editor.forget(),
            )
        _start_again(editor)


def _render_propose_editor(actor: Actor, section: CreditSection, key: str) -> None:
    """The owner proposes a split; it counts once their manager applies it."""
    label = _("✏️ Change my proposal") if section.proposal else _("✏️ Propose a split")
    with st.expander(label):
        st.caption(
            _(
                "Your manager sets how a deal's credit is split. Propose the people and their "
                "percentages (at most two decimals, exactly 100 % together) and they can "
                "apply it."
            )
        )
        try:
            candidates = split_candidates(actor.id, section.deal_id)
        except DomainError as exc:
            st.error(str(exc))
            return
        editor = _Editor(section, key, "propose")
        _render_editor_lines(editor, _editor_names(candidates, section))
        _render_picker(editor, candidates)
        _start_again(editor)
        note = st.text_area(
            _("Note for your manager (optional)"), max_chars=300, key=f"{editor.base}_note"
        )
        if st.button(
            _("Send the proposal"), key=f"{editor.base}_send", type="primary", width="stretch"
        ):
            percents = editor.percents()

            def proposed(session) -> None:
                credit.propose_split(
                    session, _acting(session, actor), section.deal_id, percents, note
                )

            save(
                proposed,
                _(
                    "Your proposal is sent; the credit stays as it is until your manager "
                    "applies it."
                ),
                affects=CREDIT_WRITES,
                forget=[*editor.forget(), f"{editor.base}_note"],
            )


def render_credit(actor: Actor, deal_id: int, *, key: str) -> None:
    """The deal's credit lines, and what the viewer may do with them."""
    try:
        section = load_section(actor.id, deal_id)
    except DomainError as exc:
        st.error(str(exc))
        return
    st.markdown(_("**Credit**"))
    _render_lines(section)
    if section.can_set:
        if section.proposal is not None:
            _render_proposal_for_manager(actor, section, key)
        _render_set_editor(actor, section, key)
    elif section.can_propose:
        if section.proposal is not None:
            _render_own_proposal(section)
        _render_propose_editor(actor, section, key)
