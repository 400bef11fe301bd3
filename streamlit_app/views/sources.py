"""Sources: who publishes what we show, under which licence, and how fresh our copy is."""

import data
import streamlit as st
import ui

SOURCE_COLUMN_CONFIG = {
    "Titre": st.column_config.TextColumn(width="medium"),
    "Producteur": st.column_config.TextColumn(width="medium"),
    "Site": st.column_config.LinkColumn(help="Site du producteur / Producer's site"),
    "Dernier succès": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC"),
    "Exécutée le": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC"),
    "Erreur le": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC"),
    "Dernière erreur": st.column_config.TextColumn(
        help="Message de la dernière exécution en échec / Last error"
    ),
    "Observations": st.column_config.NumberColumn(help="Valeurs courantes / Current values", format="%d"),
    "Période la plus récente": st.column_config.DateColumn(format="YYYY-MM-DD"),
    "Publication la plus récente": st.column_config.DateColumn(format="YYYY-MM-DD"),
    "Cadence": st.column_config.TextColumn(
        help="Rythme de mise à jour annoncé dans sources.yml / Update cadence declared in sources.yml"
    ),
    "Fraîcheur": st.column_config.TextColumn(
        help="« en retard » quand le dernier succès date de plus d'une cadence / overdue when the last "
        "success is older than one cadence"
    ),
}

ui.page_header(
    "Sources",
    "Les producteurs dont cobase conserve les données, leur licence, et la fraîcheur de notre copie : "
    "dernière récupération réussie comparée à la cadence de mise à jour du producteur, dernière erreur, "
    "période et publication les plus récentes.",
    "Producers whose data cobase keeps, their licence, and how fresh our copy is (times in UTC): a copy is "
    "overdue when its last successful refresh is older than the cadence the producer updates at.",
)

database = data.current_database_url()
sources = ui.read_or_stop(database, lambda: data.source_table(database), empty="guide")
st.dataframe(sources, hide_index=True, column_config=SOURCE_COLUMN_CONFIG)
