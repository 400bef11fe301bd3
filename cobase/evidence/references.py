"""What a reference needs beyond the value: a page a person can open, the cited document, an archived copy.

The URL a snapshot was fetched from is an API call or a download (a 1,000-row JSON page, a ZIP): a judge
cannot follow it. Each value gets a *landing page* instead, per source:

* WHO GHO: the OData API filtered to the country (``…/api/{CODE}?$filter=SpatialDim eq 'GIN'``), plus the
  indicator's GHO page when sources.yml declares it (``page_url``);
* World Bank: ``https://data.worldbank.org/indicator/{CODE}?locations={ISO2}``;
* ReliefWeb: the report's own page (``url_alias``, read from the kept answer);
* documents and curated findings: the document's own URL, with ``#page=N`` for a PDF;
* UNAIDS AIDSinfo and other sources: the indicator's page when sources.yml declares it (``page_url``),
  else the producer's data portal (``url_main``), never a multi-megabyte download; a national file
  (``kind: file``) is its own page.

Documents and curated findings are cited by their own producer and title, read from their snapshot
(``request_meta``: what sources.yml, ``cobase document add`` or the finding form said). Every URL is a
public http(s) one: a mirror's or a test server's address never reaches a reference.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cobase.archive import captures_for
from cobase.evidence.model import Assessment, Evidence
from cobase.harmonize.countries import resolve_country
from cobase.models import Observation, ObservationCitation, Snapshot
from cobase.models import Source as SourceRow
from cobase.parse.reliefweb_reports import report_pages
from cobase.queries import CITATION_JOIN
from cobase.registry import Registry
from cobase.snapshots import is_public_url, load_body

DOCUMENT_SOURCES = ("documents", "contributed", "reliefweb_reports")
"""Sources whose landing page is one fixed document (a report, an article): an archived copy of it
proves the document itself was public by the capture's date."""

WORLD_BANK_DATA = "https://data.worldbank.org/indicator"

_report_pages_cache: dict[str, dict[str, str]] = {}
"""ReliefWeb report pages per snapshot sha256 (content-addressed, so never stale)."""


@dataclass(frozen=True)
class SnapshotInfo:
    """What a citation needs from a document's snapshot."""

    canonical_url: str | None
    content_type: str | None
    meta: dict[str, Any]


def _is_pdf(url: str, content_type: str | None) -> bool:
    return "pdf" in (content_type or "").lower() or urllib.parse.urlsplit(url).path.lower().endswith(".pdf")


def with_page(url: str, page: int | None, content_type: str | None = None) -> str:
    """``url#page=N`` for a PDF page (browsers open the PDF there); the URL unchanged otherwise."""
    if not url or page is None or not _is_pdf(url, content_type):
        return url
    return f"{url.split('#', 1)[0]}#page={page}"


def landing_url(
    source: str,
    indicator: str,
    country_iso3: str,
    url: str,
    registry: Registry,
    *,
    page: int | None = None,
    breakdown: str = "",
    report_page: str | None = None,
    content_type: str | None = None,
) -> str | None:
    """A public page a person can open for one value; None when none is known (never a private address)."""
    config = registry.sources.get(source)
    declared = config.indicator(indicator) if config else None
    candidate: str | None
    if source == "who_gho" and config is not None:
        query = urllib.parse.quote(f"SpatialDim eq '{country_iso3}'", safe="'")
        candidate = f"{config.canonical_base_url}/api/{urllib.parse.quote(indicator)}?$filter={query}"
    elif source == "worldbank_wdi":
        try:
            iso2 = resolve_country(country_iso3).iso2
        except ValueError:
            iso2 = country_iso3
        candidate = f"{WORLD_BANK_DATA}/{urllib.parse.quote(indicator)}?locations={iso2}"
    elif source == "reliefweb_reports":
        report_id = _breakdown_value(breakdown, "report")
        candidate = report_page or (f"https://reliefweb.int/node/{report_id}" if report_id else None)
    elif source in ("documents", "contributed"):
        candidate = with_page(url, page, content_type)
    elif declared is not None and declared.page_url:
        candidate = declared.page_url
    elif config is not None and config.kind == "file":
        candidate = url  # a national file is its own page
    else:
        # A bulk download (UNAIDS' ZIP, a survey export) or an API page is no page to open: the
        # producer's data portal is, until sources.yml declares the indicator's own page_url.
        candidate = config.url_main if config else url
    return candidate if is_public_url(candidate) else None


