"""The one place that owns the engine: open a store, migrate it, hand out sessions.

Every database is brought to the latest Alembic revision when opened, so a fresh SQLite file and a
team's PostgreSQL server are created by the same migrations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cobase.settings import database_url

# SQLAlchemy, Alembic and SQLModel are imported where used: `cobase --help`, or a command that opens no
# store, pays for none of them (they are most of the command line's start-up time).
if TYPE_CHECKING:
    import sqlalchemy as sa
    from alembic.config import Config
    from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_REVISION_LINE = re.compile(r'^(down_revision|revision)\b[^=]*=\s*["\']([^"\']+)["\']', re.MULTILINE)


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says which URL and why."""


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at cobase's migrations and at ``url``."""
    from alembic.config import Config

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


def make_engine(url: str | None = None) -> sa.Engine:
    """Create an engine for ``url`` (or the configured default) without touching the schema."""
    import sqlalchemy as sa

    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        path = resolved.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(resolved, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return sa.create_engine(resolved, pool_pre_ping=True)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration's id, read from the files' ``revision``/``down_revision`` lines.

    Reading a few small files takes under a millisecond where loading Alembic's script directory takes a
    tenth of a second or more; None (so a full upgrade runs) when the files do not name exactly one head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def is_at_head(engine: sa.Engine) -> bool:
    """Whether the database already records the newest migration (then opening it loads no Alembic)."""
    import sqlalchemy as sa

    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return False
            stamped = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except sa.exc.SQLAlchemyError:
        return False  # let the full upgrade report what is wrong
    return stamped == [head]


def migrate(engine: sa.Engine) -> None:
    """Bring the database to the newest migration (idempotent; nearly free when already there)."""
    import sqlalchemy as sa

    if is_at_head(engine):
        return
    from alembic import command

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
    import sqlalchemy as sa

    engine = make_engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot open database {engine.url!r}: {exc.orig}") from exc
    return engine


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
