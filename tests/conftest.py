"""Fixtures shared by the test modules: the local HTTP server of the end-to-end tests."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e import local_http_server


def _scan_installed_components_once() -> None:
    """Streamlit scans every installed distribution for component manifests each time AppTest starts an
    app (about half a second, 43 times in test_app_journeys alone); the installed packages do not change
    during a test session, so one scan serves every app the tests start. Streamlit versions without
    these components have nothing to scan."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return
    scan = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(scan)


_scan_installed_components_once()


@pytest.fixture(scope="module")
def local_server() -> Iterator[HTTPServer]:
    """An HTTP server on 127.0.0.1 for one module; each refresh sets its routes anew (``tests.e2e``)."""
    yield from local_http_server()


HEAVY_FIRST = (
    "tests/test_faults.py",
    "tests/test_browser_team.py",
    "tests/test_app_journeys.py",
    "tests/test_browser.py",
    "tests/test_limits.py",
    "tests/test_demonstration.py",
    "tests/test_app_team.py",
)
"""The files that take longest (kills, browsers, large bodies), handed out first: pytest-xdist gives out whole
files in collection order, and one of them started last would leave the other worker idle at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return HEAVY_FIRST.index(path) if path in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order