def _breakdown_value(breakdown: str, key: str) -> str | None:
    for part in breakdown.split(";"):
        name, _, value = part.partition("=")
        if name.strip() == key and value.strip():
            return value.strip()
    return None


def snapshot_infos(session: Session, evidence: Iterable[Evidence]) -> dict[tuple[str, str], SnapshotInfo]:
    """Snapshot details of the cited documents, keyed by (source, sha256), in one query."""
    wanted = {(e.source, e.snapshot_sha256) for e in evidence if e.source in DOCUMENT_SOURCES}
    if not wanted:
        return {}
    # Core, not ORM: this runs on every assessment and the ORM's per-query cost would dominate.
    rows = (
        session.connection()
        .execute(
            sa.select(
                SourceRow.__table__.c.key,  # type: ignore[attr-defined]
                Snapshot.__table__.c.sha256,  # type: ignore[attr-defined]
                Snapshot.__table__.c.canonical_url,  # type: ignore[attr-defined]
                Snapshot.__table__.c.content_type,  # type: ignore[attr-defined]
                Snapshot.__table__.c.request_meta,  # type: ignore[attr-defined]
            )
            .join_from(Snapshot.__table__, SourceRow.__table__)  # type: ignore[attr-defined]
            .where(Snapshot.__table__.c.sha256.in_(sorted({sha for _, sha in wanted})))  # type: ignore[attr-defined]
            .where(SourceRow.__table__.c.key.in_(sorted({key for key, _ in wanted})))  # type: ignore[attr-defined]
        )
        .all()
    )
    infos: dict[tuple[str, str], SnapshotInfo] = {}
    for key, sha256, canonical, content_type, meta in rows:
        try:
            parsed = json.loads(meta) if meta else {}
        except ValueError:
            parsed = {}
        infos[(key, sha256)] = SnapshotInfo(
            canonical, content_type, parsed if isinstance(parsed, dict) else {}
        )
    return infos


def _reliefweb_pages(session: Session, sha256: str) -> dict[str, str]:
    if sha256 not in _report_pages_cache:
        snapshot = session.exec(select(Snapshot).where(Snapshot.sha256 == sha256)).first()
        try:
            body = load_body(session, snapshot) if snapshot is not None else b""
        except LookupError:
            body = b""
        _report_pages_cache[sha256] = report_pages(body) if body else {}
    return _report_pages_cache[sha256]


def map_evidence(assessment: Assessment, change: Callable[[Evidence], Evidence]) -> Assessment:
    """The assessment with every evidence item (in dimensions, contradictions, stale, published after)
    replaced by ``change(item)``; an item listed in several places is changed once."""
    done: dict[int, Evidence] = {}

    def one(evidence: Evidence) -> Evidence:
        key = id(evidence)
        if key not in done:
            done[key] = change(evidence)
        return done[key]

    def many(items: list[Evidence]) -> list[Evidence]:
        return [one(e) for e in items]

    dimensions = [
        d.model_copy(update={"evidence": many(d.evidence), "latest": many(d.latest)})
        for d in assessment.dimensions
    ]
    contradictions = [c.model_copy(update={"sides": many(c.sides)}) for c in assessment.contradictions]
    return assessment.model_copy(
        update={
            "dimensions": dimensions,
            "contradictions": contradictions,
            "stale": many(assessment.stale),
            "published_after_as_of": many(assessment.published_after_as_of),
        }
    )


def all_evidence(assessment: Assessment) -> list[Evidence]:
    """Every evidence item of an assessment, wherever it is listed (may repeat)."""
    found: list[Evidence] = []
    for dimension in assessment.dimensions:
        found += dimension.evidence + dimension.latest
    for contradiction in assessment.contradictions:
        found += contradiction.sides
    return found + assessment.stale + assessment.published_after_as_of


