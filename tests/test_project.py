"""Project-wide contracts: sources, spiders, parsers, tests and fixtures agree; migrations match models;
every CLI command is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from cobase.cli import app
from cobase.db import open_store
from cobase.parse import get_parser
from cobase.registry import load_registry
from crawlers.spiders import spiders

REPO = Path(__file__).resolve().parent.parent
SOURCE_KEYS = sorted(
    key for key, source in load_registry(REPO / "sources.yml").sources.items() if not source.is_service
)
"""Crawled sources. A ``kind: service`` entry (internet_archive) is queried on demand by ``cobase archive``
through the ``wayback`` client, never crawled: it has no spider, parser or spider test, and is tested by
tests/test_archive.py with its fixtures in tests/fixtures/internet_archive/."""


@pytest.mark.parametrize("key", SOURCE_KEYS)
def test_every_source_has_a_spider(key: str) -> None:
    assert key in spiders()


@pytest.mark.parametrize("key", SOURCE_KEYS)
def test_every_source_has_a_parser(key: str) -> None:
    assert callable(get_parser(key))


@pytest.mark.parametrize("key", SOURCE_KEYS)
def test_every_source_has_a_spider_test(key: str) -> None:
    assert (REPO / "tests" / "crawlers" / f"test_{key}.py").is_file()


@pytest.mark.parametrize("key", SOURCE_KEYS)
def test_every_source_has_fixtures(key: str) -> None:
    assert any((REPO / "tests" / "fixtures" / key).iterdir())


def test_every_spider_has_a_source_key() -> None:
    assert set(spiders()) <= set(SOURCE_KEYS)


def test_spider_module_is_named_after_its_key() -> None:
    assert all(cls.__module__ == f"crawlers.spiders.{name}" for name, cls in spiders().items())


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_every_cli_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert [name for name in commands if not re.search(rf"`cobase {name}\b", readme)] == []
