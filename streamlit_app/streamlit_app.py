"""Entry point of the app: page configuration and routing only; each page lives in ``views/``.

The two journeys come first, and 'Préparer un certificat' is the default page (served at the root
address): it is what most users, treating physicians, come for. Icons are Material symbols, which
Streamlit ships, so they show even on a machine without an emoji font.
"""

import auth
import data
import first_run
import streamlit as st

st.set_page_config(
    page_title="cobase — accès aux soins par pays", page_icon=":material/medical_information:", layout="wide"
)
# Before any page reads the store: a team instance may require a login even to read.
auth.gate(auth.policy())
first_run.show_banner(data.current_database_url())

navigation = st.navigation(
    {
        "Parcours / Journeys": [
            st.Page(
                "views/certificat.py",
                title="Préparer un certificat",
                icon=":material/edit_document:",
                default=True,
            ),
            st.Page(
                "views/contester.py", title="Contester un avis", icon=":material/gavel:", url_path="contester"
            ),
        ],
        "Consulter / Browse": [
            st.Page("views/country.py", title="Pays / Country", icon=":material/public:", url_path="pays"),
            st.Page(
                "views/rapports.py", title="Rapports", icon=":material/description:", url_path="rapports"
            ),
            st.Page("views/sources.py", title="Sources", icon=":material/dataset:", url_path="sources"),
        ],
    }
)
navigation.run()
