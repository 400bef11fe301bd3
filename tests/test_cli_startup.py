"""The command line starts quickly: nothing heavy is imported before a command needs it, and opening a
store that is already at the newest migration does not load Alembic.

The imports are checked in a new interpreter, since what a test process has already imported says
nothing about what ``cobase`` pays at start-up.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from cobase.db import alembic_config, head_revision, is_at_head, open_store

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "scrapy", "pandas", "streamlit", "rich.traceback")
"""What `cobase --help` must not import (each costs tens to hundreds of milliseconds)."""


def _imported_after(code: str) -> set[str]:
    """Top-level module names (and rich.traceback) loaded by a fresh interpreter running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_help_imports_nothing_heavy() -> None:
    loaded = _imported_after(
        "import contextlib, io\n"
        "from typer.testing import CliRunner\n"
        "from cobase.cli import app\n"
        "assert 'Commands' in CliRunner().invoke(app, ['--help']).output"
    )
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_read_commands_import_neither_scrapy_nor_pandas() -> None:
    """``status``, ``assess`` and ``dossier`` read sources.yml and the cost module, and never crawl or read
    a workbook: the spiders' arguments come from their source text, pandas only with a workbook."""
    loaded = _imported_after(
        "from cobase.registry import load_registry\nload_registry()\nimport cobase.export"
    )
    assert sorted({"scrapy", "twisted", "pandas"} & loaded) == []


def test_help_is_plain_text_listing_every_command() -> None:
    from typer.testing import CliRunner

    from cobase.cli import app

    output = CliRunner().invoke(app, ["--help"]).output
    assert "╭" not in output  # no Rich panels: Typer's Rich help is what made start-up slow
    for name in ("refresh", "status", "observations", "assess", "dossier", "app", "finding", "document"):
        assert f"  {name} " in output


def test_the_head_revision_is_alembics(tmp_path: Path) -> None:
    config = alembic_config(f"sqlite:///{tmp_path / 'unused.db'}")
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_opening_a_store_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_store(url).dispose()
    loaded = _imported_after(f"from cobase.db import open_store\nopen_store({url!r})")
    assert "alembic" not in loaded and "sqlalchemy" in loaded


def test_a_store_behind_head_is_still_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    head = head_revision()
    assert head is not None
    previous = ScriptDirectory.from_config(alembic_config(url)).get_revision(head).down_revision
    assert isinstance(previous, str)
    command.upgrade(alembic_config(url), previous)
    engine = sa.create_engine(url)
    assert not is_at_head(engine)
    engine.dispose()
    engine = open_store(url)
    with engine.connect() as connection:
        stamped = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert stamped == [head] and is_at_head(engine)


def test_a_fresh_file_is_not_at_head(tmp_path: Path) -> None:
    assert not is_at_head(sa.create_engine(f"sqlite:///{tmp_path / 'new.db'}"))
