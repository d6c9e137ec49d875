"""Stage settings (administrators): order, win probability, exit checklist, required deal-team
roles and the days a deal is expected to stay in each stage; and the list of lost reasons."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from core.i18n import _, number
from core.pipeline import lost_reasons, stages
from core.pipeline.stages import StageSettings
from ui.auth import current_actor
from ui.data import cached, read, save
from ui.downloads import download_buttons
from ui.flash import show_flash

SEPARATOR = ";"


@cached("settings", ttl=300)
def stage_table() -> pd.DataFrame:
    with read() as session:
        rows = stages.list_stages(session)
    return pd.DataFrame(
        [
            {
                "id": s.id,
                "name": s.name,
                "position": s.position,
                "probability %": float(s.probability * 100),
                "won": s.is_won,
                "lost": s.is_lost,
                "exit checklist": f"{SEPARATOR} ".join(s.exit_checklist),
                "required roles": f"{SEPARATOR} ".join(s.required_roles),
                "max days": s.max_days,
            }
            for s in rows
        ]
    )


def _split(text) -> list[str]:
    return [] if not isinstance(text, str) else [p.strip() for p in text.split(SEPARATOR)]


def _settings(row) -> StageSettings:
    id_value = row["id"]
    max_days = row["max days"]
    return StageSettings(
        id=None if pd.isna(id_value) else int(id_value),
        name=row["name"] if isinstance(row["name"], str) else "",
        position=int(row["position"]) if not pd.isna(row["position"]) else -1,
        probability=Decimal(str(row["probability %"] or 0)) / 100,
        is_won=bool(row["won"]),
        is_lost=bool(row["lost"]),
        exit_checklist=_split(row["exit checklist"]),
        required_roles=_split(row["required roles"]),
        max_days=None if pd.isna(max_days) else int(max_days),
    )


@cached("settings", "deals", ttl=300)
def reason_table() -> pd.DataFrame:
    with read() as session:
        rows = lost_reasons.list_lost_reasons(session, include_retired=True)
    return pd.DataFrame(
        [{"id": r.id, "reason": r.name, "on offer": r.active, "lost deals": r.deals} for r in rows],
        columns=["id", "reason", "on offer", "lost deals"],
    )


# A lost-reason change renames or reorders the reasons on every lost deal and the funnel.
REASON_WRITES = ("settings", "deals")


def save_reasons(action, done: str) -> None:
    save(action, done, affects=REASON_WRITES)


def _move_reason(ids: list[int], index: int, step: int) -> list[int]:
    order = list(ids)
    order[index], order[index + step] = order[index + step], order[index]
    return order


def lost_reasons_section() -> None:
    """The administrator's list of lost reasons: add, rename, retire or restore, reorder."""
    st.divider()
    st.subheader(_("Lost reasons"))
    st.caption(
        _(
            "A deal marked lost takes one of these reasons, with an optional note; the funnel "
            "counts lost deals by them. A retired reason is no longer offered but stays on the "
            "deals lost for it. Renaming a reason renames it on those deals too."
        )
    )
    table = reason_table()
    if table.empty:
        st.info(
            _(
                "No lost reasons are set up yet, so no deal can be marked lost. Start from the "
                "standard reasons and adapt them, or add your own below."
            )
        )
        if st.button(_("Create the standard lost reasons"), key="reasons_default"):
            save_reasons(
                lambda s: lost_reasons.create_default_lost_reasons(s, actor),
                _("The standard lost reasons are created."),
            )
    ids = [int(i) for i in table["id"]]
    for index, row in enumerate(table.to_dict("records")):
        reason_id, reason, offered = int(row["id"]), row["reason"], bool(row["on offer"])
        line = st.container(horizontal=True, vertical_alignment="center", border=True)
        count = number(int(row["lost deals"]))
        line.markdown(
            _("**{reason}**  \nLost deals: {count}").format(reason=reason, count=count)
            if offered
            else _("**{reason}** · retired  \nLost deals: {count}").format(
                reason=reason, count=count
            )
        )
        if index > 0 and line.button("⬆", key=f"reason_up_{reason_id}", help=_("Move up")):
            order = _move_reason(ids, index, -1)
            save_reasons(
                lambda s, order=order: lost_reasons.reorder_lost_reasons(s, actor, order),
                _("The lost reasons are reordered."),
            )
        if index < len(ids) - 1 and line.button(
            "⬇", key=f"reason_down_{reason_id}", help=_("Move down")
        ):
            order = _move_reason(ids, index, 1)
            save_reasons(
                lambda s, order=order: lost_reasons.reorder_lost_reasons(s, actor, order),
                _("The lost reasons are reordered."),
            )
        if offered:
            if line.button(_("Retire"), key=f"reason_retire_{reason_id}"):
                save_reasons(
                    lambda s, rid=reason_id: lost_reasons.retire_lost_reason(s, actor, rid),
                    _("{reason} is retired: no longer offered.").format(reason=reason),
                )
        elif line.button(_("Restore"), key=f"reason_restore_{reason_id}"):
            save_reasons(
                lambda s, rid=reason_id: lost_reasons.restore_lost_reason(s, actor, rid),
                _("{reason} is offered again.").format(reason=reason),
            )
    if not table.empty:
        download_buttons(table.drop(columns=["id"]), "lost_reasons")
    add, rename = st.columns(2)
    with add.form("reason_add", clear_on_submit=True):
        name = st.text_input(_("New lost reason"), max_chars=200, key="reason_new_name")
        if st.form_submit_button(_("Add the reason")):
            save_reasons(
                lambda s: lost_reasons.add_lost_reason(s, actor, name),
                _("{reason} is added to the lost reasons.").format(reason=name.strip()),
            )
    if not table.empty:
        names = dict(zip(ids, table["reason"], strict=True))
        with rename.form("reason_rename"):
            which = st.selectbox(
                _("Rename"), ids, format_func=lambda rid: names[rid], key="reason_rename_which"
            )
            new_name = st.text_input(_("New name"), max_chars=200, key="reason_rename_name")
            if st.form_submit_button(_("Rename the reason")):
                save_reasons(
                    lambda s: lost_reasons.rename_lost_reason(s, actor, which, new_name),
                    _("The reason is renamed to {name}.").format(name=new_name.strip()),
                )


