"""Fixtures shared by the test modules: the local HTTP server of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e import local_http_server


@pytest.fixture(scope="module")
def local_server() -> Iterator[HTTPServer]:
    """An HTTP server on 127.0.0.1 for one module; each refresh sets its routes anew (``tests.e2e``)."""
    yield from local_http_server()
