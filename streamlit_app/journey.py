"""What the two journeys share: choosing the case, and showing an assessment with its provenance.

'Préparer un certificat' and 'Contester un avis' ask the same questions (country, pathology, treatments,
years of history) and show evidence the same way, so the treating physician, the association doctor and
the lawyer read the same tables, and the same charts as the exported dossier (both come from
:func:`cobase.export.timeline_chart`).

Anything a source or a contributor wrote (values, quotes, breakdowns, contradiction descriptions that
quote values, typed names) reaches the page through ``st.dataframe``, a chart, or :func:`ui.plain`,
which escapes Markdown; nothing here uses ``unsafe_allow_html``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import cost_view
import data
import delivery_timeline
import streamlit as st
import ui

from cobase import present
from cobase.clock import years_before
from cobase.db import StoreError
from cobase.evidence import Assessment, Dimension, Evidence
from cobase.evidence.model import Trend
from cobase.harmonize.countries import UnknownCountryError

EVIDENCE_COLUMN_CONFIG = {
    "Indicateur": st.column_config.TextColumn(
        width="medium", help="Ce que mesure la valeur / What the value measures"
    ),
    "Traitements": st.column_config.TextColumn(
        width="medium", help="Traitements, examens ou spécialistes concernés / Items concerned"
    ),
    "Ventilation": st.column_config.TextColumn(help="Ventilation (sexe, âge…) / Breakdown"),
    "Période": st.column_config.TextColumn(help="Période décrite par la valeur / Period described"),
    "Valeur": st.column_config.TextColumn(help="Valeur telle que publiée / Value as published"),
    "Date": st.column_config.TextColumn(
        width="medium",
        help="Ce qui est établi sur la date de publication, et la nature de la date / What the date is",
    ),
    "Source": st.column_config.TextColumn(help="Producteur (clé de la source) / Producer (source key)"),
    "Publié le": st.column_config.DateColumn(
        format="DD/MM/YYYY", help="Date de publication par le producteur / Producer's publication date"
    ),
    "Récupéré le": st.column_config.DatetimeColumn(
        format="DD/MM/YYYY HH:mm", timezone="UTC", help="Récupéré par cobase (UTC) / Retrieved (UTC)"
    ),
    "Lien": st.column_config.LinkColumn(help="Adresse du document conservé / URL of the kept document"),
    "Empreinte": st.column_config.TextColumn(
        help="Début de l'empreinte sha256 de la copie conservée / sha256 prefix of the kept copy"
    ),
    "Citation": st.column_config.TextColumn(help="Extrait cité et page / Quote and page"),
    "Mentions": st.column_config.ListColumn(
        help="contribué : constat saisi à la main ; republie : copie d'une autre source, jamais une "
        "confirmation indépendante ; révisé depuis : le producteur a publié une autre valeur après la date "
        "de référence ; ancien : période terminée il y a plus de 3 ans"
    ),
}
"""How evidence columns display; every column is shown, so no citation detail is ever hidden."""

EVIDENCE_COLUMN_ORDER = [
    "Période",
    "Valeur",
    "Indicateur",
    "Date",
    "Mentions",
    "Publié le",
    "Source",
    "Traitements",
    "Ventilation",
    "Récupéré le",
    "Lien",
    "Empreinte",
    "Citation",
]
"""The value and its warnings first, so they show without scrolling; the rest of the citation follows."""

LEGEND_LABEL_LIMIT = {False: 800, True: 300}
"""Pixels a legend label may take: a full-width chart, or one of two side by side."""

CARDS_SHOWN = 12
"""Evidence cards shown per dimension (the newest value of each series, strongest first); the table
below the cards holds every value."""

DEFAULT_WINDOW_YEARS = 10
"""Years of history shown unless the physician chooses otherwise (the engine's default too)."""

OPINION_EARLIEST = date(2000, 1, 1)
"""The earliest opinion date accepted: the residence permit for seriously ill foreigners dates from 1998,
so an earlier date is a typing mistake."""


@dataclass(frozen=True)
class Case:
    """What the physician chose: no patient, only a country, a pathology and treatments."""

    database: str
    country_iso3: str
    pathology: str
    items: tuple[str, ...]
    window_years: int


def day_text(day: date) -> str:
    """A date as French readers write it (:func:`cobase.present.format_day`)."""
    return present.format_day(day, "fr")


def require_data(database: str) -> None:
    """Stop the page with one clear message when the store cannot be opened or holds nothing yet."""
    try:
        has_data = data.has_current_data(database)
    except StoreError as error:
        ui.show_store_error(error, data.redacted_url(database))
        st.stop()
    if not has_data:
        ui.show_empty_store(data.redacted_url(database))
        st.stop()


def url_value(name: str) -> str | None:
    """A choice carried by the page's address (``?pays=GIN&pathologie=hiv``), so a view can be shared."""
    return st.query_params.get(name) or None


def keep_in_url(name: str, value: str | None) -> None:
    """Mirror a choice in the address bar; only the case's parameters go there, never anything typed."""
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def choose_country(database: str, key: str = "pays") -> tuple[str, str] | None:
    """A searchable country list, countries with data first; typed text goes through the country resolver.

    Streamlit's own filter matches typed letters against the French labels as written (accents count);
    pressing Enter on text that matches none ("guinee", "Ivory Coast", "Giunée") hands it to
    :func:`data.resolve_country_text`, which tolerates accents, English names and typos, says how it read
    the text, and lists candidates rather than guessing when unsure. The chosen ISO3 code is kept in the
    address (``?pays=GIN``), which is also read on arrival.
    """
    choices = data.country_choices(database)
    labels = dict(zip(choices["iso3"], choices["label"], strict=True))
    with_data = set(choices.loc[choices["has_data"], "iso3"])

    def label(value: str) -> str:
        if value not in labels:
            return value
        return labels[value] if value in with_data else f"{labels[value]} — aucune donnée / no data"

    codes = list(labels)
    value = st.selectbox(
        "Pays d'origine / Country of origin",
        options=codes,
        index=_country_index(labels, url_value(key)),
        format_func=label,
        placeholder="Tapez un nom ou un code, puis Entrée : Guinée, guinee, Guinea, GIN…",
        help="Accents, fautes de frappe et noms anglais acceptés (validez avec Entrée) / "
        "Accents, typos and English names accepted (press Enter)",
        key=key,
        accept_new_options=True,
    )
    chosen = _resolved_country(value, labels)
    keep_in_url(key, chosen[0] if chosen else None)
    return chosen


def _country_index(labels: dict[str, str], wanted: str | None) -> int | None:
    """Position of the country an address names, by code, label ("Guinée (GIN)", as the Pays page
    writes it) or name; None for a stale or mistyped link, which opens the page with no country chosen."""
    if not wanted:
        return None
    codes = list(labels)
    by_label = {label: code for code, label in labels.items()}
    if wanted in by_label:
        return codes.index(by_label[wanted])
    try:
        iso3 = data.resolve_country_text(wanted).iso3
    except UnknownCountryError:
        return None
    return codes.index(iso3) if iso3 in codes else None


def _resolved_country(value: str | None, labels: dict[str, str]) -> tuple[str, str] | None:
    """The (ISO3, label) of the widget's value; typed text is resolved, and how it was read is shown."""
    if value is None:
        return None
    if value in labels:
        return value, labels[value]
    try:
        country = data.resolve_country_text(value)
    except UnknownCountryError as error:
        candidates = ", ".join(f"{c.name_fr} ({c.iso3})" for c in error.candidates)
        st.warning(
            ui.plain(
                f"Pays non reconnu : « {value} »." + (f" Pays proches : {candidates}." if candidates else "")
            )
        )
        return None
    st.caption(ui.plain(f"« {value} » compris comme / read as : {country.name_fr} ({country.iso3})"))
    return country.iso3, labels.get(country.iso3, f"{country.name_fr} ({country.iso3})")


def choose_items(pathology: str) -> tuple[str, ...]:
    """The treatments and follow-up the patient needs, pre-ticked from the catalogue and editable.

    One widget per pathology (its key names the pathology), so changing pathology starts from that
    pathology's catalogue entries instead of keeping another one's. Typed names are resolved by the
    medicine matcher and the resolution is shown; a name it cannot resolve is listed with candidates
    and left out, never guessed. A selection that differs from the catalogue's is kept in the address
    (``?traitements=tdf_3tc_dtg,viral_load_hiv``).
    """
    options, ticked = data.item_choices(pathology)
    from_url = [item for item in (url_value("traitements") or "").split(",") if item in options]
    key = f"traitements_{pathology}"
    selected = st.multiselect(
        "Traitements et suivi nécessaires / Treatments and follow-up needed",
        options=options,
        default=from_url or ticked,
        format_func=data.item_label,
        key=key,
        accept_new_options=True,
        select_all=False,  # Enter must add what was typed, never every fuzzy match at once
        placeholder="Ajoutez un médicament, un examen ou un spécialiste : TLD, metformine 850…",
        help="Pré-rempli avec le traitement de première intention et le suivi du catalogue ; retirez ce "
        "dont le patient n'a pas besoin, ajoutez ce qui manque (nom libre accepté, validez avec Entrée). / "
        "Pre-filled from the catalogue; edit freely.",
    )
    resolved = data.resolve_items(selected)
    for typed, item in resolved.matched:
        st.caption(ui.plain(f"« {typed} » compris comme / read as : {item.name_fr} ({item.name_en})"))
    for typed, candidates in resolved.unknown:
        close = ", ".join(item.name_fr for item in candidates[:5])
        st.warning(
            ui.plain(
                f"Traitement non reconnu, laissé de côté : « {typed} »."
                + (f" Noms proches : {close}." if close else "")
            )
        )
    keep_in_url("traitements", None if resolved.item_ids == ticked else ",".join(resolved.item_ids))
    return tuple(resolved.item_ids)


def choose_case(database: str) -> Case | None:
    """Country, pathology, treatments and years of history; None until the case is complete."""
    pathologies = data.pathology_choices()
    left, right = st.columns(2)
    with left:
        country = choose_country(database)
    with right:
        wanted = url_value("pathologie")
        pathology = st.selectbox(
            "Pathologie / Condition",
            options=list(pathologies),
            index=list(pathologies).index(wanted) if wanted in pathologies else None,
            format_func=lambda value: pathologies.get(value, value),
            placeholder="VIH, diabète, hépatite B…",
            key="pathologie",
        )
        keep_in_url("pathologie", pathology)
    if country is None or pathology is None:
        st.info("Choisissez le pays d'origine et la pathologie. / Choose the country and the condition.")
        return None
    items = choose_items(pathology)
    window = st.slider(
        "Années d'historique / Years of history",
        min_value=1,
        max_value=20,
        value=_window_from_url(),
        key="fenetre",
        help="Les données dont la période est antérieure ne sont pas montrées. / Older periods are left out.",
    )
    keep_in_url("fenetre", None if window == DEFAULT_WINDOW_YEARS else str(window))
    if not items:
        st.info("Cochez au moins un traitement ou examen. / Tick at least one treatment or test.")
        return None
    return Case(database, country[0], pathology, items, int(window))


def _window_from_url() -> int:
    text = url_value("fenetre") or ""
    return min(max(int(text), 1), 20) if text.isdigit() else DEFAULT_WINDOW_YEARS


def choose_opinion_date(today: date) -> date | None:
    """The date of the OFII opinion: the as-of date of 'Contester un avis' (kept as ``?avis=2024-06-30``)."""
    try:
        from_url: date | None = date.fromisoformat(url_value("avis") or "")
    except ValueError:
        from_url = None
    if from_url is not None and not (OPINION_EARLIEST <= from_url <= today):
        from_url = None
    opinion = st.date_input(
        "Date de l'avis du collège de médecins de l'OFII / Date of the OFII opinion",
        value=from_url,
        min_value=OPINION_EARLIEST,
        max_value=today,
        format="DD/MM/YYYY",
        key="avis",
        help="La date figurant sur l'avis, pas celle de la décision préfectorale. / The opinion's date.",
    )
    chosen = opinion if isinstance(opinion, date) else None
    keep_in_url("avis", chosen.isoformat() if chosen else None)
    return chosen


def show_heading(assessment: Assessment, reference: str) -> None:
    """Country, pathology and the date the evidence is read at."""
    st.header(ui.plain(f"{assessment.country_name_fr} — {assessment.pathology_name_fr}"), anchor=False)
    st.caption(
        ui.plain(
            f"{assessment.country_name_en} — {assessment.pathology_name_en} · {reference} · "
            f"{assessment.window_years} ans d'historique / years of history · "
            + ", ".join(data.item_name(item) for item in assessment.items)
        )
    )


def show_counts(assessment: Assessment) -> None:
    """How much there is, and how much is missing, disputed or old, before any detail."""
    evidence = [entry for dimension in assessment.dimensions for entry in dimension.evidence]
    independent = sorted({s for d in assessment.dimensions for s in d.independent_sources})
    columns = st.columns(5)
    columns[0].metric("Éléments de preuve", len(evidence), help="Evidence: dated, sourced values")
    columns[1].metric(
        "Sources indépendantes", len(independent), help="Independent sources (copies of another not counted)"
    )
    columns[2].metric("Lacunes", len(assessment.gaps), help="Gaps: needed, and documented by no source")
    columns[3].metric(
        "Contradictions", len(assessment.contradictions), help="Sources or versions that disagree"
    )
    columns[4].metric("Données anciennes", len(assessment.stale), help="Old data: period ended long ago")


def show_gaps(assessment: Assessment) -> None:
    """Every gap in plain sight: what the physician needs and no source documents."""
    if not assessment.gaps:
        st.success("Chaque traitement et chaque dimension est documenté par au moins une source.")
        return
    st.warning(
        "**Lacunes / Gaps**\n\n" + "\n".join(f"- {ui.plain(gap.message_fr)}" for gap in assessment.gaps)
    )


def show_contradictions(assessment: Assessment) -> None:
    """Sources or versions that disagree: every one listed, then both sides of each in one table.

    One table for all of them, numbered, rather than one per contradiction: a store with many producer
    revisions would otherwise fill the page with tables and slow it down.
    """
    if not assessment.contradictions:
        st.caption("Aucune contradiction relevée entre sources ou versions. / No contradiction found.")
        return
    st.error(
        f"**Contradictions ({len(assessment.contradictions)})**\n\n"
        + "\n".join(
            f"{number}. {ui.plain(present.contradiction_text(contradiction))}"
            for number, contradiction in enumerate(assessment.contradictions, start=1)
        )
    )
    with st.expander("Les deux versions de chaque contradiction / Both sides of each"):
        st.dataframe(
            data.contradiction_frame(assessment.contradictions),
            hide_index=True,
            column_config=EVIDENCE_COLUMN_CONFIG,
            column_order=["N°", *EVIDENCE_COLUMN_ORDER],
        )


def show_stale(assessment: Assessment) -> None:
    """Old data is kept (it is evidence) but flagged, with the rule that makes it old."""
    if not assessment.stale:
        return
    cutoff = years_before(assessment.as_of, assessment.stale_after_years)
    st.info(
        f"**{len(assessment.stale)} valeur(s) ancienne(s)** : période terminée avant le {day_text(cutoff)} "
        "(mention « ancien » dans les tableaux). / Old data, flagged in the tables."
    )
    with st.expander("Données anciennes / Old data"):
        show_evidence_table(assessment.stale)


def show_evidence_table(evidence: Sequence[Evidence]) -> None:
    """Evidence with its full citation; source text is shown as text by the table, never as HTML."""
    st.dataframe(
        data.evidence_frame(evidence),
        hide_index=True,
        column_config=EVIDENCE_COLUMN_CONFIG,
        column_order=EVIDENCE_COLUMN_ORDER,
    )


def show_dimension(
    dimension: Dimension, gap_message: str | None, chart_spec: str | None, side_by_side: bool = False
) -> None:
    """One access dimension: its sources, its timeline chart, its evidence and trends, or its gap."""
    if not dimension.evidence:
        st.warning(ui.plain(gap_message or "Aucune source ne documente cette dimension."))
        return
    producers = {entry.source: present.source_name(entry) for entry in dimension.evidence}
    sources = ", ".join(
        producers.get(source, source)
        if source in dimension.independent_sources
        else f"{producers.get(source, source)} (copie d'une autre source)"
        for source in dimension.sources
    )
    st.caption(ui.plain(f"Sources : {sources}"))
    if chart_spec is not None:
        spec = json.loads(chart_spec)
        # Legend labels too long for the column end in "…" (the dossier's chart sets no limit, since a PDF
        # page is wide enough); the tooltip and the table carry them in full.
        legend = spec.get("encoding", {}).get("color", {}).get("legend")
        if isinstance(legend, dict):
            legend["labelLimit"] = LEGEND_LABEL_LIMIT[side_by_side]
        st.vega_lite_chart(spec, width="stretch")
    show_cards(dimension.latest)
    with st.expander(f"Toutes les valeurs ({len(dimension.evidence)}) / All values"):
        show_evidence_table(dimension.evidence)
    for trend in dimension.trend:
        st.caption(ui.plain(present.trend_sentence(trend, trend_label(dimension, trend), "fr")))


def trend_label(dimension: Dimension, trend: Trend) -> str:
    """The label of a trend's series, as the dossier words it."""
    sample = next(
        (
            e
            for e in dimension.evidence
            if (e.source, e.indicator, e.breakdown) == (trend.source, trend.indicator, trend.breakdown)
        ),
        None,
    )
    if sample is None:
        return present.breakdown_label(trend.breakdown) or trend.source
    return f"{present.evidence_label(sample)} ({present.source_name(sample)})"


def show_cards(evidence: Sequence[Evidence]) -> None:
    """One bordered card per value: the patient's items first, then « contexte national », each with its
    value, period, date and what the date is, quote and link, wrapped to the page (no side scrolling)."""
    shown = 0
    for heading, group in present.split_by_scope(evidence):
        if heading is not None:
            st.markdown(f"**{ui.plain(heading)}**")
        for entry in sorted(group, key=lambda e: (e.stale, -e.period_end.toordinal())):
            if shown >= CARDS_SHOWN:
                st.caption(f"… {len(evidence) - shown} autre(s) valeur(s) dans le tableau ci-dessous.")
                return
            show_card(entry)
            shown += 1


def show_card(entry: Evidence) -> None:
    """One piece of evidence as a card: everything needed to weigh and cite it, in wrapped text."""
    with st.container(border=True):
        if present.is_answer(entry):
            st.markdown(ui.plain(present.answer_sentence(entry)))
        else:
            st.markdown(
                f"**{ui.plain(present.value_text(entry))}** · "
                f"{ui.plain(present.format_period(entry.period_start, entry.period_end))} — "
                f"{ui.plain(present.evidence_label(entry))}"
            )
        badges = present.badges(entry)
        st.caption(
            ui.plain(
                f"{present.source_name(entry)} · {present.as_of_text(entry)}"
                + (f" · {', '.join(badges)}" if badges else "")
            )
        )
        if entry.quote:
            st.markdown(
                ui.plain(
                    f"« {present.shorten(entry.quote)} »" + (f" (p. {entry.page})" if entry.page else "")
                )
            )
        link = data.safe_link(entry.url)
        if link is not None:
            st.link_button("Ouvrir la source / Open the source", link)
        else:
            st.caption(ui.plain(entry.url))


def evidence_count(dimension: Dimension) -> str:
    """How much evidence a dimension has, for its tab: a number, or "aucune" (a gap)."""
    return str(len(dimension.evidence)) if dimension.evidence else "aucune"


def comparison_tab_label(then: Dimension, now: Dimension) -> str:
    """A dimension's tab: its name and how much evidence it had then and has now."""
    return f"{present.dimension_label(then.name)} ({evidence_count(then)} → {evidence_count(now)})"


def dimension_gaps(assessment: Assessment) -> dict[str, str]:
    """Dimension name -> the engine's gap message for it."""
    return {gap.id: gap.message_fr for gap in assessment.gaps if gap.kind == "dimension"}


def assessment_for(case: Case, as_of: date) -> Assessment:
    """The case's assessment as of a date (cached by :mod:`data`)."""
    return data.assessment(
        case.database, case.country_iso3, case.pathology, case.items, as_of, case.window_years
    )


def chart_for(case: Case, as_of: date, dimension: str) -> str | None:
    """The timeline chart of one dimension of the case's assessment as of a date (cached by :mod:`data`)."""
    return data.dimension_chart(
        case.database, case.country_iso3, case.pathology, case.items, as_of, case.window_years, dimension
    )


def show_assessment(case: Case, as_of: date) -> None:
    """The whole assessment as of a date: counts, gaps, contradictions, each dimension, old data."""
    assessment = assessment_for(case, as_of)
    show_heading(assessment, f"données publiées au {day_text(as_of)}")
    show_counts(assessment)
    show_gaps(assessment)
    show_contradictions(assessment)
    gaps = dimension_gaps(assessment)
    st.subheader("Par dimension de l'accès / By access dimension", anchor=False)
    st.caption("Entre parenthèses : éléments de preuve (aucune : lacune). / Evidence per dimension.")
    tabs = st.tabs(
        [f"{present.dimension_label(d.name)} ({evidence_count(d)})" for d in assessment.dimensions],
        key="dimension",
        on_change="rerun",
    )
    for tab, dimension in zip(tabs, assessment.dimensions, strict=True):
        if tab.open:  # only the open tab is built: one chart to send and draw, not seven
            with tab:
                both = (
                    present.dimension_label(dimension.name),
                    present.dimension_label(dimension.name, "en"),
                )
                st.markdown(f"**{ui.plain(' / '.join(both))}**")
                show_dimension(dimension, gaps.get(dimension.name), chart_for(case, as_of, dimension.name))
                if dimension.name in ("continuity", "affordability"):
                    delivery_timeline.show_deliveries(assessment)
    cost_view.show_costs(case.database, case.country_iso3, case.items, as_of)
    show_stale(assessment)


def show_comparison(case: Case, opinion: date, today: date) -> None:
    """What had been published by the opinion date beside what is known today, then what came after."""
    then, now = assessment_for(case, opinion), assessment_for(case, today)
    show_heading(then, f"avis du {day_text(opinion)} comparé au {day_text(today)}")
    st.subheader("Publié après l'avis / Published after the opinion", anchor=False)
    later = then.published_after_as_of
    if later:
        after = [e for e in later if e.as_of_status == "published_after"]
        unknown = len(later) - len(after)
        st.info(
            f"**{len(later)} élément(s)** absent(s) des données connues au {day_text(then.as_of)}."
            + (
                f" {len(after)} publié(s) après cette date : "
                "le collège de médecins ne pouvait pas les connaître."
                if after
                else ""
            )
            + (
                f" {unknown} : date de première publication non établie (voir la colonne Date)."
                if unknown
                else ""
            )
            + " / Evidence not in the opinion-date data; the Date column says what is established."
        )
        show_evidence_table(later)
    else:
        st.caption(f"Rien de publié depuis le {day_text(then.as_of)}. / Nothing published since.")

    then_label = f"Publié au {day_text(then.as_of)} (date de l'avis)"
    now_label = f"Connu aujourd'hui ({day_text(now.as_of)})"
    for assessment, column in zip((then, now), st.columns(2), strict=True):
        with column:
            st.markdown(f"#### {then_label if assessment is then else now_label}")
            show_counts_compact(assessment)
            show_gaps(assessment)
            show_contradictions(assessment)
    then_gaps, now_gaps = dimension_gaps(then), dimension_gaps(now)
    st.subheader("Par dimension de l'accès / By access dimension", anchor=False)
    st.caption(
        "Entre parenthèses : éléments de preuve à la date de l'avis → aujourd'hui. / Evidence then → now."
    )
    # One tab per dimension, and only the open one is built: the two sides of one dimension are read
    # together, and the page does not send and draw fourteen charts before the first can be read.
    tabs = st.tabs(
        [comparison_tab_label(d, now.dimension(d.name)) for d in then.dimensions],
        key="dimension",
        on_change="rerun",
    )
    for tab, dimension in zip(tabs, then.dimensions, strict=True):
        if not tab.open:  # only the open tab is built
            continue
        with tab:
            show_then_now(dimension, now.dimension(dimension.name), then_label, now_label)
            left, right = st.columns(2)
            with left:
                st.markdown(f"**{then_label}**")
                show_dimension(
                    dimension,
                    then_gaps.get(dimension.name),
                    chart_for(case, opinion, dimension.name),
                    side_by_side=True,
                )
                if dimension.name in ("continuity", "affordability"):
                    delivery_timeline.show_deliveries(then)
            with right:
                st.markdown(f"**{now_label}**")
                show_dimension(
                    now.dimension(dimension.name),
                    now_gaps.get(dimension.name),
                    chart_for(case, today, dimension.name),
                    side_by_side=True,
                )
                if dimension.name in ("continuity", "affordability"):
                    delivery_timeline.show_deliveries(now)
    cost_view.show_costs(case.database, case.country_iso3, case.items, opinion)
    left, right = st.columns(2)
    with left:
        show_stale(then)
    with right:
        show_stale(now)


THEN_NOW_SHOWN = 15
"""Series shown in the "then / now" view of one dimension; every value is in the tables below it."""


def show_then_now(then: Dimension, now: Dimension, then_label: str, now_label: str) -> None:
    """Per series, the newest value at the opinion date beside the newest known today: value, period,
    date with its basis and source, side by side in two columns that wrap (no side scrolling)."""

    def key(e: Evidence) -> tuple[str, str, str, str | None]:
        return (e.source, e.indicator, e.breakdown, e.item)

    before = {key(e): e for e in then.latest}
    after = {key(e): e for e in now.latest}
    keys = sorted(set(before) | set(after), key=lambda k: present.evidence_label(before.get(k) or after[k]))
    if not keys:
        return
    st.markdown("**Alors / maintenant — Then / now**")
    for column, label in zip(st.columns(2), (then_label, now_label), strict=True):
        column.caption(ui.plain(label))
    for series in keys[:THEN_NOW_SHOWN]:
        sample = before.get(series) or after[series]
        st.markdown(ui.plain(f"{present.evidence_label(sample)} ({present.source_name(sample)})"))
        for column, entry, label in zip(
            st.columns(2), (before.get(series), after.get(series)), (then_label, now_label), strict=True
        ):
            with column, st.container(border=True):
                if entry is None:
                    st.caption(ui.plain(f"{label} : aucune donnée"))
                    continue
                st.markdown(
                    f"**{ui.plain(present.value_text(entry))}** · "
                    + ui.plain(present.format_period(entry.period_start, entry.period_end))
                )
                st.caption(ui.plain(f"{present.as_of_text(entry)} · {present.source_name(entry)}"))
    if len(keys) > THEN_NOW_SHOWN:
        st.caption(f"… {len(keys) - THEN_NOW_SHOWN} autre(s) série(s) dans les tableaux ci-dessous.")


def show_counts_compact(assessment: Assessment) -> None:
    """Counts for one side of the comparison, as one line that fits half a page."""
    evidence = sum(len(dimension.evidence) for dimension in assessment.dimensions)
    st.markdown(
        f"**{evidence}** élément(s) de preuve · **{len(assessment.gaps)}** lacune(s) · "
        f"**{len(assessment.contradictions)}** contradiction(s) · **{len(assessment.stale)}** ancienne(s)"
    )


EXPORT_ERROR_KEY = "dossier_export_error"


def dossier_or_error(fmt: str, *args: object) -> bytes:
    """The dossier bytes; when building fails, a one-sentence error, kept to be shown on the page, and
    a short text file saying the same (Streamlit builds the file after the click, outside the page)."""
    try:
        return data.dossier_bytes(*args)  # type: ignore[arg-type]
    except Exception as error:  # any failure must reach the user, never be swallowed
        message = (
            f"Le dossier {fmt.upper()} n'a pas pu être produit ({type(error).__name__} : "
            f"{str(error)[:200]}) ; les autres formats restent disponibles."
        )
        st.session_state[EXPORT_ERROR_KEY] = message
        return message.encode("utf-8")


def show_export(case: Case, as_of: date, today_as_of: date | None = None) -> None:
    """Download the same dossier as ``cobase dossier``, generated only when a button is clicked.

    The dossier is built by a callable Streamlit runs on click, so showing the page never waits for a
    PDF; building it only reads the store.
    """
    st.subheader("Exporter le dossier / Export the dossier", anchor=False)
    st.caption(
        "Le même dossier que `cobase dossier` : graphiques, tableaux, lacunes, contradictions et références "
        "numérotées. Il ne contient aucune donnée de patient ; le générer n'écrit rien dans la base."
        + (" Il inclut ce qui a été publié après l'avis." if today_as_of else "")
    )
    lang = st.segmented_control(
        "Langue du dossier / Dossier language",
        options=["fr", "en"],
        default="fr",
        format_func=lambda code: {"fr": "Français", "en": "English"}[code],
        required=True,
        key="langue",
    )
    contest = today_as_of is not None
    if error := st.session_state.pop(EXPORT_ERROR_KEY, None):
        st.error(ui.plain(str(error)))
    for column, (fmt, (label, mime)) in zip(st.columns(3), data.DOSSIER_FORMATS.items(), strict=True):
        column.download_button(
            f"Télécharger le dossier {label}",
            data=functools.partial(
                dossier_or_error,
                fmt,
                case.database,
                case.country_iso3,
                case.pathology,
                case.items,
                as_of,
                case.window_years,
                fmt,
                lang or "fr",
                today_as_of,
            ),
            file_name=data.dossier_file_name(case.country_iso3, case.pathology, as_of, fmt, contest),
            mime=mime,
            key=f"dossier_{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )
