"""The version of cobase's own processing (parsers, mappings, catalogue links) that produced a value.

Bump :data:`PROCESSING_VERSION` whenever a parser, a harmonization rule or a catalogue mapping changes
what a stored snapshot yields; ``cobase rebuild`` then brings stored observations in line with the new
processing, and ``cobase status`` shows which sources still hold values from an older one. A change made by
a rebuild is recorded as a processing change (table ``processing_change``), never as a producer's revision.
"""

from __future__ import annotations

from datetime import datetime

PROCESSING_VERSION = 3
"""1: everything stored before issue 8 (publication basis, last seen, withdrawals, rebuild); 2: since; 3: PQR
per-delivery records and pack prices (issue 10)."""

PUBLISHED_BASES: tuple[str, ...] = ("first_release", "last_modified", "document_date", "first_seen")
"""What an observation's ``published_at`` means (see :data:`cobase.evidence.model.PublishedBasis`)."""

PRODUCER_DATED_BASES = frozenset({"first_release", "last_modified", "document_date"})
"""Bases whose date is the producer's: a date on or before D proves the value was public by D."""

RELEASE_BASES = frozenset({"first_release", "document_date"})
"""Bases whose date is when the value first became public: a date after D proves it was not public at D."""


def earliest_proof(published_basis: str, published_at: datetime | None, retrieved_at: datetime) -> datetime:
    """The earliest date by which a version is proven public ("publié au plus tard le ...").

    The producer's date when its basis is a producer's date (a last-modified stamp proves the value was
    public then, not that it was not before), else our retrieval of the snapshot holding it.
    """
    if published_at is not None and published_basis in PRODUCER_DATED_BASES:
        return min(published_at, retrieved_at)
    return retrieved_at
