"""Global Fund PQR "Transaction Summary" crosstab: the real header names as served (misspellings
included), country names, ``19-Mar-09`` dates, ``"600,000"`` numbers, and a pack price that is never a unit
price (unit price = ``Product Pack (USD)`` / ``Nb of Suom in Pack``). The old export layout is covered by
test_globalfund_pqr.py; the shared excerpt (headers camelCased by its committer) is replayed with its
headers put back to the names PQR serves.

The fixture's rows are made up in the real layout: Côte d'Ivoire TDF/3TC/EFV delivered 18-May-16 and
02-Dec-16, Guinea TLD delivered 30-Jun-20 and one not yet delivered, plus a bednet and artesunate
(no catalogue item).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date

import pytest

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.globalfund_pqr import parse
from cobase.registry import load_registry
from tests.helpers import fixture_bytes, real_recording

SOURCE = "globalfund_pqr"
FILE = "pqr_transaction_summary.csv"
URL = "https://insights.theglobalfund.org/t/Public/views/PriceQualityReportingTransactionSummary/TransactionSummary.csv"


@pytest.fixture(scope="module")
def records() -> list[ParsedRecord]:
    return list(parse(fixture_bytes(SOURCE, FILE), URL, {}))


def _one(records: list[ParsedRecord], indicator: str, **where: object) -> ParsedRecord:
    (record,) = [
        r
        for r in records
        if r.indicator == indicator and all(getattr(r, key) == value for key, value in where.items())
    ]
    return record


def test_headers_are_those_served_with_their_misspellings() -> None:
    header = fixture_bytes(SOURCE, FILE).decode("utf-8").splitlines()[0]
    assert header.startswith("Country/Teritorry,Grant Name,Supplier/Agent/Manufacturer/Intermediatry,")


def test_country_names_are_kept_for_harmonization(records: list[ParsedRecord]) -> None:
    assert {(r.country, r.country_is_code) for r in records} == {("Côte d'Ivoire", False), ("Guinea", False)}


def test_unit_price_is_pack_price_divided_by_units_in_pack(records: list[ParsedRecord]) -> None:
    record = _one(records, "SUPPLY_UNIT_PRICE_USD", period_start=date(2016, 5, 18))
    assert record.value_num == 0.24  # 7.20 a bottle of 30


def test_pack_price_is_kept_beside_the_unit_price(records: list[ParsedRecord]) -> None:
    assert _one(records, "SUPPLY_PACK_PRICE_USD", period_start=date(2016, 5, 18)).value_num == 7.2


def test_monthly_unit_and_pack_costs(records: list[ParsedRecord]) -> None:
    month = date(2020, 6, 1)
    unit = _one(records, "PQR_UNIT_COST_USD", period_start=month).value_num
    pack = _one(records, "PQR_PACK_COST_USD", period_start=month).value_num
    assert (unit, pack) == (0.175, 15.75)  # 15.75 a bottle of 90


def test_each_price_keeps_its_unit() -> None:
    source = load_registry().get(SOURCE)
    units = {code: source.indicator(code).unit for code in ("SUPPLY_UNIT_PRICE_USD", "SUPPLY_PACK_PRICE_USD")}
    assert units == {"SUPPLY_UNIT_PRICE_USD": "US$ per unit", "SUPPLY_PACK_PRICE_USD": "US$ per pack"}


def test_day_month_year_dates(records: list[ParsedRecord]) -> None:
    delays = {r.period_start: r.value_text for r in records if r.indicator == "SUPPLY_DELIVERY_DELAY_DAYS"}
    assert delays == {date(2016, 5, 18): "18", date(2016, 12, 2): "-13", date(2020, 6, 30): "15"}


def test_numbers_with_thousands_commas(records: list[ParsedRecord]) -> None:
    assert _one(records, "SUPPLY_DELIVERED_PACKS", period_start=date(2016, 12, 2)).value_num == 20000.0


def test_total_product_cost_is_the_line_value(records: list[ParsedRecord]) -> None:
    assert _one(records, "SUPPLY_LINE_VALUE_USD", period_start=date(2016, 12, 2)).value_text == "138000"


def test_primary_key_identifies_the_delivery(records: list[ParsedRecord]) -> None:
    record = _one(records, "SUPPLY_DELIVERY_DELAY_DAYS", period_start=date(2020, 6, 30))
    assert record.breakdown == "DELIVERY=70004;STRENGTH_FORM=50mg+300mg+300mg | tab"


def test_undelivered_order_gives_only_monthly_costs(records: list[ParsedRecord]) -> None:
    september = [(r.indicator, r.value_text) for r in records if r.period_start == date(2020, 9, 1)]
    assert september == [("PQR_UNIT_COST_USD", "0.18"), ("PQR_PACK_COST_USD", "5.4")]


def test_products_without_a_catalogue_item_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="cobase.parse.globalfund_pqr"):
        list(parse(fixture_bytes(SOURCE, FILE), URL, {}))
    assert "2 rows of 2 products matching no catalogue item" in caplog.text


def test_no_unit_cost_and_no_units_per_pack_is_one_clear_error() -> None:
    text = fixture_bytes(SOURCE, FILE).decode("utf-8").replace("Nb of Suom in Pack", "Nb of Something")
    with pytest.raises(
        ParseError, match=re.escape("no column 'Unit Cost (USD)' (or 'Product Pack (USD)' with")
    ):
        list(parse(text.encode(), URL, {}))


def test_unreadable_date_is_one_clear_error() -> None:
    text = fixture_bytes(SOURCE, FILE).decode("utf-8").replace("18-May-16", "18-Mai-16")
    with pytest.raises(ParseError, match="unreadable 'Actual Delivery Date' '18-Mai-16'"):
        list(parse(text.encode(), URL, {}))


# --- the shared excerpt (real values; headers camelCased by its committer) ---------------------------------

RAW_HEADERS = {
    "countryTeritorry": "Country/Teritorry",
    "grantName": "Grant Name",
    "supplierAgentManufacturerIntermediatry": "Supplier/Agent/Manufacturer/Intermediatry",
    "manufacturer": "Manufacturer",
    "productCategory": "Product Category",
    "product": "Product",
    "description": "Description",
    "productPack": "Product Pack",
    "purchaseOrderDate": "Purchase Order Date",
    "scheduledDeliveryDate": "Scheduled Delivery Date",
    "actualDeliveryDate": "Actual Delivery Date",
    "nbOfSuomInPack": "Nb of Suom in Pack",
    "someOrAllOfGoodsPrepaid": "Some or All of Goods Prepaid",
    "freightCost": "Freight Cost",
    "supplierInvoiceNumber": "Supplier Invoice Number",
    "purchaseOrderNumber": "Purchase Order Number",
    "invoiceCurrencyName": "Invoice Currency Name",
    "primaryKey": "Primary Key",
    "status": "Status",
    "packQuantity": "Pack quantity",
    "productPackUsd": "Product Pack (USD)",
    "totalProductCostUsd": "Total Product Cost (USD)",
}


@pytest.fixture(scope="module")
def excerpt_rows() -> list[list[str]]:
    """The excerpt as served: its committer's added columns dropped, PQR's header names put back."""
    path = real_recording(
        "globalfund", "pqr_transaction_summary_crosstab_DERIVED-staging.EXCERPT-first8rows.csv"
    )
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    keep = [index for index, name in enumerate(rows[0]) if name in RAW_HEADERS]
    return [[RAW_HEADERS[rows[0][i]] for i in keep], *[[row[i] for i in keep] for row in rows[1:]]]


def _body(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_excerpt_parses_and_sets_every_row_aside(
    excerpt_rows: list[list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cobase.parse.globalfund_pqr"):
        records = list(parse(_body(excerpt_rows), URL, {}))
    # Bednets, insecticides, artesunate and a co-blister: none is a catalogue item.
    assert records == [] and "8 rows of 5 products matching no catalogue item" in caplog.text


def test_excerpt_unit_price_of_a_co_blister(excerpt_rows: list[list[str]]) -> None:
    # The last row, its product renamed to a catalogue molecule so that it is kept: 18.75 a pack of 150
    # (Co-blister - 25 * (6+2)) is 0.125 a unit, delivered 02-Nov-11 for 15-Oct-11.
    header, row = excerpt_rows[0], list(excerpt_rows[-1])
    row[header.index("Product")] = "Efavirenz+Lamivudine+Tenofovir - FDC"
    records = list(parse(_body([header, row]), URL, {}))
    delivery = {r.indicator: r.value_text for r in records if r.indicator.startswith("SUPPLY_")}
    assert delivery == {
        "SUPPLY_DELIVERY_DELAY_DAYS": "18",
        "SUPPLY_UNIT_PRICE_USD": "0.125",
        "SUPPLY_PACK_PRICE_USD": "18.75",
        "SUPPLY_DELIVERED_PACKS": "400",
        "SUPPLY_LINE_VALUE_USD": "7500",
    }
