"""Rapports: search the documents cobase keeps and the curated findings, and add or review a finding.

A curated finding (a stock-out reported by an NGO, say) is the only thing typed in the app that is ever
stored, and only when its form is submitted. It cites its document (URL or uploaded file), page and
quote, and carries who entered it; it shows as "contribué" until someone confirms or retracts it.
"""

from datetime import date
from typing import Any

import auth
import data
import journey
import streamlit as st
import ui

from cobase.access import same_person
from cobase.clock import BadDateError
from cobase.findings import FindingError
from cobase.harmonize.countries import UnknownCountryError
from cobase.harmonize.medicines import UnknownMedicineError

STATUS_BADGES = {
    "contributed": ("contribué / contributed", "orange"),
    "confirmed": ("contribué, confirmé / contributed, confirmed", "green"),
    "retracted": ("retiré / retracted", "gray"),
}
DOCUMENT_COLUMN_CONFIG = {
    "Lien": st.column_config.LinkColumn(help="Adresse du document conservé / URL of the kept document"),
    "Empreinte": st.column_config.TextColumn(help="Début de l'empreinte sha256 / sha256 prefix"),
    "Publié le": st.column_config.DateColumn(format="DD/MM/YYYY"),
    "Récupéré le": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm", timezone="UTC"),
    "Valeurs": st.column_config.NumberColumn(format="%d", help="Valeurs tirées du document / Values"),
}
FORM_KEYS = (
    "constat_pays",
    "constat_dimension",
    "constat_traitement",
    "constat_date",
    "constat_enonce",
    "constat_citation",
    "constat_titre",
    "constat_producteur",
    "constat_url",
    "constat_page",
    "constat_publie",
    "constat_fichier",
    "constat_auteur",
)
REVIEWER_KEY = "relecteur"
FEEDBACK_KEY = "rapports_message"


def _writer() -> str | None:
    """Who is writing: the logged-in identity on a team instance (never a typed name), else None."""
    return auth.current_user(ACCESS) if ACCESS.identified_writers else None


def _change_status(database: str, finding_id: str, status: str) -> None:
    """Button callback: confirm or retract, saying who did it; the result is shown on the next run.

    On a team instance the identity is read again here, at the click, from the login or the proxy's
    header: a disabled button in the page is a convenience, this is the check.
    """
    if ACCESS.identified_writers:
        reviewer = _writer() or ""
        if not reviewer:
            st.session_state[FEEDBACK_KEY] = ("error", "Connectez-vous pour confirmer ou retirer un constat.")
            return
    else:
        reviewer = (st.session_state.get(REVIEWER_KEY) or "").strip()
    if not reviewer:
        st.session_state[FEEDBACK_KEY] = ("error", "Indiquez votre nom pour confirmer ou retirer un constat.")
        return
    try:
        finding = data.change_finding_status(database, finding_id, status, reviewer)
    except FindingError as error:
        st.session_state[FEEDBACK_KEY] = ("error", str(error))
        return
    word = "confirmé" if finding.status == "confirmed" else "retiré"
    st.session_state[FEEDBACK_KEY] = ("success", f"Constat {finding.finding_id} {word} par {reviewer}.")


def _show_finding(database: str, finding: dict[str, Any]) -> None:
    """One finding as a card: badge, statement, quote, document, and the review buttons."""
    label, colour = STATUS_BADGES.get(finding["status"], (finding["status"], "gray"))
    with st.container(border=True):
        st.badge(label, color=colour)  # type: ignore[arg-type]
        st.markdown(f"**{ui.plain(finding['statement'])}**")
        details = [
            data.access_dimension_label(finding["dimension"]),
            data.item_name(finding["item"]) if finding["item"] else "",
            f"pays {finding['country_iso3']}",
            f"période {data.period_label(finding['period_start'], finding['period_end'])}",
            f"publié le {journey.day_text(finding['published_at'].date())}"
            if finding["published_at"]
            else "",
            f"saisi par {finding['contributed_by']} le {journey.day_text(finding['recorded_at'].date())}",
        ]
        st.caption(ui.plain(" · ".join(part for part in details if part)))
        if finding["quote"]:
            page = f" (p. {finding['page']})" if finding["page"] else ""
            st.markdown(f"> « {ui.plain(finding['quote'])} »{page}")
        document = finding["url"].replace("`", "'")  # as inline code: shown as typed, never made a link
        st.caption(f"Document : `{document}` · sha256 `{finding['snapshot_sha256'][:12]}`")
        link = data.safe_link(finding["url"])
        buttons = st.columns(3)
        if link:
            buttons[0].link_button("Ouvrir le document", link)
        own = same_person(WRITER, finding["contributed_by"]) and finding["status"] == "contributed"
        buttons[1].button(
            "Confirmer / Confirm",
            key=f"confirmer_{finding['finding_id']}",
            disabled=finding["status"] != "contributed" or own or not CAN_WRITE,
            help="Une autre personne que l'auteur doit confirmer / Someone other than the author confirms"
            if own
            else None,
            on_click=_change_status,
            args=(database, finding["finding_id"], "confirmed"),
        )
        buttons[2].button(
            "Retirer / Retract",
            key=f"retirer_{finding['finding_id']}",
            disabled=finding["status"] == "retracted" or not CAN_WRITE,
            on_click=_change_status,
            args=(database, finding["finding_id"], "retracted"),
        )


