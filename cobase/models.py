"""The store's tables (SQLModel), and the base model an observation's read models derive from.

Tables:

* ``source``: one row per sources.yml key, so observations can point to a stable id;
* ``snapshot``: every response kept as fetched (never overwritten, identical content recognised by
  sha256); its body lives in ``snapshot_blob``, keyed by hash, so the same bytes are stored once;
* ``observation``: one dated value with full provenance. ``series_key`` identifies what a value is *about*
  (source, indicator, country, breakdown, period). A producer's revision adds a new row for the same
  series and marks the old one superseded; the old one is kept so an *as-of* query can tell what had been
  published by any date. Its shared fields are :class:`ObservationBase`'s, from which the read models of
  :mod:`cobase.queries` (``ObservationRow``, ``ObservationVersion``) derive;
* ``observation_citation``: the quote, page, review status and contributor of the few versions that have
  them (curated findings, document and register mentions), keyed to the version and the snapshot it rests
  on (:class:`CitationBase`); read back through an outer join, in the same query as the observation;
* ``refresh_run``: one row per source per refresh, with counts and the error if it failed, and the
  process, host and heartbeat that tell a running refresh from a killed one;
* ``refresh_lock``: who holds the one-refresh-at-a-time lock of the store;
* ``processing_change``: values ``cobase rebuild`` corrected after a fix of ours (not producers' revisions).
* ``archive_capture``: per cited URL, its earliest and latest capture in the Wayback Machine.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from cobase.clock import as_utc


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime column that always hands back aware UTC values, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite stores text: keep it naive UTC so string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _utc_column(nullable: bool = True, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


class Source(SQLModel, table=True):
    """A source as known to the store; its full description lives in sources.yml."""

    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    producer: str
    title: str
    url_main: str
    licence_name: str
    republishes: str | None = None


class SnapshotBlob(SQLModel, table=True):
    """A response body, stored once per distinct content (zlib-compressed)."""

    __tablename__ = "snapshot_blob"

    sha256: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    compression: str = "zlib"
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class Snapshot(SQLModel, table=True):
    """One response as fetched, before anything was parsed from it."""

    __tablename__ = "snapshot"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "url", "sha256", name="uq_snapshot_content"),
        # Identical bytes are recognised per request, whatever host served them (a mirror, a moved server).
        sa.Index("ix_snapshot_source_request", "source_id", "request_key", "sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    url: str = Field(description="the URL fetched (possibly a mirror or a local server)")
    request_key: str | None = Field(
        default=None,
        description="the request without scheme, host and port (path and query of the redacted URL): "
        "what identifies the same answer from a mirror or a moved server",
    )
    canonical_url: str | None = Field(
        default=None,
        description="the producer's public address of the same URL (rebased on canonical_base_url): the "
        "only one citations and exports show",
    )
    retrieved_at: datetime = Field(sa_column=_utc_column(nullable=False))
    http_status: int
    content_type: str | None = None
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    size: int
    body_location: str = Field(description="where the body is kept, e.g. 'db:snapshot_blob/<sha256>'")
    request_meta: str | None = Field(default=None, description="JSON: what the spider asked for")
    parse_status: str = Field(default="pending", description="pending, ok or error")
    parse_error: str | None = None
    last_seen_at: datetime | None = Field(
        default=None,
        sa_column=_utc_column(),
        description="our latest retrieval of these exact bytes from this URL (retrieved_at is the first)",
    )
    shape: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.Text, nullable=True),
        description="JSON: the fields, series and breakdowns this answer gave (cobase.drift), compared with "
        "the next answer to the same URL so that a renamed field is never silent",
    )


class ObservationBase(SQLModel):
    """What one stored value is and where it came from: the fields every layer of an observation shares.

    The table (:class:`Observation`) and the read models of :mod:`cobase.queries` derive from it, so a
    field is declared once, with its column type; the insert column list of :mod:`cobase.ingest` is read
    from the table. :class:`cobase.harmonize.records.ObservationIn` and :class:`cobase.parse.ParsedRecord`
    stay slotted dataclasses (a pydantic model costs 2-3 times as much to build, on the 1.4 million rows
    of a refresh); a test pins that their field names are this model's and :class:`CitationBase`'s (the
    citation of the few values that have one, in a table of its own), so a new field cannot be forgotten
    in one of them.
    """

    country_iso3: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    indicator: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    breakdown: str = Field(default="", sa_column=sa.Column(sa.String(255), nullable=False, server_default=""))
    value_num: float | None = None
    value_text: str
    unit: str | None = None
    period_start: date
    period_end: date
    published_at: datetime | None = Field(default=None, sa_column=_utc_column())
    retrieved_at: datetime = Field(sa_column=_utc_column(nullable=False))
    item: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(64), nullable=True),
        description="catalogue item (medicine, test, specialist) the value is about, when item-specific",
    )
    published_basis: str = Field(
        default="first_seen",
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="first_seen"),
        description="what published_at means: first_release, last_modified, document_date or first_seen",
    )
    first_seen_at: datetime | None = Field(
        default=None,
        sa_column=_utc_column(),
        description="our first retrieval holding this version (orders versions; a revert is seen anew)",
    )
    last_seen_at: datetime | None = Field(
        default=None, sa_column=_utc_column(), description="our latest retrieval holding this version"
    )
    withdrawn_at: datetime | None = Field(
        default=None,
        sa_column=_utc_column(),
        description="the refresh whose complete response of the same request no longer held this series",
    )


class CitationBase(SQLModel):
    """Where in a document a value was read and who vouches for it: a curated finding's or a mention's.

    Producers' data have none of these (all but a few thousand of millions of rows), so they are kept
    beside the observation, in :class:`ObservationCitation`, rather than as four empty columns on every
    row; the read models of :mod:`cobase.queries` derive from both bases and read them through one outer
    join, so a reader never knows they live apart. A new field of this kind is one line here and a
    migration.
    """

    quote: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    page: int | None = None
    review_status: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(16), nullable=True),
        description="None for producers' data; candidate, contributed, confirmed or retracted otherwise",
    )
    contributed_by: str | None = None


NO_CITATION = CitationBase()
"""What a version without a citation row reads as (every field empty); read, never changed."""


class Observation(ObservationBase, table=True):
    """One value a producer published about one country, indicator, breakdown and period."""

    __tablename__ = "observation"
    __table_args__ = (
        # At most one current value per series: refreshing unchanged data adds nothing.
        sa.Index(
            "uq_observation_current_series",
            "series_key",
            unique=True,
            sqlite_where=sa.text("is_current = 1"),
            postgresql_where=sa.text("is_current"),
        ),
        sa.Index("ix_observation_country_indicator", "country_iso3", "indicator", "period_start"),
        sa.Index("ix_observation_source_current", "source_id", "is_current"),
        sa.Index("ix_observation_snapshot", "snapshot_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_key: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    source_id: int = Field(foreign_key="source.id")
    snapshot_id: int = Field(foreign_key="snapshot.id")
    is_current: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False))
    superseded_at: datetime | None = Field(default=None, sa_column=_utc_column())
    supersedes_id: int | None = Field(default=None, foreign_key="observation.id")
    processing_version: int = Field(
        default=1,
        sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"),
        description="cobase.processing.PROCESSING_VERSION of the parsers and mappings that produced it",
    )


class ObservationCitation(CitationBase, table=True):
    """The citation of one observation version: the page and quote it rests on, its review status.

    One row per version that has any of :class:`CitationBase`'s fields set, none otherwise. A version is
    immutable (a confirmation or a corrected quote is a new version), so its citation is too.
    ``snapshot_id`` repeats the observation's: the document the quote and page are read from, what every
    mention of one document is found by. Like the store's other foreign keys, ``observation_id`` has no
    ``ON DELETE CASCADE``: whoever removes a version removes its citation first (``cobase rebuild``), and
    a migration that rebuilt the observation table on SQLite fails rather than silently emptying this one.
    """

    __tablename__ = "observation_citation"

    observation_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("observation.id"), primary_key=True, autoincrement=False
        )
    )
    snapshot_id: int = Field(foreign_key="snapshot.id", index=True)


class ProcessingChange(SQLModel, table=True):
    """A stored value corrected by ``cobase rebuild`` (our fix, not the producer's revision)."""

    __tablename__ = "processing_change"

    id: int | None = Field(default=None, primary_key=True)
    observation_id: int | None = Field(default=None, description="the corrected row (None once removed)")
    series_key: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, index=True))
    snapshot_id: int = Field(foreign_key="snapshot.id")
    processing_version: int
    kind: str = Field(description="changed, removed (the snapshot no longer yields it) or added")
    before: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    after: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    changed_at: datetime = Field(sa_column=_utc_column(nullable=False))


