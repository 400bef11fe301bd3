"""What every cobase spider shares: its arguments, and turning responses and failures into items."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from crawlers.items import FetchFailure, RawResponse, retrieval_time


class SourceSpider(scrapy.Spider):
    """Base class: configured by cobase with the source's ``base_url`` and ``indicators``.

    Arguments arrive as keyword arguments (``scrapy crawl who_gho -a base_url=... -a indicators=A,B`` works
    too): ``base_url`` (no trailing slash), ``indicators`` (list or comma-separated codes), ``page_size``.
    """

    name = ""

    def __init__(
        self,
        base_url: str,
        indicators: Iterable[str] | str = (),
        page_size: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        if isinstance(indicators, str):
            indicators = [code for code in indicators.split(",") if code]
        self.indicators = list(indicators)
        self.page_size = int(page_size) if page_size else None

    async def start(self) -> AsyncIterator[Any]:
        """Scrapy >= 2.13 entry point; yields :meth:`start_requests`, which stays synchronous so tests
        (and Scrapy < 2.13) can call it directly."""
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterable[scrapy.Request]:
        """The first request for each configured indicator; every source spider defines it."""
        raise NotImplementedError(f"{self.__class__.__name__} must define start_requests()")

    def request(self, url: str, **request_meta: Any) -> scrapy.Request:
        """A request to :meth:`parse` whose ``request_meta`` (under ``meta["cobase"]``) travels to the
        :class:`RawResponse` or :class:`FetchFailure` it ends as; failures go to :meth:`errback`."""
        return scrapy.Request(url, callback=self.parse, errback=self.errback, meta={"cobase": request_meta})

    def raw(self, response: Response, **request_meta: Any) -> RawResponse:
        """The response as an item, exactly as received."""
        content_type = response.headers.get("Content-Type")
        return RawResponse(
            source=self.name,
            url=response.url,
            status=response.status,
            body=response.body,
            content_type=content_type.decode("latin-1") if content_type else None,
            retrieved_at=retrieval_time(),
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
            },
            request_meta=request_meta,
        )

    def failure(self, url: str, error: str, **request_meta: Any) -> FetchFailure:
        """A request that failed for good, as an item (so cobase records it on the run)."""
        return FetchFailure(source=self.name, url=url, error=error, request_meta=request_meta)

    def errback(self, failure: Failure) -> Iterable[FetchFailure]:
        """Turn a Twisted failure (HTTP error after retries, timeout, refused connection) into an item."""
        request = failure.request  # type: ignore[attr-defined]
        value = failure.value
        response = getattr(value, "response", None)
        if response is not None:
            message = f"HTTP {response.status} from {request.url}"
        elif value is not None and too_large(value):
            limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if self.crawler else 0
            message = (
                f"{request.url}: refused, the response is larger than {limit / 1048576:g} MB, the "
                "max_body_mb limit of sources.yml; it was not stored"
            )
        else:
            message = f"{value.__class__.__name__} fetching {request.url}: {value}".rstrip(": ")
        yield self.failure(request.url, message, **request.meta.get("cobase", {}))


def too_large(error: BaseException) -> bool:
    """Whether a download failed because its body exceeded ``DOWNLOAD_MAXSIZE``.

    Scrapy cancels such a download (``DownloadCancelledError``, or Twisted's ``CancelledError`` in older
    versions) when the announced length or the bytes received exceed it: nothing else cancels a download
    in flight in cobase (no spider stops one). A compressed body that inflates too large is ignored with
    an ``IgnoreRequest`` that says so.
    """
    if isinstance(error, CancelledError | DownloadCancelledError):
        return True
    return isinstance(error, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(error)
