"""Tunisia's Direction de la Pharmacie et du Médicament (DPM): « liste des médicaments ayant une AMM »,
one legacy Excel 97 file (``/images/pdf/liste_amm.xls``) replaced in place at each update, with no
version stamp. ``params.files`` lists it (and any dated archived copy, ``{url, published}``);
``params.page``, when set, is a DPM page whose ``.xls`` links are followed. Read by
:mod:`cobase.parse.tn_dpm_amm` (version = the newest AMM date).
"""

from __future__ import annotations

from typing import ClassVar

from crawlers.spiders._register_files import RegisterFilesSpider


class TnDpmAmmSpider(RegisterFilesSpider):
    """The AMM list (and archived copies)."""

    name = "tn_dpm_amm"
    extensions: ClassVar[tuple[str, ...]] = (".xls", ".xlsx")
