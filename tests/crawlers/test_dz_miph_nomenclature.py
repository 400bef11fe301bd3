"""Algeria's national register (MIPH nomenclature): the spider replayed on the ministry's page and files,
the parser on small workbooks reproducing each quirk of the real ones (tests/make_register_fixtures.py),
and on the real versions of ../shared/fixtures/national/algeria/ when present.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import Workbook

from cobase.parse import ParsedRecord, ParseError
from cobase.parse._register import parse_price, product_of, quote_fields
from cobase.parse.dz_miph_nomenclature import parse, read_version, registration_stem
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.dz_miph_nomenclature import DzMiphNomenclatureSpider
from tests.helpers import (
    fixture_bytes,
    http_error_output,
    indicator_codes,
    published_at_is_aware_utc,
    real_recording,
    replay_crawl,
)

SOURCE = "dz_miph_nomenclature"
BASE_URL = "http://127.0.0.1:8765"
PAGE = "/fr/nomenclature-nationale-des-produits-pharmaceutiques/"
V2018 = "NOMENCLATURE-01.07.2018.xlsx"
V2019 = "nomenclature-au-31-Dcembre-2019.xlsx"
V2026 = "NOMENCLATURE-VERSION-FEVRIER-2026-.xlsx"
GOOD = [V2018, V2019, V2026, "copie-sans-titre.xlsx"]
STOCRIN = "024/13 P 287"
TENOF_EM = "524/13 P 481"


def _spider(**kwargs: Any) -> DzMiphNomenclatureSpider:
    return DzMiphNomenclatureSpider(base_url=BASE_URL, **kwargs)


def _records(filename: str) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), f"{BASE_URL}/{filename}", {}))


def _status(records: list[ParsedRecord], product: str) -> list[str]:
    return [
        r.value_text for r in records if r.indicator == "NATREG_STATUS" and product_of(r.breakdown) == product
    ]


# --- spider -------------------------------------------------------------------------------------------


def test_spider_follows_the_pages_spreadsheet_links_and_fetches_the_listed_files() -> None:
    spider = _spider(page=PAGE, files=["/images/pharmacie/nomenclature-au-31-Dcembre-2019.xlsx"])
    items = replay_crawl(spider, SOURCE)
    urls = sorted(item.url for item in items if isinstance(item, RawResponse))
    assert urls == [
        f"{BASE_URL}/images/pharmacie/nomenclature-au-31-Dcembre-2019.xlsx",
        f"{BASE_URL}/wp-content/uploads/2026/03/NOMENCLATURE-VERSION-FEVRIER-2026-.xlsx",
    ]


def test_spider_keeps_no_snapshot_of_the_page_itself() -> None:
    items = replay_crawl(_spider(page=PAGE), SOURCE)
    assert all(not item.url.endswith(PAGE) for item in items if isinstance(item, RawResponse))


def test_spider_ignores_links_to_other_documents() -> None:
    items = replay_crawl(_spider(page=PAGE), SOURCE)
    assert not any(item.url.endswith((".pdf", "/contact/")) for item in items)


def test_linked_file_remembers_the_page_it_was_found_on() -> None:
    items = replay_crawl(_spider(page=PAGE), SOURCE)
    assert items[0].request_meta["listed_on"] == f"{BASE_URL}{PAGE}"


def test_listed_file_with_a_date_carries_it_to_the_parser() -> None:
    spider = _spider(files=[{"url": "/archives/NOMENCLATURE-01.07.2018.xlsx", "published": "2018-07-11"}])
    items = replay_crawl(spider, SOURCE)
    assert items[0].request_meta == {
        "listed_url": "/archives/NOMENCLATURE-01.07.2018.xlsx",
        "published": "2018-07-11",
    }


def test_absolute_listed_file_is_fetched_where_it_is() -> None:
    spider = _spider(files=["http://www.sante.gov.dz/images/pharmacie/x.xlsx"])
    assert next(iter(spider.start_requests())).url == "http://www.sante.gov.dz/images/pharmacie/x.xlsx"


def test_page_http_error_becomes_a_failure() -> None:
    spider = _spider(page=PAGE)
    request = next(iter(spider.start_requests()))
    (failure,) = http_error_output(spider, request, 503)
    assert isinstance(failure, FetchFailure) and "HTTP 503" in failure.error


# --- parser: versions, lists, identity ---------------------------------------------------------------


@pytest.mark.parametrize("filename", GOOD)
def test_every_record_is_about_algeria_with_a_document_date(filename: str) -> None:
    assert all(r.country == "DZA" and published_at_is_aware_utc(r) for r in _records(filename))


@pytest.mark.parametrize("filename", GOOD)
def test_every_indicator_is_declared(filename: str) -> None:
    assert {r.indicator for r in _records(filename)} <= indicator_codes(SOURCE)


@pytest.mark.parametrize("filename", GOOD)
def test_series_keys_are_unique_within_a_version(filename: str) -> None:
    records = _records(filename)
    keys = [(r.indicator, r.breakdown, r.period_start, r.item) for r in records]
    assert len(keys) == len(set(keys))


def test_title_wins_over_the_sheet_name() -> None:
    # Sheet "nomenclature JUILLET 2018" (would be 31 July), title "AU 01 JUILLET 2018".
    assert read_version(fixture_bytes(SOURCE, V2018), V2018)[0] == date(2018, 7, 1)


def test_copy_without_title_is_dated_by_the_sheet_names_month_end() -> None:
    assert read_version(fixture_bytes(SOURCE, "copie-sans-titre.xlsx"), "x")[0] == date(2021, 3, 31)


def test_version_date_is_the_period_and_publication() -> None:
    record = _records(V2026)[0]
    assert (record.period_start, record.period_end, record.published_at) == (
        date(2026, 2, 28),
        date(2026, 2, 28),
        datetime(2026, 2, 28, tzinfo=UTC),
    )


def test_header_found_at_row_3_8_11_and_14() -> None:
    counts = {
        c.sheet: c.products
        for f in (V2018, V2019, V2026)
        for c in read_version(fixture_bytes(SOURCE, f), f)[1]
    }
    assert (
        counts["les mdts non renouveles "] == 1
        and counts["Retraits"] == 2
        and counts["nomenclature décembre 2019"] == 2
    )


def test_blank_numbered_row_counts_against_the_title_but_is_not_stored() -> None:
    (_main, retraits, _non) = read_version(fixture_bytes(SOURCE, V2019), V2019)[1]
    assert (retraits.declared, retraits.numbered, retraits.products) == (3, 3, 2)


def test_declared_count_that_disagrees_is_refused() -> None:
    with pytest.raises(ParseError, match="declares 5 entries in its title but numbers 2"):
        _records("bad_declared_count.xlsx")


def test_workbook_without_register_header_is_refused() -> None:
    with pytest.raises(ParseError, match="no sheet has a register header"):
        _records("bad_no_header.xlsx")


def test_html_instead_of_a_workbook_is_refused() -> None:
    with pytest.raises(ParseError, match="is not an Excel workbook"):
        list(parse(b"<html>maintenance</html>", "http://x/y.xlsx", {}))


def test_stocrin_is_registered_then_not_renewed_then_withdrawn() -> None:
    assert [_status(_records(f), STOCRIN) for f in (V2018, V2019, V2026)] == [
        ["registered"],
        ["not_renewed"],
        ["withdrawn"],
    ]


def test_renewal_suffix_keeps_the_product() -> None:
    # 524/13 P 481/17 in 2018 and 2019, 524/13 P 481/17/23 in 2026: one product, still registered.
    assert [_status(_records(f), TENOF_EM) for f in (V2018, V2019, V2026)] == [["registered"]] * 3


def test_registration_stem_ignores_spaces_and_suffixes() -> None:
    assert (
        registration_stem("376/ 14 B 213 /03/16") == "376/14 B 213" == registration_stem("376/14 B 213/17/23")
    )


def test_withdrawal_keeps_date_and_reason() -> None:
    (withdrawal,) = [
        r for r in _records(V2026) if r.indicator == "NATREG_WITHDRAWAL" and STOCRIN in r.breakdown
    ]
    assert (withdrawal.period_start, withdrawal.value_text[:40]) == (
        date(2023, 11, 8),
        "RETRAIT A L'ECHELLE MONDIALE POUR MOTIF ",
    )


def test_withdrawal_date_written_as_text_is_read() -> None:
    periods = {
        r.breakdown: (r.period_start, r.period_end)
        for r in _records(V2018)
        if r.indicator == "NATREG_WITHDRAWAL"
    }
    assert periods["product=162/13 P 097"] == (date(2016, 11, 18), date(2016, 11, 18))


def test_withdrawal_date_without_a_day_is_its_month() -> None:
    periods = {
        r.breakdown: (r.period_start, r.period_end)
        for r in _records(V2018)
        if r.indicator == "NATREG_WITHDRAWAL"
    }
    assert periods["product=219/09 L 058"] == (date(2005, 12, 1), date(2005, 12, 31))


def test_catalogue_item_from_the_dci() -> None:
    items = {product_of(r.breakdown): r.item for r in _records(V2018) if r.indicator == "NATREG_STATUS"}
    assert (items[STOCRIN], items[TENOF_EM], items["352/01 A 003"]) == ("efavirenz", "tdf_ftc", None)


def test_quote_keeps_the_row_as_written() -> None:
    (record,) = [r for r in _records(V2018) if r.indicator == "NATREG_STATUS" and STOCRIN in r.breakdown]
    fields = quote_fields(record.quote)
    assert (
        fields["NOM DE MARQUE"],
        fields["DOSAGE"],
        fields["FORME"],
        fields["DETENTEUR"],
        fields["PAYS"],
    ) == (
        "STOCRIN",
        "600MG",
        "COMP. PELL.",
        "MERCK SHARP & DOHME LIMITED",
        "ROYAUME UNI",
    )


def test_registration_dates_are_in_the_quote() -> None:
    (record,) = [r for r in _records(V2018) if r.indicator == "NATREG_STATUS" and STOCRIN in r.breakdown]
    assert quote_fields(record.quote)["DATE D'ENREGISTREMENT INITIAL"] == "2006-07-23"


def test_price_on_the_decision_amount_currency_and_text() -> None:
    prices = {
        r.breakdown: (r.value_num, r.unit, r.value_text)
        for r in _records(V2018)
        if r.indicator == "NATREG_PRICE"
    }
    assert prices == {
        f"product={STOCRIN}": (5.84, "USD", "FOB 5,84 $"),
        "product=352/01 A 003": (975.38, "DZD", "PCSU 975,38 DA"),
    }


def test_reimbursement_flag_in_any_case_with_trailing_spaces() -> None:
    flags = {r.breakdown: r.value_text for r in _records(V2018) if r.indicator == "NATREG_REIMBURSEMENT"}
    assert (flags[f"product={STOCRIN}"], flags[f"product={TENOF_EM}"], flags["product=352/01 A 003"]) == (
        "reimbursed",
        "reimbursed",
        "not_reimbursed",
    )


def test_versions_without_price_columns_store_no_price() -> None:
    assert not [r for r in _records(V2026) if r.indicator in ("NATREG_PRICE", "NATREG_REIMBURSEMENT")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PCSU 975,38 DA", (975.38, "DZD")),
        ("FOB 1,52€", (1.52, "EUR")),
        ("PCSU 973,56 DA (B/30) ; PCSU 1949,00 DA (B/60)", (973.56, "DZD")),
        ("PCSU 1 949,00 DA", (1949.0, "DZD")),
        ("pcsu", None),
        ("PCSU 56,80", (56.8, "DZD")),
        ("FOB 462,2£", (462.2, "GBP")),
        ("PCSU B/30 1487,60", None),
        ("FOB 32,40 ", None),
    ],
)
def test_parse_price(text: str, expected: tuple[float, str] | None) -> None:
    assert parse_price(text) == expected


def test_sheet_name_with_a_month_but_a_title_stating_another_day() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "nomenclature avril 2024 "
    sheet.append(["NOMENCLATURE ... AU 15 MAI 2024 ( 1 DE )"])
    sheet.append(["N°", "N°ENREGISTREMENT", "CODE", "DENOMINATION COMMUNE INTERNATIONALE", "NOM DE MARQUE"])
    sheet.append([1, "001/01 A 001/24", "01 A 001", "RISPERIDONE", "X"])
    body = io.BytesIO()
    workbook.save(body)
    assert read_version(body.getvalue(), "x")[0] == date(2024, 5, 15)


# --- real versions (../shared/fixtures/national/algeria) ---------------------------------------------

REAL = {
    "2018": "NOMENCLATURE-01.07.2018 - DATA BASE.xlsx",
    "2019": "nomenclature-au-31-Dcembre-2019.xlsx",
    "2026": "NOMENCLATURE-VERSION-FEVRIER-2026-.xlsx",
}
REAL_COUNTS = {
    # (sheet status, declared in its title, numbered rows, products stored)
    "2018": [
        ("registered", 4627, 4627, 4627),
        ("withdrawn", 2374, 2374, 2374),
        ("not_renewed", None, 387, 387),
    ],
    "2019": [
        ("registered", 3412, 3412, 3412),
        ("withdrawn", 2475, 2475, 2465),
        ("not_renewed", 1861, 1861, 1861),
    ],
    "2026": [
        ("registered", 5298, 5298, 5298),
        ("not_renewed", 1498, 1498, 1498),
        ("withdrawn", 2679, 2679, 2679),
    ],
}
REAL_DATES = {"2018": date(2018, 7, 1), "2019": date(2019, 12, 31), "2026": date(2026, 2, 28)}


@pytest.fixture(scope="module")
def real_versions() -> dict[str, tuple[date, list[Any], list[ParsedRecord]]]:
    found = {}
    for key, name in REAL.items():
        body = real_recording("national", "algeria", name).read_bytes()
        version, counts, _rows = read_version(body, name)
        found[key] = (version, counts, list(parse(body, name, {})))
    return found


@pytest.mark.parametrize("key", sorted(REAL))
def test_real_counts_per_sheet_equal_the_declared_counts(key: str, real_versions: dict[str, Any]) -> None:
    counts = real_versions[key][1]
    assert [(c.status, c.declared, c.numbered, c.products) for c in counts] == REAL_COUNTS[key]


@pytest.mark.parametrize("key", sorted(REAL))
def test_real_version_date_from_the_title(key: str, real_versions: dict[str, Any]) -> None:
    assert real_versions[key][0] == REAL_DATES[key]


def test_real_stocrin_600_registered_not_renewed_withdrawn(real_versions: dict[str, Any]) -> None:
    statuses = [
        [
            (r.value_text, r.item)
            for r in real_versions[key][2]
            if r.indicator == "NATREG_STATUS" and r.breakdown == f"product={STOCRIN}"
        ]
        for key in ("2018", "2019", "2026")
    ]
    assert statuses == [
        [("registered", "efavirenz")],
        [("not_renewed", "efavirenz")],
        [("withdrawn", "efavirenz")],
    ]


def test_real_stocrin_withdrawal_dated_8_november_2023(real_versions: dict[str, Any]) -> None:
    (withdrawal,) = [
        r
        for r in real_versions["2026"][2]
        if r.indicator == "NATREG_WITHDRAWAL" and r.breakdown == f"product={STOCRIN}"
    ]
    assert (withdrawal.period_start, withdrawal.value_text.startswith("RETRAIT A L'ECHELLE MONDIALE")) == (
        date(2023, 11, 8),
        True,
    )


def test_real_tenof_em_stays_registered(real_versions: dict[str, Any]) -> None:
    statuses = [
        sorted(
            r.value_text
            for r in real_versions[key][2]
            if r.indicator == "NATREG_STATUS" and "TENOF EM" in (r.quote or "")
        )
        for key in ("2018", "2019", "2026")
    ]
    assert statuses == [["registered"], ["registered"], ["registered"]]


def test_real_prices_only_in_july_2018(real_versions: dict[str, Any]) -> None:
    counts = [
        sum(r.indicator == "NATREG_PRICE" for r in real_versions[key][2]) for key in ("2018", "2019", "2026")
    ]
    # Every filled price cell of the register and of « non renouvelés » (1 879, counted by hand in the file).
    assert counts == [1879, 0, 0]


def test_real_prices_without_amount_keep_their_text(real_versions: dict[str, Any]) -> None:
    # ``FOB 32,40`` (no currency), ``PCSU`` alone...: 9 cells state no amount with a known currency.
    unread = [
        r.value_text
        for r in real_versions["2018"][2]
        if r.indicator == "NATREG_PRICE" and r.value_num is None
    ]
    assert (len(unread), "FOB 32,40" in unread) == (9, True)


def test_real_tenofovir_price_fob_usd(real_versions: dict[str, Any]) -> None:
    (price,) = [
        r
        for r in real_versions["2018"][2]
        if r.indicator == "NATREG_PRICE" and r.breakdown == "product=524/13 P 483"
    ]
    assert (price.value_num, price.unit, price.value_text, price.item) == (
        5.84,
        "USD",
        "FOB 5,84 $",
        "tenofovir_disoproxil",
    )


def test_real_series_keys_unique(real_versions: dict[str, Any]) -> None:
    for _version, _counts, records in real_versions.values():
        keys = [(r.indicator, r.breakdown, r.period_start, r.item) for r in records]
        assert len(keys) == len(set(keys))
