"""What the national register spiders share: a ministry page whose spreadsheet links are followed, plus a
list of files fetched directly (older versions, archived copies), so that history can be back-filled.

* ``page`` (``params.page``): the ministry's page, absolute or a path under ``base_url``. It is read for
  its links only and never kept: what is kept is each spreadsheet it links to (``.xlsx``/``.xls``), as
  fetched. A page that fails is a :class:`~crawlers.items.FetchFailure`; the listed files are still
  fetched.
* ``files`` (``params.files``): absolute URLs, or paths under ``base_url``; an entry may be a mapping
  ``{url, published}`` for a copy whose date is known (an archived copy): ``published`` travels in the
  snapshot's ``request_meta`` to the parser.
* A file linked from the page and listed too is fetched once (Scrapy's duplicate filter).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlparse

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider

MAX_REGISTER_BYTES = 64 * 1024 * 1024


class RegisterFilesSpider(SourceSpider):
    """A ministry page's spreadsheet links and a list of files, each kept as fetched."""

    extensions: ClassVar[tuple[str, ...]] = (".xlsx", ".xls")
    custom_settings = {  # noqa: RUF012 - Scrapy declares it as an instance attribute; ClassVar upsets mypy
        "DOWNLOAD_MAXSIZE": MAX_REGISTER_BYTES,
        "DOWNLOAD_WARNSIZE": MAX_REGISTER_BYTES // 4,
        "DOWNLOAD_TIMEOUT": 300,
    }

    def __init__(
        self,
        base_url: str,
        page: str | None = None,
        files: Iterable[dict[str, Any] | str] | str = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self.page = page or None
        if isinstance(files, str):
            files = [url for url in files.split(",") if url.strip()]
        self.files = [_entry(entry) for entry in files]

    def absolute(self, url: str) -> str:
        """An absolute URL, or a path under ``base_url``."""
        return urljoin(f"{self.base_url}/", url.strip())

    def start_requests(self) -> Iterator[Request]:
        if self.page:
            yield Request(
                self.absolute(self.page), callback=self.parse_page, errback=self.errback, meta={"cobase": {}}
            )
        for entry in self.files:
            yield self.request(self.absolute(entry["listed_url"]), **entry)

    def parse_page(self, response: Response) -> Iterator[Request]:
        """Follow every link of the page to a spreadsheet (by the path's extension)."""
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if urlparse(url).path.lower().endswith(self.extensions):
                yield self.request(url, listed_on=response.url)

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])


def _entry(entry: dict[str, Any] | str) -> dict[str, Any]:
    """A listed file as request meta: ``listed_url`` and, when known, ``published``."""
    if isinstance(entry, str):
        return {"listed_url": entry.strip()}
    if not entry.get("url"):
        raise ValueError(f"files: an entry has no url: {entry!r}")
    kept = {"listed_url": str(entry["url"])}
    if entry.get("published"):
        kept["published"] = str(entry["published"])
    return kept
