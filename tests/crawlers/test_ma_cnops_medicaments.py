"""Morocco CNOPS list of medicines: the spider replayed on saved files, the parser on small workbooks in the
real layout (tests/fixtures/make_ma_cnops_medicaments.py) and on the real 2014 list (skipped when absent)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.ma_cnops_medicaments import parse, row_from_quote
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.ma_cnops_medicaments import MaCnopsMedicamentsSpider
from tests.helpers import (
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_codes,
    invariants_test,
    parsed_indicators,
    period_in_order,
    period_is_one_calendar_year,
    published_at_is_aware_utc,
    real_recording,
    replay_crawl,
    source_config,
    value_is_a_number,
)

SOURCE = "ma_cnops_medicaments"
BASE_URL = "http://127.0.0.1:8765"
FILE = "ref-des-medicaments-cnops-2014.xlsx"
URL = f"https://data.gov.ma/data/fr/dataset/x/resource/y/download/{FILE}"


def _spider(**arguments: Any) -> MaCnopsMedicamentsSpider:
    files = arguments.pop("files", source_config(SOURCE).params["files"])
    return MaCnopsMedicamentsSpider(base_url=BASE_URL, files=files, **arguments)


def _records(filename: str = FILE, url: str = URL) -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, filename), url, {}))


def _by(records: list[ParsedRecord], ean: str, indicator: str) -> ParsedRecord:
    return next(r for r in records if r.breakdown == f"EAN={ean}" and r.indicator == indicator)


# --- spider ------------------------------------------------------------------------------------------


def test_spider_requests_each_configured_file_under_base_url() -> None:
    request = first_request(_spider())
    assert request.url.startswith(f"{BASE_URL}/data/fr/dataset/2cdfd9f4")
    assert request.url.endswith(f"/download/{FILE}")


def test_spider_keeps_absolute_urls_as_given() -> None:
    spider = _spider(files=["https://archive.example.org/cnops/ref-2014.xlsx"])
    assert first_request(spider).url == "https://archive.example.org/cnops/ref-2014.xlsx"


def test_spider_request_meta_names_the_file() -> None:
    assert first_request(_spider()).meta["cobase"] == {"file": FILE}


def test_replayed_crawl_yields_one_raw_response() -> None:
    items = replay_crawl(_spider(), SOURCE)
    assert [type(item) for item in items] == [RawResponse]


def test_replayed_crawl_covers_every_declared_indicator() -> None:
    assert parsed_indicators(replay_crawl(_spider(), SOURCE), SOURCE) == indicator_codes(SOURCE)


def test_http_error_becomes_a_fetch_failure() -> None:
    request = first_request(_spider())
    [failure] = http_error_output(_spider(), request, 503)
    assert isinstance(failure, FetchFailure) and "HTTP 503" in failure.error


# --- parser: one assertion each ------------------------------------------------------------------------


def test_four_records_per_row() -> None:
    assert Counter(r.indicator for r in _records()) == {
        "MA_PPV": 14,
        "MA_PH": 14,
        "MA_PRIX_BR": 14,
        "MA_REIMBURSEMENT_RATE": 14,
    }


def test_every_record_is_about_morocco() -> None:
    assert {r.country for r in _records()} == {"MAR"}


def test_ean_stored_as_text_names_the_series() -> None:
    assert _by(_records(), "6118010125577", "MA_PPV").value_num == 43.3


def test_decimal_price_is_read_exactly() -> None:
    assert _by(_records(), "6118010125577", "MA_PH").value_text == "28.6"


def test_hospital_only_zero_price_is_kept() -> None:
    assert _by(_records(), "6118001230068", "MA_PH").value_num == 0.0


def test_reimbursement_rate_70_percent() -> None:
    assert _by(_records(), "6118010118623", "MA_REIMBURSEMENT_RATE").value_num == 70.0


def test_reimbursement_rate_0_percent() -> None:
    assert _by(_records(), "6118010125560", "MA_REIMBURSEMENT_RATE").value_text == "0"


def test_prices_are_in_dirhams() -> None:
    assert {r.unit for r in _records() if r.indicator != "MA_REIMBURSEMENT_RATE"} == {"MAD"}


def test_period_is_the_year_in_the_file_name() -> None:
    assert {(r.period_start, r.period_end) for r in _records()} == {(date(2014, 1, 1), date(2014, 12, 31))}


def test_year_falls_back_to_the_workbook_date_without_one_in_the_name() -> None:
    records = _records(url="https://data.gov.ma/download/ref-des-medicaments.xlsx")
    assert {r.period_start.year for r in records} == {2014}


def test_published_at_is_the_workbook_modified_stamp() -> None:
    assert {r.published_at for r in _records()} == {datetime(2014, 7, 16, 14, 31, 14, tzinfo=UTC)}


def test_dci_resolves_to_the_catalogue_item() -> None:
    assert _by(_records(), "6118010118227", "MA_PPV").item == "risperidone"


def test_depot_form_resolves_to_the_long_acting_item() -> None:
    assert _by(_records(), "6118001183746", "MA_PPV").item == "risperidone_lai"


def test_unknown_dci_is_kept_without_item() -> None:
    assert _by(_records(), "6118001230068", "MA_PPV").item is None


def test_combination_outside_the_catalogue_has_no_item() -> None:
    assert _by(_records(), "6118001121373", "MA_PPV").item is None


def test_quote_holds_the_row_as_written_without_stray_spaces() -> None:
    row = row_from_quote(_by(_records(), "6118010118623", "MA_PPV").quote or "")
    assert row == {
        "NOM": "METFORMINE WIN 1000 MG",
        "DCI1": "METFORMINE",
        "DOSAGE1": "1000",
        "UNITE_DOSAGE1": "MG",
        "FORME": "COMPRIME PELLICULE SECABLE",
        "PRESENTATION": "1 BOITE 30 COMPRIME PELLICULE",
        "PPV": "19.9",
        "PH": "12.4",
        "PRIX_BR": "19.9",
        "PRINCEPS_GENERIQUE": "G",
        "TAUX_REMBOURSEMENT": "70%",
    }


def test_not_a_workbook_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a readable XLSX"):
        _records("bad_not_a_workbook.xlsx")


def test_missing_columns_are_named() -> None:
    with pytest.raises(ParseError, match=r"no sheet has the list.s header|no column PPV"):
        _records("bad_missing_columns.xlsx")


def test_unreadable_rate_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="TAUX_REMBOURSEMENT 'soixante-dix'"):
        _records("bad_rate.xlsx")


# --- invariants over every record of every good fixture -------------------------------------------------

INVARIANTS = {
    "period_in_order": period_in_order,
    "one_calendar_year": period_is_one_calendar_year,
    "published_at_is_aware_utc": published_at_is_aware_utc,
    "value_is_a_number": value_is_a_number,
    "has_a_quote": lambda r: bool(r.quote) and "<" not in (r.quote or ""),
    "breakdown_is_an_ean": lambda r: r.breakdown.startswith("EAN=") and r.breakdown[4:].isdigit(),
}


test_invariant_holds_for_every_record = invariants_test(_records, good_fixtures(SOURCE), INVARIANTS)


# --- the real 2014 list (shared fixtures) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_records() -> list[ParsedRecord]:
    path = real_recording("national", "morocco", FILE)
    return list(parse(path.read_bytes(), URL, {}))


def test_real_list_has_5917_rows(real_records: list[ParsedRecord]) -> None:
    assert Counter(r.indicator for r in real_records)["MA_PPV"] == 5917


def test_real_list_rates_are_3940_at_70_and_1977_at_0(real_records: list[ParsedRecord]) -> None:
    rates = Counter(r.value_text for r in real_records if r.indicator == "MA_REIMBURSEMENT_RATE")
    assert rates == {"70": 3940, "0": 1977}


def test_real_list_stocrin_row(real_records: list[ParsedRecord]) -> None:
    stocrin = {r.indicator: r for r in real_records if r.breakdown == "EAN=6118001160198"}
    assert (stocrin["MA_PPV"].value_num, stocrin["MA_PH"].value_num, stocrin["MA_PRIX_BR"].value_num) == (
        705.0,
        468.0,
        422.0,
    )
    assert stocrin["MA_PPV"].item == "efavirenz"


def test_real_list_risperidone_presentations(real_records: list[ParsedRecord]) -> None:
    items = Counter(
        r.item for r in real_records if r.indicator == "MA_PPV" and "RISPERIDONE" in (r.quote or "")
    )
    assert items == {"risperidone": 22, "risperidone_lai": 3}
