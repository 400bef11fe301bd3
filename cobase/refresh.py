"""Refresh: crawl sources in-process with Scrapy, keep snapshots, ingest observations, record runs.

Each response is stored as a snapshot the moment it arrives (before any parsing), then parsed,
harmonized and ingested in one transaction of its own. A source that fails (HTTP errors after retries,
timeouts, unreadable bodies) gets a failed :class:`~cobase.models.RefreshRun` with its error; the other
sources go on, and nothing stored before is touched: a failed snapshot transaction rolls back whole.

Twisted's reactor cannot be restarted, so one process runs at most one crawl: the CLI is the natural
caller (and cron runs the CLI).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cobase.clock import parse_datetime, utcnow
from cobase.db import session_scope
from cobase.drift import DriftError, Shape, ShapeObserver, compare
from cobase.harmonize.records import HarmonizeReport, harmonize
from cobase.ingest import IngestCounts, ingest_observations
from cobase.limits import MEGABYTE, describe_megabytes
from cobase.models import Observation, RefreshRun, Snapshot
from cobase.models import Source as SourceRow
from cobase.parse import ParseError, get_parser, tracks_withdrawals
from cobase.parse._zip import zip_member_limit
from cobase.redact import install_log_redaction, redact_text, register_secret
from cobase.registry import Registry, SourcesFileError
from cobase.registry import Source as SourceConfig
from cobase.runs import close_interrupted, refresh_lock, this_process
from cobase.snapshots import load_body, mark_parsed, request_key, store_snapshot
from cobase.store_errors import is_disk_full, storage_failure
from crawlers.items import FetchFailure, RawResponse
from crawlers.middlewares import ALLOWED_REDIRECT_HOSTS_SETTING

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, "SourceSummary"], None]


@dataclass
class SourceSummary:
    """What a refresh did for one source (printed per source, stored on its RefreshRun)."""

    key: str
    snapshots_new: int = 0
    snapshots_unchanged: int = 0
    observations: IngestCounts = field(default_factory=IngestCounts)
    skipped: int = 0
    unknown_countries: dict[str, int] = field(default_factory=dict)
    set_aside: dict[str, int] = field(default_factory=dict)
    """Rows read but not stored, by reason (sub-national areas, the world, reports without a country)."""
    warnings: list[str] = field(default_factory=list)
    """What succeeded but deserves a look (an answer thinner than the previous one): kept on the run."""
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    finished: bool = False

    skipped_reason: str | None = None
    tls_unverified: bool = False
    disk_full: bool = False
    """Set at the first write refused for lack of space; later items of the source are not stored."""
    stage_seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("snapshot", "parse", "harmonize", "ingest"), 0.0)
    )
    """Seconds spent keeping snapshots, parsing, harmonizing and ingesting (which includes recording that
    unchanged answers were seen again): where a refresh spends its time (``bench/refresh.py``)."""

    @property
    def ok(self) -> bool:
        """True when the source was refreshed (or deliberately skipped) without any error."""
        return not self.errors

    @property
    def status(self) -> str:
        """``success``, ``skipped`` or ``failed`` (a partial failure is a failure: cron must notice it)."""
        if self.errors:
            return "failed"
        return "skipped" if self.skipped_reason else "success"


def sync_sources(session: Session, registry: Registry) -> dict[str, SourceRow]:
    """Make sure every registry source has its row; update descriptive fields, never delete."""
    rows = {row.key: row for row in session.exec(select(SourceRow)).all()}
    for key, config in registry.sources.items():
        row = rows.get(key)
        if row is None:
            row = SourceRow(key=key, producer="", title="", url_main="", licence_name="")
            rows[key] = row
        row.producer = config.producer
        row.title = config.title
        row.url_main = config.url_main
        row.licence_name = config.licence.name
        row.republishes = config.republishes
        session.add(row)
    session.flush()
    return rows


def _scrapy_settings() -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    # Operators and tests can tune politeness without editing code, e.g. for a local mirror.
    overrides = os.environ.get("COBASE_SCRAPY_SETTINGS")
    if overrides:
        try:
            parsed = json.loads(overrides)
        except json.JSONDecodeError as exc:
            raise SourcesFileError(f"COBASE_SCRAPY_SETTINGS is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise SourcesFileError(
                'COBASE_SCRAPY_SETTINGS must be a JSON object of Scrapy settings, e.g. {"DOWNLOAD_DELAY": 1}'
            )
        settings.setdict(parsed, priority="cmdline")
    return settings


class _SourceIngestor:
    """Receives one source's items as the spider yields them; stores and ingests each at once."""

    def __init__(
        self, engine: sa.Engine, config: SourceConfig, source_row: SourceRow, summary: SourceSummary
    ):
        self.engine = engine
        self.config = config
        self.source_row = source_row
        self.summary = summary
        # Requests answered completely in this run (request key -> retrieval), and the run's earliest
        # retrieval: what withdrawals are decided on. Keyed by request, not URL: a mirror answers the same.
        self.complete_requests: dict[str, datetime] = {}
        self.seen_from: datetime | None = None

    def receive(self, item: RawResponse | FetchFailure) -> None:
        if isinstance(item, FetchFailure):
            self.summary.errors.append(redact_text(item.error))
            return
        if len(item.body) > self.config.max_body_bytes:
            # Scrapy refuses larger bodies while they stream; this catches any other way in (an upload).
            self.summary.errors.append(body_refusal(item.url, len(item.body), self.config.max_body_mb))
            return
        if self.summary.disk_full:
            return  # one sentence is enough: nothing more can be stored until space is freed
        started = time.perf_counter()
        try:
            with session_scope(self.engine) as session:
                stored = store_snapshot(session, self.source_row, item, self.config.canonical_url(item.url))
        except Exception as exc:  # storage failures must not kill the crawl of other sources
            if self.disk_full(f"storing the response of {item.url}", exc):
                return
            log.exception("cannot store snapshot of %s", item.url)
            self.summary.errors.append(f"cannot store snapshot of {item.url}: {exc}")
            return
        finally:
            self.summary.stage_seconds["snapshot"] += time.perf_counter() - started
        snapshot = stored.snapshot
        seen_at = parse_datetime(item.retrieved_at)
        self.seen_from = seen_at if self.seen_from is None else min(self.seen_from, seen_at)
        if stored.is_new:
            self.summary.snapshots_new += 1
        else:
            self.summary.snapshots_unchanged += 1
            if snapshot.parse_status == "ok" and stored.was_latest:
                # The same bytes as the latest response to this request: no value changed, each was seen.
                started = time.perf_counter()
                try:
                    with session_scope(self.engine) as session:
                        touch_request(session, self.source_row, _request_of(snapshot), seen_at)
                except Exception as exc:
                    if self.disk_full(f"recording that {item.url} was seen again", exc):
                        return
                    log.exception("cannot record that %s was seen again", item.url)
                    self.summary.errors.append(f"cannot record that {item.url} was seen again: {exc}")
                    return
                finally:
                    self.summary.stage_seconds["ingest"] += time.perf_counter() - started
                self.complete_requests[_request_of(snapshot)] = seen_at
                return
        # New bytes, or bytes identical to an older snapshot after others (a revert): ingest them.
        self.ingest_snapshot(snapshot, item.body, seen_at=seen_at)

    def disk_full(self, what: str, exc: BaseException) -> bool:
        """Record a write refused for lack of space as one sentence (no traceback); False otherwise."""
        if not is_disk_full(exc):
            return False
        if not self.summary.disk_full:
            self.summary.errors.append(storage_failure(what, exc))
        self.summary.disk_full = True
        return True

    def withdraw_missing(self) -> int:
        """Mark withdrawn the series this run's complete responses no longer hold; return how many.

        Only after a run without errors, and only for series whose current version came from a snapshot
        of a request answered in this run and that no response of this run held (so a row that moved to
        another page of a paged answer is not withdrawn).
        """
        if self.summary.errors or not self.complete_requests or self.seen_from is None:
            return 0
        if not tracks_withdrawals(self.config.key):
            return 0
        assert self.source_row.id is not None
        with session_scope(self.engine) as session:
            withdrawn = withdraw_unseen(session, self.source_row.id, self.complete_requests, self.seen_from)
        self.summary.observations.withdrawn += withdrawn
        return withdrawn

    def ingest_snapshot(self, snapshot: Snapshot, body: bytes, seen_at: datetime | None = None) -> None:
        """Parse, harmonize and ingest one snapshot in one transaction; record a parse error otherwise."""
        assert snapshot.id is not None and self.source_row.id is not None
        report = HarmonizeReport()
        observer = ShapeObserver()
        # Parsing, harmonizing and ingesting are one stream: each stage's time is what its generator took.
        parsing, harmonizing = [0.0], [0.0]
        started = time.perf_counter()
        try:
            parser = get_parser(self.config.key)
            meta = json.loads(snapshot.request_meta) if snapshot.request_meta else {}
            with (
                _parse_warnings() as parse_warnings,
                session_scope(self.engine) as session,
                zip_member_limit(self.config.max_zip_member_mb),
            ):
                counts = ingest_observations(
                    session,
                    source_id=self.source_row.id,
                    snapshot_id=snapshot.id,
                    retrieved_at=snapshot.retrieved_at,
                    rows=observer.watch(
                        _timed(
                            harmonize(
                                _timed(lambda: parser(body, snapshot.url, meta), parsing), self.config, report
                            ),
                            harmonizing,
                        )
                    ),
                    seen_at=seen_at,
                )
                # Compared inside the transaction: a refused answer rolls back whole.
                shape = observer.shape(body)
                complete = tracks_withdrawals(self.config.key)
                verdict = compare(previous_shape(session, snapshot), shape, complete=complete)
                if verdict.refusals:
                    raise DriftError(
                        "refused, this answer reads as less than the previous answer to the same request: "
                        + "; ".join(verdict.refusals)
                    )
                session.execute(
                    sa.update(Snapshot).where(col(Snapshot.id) == snapshot.id).values(shape=shape.to_json())
                )
                mark_parsed(session, snapshot.id, None)
            self.summary.warnings += [f"{snapshot.url}: {warning}" for warning in verdict.warnings]
            self.summary.warnings += parse_warnings
        except (ParseError, ValueError) as exc:
            message = f"{snapshot.url}: {exc}"
            self.summary.errors.append(message)
            try:
                with session_scope(self.engine) as session:
                    mark_parsed(session, snapshot.id, str(exc))
            except Exception as store_exc:
                if not self.disk_full(f"recording the parse error of {snapshot.url}", store_exc):
                    raise
            return
        except Exception as exc:
            if self.disk_full(f"ingesting {snapshot.url}", exc):
                return
            log.exception("ingestion of %s failed", snapshot.url)
            self.summary.errors.append(f"{snapshot.url}: ingestion failed ({exc.__class__.__name__}: {exc})")
            return
        finally:
            stages = self.summary.stage_seconds
            stages["parse"] += parsing[0]
            stages["harmonize"] += harmonizing[0] - parsing[0]
            stages["ingest"] += time.perf_counter() - started - harmonizing[0]
        self.summary.observations.add(counts)
        self.complete_requests[_request_of(snapshot)] = seen_at or snapshot.retrieved_at
        self.summary.skipped += report.skipped
        for code, count in report.unknown_countries.items():
            self.summary.unknown_countries[code] = self.summary.unknown_countries.get(code, 0) + count
        for reason, count in report.set_aside.items():
            self.summary.set_aside[reason] = self.summary.set_aside.get(reason, 0) + count


