"""Where cobase keeps things: the database URL and the sources file.

Precedence for the database: ``--db`` flag, then ``COBASE_DB``, then an SQLite file in the user's data
directory (platformdirs). Any SQLAlchemy URL works (``postgresql+psycopg://...`` for a team).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "cobase"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_SOURCES = Path(__file__).resolve().parent / "sources.yml"


def data_dir() -> Path:
    """The per-user data directory, created on first use."""
    path = Path(os.environ.get("COBASE_DATA_DIR") or user_data_path(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(explicit: str | None = None) -> str:
    """Resolve the database URL; a plain path is accepted and turned into an SQLite URL."""
    url = explicit or os.environ.get("COBASE_DB")
    if not url:
        return f"sqlite:///{data_dir() / 'cobase.db'}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def sources_file(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The sources registry: ``--sources``, then ``COBASE_SOURCES``, then the repository's sources.yml.

    The repository copy sits at the project root so people edit it where they see it; an installed
    package falls back to the copy shipped inside ``cobase/``.
    """
    if explicit:
        return Path(explicit)
    if env := os.environ.get("COBASE_SOURCES"):
        return Path(env)
    root_copy = PROJECT_ROOT / "sources.yml"
    return root_copy if root_copy.exists() else PACKAGED_SOURCES
