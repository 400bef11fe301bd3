"""Read functions over the store: what the CLI prints and the app shows.

Every row handed out carries its provenance (source, snapshot hash, URL, period, publication and
retrieval dates): there are no bare numbers in cobase.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Session, col, func, select

from cobase.demonstration import MARK_KEY as DEMONSTRATION_MARK
from cobase.models import (
    CitationBase,
    Observation,
    ObservationBase,
    ObservationCitation,
    RefreshRun,
    Snapshot,
    Source,
)
from cobase.processing import PROCESSING_VERSION, PRODUCER_DATED_BASES, RELEASE_BASES
from cobase.runs import interrupted_message, last_seen_alive, live_holder, run_is_alive

if TYPE_CHECKING:
    from cobase.catalogue import Catalogue
    from cobase.registry import Registry
    from cobase.schedule import DueDecision

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

OUTPUT_NAMES = {"dimension": "breakdown", "value": "value_text"}
"""Columns of ``cobase observations`` named as before the model's fields were: ``dimension`` holds the
breakdown (``SEX=FMLE``, ``EAN=...``), ``value`` the producer's text; users' scripts read these names."""


PUBLIC_URL = sa.func.coalesce(Snapshot.canonical_url, "").label("url")
"""A snapshot's URL as users see it: the producer's public address, never the mirror or local server
it was fetched from (empty when none is known)."""


class ObservationRow(ObservationBase, CitationBase):
    """One stored value with its provenance, as shown to users (``cobase observations``, the app).

    Its value fields are :class:`cobase.models.ObservationBase`'s and its citation's
    :class:`cobase.models.CitationBase`'s (empty for producers' data); it adds what a reader needs to
    cite the value: the source's key, the snapshot's hash and the public URL.
    """

    model_config = ConfigDict(frozen=True)  # type: ignore[assignment]

    source: str
    snapshot_sha256: str
    url: str
    is_current: bool

    @property
    def value(self) -> str:
        """The value as the producer wrote it (the ``value`` column of ``cobase observations``)."""
        return self.value_text

    def as_record(self) -> dict[str, Any]:
        """The row in the documented column order, dates as ISO 8601 text."""
        out: dict[str, Any] = {}
        for column in OBSERVATION_COLUMNS:
            value = getattr(self, OUTPUT_NAMES.get(column, column))
            out[column] = value.isoformat() if isinstance(value, date | datetime) else value
        return out


PROVENANCE_COLUMNS: tuple[sa.ColumnElement[Any], ...] = (
    col(Source.key).label("source"),
    col(Snapshot.sha256).label("snapshot_sha256"),
    PUBLIC_URL,
)
"""What a read model adds to an observation's own fields to cite it (joined on source and snapshot)."""


def _base_columns() -> list[sa.ColumnElement[Any]]:
    """The columns of an observation's own fields and of its citation's, for one select.

    :class:`ObservationBase`'s come from the observation table, :class:`CitationBase`'s from the citation
    table (None for a version without one): the select must join it with :data:`CITATION_JOIN`.
    """
    table = Observation.__table__  # type: ignore[attr-defined]
    citation = ObservationCitation.__table__  # type: ignore[attr-defined]
    return [table.c[name] for name in ObservationBase.model_fields] + [
        citation.c[name] for name in CitationBase.model_fields
    ]


CITATION_JOIN = col(ObservationCitation.observation_id) == col(Observation.id)
"""How a version's citation is found: ``select(...).outerjoin(ObservationCitation, CITATION_JOIN)`` (an
outer join: most versions, producers' data, have none)."""


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
        sa.select(*_base_columns(), *PROVENANCE_COLUMNS, Observation.__table__.c.is_current)  # type: ignore[attr-defined]
        .join(Source, Source.id == Observation.source_id)  # type: ignore[arg-type]
        .join(Snapshot, Snapshot.id == Observation.snapshot_id)  # type: ignore[arg-type]
        .outerjoin(ObservationCitation, CITATION_JOIN)
    )
    if country_iso3:
        query = query.where(col(Observation.country_iso3) == country_iso3)
    if source:
        query = query.where(col(Source.key) == source)
    if indicator:
        query = query.where(col(Observation.indicator) == indicator)
    if not all_versions:
        query = query.where(col(Observation.is_current) == sa.true())
    query = query.order_by(
        Observation.country_iso3,
        Source.key,
        Observation.indicator,
        Observation.breakdown,
        col(Observation.period_start),
        col(Observation.id),
    )
    for row in session.connection().execute(query):
        yield ObservationRow(**row._mapping)


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


