"""The downloader middlewares every spider runs with: Retry-After parsing and the redirect host policy."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.settings import Settings

from crawlers.middlewares import HostPolicyRedirectMiddleware, RedirectRefused, retry_after_seconds
from tests.helpers import build_response

NOW = datetime(2026, 12, 5, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (b"120", 120.0),
        ("7", 7.0),
        ("Sat, 05 Dec 2026 08:00:30 GMT", 30.0),
        ("Sat, 05 Dec 2026 07:59:00 GMT", 0.0),  # already past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: Any, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


def _middleware(allowed: list[str]) -> HostPolicyRedirectMiddleware:
    settings = Settings({"REDIRECT_ENABLED": True, "REDIRECT_MAX_TIMES": 20, "REDIRECT_PRIORITY_ADJUST": 2})
    settings.set("COBASE_ALLOWED_REDIRECT_HOSTS", allowed)
    middleware = HostPolicyRedirectMiddleware(settings)
    spider = SimpleNamespace(base_url="https://data-service.theglobalfund.org")
    middleware.crawler = SimpleNamespace(spider=spider, settings=settings)  # type: ignore[assignment]
    return middleware


def _redirect(middleware: HostPolicyRedirectMiddleware, location: str) -> Any:
    request = Request("https://data-service.theglobalfund.org/v4.2/odata/Grants")
    response = build_response(request, b"", 301, "text/plain")
    response = response.replace(headers={"Location": location})
    return middleware.process_response(request, response)


def test_redirect_within_the_host_is_followed_and_never_filtered() -> None:
    followed = _redirect(_middleware([]), "https://data-service.theglobalfund.org/v4.3/odata/Grants")
    assert followed.url.endswith("/v4.3/odata/Grants") and followed.dont_filter


def test_redirect_to_another_host_is_refused_naming_it() -> None:
    with pytest.raises(RedirectRefused, match=r"another host \(fetch\.theglobalfund\.org\) refused"):
        _redirect(_middleware([]), "https://fetch.theglobalfund.org/v4.2/odata/Grants")


def test_redirect_to_an_allowed_host_is_followed() -> None:
    middleware = _middleware(["fetch.theglobalfund.org"])
    followed = _redirect(middleware, "https://fetch.theglobalfund.org/v4.2/odata/Grants")
    assert followed.url == "https://fetch.theglobalfund.org/v4.2/odata/Grants" and followed.dont_filter
