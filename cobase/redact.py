"""Keep secrets out of everything cobase prints or stores: logs, tables, errors, snapshots.

Three kinds of secret reach cobase: a database password (in ``COBASE_DB`` or ``--db``), credentials a
source needs (ReliefWeb's approved ``appname`` from ``COBASE_RELIEFWEB_APPNAME``, an API key), and
whatever else the environment holds under a name such as ``*_PASSWORD`` or ``*_TOKEN``. They leak through
URLs: Scrapy logs ``Gave up retrying <POST https://…?appname=…>``, an error quotes the URL it failed on, a
status table names the database. So every line goes through :func:`redact_text`, every stored URL through
:func:`redact_url` and every ``request_meta`` through :func:`redact_meta`, and :func:`install_log_redaction`
makes every log record pass through the same rules, whichever library emits it.

Redaction is structural (a URL's password, a query parameter whose *name* says it is a credential) and by
value (each registered secret, wherever it appears in a text). Stored URLs only get the structural rules and
exact query values, so a short secret can never mangle an address.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

MASK = "***"

SECRET_PARAMETERS = frozenset(
    {
        "appname",
        "api_key",
        "apikey",
        "api-key",
        "x-api-key",
        "key",
        "token",
        "access_token",
        "auth",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "signature",
        "sig",
        "subscription-key",
    }
)
"""Query parameters (and ``request_meta`` keys) whose value is a credential, whatever it is."""

SECRET_VARIABLE = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|APPNAME", re.IGNORECASE)
"""Environment variables whose value is a secret (``COBASE_RELIEFWEB_APPNAME``, ``PGPASSWORD``...)."""

DATABASE_VARIABLES = ("COBASE_DB", "DATABASE_URL")
"""Environment variables holding a database URL whose password is a secret."""

MIN_SECRET_LENGTH = 6
"""Shorter values are not replaced inside texts: they would mask ordinary words ("true", "1234")."""

_PARAMETER_NAMES = "|".join(re.escape(name) for name in sorted(SECRET_PARAMETERS, key=len, reverse=True))
_SECRET_PARAMETER = re.compile(rf"(?i)([?&;](?:{_PARAMETER_NAMES})=)([^&;#\s'\"<>]*)")
_SECRET_QUERY_ITEM = re.compile(rf"(?i)(^|[&;])((?:{_PARAMETER_NAMES})=)([^&;#]*)")
_USERINFO_PASSWORD = re.compile(r"([A-Za-z][\w+.-]*://[^:/@\s]*:)([^/@\s]+)(@)")

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def register_secret(value: str | None) -> None:
    """Treat ``value`` (and its URL-encoded forms) as a secret from now on, in every text redacted."""
    if not value or len(value.strip()) < MIN_SECRET_LENGTH:
        return
    value = value.strip()
    with _lock:
        _secrets.update({value, quote_plus(value), quote(value, safe="")})


def register_database_url(url: str | None) -> None:
    """Register the password of a database URL (``postgresql+psycopg://user:password@host/db``)."""
    if not url:
        return
    match = _USERINFO_PASSWORD.search(url)
    if match:
        register_secret(unquote_plus(match.group(2)))


def register_environment(environ: Mapping[str, str] | None = None) -> None:
    """Register the secrets the environment holds: credential variables and database passwords."""
    environ = os.environ if environ is None else environ
    for name, value in environ.items():
        if SECRET_VARIABLE.search(name):
            register_secret(value)
    for name in DATABASE_VARIABLES:
        register_database_url(environ.get(name))


def _known_secrets() -> list[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)  # longest first: a secret may contain another


def redact_text(text: str) -> str:
    """``text`` with URL passwords, credential query parameters and every registered secret masked."""
    if not text:
        return text
    redacted = _USERINFO_PASSWORD.sub(rf"\1{MASK}\3", text)
    redacted = _SECRET_PARAMETER.sub(rf"\1{MASK}", redacted)
    for secret in _known_secrets():
        if secret in redacted:
            redacted = redacted.replace(secret, MASK)
    return redacted


def redact_url(url: str) -> str:
    """A URL safe to store and show: its password and credential query values masked.

    Everything else is kept byte for byte (the stored URL identifies a request across refreshes), and a
    registered secret is only masked where it is a whole query value, never inside a path or a word.
    """
    if not url:
        return url
    redacted = _USERINFO_PASSWORD.sub(rf"\1{MASK}\3", url)
    parts = urlsplit(redacted)
    if not parts.query:
        return redacted
    query = _SECRET_QUERY_ITEM.sub(rf"\1\2{MASK}", parts.query)
    secrets = set(_known_secrets())
    if secrets:
        items = re.split(r"([&;])", query)
        for index, item in enumerate(items):
            name, equals, value = item.partition("=")
            if equals and value in secrets:
                items[index] = f"{name}={MASK}"
        query = "".join(items)
    if query == parts.query:
        return redacted
    before, _, after = redacted.partition("?")
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{before}?{query}{fragment}" if after else redacted


OWN_META_KEYS = frozenset({"key"})
"""``request_meta`` keys our spiders set that are not credentials: ``key`` is an SDMX series key (the OECD
parser checks an answer against it), unlike a ``?key=`` query parameter, which is an API key."""


def redact_meta(meta: Any) -> Any:
    """``request_meta`` (any JSON-like value) with credential keys and secrets in texts masked."""
    if isinstance(meta, Mapping):
        return {
            key: MASK
            if isinstance(key, str)
            and key not in OWN_META_KEYS
            and (key.casefold() in SECRET_PARAMETERS or SECRET_VARIABLE.search(key))
            else redact_meta(value)
            for key, value in meta.items()
        }
    if isinstance(meta, list | tuple):
        return [redact_meta(value) for value in meta]
    if isinstance(meta, str):
        return redact_text(meta)
    return meta


def _redact_record(record: logging.LogRecord) -> None:
    """Make ``record`` show only redacted text, formatting its message lazily.

    A record below every handler's level is never formatted: Scrapy logs each item at DEBUG with its
    whole body, which must not be turned into text just to be dropped.
    """
    if getattr(record, "_cobase_redacted", False):
        return
    record._cobase_redacted = True
    format_message = record.getMessage

    def redacted_message() -> str:
        return redact_text(format_message())

    record.getMessage = redacted_message  # type: ignore[method-assign]
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when it is set: the traceback (rare) is redacted once, here.
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message and traceback (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_log_redaction() -> None:
    """Make every log record, from cobase, Scrapy, Twisted or any library, pass through redaction.

    The record factory covers handlers created later (Scrapy installs its own); the filter on existing
    handlers covers records made before. Registers the environment's secrets. Idempotent.
    """
    global _installed
    register_environment()
    with _lock:
        first = not _installed
        _installed = True
    if first:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    for handler in handlers:
        if handler is not None and not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