ui.page_header(
    "Rapports",
    "Les **documents conservés** (chaque valeur de cobase vient d'une copie datée d'un document) et les "
    "**constats vérifiés** ajoutés par des médecins, à rechercher par pays, traitement et date. Un constat "
    "cite son document, sa page et l'extrait exact ; il reste « contribué » jusqu'à confirmation.",
    "Kept documents and curated findings, searchable by country, treatment and date; add a finding with "
    "its document, page and quote. Findings are the only thing typed here that is stored.",
)

ACCESS = auth.policy()
WRITER = _writer()
CAN_WRITE = WRITER is not None or not ACCESS.identified_writers
"""On a team instance, writing needs a logged-in user; a personal instance takes a typed name."""

database = data.current_database_url()
ui.read_or_stop(database, lambda: data.has_current_data(database), empty=None)

st.subheader("Rechercher / Search", anchor=False)
country_column, item_column, from_column, to_column = st.columns([3, 3, 2, 2])
with country_column:
    country = journey.choose_country(database)
with item_column:
    typed_item = st.selectbox(
        "Traitement, examen ou spécialiste / Treatment",
        options=data.all_item_ids(),
        index=None,
        format_func=data.item_label,
        accept_new_options=True,
        placeholder="Tous / All",
        key="traitement",
    )
with from_column:
    start = st.date_input("Publié à partir du / From", value=None, format="DD/MM/YYYY", key="du")
with to_column:
    end = st.date_input("Jusqu'au / To", value=None, format="DD/MM/YYYY", key="au")

item = None
if typed_item is not None:
    resolved = data.resolve_items([typed_item])
    for typed, match in resolved.matched:
        st.caption(ui.plain(f"« {typed} » compris comme / read as : {match.name_fr}"))
    if resolved.item_ids:
        item = resolved.item_ids[0]
    else:
        st.warning(ui.plain(f"Traitement non reconnu : « {typed_item} » ; la recherche porte sur tous."))
start_day = start if isinstance(start, date) else None
end_day = end if isinstance(end, date) else None

st.subheader("Documents conservés / Kept documents", anchor=False)
if country is None:
    st.info("Choisissez un pays pour lister ses documents. / Choose a country to list its documents.")
else:
    documents = data.stored_documents(database, country[0], item, start_day, end_day)
    if documents.empty:
        st.info("Aucun document ne correspond à cette recherche. / No document matches.")
    else:
        st.caption(f"{len(documents)} document(s) · dates de publication du producteur")
        st.dataframe(documents, hide_index=True, column_config=DOCUMENT_COLUMN_CONFIG)

st.subheader("Constats vérifiés / Curated findings", anchor=False)
feedback = st.session_state.pop(FEEDBACK_KEY, None)
if feedback:
    (st.success if feedback[0] == "success" else st.error)(ui.plain(feedback[1]))
show_retracted = st.toggle("Montrer les constats retirés / Show retracted", key="retires")
found = data.findings(
    database, country[0] if country else None, item, start_day, end_day, include_retracted=show_retracted
)
if not found:
    st.info("Aucun constat ne correspond à cette recherche. / No finding matches.")
else:
    if not ACCESS.identified_writers:
        st.text_input(
            "Votre nom, pour confirmer ou retirer un constat / Your name, to confirm or retract",
            key=REVIEWER_KEY,
            max_chars=120,
        )
    elif not CAN_WRITE:
        auth.login_prompt(ACCESS, "pour confirmer ou retirer un constat")
    for finding in found:
        _show_finding(database, finding)

