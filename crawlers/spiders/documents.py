"""Reports by NGOs, agencies and national programmes (MSF, UNAIDS, EUAA MedCOI, UK Home Office notes).

Each document is listed under ``documents:`` in ``sources.yml`` with its title, producer, publication
date, countries and language; cobase passes those entries as the ``documents`` argument (dicts; bare
URLs, e.g. ``scrapy crawl documents -a documents=URL1,URL2``, are accepted too). One GET per document,
whose ``request_meta`` is its entry, so the parser (:mod:`cobase.parse.documents`) knows which
countries the mentions are about and when the document was published. Quirks:

* **PDF or HTML.** The body is kept as received whatever its type; the parser tells a PDF (``%PDF``)
  from a web page and refuses anything else. A scanned PDF without a text layer is kept as a snapshot
  and reported, not read (no OCR).
* **Landing pages.** Some producers publish a web page that links to the PDF. Only the listed URL is
  fetched, never the links it contains: list the PDF itself when the page is only a summary.
* **Redirects** (gov.uk, msf.org move pages) are followed; the listed URL stays in ``request_meta``
  (``listed_url``), so a document keeps its identity when its host moves it.
* **Relative URLs** are resolved against ``base_url``: a local mirror, or the test server.
* **Size.** Reports are large PDFs: downloads stop at :data:`MAX_DOCUMENT_BYTES`.
* HTTP errors (after Scrapy's retries) become :class:`~crawlers.items.FetchFailure` through the base
  errback; robots.txt and AutoThrottle apply as for every source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_ENTRY_KEYS = ("url", "title", "producer", "published", "countries", "language")


class DocumentsSpider(SourceSpider):
    """Every listed document, one request each."""

    name = "documents"
    custom_settings = {  # noqa: RUF012 - Scrapy declares it as an instance attribute; ClassVar upsets mypy
        "DOWNLOAD_MAXSIZE": MAX_DOCUMENT_BYTES,
        "DOWNLOAD_WARNSIZE": MAX_DOCUMENT_BYTES // 4,
    }

    def __init__(
        self, base_url: str, documents: Iterable[dict[str, Any] | str] | str = (), **kwargs: Any
    ) -> None:
        super().__init__(base_url, **kwargs)
        if isinstance(documents, str):
            documents = [url for url in documents.split(",") if url.strip()]
        self.documents = [_entry(document) for document in documents]

    def start_requests(self) -> Iterator[Request]:
        for document in self.documents:
            yield self.request(urljoin(f"{self.base_url}/", document["listed_url"]), **document)

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])


def _entry(document: dict[str, Any] | str) -> dict[str, Any]:
    """A document's entry as request meta: the known keys, its URL as ``listed_url``, never without one.

    Not ``url``: the base spider's helpers take the fetched URL as their own ``url`` argument.
    """
    if isinstance(document, str):
        return {"listed_url": document.strip()}
    if not document.get("url"):
        raise ValueError(f"documents: an entry has no url: {document!r}")
    kept = {key: document[key] for key in _ENTRY_KEYS if document.get(key) not in (None, "", [])}
    return {"listed_url": kept.pop("url"), **kept}