def _timed(rows: Iterable[Any] | Callable[[], Iterable[Any]], seconds: list[float]) -> Iterator[Any]:
    """``rows`` as they are pulled, adding to ``seconds[0]`` the time spent producing them (``rows`` may be
    a callable, so that the work a parser does before its first row is counted too)."""
    started = time.perf_counter()
    iterator = iter(rows() if callable(rows) else rows)
    seconds[0] += time.perf_counter() - started
    while True:
        started = time.perf_counter()
        try:
            row = next(iterator)
        except StopIteration:
            seconds[0] += time.perf_counter() - started
            return
        seconds[0] += time.perf_counter() - started
        yield row


def _request_of(snapshot: Snapshot) -> str:
    """The request a snapshot answered (its path and query, whatever host served it)."""
    return snapshot.request_key or request_key(snapshot.url)


def previous_shape(session: Session, snapshot: Snapshot) -> Shape | None:
    """The shape of the answer to the same request (path, query and request parameters, whatever the
    host) seen most recently before this one, if any was kept."""
    seen = sa.func.coalesce(col(Snapshot.last_seen_at), col(Snapshot.retrieved_at))
    text = session.execute(
        sa.select(Snapshot.shape)  # type: ignore[call-overload]
        .where(
            Snapshot.source_id == snapshot.source_id,
            Snapshot.request_key == _request_of(snapshot),
            # The same request: searches (ReliefWeb) post different bodies to one URL.
            sa.func.coalesce(col(Snapshot.request_meta), "") == (snapshot.request_meta or ""),
            Snapshot.id != snapshot.id,
            Snapshot.parse_status == "ok",
            col(Snapshot.shape).is_not(None),
        )
        .order_by(seen.desc(), col(Snapshot.id).desc())
        .limit(1)
    ).scalar()
    return Shape.from_json(text) if text else None