st.subheader("Ajouter un constat / Add a finding", anchor=False)
st.caption(
    "Un constat rapporte ce que dit un document public (rapport d'ONG, communiqué, article) sur l'accès aux "
    "soins. **N'y mettez aucune donnée concernant un patient.** / Never enter patient data."
)
if not CAN_WRITE:
    auth.login_prompt(ACCESS, "pour ajouter un constat")
    st.stop()
if WRITER is not None:
    st.caption(ui.plain(f"Le constat sera enregistré au nom de {WRITER}. / Recorded under your login."))
with st.form("constat", border=True):
    all_countries = data.country_choices(database)
    country_labels = dict(zip(all_countries["iso3"], all_countries["label"], strict=True))
    left, right = st.columns(2)
    finding_country = left.selectbox(
        "Pays / Country",
        options=list(country_labels),
        index=list(country_labels).index(country[0]) if country else None,
        format_func=lambda code: country_labels.get(code, code),
        key="constat_pays",
    )
    dimension = right.selectbox(
        "Dimension de l'accès / Access dimension",
        options=list(data.FINDING_DIMENSION_CHOICES),
        format_func=data.access_dimension_label,
        key="constat_dimension",
    )
    finding_item = left.text_input(
        "Médicament, examen ou spécialiste (facultatif) / Item (optional)",
        key="constat_traitement",
        max_chars=200,
    )
    period = right.text_input(
        "Date des faits : AAAA, AAAA-MM ou AAAA-MM-JJ / When it happened",
        key="constat_date",
        max_chars=10,
        placeholder="2024-03",
    )
    statement = st.text_area(
        "Constat : ce que dit le document / Statement", key="constat_enonce", max_chars=1000
    )
    quote = st.text_area("Citation exacte / Exact quote", key="constat_citation", max_chars=2000)
    left, right = st.columns([3, 2])
    document_title = left.text_input(
        "Titre du document cité / Cited document's title", key="constat_titre", max_chars=300
    )
    document_producer = right.text_input(
        "Publié par (organisation, auteur) / Published by", key="constat_producteur", max_chars=200
    )
    left, middle, right = st.columns([4, 1, 2])
    document_url = left.text_input(
        "Adresse du document (http:// ou https://) / Document URL",
        key="constat_url",
        help=None
        if ACCESS.fetch_urls
        else "Citée telle quelle ; ce serveur ne la consulte pas : déposez aussi le document. / Cited as "
        "typed; this server does not fetch it: upload the document too.",
    )
    page = middle.number_input("Page", min_value=1, value=None, step=1, key="constat_page")
    published = right.date_input(
        "Publié le / Published on", value=None, format="DD/MM/YYYY", key="constat_publie"
    )
    upload = st.file_uploader(
        "Ou déposez le document (PDF, HTML, texte) / Or upload it",
        type=["pdf", "html", "htm", "txt"],
        key="constat_fichier",
    )
    author = (
        WRITER
        if ACCESS.identified_writers
        else st.text_input(
            "Votre nom et organisation / Your name and organisation", key="constat_auteur", max_chars=120
        )
    )
    submitted = st.form_submit_button("Enregistrer le constat / Save the finding", key="constat_enregistrer")

if submitted:
    try:
        if finding_country is None:
            raise FindingError("choisissez le pays du constat / choose the country")
        if ACCESS.identified_writers:  # read again at the submission, never trusted from the page
            author = _writer()
            if author is None:
                raise FindingError("connectez-vous pour ajouter un constat / log in to add a finding")
        saved = data.save_finding(
            database,
            country=finding_country,
            dimension=dimension,
            statement=statement,
            period=period,
            contributed_by=author or "",
            title=document_title,
            producer=document_producer,
            document_url=document_url.strip() or None,
            upload_name=upload.name if upload else None,
            upload_bytes=upload.getvalue() if upload else None,
            item=finding_item.strip() or None,
            quote=quote.strip() or None,
            page=int(page) if page is not None else None,
            published=published if isinstance(published, date) else None,
            fetch_urls=ACCESS.fetch_urls,
        )
    except (FindingError, BadDateError, UnknownCountryError, UnknownMedicineError) as error:  # one sentence
        st.error(ui.plain(f"Constat non enregistré : {error}"))
    else:
        sha256 = saved.snapshot_sha256[:12]
        message = f"Constat {saved.finding_id} enregistré (contribué), document sha256 {sha256}."
        st.session_state[FEEDBACK_KEY] = ("success", message)
        for key in FORM_KEYS:  # an emptied form cannot be saved twice by a second click
            st.session_state.pop(key, None)
        st.rerun()
