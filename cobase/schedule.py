"""Which sources are due for a refresh, from their cadence in sources.yml and the store's own record.

``cobase refresh --due`` runs from a daily timer; each source says in ``refresh_every_days`` how often it
needs refreshing. A source is due when that many UTC calendar days have passed since the day of its last
*successful* refresh (a failed or interrupted run does not count: it is retried at the next tick), when it
never succeeded, or when it declares no cadence. Days, not hours, so a daily timer that fires a few minutes
earlier than yesterday's run finished still refreshes a daily source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from cobase.clock import as_utc, parse_datetime, utcnow
from cobase.models import RefreshRun, Source
from cobase.registry import Registry


@dataclass(frozen=True)
class DueDecision:
    """Whether one source is due, and why (printed by ``cobase refresh --due``)."""

    key: str
    due: bool
    last_success_at: datetime | None
    refresh_every_days: int | None

    @property
    def reason(self) -> str:
        """One sentence saying why the source is or is not refreshed now."""
        if self.refresh_every_days is None:
            return f"{self.key}: due (no refresh_every_days in sources.yml)"
        if self.last_success_at is None:
            return f"{self.key}: due (never refreshed successfully)"
        last = self.last_success_at.date().isoformat()
        if self.due:
            return f"{self.key}: due (last success {last}, every {self.refresh_every_days} d)"
        return f"{self.key}: not due (last success {last}, every {self.refresh_every_days} d)"


def last_successes(session: Session) -> dict[str, datetime]:
    """Source key -> when its last successful refresh finished (started, for a run never finished)."""
    when = sa.func.max(sa.func.coalesce(RefreshRun.finished_at, RefreshRun.started_at))
    rows = session.execute(
        sa.select(Source.key, when)  # type: ignore[call-overload]
        .join(RefreshRun, RefreshRun.source_id == Source.id)
        .where(RefreshRun.status == "success")
        .group_by(Source.key)
    ).all()
    # Aggregates bypass the column type on SQLite: they come back as text.
    return {key: as_utc(parse_datetime(at) if isinstance(at, str) else at) for key, at in rows}


def due_sources(
    session: Session, registry: Registry, keys: Sequence[str] | None = None, now: datetime | None = None
) -> list[DueDecision]:
    """A decision for each crawlable source (or each of ``keys``), in registry order."""
    now = as_utc(now or utcnow())
    successes = last_successes(session)
    selected = list(keys) if keys else [k for k, c in registry.sources.items() if not c.is_service]
    decisions = []
    for key in selected:
        every = registry.get(key).refresh_every_days
        last = successes.get(key)
        due = every is None or last is None or (now.date() - last.date()).days >= every
        decisions.append(DueDecision(key=key, due=due, last_success_at=last, refresh_every_days=every))
    return decisions
