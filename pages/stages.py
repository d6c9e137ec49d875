"""Stage settings (administrators): order, win probability, exit checklist, required deal-team
roles and the days a deal is expected to stay in each stage."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from core.pipeline import stages
from core.pipeline.stages import StageSettings
from ui.auth import current_actor
from ui.data import cached, read, save
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


actor = current_actor()
st.title("Pipeline stages")
st.caption(
    "Every deal walks these stages in order. A deal leaves a stage forwards only when its exit "
    "checklist is ticked, and enters a stage only when the required roles are on its team "
    f"(separate items with '{SEPARATOR}'). A manager can override with a reason."
)
show_flash("stages")

table = stage_table()
if table.empty:
    st.info("No stages are set up yet. Start from the standard B2B project sale and adapt it.")
    if st.button("Create the standard stages", type="primary"):
        save(
            lambda s: stages.create_default_stages(s, actor),
            lambda count: f"{count} standard stages created.",
            affects=None,  # stages change every deal's probability and every weighted figure
        )
    st.stop()

edited = st.data_editor(
    table,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    key="stage_editor",
    column_config={
        "id": st.column_config.NumberColumn("id", disabled=True),
        "position": st.column_config.NumberColumn("Position", min_value=0, step=1),
        "probability %": st.column_config.NumberColumn(
            "Probability %", min_value=0, max_value=100, step=1
        ),
        "max days": st.column_config.NumberColumn("Max days", min_value=0, step=1),
        "exit checklist": st.column_config.TextColumn("Exit checklist", width="large"),
        "required roles": st.column_config.TextColumn("Required roles (to enter)"),
    },
)
if st.button("Save stages", type="primary"):
    save(
        lambda s: stages.save_stages(s, actor, [_settings(row) for _, row in edited.iterrows()]),
        "Stages saved.",
        affects=None,  # stages change every deal's probability and every weighted figure
    )
