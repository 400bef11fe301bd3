"""USAID Supply Chain Management System (SCMS) delivery history: one CSV file, ``{base_url}{path}``.

By default the public data catalogue's CSV export of the dataset "Supply Chain Shipment Pricing Data"
(``https://data.usaid.gov/api/views/a3rc-nmf6/rows.csv?accessType=DOWNLOAD``, listed on catalog.data.gov).
It is read by :mod:`cobase.parse.usaid_scms`. What fetching has to know:

* **One file, no pagination, no query of ours.** The dataset is closed (deliveries 2006–2015): the file
  only changes if USAID republishes it. ``path`` (sources.yml ``params``) may carry the export's query
  string; ``base_url`` can point at a mirror (the Internet Archive keeps copies of the export).
* **A few MB** (about 10,000 lines): the project's timeouts and size limits are enough.
* data.usaid.gov has answered errors and maintenance pages as HTML with status 200: such a body is kept as
  a snapshot all the same and the parser says what is wrong with it.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"file": "rows.csv"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider

DEFAULT_PATH = "/api/views/a3rc-nmf6/rows.csv?accessType=DOWNLOAD"


class UsaidScmsSpider(SourceSpider):
    """The delivery history CSV, in one request."""

    name = "usaid_scms"

    def __init__(
        self,
        base_url: str,
        indicators: Iterable[str] | str = (),
        page_size: int | str | None = None,
        path: str = DEFAULT_PATH,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, indicators, page_size, **kwargs)
        self.path = "/" + path.lstrip("/")

    def start_requests(self) -> Iterator[Request]:
        file = urlsplit(self.path).path.rsplit("/", 1)[-1]
        yield self.request(f"{self.base_url}{self.path}", file=file)

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])
