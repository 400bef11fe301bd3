"""Resource limits a refresh holds to: the largest response body and the largest inflated ZIP member.

A producer (or anyone on the path to it) can send a body of any size, or a small ZIP whose member inflates
to gigabytes. Both are refused while streaming, before they cost memory or time: bodies by Scrapy
(``DOWNLOAD_MAXSIZE`` per source crawler), ZIP members by :mod:`cobase.parse._zip`. The limits are stated in
``sources.yml`` (``defaults:`` and per source); the values below apply when the file says nothing.
"""

from __future__ import annotations

DEFAULT_MAX_BODY_MB = 100.0
"""Largest response body kept (a gzip-encoded response counts inflated). The largest real files
(../shared/fixtures) are a 3.8 MB CSV and Global Fund disbursements, 2.8 MB gzipped, 36.7 MB inflated;
100 MB leaves room for producers' files to grow while a refresh of every source stays under 1 GB."""

DEFAULT_MAX_ZIP_MEMBER_MB = 300.0
"""Largest inflated size of one ZIP member read (UNAIDS yearly ZIPs, WHO GHO bulk ZIP, spreadsheets, whose
biggest real member inflates to 4.4 MB). Members are read as a stream with bounded lines, so this bounds
time more than memory: a bomb stops at this size."""

MEGABYTE = 1024 * 1024


def megabytes_to_bytes(megabytes: float) -> int:
    """A limit in bytes from its value in sources.yml (MB of 1 048 576 bytes)."""
    return int(megabytes * MEGABYTE)


def describe_megabytes(megabytes: float) -> str:
    """``100 MB`` or ``0.5 MB``: a limit as the sentences users read show it."""
    return f"{megabytes:g} MB"
