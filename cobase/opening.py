"""Opening an SQLite store file safely: never half-created, never someone else's, readable when read-only.

* A new store is built whole in a temporary file next to it, then linked into place in one atomic step:
  a process killed while building leaves only its temporary file (removed by the next opener), never a
  store that cannot be opened; two processes creating the same store at once both end up on the one that
  was linked first.
* A file that is not a cobase store (another application's tables, or not SQLite at all) is refused
  before anything is written to it (cobase's connections switch a store to WAL; this check does not).
* A store on a read-only file, directory or mount is opened read-only (``immutable`` when SQLite cannot
  even create its shared-memory file there), so read commands work on a read-only copy.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

from cobase.store_errors import ForeignStore, StoreError

SQLITE_HEADER = b"SQLite format 3\x00"
COBASE_TABLES = {"source", "snapshot", "observation", "refresh_run"}
_CREATING = ".creating-"


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for an in-memory database or another dialect."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return None
    return Path(path.removeprefix("file:"))


def is_read_only(path: Path) -> bool:
    """True when cobase cannot write ``path`` (or, for a new store, its directory)."""
    if path.exists():
        return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    parent = next((p for p in path.parents if p.exists()), None)
    return parent is None or not os.access(parent, os.W_OK)


def read_only_uri(path: Path) -> str:
    """An SQLite URI reading ``path`` without writing anything, WAL store included.

    ``mode=ro`` is enough when the store's shared-memory file can be used; on a read-only copy (no
    ``-shm``, directory not writable) SQLite needs ``immutable=1``, which is true of a copy.
    """
    base = f"file:{quote(str(path))}?mode=ro"
    try:
        connection = sqlite3.connect(base, uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return base + "&immutable=1"
    return base


def _tables_and_revision(path: Path) -> tuple[set[str], str | None]:
    uri = read_only_uri(path) if is_read_only(path) else f"file:{quote(str(path))}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        connection = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        revision = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return tables, revision
    except sqlite3.DatabaseError as exc:
        raise ForeignStore(f"{path} is not a cobase store ({exc}); pass another --db") from exc
    finally:
        connection.close()


def inspect_sqlite_file(path: Path, known_revisions: set[str]) -> str:
    """``missing``, ``empty`` or ``cobase``; :class:`ForeignStore` for anything else, left unchanged."""
    if not path.exists():
        return "missing"
    if path.is_dir():
        raise ForeignStore(f"{path} is a directory, not a cobase store; pass a file path to --db")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not header:
        return "empty"
    if header != SQLITE_HEADER:
        raise ForeignStore(f"{path} is not an SQLite database, so not a cobase store; pass another --db")
    tables, revision = _tables_and_revision(path)
    if not tables:
        return "empty"
    if revision in known_revisions:
        return "cobase"
    if revision is not None and tables >= COBASE_TABLES:
        raise ForeignStore(
            f"{path} was written by a newer cobase (schema revision {revision}); upgrade cobase to open it"
        )
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    raise ForeignStore(
        f"{path} is not a cobase store (it holds other tables: {shown}) and was left unchanged; "
        "pass another --db"
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_abandoned_builds(path: Path) -> None:
    """Delete temporary builds of ``path`` left by processes of this host that are gone (killed)."""
    host = socket.gethostname()
    for leftover in path.parent.glob(f".{path.name}{_CREATING}*"):
        parts = leftover.name.split(_CREATING, 1)[1].rsplit("-", 2)  # host-pid-random
        if len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not _pid_alive(int(parts[1])):
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{leftover}{suffix}").unlink()


def create_atomically(path: Path, build: Callable[[Path], None], replace_empty: bool = False) -> None:
    """Build a new store with ``build(temporary_path)`` and link it to ``path`` in one atomic step.

    When another process linked its store first, ours is discarded and theirs is used: both openers
    succeed. ``replace_empty`` replaces an existing empty file (``touch``-ed) instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_builds(path)
    temporary = path.parent / f".{path.name}{_CREATING}{socket.gethostname()}-{os.getpid()}-{uuid4().hex[:8]}"
    try:
        build(temporary)
        if replace_empty:
            os.replace(temporary, path)
            return
        try:
            os.link(temporary, path)  # fails if the path exists: the first complete store wins
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links
            if not path.exists():
                os.replace(temporary, path)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{temporary}{suffix}").unlink()
