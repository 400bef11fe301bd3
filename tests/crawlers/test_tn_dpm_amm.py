"""Tunisia's DPM AMM list: the spider on the listed file, the parser on small legacy Excel 97 files (written
with xlwt, tests/make_register_fixtures.py) and on the real list of ../shared/fixtures/national/tunisia/.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cobase.parse import ParsedRecord, ParseError
from cobase.parse._register import quote_fields
from cobase.parse.tn_dpm_amm import parse
from crawlers.items import RawResponse
from crawlers.spiders.tn_dpm_amm import TnDpmAmmSpider
from tests.helpers import fixture_bytes, indicator_codes, real_recording, replay_crawl

SOURCE = "tn_dpm_amm"
BASE_URL = "http://127.0.0.1:8765"


def _records(filename: str, meta: dict[str, str] | None = None) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), f"{BASE_URL}/{filename}", meta or {}))


def test_spider_fetches_the_listed_files() -> None:
    spider = TnDpmAmmSpider(
        base_url=BASE_URL, files=["/images/pdf/liste_amm.xls", "/archives/liste_amm_2021.xls"]
    )
    urls = sorted(item.url for item in replay_crawl(spider, SOURCE) if isinstance(item, RawResponse))
    assert urls == [f"{BASE_URL}/archives/liste_amm_2021.xls", f"{BASE_URL}/images/pdf/liste_amm.xls"]


def test_version_is_the_newest_amm_date() -> None:
    assert {r.period_start for r in _records("liste_amm_2020.xls")} == {date(2020, 5, 18)}


def test_without_a_dated_copy_there_is_no_publication_date() -> None:
    assert {r.published_at for r in _records("liste_amm_2020.xls")} == {None}


def test_a_dated_copy_gives_its_date() -> None:
    records = _records("liste_amm_2020.xls", {"published": "2020-06-01"})
    assert {r.published_at for r in records} == {datetime(2020, 6, 1, tzinfo=UTC)}


def test_every_row_is_registered_and_declared() -> None:
    records = _records("liste_amm_2021.xls")
    assert {r.value_text for r in records} == {"registered"} and {
        r.indicator for r in records
    } <= indicator_codes(SOURCE)


def test_product_is_its_amm_number_and_item_from_the_dci() -> None:
    found = {r.breakdown: r.item for r in _records("liste_amm_2020.xls")}
    assert found == {
        "product=6943091H": None,
        "product=7013111H": "efavirenz",
        "product=9163532": "risperidone",
    }


def test_quote_keeps_veic_and_generic_status() -> None:
    (stocrin,) = [r for r in _records("liste_amm_2020.xls") if r.item == "efavirenz"]
    fields = quote_fields(stocrin.quote)
    assert (fields["VEIC"], fields["G/P/B"], fields["DATE AMM"], fields["DOSAGE"]) == (
        "Essentiel",
        "Princeps",
        "2020-05-18",
        "600 mg",
    )


def test_not_a_workbook_is_refused() -> None:
    with pytest.raises(ParseError, match="is not an Excel workbook"):
        _records("bad_not_a_workbook.xls")


def test_real_list_october_2022() -> None:
    path = real_recording("national", "tunisia", "liste_amm_2022-10.xls")
    records = list(parse(path.read_bytes(), path.name, {}))
    stocrin = {r.breakdown for r in records if "STOCRIN" in (r.quote or "")}
    assert (len(records), records[0].period_start, sorted(stocrin)) == (
        6024,
        date(2022, 10, 13),
        ["product=7013111H", "product=7013112H"],
    )


def test_real_list_twelve_products_listed_under_two_classes() -> None:
    # 12 AMM numbers appear twice with the same dosage, form and presentation, under two therapeutic
    # classes (METROGYL: antibacterial and antiprotozoal): one product, stored once (ingestion keeps the
    # first row of a series and counts the second as a duplicate).
    path = real_recording("national", "tunisia", "liste_amm_2022-10.xls")
    records = list(parse(path.read_bytes(), path.name, {}))
    assert len({(r.breakdown, r.item) for r in records}) == 6012