@contextmanager
def _parse_warnings() -> Iterator[list[str]]:
    """Collect what parsers log as warnings while a snapshot is parsed (an indicator absent from a year's
    file), so that the run keeps them and ``cobase status`` shows them."""
    collected: list[str] = []

    class _Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(record.getMessage())

    handler = _Collector(level=logging.WARNING)
    parsers = logging.getLogger("cobase.parse")
    # Said once, in the refresh summary and on the run, not a second time by the log; info still flows.
    quiet = _BelowWarning()
    parsers.addHandler(handler)
    for root_handler in logging.getLogger().handlers:
        root_handler.addFilter(quiet)
    try:
        yield collected
    finally:
        parsers.removeHandler(handler)
        for root_handler in logging.getLogger().handlers:
            root_handler.removeFilter(quiet)


class _BelowWarning(logging.Filter):
    """Lets through everything but the warnings of parsers, which the refresh reports itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("cobase.parse") and record.levelno == logging.WARNING)


def touch_request(session: Session, source_row: SourceRow, request: str, seen_at: datetime) -> None:
    """Record that the current versions produced by snapshots of ``request`` (a
    :func:`~cobase.snapshots.request_key`, from any host) were seen at ``seen_at``."""
    snapshots = sa.select(Snapshot.id).where(  # type: ignore[call-overload]
        Snapshot.source_id == source_row.id, Snapshot.request_key == request
    )
    # No condition on Observation.source_id (the snapshots are the source's): with one, SQLite walks every
    # current value of the source through (source_id, is_current) for each request of a refresh, which
    # made an unchanged refresh grow with the square of the store instead of using the snapshot index.
    # A Core statement on the connection: through the ORM session, SQLAlchemy would fetch the id of every
    # row it updates to synchronise the session (three quarters of an unchanged refresh's ingest stage).
    table = Observation.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        sa.update(table)
        .where(
            table.c.snapshot_id.in_(snapshots),
            table.c.is_current == sa.true(),
            sa.or_(table.c.last_seen_at.is_(None), table.c.last_seen_at < seen_at),
        )
        .values(last_seen_at=seen_at)
    )


def withdraw_unseen(
    session: Session, source_id: int, complete_requests: dict[str, datetime], seen_from: datetime
) -> int:
    """Withdraw current versions from snapshots of ``complete_requests`` (request keys, whatever host
    answered) not seen since ``seen_from``.

    Each is kept (history) but is no longer current; ``withdrawn_at`` is the retrieval of the complete
    response of its request that no longer held it.
    """
    requests = sorted(complete_requests)
    found: list[tuple[int, str]] = []
    for start in range(0, len(requests), 500):
        rows = session.execute(
            sa.select(Observation.id, Snapshot.request_key)  # type: ignore[call-overload]
            .join(Snapshot, Snapshot.id == Observation.snapshot_id)
            .where(  # driven from the snapshots of these requests (see touch_request)
                Snapshot.source_id == source_id,
                col(Snapshot.request_key).in_(requests[start : start + 500]),
                Observation.is_current == sa.true(),
                sa.or_(col(Observation.last_seen_at).is_(None), col(Observation.last_seen_at) < seen_from),
            )
        ).all()
        found += [(obs_id, request) for obs_id, request in rows]
    if found:
        table = Observation.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("obs_id"))
            .values(is_current=False, withdrawn_at=sa.bindparam("at")),
            [{"obs_id": obs_id, "at": complete_requests[request]} for obs_id, request in found],
        )
    return len(found)


def _start_run(engine: sa.Engine, source_row: SourceRow) -> int:
    me = this_process()
    with session_scope(engine) as session:
        now = utcnow()
        run = RefreshRun(
            source_id=source_row.id,  # type: ignore[arg-type]
            started_at=now,
            status="running",
            pid=me.pid,
            host=me.host,
            heartbeat_at=now,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def _finish_run(engine: sa.Engine, summary: SourceSummary) -> None:
    """Record how the run ended; if even that cannot be written (full disk), the run stays ``running``
    with a dead process, which ``cobase status`` shows and the next refresh closes as ``interrupted``."""
    if summary.run_id is None:
        return
    try:
        _write_finished_run(engine, summary)
        return
    except Exception as exc:
        failure: Exception = exc
    if is_disk_full(failure):
        # SQLite: moving the write-ahead log into the database and truncating it frees the space a
        # refused write took; then the small update recording the end of the run fits.
        try:
            _release_log_space(engine)
            _write_finished_run(engine, summary)
            return
        except Exception as again:
            failure = again
    message = storage_failure(f"recording the end of the {summary.key} run", failure)
    log.error("%s", message)
    summary.disk_full = summary.disk_full or is_disk_full(failure)
    if message not in summary.errors:
        summary.errors.append(message)


def _release_log_space(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _write_finished_run(engine: sa.Engine, summary: SourceSummary) -> None:
    with session_scope(engine) as session:
        run = session.get(RefreshRun, summary.run_id)
        assert run is not None
        run.finished_at = utcnow()
        run.status = summary.status
        run.snapshots_new = summary.snapshots_new
        run.snapshots_unchanged = summary.snapshots_unchanged
        run.observations_new = summary.observations.new
        run.observations_unchanged = summary.observations.unchanged
        run.observations_revised = summary.observations.revised
        run.errors = len(summary.errors)
        run.error = redact_text("\n".join(summary.errors[:20]) or summary.skipped_reason or "") or None
        run.warnings = redact_text("\n".join(summary.warnings[:20])) or None
        session.add(run)


class MissingSetting(RuntimeError):
    """A source needs an environment variable that is not set: the source is skipped, not failed."""


def spider_arguments(config: SourceConfig) -> dict[str, Any]:
    """What a source's spider is told: where to fetch, which indicators, and its own parameters."""
    arguments: dict[str, Any] = {
        "base_url": config.base_url,
        "indicators": [indicator.code for indicator in config.indicators],
        **config.params,
    }
    if config.page_size:
        arguments["page_size"] = config.page_size
    if config.documents:
        # Whole entries, not only URLs: the parser needs each document's countries and publication date.
        arguments["documents"] = [document.model_dump(mode="json") for document in config.documents]
    for argument, variable in config.env.items():
        value = os.environ.get(variable, "").strip()
        if not value:
            raise MissingSetting(f"{config.key} skipped: set {variable} to use it (see sources.yml)")
        register_secret(value)  # an appname or key never appears in a log line, error or stored URL
        arguments[argument] = value
    return arguments


