"""Import: bring spreadsheets and other systems' exports in (upload -> map columns -> map stage
names -> preview -> import), and export any kind in the same format."""

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import DomainError
from core.i18n import N_, _, is_chinese, number
from core.pipeline.lost_reasons import active_reason_names
from core.transfer import (
    ColumnMapping,
    ImportFailed,
    Kind,
    export_frame,
    import_table,
    importable_kinds,
    load_preset,
    preset_names,
    required_columns,
    save_preset,
    stage_names,
)
from core.transfer.dates import DateFormat
from core.transfer.exporting import exportable_kinds
from core.transfer.file_notes import file_notes
from core.transfer.formats import import_fields
from core.transfer.presets import propose_stages, shipped_presets
from core.transfer.reading import open_table
from core.transfer.reason_mapping import unlisted_lost_reasons
from ui.auth import current_actor
from ui.cache_tags import AFFECTS
from ui.data import read, save
from ui.downloads import download_buttons
from ui.flash import show_flash

IGNORE = "(ignore)"
NO_PRESET = "(none)"
OPTIONS = {
    Kind.PEOPLE: [("email_domain", N_("Derive empty emails from the name and this domain"))],
    Kind.CUSTOMERS: [
        ("region_from_owner", N_("An empty region becomes the owner's region")),
        ("similar_names_are_new", N_("Names like an existing customer's are new customers")),
    ],
    Kind.DEALS: [
        ("create_missing_customers", N_("Create customers that are not found")),
        ("similar_names_are_new", N_("Names like an existing customer's are new customers")),
    ],
}


KIND_NAMES = {
    Kind.REGIONS: N_("Regions"),
    Kind.PEOPLE: N_("People"),
    Kind.PRODUCTS: N_("Products"),
    Kind.CUSTOMERS: N_("Customers"),
    Kind.EXCHANGE_RATES: N_("Exchange rates"),
    Kind.DEALS: N_("Deal records"),
    Kind.CREDIT_SPLITS: N_("Credit splits"),
    Kind.TARGETS: N_("Targets"),
    Kind.ACTIVITIES: N_("Activities"),
    Kind.SEASONALITY: N_("Seasonality"),
}


def kind_name(kind: Kind | str) -> str:
    """A kind as the page names it: its code in English (deals, as the files and docs call
    it), its name in Chinese."""
    code = Kind(kind)
    return _(KIND_NAMES[code]) if is_chinese() and code in KIND_NAMES else str(code.value)


# what to know about a kind's rows beyond its columns
KIND_NOTES = {
    Kind.EXCHANGE_RATES: N_(
        "A rate is the number of company-currency units for one unit of the currency, in "
        "effect from its date (not after today). New and changed rates re-price the deals of "
        "their currency."
    ),
    Kind.DEALS: N_(
        "Each amount is in the deal's currency (an empty currency is the company currency). "
        "The export's company_amount column is ignored here."
    ),
    Kind.CREDIT_SPLITS: N_(
        "The rows of a deal replace its split and must add up to 100 %. One row of 100 % to "
        "the owner ends the split; deals without rows keep theirs."
    ),
}

# Choices survive uploading another file (Streamlit forgets widgets that were not drawn).
memory: dict = st.session_state.setdefault("import_memory", {})

actor = current_actor()
st.title(_("Import and export"))
show_flash("import")
kinds = importable_kinds(actor)
if not kinds:
    st.info(_("Imports are done by administrators, directors and managers."))
    st.stop()

st.caption(
    _(
        "Bring in spreadsheets or another CRM's export. A file goes in whole or not at all; "
        "every problem is listed by row and column. Formats: docs/import.md."
    )
)

# 1. what and from where --------------------------------------------------------------------
st.subheader(_("1 · Upload"))
left, right = st.columns(2)
kind = Kind(
    left.selectbox(_("What does the file hold?"), kinds, format_func=kind_name, key="import_kind")
)
with read() as session:
    presets = preset_names(session, kind)
preset_name = right.selectbox(
    _("Start from a saved mapping"),
    [NO_PRESET, *presets],
    format_func=lambda p: _("(none)") if p == NO_PRESET else p,
    key=f"import_preset_{kind}",
)
base = ColumnMapping()
# choices are remembered per kind and preset: picking a preset starts from its mapping
scope = f"{kind}_{preset_name}"
if preset_name != NO_PRESET:
    with read() as session:
        __, base = load_preset(session, preset_name)
    if shipped := shipped_presets().get(preset_name):
        st.caption(f"{shipped.title}: {shipped.source}")
