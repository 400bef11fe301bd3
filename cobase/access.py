"""Who may read and who may write on a shared instance of the app: the operator's settings, read once.

A team instance is configured by environment variables, so the same settings reach ``cobase app``,
``streamlit run`` and a systemd unit:

* ``COBASE_AUTH`` unset: a personal instance (the app listens on 127.0.0.1 only); findings carry the
  name typed in the form, as on the command line.
* ``COBASE_AUTH=oidc``: people log in through Streamlit's built-in OpenID Connect (``st.login``, provider
  in ``.streamlit/secrets.toml``); a finding records the identity the provider vouches for.
* ``COBASE_AUTH=header:X-Forwarded-User``: a reverse proxy that authenticates people (oauth2-proxy,
  Apache ``mod_auth_openidc``, Authelia...) passes the user in that header; the app trusts it, so it
  must be reachable only through the proxy.
* ``COBASE_AUTH_READ=anonymous``: with either mode, reading needs no login; writing always does.
* ``COBASE_APP_FETCH=1``: the server may fetch a document from the URL a user typed (public http(s)
  addresses only, see :mod:`cobase.webfetch`); otherwise the user uploads the document.

Bad values are one :class:`AccessSettingError` sentence, so an operator's typo never opens the app.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AuthMode = Literal["none", "oidc", "header"]

_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class AccessSettingError(ValueError):
    """A ``COBASE_AUTH*`` or ``COBASE_APP_FETCH`` value cannot be understood; the message says which."""


@dataclass(frozen=True)
class AccessPolicy:
    """What the operator allowed: how people log in, whether reading is open, whether URLs are fetched."""

    mode: AuthMode = "none"
    header: str | None = None
    """The request header a reverse proxy fills with the authenticated user (header mode only)."""
    anonymous_read: bool = False
    fetch_urls: bool = False

    @property
    def login_required_to_read(self) -> bool:
        """Whether every page asks for a login first."""
        return self.mode != "none" and not self.anonymous_read

    @property
    def identified_writers(self) -> bool:
        """Whether writing needs a logged-in user whose identity is recorded (instead of a typed name)."""
        return self.mode != "none"


def access_policy(environ: Mapping[str, str] | None = None) -> AccessPolicy:
    """The policy the environment sets; raises :class:`AccessSettingError` on a value it cannot read."""
    env = os.environ if environ is None else environ
    auth = env.get("COBASE_AUTH", "").strip()
    mode: AuthMode
    header = None
    if not auth:
        mode = "none"
    elif auth.casefold() == "oidc":
        mode = "oidc"
    elif auth.casefold().startswith("header:"):
        mode, header = "header", auth.split(":", 1)[1].strip()
        if not _HEADER_NAME.fullmatch(header):
            raise AccessSettingError(
                f"COBASE_AUTH=header:NAME needs a header name such as X-Forwarded-User, not {header!r}"
            )
    else:
        raise AccessSettingError(
            f"COBASE_AUTH must be 'oidc' or 'header:X-Forwarded-User' (or unset), not {auth!r}"
        )
    read = env.get("COBASE_AUTH_READ", "").strip().casefold()
    if read not in ("", "anonymous", "login"):
        raise AccessSettingError(f"COBASE_AUTH_READ must be 'anonymous' or 'login', not {read!r}")
    return AccessPolicy(
        mode=mode,
        header=header,
        anonymous_read=read == "anonymous",
        fetch_urls=_flag(env, "COBASE_APP_FETCH"),
    )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise AccessSettingError(f"{name} must be 1 or 0, not {value!r}")


def same_person(first: str | None, second: str | None) -> bool:
    """Whether two recorded identities name the same person (case and spacing aside)."""
    if not first or not second:
        return False
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()