class RefreshRun(SQLModel, table=True):
    """One attempt at refreshing one source; failed runs are kept with their error."""

    __tablename__ = "refresh_run"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=_utc_column())
    status: str = Field(
        default="running", description="running, success, skipped, failed or interrupted (its process died)"
    )
    snapshots_new: int = 0
    snapshots_unchanged: int = 0
    observations_new: int = 0
    observations_unchanged: int = 0
    observations_revised: int = 0
    errors: int = 0
    error: str | None = None
    pid: int | None = Field(default=None, description="the process that ran it (with host: is it alive?)")
    host: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    heartbeat_at: datetime | None = Field(
        default=None, sa_column=_utc_column(), description="when its process was last seen alive"
    )

    warnings: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.Text, nullable=True),
        description="what succeeded but deserves a look, one per line (an answer thinner than the previous "
        "one, an indicator absent from a year's file): shown by cobase status",
    )


class RefreshLock(SQLModel, table=True):
    """Who holds a store's refresh lock (one refresh at a time per store; see :mod:`cobase.runs`).

    On PostgreSQL an advisory lock is the lock itself and this row only names its holder; on SQLite the
    row is the lock, taken over when its process is gone.
    """

    __tablename__ = "refresh_lock"

    name: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    token: str | None = Field(default=None, description="the holder's random id; None when free")
    purpose: str | None = None
    pid: int | None = None
    host: str | None = Field(default=None, sa_column=sa.Column(sa.String(255), nullable=True))
    process_started: str | None = Field(default=None, description="start time of the process (pid reuse)")
    acquired_at: datetime | None = Field(default=None, sa_column=_utc_column())
    heartbeat_at: datetime | None = Field(default=None, sa_column=_utc_column())


class ArchiveCapture(SQLModel, table=True):
    """What the Internet Archive's Wayback Machine holds of one cited URL (``cobase archive``).

    The earliest capture proves that the page was public by its date; the latest is the freshest copy a
    reader can open if the page disappears. A URL looked up with no capture keeps a row with empty
    captures, so "not archived" is a recorded fact with its date, not a silence.
    """

    __tablename__ = "archive_capture"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=sa.Column(sa.Text, unique=True, nullable=False))
    checked_at: datetime = Field(sa_column=_utc_column(nullable=False))
    earliest_at: datetime | None = Field(default=None, sa_column=_utc_column())
    earliest_url: str | None = None
    earliest_status: int | None = None
    earliest_digest: str | None = None
    latest_at: datetime | None = Field(default=None, sa_column=_utc_column())
    latest_url: str | None = None
    latest_status: int | None = None
    latest_digest: str | None = None
    save_requested_at: datetime | None = Field(default=None, sa_column=_utc_column())
    save_message: str | None = None