def has_observations(session: Session, current_only: bool = True) -> bool:
    """Whether the store holds any current value (any value at all, withdrawn or superseded included,
    when not ``current_only``): what the app checks before a page and ``cobase demo`` before writing
    (one index probe, where a count reads the whole index)."""
    query = select(Observation.id)
    if current_only:
        query = query.where(Observation.is_current == sa.true())
    return session.exec(query.limit(1)).first() is not None


def observation_count(session: Session, current_only: bool = False) -> int:
    """How many observations are stored (all versions by default); reads the whole index (see
    :func:`has_observations` for a check that does not)."""
    query = select(func.count(col(Observation.id)))
    if current_only:
        query = query.where(Observation.is_current == sa.true())
    return int(session.exec(query).one())


class ObservationVersion(ObservationBase, CitationBase):
    """One stored version of a series point, for as-of reasoning (all versions, current or not).

    Its value fields are :class:`cobase.models.ObservationBase`'s and :class:`cobase.models.CitationBase`'s
    (read through an outer join, in the same query); it adds the version's id and series, and what cites
    it (source key, snapshot hash, public URL).
    """

    model_config = ConfigDict(frozen=True)  # type: ignore[assignment]

    id: int
    series_key: str
    source: str
    snapshot_sha256: str
    url: str

    @property
    def value(self) -> str:
        """The value as the producer wrote it."""
        return self.value_text

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
    items: Sequence[str] | None = None,
) -> list[ObservationVersion]:
    """Every version (current and superseded) of the given (source key, indicator) series for a country;
    with ``items``, only the values about those catalogue items (a price list holds thousands of others).

    Served by the (country_iso3, indicator, period_start) index, so the cost follows the country's data,
    not the size of the store.
    """
    if not indicators:
        return []
    codes = sorted({code for _key, code in indicators})
    wanted = set(indicators)
    table = Observation.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(table.c.id, table.c.series_key, *_base_columns(), *PROVENANCE_COLUMNS)
        .join(Source, Source.id == Observation.source_id)  # type: ignore[arg-type]
        .join(Snapshot, Snapshot.id == Observation.snapshot_id)  # type: ignore[arg-type]
        .outerjoin(ObservationCitation, CITATION_JOIN)
        .where(table.c.country_iso3 == country_iso3, table.c.indicator.in_(codes))
    )
    if period_end_from is not None:
        query = query.where(table.c.period_end >= period_end_from)
    if items is not None:
        query = query.where(table.c.item.in_(sorted(set(items))))
    versions = []
    for row in session.connection().execute(query):
        version = ObservationVersion(**row._mapping)
        if (version.source, version.indicator) in wanted:
            versions.append(version)
    return versions


# --- Freshness: how old our copy of each source is, against the producer's cadence and our own ----------

CADENCE_DAYS: tuple[tuple[str, int], ...] = (
    (r"\bdaily\b|quotidien", 1),
    (r"\bweekly\b|hebdomadaire", 7),
    (r"\bmonthly\b|mensuel", 31),
    (r"\bquarterly\b|trimestriel", 92),
    (r"semi-?annual|biannual|twice a year|semestriel", 183),
    (r"\byearly\b|\bannual\b|annuel", 366),
    (r"two years|biennial|biennal", 731),
)
"""How long a ``sources.yml`` ``update_cadence`` lets our copy age before it is overdue, read from the
first rhythm its text names ("yearly (early July…)", "when a new edition is published (checked
monthly)"); a month counts as 31 days and a quarter as 92, so a refresh late in a long month is not
flagged."""

ENTERED_BY_HAND = "saisis à la main / entered by hand"
"""Freshness of curated findings: no refresh fetches them."""

NOT_DECLARED = "hors de sources.yml / not in sources.yml"
"""Freshness of a stored source that the sources file in use does not declare."""


def cadence_days(cadence: str) -> int | None:
    """Days one ``update_cadence`` allows; None when the text names no rhythm we can measure."""
    text = cadence.casefold()
    return next((days for pattern, days in CADENCE_DAYS if re.search(pattern, text)), None)


def freshness(cadence: str, last_success_at: datetime | None, now: datetime) -> str:
    """Whether our copy of a source is as fresh as its ``update_cadence`` promises.

    "à jour" when the last successful refresh is younger than one cadence, "en retard" (with its age in
    days) when older, "jamais" when it never succeeded; a cadence we cannot read ("irregular") is said so
    rather than guessed.
    """
    if last_success_at is None:
        return "jamais actualisée / never refreshed"
    allowed = cadence_days(cadence)
    if allowed is None:
        return "cadence non mesurable / cadence not measurable"
    age = now - last_success_at
    if age > timedelta(days=allowed):
        return f"en retard / overdue ({age.days} j)"
    return "à jour / fresh"


