"""The register timeline: per country and catalogue item, which products containing the molecule a
national register lists, version by version, and with which status.

A ministry's register is a series of dated versions (``NATREG_STATUS`` observations whose period is the
version date). For one item, a timeline shows each version:

* the products containing the item (the item itself, or a fixed-dose combination having it as a
  component) with their status: ``registered``, ``not_renewed``, ``withdrawn`` (with the withdrawal's date
  and reason, ``NATREG_WITHDRAWAL``), or ``no_longer_listed``: a product an earlier version of the same
  source listed and this one does not, which only the comparison of versions shows, so it is derived here
  from stored versions and never stored (a parser reads one snapshot);
* a **gap** when no product containing the item is registered in that version: « aucun produit contenant
  X n'est enregistré au … » is a dated fact, not a silence.

As of a date D, only the versions that describe D and were not proven published after it count: a
version dated after D, or proven published after D (a ``document_date`` after D), is left out, so an
as-of date between two versions shows the status of the earlier one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from cobase.catalogue import load_catalogue
from cobase.clock import utcnow
from cobase.models import Observation, ObservationCitation, Snapshot, Source
from cobase.parse._register import (
    NO_LONGER_LISTED,
    REGISTERED,
    STATUS,
    WITHDRAWAL,
    WITHDRAWN,
    product_of,
    quote_fields,
)
from cobase.queries import CITATION_JOIN, PUBLIC_URL, as_of_status

REGISTER_SOURCES = ("dz_miph_nomenclature", "tn_dpm_amm")
"""Sources whose ``NATREG_STATUS`` is a national register's version (one product per observation)."""


@dataclass(frozen=True)
class ProductEntry:
    """One product of one version, as the ministry wrote it."""

    product: str
    item: str | None
    status: str
    fields: dict[str, str]
    """The row as written (``NOM DE MARQUE``, ``DCI``, ``DOSAGE``, ``FORME``, ``DETENTEUR``, dates...)."""
    withdrawn_on: tuple[date, date] | None = None
    withdrawal_reason: str | None = None


@dataclass(frozen=True)
class RegisterVersion:
    """One dated version of a register, with its provenance and the products containing the item."""

    source: str
    version_date: date
    published_at: datetime | None
    published_basis: str
    retrieved_at: datetime
    url: str
    snapshot_sha256: str
    as_of_status: str
    products: list[ProductEntry] = field(default_factory=list)

    @property
    def registered(self) -> list[ProductEntry]:
        """The products registered in this version."""
        return [entry for entry in self.products if entry.status == REGISTERED]

    @property
    def is_gap(self) -> bool:
        """No product containing the item is registered in this version."""
        return not self.registered


@dataclass(frozen=True)
class RegisterTimeline:
    """One register's versions for one country and item, as known on ``as_of``."""

    source: str
    country_iso3: str
    item: str
    as_of: date
    versions: list[RegisterVersion]
    later_versions: int = 0
    """Versions left out because they describe a later date or were published after ``as_of``."""

    @property
    def latest(self) -> RegisterVersion | None:
        """The version in force on ``as_of`` (the latest one that counts)."""
        return self.versions[-1] if self.versions else None


def items_containing(item_id: str) -> set[str]:
    """The item and every fixed-dose combination of the catalogue having it as a component."""
    catalogue = load_catalogue()
    return {item_id} | {other.id for other in catalogue.items.values() if item_id in other.components}


def register_timelines(
    session: Session, country_iso3: str, item_id: str, as_of: date | None = None
) -> list[RegisterTimeline]:
    """The timeline of every register holding versions for the country, for one item (none when no
    register covers the country)."""
    return register_timelines_for(session, country_iso3, [item_id], as_of)


def register_timelines_for(
    session: Session, country_iso3: str, item_ids: list[str], as_of: date | None = None
) -> list[RegisterTimeline]:
    """:func:`register_timelines` for several items, reading each register's versions once."""
    day = as_of or utcnow().date()
    known_by = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    timelines = []
    for source_key in REGISTER_SOURCES:
        versions = _versions(session, source_key, country_iso3)
        if not versions:
            continue
        for item_id in item_ids:
            timelines.append(_timeline(session, source_key, country_iso3, item_id, versions, day, known_by))
    return timelines


