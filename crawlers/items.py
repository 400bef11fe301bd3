"""What spiders yield: raw responses as fetched, and failures to fetch.

Spiders know nothing about the database or about countries and units: cobase keeps each
:class:`RawResponse` as a snapshot before parsing anything out of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def retrieval_time() -> str:
    """Now, aware UTC, ISO 8601: when a response was received."""
    return datetime.now(UTC).isoformat()


@dataclass
class RawResponse:
    """One HTTP response body exactly as received, with what was asked for."""

    source: str
    url: str
    status: int
    body: bytes
    content_type: str | None
    retrieved_at: str
    headers: dict[str, str] = field(default_factory=dict)
    request_meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class FetchFailure:
    """A request that failed for good (after retries): HTTP error, timeout, DNS, malformed body."""

    source: str
    url: str
    error: str
    request_meta: dict[str, Any] = field(default_factory=dict)
