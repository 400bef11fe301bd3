"""Downloader middlewares of every cobase spider: where a redirect may lead, and how long to wait when told.

* **Redirects stay on the producer's host.** A redirect to another host is refused (the request fails
  with a message naming both hosts) unless that host is listed in the source's ``allowed_redirect_hosts``
  in ``sources.yml`` (the Global Fund data service answers ``/v4.2`` with a redirect to
  ``fetch.theglobalfund.org``): evidence must come from the host it claims to come from, and a
  hijacked or parked domain must not feed the store. The spider's own ``base_url`` host is always allowed.
* **A redirect is never silently dropped.** Scrapy gives a redirected request the duplicate filter of the
  original one, so a redirect to a URL already fetched in the run vanished without an item or an error,
  and the run looked complete. Redirected requests are ``dont_filter``: the redirect limit
  (``REDIRECT_MAX_TIMES``) still stops loops.
* **Retry-After is honoured.** A 429 or 503 that says how long to wait (seconds, or an HTTP date) is
  retried after that delay, capped by ``COBASE_RETRY_AFTER_MAX`` seconds (default 120) so one answer
  cannot stall a nightly refresh; beyond the cap the retry still happens after the cap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import (
    BaseRedirectMiddleware,
    MetaRefreshMiddleware,
    RedirectMiddleware,
)
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

ALLOWED_REDIRECT_HOSTS_SETTING = "COBASE_ALLOWED_REDIRECT_HOSTS"
RETRY_AFTER_MAX_SETTING = "COBASE_RETRY_AFTER_MAX"
DEFAULT_RETRY_AFTER_MAX = 120.0


class RedirectRefused(IgnoreRequest):
    """A redirect to a host the source does not allow."""


class _HostPolicy(BaseRedirectMiddleware):
    """Redirects within the source's hosts only, and never filtered as duplicates."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        host = (urlsplit(redirected.url).hostname or "").casefold()
        allowed = self._allowed_hosts()
        if host not in allowed:
            raise RedirectRefused(
                f"redirect from {request.url} to another host ({host}) refused: list {host} in "
                f"allowed_redirect_hosts of this source in sources.yml to follow it"
            )
        followed = super()._redirect(redirected, request, reason)
        followed.dont_filter = True
        return followed

    def _allowed_hosts(self) -> set[str]:
        spider = self.crawler.spider
        own = urlsplit(str(getattr(spider, "base_url", "") or "")).hostname
        listed = self.crawler.settings.getlist(ALLOWED_REDIRECT_HOSTS_SETTING)
        return {name.strip().casefold() for name in [own or "", *listed] if name and name.strip()}


class HostPolicyRedirectMiddleware(_HostPolicy, RedirectMiddleware):
    """HTTP redirects (301, 302, 303, 307, 308) under the host policy."""


class HostPolicyMetaRefreshMiddleware(_HostPolicy, MetaRefreshMiddleware):
    """``<meta http-equiv="refresh">`` redirects under the same host policy."""


class RetryAfterMiddleware(RetryMiddleware):
    """Retries as Scrapy does, after the delay a ``Retry-After`` header asks for."""

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        if delay:
            cap = self.crawler.settings.getfloat(RETRY_AFTER_MAX_SETTING, DEFAULT_RETRY_AFTER_MAX)
            await sleep(min(delay, cap))
        return retry


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (``120`` or an HTTP date); None if unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