def with_references(session: Session, assessment: Assessment, registry: Registry) -> Assessment:
    """The assessment with each item's landing page, cited document and archived copy filled in.

    Items of one series share their snapshot and landing page, so what they need is worked out once per
    (source, indicator, snapshot, url, page, breakdown) and each item is copied once.
    """
    everything = all_evidence(assessment)
    if not everything:
        return assessment
    infos = snapshot_infos(session, everything)
    iso3 = assessment.country_iso3
    updates: dict[tuple[object, ...], dict[str, object]] = {}

    def key(evidence: Evidence) -> tuple[object, ...]:
        breakdown = evidence.breakdown if evidence.source == "reliefweb_reports" else ""
        return (
            evidence.source,
            evidence.indicator,
            evidence.snapshot_sha256,
            evidence.url,
            evidence.page,
            breakdown,
        )

    for evidence in everything:
        wanted = key(evidence)
        if wanted in updates:
            continue
        info = infos.get((evidence.source, evidence.snapshot_sha256))
        meta = info.meta if info else {}
        report_page = None
        title = meta.get("title") if isinstance(meta.get("title"), str) else None
        producer = meta.get("producer") if isinstance(meta.get("producer"), str) else None
        if evidence.source == "reliefweb_reports":
            report_id = _breakdown_value(evidence.breakdown, "report")
            report_page = _reliefweb_pages(session, evidence.snapshot_sha256).get(report_id or "")
            title = title or evidence.value
            producer = producer or _breakdown_value(evidence.breakdown, "source")
        url = evidence.url if is_public_url(evidence.url) else ""
        config = registry.sources.get(evidence.source)
        declared = config.indicator(evidence.indicator) if config else None
        updates[wanted] = {
            "url": url,
            "landing_url": landing_url(
                evidence.source,
                evidence.indicator,
                iso3,
                url,
                registry,
                page=evidence.page,
                breakdown=evidence.breakdown,
                report_page=report_page,
                content_type=info.content_type if info else None,
            ),
            "indicator_page_url": declared.page_url
            if declared and is_public_url(declared.page_url)
            else None,
            "document_title": title,
            "document_producer": producer,
        }
    urls = {str(u) for update in updates.values() for u in (update["landing_url"], update["url"]) if u}
    captures = captures_for(session, urls)
    for update in updates.values():
        for address in (update["landing_url"], update["url"]):
            capture = captures.get(str(address or ""))
            if capture is not None and capture.earliest_url and capture.earliest_at:
                update["archived_url"], update["archived_at"] = capture.earliest_url, capture.earliest_at
                break
    return map_evidence(assessment, lambda evidence: evidence.model_copy(update=updates[key(evidence)]))


def cited_urls(session: Session, registry: Registry, source: str | None = None) -> list[str]:
    """The landing pages (and document URLs) cobase's references point to, for current values.

    ``source`` restricts them to one source. What ``cobase archive`` looks up in the Wayback Machine.
    """
    query = (
        select(  # type: ignore[call-overload]
            SourceRow.key,
            Observation.indicator,
            Observation.country_iso3,
            Observation.breakdown,
            ObservationCitation.page,
            Snapshot.sha256,
            Snapshot.canonical_url,
            Snapshot.content_type,
        )
        .join(SourceRow, col(SourceRow.id) == col(Observation.source_id))
        .join(Snapshot, col(Snapshot.id) == col(Observation.snapshot_id))
        .outerjoin(ObservationCitation, CITATION_JOIN)
        .where(col(Observation.is_current))
        .distinct()
    )
    if source:
        query = query.where(SourceRow.key == source)
    urls: set[str] = set()
    for key, indicator, iso3, breakdown, page, sha256, canonical, content_type in session.exec(query):
        report_page = None
        if key == "reliefweb_reports":
            report_page = _reliefweb_pages(session, sha256).get(_breakdown_value(breakdown, "report") or "")
        landing = landing_url(
            key,
            indicator,
            iso3,
            canonical or "",
            registry,
            page=page,
            breakdown=breakdown,
            report_page=report_page,
            content_type=content_type,
        )
        urls.update(u.split("#", 1)[0] for u in (landing, canonical) if u and is_public_url(u))
    return sorted(urls)
