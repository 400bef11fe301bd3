"""The one place that owns the engine: open a store, migrate it, hand out sessions.

Every database is brought to the latest Alembic revision when opened, so a fresh SQLite file and a
team's PostgreSQL server are created by the same migrations. Opening is safe for unattended use
(:mod:`cobase.opening`): migrations run in one transaction that concurrent openers wait for, a new SQLite
store appears whole or not at all, a foreign database is refused unchanged, a read-only store opens for
reading, and read commands (``create=False``) never create a store.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from cobase.opening import create_atomically, inspect_sqlite_file, is_read_only, read_only_uri, sqlite_path
from cobase.settings import database_url
from cobase.store_errors import ForeignStore, StoreError, StoreMissing

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["ForeignStore", "StoreError", "StoreMissing", "make_engine", "open_store", "session_scope"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at cobase's migrations and at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


_REVISION_LINE = re.compile(r'^(down_revision|revision)\b[^=]*=\s*["\']([^"\']+)["\']', re.MULTILINE)


@lru_cache(maxsize=1)
def _revisions() -> tuple[str, frozenset[str]]:
    """The head revision and every revision cobase knows (a store at any of them is ours).

    Read from the migration files' ``revision``/``down_revision`` lines: a few small files take under a
    millisecond, where loading Alembic's script directory takes a tenth of a second or more on every
    command (``tests/test_cli_startup.py`` checks that both agree). The head is empty when the files do
    not name exactly one, and then a full Alembic upgrade decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return (next(iter(heads)) if len(heads) == 1 else ""), frozenset(revisions)


def head_revision() -> str | None:
    """The newest migration's id (None when the migration files do not name exactly one head)."""
    return _revisions()[0] or None


def _stamped(connection: sa.Connection) -> str | None:
    """The revision a database records, without loading Alembic (None for a database without one)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def is_at_head(engine: sa.Engine) -> bool:
    """Whether the database already records the newest migration (then opening it loads no Alembic)."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            return _stamped(connection) == head
    except sa.exc.SQLAlchemyError:
        return False  # let the full upgrade report what is wrong


def _on_sqlite_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the app read while a cron refresh writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A bigger page cache and memory-mapped reads keep an assessment fast on a store of millions of rows.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


SUPPORTED_BACKENDS = ("sqlite", "postgresql")
"""The databases cobase's migrations and queries are written and tested for."""


def _on_read_only_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str | None = None) -> sa.Engine:
    """Create an engine for ``url`` (or the configured default) without touching the schema.

    A URL of another database (``mysql://``) or whose driver is missing is one :class:`StoreError`
    sentence, never a driver's traceback; the password never appears in it.
    A store cobase cannot write (read-only file, directory or mount) gets a read-only engine.
    """
    resolved = database_url(url)
    try:
        parsed = sa.engine.make_url(resolved)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"not a database URL or SQLite path: {resolved.split('@')[-1]!r}") from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"cobase stores its data in SQLite or PostgreSQL, not {parsed.get_backend_name()} ({shown})"
        )
    if resolved.startswith("sqlite"):
        path = sqlite_path(resolved)
        if path is not None and path.exists() and is_read_only(path):
            engine = sa.create_engine(
                f"sqlite:///{read_only_uri(path)}&uri=true", connect_args={"timeout": 60}
            )
            sa.event.listen(engine, "connect", _on_read_only_connect)
            return engine
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(resolved, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    try:
        return sa.create_engine(resolved, pool_pre_ping=True)
    except ImportError as exc:
        raise StoreError(
            f"the database driver for {shown} is not installed (pip install -e '.[postgres]')"
        ) from exc


def _migration_engine(engine: sa.Engine) -> sa.Engine:
    """An engine whose transactions really enclose DDL, and that one migrator holds at a time.

    Python's sqlite3 commits before each DDL statement; with autocommit at the driver and an explicit
    ``BEGIN IMMEDIATE``, the whole upgrade is one transaction (a kill rolls it back) that a concurrent
    opener waits for. PostgreSQL's DDL is transactional already; an advisory lock serialises openers.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine  # an in-memory database exists only on the engine's own connection
    migrating = sa.create_engine(
        engine.url, connect_args={"timeout": 60, "isolation_level": None}, poolclass=sa.pool.NullPool
    )

    @sa.event.listens_for(migrating, "connect")
    def _connect(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(migrating, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


MIGRATION_LOCK = 0x636F62_00000001
"""PostgreSQL advisory lock key held while migrating (``cob`` + 1), per database."""


def current_revision(engine: sa.Engine) -> str | None:
    """The store's Alembic revision (None for an empty database)."""
    with engine.connect() as connection:
        return _stamped(connection)


def migrate(engine: sa.Engine) -> None:
    """Bring the database to the newest migration (idempotent, one transaction, one migrator at a time).

    Nearly free when the store is already at the head: no Alembic is loaded then.
    """
    if is_at_head(engine):
        return
    from alembic import command

    migrating = _migration_engine(engine)
    head, _known = _revisions()
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with migrating.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            # Another opener may have migrated while we waited for the lock.
            if head and _stamped(connection) == head:
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc.__class__.__name__}: {exc}") from exc
    finally:
        if migrating is not engine:
            migrating.dispose()


