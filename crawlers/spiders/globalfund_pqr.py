"""Global Fund: Price & Quality Reporting (PQR) transaction exports.

* **PQR transactions.** The data service exposes no PQR entity set (none is listed among its OData views
  or its ``/file_download/`` datasets), so PQR comes from the transaction export of the PQR portal,
  read by :mod:`cobase.parse.globalfund_pqr`. The portal builds exports interactively and publishes no
  stable URL: ``pqr_exports`` in ``sources.yml`` lists the export URLs an operator has (absolute, or a
  path relative to ``base_url`` for a mirror). With none configured nothing is fetched, and the spider
  says so in the log.
* **Grant disbursements are no longer fetched.** The data service's v3 views
  (``VGrantAgreementDisbursements``, aggregated per country, component and year) are no longer served;
  v4.2 (``/v4.2/odata/AllFinancialIndicators``, which answers with a redirect to ``fetch.theglobalfund.org``,
  allowed in ``sources.yml``) gives one row per transaction with GUIDs instead of a country, a component
  and a year. Grant payments are programme financing, never evidence about a patient's medicine: the
  indicator was retired rather than rebuilt on a three-way join (see :mod:`cobase.parse.globalfund_pqr`).
* Politeness, retries and robots.txt are the project's defaults; the hosts answer 5xx under load, which
  the retry middleware covers.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"dataset": "pqr", "file": name}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider


class GlobalfundPqrSpider(SourceSpider):
    """Every configured PQR transaction export."""

    name = "globalfund_pqr"

    def __init__(self, base_url: str, pqr_exports: Iterable[str] | str = (), **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        if isinstance(pqr_exports, str):
            pqr_exports = [url for url in pqr_exports.split(",") if url]
        self.pqr_exports = list(pqr_exports)

    def start_requests(self) -> Iterator[Request]:
        if not self.pqr_exports:
            self.logger.warning("%s: no pqr_exports configured in sources.yml; nothing fetched", self.name)
        for export in self.pqr_exports:
            url = urljoin(f"{self.base_url}/", export)
            yield self.request(url, dataset="pqr", file=urlsplit(url).path.rsplit("/", 1)[-1])

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])
