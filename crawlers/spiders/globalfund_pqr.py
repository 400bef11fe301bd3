"""Global Fund: Price & Quality Reporting (PQR) transaction exports, and grant disbursements (OData v4).

What is real and what is assumed (checked against public code that calls these services):

* **Grant disbursements** come from the Global Fund data service, OData v4:
  ``{base_url}/{odata_path}/VGrantAgreementDisbursements`` (``https://data-service.theglobalfund.org/
  v3.3/odata/...``; the same views are served under ``https://fetch.theglobalfund.org/v3.4/odata/``, which
  the Global Fund's own Data Explorer uses). Fields ``geographicAreaCode_ISO3``,
  ``geographicAreaLevelName``, ``componentName``, ``disbursementYear``, ``disbursementAmount``. The service
  aggregates for us: ``$apply=groupby((...),aggregate(disbursementAmount with sum as disbursed))``, the
  form the Data Explorer uses, so each row is one country x component x year and no total is split
  across pages. **Pagination**: a page ending with ``@odata.nextLink`` is followed, the link *rebased*
  onto ``base_url`` (path and query kept, scheme and host replaced) so a mirror or a local test server
  is followed to its own next page.
* **PQR transactions.** The data service exposes no PQR entity set (none is listed among its OData views
  or its ``/file_download/`` datasets), so PQR comes from the transaction export of the PQR portal,
  whose columns (``Country Name``, ``ISO3CodeCountry``, ``Product Name (EN)``, ``Strength Dosage Form
  (EN)``, ``Pack quantity``, ``Unit Cost (USD)``, ``Purchase Order Date``, ``Scheduled Delivery Date``,
  ``Actual Delivery Date``...) are read by :mod:`cobase.parse.globalfund_pqr`. The portal builds exports
  interactively and publishes no stable URL: ``pqr_exports`` in ``sources.yml`` lists the export URLs an
  operator has (absolute, or a path relative to ``base_url`` for a mirror). With none configured only
  the disbursements are fetched, and the spider says so in the log.
* Politeness, retries and robots.txt are the project's defaults; both hosts answer 5xx under load, which
  the retry middleware covers.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"dataset": "disbursements", "page": n}`` or ``{"dataset": "pqr", "file": name}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider

DISBURSEMENTS_VIEW = "VGrantAgreementDisbursements"
DISBURSEMENTS_APPLY = (
    "groupby((geographicAreaCode_ISO3,geographicAreaLevelName,componentName,disbursementYear),"
    "aggregate(disbursementAmount with sum as disbursed))"
)


class GlobalfundPqrSpider(SourceSpider):
    """Grant disbursements (all pages) and every configured PQR transaction export."""

    name = "globalfund_pqr"

    def __init__(
        self,
        base_url: str,
        odata_path: str = "v3.3/odata",
        pqr_exports: Iterable[str] | str = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self.odata_path = odata_path.strip("/")
        if isinstance(pqr_exports, str):
            pqr_exports = [url for url in pqr_exports.split(",") if url]
        self.pqr_exports = list(pqr_exports)

    def start_requests(self) -> Iterator[Request]:
        query = urlencode({"$apply": DISBURSEMENTS_APPLY})
        url = f"{self.base_url}/{self.odata_path}/{DISBURSEMENTS_VIEW}?{query}"
        yield self.request(url, dataset="disbursements", page=1)
        if not self.pqr_exports:
            self.logger.warning("%s: no pqr_exports configured; only grant disbursements fetched", self.name)
        for export in self.pqr_exports:
            url = urljoin(f"{self.base_url}/", export)
            yield self.request(url, dataset="pqr", file=urlsplit(url).path.rsplit("/", 1)[-1])

    def parse(self, response: Response) -> Iterator[Request | RawResponse]:
        meta = response.meta["cobase"]
        yield self.raw(response, **meta)
        if meta["dataset"] == "disbursements" and (next_url := self._next_page_url(response)):
            yield self.request(next_url, dataset="disbursements", page=meta["page"] + 1)

    def _next_page_url(self, response: Response) -> str | None:
        """The ``@odata.nextLink`` of this page rebased onto ``base_url``, or None on the last page."""
        try:
            document = json.loads(response.body)
        except ValueError:
            return None  # kept as a snapshot anyway; the parser says what is wrong with it
        link = document.get("@odata.nextLink") if isinstance(document, dict) else None
        if not isinstance(link, str) or not link:
            return None
        base, target = urlsplit(self.base_url), urlsplit(response.urljoin(link))
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))
