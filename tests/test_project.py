"""Project-wide contracts: migrations match models; every CLI command is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from cobase.cli import app
from cobase.db import open_store

REPO = Path(__file__).resolve().parent.parent
# Sources, spiders, parsers, spider tests and fixtures agreeing: tests/test_source_checklist.py.


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_every_cli_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert [name for name in commands if not re.search(rf"`cobase {name}\b", readme)] == []