def tls_settings(config: SourceConfig) -> dict[str, Any]:
    """Per-source TLS: certificates are verified unless sources.yml says otherwise, which is logged."""
    if not config.verify_tls:
        log.warning(
            "%s: TLS certificate verification is DISABLED for this source (verify_tls: false in sources.yml)",
            config.key,
        )
    # Scrapy accepts any certificate unless told otherwise; evidence for legal use must come from the
    # host it claims to come from.
    return {"DOWNLOAD_VERIFY_CERTIFICATES": config.verify_tls}


def size_settings(config: SourceConfig) -> dict[str, Any]:
    """Per-source body limit, enforced by Scrapy while the body streams (``max_body_mb`` in sources.yml).

    A response announcing a larger ``Content-Length`` is refused before its body is read; one that grows
    beyond the limit is cut off as soon as it does (a gzip response counts inflated). Either way nothing
    of it is stored: the spider turns the refusal into a failure naming the limit.
    """
    # No separate warning size: the limit is the policy, and its refusal is reported in one sentence.
    return {"DOWNLOAD_MAXSIZE": config.max_body_bytes, "DOWNLOAD_WARNSIZE": 0}


def body_refusal(url: str, size: int, max_body_mb: float) -> str:
    """The one sentence a refresh summary shows for a body refused for its size."""
    return (
        f"{redact_text(url)}: refused, the response ({size / MEGABYTE:.1f} MB) is larger than "
        f"{describe_megabytes(max_body_mb)}, the max_body_mb limit of sources.yml; it was not stored"
    )


