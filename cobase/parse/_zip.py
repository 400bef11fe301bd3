"""Read ZIP members as bounded streams: every parser that opens a ZIP goes through :func:`open_member`.

A ZIP of a few megabytes can hold a member that inflates to gigabytes (a "ZIP bomb", by malice or by a
producer's mistake). Reading it whole would exhaust memory; reading it as a stream still costs minutes.
So a member is refused before inflating anything when its declared size is beyond the limit, and its
stream counts inflated bytes and stops at the limit whatever the header says. Lines read from a member
are bounded too, so a member without line breaks cannot build one enormous string.

The limit is the source's ``max_zip_member_mb`` (sources.yml): the refresh sets it around each parse
with :func:`zip_member_limit`, so parsers keep their ``parser(body, url, request_meta)`` signature.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO

from cobase.limits import DEFAULT_MAX_ZIP_MEMBER_MB, describe_megabytes, megabytes_to_bytes
from cobase.parse import ParseError

MAX_LINE_CHARS = 1_000_000
"""Longest text line read from a member or a CSV body: real lines are a few hundred characters."""

_member_limit_mb: ContextVar[float] = ContextVar("zip_member_limit_mb", default=DEFAULT_MAX_ZIP_MEMBER_MB)


class MemberTooLarge(ParseError):
    """A ZIP member inflates beyond the source's ``max_zip_member_mb``: refused, nothing ingested."""


@contextmanager
def zip_member_limit(megabytes: float) -> Iterator[None]:
    """Parse with this limit on each inflated ZIP member (the source's ``max_zip_member_mb``)."""
    token = _member_limit_mb.set(megabytes)
    try:
        yield
    finally:
        _member_limit_mb.reset(token)


def current_limit() -> int:
    """The limit in force, in bytes."""
    return megabytes_to_bytes(_member_limit_mb.get())


def _refusal(where: str, _limit: int) -> MemberTooLarge:
    return MemberTooLarge(
        f"{where} inflates beyond {describe_megabytes(_member_limit_mb.get())}, the max_zip_member_mb limit "
        "of sources.yml: refused, no value of this response was ingested"
    )


class _CappedReader(io.RawIOBase):
    """A member's inflated bytes, failing as soon as more than ``limit`` have come out."""

    def __init__(self, stream: IO[bytes], limit: int, where: str) -> None:
        super().__init__()
        self._stream = stream
        self._limit = limit
        self._where = where
        self.inflated = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        # Never ask for more than one byte past the limit: the refusal comes before the bytes are kept.
        wanted = min(len(buffer), self._limit + 1 - self.inflated)
        data = self._stream.read(max(wanted, 1))
        self.inflated += len(data)
        if self.inflated > self._limit:
            raise _refusal(self._where, self._limit)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def open_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str, where: str) -> IO[bytes]:
    """A buffered stream of one member, refused beyond the limit (declared size first, then inflated)."""
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    limit = current_limit()
    if info.file_size > limit:
        raise _refusal(where, limit)
    return io.BufferedReader(_CappedReader(archive.open(info), limit, where), buffer_size=64 * 1024)


def check_members(archive: zipfile.ZipFile, where: str) -> None:
    """Refuse an archive any member of which declares more than the limit (for readers such as a
    spreadsheet library that open members themselves)."""
    limit = current_limit()
    for info in archive.infolist():
        if info.file_size > limit:
            raise _refusal(f"{where}!{info.filename}", limit)


def bounded_lines(text: IO[str], where: str, max_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of a text stream, each at most ``max_chars``: a longer one is a :class:`ParseError`."""
    while line := text.readline(max_chars + 1):
        if len(line) > max_chars and line[-1] not in "\r\n":
            raise ParseError(f"{where}: a line is longer than {max_chars} characters (not a data file?)")
        yield line
