"""Parsers: pure functions from a snapshot's bytes to records, one module per source.

A parser never touches the network or the database. It yields :class:`ParsedRecord` as the producer
states them (country as the producer codes or names it); :mod:`cobase.harmonize` resolves countries and
:mod:`cobase.ingest` stores them. A response that cannot be read raises :class:`ParseError` with a
message naming the source and what was wrong.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class ParseError(ValueError):
    """A snapshot whose content cannot be read as the source's format."""


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One value as the producer published it, before country names are harmonized.

    Its fields are :class:`cobase.harmonize.records.ObservationIn`'s with the country as the producer
    states it (pinned by ``tests/test_models.py``); a slotted dataclass for the same reason (one per value
    of every refresh).
    """

    country: str
    indicator: str
    period_start: date
    period_end: date
    value_text: str
    value_num: float | None = None
    breakdown: str = ""
    published_at: datetime | None = None
    unit: str | None = None
    country_is_code: bool = True
    item: str | None = None
    quote: str | None = None
    page: int | None = None
    review_status: str | None = None
    published_basis: str | None = None
    """What ``published_at`` means when it differs from the parser's :data:`PUBLISHED_BASIS` default."""
    set_aside: str | None = None
    """Why this row is not stored although it was read (``sub-national area``, ``world``, ``report without a
    country``): harmonization counts it under that reason instead of calling it an unknown country."""


Parser = Callable[[bytes, str, Mapping[str, Any]], Iterator[ParsedRecord]]
"""``parser(body, url, request_meta)`` yields records; raises :class:`ParseError` on unreadable input."""


def number_text(value: float) -> str:
    """A canonical text for a number, so revisions are detected and not float noise."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def published_basis_of(source_key: str) -> str:
    """What a source parser's dates mean: the module's ``PUBLISHED_BASIS``.

    ``first_release`` (when the value first became public), ``last_modified`` (a producer's last-modified
    stamp: WHO GHO ``Date``, World Bank ``lastupdated``, a bulk file's generation date), ``document_date``
    (the date of the report stating it). A record without a date is always ``first_seen``.
    """
    module = importlib.import_module(get_parser(source_key).__module__)
    basis: str = getattr(module, "PUBLISHED_BASIS", "last_modified")
    return basis


def tracks_withdrawals(source_key: str) -> bool:
    """Whether a response of this source is complete for its request: the module's ``TRACKS_WITHDRAWALS``.

    True by default: a series a complete response no longer holds was withdrawn by the producer. False for
    search results cut to a number of pages, where a value that drops out was not withdrawn.
    """
    module = importlib.import_module(get_parser(source_key).__module__)
    return bool(getattr(module, "TRACKS_WITHDRAWALS", True))


def get_parser(source_key: str) -> Parser:
    """The parser of a source: the ``parse`` function of module ``cobase.parse.<source_key>``.

    Imported lazily, so one broken parser never blocks the others.
    """
    if not source_key.isidentifier():
        raise ParseError(f"no parser for source {source_key!r}")
    try:
        module = importlib.import_module(f"cobase.parse.{source_key}")
    except ModuleNotFoundError as exc:
        if exc.name == f"cobase.parse.{source_key}":
            raise ParseError(f"no parser for source {source_key!r}") from None
        raise
    parser: Parser = module.parse
    return parser
