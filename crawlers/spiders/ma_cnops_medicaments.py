"""Morocco's reference list of medicines (CNOPS), published as XLSX files on data.gov.ma (ODbL).

data.gov.ma serves each list as a CKAN resource download
(``/data/fr/dataset/<dataset>/resource/<resource>/download/ref-des-medicaments-cnops-2014.xlsx``). The
spider fetches every file listed in ``params.files``: absolute URLs, or paths under ``base_url`` (a
mirror, archived copies), so that older lists can be back-filled. Quirks the parser handles
(:mod:`cobase.parse.ma_cnops_medicaments`): no title row (the year is in the file name), EANs stored as
text, prices in an accounting format, rates written ``70%``.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is ``{"file": name}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider


class MaCnopsMedicamentsSpider(SourceSpider):
    """Every configured file of the CNOPS reference list."""

    name = "ma_cnops_medicaments"
    # The list is half a megabyte from a slow portal.
    custom_settings: ClassVar[dict[str, Any]] = {"DOWNLOAD_TIMEOUT": 180}

    def __init__(self, base_url: str, files: Iterable[str] | str = (), **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        if isinstance(files, str):
            files = [name for name in files.split(",") if name]
        self.files = [name.strip() for name in files]

    def start_requests(self) -> Iterator[Request]:
        for path in self.files:
            yield self.request(urljoin(f"{self.base_url}/", path), file=path.rsplit("/", 1)[-1])

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])
