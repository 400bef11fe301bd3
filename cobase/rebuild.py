"""Rebuild: parse every stored snapshot again with today's parsers, mappings and catalogue, offline.

A fix of ours (a parser, an alias, a catalogue link) must reach values already stored, and must not pose as
a producer's revision. For each source, oldest snapshot first:

* snapshots that never parsed are handed to :func:`cobase.refresh.reparse_pending` (the ``reparse`` path);
* for a snapshot that parsed, each stored version it produced is compared with what it yields today:
  - the same value: only its ``processing_version`` is brought up to date;
  - another value: the row is corrected **in place** (same id, same ``published_at``, same place in its
    series' history) and a ``processing_change`` row (kind ``changed``) keeps what it said before;
  - no longer yielded: the row is removed from the observations and kept whole in a ``processing_change``
    (kind ``removed``); a version that superseded it now supersedes its predecessor;
* a series the snapshot yields today and that no stored version has (a fix now reads it) is ingested as
  new, first seen at the snapshot's retrieval (kind ``added``); later snapshots then extend its history
  through the ordinary ingestion rules;
* a producer's revision that only existed because of our error (after the correction, a version equals
  the one it supersedes) is merged back into it (kind ``merged``): it was never the producer's.

Running it twice changes nothing: the second run finds every value as today's processing yields it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cobase.clock import utcnow
from cobase.db import session_scope
from cobase.harmonize.records import HarmonizeReport, ObservationIn, harmonize
from cobase.ingest import ingest_observations, series_key
from cobase.models import (
    NO_CITATION,
    CitationBase,
    Observation,
    ObservationCitation,
    ProcessingChange,
    Snapshot,
)
from cobase.parse import ParseError, get_parser
from cobase.parse._zip import zip_member_limit
from cobase.processing import PROCESSING_VERSION
from cobase.queries import CITATION_JOIN
from cobase.refresh import reparse_pending, sync_sources
from cobase.registry import Registry
from cobase.snapshots import load_body

_VALUE_FIELDS = ("value_text", "value_num", "unit", "quote", "page")
"""What a correction may change; ``published_at`` and the series' history never move."""

_CITED_FIELDS = tuple(name for name in _VALUE_FIELDS if name in CitationBase.model_fields)
"""Those of a stored version's citation (``observation_citation``), not of its observation row."""

_Stored = tuple[Observation, ObservationCitation | None]
"""A stored version and its citation (None for a value without quote, page or review)."""


@dataclass
class RebuildSummary:
    """What a rebuild did for one source."""

    key: str
    snapshots: int = 0
    unchanged: int = 0
    changed: int = 0
    removed: int = 0
    added: int = 0
    merged: int = 0
    reparsed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every snapshot could be parsed again."""
        return not self.errors


def _values(row: Observation | ObservationIn, citation: CitationBase | None = None) -> dict[str, Any]:
    """What a correction compares: a record's fields, or a stored version's with its citation's."""
    if isinstance(row, ObservationIn):
        return {name: getattr(row, name) for name in _VALUE_FIELDS}
    cited = citation or NO_CITATION
    return {name: getattr(cited if name in _CITED_FIELDS else row, name) for name in _VALUE_FIELDS}


