"""Contester un avis: what had been published by the date of the OFII opinion, and what is known today.

For association doctors and lawyers challenging an opinion of the OFII college of physicians: the same
case as 'Préparer un certificat', read at the opinion date beside today, with the evidence published
after the opinion listed first, and a dossier that carries both.
"""

import data
import journey
import registers
import streamlit as st

st.title("Contester un avis", anchor=False)
st.markdown(
    "Pour les **médecins d'associations et les avocats** : indiquez la date de l'avis du collège de "
    "médecins de l'OFII. cobase montre, côte à côte, **ce qui était publié à cette date** et **ce qui est "
    "connu aujourd'hui**, et liste ce qui a été publié après l'avis. Aucune donnée de patient n'est "
    "demandée ni conservée."
)
st.caption(
    "For association doctors and lawyers: what had been published by the date of the OFII opinion, beside "
    "what is known today, and what was published after the opinion."
)

database = data.current_database_url()
journey.require_data(database)
case = journey.choose_case(database)
if case is None:
    st.stop()

today = data.today()
opinion = journey.choose_opinion_date(today)
if opinion is None:
    st.info("Indiquez la date de l'avis OFII pour comparer. / Enter the date of the OFII opinion.")
    st.stop()

journey.show_comparison(case, opinion, today)
registers.show_timelines(journey.assessment_for(case, opinion))
journey.show_export(case, opinion, today_as_of=today)
