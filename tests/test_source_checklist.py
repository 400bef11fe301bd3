"""Every crawled source of sources.yml is complete: each place CONTRIBUTING.md ("Adding a source") lists
exists, and a failure names the source, what is missing and the step of the guide that adds it.

One test per source, collecting every gap at once, so whoever adds a source sees the whole remaining
list in one run rather than one missing file per run.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cobase.processing import PUBLISHED_BASES
from cobase.registry import Registry, load_registry
from cobase.yamltext import load_yaml
from crawlers.spiders import spiders
from tests.test_registry import PUBLISHER_PREFIXES

REPO = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(REPO / "sources.yml")
SOURCE_KEYS = sorted(key for key, source in REGISTRY.sources.items() if not source.is_service)
"""Crawled sources. A ``kind: service`` entry (internet_archive) is queried on demand by ``cobase archive``
through the ``wayback`` client, never crawled: it has no spider, parser or spider test, and is tested by
tests/test_archive.py with its fixtures in tests/fixtures/internet_archive/."""

ROUTES_ELSEWHERE = {"documents": "mirror/routes.json"}
"""Sources whose local-server routes live elsewhere: ``documents`` lists files by URL in sources.yml, and
its end-to-end tests serve ``tests/fixtures/documents/mirror/`` (with its own routes.json)."""


def _load_yaml(path: Path) -> Any:
    return load_yaml(path.read_text(encoding="utf-8"))


INDICATOR_MAP = _load_yaml(REPO / "cobase" / "catalogue" / "indicator_map.yml")
E2E_TESTS = {path.name: path.read_text(encoding="utf-8") for path in sorted(REPO.glob("tests/test_*e2e*.py"))}


def missing_places(key: str, registry: Registry = REGISTRY, repo: Path = REPO) -> list[str]:
    """What the source ``key`` still lacks, one sentence per gap naming the step of CONTRIBUTING.md."""
    gaps: list[str] = []

    def lack(what: str, step: int) -> None:
        gaps.append(f"source {key!r}: {what} (see CONTRIBUTING.md, step {step})")

    # Step 1: the sources.yml entry.
    source = registry.sources.get(key)
    if source is None:
        lack("no entry in sources.yml", 1)
    else:
        if source.refresh_every_days is None:
            lack("no refresh_every_days in its sources.yml entry", 1)
        if not source.indicators:
            lack("no indicators in its sources.yml entry", 1)
    if not key.startswith(PUBLISHER_PREFIXES):
        lack(
            "the key starts with no known publisher prefix (PUBLISHER_PREFIXES, tests/test_registry.py)",
            1,
        )
    # Step 2: the spider.
    if not (repo / "crawlers" / "spiders" / f"{key}.py").is_file():
        lack(f"no spider crawlers/spiders/{key}.py", 2)
    elif key not in spiders():
        lack(f'crawlers/spiders/{key}.py defines no SourceSpider with name = "{key}"', 2)
    # Step 3: the parser and what its dates mean.
    if not (repo / "cobase" / "parse" / f"{key}.py").is_file():
        lack(f"no parser cobase/parse/{key}.py", 3)
    else:
        module = importlib.import_module(f"cobase.parse.{key}")
        if not callable(getattr(module, "parse", None)):
            lack(f"cobase/parse/{key}.py has no parse(body, url, request_meta) function", 3)
        if getattr(module, "PUBLISHED_BASIS", None) not in PUBLISHED_BASES:
            lack(
                f"cobase/parse/{key}.py declares no PUBLISHED_BASIS (one of {', '.join(PUBLISHED_BASES)})", 3
            )
    # Step 4: the catalogue links, with their scope.
    links = INDICATOR_MAP.get(key) or {}
    for indicator in source.indicators if source else ():
        link = links.get(indicator.code)
        if link is None:
            lack(f"indicator {indicator.code} is not linked in cobase/catalogue/indicator_map.yml", 4)
        elif "scope" not in link:
            lack(f"indicator {indicator.code} has no scope in cobase/catalogue/indicator_map.yml", 4)
    # Step 5: the recorded responses and the local server's routes.
    fixtures = repo / "tests" / "fixtures" / key
    if not fixtures.is_dir() or not any(fixtures.iterdir()):
        lack(f"no recorded responses in tests/fixtures/{key}/", 5)
    routes = fixtures / ROUTES_ELSEWHERE.get(key, "routes.json")
    if not routes.is_file():
        lack(f"no {routes.relative_to(repo)} (the local server's routes)", 5)
    else:
        for route in json.loads(routes.read_text(encoding="utf-8")):
            if not (routes.parent / route["file"]).is_file():
                lack(f"{routes.relative_to(repo)} serves {route['file']}, which is not there", 5)
    # Step 6: the tests.
    if not (repo / "tests" / "crawlers" / f"test_{key}.py").is_file():
        lack(f"no spider and parser test tests/crawlers/test_{key}.py", 6)
    if not any(f'"{key}"' in text for text in E2E_TESTS.values()):
        lack(f'no end-to-end test (tests/test_{key}_e2e.py, or a tests/test_*e2e*.py refreshing "{key}")', 6)
    # Step 7: the README says what the source brings.
    if f"`{key}`" not in (repo / "README.md").read_text(encoding="utf-8"):
        lack(f"README.md does not name `{key}` (the sources table)", 7)
    return gaps


@pytest.mark.parametrize("key", SOURCE_KEYS)
def test_source_has_every_place_of_the_guide(key: str) -> None:
    gaps = missing_places(key)
    assert not gaps, "\n".join(gaps)


def test_every_spider_has_a_source_key() -> None:
    assert set(spiders()) <= set(SOURCE_KEYS)


def test_spider_module_is_named_after_its_key() -> None:
    assert all(cls.__module__ == f"crawlers.spiders.{name}" for name, cls in spiders().items())


def test_a_source_without_its_places_is_told_every_step() -> None:
    gaps = missing_places("acme_widgets")
    assert gaps[0] == "source 'acme_widgets': no entry in sources.yml (see CONTRIBUTING.md, step 1)"
    assert (
        "source 'acme_widgets': no parser cobase/parse/acme_widgets.py (see CONTRIBUTING.md, step 3)" in gaps
    )
    assert sorted({int(gap[-2]) for gap in gaps}) == [1, 2, 3, 5, 6, 7]  # no indicator, so nothing to link
    assert len(gaps) == 9


def test_an_unlinked_indicator_is_named(tmp_path: Path) -> None:
    data = _load_yaml(REPO / "sources.yml")
    data["sources"]["who_gho"]["indicators"].append(
        {**data["sources"]["who_gho"]["indicators"][0], "code": "NEW_1"}
    )
    del data["sources"]["who_gho"]["refresh_every_days"]
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert missing_places("who_gho", load_registry(path)) == [
        "source 'who_gho': no refresh_every_days in its sources.yml entry (see CONTRIBUTING.md, step 1)",
        "source 'who_gho': indicator NEW_1 is not linked in cobase/catalogue/indicator_map.yml "
        "(see CONTRIBUTING.md, step 4)",
    ]