@dataclass(frozen=True)
class SourceOverview:
    """One source as the app's Sources page lists it: what ``sources.yml`` declares, what the store
    records (``status``, None for a declared source never refreshed), and how fresh our copy is."""

    source: str
    title: str
    producer: str
    licence: str
    url_main: str | None
    update_cadence: str
    freshness: str
    status: SourceStatus | None


def source_overview(session: Session, registry: Registry, now: datetime) -> list[SourceOverview]:
    """Every crawlable source of ``registry`` (in its order, refreshed or not), then every other source
    the store holds (curated findings, a source another sources file declared), by key.

    Services (the Internet Archive) are queried on demand by ``cobase archive``, never refreshed, so they
    are not listed unless the store holds values of theirs.
    """
    from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE  # findings pulls in the fetch path

    not_refreshed = {FINDINGS_SOURCE: ENTERED_BY_HAND}
    statuses = {status.source: status for status in source_status(session)}
    declared_sources = {key: source for key, source in registry.sources.items() if not source.is_service}
    overview = []
    for key in [*declared_sources, *sorted(set(statuses) - set(declared_sources))]:
        declared = declared_sources.get(key)
        status = statuses.get(key)
        if declared is not None:
            overview.append(
                SourceOverview(
                    source=key,
                    title=declared.title,
                    producer=declared.producer,
                    licence=declared.licence.name,
                    url_main=declared.url_main,
                    update_cadence=declared.update_cadence,
                    freshness=freshness(
                        declared.update_cadence, status.last_success_at if status else None, now
                    ),
                    status=status,
                )
            )
        elif status is not None:
            overview.append(
                SourceOverview(
                    source=key,
                    title=status.title,
                    producer=status.producer,
                    licence=status.licence,
                    url_main=None,
                    update_cadence="",
                    freshness=not_refreshed.get(key, NOT_DECLARED),
                    status=status,
                )
            )
    return overview


@dataclass(frozen=True)
class RefreshDue:
    """Whether ``cobase refresh --due`` would refresh a source now, said in words (``cobase status``)."""

    source: str
    refresh_every_days: int | None
    """The source's cadence in ``sources.yml``; None when it declares none or is not refreshed by cobase."""
    due: bool | None
    """None for what no refresh fetches: curated findings, a service, a source ``sources.yml`` lacks."""
    words: str


def refresh_due(
    session: Session, registry: Registry | None, keys: Sequence[str], now: datetime
) -> dict[str, RefreshDue]:
    """For each source key, the decision ``cobase refresh --due`` takes (:mod:`cobase.schedule`), in words.

    ``registry`` None means the sources file could not be read: nothing can be decided, and each source
    says so rather than failing the status of the store.
    """
    from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE
    from cobase.schedule import due_sources

    crawlable = [] if registry is None else [k for k, s in registry.sources.items() if not s.is_service]
    decisions = {
        decision.key: decision for decision in (due_sources(session, registry, now=now) if registry else [])
    }
    answers: dict[str, RefreshDue] = {}
    for key in keys:
        if (decision := decisions.get(key)) is not None and key in crawlable:
            answers[key] = RefreshDue(key, decision.refresh_every_days, decision.due, _due_words(decision))
        elif key == FINDINGS_SOURCE:
            answers[key] = RefreshDue(key, None, None, "entered by hand")
        elif registry is None:
            answers[key] = RefreshDue(key, None, None, "unknown (sources file unreadable)")
        elif key in registry.sources:
            answers[key] = RefreshDue(key, None, None, "not refreshed (a service)")
        else:
            answers[key] = RefreshDue(key, None, None, "not in sources.yml")
    return answers


def _due_words(decision: DueDecision) -> str:
    """The decision in a few words; the last success has its own column beside it."""
    if decision.refresh_every_days is None:
        return "due (no refresh_every_days)"
    if decision.last_success_at is None:
        return "due (never succeeded)"
    return f"{'due' if decision.due else 'not due'} (every {decision.refresh_every_days} d)"


# --- Documents: what the store keeps for a country, one row per snapshot --------------------------------

CONTRIBUTORS = "Contributeurs cobase / cobase contributors"
"""Who publishes curated findings: the people named on each finding, not a producer of sources.yml."""


