"""The end-to-end checks every crawled source's refresh passes, written once.

A source's ``tests/test_<source>_e2e.py`` defines ``SOURCE``, builds its two module fixtures with
:func:`source_fixtures` (two good refreshes; a good refresh then one where a path answers badly) and
imports the tests below, which pytest then runs in that module with its fixtures:

* the first refresh succeeds and the second adds nothing (no version of an unchanged value);
* ``cobase status`` reports the success;
* each bad answer fails with its clear message, loses nothing stored before and is recorded as a failed
  run whose error says the same; one of them through ``cobase refresh`` (exit 1, the message on stderr),
  the others through the same refresh path in-process, each from a copy of the good store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.e2e import BadRefresh, good_then_bad_refresh, observations, refresh_twice, status

__all__ = [
    "source_fixtures",
    "test_bad_input_fails_with_a_clear_message",
    "test_bad_input_is_recorded_as_a_failed_run",
    "test_bad_input_loses_nothing_stored_before",
    "test_first_refresh_succeeds",
    "test_second_refresh_adds_nothing",
    "test_status_reports_success",
]


def source_fixtures(
    source: str,
    path: str,
    bad_responses: Mapping[str, tuple[Response, str]],
    through_cli: str | None = None,
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The module fixtures ``refreshed`` and ``bad_refresh`` of ``source`` (``path`` answers badly).

    Every bad answer starts from a copy of the ``refreshed`` store. The one named ``through_cli`` (by
    default ``http_500`` when there is one, else the first) runs ``cobase refresh``, for its exit code and
    its stderr; the others go through the same refresh path in-process (:func:`ingest_in_process`).
    """
    cli_case = through_cli or ("http_500" if "http_500" in bad_responses else sorted(bad_responses)[0])

    @pytest.fixture(scope="module")
    def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
        """Two good refreshes of one database: the first stores, the second must add nothing."""
        return refresh_twice(local_server, tmp_path_factory.mktemp(source), [source])

    @pytest.fixture(scope="module", params=sorted(bad_responses))
    def bad_refresh(
        request: pytest.FixtureRequest,
        local_server: HTTPServer,
        tmp_path_factory: pytest.TempPathFactory,
        refreshed: tuple[str, Any, Any],
    ) -> BadRefresh:
        """The refreshed store copied, then a refresh where ``path`` answers badly; what it left behind."""
        response, expected = bad_responses[request.param]
        tmp = tmp_path_factory.mktemp(f"{source}_{request.param}")
        return good_then_bad_refresh(
            local_server,
            tmp,
            [source],
            path,
            response,
            expected,
            good_store=refreshed[0],
            in_process=request.param != cli_case,
        )

    return refreshed, bad_refresh


def _source(request: pytest.FixtureRequest) -> str:
    return str(request.module.SOURCE)


def test_first_refresh_succeeds(refreshed: tuple[str, Any, Any]) -> None:
    _db, first, _second = refreshed
    assert first.returncode == 0, first.stdout + first.stderr


def test_second_refresh_adds_nothing(refreshed: tuple[str, Any, Any], request: pytest.FixtureRequest) -> None:
    db, _first, second = refreshed
    source = _source(request)
    all_versions, current = (
        observations(db, all_versions=True, source=source),
        observations(db, source=source),
    )
    assert second.returncode == 0 and len(all_versions) == len(current)


def test_status_reports_success(refreshed: tuple[str, Any, Any], request: pytest.FixtureRequest) -> None:
    assert status(refreshed[0])[_source(request)]["last_run_status"] == "success"


def test_bad_input_fails_with_a_clear_message(bad_refresh: BadRefresh) -> None:
    assert bad_refresh.failed and bad_refresh.expected in bad_refresh.message


def test_bad_input_loses_nothing_stored_before(bad_refresh: BadRefresh) -> None:
    assert bad_refresh.before and bad_refresh.after == bad_refresh.before


def test_bad_input_is_recorded_as_a_failed_run(
    bad_refresh: BadRefresh, request: pytest.FixtureRequest
) -> None:
    run = bad_refresh.status[_source(request)]
    assert run["last_run_status"] == "failed" and bad_refresh.expected in " ".join(run["last_error"].split())