def _check_server_store(engine: sa.Engine, create: bool) -> None:
    """On a server database: refuse another application's schema; say so when no store exists yet."""
    _head, known = _revisions()
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        revision = _stamped(connection) if tables else None
    if not tables:
        if not create:
            raise StoreMissing(
                f"the store {engine.url!r} does not exist yet: run `cobase refresh` or `cobase demo` first"
            )
        return
    if revision not in known:
        raise ForeignStore(
            f"the database {engine.url!r} is not a cobase store (it holds other tables) and was left "
            "unchanged; pass another --db"
        )


def _open(resolved: str, create: bool) -> sa.Engine:
    head, known = _revisions()
    path = sqlite_path(resolved)
    if path is not None:
        state = inspect_sqlite_file(path, set(known))
        if state != "cobase":
            if not create:
                raise StoreMissing(
                    f"the store {path} does not exist: run `cobase refresh` or `cobase demo` first, "
                    "or pass --db to an existing one"
                )
            if is_read_only(path):
                raise StoreError(f"cannot create the store {path}: its directory is read-only")

            def build(temporary: Path) -> None:
                builder = sa.create_engine(f"sqlite:///{temporary}", poolclass=sa.pool.NullPool)
                try:
                    migrate(builder)
                finally:
                    builder.dispose()

            create_atomically(path, build, replace_empty=state == "empty")
    engine = make_engine(resolved)
    try:
        if engine.dialect.name != "sqlite":
            _check_server_store(engine, create)
        if current_revision(engine) != head:
            if path is not None and is_read_only(path):
                raise StoreError(
                    f"the store {path} is read-only and needs an upgrade: open it once with write access"
                )
            migrate(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open database {engine.url!r}: {exc.orig}") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


class _StoreOpener:
    """``open_store``: engines cached per URL, so a process opens (and migrates) each store once."""

    def __init__(self) -> None:
        self._engines: dict[str, sa.Engine] = {}

    def __call__(self, url: str | None = None, *, create: bool = True) -> sa.Engine:
        """An engine on a migrated store; with ``create=False`` a missing store is :class:`StoreMissing`."""
        resolved = database_url(url)
        engine = self._engines.get(resolved)
        if engine is None:
            engine = _open(resolved, create)
            self._engines[resolved] = engine
        return engine

    def cache_clear(self) -> None:
        """Forget the engines (tests that wipe a database open it anew)."""
        self._engines.clear()


open_store = _StoreOpener()


def store_lock_key(connection: sa.Connection, name: str) -> int:
    """A PostgreSQL advisory lock key for ``name`` in this store (its database and schema)."""
    schema = connection.execute(sa.text("SELECT current_database() || '.' || current_schema()")).scalar()
    return (0x636F62 << 32) | (zlib.crc32(f"{schema}:{name}".encode()) & 0x7FFFFFFF)


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
