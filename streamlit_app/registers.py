"""National medicine registers in the app: the register timeline in both journeys, and the searchable
table of a country's register on the Pays page.

Everything shown comes from :mod:`cobase` (the assessment's ``registers``, :func:`country_register`) and
is worded by :mod:`cobase.present`; text a ministry wrote goes through :func:`ui.plain` or a dataframe.
"""

from __future__ import annotations

import data
import pandas as pd
import streamlit as st
import ui

from cobase import present
from cobase.db import session_scope
from cobase.evidence import Assessment
from cobase.evidence.register_timeline import RegisterTimeline, country_register
from cobase.text import strip_accents

VERSIONS_SHOWN = 4
"""Versions shown per register and medicine, the latest first (the dossier lists more)."""

REGISTER_COLUMNS = [
    "Statut",
    "Nom de marque",
    "DCI",
    "Dosage",
    "Forme",
    "Conditionnement",
    "Détenteur",
    "Pays du détenteur",
    "Enregistré le",
    "Retiré le",
    "Motif du retrait",
    "Médicament (catalogue)",
    "N° / AMM",
]


def show_timelines(assessment: Assessment) -> None:
    """Per register and chosen medicine: each version's products and status, and dated gaps."""
    timelines = [timeline for timeline in assessment.registers if timeline.versions]
    if not timelines:
        return
    st.subheader("Registres nationaux du médicament / National medicine registers", anchor=False)
    st.caption(
        "Produits contenant chaque médicament choisi dans le registre officiel du pays, version par version "
        "(disponibilité, à propos de ce médicament). / Products containing each chosen medicine in the "
        "country's official register, version by version."
    )
    for timeline in timelines:
        _timeline(timeline)


def _timeline(timeline: RegisterTimeline) -> None:
    name = present.item_name(timeline.item)
    producer = present.republished_producer(timeline.source)
    latest = timeline.latest
    gap = latest is not None and latest.is_gap
    title = f"{name} — {producer}" + (" — lacune datée / dated gap" if gap else "")
    with st.expander(ui.plain(title), expanded=gap):
        st.caption(ui.plain(present.register_scope_note(name)))
        for version in reversed(timeline.versions[-VERSIONS_SHOWN:]):
            link = data.safe_link(version.url)
            heading = present.register_version_heading(version)
            st.markdown(f"**{ui.plain(heading)}**" + (f" — [fichier / file]({link})" if link else ""))
            if version.is_gap:
                st.warning(ui.plain(present.register_gap_sentence(name, version.version_date)))
            if version.products:
                st.markdown(
                    "\n".join(
                        f"- {ui.plain(present.register_entry_sentence(entry))}" for entry in version.products
                    )
                )
        if timeline.later_versions:
            st.caption(
                f"{timeline.later_versions} version(s) postérieure(s) à la date de référence non prise(s) en "
                "compte. / Later versions left out."
            )


@st.cache_data(ttl=data.CACHE_TTL_SECONDS, show_spinner=False)
def register_frame(url: str, country_iso3: str) -> pd.DataFrame:
    """The version in force of each register covering the country, one row per product."""
    with session_scope(data.engine_for(url)) as session:
        rows = country_register(session, country_iso3)
    records = []
    for row in rows:
        fields = row.fields
        registered = fields.get("DATE D'ENREGISTREMENT INITIAL") or fields.get("DATE AMM") or ""
        records.append(
            {
                "source": row.source,
                "version": present.format_day(row.version_date),
                "basis": row.published_basis,
                "retrieved": present.format_date_of(row.retrieved_at),
                "url": row.url,
                "Statut": present.register_status_label(row.status),
                "Nom de marque": fields.get("NOM DE MARQUE", ""),
                "DCI": fields.get("DCI", ""),
                "Dosage": fields.get("DOSAGE", ""),
                "Forme": fields.get("FORME", ""),
                "Conditionnement": fields.get("CONDITIONNEMENT", ""),
                "Détenteur": fields.get("DETENTEUR", ""),
                "Pays du détenteur": fields.get("PAYS", ""),
                "Enregistré le": registered,
                "Retiré le": present.format_day(row.withdrawn_on) if row.withdrawn_on else "",
                "Motif du retrait": row.withdrawal_reason or "",
                "Médicament (catalogue)": present.item_name(row.item) if row.item else "",
                "N° / AMM": row.product,
            }
        )
    return pd.DataFrame(records)


def _folded(text: str) -> str:
    return strip_accents(text).casefold()


def matching(frame: pd.DataFrame, search: str) -> pd.DataFrame:
    """The rows where every word typed appears in some column (case and accents ignored)."""
    words = _folded(search).split()
    if not words or frame.empty:
        return frame
    haystack = frame[REGISTER_COLUMNS].astype(str).agg(" ".join, axis=1).map(_folded)
    mask = haystack.map(lambda row: all(word in row for word in words))
    return frame[mask]


def show_country_register(database: str, country_iso3: str) -> None:
    """The searchable table of the country's register (nothing when no register covers it)."""
    frame = register_frame(database, country_iso3)
    if frame.empty:
        return
    st.subheader("Registre national du médicament / National medicine register", anchor=False)
    for source, rows in frame.groupby("source", sort=False):
        first = rows.iloc[0]
        basis = (
            "date du document"
            if first["basis"] == "document_date"
            else f"aucune date publiée, relevée le {first['retrieved']}"
        )
        link = data.safe_link(first["url"])
        st.markdown(
            f"**{ui.plain(present.republished_producer(str(source)))}** — version du {first['version']} "
            f"({ui.plain(basis)})" + (f" — [fichier / file]({link})" if link else "")
        )
        search = st.text_input(
            "Rechercher (marque, DCI, détenteur, statut…) / Search",
            key=f"register_search_{source}",
            placeholder="ex. : efavirenz, retiré, HETERO",
        )
        shown = matching(rows, search)
        st.caption(f"{len(shown)} produit(s) sur {len(rows)} / {len(shown)} of {len(rows)} products")
        st.dataframe(shown[REGISTER_COLUMNS], hide_index=True)
