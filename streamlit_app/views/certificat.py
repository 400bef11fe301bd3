"""Préparer un certificat: what the treating physician needs to fill in the OFII medical certificate.

Country, pathology and the exact treatments and follow-up the patient needs; then, per access dimension,
the dated and sourced evidence published to date, the gaps, the contradictions and the old data; and
the dossier to annex. Nothing chosen here is stored, and there is no field for the patient.
"""

import data
import journey
import registers
import streamlit as st

st.title("Préparer un certificat", anchor=False)
st.markdown(
    "Pour le **médecin qui remplit le certificat médical OFII** : choisissez le pays d'origine, la "
    "pathologie et les traitements et examens dont le patient a besoin. cobase montre, pour chaque "
    "dimension de l'accès effectif, ce que les sources publient, daté et sourcé, et **ce qu'aucune source "
    "ne documente**. Aucune donnée de patient n'est demandée ni conservée."
)
st.caption(
    "For the treating physician: dated, sourced evidence on effective access to care in the country of "
    "origin, with gaps in plain sight. No patient data is asked for or kept."
)

database = data.current_database_url()
journey.require_data(database)
case = journey.choose_case(database)
if case is None:
    st.stop()

as_of = data.today()
journey.show_assessment(case, as_of)
registers.show_timelines(journey.assessment_for(case, as_of))
journey.show_export(case, as_of)