def refresh(
    engine: sa.Engine,
    registry: Registry,
    keys: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    wait: float = 0.0,
) -> list[SourceSummary]:
    """Refresh the given sources (all by default) holding the store's refresh lock.

    A second refresh of the same store waits up to ``wait`` seconds, then raises
    :class:`~cobase.runs.RefreshBusy` naming the running one. Runs left ``running`` by a killed refresh
    are closed as ``interrupted`` first.
    """
    with refresh_lock(engine, wait=wait):
        with session_scope(engine) as session:
            closed = close_interrupted(session)
        if closed:
            log.warning("%d run(s) of a refresh that was killed closed as interrupted", closed)
        return _refresh(engine, registry, keys, progress)


def _refresh(
    engine: sa.Engine,
    registry: Registry,
    keys: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[SourceSummary]:
    """Refresh the given sources (all by default) and return one summary per source.

    ``progress(event, summary)`` is called with ``"item"`` after each response and ``"done"`` when a
    source's spider closes, so the CLI can show progress while it runs.
    """
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders import spiders

    # Services (the Internet Archive) are queried on demand, never crawled.
    selected = list(keys) if keys else [k for k, c in registry.sources.items() if not c.is_service]
    for key in selected:
        registry.get(key)  # clear error for an unknown key before any work
    with session_scope(engine) as session:
        rows = sync_sources(session, registry)

    summaries: dict[str, SourceSummary] = {}
    ingestors: list[_SourceIngestor] = []
    process = CrawlerProcess(_scrapy_settings())
    install_log_redaction()  # after Scrapy set up logging: its lines name request URLs
    crawlers_started = 0
    for key in selected:
        summary = SourceSummary(key=key)
        summaries[key] = summary
        try:
            summary.run_id = _start_run(engine, rows[key])
        except Exception as exc:
            summary.disk_full = is_disk_full(exc)
            summary.errors.append(storage_failure(f"starting the {key} run", exc))
            continue
        spider_class = spiders().get(key)
        if spider_class is None:
            summary.errors.append(f"no spider for source {key!r}")
            continue
        config = registry.get(key)
        try:
            arguments = spider_arguments(config)
        except MissingSetting as exc:
            summary.skipped_reason = str(exc)
            continue
        summary.tls_unverified = not config.verify_tls
        ingestor = _SourceIngestor(engine, config, rows[key], summary)
        ingestors.append(ingestor)
        # Each source gets its own crawler, so TLS policy (and any other setting) is per source.
        crawler = process.create_crawler(spider_class)
        crawler.settings.setdict(
            {
                **tls_settings(config),
                **size_settings(config),
                ALLOWED_REDIRECT_HOSTS_SETTING: list(config.allowed_redirect_hosts),
            },
            priority="spider",
        )

        def on_item(item: Any, ingestor: _SourceIngestor = ingestor, **_: Any) -> None:
            ingestor.receive(item)
            if progress:
                progress("item", ingestor.summary)

        def on_error(failure: Any, response: Any, ingestor: _SourceIngestor = ingestor, **_: Any) -> None:
            url = getattr(response, "url", "?")
            ingestor.summary.errors.append(redact_text(f"spider error on {url}: {failure.getErrorMessage()}"))

        def on_closed(reason: str, ingestor: _SourceIngestor = ingestor, **_: Any) -> None:
            if reason not in ("finished",):
                ingestor.summary.errors.append(f"crawl ended early: {reason}")
            ingestor.summary.finished = True
            if progress:
                progress("done", ingestor.summary)

        # Strong references: the dispatcher holds weak ones, and these closures live only in this loop.
        crawler.signals.connect(on_item, signal=signals.item_scraped, weak=False)
        crawler.signals.connect(on_error, signal=signals.spider_error, weak=False)
        crawler.signals.connect(on_closed, signal=signals.spider_closed, weak=False)
        process.crawl(crawler, **arguments)
        crawlers_started += 1

    if crawlers_started:
        process.start()
    for ingestor in ingestors:
        if ingestor.summary.finished:
            _withdraw_missing(ingestor)
    for summary in summaries.values():
        if not summary.finished and not summary.skipped_reason and not summary.errors:
            summary.errors.append("the crawl did not run to its end (see the log above)")
        _finish_run(engine, summary)
    return list(summaries.values())


def _withdraw_missing(ingestor: _SourceIngestor) -> None:
    """After a crawl ran to its end: withdrawals, a failure to record them being the run's error."""
    try:
        ingestor.withdraw_missing()
    except Exception as exc:
        if ingestor.disk_full("recording withdrawn series", exc):
            return
        log.exception("withdrawals of %s failed", ingestor.config.key)
        ingestor.summary.errors.append(f"cannot record withdrawn series: {exc}")


def ingest_responses(
    engine: sa.Engine, registry: Registry, key: str, items: Iterable[RawResponse | FetchFailure]
) -> SourceSummary:
    """What a refresh does with one source's crawled items, given the items: a recorded run of them.

    The same steps as after a crawl (each response kept as a snapshot, then parsed, harmonized and
    ingested; withdrawals; the run recorded with its errors), without Scrapy's reactor, which cannot run
    twice in one process: so a test can put recorded answers, good or bad, through the refresh path
    in-process, many times.
    """
    summary = SourceSummary(key=key)
    with session_scope(engine) as session:
        row = sync_sources(session, registry)[key]
    summary.run_id = _start_run(engine, row)
    ingestor = _SourceIngestor(engine, registry.get(key), row, summary)
    for item in items:
        ingestor.receive(item)
    summary.finished = True
    _withdraw_missing(ingestor)
    _finish_run(engine, summary)
    return summary


def ingest_raw(engine: sa.Engine, registry: Registry, raw: RawResponse) -> SourceSummary:
    """Keep one response a user supplied (an uploaded report) and ingest it like a crawled one.

    The same path as a refresh: snapshot first, then parse, harmonize and ingest in one transaction;
    the returned summary carries any parse error.
    """
    config = registry.get(raw.source)
    summary = SourceSummary(key=raw.source)
    with session_scope(engine) as session:
        row = sync_sources(session, registry)[raw.source]
    ingestor = _SourceIngestor(engine, config, row, summary)
    ingestor.receive(raw)
    ingestor.withdraw_missing()
    return summary


def reparse_pending(engine: sa.Engine, registry: Registry, key: str) -> SourceSummary:
    """Parse again, without the network, the snapshots of a source that never parsed successfully.

    Useful after a parser fix. A pending snapshot is skipped when a later snapshot of the same URL was
    parsed: its older values must not overwrite newer ones. Snapshots are handled oldest first, one at a
    time, so memory stays bounded by the largest body.
    """
    summary = SourceSummary(key=key)
    with session_scope(engine) as session:
        row = sync_sources(session, registry)[key]
        snapshots = session.exec(
            select(Snapshot).where(Snapshot.source_id == row.id).order_by(col(Snapshot.retrieved_at))
        ).all()
    newest_ok: dict[str, datetime] = {}
    for snapshot in snapshots:
        if snapshot.parse_status == "ok":
            newest_ok[_request_of(snapshot)] = snapshot.retrieved_at
    ingestor = _SourceIngestor(engine, registry.get(key), row, summary)
    for snapshot in snapshots:
        if snapshot.parse_status == "ok" or snapshot.retrieved_at < newest_ok.get(
            _request_of(snapshot), snapshot.retrieved_at
        ):
            continue
        with session_scope(engine) as session:
            body = load_body(session, snapshot)
        summary.snapshots_unchanged += 1
        ingestor.ingest_snapshot(snapshot, body)
    return summary
