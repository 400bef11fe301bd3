"""Archived copies of cited pages: the Internet Archive's Wayback Machine, through the ``wayback`` client.

``cobase archive`` looks each cited URL up in the CDX API and records its earliest and latest capture
(timestamp, archived URL, HTTP status, digest) in ``archive_capture``. The earliest capture proves that
the page was public by its date (the as-of counts it as ``published_by`` evidence for a document); the
archived URL lets a reader open the page if the producer removes it.

The service is the ``internet_archive`` entry of sources.yml: its ``base_url`` (by default
``https://web.archive.org``) can point at a local server replaying recorded answers; archived URLs are
always written on ``canonical_base_url``, the public Wayback Machine. ``--save`` asks Save Page Now to
capture URLs that have none: politely (one request at a time, spaced out), and a refusal is recorded
with its message, never an error that stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import requests
import sqlalchemy as sa
import wayback
from sqlmodel import Session, select
from wayback import exceptions as wayback_errors

from cobase.clock import as_utc, utcnow
from cobase.models import ArchiveCapture
from cobase.registry import Registry
from cobase.snapshots import is_public_url

SERVICE_KEY = "internet_archive"
PUBLIC_WAYBACK = "https://web.archive.org"
USER_AGENT = "cobase/0.1 (+https://github.com/cobase; citations of public health-access sources)"
SAVE_DELAY_SECONDS = 10.0
"""Pause between two Save Page Now requests (the service allows a few per minute to anonymous users)."""
LATEST_SCAN = 200
"""Capture rows read from the newest-first answer to find the latest capture."""


class ArchiveError(RuntimeError):
    """The archive service cannot be used; the message says why in one sentence."""


def archive_key(url: str) -> str:
    """The URL as the Wayback Machine knows it: without its fragment (``#page=3`` is the reader's)."""
    return url.split("#", 1)[0]


class _RebasedSession(wayback.WaybackSession):
    """A Wayback session whose requests go to ``base_url`` (a mirror, a local test server)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(user_agent=USER_AGENT, **kwargs)
        self._base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if self._base_url != PUBLIC_WAYBACK and url.startswith(PUBLIC_WAYBACK):
            url = self._base_url + url[len(PUBLIC_WAYBACK) :]
        response: requests.Response = super().request(method, url, *args, **kwargs)
        return response


@dataclass(frozen=True)
class Capture:
    """One Wayback capture of a URL."""

    timestamp: datetime
    archived_url: str
    status: int | None
    digest: str


@dataclass
class ArchiveSummary:
    """What one ``cobase archive`` run did."""

    looked_up: int = 0
    with_capture: int = 0
    without_capture: int = 0
    saved: int = 0
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _capture(record: Any, canonical_base: str) -> Capture:
    stamp = record.timestamp.strftime("%Y%m%d%H%M%S")
    return Capture(
        timestamp=as_utc(record.timestamp),
        archived_url=f"{canonical_base}/web/{stamp}/{record.original}",
        status=record.statuscode,
        digest=record.digest,
    )


def client_for(registry: Registry, rate_limit: bool = True) -> tuple[wayback.WaybackClient, str]:
    """A Wayback client on the ``internet_archive`` base_url, and the public base archived URLs use."""
    config = registry.get(SERVICE_KEY)
    # The Internet Archive's own limits (the client's defaults) bind on the public service; a local
    # replay or a mirror of one's own needs none.
    polite = rate_limit and config.base_url == PUBLIC_WAYBACK
    limits: dict[str, Any] = {} if polite else {"search_calls_per_second": 0, "memento_calls_per_second": 0}
    session = _RebasedSession(config.base_url, retries=2, timeout=30, **limits)
    return wayback.WaybackClient(session), config.canonical_base_url or PUBLIC_WAYBACK


def lookup(
    client: wayback.WaybackClient, url: str, canonical_base: str
) -> tuple[Capture | None, Capture | None]:
    """The earliest and latest capture of ``url`` (None, None when the archive holds none).

    Two small queries: the first row in time order (``limit=1``), and the newest rows (``limit=-1``,
    ``fast_latest``). Only the first page of each is read, so a page captured a million times costs two
    requests.
    """
    key = archive_key(url)
    earliest_rows = list(islice(client.search(key, limit=1), 1))
    if not earliest_rows:
        return None, None
    latest_rows = list(islice(client.search(key, limit=-1, fast_latest=True), LATEST_SCAN))
    rows = earliest_rows + latest_rows
    earliest = min(rows, key=lambda r: r.timestamp)
    latest = max(rows, key=lambda r: r.timestamp)
    return _capture(earliest, canonical_base), _capture(latest, canonical_base)


def record(session: Session, url: str, earliest: Capture | None, latest: Capture | None) -> ArchiveCapture:
    """Store what the archive holds of ``url`` (one row per URL, updated by each lookup)."""
    key = archive_key(url)
    row = session.exec(select(ArchiveCapture).where(ArchiveCapture.url == key)).first()
    if row is None:
        row = ArchiveCapture(url=key, checked_at=utcnow())
    row.checked_at = utcnow()
    # A capture once seen stays proof even if a later lookup misses it (the archive can hide pages).
    if earliest is not None and (row.earliest_at is None or earliest.timestamp < row.earliest_at):
        row.earliest_at, row.earliest_url = earliest.timestamp, earliest.archived_url
        row.earliest_status, row.earliest_digest = earliest.status, earliest.digest
    if latest is not None and (row.latest_at is None or latest.timestamp >= row.latest_at):
        row.latest_at, row.latest_url = latest.timestamp, latest.archived_url
        row.latest_status, row.latest_digest = latest.status, latest.digest
    session.add(row)
    session.flush()
    return row


def captures_for(session: Session, urls: Iterable[str]) -> dict[str, ArchiveCapture]:
    """The recorded captures of ``urls`` (fragments ignored), keyed by the URL as given."""
    wanted = {url: archive_key(url) for url in urls if url}
    if not wanted:
        return {}
    # Core, not ORM: assessments call this every time, and most stores have looked nothing up yet.
    table = ArchiveCapture.__table__  # type: ignore[attr-defined]
    rows = (
        session.connection()
        .execute(sa.select(table).where(table.c.url.in_(sorted(set(wanted.values())))))
        .all()
    )
    by_key = {row.url: ArchiveCapture.model_validate(row._mapping) for row in rows}
    return {url: by_key[key] for url, key in wanted.items() if key in by_key}


def earliest_captures(session: Session, urls: Iterable[str]) -> dict[str, datetime]:
    """Per URL, the date of its earliest recorded Wayback capture (URLs never captured are absent)."""
    return {
        url: row.earliest_at
        for url, row in captures_for(session, urls).items()
        if row.earliest_at is not None
    }


def save_page(client: wayback.WaybackClient, registry: Registry, url: str) -> str:
    """Ask Save Page Now to capture ``url``; return what the service answered, in one sentence."""
    config = registry.get(SERVICE_KEY)
    target = f"{config.base_url}/save/{archive_key(url)}"
    too_many = "refusé : trop de demandes, réessayez plus tard / refused: too many requests, try later"
    try:
        response = client.session.request("GET", target, allow_redirects=False)
    except wayback_errors.RateLimitError:
        return too_many
    except (requests.RequestException, wayback_errors.WaybackException) as exc:
        return f"Save Page Now injoignable / unreachable: {exc.__class__.__name__}"
    if response.status_code in (200, 201, 302):
        return "demandé / requested"
    if response.status_code == 429:
        return too_many
    return f"refusé par le service (HTTP {response.status_code}) / refused by the service"


def archive_urls(
    session: Session,
    registry: Registry,
    urls: Iterable[str],
    *,
    save: bool = False,
    rate_limit: bool = True,
    progress: Callable[[str, ArchiveCapture | None], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ArchiveSummary:
    """Look each URL up in the Wayback Machine, record its captures; with ``save``, ask for missing ones."""
    client, canonical_base = client_for(registry, rate_limit)
    summary = ArchiveSummary()
    saves = 0
    for url in sorted({archive_key(u) for u in urls if is_public_url(u)}):
        summary.looked_up += 1
        try:
            earliest, latest = lookup(client, url, canonical_base)
        except (requests.RequestException, wayback_errors.WaybackException) as exc:
            summary.errors.append(f"{url}: {_describe(exc)}")
            if progress:
                progress(url, None)
            continue
        row = record(session, url, earliest, latest)
        if earliest is not None:
            summary.with_capture += 1
        else:
            summary.without_capture += 1
            if save:
                if saves and rate_limit and registry.get(SERVICE_KEY).base_url == PUBLIC_WAYBACK:
                    sleep(SAVE_DELAY_SECONDS)
                saves += 1
                message = save_page(client, registry, url)
                row.save_requested_at, row.save_message = utcnow(), message
                session.add(row)
                if message.startswith("demandé"):
                    summary.saved += 1
                else:
                    summary.refused.append(f"{url}: {message}")
        if progress:
            progress(url, row)
    return summary


def _describe(exc: Exception) -> str:
    if isinstance(exc, wayback_errors.BlockedSiteError):
        return "le site a demandé à l'Internet Archive de ne pas montrer ses copies / blocked by the site"
    if isinstance(exc, wayback_errors.BlockedByRobotsError):
        return "copies masquées par le robots.txt du site / blocked by robots.txt"
    if isinstance(exc, requests.RequestException):
        return f"Internet Archive injoignable / unreachable ({exc.__class__.__name__})"
    return f"réponse inattendue de l'Internet Archive / unexpected answer ({exc})"