def _record(row: Observation, citation: CitationBase | None) -> str:
    """The whole stored version, its citation's fields included (empty when it has none)."""
    cited = citation or NO_CITATION
    fields = {**row.model_dump(), **{name: getattr(cited, name) for name in CitationBase.model_fields}}
    data = {
        name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in fields.items()
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


def _correct(
    session: Session, row: Observation, citation: ObservationCitation | None, record: ObservationIn
) -> None:
    """Write ``record``'s values over the stored version's, in place; its citation follows its quote and page.

    A version that gains a quote or page gets a citation row; one left with no citation field loses it
    (the table holds a row only for versions that have one).
    """
    for name in _VALUE_FIELDS:
        if name not in _CITED_FIELDS:
            setattr(row, name, getattr(record, name))
    row.processing_version = PROCESSING_VERSION
    session.add(row)
    cited = {name: getattr(record, name) for name in _CITED_FIELDS}
    if citation is None:
        if any(value is not None for value in cited.values()):
            assert row.id is not None
            session.add(ObservationCitation(observation_id=row.id, snapshot_id=row.snapshot_id, **cited))
        return
    for name, value in cited.items():
        setattr(citation, name, value)
    if all(getattr(citation, name) is None for name in CitationBase.model_fields):
        session.delete(citation)
    else:
        session.add(citation)


def _note(
    session: Session, row: Observation, kind: str, before: str | None, after: str | None, now: datetime
) -> None:
    session.add(
        ProcessingChange(
            observation_id=row.id if kind != "removed" and kind != "merged" else None,
            series_key=row.series_key,
            snapshot_id=row.snapshot_id,
            processing_version=PROCESSING_VERSION,
            kind=kind,
            before=before,
            after=after,
            changed_at=now,
        )
    )


def _unlink(session: Session, row: Observation) -> None:
    """Remove ``row`` (and its citation) from its series' history: what superseded it now supersedes its
    predecessor."""
    session.execute(sa.delete(ObservationCitation).where(col(ObservationCitation.observation_id) == row.id))
    session.execute(
        sa.update(Observation)
        .where(col(Observation.supersedes_id) == row.id)
        .values(supersedes_id=row.supersedes_id)
    )
    session.delete(row)
    session.flush()


def _rebuild_snapshot(
    session: Session,
    summary: RebuildSummary,
    source_id: int,
    snapshot: Snapshot,
    records: list[ObservationIn],
    added_series: set[str],
    changed_ids: set[int],
    now: datetime,
) -> None:
    parsed: dict[str, ObservationIn] = {}
    for incoming in records:
        key = series_key(
            source_id,
            incoming.indicator,
            incoming.country_iso3,
            incoming.breakdown,
            incoming.period_start,
            incoming.period_end,
            incoming.item,
        )
        parsed.setdefault(key, incoming)
    stored: list[_Stored] = list(
        session.exec(
            select(Observation, ObservationCitation)
            .outerjoin(ObservationCitation, CITATION_JOIN)
            .where(Observation.snapshot_id == snapshot.id)
        ).all()
    )
    produced: set[str] = set()
    for row, citation in stored:
        produced.add(row.series_key)
        record = parsed.get(row.series_key)
        if record is None:
            _note(session, row, "removed", _record(row, citation), None, now)
            _unlink(session, row)
            summary.removed += 1
            continue
        if _values(row, citation) != _values(record):
            before = json.dumps(_values(row, citation), sort_keys=True, ensure_ascii=False)
            _correct(session, row, citation, record)
            _note(session, row, "changed", before, json.dumps(_values(record), sort_keys=True), now)
            assert row.id is not None
            changed_ids.add(row.id)
            summary.changed += 1
        elif row.processing_version != PROCESSING_VERSION:
            row.processing_version = PROCESSING_VERSION
            session.add(row)
            summary.unchanged += 1
        else:
            summary.unchanged += 1
    session.flush()
    missing = [key for key in parsed if key not in produced]
    known = _existing_series(session, missing)
    fresh = [key for key in missing if key not in known]
    to_ingest = [parsed[key] for key in missing if key in added_series or key not in known]
    if to_ingest:
        assert snapshot.id is not None
        ingest_observations(
            session,
            source_id=source_id,
            snapshot_id=snapshot.id,
            retrieved_at=snapshot.retrieved_at,
            rows=to_ingest,
            seen_at=snapshot.retrieved_at,
        )
    for key in fresh:
        added_series.add(key)
        summary.added += 1
        session.add(
            ProcessingChange(
                series_key=key,
                snapshot_id=snapshot.id,  # type: ignore[arg-type]
                processing_version=PROCESSING_VERSION,
                kind="added",
                after=json.dumps(_values(parsed[key]), sort_keys=True, ensure_ascii=False),
                changed_at=now,
            )
        )
    session.flush()


def _existing_series(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 5_000):
        part = keys[start : start + 5_000]
        found.update(
            session.exec(select(Observation.series_key).where(col(Observation.series_key).in_(part))).all()
        )
    return found


def _merge_spurious_revisions(
    session: Session, summary: RebuildSummary, changed_ids: set[int], now: datetime
) -> None:
    """A version equal to the one it supersedes, once corrected, was never a revision: merge it back."""
    if not changed_ids:
        return
    ids = sorted(changed_ids)
    candidates: list[_Stored] = list(
        session.exec(
            select(Observation, ObservationCitation)
            .outerjoin(ObservationCitation, CITATION_JOIN)
            .where(sa.or_(col(Observation.id).in_(ids), col(Observation.supersedes_id).in_(ids)))
        ).all()
    )
    for row, citation in sorted(candidates, key=lambda stored: stored[0].id or 0, reverse=True):
        if row.supersedes_id is None or (citation is not None and citation.review_status is not None):
            continue
        previous = session.get(Observation, row.supersedes_id)
        if previous is None or _values(
            previous, session.get(ObservationCitation, row.supersedes_id)
        ) != _values(row, citation):
            continue
        was_current = row.is_current
        _note(session, row, "merged", _record(row, citation), None, now)
        last_seen = max((t for t in (previous.last_seen_at, row.last_seen_at) if t is not None), default=None)
        withdrawn_at = row.withdrawn_at
        _unlink(session, row)
        previous.last_seen_at = last_seen
        if was_current:
            previous.is_current = True
            previous.superseded_at = None
        elif withdrawn_at is not None:
            previous.withdrawn_at = withdrawn_at
        session.add(previous)
        session.flush()
        summary.merged += 1


def rebuild_source(engine: sa.Engine, registry: Registry, key: str) -> RebuildSummary:
    """Bring one source's stored observations in line with today's processing (see the module)."""
    summary = RebuildSummary(key=key)
    config = registry.get(key)
    pending = reparse_pending(engine, registry, key)
    summary.reparsed = pending.snapshots_unchanged
    summary.errors += pending.errors
    with session_scope(engine) as session:
        row = sync_sources(session, registry)[key]
        source_id = row.id
        snapshots = session.exec(
            select(Snapshot)
            .where(Snapshot.source_id == source_id, Snapshot.parse_status == "ok")
            .order_by(col(Snapshot.retrieved_at), col(Snapshot.id))
        ).all()
    assert source_id is not None
    parser = get_parser(key)
    added_series: set[str] = set()
    changed_ids: set[int] = set()
    now = utcnow()
    for snapshot in snapshots:
        summary.snapshots += 1
        try:
            with session_scope(engine) as session:
                body = load_body(session, snapshot)
                meta = json.loads(snapshot.request_meta) if snapshot.request_meta else {}
                with zip_member_limit(config.max_zip_member_mb):
                    records = list(harmonize(parser(body, snapshot.url, meta), config, HarmonizeReport()))
                _rebuild_snapshot(
                    session, summary, source_id, snapshot, records, added_series, changed_ids, now
                )
        except (ParseError, ValueError, LookupError) as exc:
            # Today's parser cannot read what it once read: the stored values stay as they are.
            summary.errors.append(f"{snapshot.url}: {exc}")
    with session_scope(engine) as session:
        _merge_spurious_revisions(session, summary, changed_ids, now)
    return summary


def rebuild(engine: sa.Engine, registry: Registry, keys: Sequence[str] | None = None) -> list[RebuildSummary]:
    """Rebuild the given sources (default: every source of the registry), without the network."""
    selected = list(keys) if keys else list(registry.sources)
    for key in selected:
        registry.get(key)  # a clear error for an unknown key before any work
    return [rebuild_source(engine, registry, key) for key in selected]
