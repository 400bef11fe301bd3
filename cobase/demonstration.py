"""The demonstration store: the project's sample files, loaded apart from real data and marked as such.

A newcomer (``make run`` on a fresh machine) gets a working app without a terminal step: on an empty
store the app offers to load the sample files, through the real refresh path, into a *separate* store
next to the real one (``cobase.db`` -> ``cobase.demo.db``), so sample values can never mix with what a
refresh fetched. The store itself carries the mark (a ``source`` row with the reserved key
:data:`MARK_KEY`, so no migration is needed and every backend holds it), which is why the app's pages
and every dossier made from it (PDF, DOCX, Markdown, by the app or ``cobase dossier``) carry the banner
« données de démonstration », whoever reads it and however it was opened.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from cobase.models import Source
from cobase.settings import data_dir, database_url

MARK_KEY = "demonstration"
"""Reserved ``source.key`` whose presence marks a store as demonstration data (never a sources.yml key)."""

DEMO_SUFFIX = ".demo"
"""What the demonstration store adds to the real store's file name: ``cobase.db`` -> ``cobase.demo.db``."""

LOAD_TIMEOUT_SECONDS = 600
"""Loading serves a few dozen small files from 127.0.0.1; it takes seconds, this only stops a hang."""


class DemonstrationError(RuntimeError):
    """The sample files cannot be loaded; the message says why in one sentence."""


def demonstration_url(real_url: str | None = None) -> str:
    """Where the demonstration store of a real store lives.

    ``COBASE_DEMO_DB`` when set; next to an SQLite store (same folder, ``.demo`` before the suffix);
    for a server database (PostgreSQL), a file in the user's data directory: sample data never goes into
    a team's database.
    """
    if explicit := os.environ.get("COBASE_DEMO_DB"):
        return database_url(explicit)
    url = sa.engine.make_url(database_url(real_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if path.stem.endswith(DEMO_SUFFIX):  # already the demonstration store
            return url.render_as_string(hide_password=False)
        suffix = path.suffix or ".db"
        return f"sqlite:///{path.with_name(path.stem + DEMO_SUFFIX + suffix)}"
    return f"sqlite:///{data_dir() / f'cobase{DEMO_SUFFIX}.db'}"


def demonstration_store_exists(url: str) -> bool:
    """Whether a demonstration store may hold data, without creating it (an SQLite file must exist)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return bool(parsed.database) and Path(parsed.database or "").is_file()
    return True


def is_demonstration(session: Session) -> bool:
    """Whether this store holds demonstration data (its mark is present)."""
    return session.exec(select(Source.id).where(Source.key == MARK_KEY)).first() is not None


def mark_demonstration(session: Session) -> None:
    """Mark the store as demonstration data (idempotent)."""
    if not is_demonstration(session):
        session.add(
            Source(
                key=MARK_KEY,
                producer="cobase",
                title="Données de démonstration / Demonstration data",
                url_main="",
                licence_name="AGPL-3.0-or-later (cobase's sample files)",
            )
        )
        session.flush()


def load_demonstration(target_url: str, timeout: float = LOAD_TIMEOUT_SECONDS) -> None:
    """Load the sample files into ``target_url`` with ``cobase demo``, in a process of its own.

    A process of its own because Scrapy's reactor runs once per process, and the app (a long-lived
    Streamlit server) may be asked twice. Raises :class:`DemonstrationError` with the command's own
    one-sentence error when it fails.
    """
    command = [sys.executable, "-m", "cobase", "demo", "--db", target_url]
    environment = {**os.environ, "COLUMNS": "120"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DemonstrationError(
            f"le chargement des données de démonstration n'a pas fini en {timeout:.0f} s / "
            "loading the demonstration data did not finish"
        ) from exc
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.startswith("Erreur")]
        reason = (
            lines[-1].removeprefix("Erreur / Error: ")
            if lines
            else f"cobase demo exited with code {result.returncode}"
        )
        raise DemonstrationError(reason)
