"""ILOSTAT bulk download (rplumber): the statutory monthly minimum wage, every country, one CSV.

``{base_url}/data/indicator/?id=EAR_INEE_NOC_NB_A&format=.csv`` answers the whole indicator in one file
(code format, no label columns), UTF-8 with a BOM. One request per indicator sources.yml declares; no
paging. In 2025 ILOSTAT re-coded the minimum wage: the old id ``EAR_4MMN_CUR_NB_A`` is deprecated.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"indicator": code}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider


class IlostatMinimumWageSpider(SourceSpider):
    """One bulk CSV per configured ILOSTAT indicator."""

    name = "ilostat_minimum_wage"

    def start_requests(self) -> Iterator[Request]:
        for code in self.indicators:
            query = urlencode({"id": code, "format": ".csv"})
            yield self.request(f"{self.base_url}/data/indicator/?{query}", indicator=code)

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])
