"""What a monitor needs from ``cobase status``: one exit code and one sentence.

Exit codes follow the monitoring-plugin convention (Nagios, Icinga, most cron wrappers understand it):
0 every refreshed source is fresh, 1 some source is stale (no success for longer than the allowed age),
2 some source's last run failed or was interrupted, 3 the store cannot be opened. Sources never
refreshed (a service such as the Internet Archive, curated findings) are not judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cobase.queries import SourceStatus

HEALTHY, STALE, FAILED, UNREADABLE = 0, 1, 2, 3


@dataclass(frozen=True)
class Health:
    """The store's health: an exit code and the sentence that explains it."""

    code: int
    sentence: str


def store_health(statuses: Sequence[SourceStatus], now: datetime, max_age: timedelta) -> Health:
    """Judge every refreshed source: failed or interrupted beats stale beats fresh."""
    failed = [s.source for s in statuses if s.last_run_status in ("failed", "interrupted")]
    stale = [
        s.source
        for s in statuses
        if s.last_run_status is not None
        and s.source not in failed
        and (
            (s.last_success_at is None and s.last_run_status not in ("skipped",))
            or (s.last_success_at is not None and now - s.last_success_at > max_age)
        )
    ]
    days = max_age / timedelta(days=1)
    parts = []
    if failed:
        parts.append(f"en échec ou interrompues / failed or interrupted: {', '.join(failed)}")
    if stale:
        names = ", ".join(stale)
        parts.append(f"pas rafraîchies depuis {days:g} jours / not refreshed for {days:g} days: {names}")
    if failed:
        return Health(FAILED, "; ".join(parts))
    if stale:
        return Health(STALE, "; ".join(parts))
    return Health(HEALTHY, "toutes les sources rafraîchies sont à jour / every refreshed source is fresh")