def _timeline(
    session: Session,
    source_key: str,
    country_iso3: str,
    item_id: str,
    versions: list[RegisterVersion],
    day: date,
    known_by: datetime,
) -> RegisterTimeline:
    wanted = items_containing(item_id)
    products = _products(session, source_key, country_iso3, wanted)
    withdrawals = _withdrawals(session, source_key, country_iso3, wanted)
    kept: list[RegisterVersion] = []
    later = 0
    seen: dict[str, ProductEntry] = {}
    for version in versions:
        rows = products.get(version.version_date, {})
        entries = []
        for breakdown, (status, item, quote) in sorted(rows.items()):
            # Only a version listing the product as withdrawn states its withdrawal.
            when, reason = (
                withdrawals.get(product_of(breakdown), (None, None)) if status == WITHDRAWN else (None, None)
            )
            entries.append(
                ProductEntry(product_of(breakdown), item, status, quote_fields(quote), when, reason)
            )
        listed = {entry.product for entry in entries}
        entries += [
            ProductEntry(product, before.item, NO_LONGER_LISTED, before.fields)
            for product, before in sorted(seen.items())
            if product not in listed
        ]
        for entry in entries:
            if entry.status != NO_LONGER_LISTED:
                seen[entry.product] = entry
        status = as_of_status(version.published_basis, version.published_at, version.retrieved_at, known_by)
        if version.version_date > day or status == "published_after":
            later += 1
            continue
        kept.append(_with(version, status, entries))
    return RegisterTimeline(source_key, country_iso3, item_id, day, kept, later)


def _with(version: RegisterVersion, status: str, products: list[ProductEntry]) -> RegisterVersion:
    return RegisterVersion(
        version.source,
        version.version_date,
        version.published_at,
        version.published_basis,
        version.retrieved_at,
        version.url,
        version.snapshot_sha256,
        status,
        products,
    )


def _source_filter(source_key: str, country_iso3: str, indicator: str) -> list[Any]:
    return [
        Observation.country_iso3 == country_iso3,
        Observation.indicator == indicator,
        Source.key == source_key,
    ]


def _versions(session: Session, source_key: str, country_iso3: str) -> list[RegisterVersion]:
    """Every version of a register for a country: its date and the snapshot that brought it (the first
    retrieval of it, which is what proves it public when the producer gives no date)."""
    query = (
        select(  # type: ignore[call-overload]
            Observation.period_start,
            sa.func.min(Observation.published_at),
            sa.func.min(Observation.published_basis),
            sa.func.min(Snapshot.retrieved_at),
            sa.func.min(PUBLIC_URL),
            sa.func.min(Snapshot.sha256),
        )
        .join(Source, Source.id == Observation.source_id)
        .join(Snapshot, Snapshot.id == Observation.snapshot_id)
        .where(*_source_filter(source_key, country_iso3, STATUS), Observation.is_current == sa.true())
        .group_by(Observation.period_start)
        .order_by(Observation.period_start)
    )
    versions = []
    for period_start, published_at, basis, retrieved_at, url, sha256 in session.exec(query):
        versions.append(
            RegisterVersion(
                source=source_key,
                version_date=_as_date(period_start),
                published_at=_as_datetime(published_at),
                published_basis=basis or "first_seen",
                retrieved_at=_as_datetime(retrieved_at) or utcnow(),
                url=url or "",
                snapshot_sha256=sha256 or "",
                as_of_status="unknown",
            )
        )
    return versions


def _products(
    session: Session, source_key: str, country_iso3: str, items: set[str]
) -> dict[date, dict[str, tuple[str, str | None, str | None]]]:
    """Per version date, per product breakdown: (status, item, quote) of the products of ``items``."""
    query = (
        select(  # type: ignore[call-overload]
            Observation.period_start,
            Observation.breakdown,
            Observation.value_text,
            Observation.item,
            ObservationCitation.quote,
        )
        .join(Source, Source.id == Observation.source_id)
        .outerjoin(ObservationCitation, CITATION_JOIN)
        .where(
            *_source_filter(source_key, country_iso3, STATUS),
            Observation.is_current == sa.true(),
            Observation.item.in_(sorted(items)),  # type: ignore[union-attr]
        )
    )
    found: dict[date, dict[str, tuple[str, str | None, str | None]]] = defaultdict(dict)
    for period_start, breakdown, value, item, quote in session.exec(query):
        found[_as_date(period_start)][breakdown] = (value, item, quote)
    return found


