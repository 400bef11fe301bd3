"""UNAIDS AIDSinfo: the yearly data ZIPs, ``{base_url}/{documents_path}/<file>`` (one request per file).

Since the 2025 round the files are served under ``/public/documents/`` (``documents_path``, default
``public/documents``); earlier rounds were under ``/documents/``, which a mirror may still use.

The bulk files are named after the data round, ``Estimates_2024_en.zip`` (HIV estimates: people living
with HIV, treatment cascade), ``GAM_2024_en.zip`` (Global AIDS Monitoring, including antiretroviral
medicine stock-outs) and ``NCPI_2024_en.zip`` (laws and policies). The names change every year, so they
are the ``zip_files`` parameter in ``sources.yml``, not code. Each ZIP holds one long CSV, read by
:mod:`cobase.parse.unaids_aidsinfo`. Quirks:

* **TLS.** The host's certificate has been reported invalid (third-party importers switch verification
  off silently). cobase does not: verification stays on unless ``verify_tls: false`` is set for this
  source in ``sources.yml``, which :func:`cobase.refresh.tls_settings` logs as a warning on every refresh.
* **No pagination**: one file per data round, several megabytes; the download timeout is raised for it.
  A round that is not published yet answers 404: the source's run fails with that URL, nothing is lost.
* **Binary bodies.** The ZIP is kept as its snapshot exactly as received; the parser opens it.
* **Indicator-page exports.** AIDSinfo's "Export CSV" (wide layout, one indicator) is built in the
  browser and has no stable URL. A copy served elsewhere (a mirror) can be listed in ``exports``:
  ``[{path, indicator, subgroup}]``, ``path`` absolute or relative to ``base_url``; ``indicator`` and
  ``subgroup`` travel in ``request_meta`` because the file does not say what it holds.
* Rows mix countries (ISO3 ``Area ID``) with UNAIDS regions and ``Global``; harmonization sets the
  aggregates aside.

Each response becomes one :class:`~crawlers.items.RawResponse` whose ``request_meta`` is
``{"file": name}`` (plus ``indicator`` and ``subgroup`` for an export).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from crawlers.items import RawResponse
from crawlers.spiders.base import SourceSpider

DEFAULT_DOCUMENTS_PATH = "public/documents"


class UnaidsAidsinfoSpider(SourceSpider):
    """Every configured AIDSinfo data ZIP, and any mirrored indicator export."""

    name = "unaids_aidsinfo"
    # The Estimates ZIP is large and the host slow: the 60 s project default cuts it short.
    custom_settings: ClassVar[dict[str, Any]] = {"DOWNLOAD_TIMEOUT": 300}

    def __init__(
        self,
        base_url: str,
        zip_files: Iterable[str] | str = (),
        exports: Iterable[Mapping[str, str]] = (),
        documents_path: str = DEFAULT_DOCUMENTS_PATH,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self.documents_path = documents_path.strip("/")
        if isinstance(zip_files, str):
            zip_files = [name for name in zip_files.split(",") if name]
        self.zip_files = [name.strip() for name in zip_files]
        self.exports = [dict(export) for export in exports]

    def start_requests(self) -> Iterator[Request]:
        for name in self.zip_files:
            yield self.request(f"{self.base_url}/{self.documents_path}/{name}", file=name)
        for export in self.exports:
            url = urljoin(f"{self.base_url}/", export["path"])
            meta = {key: export[key] for key in ("indicator", "subgroup") if export.get(key)}
            yield self.request(url, file=export["path"].rsplit("/", 1)[-1], **meta)

    def parse(self, response: Response) -> Iterator[RawResponse]:
        yield self.raw(response, **response.meta["cobase"])
