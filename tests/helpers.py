"""Build Scrapy responses from saved fixtures, and replay a spider over a source's ``routes.json``.

Fixtures live in ``tests/fixtures/{source}/``. ``routes.json`` maps API paths and query parameters to the
good fixtures (the end-to-end tests and ``cobase demo`` serve the same folder over HTTP with
:mod:`cobase.fixture_server`, whose matching rules :func:`replay_crawl` reuses); bad-input fixtures are
named ``bad_*`` and are not routed. Nothing here touches the network or starts a reactor.

Also what every spider test module asks of its source: the indicators ``sources.yml`` declares, a real
recording kept outside the repository (skipped when absent), and the predicates of the invariants each
module checks over every record of its good fixtures.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from cobase.fixture_server import load_routes, match_route
from cobase.parse import ParsedRecord, get_parser
from cobase.registry import Source, load_registry
from crawlers.spiders.base import SourceSpider

REPO = Path(__file__).resolve().parent.parent
SOURCES_YML = REPO / "sources.yml"
FIXTURES = REPO / "tests" / "fixtures"
REAL_RECORDINGS = REPO.parent / "shared" / "fixtures"  # real answers, shared outside the repository

_CONTENT_TYPES = {".json": "application/json; charset=utf-8", ".csv": "text/csv; charset=utf-8"}


def fixture_path(source: str, filename: str) -> Path:
    return FIXTURES / source / filename


def fixture_bytes(source: str, filename: str) -> bytes:
    return fixture_path(source, filename).read_bytes()


SERVING_FILES = {"routes.json", "entry.json"}


def good_fixtures(source: str) -> list[str]:
    """Names of the fixtures a parser must read without error.

    Every file but ``bad_*`` and the serving metadata (``routes.json``, a mirror's ``entry.json``).
    """
    return sorted(
        path.name
        for path in (FIXTURES / source).iterdir()
        if path.is_file() and path.name not in SERVING_FILES and not path.name.startswith("bad_")
    )


def build_response(
    request: Request, body: bytes, status: int = 200, content_type: str | None = None
) -> Response:
    """The response Scrapy would hand to ``request``'s callback (Json/Text/plain by content type)."""
    headers = Headers({"Content-Type": content_type} if content_type else {})
    response_class = responsetypes.from_args(headers=headers, url=request.url, body=body)
    return response_class(url=request.url, status=status, headers=headers, body=body, request=request)


def fixture_response(
    source: str,
    filename: str,
    url: str,
    status: int = 200,
    *,
    meta: Mapping[str, Any] | None = None,
    content_type: str | None = None,
) -> Response:
    """A fixture file as the response to ``url``, its request carrying ``meta`` as the spider set it.

    Pass the meta of the request the spider yielded (``request.meta``), or ``{"cobase": {...}}``.
    """
    request = Request(url, meta=dict(meta or {}))
    content_type = content_type or _CONTENT_TYPES.get(Path(filename).suffix, "application/octet-stream")
    return build_response(request, fixture_bytes(source, filename), status, content_type)


def first_request(spider: SourceSpider) -> Request:
    """The first request ``spider`` would send."""
    return next(iter(spider.start_requests()))


def spider_output(
    spider: SourceSpider,
    source: str,
    filename: str,
    request: Request,
    meta: Mapping[str, Any] | None = None,
) -> list[Any]:
    """What ``spider`` yields for a fixture served as the answer to ``request``.

    The response carries ``meta`` when given (a later page, say), else the request's own meta.
    """
    response = fixture_response(source, filename, request.url, meta=request.meta if meta is None else meta)
    return list(spider.parse(response))


def http_error_output(spider: SourceSpider, request: Request, status: int, body: bytes = b"") -> list[Any]:
    """What ``spider``'s errback yields when ``request`` is answered with HTTP ``status``."""
    failure = Failure(HttpError(build_response(request, body, status), "Ignoring non-200 response"))
    failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
    return list(spider.errback(failure))


def replay_crawl(
    spider: SourceSpider,
    source: str,
    max_requests: int = 100,
    *,
    routes: Sequence[str] = (),
    answers: Mapping[str, tuple[int, bytes, str | None]] | None = None,
) -> list[Any]:
    """Run ``spider`` over the routed fixtures of ``source`` in-process; return every item it yields.

    Follows the Requests the callbacks yield; an unrouted URL answers 404, and any answer that is not a
    success goes to the request's errback, as Scrapy's HttpError middleware sends it (after its retries).
    ``routes`` names the fixture folders to route (default: ``source``'s); ``answers`` maps a path to the
    ``(status, body, content type)`` it answers instead, as a forced response of the end-to-end server.
    """
    recorded = [route for folder in routes or [source] for route in load_routes(FIXTURES / folder)]
    forced = dict(answers or {})
    pending: deque[Request] = deque(spider.start_requests())
    items: list[Any] = []
    for _ in range(max_requests):
        if not pending:
            return items
        request = pending.popleft()
        parts = urlsplit(request.url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        route = match_route(recorded, parts.path, query, method=request.method, body=request.body)
        if parts.path in forced:
            status, body, content_type = forced[parts.path]
            response = build_response(request, body, status, content_type)
        elif route is None:
            response = build_response(request, b"Not Found", 404, "text/plain")
        else:
            response = build_response(request, route.file.read_bytes(), 200, route.content_type)
        if 200 <= response.status < 300:
            outputs = (request.callback or spider.parse)(response)
        else:
            failure = Failure(HttpError(response, "Ignoring non-200 response"))
            failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
            outputs = request.errback(failure) if request.errback else ()
        for output in outputs or ():
            (pending if isinstance(output, Request) else items).append(output)
    raise AssertionError(f"{spider.name}: more than {max_requests} requests, is pagination looping?")


def parsed_indicators(items: list[Any], source: str) -> set[str]:
    """The indicators of every record that ``source``'s parser reads from the raw responses ``items``."""
    parser = get_parser(source)
    return {record.indicator for raw in items for record in parser(raw.body, raw.url, raw.request_meta)}


# --- sources.yml and real recordings ---------------------------------------------------------------


def source_config(source: str) -> Source:
    """The entry of ``source`` in the project's sources.yml."""
    return load_registry(SOURCES_YML).get(source)


def indicator_codes(source: str) -> set[str]:
    """The indicator codes sources.yml declares for ``source``."""
    return {indicator.code for indicator in source_config(source).indicators}


def real_recording(*parts: str) -> Path:
    """A file or folder of the real recordings; the test is skipped when it is not there."""
    path = REAL_RECORDINGS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real recording not available: {path}")
    return path


# --- invariants over every record of a good fixture --------------------------------------------------


def period_in_order(record: ParsedRecord) -> bool:
    return record.period_start <= record.period_end


def period_is_one_calendar_year(record: ParsedRecord) -> bool:
    start, end = record.period_start, record.period_end
    return (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year


def published_at_is_aware_utc(record: ParsedRecord) -> bool:
    return record.published_at is not None and record.published_at.tzinfo == UTC


def published_at_is_none_or_aware_utc(record: ParsedRecord) -> bool:
    return record.published_at is None or record.published_at.tzinfo == UTC


def value_text_present(record: ParsedRecord) -> bool:
    return bool(record.value_text.strip())


def value_is_a_number(record: ParsedRecord) -> bool:
    """A number, with the text it was read from."""
    return record.value_num is not None and value_text_present(record)


def quote_is_short_plain_text(record: ParsedRecord, limit: int) -> bool:
    quote = record.quote or ""
    return bool(quote) and len(quote) <= limit and "<" not in quote


def indicator_declared(source: str) -> Callable[[ParsedRecord], bool]:
    """The invariant that a record's indicator is one ``sources.yml`` declares for ``source``."""
    declared = indicator_codes(source)
    return lambda record: record.indicator in declared


def invariants_test(
    records: Callable[[str], list[ParsedRecord]],
    filenames: Iterable[str],
    invariants: Mapping[str, Callable[[ParsedRecord], bool]],
    *,
    may_be_empty: Iterable[str] = (),
) -> Callable[[str, str], None]:
    """The test every spider module runs, written once: each of ``invariants`` holds for every record that
    ``records(filename)`` reads from each good fixture, and each fixture (but ``may_be_empty``) yields some.

    A module assigns it: ``test_invariant_holds_for_every_record = invariants_test(_records, ...)``; its
    items are named ``[invariant-fixture]``.
    """
    empty_allowed = set(may_be_empty)

    @pytest.mark.parametrize("filename", sorted(filenames))
    @pytest.mark.parametrize("name", sorted(invariants))
    def test_invariant_holds_for_every_record(filename: str, name: str) -> None:
        found = records(filename)
        assert found or filename in empty_allowed, f"{filename} yields no record"
        broken = [record for record in found if not invariants[name](record)]
        assert not broken, f"{name} fails for {len(broken)} record(s) of {filename}, first: {broken[0]}"

    return test_invariant_holds_for_every_record
