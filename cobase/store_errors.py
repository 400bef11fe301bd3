"""What can go wrong with a store, said in one sentence a user can act on.

The CLI prints these messages as they are (one sentence, no traceback); the refresh records them on its
runs. Database drivers wrap the operating system's errors differently (SQLite says "database or disk is
full", PostgreSQL raises ``DiskFull``, a plain write raises ``OSError(ENOSPC)``), so the disk-full test
walks the whole chain of causes.
"""

from __future__ import annotations

import errno


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says which URL and why."""


class StoreMissing(StoreError):
    """A read command was pointed at a store that does not exist (read commands never create one)."""


class ForeignStore(StoreError):
    """The database holds another application's tables, or is not a database: it is left unchanged."""


class ReadOnlyStore(StoreError):
    """A command that writes was pointed at a store that can only be read."""


_DISK_FULL_TEXTS = ("database or disk is full", "no space left on device", "could not extend file")


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        original = getattr(current, "orig", None)  # SQLAlchemy keeps the driver's error here
        if isinstance(original, BaseException) and original not in chain:
            chain.append(original)
        current = current.__cause__ or current.__context__
    return chain


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or anything it wraps) says the disk or the database's space is full."""
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if type(cause).__name__ == "DiskFull" or getattr(cause, "sqlstate", None) == "53100":
            return True
        if any(text in str(cause).lower() for text in _DISK_FULL_TEXTS):
            return True
    return False


def is_read_only(exc: BaseException) -> bool:
    """True when ``exc`` says the database refused a write because it is read-only."""
    return any(
        "readonly database" in str(cause).lower()
        or "read-only" in str(cause).lower()
        or (isinstance(cause, OSError) and cause.errno == errno.EROFS)
        for cause in _causes(exc)
    )


DISK_FULL = "le disque est plein / disk full"


def storage_failure(what: str, exc: BaseException) -> str:
    """One sentence for a failed write: disk full and read-only said plainly, else the driver's reason.

    Never the SQL statement or its parameters (a snapshot's body would be printed whole).
    """
    if is_disk_full(exc):
        return f"{DISK_FULL}: {what} failed; nothing stored before was changed"
    if is_read_only(exc):
        return f"the store is read-only: {what} failed"
    original = getattr(exc, "orig", None) or exc
    reason = str(original).splitlines()[0] if str(original) else original.__class__.__name__
    return f"{what} failed ({original.__class__.__name__}: {reason})"
