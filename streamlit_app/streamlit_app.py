"""Entry point of the app: page configuration and routing only; each page lives in ``views/``."""

import streamlit as st

st.set_page_config(page_title="cobase — accès aux soins par pays", page_icon="🩺", layout="wide")

navigation = st.navigation(
    [
        st.Page("views/country.py", title="Pays / Country", icon="🌍", url_path="pays", default=True),
        st.Page("views/sources.py", title="Sources", icon="🗂️", url_path="sources"),
    ]
)
navigation.run()
