"""Pays / Country: every indicator for one country, as a timeline and as a table with full provenance."""

import data
import registers
import streamlit as st
import ui

OBSERVATION_COLUMN_CONFIG = {
    "Source": st.column_config.TextColumn(help="Clé de la source (sources.yml) / Source key"),
    "Indicateur": st.column_config.TextColumn(
        help="Code de l'indicateur chez le producteur / Producer's code"
    ),
    "Ventilation": st.column_config.TextColumn(help="Ventilation (sexe, âge…), vide si aucune / Breakdown"),
    "Période": st.column_config.TextColumn(help="Période décrite par la valeur / Period the value describes"),
    "Valeur": st.column_config.TextColumn(help="Valeur telle que publiée / Value as published"),
    "Publié le": st.column_config.DateColumn(
        format="YYYY-MM-DD", help="Date de publication par le producteur / Producer's publication date"
    ),
    "Récupéré le": st.column_config.DatetimeColumn(
        format="YYYY-MM-DD HH:mm", timezone="UTC", help="Date de récupération par cobase (UTC) / Retrieved at"
    ),
    "Lien": st.column_config.LinkColumn(help="Adresse de la réponse conservée / URL of the kept snapshot"),
    "Instantané": st.column_config.TextColumn(
        help="Empreinte sha256 de la réponse conservée (début) / sha256 of the kept snapshot (prefix)"
    ),
}

ui.page_header(
    "Pays / Country",
    "Chaque valeur est **datée et sourcée** : période décrite, date de publication par le producteur, "
    "date de récupération et lien vers la réponse conservée. Ces données décrivent l'accès aux soins dans "
    "un pays ; elles ne constituent pas un avis sur une situation individuelle.",
    "Every value is dated and sourced (period, publication and retrieval dates, link). These data describe "
    "access to care in a country; they are not a verdict on any individual case.",
)

database = data.current_database_url()
choices = ui.read_or_stop(database, lambda: data.country_choices(database))

labels = dict(zip(choices["iso3"], choices["label"], strict=True))
with_data = set(choices.loc[choices["has_data"], "iso3"])
country = st.selectbox(
    "Pays / Country",
    options=list(labels),
    index=None,
    format_func=lambda iso3: (
        labels[iso3] if iso3 in with_data else f"{labels[iso3]} — aucune donnée / no data"
    ),
    placeholder="Tapez un nom ou un code : Guinée, GIN… / Type a name or code",
    help="Pays disposant de données en premier / Countries with data first",
    key="pays",
    bind="query-params",
)
if country is None:
    st.stop()

observations = data.country_observations(database, country)
st.header(ui.plain(labels[country]), anchor=False)
registers.show_country_register(database, country)
if observations.empty:
    st.info("Aucune donnée pour ce pays pour l'instant. / No data for this country yet.")
    st.stop()

for _topic, topic_rows in observations.groupby("topic_fr", sort=False):
    first = topic_rows.iloc[0]
    st.subheader(ui.plain(first["label_fr"]), anchor=False)
    english_labels = ui.plain(" / ".join(dict.fromkeys(topic_rows["label_en"])))
    dimension = data.access_dimension_label(first["dimension"]) if first["dimension"] else ""
    st.caption(f"{english_labels} · {dimension}" if dimension else english_labels)
    if topic_rows["value_num"].notna().any():
        st.altair_chart(ui.timeline_chart(topic_rows), width="stretch")
    st.dataframe(data.observation_table(topic_rows), hide_index=True, column_config=OBSERVATION_COLUMN_CONFIG)