upload = st.file_uploader(
    _(
        "CSV or Excel file, first row = column names (any common encoding; commas, semicolons "
        "or tabs)"
    ),
    type=["csv", "xlsx"],
    key="import_file",
)
st.markdown(
    _("**Columns of {kind}:** {columns}").format(
        kind=kind_name(kind), columns=", ".join(f"`{c}`" for c in import_fields(kind))
    )
)
if kind in KIND_NOTES:
    st.caption(_(KIND_NOTES[kind]))
if upload is None:
    st.info(_("Upload a file to map its columns and preview the import."))
else:
    try:
        table = open_table(upload.getvalue(), upload.name)  # read as it is needed
    except DomainError as exc:
        st.error(str(exc))
        st.stop()
    st.caption(
        _("{file}: {rows} rows, {columns} columns").format(
            file=upload.name, rows=number(table.count_rows()), columns=len(table.header)
        )
    )
    st.dataframe(
        pd.DataFrame(table.head(5), columns=table.header), hide_index=True, width="stretch"
    )

    # 2. columns ------------------------------------------------------------------------------
    st.subheader(_("2 · Map columns"))
    fields = import_fields(kind)
    preset_columns = {k.lower(): v for k, v in base.columns.items()}
    choices: dict[str, str] = {}
    grid = st.columns(3)
    for index, header in enumerate(table.header):
        lowered = header.strip().lower()
        suggested = memory.get(
            ("column", scope, lowered),
            preset_columns.get(lowered, lowered if lowered in fields else ""),
        )
        options = [IGNORE, *fields]
        choice = grid[index % 3].selectbox(
            _("'{header}' is").format(header=header),
            options,
            index=options.index(suggested) if suggested in fields else 0,
            format_func=lambda o: _("(ignore)") if o == IGNORE else o,
            key=f"map_{scope}_{index}_{header}",
        )
        choices[header] = "" if choice == IGNORE else choice
        memory[("column", scope, lowered)] = choices[header]
    mapped = set(choices.values())
    defaults = dict(base.defaults)
    missing = [f for f in required_columns(kind) if f not in mapped]
    if kind == Kind.PEOPLE and "role" not in mapped:
        missing.append("role")
    extra: dict = {}
    for option, label in OPTIONS.get(kind, []):
        if option == "email_domain":
            domain = st.text_input(
                _(label),
                value=memory.get(("option", scope, option), base.email_domain or ""),
                key=f"opt_{scope}_email_domain",
            )
            memory[("option", scope, option)] = domain
            extra["email_domain"] = domain.strip() or None
        else:
            extra[option] = st.checkbox(
                _(label),
                value=memory.get(("option", scope, option), getattr(base, option)),
                key=f"opt_{scope}_{option}",
            )
            memory[("option", scope, option)] = extra[option]
    extra["distinct"] = st.checkbox(
        _("Identical rows count once (e.g. a team sheet listing each office many times)"),
        value=memory.get(("option", scope, "distinct"), base.distinct),
        key=f"opt_{scope}_distinct",
    )
    memory[("option", scope, "distinct")] = extra["distinct"]
    date_choices = {
        "": _("Found from the file"),
        **{f.value: f"{f.value}: {f.example}" for f in DateFormat},
    }
    remembered = memory.get(("option", scope, "date_format"), base.date_format or "")
    dates_col, comma_col = st.columns(2)
    date_choice = dates_col.selectbox(
        _("Date format"),
        list(date_choices),
        index=list(date_choices).index(remembered) if remembered in date_choices else 0,
        format_func=date_choices.get,
        key=f"opt_{scope}_date_format",
        help=_("Decides the dates that could be read two ways (every day 12 or less)."),
    )
    memory[("option", scope, "date_format")] = date_choice
    extra["date_format"] = date_choice or None
    extra["decimal_comma"] = comma_col.checkbox(
        _("Decimal comma (1.234,50)"),
        value=memory.get(("option", scope, "decimal_comma"), base.decimal_comma),
        key=f"opt_{scope}_decimal_comma",
        help=_("Without it, a column is read with a decimal comma when its values show one."),
    )
    memory[("option", scope, "decimal_comma")] = extra["decimal_comma"]
    for field in missing:
        if field == "email" and extra.get("email_domain"):
            continue
        value = st.text_input(
            _("No column fills '{field}': the same value for every row").format(field=field),
            value=defaults.get(field, ""),
            key=f"default_{kind}_{field}",
        )
        if value.strip():
            defaults[field] = value.strip()

    # 3. stage names --------------------------------------------------------------------------
    values = {k: dict(v) for k, v in base.values.items()}
    stage_source = next((h for h, f in choices.items() if f == "stage"), None)
    stages_confirmed = True
    if kind == Kind.DEALS and stage_source:
        st.subheader(_("3 · Map stage names"))
        st.caption(
            _(
                "Each stage of the file gets a proposed stage of ours, by its name or by its win "
                "probability. Check them, change any that is wrong, then confirm."
            )
        )
        stage_mapping = ColumnMapping(
            columns={h: f for h, f in choices.items() if f},
            values=values,
            decimal_comma=extra["decimal_comma"],
        )
        # each costs a pass over the file: kept for the reruns of the same file and mapping
        passes = st.session_state.setdefault("import_passes", {})
        if len(passes) > 20:
            passes.clear()
        proposals_key = ("stages", upload.file_id, stage_mapping.model_dump_json())
        with read() as session:
            ours = stage_names(session)
            if proposals_key not in passes:
                passes[proposals_key] = propose_stages(session, table, stage_mapping)
        proposals = passes[proposals_key]
        mapped_stages: dict[str, str] = {}
        grid = st.columns(4)
        for index, (source, proposal) in enumerate(proposals.items()):
            suggested = memory.get(("stage", scope, source.lower())) or proposal.stage
            cell = grid[index % 4]
            picked = cell.selectbox(
                _("'{source}' becomes").format(source=source),
                ours,
                index=ours.index(suggested) if suggested in ours else 0,
                key=f"stage_{scope}_{index}_{source}",
            )
            if proposal.sure:
                cell.caption(
                    _("Proposed: {stage} ({why}).").format(stage=proposal.stage, why=proposal.why)
                )
            else:
                cell.caption(
                    _("Nothing matched '{source}': choose its stage.").format(source=source)
                )
            mapped_stages[source] = picked
            memory[("stage", scope, source.lower())] = picked
        values["stage"] = mapped_stages
        stages_confirmed = st.checkbox(
            _("The stage mapping is right"), key=f"import_stages_ok_{upload.name}"
        )

    # 3. lost reasons: the file's wordings that are not on the list ----------------------------
    if kind == Kind.DEALS and "lost_reason" in choices.values():
        reason_mapping = ColumnMapping(
            columns={h: f for h, f in choices.items() if f}, values=values
        )
        passes = st.session_state.setdefault("import_passes", {})
        reasons_key = ("reasons", upload.file_id, reason_mapping.model_dump_json())
        with read() as session:
            listed = active_reason_names(session)
            if reasons_key not in passes:
                passes[reasons_key] = unlisted_lost_reasons(session, table, reason_mapping)
        unlisted = passes[reasons_key]
        if unlisted:
            st.subheader(_("3 · Map lost reasons"))
            st.caption(
                _(
                    "These lost reasons of the file are not on the list. Choose the listed "
                    "reason each one means; a reason left unchosen refuses its rows. The list is "
                    "kept on the Pipeline stages page."
                )
            )
            mapped_reasons = dict(values.get("lost_reason", {}))
            grid = st.columns(3)
            for index, source in enumerate(unlisted):
                remembered = memory.get(("reason", scope, source.lower()))
                meaning = grid[index % 3].selectbox(
                    _("'{source}' means").format(source=source),
                    listed,
                    index=listed.index(remembered) if remembered in listed else None,
                    placeholder=_("Choose a listed reason"),
                    key=f"reason_{scope}_{index}_{source}",
                )
                memory[("reason", scope, source.lower())] = meaning
                if meaning:
                    mapped_reasons[source] = meaning
            values["lost_reason"] = mapped_reasons

    try:
        mapping = ColumnMapping(
            columns=choices,
            values=values,
            defaults=defaults,
            ignore_other_columns=False,
            **extra,
        )
    except ValidationError as exc:
        st.error(_("The mapping is not valid: {problem}").format(problem=exc.errors()[0]["msg"]))
        st.stop()

    # 4. preview and import -------------------------------------------------------------------
    st.subheader(_("4 · Preview and import"))
    passes = st.session_state.setdefault("import_passes", {})
    notes_key = ("notes", upload.file_id, kind, mapping.model_dump_json())
    if notes_key not in passes:
        passes[notes_key] = file_notes(kind, table, mapping)
    notes = passes[notes_key]
    if notes.lines():
        st.markdown(
            _("**How the file is read**\n\n{lines}").format(
                lines="\n".join(f"- {x}" for x in notes.lines())
            )
        )
    for problem in notes.problems:
        st.warning(problem.reason)
    preview_col, import_col, save_col = st.columns([1, 1, 2])
    preset_to_save = save_col.text_input(_("Save this mapping as"), key="save_preset_name")
    outcome_key = f"import_outcome_{kind}_{upload.name}"
    if preview_col.button(_("Preview (dry run)"), key="import_preview"):
        checking = st.progress(0.0, text=_("Checking the file…"))
        try:
            with read() as session:
                result = import_table(
                    session,
                    actor,
                    kind,
                    table,
                    mapping,
                    dry_run=True,
                    progress=lambda step, share: checking.progress(min(share, 1.0), text=step),
                )
            st.session_state[outcome_key] = ("preview", result.model_dump(), [])
        except ImportFailed as exc:
            problems = [p.model_dump() for p in exc.problems]
            st.session_state[outcome_key] = ("failed", exc.total, problems)
        except DomainError as exc:
            st.session_state[outcome_key] = ("error", str(exc), [])
        checking.empty()
    if not stages_confirmed:
        st.caption(_("Confirm the stage mapping above to import."))
    if import_col.button(
        _("Import"), type="primary", key="import_run", disabled=not stages_confirmed
    ):
        bar = st.progress(0.0, text=_("Checking the file…"))

        def run_import(session):
            result = import_table(
                session,
                actor,
                kind,
                table,
                mapping,
                progress=lambda step, share: bar.progress(min(share, 1.0), text=step),
            )
            if preset_to_save.strip():
                save_preset(session, actor, preset_to_save, kind, mapping)
            return result

        try:
            save(
                run_import,
                lambda result: _("Imported {count} {kind} rows.").format(
                    count=number(result.created + result.updated + result.unchanged),
                    kind=kind_name(kind),
                ),
                affects=AFFECTS[kind] | {"settings"},
                after=lambda result: st.session_state.update(
                    {outcome_key: ("done", result.model_dump(), [])}
                ),
                keep_raising=(ImportFailed,),
            )
        except ImportFailed as exc:
            problems = [p.model_dump() for p in exc.problems]
            st.session_state[outcome_key] = ("failed", exc.total, problems)
        bar.empty()  # refused: the message says why

    outcome = st.session_state.get(outcome_key)
    if outcome:
        state, payload, problems = outcome
        if state == "error":
            st.error(payload)
        elif state == "failed":
            st.error(
                _(
                    "Nothing was imported: {count} problem(s). Fix them in the file (or the "
                    "mapping) and try again."
                ).format(count=number(len(problems)))
                if (payload or 0) <= len(problems)
                else _(
                    "Nothing was imported: {total} problems; the first {count} are listed. Fix "
                    "them in the file (or the mapping) and try again."
                ).format(total=number(payload), count=number(len(problems)))
            )
            frame = pd.DataFrame(problems, columns=["row", "column", "value", "reason"])
            st.dataframe(
                frame,
                hide_index=True,
                width="stretch",
                column_config={
                    "row": st.column_config.NumberColumn(_("Row")),
                    "column": st.column_config.TextColumn(_("Column")),
                    "value": st.column_config.TextColumn(_("Value")),
                    "reason": st.column_config.TextColumn(_("Reason")),
                },
            )
            download_buttons(frame, f"import-problems-{kind}")
        else:
            created, updated, unchanged = (
                payload["created"],
                payload["updated"],
                payload["unchanged"],
            )
            if state == "preview":
                st.info(_("Preview: nothing has been written yet."))
            a, b, c = st.columns(3)
            preview = state == "preview"
            a.metric(_("Would be created") if preview else _("Created"), number(created))
            b.metric(_("Would be updated") if preview else _("Updated"), number(updated))
            c.metric(_("Unchanged"), number(unchanged))
            if payload.get("note"):
                st.caption(payload["note"])

# export ------------------------------------------------------------------------------------
st.divider()
st.subheader(_("Export"))
st.caption(_("The same columns as the import, so a file exported here imports elsewhere."))
export_kinds = exportable_kinds(actor)  # only what the actor may export is offered
if not export_kinds:
    st.info(_("Exports are done by administrators, directors and managers."))
else:
    export_kind = Kind(
        st.selectbox(_("Export"), export_kinds, format_func=kind_name, key="export_kind")
    )
    if st.button(_("Prepare export"), key="export_prepare"):
        with read() as session:
            st.session_state["export_frame"] = (
                export_kind,
                export_frame(session, actor, export_kind),
            )
    prepared = st.session_state.get("export_frame")
    if prepared and prepared[0] == export_kind:
        frame = prepared[1]
        st.caption(_("{count} rows").format(count=number(len(frame))))
        download_buttons(frame, f"{export_kind}", key=f"export_{export_kind}")
