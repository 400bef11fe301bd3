"""First run: an empty store offers the demonstration data, loaded into a store of its own.

A physician who ran ``make run`` on a fresh machine sees a button, not a terminal instruction. The
sample files go into the demonstration store (:mod:`cobase.demonstration`), never the real one, and
every page then carries the banner « données de démonstration » until a refresh fills the real store.
On a team instance, loading is a write: it needs a logged-in user, like adding a finding.
"""

from __future__ import annotations

import logging

import auth
import data
import streamlit as st

from cobase import present
from cobase.demonstration import DemonstrationError

logger = logging.getLogger("cobase.app")

LOAD_BUTTON_KEY = "charger_demonstration"
FEEDBACK_KEY = "demonstration_message"

REAL_DATA_FR = (
    "Pour les données réelles, lancez `cobase refresh` sur la machine qui héberge l'application (ou "
    "programmez-le, voir le README, « Refreshing ») : dès que la base réelle contient des valeurs, "
    "l'application la lit à la place des données de démonstration."
)
REAL_DATA_EN = (
    "For real data, run `cobase refresh` on the machine that hosts the app (or schedule it): as soon as "
    "the real store holds values, the app reads it instead of the demonstration data."
)


def offer_demonstration() -> None:
    """The first-run choice: load the sample files (one click), or fetch real data (how to)."""
    feedback = st.session_state.pop(FEEDBACK_KEY, None)
    if feedback:
        st.error(feedback)
    st.markdown(
        "**Essayer avec les données de démonstration** : quelques fichiers d'exemple des sources (OMS, "
        "Banque mondiale, ONUSIDA…), chargés dans une base de démonstration à part ; chaque page et chaque "
        "dossier porte alors la mention « données de démonstration »."
    )
    access = auth.policy()
    if access.identified_writers and auth.current_user(access) is None:
        auth.login_prompt(access, "pour charger les données de démonstration")
    elif st.button(
        "Charger les données de démonstration / Load the demonstration data",
        key=LOAD_BUTTON_KEY,
        type="primary",
    ):
        with st.spinner("Chargement des données de démonstration… / Loading…"):
            try:
                data.load_demonstration_store()
            except DemonstrationError as error:
                logger.exception("loading the demonstration data failed")
                st.session_state[FEEDBACK_KEY] = (
                    f"Les données de démonstration n'ont pas pu être chargées : {error}"
                )
        st.rerun()
    st.markdown(REAL_DATA_FR)
    st.caption(REAL_DATA_EN)


def show_banner(database: str) -> None:
    """The banner every page shows while it reads a demonstration store."""
    if data.is_demonstration_store(database):
        st.warning(present.demonstration_banner("fr"), icon=":material/science:")
        st.caption(
            f"{present.demonstration_label('en')}. " + REAL_DATA_EN,
        )