@dataclass(frozen=True)
class StoredDocument:
    """One kept snapshot with the current values it gave for a country: what the Rapports page lists."""

    source: str
    producer: str
    url: str
    snapshot_sha256: str
    published_at: datetime | None
    """The newest producer's date among its values; None when the producer gives none."""
    retrieved_at: datetime
    period_start: date
    period_end: date
    values: int
    indicators: tuple[str, ...]
    items: tuple[str, ...]
    """Catalogue items it is about: named by one of its values, or linked to its indicator by the map."""


def in_date_range(moment: datetime | None, start: date | None, end: date | None) -> bool:
    """Whether ``moment``'s day lies in [start, end] (either bound optional).

    Without a moment, only the absence of a range matches: an undated thing is never "in" a period.
    """
    if moment is None:
        return start is None and end is None
    day = moment.date()
    return (start is None or day >= start) and (end is None or day <= end)


def known_indicators(registry: Registry) -> list[tuple[str, str]]:
    """Every (source, indicator) the store can hold: the registry's and the curated findings'."""
    from cobase.findings import finding_indicators

    pairs = [
        (source.key, indicator.code)
        for source in registry.sources.values()
        for indicator in source.indicators
    ]
    return pairs + [(key, code) for key, code, _dimension in finding_indicators()]


def indicator_items(catalogue: Catalogue) -> dict[tuple[str, str], tuple[str, ...]]:
    """(source, indicator) -> catalogue items the indicator map says it is about."""
    return {
        (source, code): tuple(link.items)
        for source, indicators in catalogue.indicator_map.items()
        for code, link in indicators.items()
    }


def stored_documents(
    session: Session,
    country_iso3: str,
    *,
    registry: Registry,
    catalogue: Catalogue,
    item: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[StoredDocument]:
    """Documents kept for a country (one per snapshot), optionally about one item, published in a range;
    newest publication first.

    A document is about an item when one of its values names it, or when the indicator map links its
    indicator to it. The date range applies to the producer's publication date (our retrieval date when
    the producer gives none), since that is what an as-of date is compared with. Each series counts
    with its newest stored version only.
    """
    from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE

    linked = indicator_items(catalogue)
    versions = observation_versions(session, country_iso3, known_indicators(registry))
    newest: dict[str, ObservationVersion] = {}
    for version in versions:
        if version.series_key not in newest or version.id > newest[version.series_key].id:
            newest[version.series_key] = version
    groups: dict[tuple[str, str, str], list[ObservationVersion]] = defaultdict(list)
    for version in newest.values():
        groups[(version.source, version.url, version.snapshot_sha256)].append(version)
    documents: list[StoredDocument] = []
    for (source, document_url, sha256), members in groups.items():
        items = {v.item for v in members if v.item} | {
            i for v in members for i in linked.get((v.source, v.indicator), ())
        }
        if item is not None and item not in items:
            continue
        published = max((v.published_at for v in members if v.published_at), default=None)
        retrieved = max(v.retrieved_at for v in members)
        if not in_date_range(published or retrieved, start, end):
            continue
        declared = registry.sources.get(source)
        documents.append(
            StoredDocument(
                source=source,
                producer=declared.producer
                if declared
                else (CONTRIBUTORS if source == FINDINGS_SOURCE else source),
                url=document_url,
                snapshot_sha256=sha256,
                published_at=published,
                retrieved_at=retrieved,
                period_start=min(v.period_start for v in members),
                period_end=max(v.period_end for v in members),
                values=len(members),
                indicators=tuple(sorted({v.indicator for v in members})),
                items=tuple(sorted(items)),
            )
        )
    documents.sort(
        key=lambda d: (d.published_at.date() if d.published_at else date.min, d.source), reverse=True
    )
    return documents


# --- What `cobase observations` and `cobase status --json` print, written once --------------------------


def write_observations_csv(rows: Iterable[ObservationRow], stream: TextIO) -> None:
    """Write ``rows`` as the documented ``cobase observations`` CSV (one header, one line per row).

    The only writer of that CSV: the CLI prints it, and the tests read results back through it in-process.
    """
    writer = csv.DictWriter(stream, fieldnames=OBSERVATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.as_record())


def status_records(statuses: Sequence[SourceStatus], due: Mapping[str, RefreshDue]) -> list[dict[str, Any]]:
    """The records of ``cobase status --json``: each source's status, its error redacted, and its cadence.

    Monitors read these fields by name: new ones are added after the others, none is ever renamed.
    """
    from cobase.redact import redact_text

    return [
        {
            **record,
            "last_error": redact_text(record["last_error"]) if record.get("last_error") else None,
            "refresh_every_days": due[record["source"]].refresh_every_days,
            "due": due[record["source"]].due,
        }
        for record in (status.as_record() for status in statuses)
    ]
