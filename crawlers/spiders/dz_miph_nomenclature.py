"""Algeria's « Nomenclature nationale des produits pharmaceutiques à usage de la médecine humaine »: the
ministry of pharmaceutical industry (MIPH) publishes one XLSX per version, every few months, on its page
(``params.page``); older versions, published by the health ministry (``sante.gov.dz``), are listed in
``params.files`` so that history can be back-filled.

Quirks for fetching: the page links each version's file (``NOMENCLATURE-VERSION-<MOIS>-<AAAA>-.xlsx``);
old links move between the two ministries' hosts; files are 1-2 MB. Each file is kept as fetched and read
by :mod:`cobase.parse.dz_miph_nomenclature` (version date, three lists, withdrawals, prices).
"""

from __future__ import annotations

from typing import ClassVar

from crawlers.spiders._register_files import RegisterFilesSpider


class DzMiphNomenclatureSpider(RegisterFilesSpider):
    """The register's page and its XLSX versions."""

    name = "dz_miph_nomenclature"
    extensions: ClassVar[tuple[str, ...]] = (".xlsx", ".xls")
