"""Who is using the app, as Streamlit knows it: the policy comes from :mod:`cobase.access`.

With ``COBASE_AUTH=oidc`` the identity is the one the OpenID Connect provider vouches for (``st.user``:
its e-mail, else its name, else its subject); with ``COBASE_AUTH=header:NAME`` it is the value the
authenticating reverse proxy put in that header (``st.context.headers``). Without ``COBASE_AUTH`` there is
no identity: a personal instance, where findings carry the name typed in the form.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import streamlit as st
import ui

from cobase.access import AccessPolicy, AccessSettingError, access_policy

logger = logging.getLogger("cobase.app")

MAX_IDENTITY_CHARS = 200


def policy() -> AccessPolicy:
    """The operator's policy; a value it cannot read stops the page with one sentence (never opens up)."""
    try:
        return access_policy()
    except AccessSettingError as error:
        st.error(f"Configuration de l'accès invalide / Invalid access settings: {error}")
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def request_headers() -> Mapping[str, str]:
    """The headers of the browser's connection to the app (case-insensitive)."""
    return st.context.headers


def current_user(access: AccessPolicy) -> str | None:
    """The logged-in person's identity, or None (not logged in, or no login on this instance)."""
    if access.mode == "header" and access.header:
        value = (request_headers().get(access.header) or "").strip()
        return value[:MAX_IDENTITY_CHARS] or None
    if access.mode == "oidc":
        try:
            if not st.user.is_logged_in:
                return None
        except Exception:  # st.user without [auth] in secrets.toml: nobody can be logged in
            logger.exception("st.user is unavailable: is [auth] configured in .streamlit/secrets.toml?")
            return None
        for claim in ("email", "name", "sub"):
            value = st.user.get(claim)
            if isinstance(value, str) and value.strip():
                return value.strip()[:MAX_IDENTITY_CHARS]
    return None


def login_prompt(access: AccessPolicy, purpose: str) -> None:
    """Say why a login is needed and offer it (a button for OpenID Connect; the proxy does the rest)."""
    st.info(f"Connexion requise {purpose}. / Login required.")
    if access.mode == "oidc":
        key = "login_" + re.sub(r"\W+", "_", purpose.casefold()).strip("_")  # one button per prompt
        if st.button("Se connecter / Log in", key=key, type="primary"):
            st.login()
    else:
        st.caption(
            f"Ce serveur attend l'identité de l'utilisateur dans l'en-tête {access.header}, posé par le "
            "proxy qui authentifie ; ouvrez l'application par son adresse publique. / Open the app through "
            "the authenticating proxy."
        )


def gate(access: AccessPolicy) -> str | None:
    """Run on every page before anything is read: stop when reading needs a login and there is none.

    Returns the identity (None when anonymous) and shows who is logged in in the sidebar.
    """
    user = current_user(access)
    if user is None and access.login_required_to_read:
        st.title("cobase", anchor=False)
        login_prompt(access, "pour consulter cette instance")
        st.stop()
    if user is not None:
        st.sidebar.caption(ui.plain(f"Connecté : {user} / Logged in"))
        if access.mode == "oidc" and st.sidebar.button("Se déconnecter / Log out", key="logout"):
            st.logout()
    return user