actor = current_actor()
st.title(_("Pipeline stages"))
st.caption(
    _(
        "Every deal walks these stages in order. A deal leaves a stage forwards only when its "
        "exit checklist is ticked, and enters a stage only when the required roles are on its "
        "team (separate items with '{separator}'). A manager can override with a reason."
    ).format(separator=SEPARATOR)
)
show_flash("stages")

table = stage_table()
if table.empty:
    st.info(_("No stages are set up yet. Start from the standard B2B project sale and adapt it."))
    if st.button(_("Create the standard stages"), type="primary"):
        save(
            lambda s: stages.create_default_stages(s, actor),
            lambda count: _("{count} standard stages created.").format(count=count),
            affects=None,  # stages change every deal's probability and every weighted figure
        )
    lost_reasons_section()
    st.stop()

edited = st.data_editor(
    table,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    key="stage_editor",
    column_config={
        "id": st.column_config.NumberColumn(_("id"), disabled=True),
        "name": st.column_config.TextColumn(_("Name")),
        "position": st.column_config.NumberColumn(_("Position"), min_value=0, step=1),
        "probability %": st.column_config.NumberColumn(
            _("Probability %"), min_value=0, max_value=100, step=1
        ),
        "won": st.column_config.CheckboxColumn(_("Won")),
        "lost": st.column_config.CheckboxColumn(_("Lost")),
        "max days": st.column_config.NumberColumn(_("Max days"), min_value=0, step=1),
        "exit checklist": st.column_config.TextColumn(_("Exit checklist"), width="large"),
        "required roles": st.column_config.TextColumn(_("Required roles (to enter)")),
    },
)
if st.button(_("Save stages"), type="primary"):
    save(
        lambda s: stages.save_stages(s, actor, [_settings(row) for _, row in edited.iterrows()]),
        _("Stages saved."),
        affects=None,  # stages change every deal's probability and every weighted figure
    )

lost_reasons_section()
