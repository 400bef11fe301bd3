"""OECD Health Statistics from the OECD SDMX REST API (``https://sdmx.oecd.org/public/rest``): one request
per indicator, ``{base_url}/public/rest/data/{dataflow}/{key}?startPeriod=...&dimensionAtObservation=
AllDimensions&format=jsondata``.

Each indicator of ``sources.yml`` is a ``series`` entry of the source's ``params``: the dataflow
(``OECD.ELS.HD,DSD_SHA@DF_SHA,1.1``) and a key template whose ``{countries}`` is filled with the covered
countries joined by ``+`` (``COL+MEX+TUR.A.EXP_HEALTH...``). The answer is read by
:mod:`cobase.parse.oecd_health`. What fetching has to know:

* **Coverage.** OECD Health Statistics covers the OECD members and a few partners; ``params.countries``
  lists them and only they are requested. Any other country is "not covered by the OECD", which
  :func:`cobase.parse.oecd_health.covers` tells the evidence layer.
* **No pagination.** A data query answers whole; the key and ``startPeriod`` keep it small.
* **Errors.** A key that matches nothing answers 404 ("NoResultsFound"), a malformed one 400 or 404:
  both become a :class:`~crawlers.items.FetchFailure`, so a stale key in ``sources.yml`` fails the run
  instead of silently storing nothing.
* **Rate limits.** The API throttles anonymous clients and answers 429 when asked too often; the
  project's retries cover 429 and AutoThrottle spaces requests (two or three per refresh).
* The legacy ``stats.oecd.org/sdmx-json/data/...`` API was retired in 2024; its SDMX-JSON layout is
  still read by the parser.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"indicator": code, "dataflow": ..., "key": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.base import SourceSpider

DEFAULT_FORMAT = "jsondata"


class OecdHealthSpider(SourceSpider):
    """Every configured indicator for the covered countries, one SDMX data query each."""

    name = "oecd_health"

    def __init__(
        self,
        base_url: str,
        indicators: Iterable[str] | str = (),
        page_size: int | str | None = None,
        countries: Iterable[str] | str = (),
        series: Mapping[str, Mapping[str, str]] | str | None = None,
        start_period: int | str | None = None,
        data_format: str = DEFAULT_FORMAT,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, indicators, page_size, **kwargs)
        if isinstance(countries, str):
            countries = countries.split(",")
        self.countries = [code.strip().upper() for code in countries if code.strip()]
        # From the command line (scrapy crawl -a series=...), the series come as JSON text.
        self.series = json.loads(series) if isinstance(series, str) else dict(series or {})
        self.start_period = str(start_period) if start_period else None
        self.data_format = data_format

    # Scrapy >= 2.13 takes items from start() too: a missing series is reported as a failure of the run.
    def start_requests(self) -> Iterator[Request | FetchFailure]:  # type: ignore[override]
        for code in self.indicators:
            spec = self.series.get(code)
            if not spec or not spec.get("dataflow") or not spec.get("key"):
                url = f"{self.base_url}/public/rest/data"
                yield self.failure(
                    url, f"no dataflow and key for indicator {code!r} in params.series", indicator=code
                )
                continue
            key = spec["key"].format(countries="+".join(self.countries))
            yield self.request(
                self._url(spec["dataflow"], key), indicator=code, dataflow=spec["dataflow"], key=key
            )

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])

    def _url(self, dataflow: str, key: str) -> str:
        query = {"dimensionAtObservation": "AllDimensions", "format": self.data_format}
        if self.start_period:
            query = {"startPeriod": self.start_period, **query}
        return f"{self.base_url}/public/rest/data/{dataflow}/{key}?{urlencode(query)}"