def _withdrawals(
    session: Session, source_key: str, country_iso3: str, items: set[str]
) -> dict[str, tuple[tuple[date, date] | None, str | None]]:
    """Per product: the period and reason of its withdrawal (the latest stated)."""
    query = (
        select(  # type: ignore[call-overload]
            Observation.breakdown, Observation.period_start, Observation.period_end, Observation.value_text
        )
        .join(Source, Source.id == Observation.source_id)
        .where(
            *_source_filter(source_key, country_iso3, WITHDRAWAL),
            Observation.is_current == sa.true(),
            Observation.item.in_(sorted(items)),  # type: ignore[union-attr]
        )
        .order_by(Observation.period_start)
    )
    found: dict[str, tuple[tuple[date, date] | None, str | None]] = {}
    for breakdown, start, end, reason in session.exec(query):
        found[product_of(breakdown)] = ((_as_date(start), _as_date(end)), reason)
    return found


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _as_datetime(value: datetime | str | None) -> datetime | None:
    """Aggregates bypass the column type on SQLite: text comes back, read as naive UTC."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register_gaps(timelines: list[RegisterTimeline], items: Mapping[str, Any], registry: Any) -> list[Any]:
    """A dated gap per register whose version in force lists no registered product containing an item:
    « aucun produit contenant X n'est enregistré au … », a fact with its date, not a silence."""
    from cobase.evidence.model import Gap  # the model module holds timelines: imported when needed

    gaps = []
    for timeline in timelines:
        latest = timeline.latest
        if latest is None or not latest.is_gap:
            continue
        item = items[timeline.item]
        source = registry.sources.get(timeline.source)
        producer = source.producer if source else timeline.source
        day_fr, day_en = latest.version_date.strftime("%d/%m/%Y"), latest.version_date.isoformat()
        gaps.append(
            Gap(
                kind="register",
                id=f"{timeline.source}:{timeline.item}",
                name_fr=item.name_fr,
                name_en=item.name_en,
                message_fr=f"Aucun produit contenant {item.name_fr} n'est enregistré au {day_fr} "
                f"({producer}, version du {day_fr}).",
                message_en=f"No product containing {item.name_en} is registered as of {day_en} "
                f"({producer}, version of {day_en}).",
            )
        )
    return gaps


@dataclass(frozen=True)
class RegisterRow:
    """One product of the version in force of a country's register, for the Pays page's table."""

    source: str
    version_date: date
    product: str
    status: str
    item: str | None
    fields: dict[str, str]
    withdrawn_on: date | None
    withdrawal_reason: str | None
    url: str
    published_basis: str
    retrieved_at: datetime


def country_register(session: Session, country_iso3: str) -> list[RegisterRow]:
    """Every product of the latest version of each register covering the country (all three lists)."""
    rows: list[RegisterRow] = []
    for source_key in REGISTER_SOURCES:
        versions = _versions(session, source_key, country_iso3)
        if not versions:
            continue
        latest = versions[-1]
        withdrawals = {
            product_of(breakdown): (start, reason)
            for breakdown, start, reason in session.exec(
                select(Observation.breakdown, Observation.period_start, Observation.value_text)  # type: ignore[call-overload]
                .join(Source, Source.id == Observation.source_id)
                .where(
                    *_source_filter(source_key, country_iso3, WITHDRAWAL), Observation.is_current == sa.true()
                )
            )
        }
        query = (
            select(Observation.breakdown, Observation.value_text, Observation.item, ObservationCitation.quote)
            .join(Source, Source.id == Observation.source_id)  # type: ignore[arg-type]
            .outerjoin(ObservationCitation, CITATION_JOIN)
            .where(
                *_source_filter(source_key, country_iso3, STATUS),
                Observation.is_current == sa.true(),
                Observation.period_start == latest.version_date,
            )
            .order_by(Observation.breakdown)
        )
        for breakdown, status, item, quote in session.exec(query):
            product = product_of(breakdown)
            withdrawn = withdrawals.get(product) if status == WITHDRAWN else None
            rows.append(
                RegisterRow(
                    source=source_key,
                    version_date=latest.version_date,
                    product=product,
                    status=status,
                    item=item,
                    fields=quote_fields(quote),
                    withdrawn_on=_as_date(withdrawn[0]) if withdrawn else None,
                    withdrawal_reason=withdrawn[1] if withdrawn else None,
                    url=latest.url,
                    published_basis=latest.published_basis,
                    retrieved_at=latest.retrieved_at,
                )
            )
    return rows
