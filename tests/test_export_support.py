"""Builders of evidence objects for pure-function tests (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cobase.evidence.model import Evidence


def evidence(**overrides: Any) -> Evidence:
    """An Evidence with plausible defaults, overridden by keyword."""
    fields: dict[str, Any] = {
        "source": "who_gho",
        "producer": "World Health Organization",
        "indicator": "X",
        "label_fr": "X",
        "label_en": "X",
        "item": None,
        "value": "1",
        "value_num": None,
        "unit": None,
        "period_start": date(2022, 1, 1),
        "period_end": date(2022, 12, 31),
        "published_at": datetime(2023, 1, 1, tzinfo=UTC),
        "retrieved_at": datetime(2023, 2, 1, tzinfo=UTC),
        "url": "https://example.org",
        "snapshot_sha256": "0" * 64,
    }
    fields.update(overrides)
    return Evidence(**fields)
