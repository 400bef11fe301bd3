"""Curated findings: evidence a physician or association doctor adds by hand, with its own provenance.

A finding ("ruptures de stock de dolutégravir à Conakry, mars 2024") cites a document (a URL, or a file
the user uploads), a page and a quote. It is stored as an observation of the ``contributed`` source, on a
snapshot of that document, with who entered it and when, and ``review_status`` ``contributed`` (its quote,
page, status and contributor in the version's ``observation_citation`` row). Confirming
or retracting it adds a new version that supersedes the previous one, so the history is kept; a retracted
finding stops counting as evidence but stays in the store.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cobase.access import same_person
from cobase.clock import BadDateError, month_period, utcnow, year_period
from cobase.harmonize.countries import resolve_country
from cobase.harmonize.medicines import resolve_item
from cobase.harmonize.records import ObservationIn
from cobase.ingest import ingest_observations
from cobase.models import NO_CITATION, CitationBase, Observation, ObservationCitation, Snapshot
from cobase.models import Source as SourceRow
from cobase.queries import CITATION_JOIN
from cobase.registry import AccessDimension
from cobase.snapshots import DocumentFetchError, fetch_document, is_web_url, store_snapshot
from cobase.webfetch import UnsafeFetchError
from crawlers.items import RawResponse

SOURCE_KEY = "contributed"
INDICATOR_PREFIX = "FINDING_"
DIMENSIONS = tuple(d.value for d in AccessDimension if d is not AccessDimension.context)
"""Access dimensions a finding can document (the evidence engine's, without context)."""


class FindingError(ValueError):
    """A finding cannot be recorded or changed; the message says why."""


@dataclass(frozen=True)
class Finding:
    """A curated finding in its current version, with its history length."""

    finding_id: str
    observation_id: int
    country_iso3: str
    dimension: str
    item: str | None
    statement: str
    quote: str | None
    page: int | None
    period_start: date
    period_end: date
    published_at: datetime | None
    contributed_by: str | None
    status: str
    recorded_at: datetime
    url: str
    snapshot_sha256: str
    versions: int
    document_title: str | None = None
    document_producer: str | None = None


def indicator_for(dimension: str) -> str:
    """The indicator code under which findings about an access dimension are stored."""
    return f"{INDICATOR_PREFIX}{dimension.upper()}"


def finding_indicators() -> list[tuple[str, str, str]]:
    """(source key, indicator, dimension) for every dimension a finding can document."""
    return [(SOURCE_KEY, indicator_for(name), name) for name in DIMENSIONS]


def parse_period(text: str) -> tuple[date, date]:
    """``2024``, ``2024-03`` or ``2024-03-15`` as (first day, last day)."""
    cleaned = text.strip()
    try:
        if re.fullmatch(r"\d{4}", cleaned):
            return year_period(int(cleaned))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", cleaned):
            return month_period(int(m.group(1)), int(m.group(2)))
        day = date.fromisoformat(cleaned)
        return day, day
    except ValueError as exc:
        raise BadDateError(f"not a year, month or day (YYYY, YYYY-MM, YYYY-MM-DD): {text!r}") from exc


def _source_row(session: Session) -> SourceRow:
    row = session.exec(select(SourceRow).where(SourceRow.key == SOURCE_KEY)).first()
    if row is None:
        row = SourceRow(
            key=SOURCE_KEY,
            producer="Contributeurs cobase / cobase contributors",
            title="Constats vérifiés ajoutés par des médecins / Curated findings",
            url_main="",
            licence_name="as cited",
        )
        session.add(row)
        session.flush()
    return row


def add_finding(
    session: Session,
    *,
    country: str,
    dimension: str,
    statement: str,
    period: str,
    contributed_by: str,
    title: str,
    producer: str,
    url: str | None = None,
    file: Path | None = None,
    file_name: str | None = None,
    item: str | None = None,
    quote: str | None = None,
    page: int | None = None,
    published: date | None = None,
    fetch_timeout: float = 30.0,
    url_fetcher: Callable[[str], RawResponse] | None = None,
) -> Finding:
    """Record a finding on a snapshot of its document; return it. Everything is checked before writing.

    ``title`` and ``producer`` are the cited document's own (the finding is cited by them, its contributor
    shown as « relevé par … »); ``url`` must be an http(s) address; an uploaded ``file`` without one is
    recorded under its name (``upload:<file_name>``), never a path on this machine. ``url_fetcher``
    replaces the plain fetch of ``url`` when no file is given: the app passes
    :func:`cobase.webfetch.user_url_fetcher`, so a server fetches only public addresses, if at all.
    """
    if dimension not in DIMENSIONS:
        raise FindingError(f"unknown dimension {dimension!r}; choose one of: {', '.join(DIMENSIONS)}")
    if not statement.strip():
        raise FindingError("a finding needs a statement (what the document says)")
    if not contributed_by.strip():
        raise FindingError("a finding needs the name of who enters it (--by)")
    if not title.strip():
        raise FindingError("indiquez le titre du document cité (--title) / give the cited document's title")
    if not producer.strip():
        raise FindingError(
            "indiquez qui a publié le document cité (--producer) / give who published the cited document"
        )
    url = url.strip() if url else None
    if url and not is_web_url(url):
        raise FindingError(
            f"l'adresse du document doit commencer par http:// ou https:// (reçu {url[:60]!r}) / "
            "the document URL must start with http:// or https://"
        )
    if page is not None and page < 1:
        raise FindingError(f"page numbers start at 1, not {page}")
    iso3 = resolve_country(country).iso3
    item_id = resolve_item(item).item.id if item else None
    period_start, period_end = parse_period(period)
    try:
        if file is None and url and url_fetcher is not None:
            raw = url_fetcher(url)
        else:
            raw = fetch_document(SOURCE_KEY, url, file, fetch_timeout)
    except (DocumentFetchError, UnsafeFetchError) as exc:
        raise FindingError(str(exc)) from exc
    if not url and file is not None:
        raw.url = f"upload:{file_name or file.name}"  # the name the user gave, never a server path
    raw.request_meta = {
        "title": " ".join(title.split()),
        "producer": " ".join(producer.split()),
        "published": published.isoformat() if published else None,
    }
    source = _source_row(session)
    snapshot = store_snapshot(session, source, raw).snapshot
    if not snapshot.request_meta:  # kept before documents were cited by title: fill it in once
        snapshot.request_meta = json.dumps(raw.request_meta, sort_keys=True)
        session.add(snapshot)
    finding_id = secrets.token_hex(4)
    published_at = datetime.combine(published, datetime.min.time(), tzinfo=UTC) if published else None
    assert source.id is not None and snapshot.id is not None
    ingest_observations(
        session,
        source_id=source.id,
        snapshot_id=snapshot.id,
        retrieved_at=utcnow(),
        rows=[
            ObservationIn(
                country_iso3=iso3,
                indicator=indicator_for(dimension),
                period_start=period_start,
                period_end=period_end,
                value_text=statement.strip(),
                breakdown=f"finding={finding_id}",
                published_at=published_at,
                published_basis="document_date" if published_at else None,
                item=item_id,
                quote=" ".join(quote.split()) if quote else None,
                page=page,
                review_status="contributed",
                contributed_by=contributed_by.strip(),
            )
        ],
    )
    return get_finding(session, finding_id)


_Version = tuple[Observation, CitationBase, Snapshot]
"""One stored version of a finding: the observation, its citation (quote, page, status, who) and document."""


def _read_versions(session: Session, which: sa.ColumnElement[bool]) -> dict[str, list[_Version]]:
    """Every version of the findings ``which`` selects (on their breakdown), per breakdown, oldest first.

    One statement, whatever the number of findings: the citation is outer-joined (a version stored
    without one reads as empty) and the document joined, as the evidence engine reads observations.
    """
    query = (
        select(Observation, ObservationCitation, Snapshot)
        .join(Snapshot, col(Snapshot.id) == col(Observation.snapshot_id))
        .outerjoin(ObservationCitation, CITATION_JOIN)
        .where(which)
        .order_by(col(Observation.id))
    )
    found: dict[str, list[_Version]] = {}
    for observation, citation, snapshot in session.exec(query):
        found.setdefault(observation.breakdown, []).append((observation, citation or NO_CITATION, snapshot))
    return found


def _versions(session: Session, finding_id: str) -> list[_Version]:
    if not re.fullmatch(r"[0-9a-f]{8}", finding_id):
        raise FindingError(f"not a finding id: {finding_id!r} (8 hexadecimal characters)")
    breakdown = f"finding={finding_id}"
    versions = _read_versions(session, col(Observation.breakdown) == breakdown)
    if not versions:
        raise FindingError(f"no finding {finding_id!r}")
    return versions[breakdown]


def _as_finding(finding_id: str, versions: list[_Version]) -> Finding:
    current, citation, snapshot = next((v for v in versions if v[0].is_current), versions[-1])
    assert current.id is not None
    try:
        meta = json.loads(snapshot.request_meta) if snapshot.request_meta else {}
    except ValueError:
        meta = {}
    return Finding(
        finding_id=finding_id,
        observation_id=current.id,
        country_iso3=current.country_iso3,
        dimension=current.indicator.removeprefix(INDICATOR_PREFIX).lower(),
        item=current.item,
        statement=current.value_text,
        quote=citation.quote,
        page=citation.page,
        period_start=current.period_start,
        period_end=current.period_end,
        published_at=current.published_at,
        contributed_by=citation.contributed_by,
        status=citation.review_status or "contributed",
        recorded_at=current.retrieved_at,
        url=snapshot.canonical_url or snapshot.url,
        snapshot_sha256=snapshot.sha256,
        versions=len(versions),
        document_title=meta.get("title"),
        document_producer=meta.get("producer"),
    )


def get_finding(session: Session, finding_id: str) -> Finding:
    """The current version of a finding."""
    return _as_finding(finding_id, _versions(session, finding_id))


_KEPT_BY_A_REVIEW = tuple(
    field.name
    for field in dataclass_fields(ObservationIn)
    if field.name in Observation.model_fields and field.name not in CitationBase.model_fields
)
"""What a confirmation or retraction copies from the version it supersedes: every stored field of the
value (its citation, reviewer and status are the new version's own)."""


def set_status(session: Session, finding_id: str, status: str, by: str) -> Finding:
    """Confirm or retract a finding: a new version supersedes the current one, which is kept."""
    if status not in ("confirmed", "retracted"):
        raise FindingError(f"status must be confirmed or retracted, not {status!r}")
    if not by.strip():
        raise FindingError("say who confirms or retracts the finding (--by)")
    versions = _versions(session, finding_id)
    current, citation, _snapshot = next(v for v in versions if v[0].is_current)
    entered_by = versions[0][1].contributed_by
    if status == "confirmed" and same_person(entered_by, by):
        # A confirmation is a second pair of eyes; whoever entered the finding cannot give it.
        raise FindingError(
            f"le constat {finding_id} a été saisi par {entered_by} : une autre personne doit le confirmer / "
            "a finding cannot be confirmed by the person who entered it"
        )
    if citation.review_status == status:
        raise FindingError(f"finding {finding_id} is already {status}")
    if citation.review_status == "retracted":
        raise FindingError(f"finding {finding_id} was retracted; add a new finding instead")
    # The ingestion path supersedes the current version and keeps it, as for a producer's revision.
    ingest_observations(
        session,
        source_id=current.source_id,
        snapshot_id=current.snapshot_id,
        retrieved_at=utcnow(),
        rows=[
            ObservationIn(
                **{name: getattr(current, name) for name in _KEPT_BY_A_REVIEW},
                quote=citation.quote,
                page=citation.page,
                review_status=status,
                contributed_by=by.strip(),
            )
        ],
    )
    session.expire_all()  # the versions were changed by bulk statements, not through the ORM
    return get_finding(session, finding_id)


def list_findings(
    session: Session, country_iso3: str | None = None, include_retracted: bool = False
) -> list[Finding]:
    """Current findings, newest period first (retracted ones only when asked); one query for them all."""
    query = select(Observation.breakdown).where(
        col(Observation.breakdown).startswith("finding="), col(Observation.is_current)
    )
    if country_iso3:
        query = query.where(Observation.country_iso3 == country_iso3)
    findings = [
        _as_finding(breakdown.removeprefix("finding="), versions)
        for breakdown, versions in _read_versions(session, col(Observation.breakdown).in_(query)).items()
    ]
    if not include_retracted:
        findings = [f for f in findings if f.status != "retracted"]
    return sorted(findings, key=lambda f: (f.period_start, f.finding_id), reverse=True)
