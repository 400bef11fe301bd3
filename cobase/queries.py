"""Read functions over the store: what the CLI prints and the app shows.

Every row handed out carries its provenance (source, snapshot hash, URL, period, publication and
retrieval dates): there are no bare numbers in cobase.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from cobase.demonstration import MARK_KEY as DEMONSTRATION_MARK
from cobase.models import Observation, RefreshRun, Snapshot, Source
from cobase.processing import PROCESSING_VERSION, PRODUCER_DATED_BASES, RELEASE_BASES
from cobase.runs import interrupted_message, last_seen_alive, live_holder, run_is_alive

OBSERVATION_COLUMNS = (
    "country_iso3",
    "source",
    "indicator",
    "dimension",
    "period_start",
    "period_end",
    "value",
    "unit",
    "published_at",
    "retrieved_at",
    "snapshot_sha256",
    "url",
    "item",
    "quote",
)
"""CSV columns of ``cobase observations``, in this order (users' scripts rely on it): new columns are only
ever added at the end (``item`` and ``quote`` read a register's row back from the command line)."""


PUBLIC_URL = sa.func.coalesce(Snapshot.canonical_url, "").label("url")
"""A snapshot's URL as users see it: the producer's public address, never the mirror or local server
it was fetched from (empty when none is known)."""


@dataclass(frozen=True)
class ObservationRow:
    """One stored value with its provenance, as shown to users."""

    country_iso3: str
    source: str
    indicator: str
    dimension: str
    period_start: date
    period_end: date
    value: str
    value_num: float | None
    unit: str | None
    published_at: datetime | None
    retrieved_at: datetime
    snapshot_sha256: str
    url: str
    is_current: bool
    item: str | None = None
    quote: str | None = None

    def as_record(self) -> dict[str, Any]:
        """The row in the documented column order, dates as ISO 8601 text."""
        data = asdict(self)
        out: dict[str, Any] = {}
        for column in OBSERVATION_COLUMNS:
            value = data[column]
            out[column] = value.isoformat() if isinstance(value, date | datetime) else value
        return out


@dataclass(frozen=True)
class SourceStatus:
    """Freshness of one source, for ``cobase status`` and the app's Sources page."""

    source: str
    title: str
    producer: str
    licence: str
    last_run_status: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    observations: int
    newest_period: date | None
    newest_published_at: datetime | None
    observations_older_processing: int = 0
    """Current observations produced by an older processing version (``cobase rebuild`` updates them)."""
    last_seen_alive_at: datetime | None = None
    """For a run whose process is gone (``interrupted``) or still running: when it was last seen alive."""
    last_warnings: str | None = None
    """The warnings of the last run, one per line (an answer thinner than the previous one: a possible
    renamed field or withdrawn series, an indicator absent from a year's file); None when it had none."""

    def as_record(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO 8601)."""
        return {
            key: value.isoformat() if isinstance(value, date | datetime) else value
            for key, value in asdict(self).items()
        }


def source_status(session: Session) -> list[SourceStatus]:
    """Per source: last successful refresh, last error, observation count, newest period and publication."""
    statuses: list[SourceStatus] = []
    # A run left "running" by a killed process is shown interrupted (the next refresh records it so).
    holder = live_holder(session.connection())
    for source in session.exec(select(Source).order_by(Source.key)).all():
        if source.key == DEMONSTRATION_MARK:  # the store's mark, not a source
            continue
        runs = select(RefreshRun).where(RefreshRun.source_id == source.id)
        last_run = session.exec(runs.order_by(RefreshRun.started_at.desc())).first()  # type: ignore[attr-defined]
        last_success = session.exec(
            runs.where(RefreshRun.status == "success").order_by(RefreshRun.started_at.desc())  # type: ignore[attr-defined]
        ).first()
        last_failure = session.exec(
            runs.where(col(RefreshRun.status).in_(("failed", "interrupted"))).order_by(
                RefreshRun.started_at.desc()  # type: ignore[attr-defined]
            )
        ).first()
        last_run_status = last_run.status if last_run else None
        seen_alive = None
        last_error = last_failure.error if last_failure else None
        last_error_at = last_failure.started_at if last_failure else None
        if last_run is not None and last_run.status in ("running", "interrupted"):
            seen_alive = last_seen_alive(last_run)
            if last_run.status == "running" and not run_is_alive(last_run, holder):
                # Shown, not written: status only reads (a read-only store included).
                last_run_status = "interrupted"
                last_error, last_error_at = interrupted_message(last_run), last_run.started_at
        count, newest_period, newest_published, older = session.exec(
            select(
                func.count(col(Observation.id)),
                func.max(Observation.period_end),
                func.max(Observation.published_at),
                func.sum(sa.case((col(Observation.processing_version) < PROCESSING_VERSION, 1), else_=0)),
            ).where(Observation.source_id == source.id, Observation.is_current == sa.true())
        ).one()
        if isinstance(newest_published, str):  # aggregate results bypass the column type on SQLite
            newest_published = datetime.fromisoformat(newest_published)
        if isinstance(newest_period, str):
            newest_period = date.fromisoformat(newest_period)
        statuses.append(
            SourceStatus(
                source=source.key,
                title=source.title,
                producer=source.producer,
                licence=source.licence_name,
                last_run_status=last_run_status,
                last_run_at=last_run.started_at if last_run else None,
                last_success_at=(last_success.finished_at or last_success.started_at)
                if last_success
                else None,
                last_error=last_error,
                last_error_at=last_error_at,
                observations=int(count or 0),
                newest_period=newest_period,
                newest_published_at=_aware(newest_published),
                # Curated findings are typed by people, not produced by our parsers.
                observations_older_processing=int(older or 0) if source.key != "contributed" else 0,
                last_seen_alive_at=seen_alive,
                last_warnings=last_run.warnings if last_run else None,
            )
        )
    return statuses


def _aware(value: datetime | None) -> datetime | None:
    from cobase.clock import as_utc

    return None if value is None else as_utc(value)


def list_observations(
    session: Session,
    *,
    country_iso3: str | None = None,
    source: str | None = None,
    indicator: str | None = None,
    all_versions: bool = False,
) -> Iterator[ObservationRow]:
    """Stored observations with provenance, newest period first within each series group.

    By default only current values; ``all_versions`` adds superseded ones (a producer's earlier values).
    """
    query = (
        select(Observation, Source.key, Snapshot.sha256, PUBLIC_URL)
        .join(Source, Source.id == Observation.source_id)  # type: ignore[arg-type]
        .join(Snapshot, Snapshot.id == Observation.snapshot_id)  # type: ignore[arg-type]
    )
    if country_iso3:
        query = query.where(Observation.country_iso3 == country_iso3)
    if source:
        query = query.where(Source.key == source)
    if indicator:
        query = query.where(Observation.indicator == indicator)
    if not all_versions:
        query = query.where(Observation.is_current == sa.true())
    query = query.order_by(
        Observation.country_iso3,
        Source.key,
        Observation.indicator,
        Observation.dimension,
        col(Observation.period_start),
        col(Observation.id),
    )
    for observation, source_key, sha256, url in session.exec(query):
        yield ObservationRow(
            country_iso3=observation.country_iso3,
            source=source_key,
            indicator=observation.indicator,
            dimension=observation.dimension,
            period_start=observation.period_start,
            period_end=observation.period_end,
            value=observation.value_text,
            value_num=observation.value_num,
            unit=observation.unit,
            published_at=observation.published_at,
            retrieved_at=observation.retrieved_at,
            snapshot_sha256=sha256,
            url=url,
            is_current=observation.is_current,
            item=observation.item,
            quote=observation.quote,
        )


COUNTRY_CODES_WITH_CURRENT_DATA = sa.text(
    """
    WITH RECURSIVE country_code(code) AS (
        SELECT MIN(country_iso3) FROM observation
        UNION ALL
        SELECT (SELECT MIN(country_iso3) FROM observation WHERE country_iso3 > country_code.code)
        FROM country_code WHERE country_code.code IS NOT NULL
    )
    SELECT code FROM country_code
    WHERE code IS NOT NULL
      AND EXISTS (SELECT 1 FROM observation WHERE country_iso3 = code AND is_current = :current)
    """
).bindparams(sa.bindparam("current", True, type_=sa.Boolean()))
"""A "loose index scan": one index seek per distinct country on ``ix_observation_country_indicator``
(a couple of hundred seeks), then one current row sought per country, where ``SELECT DISTINCT`` read
every current row of the store (2.2 s at 5 million observations, 11-13 s on a 4x production store)."""


def countries_with_data(session: Session) -> list[str]:
    """ISO3 codes that have at least one current observation, in code order.

    Its cost follows the number of countries, not the size of the store: the app's first page calls it.
    """
    return sorted(session.exec(COUNTRY_CODES_WITH_CURRENT_DATA).scalars())  # type: ignore[call-overload]


def has_current_observations(session: Session) -> bool:
    """Whether the store holds any current value: what the app checks before a page (one index probe)."""
    query = select(Observation.id).where(Observation.is_current == sa.true()).limit(1)
    return session.exec(query).first() is not None


def observation_count(session: Session, current_only: bool = False) -> int:
    """How many observations are stored (all versions by default); reads the whole index (see
    :func:`has_current_observations` for a check that does not)."""
    query = select(func.count(col(Observation.id)))
    if current_only:
        query = query.where(Observation.is_current == sa.true())
    return int(session.exec(query).one())


@dataclass(frozen=True)
class ObservationVersion:
    """One stored version of a series point, for as-of reasoning (all versions, current or not)."""

    id: int
    series_key: str
    source: str
    indicator: str
    dimension: str
    value: str
    value_num: float | None
    unit: str | None
    period_start: date
    period_end: date
    published_at: datetime | None
    retrieved_at: datetime
    snapshot_sha256: str
    url: str
    item: str | None = None
    quote: str | None = None
    page: int | None = None
    review_status: str | None = None
    contributed_by: str | None = None
    published_basis: str = "first_seen"
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    withdrawn_at: datetime | None = None

    @property
    def first_seen(self) -> datetime:
        """When we first saw this version (what orders versions of one series)."""
        return self.first_seen_at or self.retrieved_at

    def as_of_status(self, known_by: datetime) -> str:
        """``published_by``, ``published_after`` or ``unknown`` for the instant ``known_by`` (exclusive)."""
        return as_of_status(self.published_basis, self.published_at, self.retrieved_at, known_by)


def as_of_status(
    published_basis: str, published_at: datetime | None, retrieved_at: datetime | None, known_by: datetime
) -> str:
    """Whether a version can be shown public before ``known_by`` (the day after the as-of date, 00:00 UTC).

    * ``published_by``: we hold a snapshot of it retrieved before ``known_by``, or its basis is
      ``first_release``, ``document_date`` or ``last_modified`` with a date before ``known_by``;
    * ``published_after``: its basis is ``first_release`` or ``document_date`` with a later date;
    * ``unknown``: anything else (a ``last_modified`` date after, or only our own later retrieval).
    """
    if retrieved_at is not None and retrieved_at < known_by:
        return "published_by"
    if published_at is not None and published_basis in PRODUCER_DATED_BASES:
        if published_at < known_by:
            return "published_by"
        if published_basis in RELEASE_BASES:
            return "published_after"
    return "unknown"


def observation_versions(
    session: Session,
    country_iso3: str,
    indicators: list[tuple[str, str]],
    period_end_from: date | None = None,
) -> list[ObservationVersion]:
    """Every version (current and superseded) of the given (source key, indicator) series for a country.

    Served by the (country_iso3, indicator, period_start) index, so the cost follows the country's data,
    not the size of the store.
    """
    if not indicators:
        return []
    codes = sorted({code for _key, code in indicators})
    wanted = set(indicators)
    query = (
        select(  # type: ignore[call-overload, misc]
            Observation.id,
            Observation.series_key,
            Source.key,
            Observation.indicator,
            Observation.dimension,
            Observation.value_text,
            Observation.value_num,
            Observation.unit,
            Observation.period_start,
            Observation.period_end,
            Observation.published_at,
            Observation.retrieved_at,
            Snapshot.sha256,
            PUBLIC_URL,
            Observation.item,
            Observation.quote,
            Observation.page,
            Observation.review_status,
            Observation.contributed_by,
            Observation.published_basis,
            Observation.first_seen_at,
            Observation.last_seen_at,
            Observation.withdrawn_at,
        )
        .join(Source, Source.id == Observation.source_id)
        .join(Snapshot, Snapshot.id == Observation.snapshot_id)
        .where(Observation.country_iso3 == country_iso3, Observation.indicator.in_(codes))  # type: ignore[attr-defined]
    )
    if period_end_from is not None:
        query = query.where(Observation.period_end >= period_end_from)
    versions = []
    for row in session.exec(query):
        version = ObservationVersion(*row)
        if (version.source, version.indicator) in wanted:
            versions.append(version)
    return versions
