"""The one place that owns the engine: open a store, migrate it, hand out sessions.

Every database is brought to the latest Alembic revision when opened, so a fresh SQLite file and a
team's PostgreSQL server are created by the same migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

from cobase.settings import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says which URL and why."""


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at cobase's migrations and at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


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


def make_engine(url: str | None = None) -> sa.Engine:
    """Create an engine for ``url`` (or the configured default) without touching the schema.

    A URL of another database (``mysql://``) or whose driver is missing is one :class:`StoreError`
    sentence, never a driver's traceback; the password never appears in it.
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
        path = resolved.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(resolved, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    try:
        return sa.create_engine(resolved, pool_pre_ping=True)
    except ImportError as exc:
        raise StoreError(
            f"the database driver for {shown} is not installed (pip install -e '.[postgres]')"
        ) from exc


def migrate(engine: sa.Engine) -> None:
    """Bring the database to the newest migration (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc.__class__.__name__}: {exc}") from exc


@lru_cache(maxsize=8)
def open_store(url: str | None = None) -> sa.Engine:
    """An engine on a migrated database; cached so a process migrates each URL once."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot open database {engine.url!r}: {exc.orig}") from exc
    return engine


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
