"""Documents: the spider replayed on saved responses, the text readers and the mention extractor.

The fixtures are small documents written for these tests, in the real formats: ``guinee_arv_2024.pdf``
(two pages, French with accents, made with fpdf2 by :func:`make_pdf` from :data:`PDF_PAGES`),
``kinshasa_stockouts.html`` (a web page with scripts, navigation and a footer that must not be read),
``bad_scanned.pdf`` (an image only, made by :func:`make_scanned_pdf`), a truncated PDF and a text file.

The good documents and their ``routes.json`` sit in ``tests/fixtures/documents/mirror/``, served at
``/docs/...`` by the end-to-end test. They are not at the top of the folder on purpose: ``cobase demo``
serves every ``tests/fixtures/<key>/routes.json``, and the documents it would fetch are the real ones
listed in sources.yml, which no local mirror should impersonate.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader

from cobase.parse import ParsedRecord, ParseError
from cobase.parse.documents import extract_mentions, parse, read_document
from crawlers.items import FetchFailure, RawResponse
from crawlers.spiders.documents import MAX_DOCUMENT_BYTES, DocumentsSpider
from tests.helpers import (
    first_request,
    fixture_bytes,
    good_fixtures,
    http_error_output,
    indicator_codes,
    indicator_declared,
    invariants_test,
    parsed_indicators,
    period_in_order,
    published_at_is_aware_utc,
    quote_is_short_plain_text,
    replay_crawl,
    spider_output,
)

SOURCE = "documents"
MIRROR = f"{SOURCE}/mirror"  # the good documents, served at /docs/... (bad ones stay in documents/)
BASE_URL = "http://127.0.0.1:8765"
PDF_URL = f"{BASE_URL}/docs/guinee-arv-2024.pdf"
HTML_URL = f"{BASE_URL}/docs/kinshasa-stockouts.html"
PDF_PAGES = [
    "Accès aux antirétroviraux en Guinée - rapport de suivi\n\n"
    "Ce rapport décrit l'accès aux traitements du VIH dans les sites de prise en charge de Conakry. "
    "La lamivudine est délivrée dans les officines privées. "
    "Le coût mensuel du TLD en pharmacie privée était de 150 000 GNF en 2023.",
    "Rupture de stock de dolutégravir à Conakry en mars 2024. "
    "Les patients ont été renvoyés chez eux sans traitement.\n\n"
    "Des pénuries d'insuline rapide ont aussi été signalées à Kankan. "
    "Stock-outs of efavirenz were reported by two clinics in 2022.",
]
PDF_ENTRY = {
    "listed_url": "/docs/guinee-arv-2024.pdf",
    "title": "Accès aux antirétroviraux en Guinée",
    "producer": "Test NGO",
    "published": "2024-06-01",
    "countries": ["GIN"],
    "language": "fr",
}
HTML_ENTRY = {"listed_url": "/docs/kinshasa-stockouts.html", "title": "Kinshasa", "countries": ["COD"]}
META = {"guinee_arv_2024.pdf": PDF_ENTRY, "kinshasa_stockouts.html": HTML_ENTRY}


def make_pdf(pages: list[str]) -> bytes:
    """A text PDF, one page per string, paragraphs separated by blank lines (Helvetica, Latin-1)."""
    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 6, 3, tzinfo=UTC))
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        for paragraph in text.split("\n\n"):
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(6)
    return bytes(pdf.output())


def make_scanned_pdf() -> bytes:
    """A PDF whose only page is an image: what a scanner gives, with no text layer."""
    image = Image.new("L", (120, 40), color=255)
    for x in range(10, 110):
        image.putpixel((x, 20), 0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = FPDF()
    pdf.set_creation_date(datetime(2024, 6, 3, tzinfo=UTC))
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=120)
    return bytes(pdf.output())


def _listed(entry: dict[str, Any]) -> dict[str, Any]:
    """The sources.yml form of a request meta: ``url`` instead of ``listed_url``."""
    listed = dict(entry)
    return {"url": listed.pop("listed_url"), **listed}


def _spider(*documents: dict[str, Any] | str) -> DocumentsSpider:
    entries = list(documents) or [_listed(PDF_ENTRY), _listed(HTML_ENTRY)]
    return DocumentsSpider(base_url=BASE_URL, documents=entries)


def _records(filename: str, **meta: Any) -> list[ParsedRecord]:
    entry = {**META.get(filename, PDF_ENTRY), **meta}
    body = fixture_bytes(MIRROR if filename in META else SOURCE, filename)
    return list(parse(body, f"{BASE_URL}{entry['listed_url']}", entry))


def _pdf_records(pages: list[str], **meta: Any) -> list[ParsedRecord]:
    return list(parse(make_pdf(pages), PDF_URL, {**PDF_ENTRY, **meta}))


def _one(records: list[ParsedRecord], indicator: str, item: str | None) -> ParsedRecord:
    (record,) = [r for r in records if r.indicator == indicator and r.item == item]
    return record


@pytest.fixture(scope="module")
def declared_indicators() -> set[str]:
    return indicator_codes(SOURCE)


@pytest.fixture(scope="module")
def pdf_records() -> list[ParsedRecord]:
    return _records("guinee_arv_2024.pdf")


@pytest.fixture(scope="module")
def html_records() -> list[ParsedRecord]:
    return _records("kinshasa_stockouts.html")


# --- spider ---------------------------------------------------------------------------------------------


def test_one_request_per_document() -> None:
    assert [r.url for r in _spider().start_requests()] == [PDF_URL, HTML_URL]


def test_request_carries_the_documents_entry() -> None:
    assert first_request(_spider()).meta == {"cobase": PDF_ENTRY}


def test_absolute_url_is_fetched_as_listed() -> None:
    url = "https://www.gov.uk/government/publications/x"
    assert first_request(_spider({"url": url})).url == url


def test_bare_urls_are_accepted() -> None:
    spider = DocumentsSpider(base_url=BASE_URL, documents=f"{PDF_URL},{HTML_URL}")
    expected = [{"listed_url": PDF_URL}, {"listed_url": HTML_URL}]
    assert [r.meta["cobase"] for r in spider.start_requests()] == expected


def test_entry_without_url_is_refused() -> None:
    with pytest.raises(ValueError, match="no url"):
        _spider({"title": "no address"})


def test_empty_fields_are_left_out_of_the_meta() -> None:
    request = first_request(_spider({"url": PDF_URL, "countries": [], "published": None}))
    assert request.meta["cobase"] == {"listed_url": PDF_URL}


def test_large_reports_have_a_download_limit() -> None:
    assert DocumentsSpider.custom_settings["DOWNLOAD_MAXSIZE"] == MAX_DOCUMENT_BYTES


def test_response_is_kept_exactly_with_its_entry() -> None:
    (raw,) = spider_output(_spider(), MIRROR, "guinee_arv_2024.pdf", first_request(_spider()))
    assert (raw.body, raw.request_meta) == (fixture_bytes(MIRROR, "guinee_arv_2024.pdf"), PDF_ENTRY)


def test_errback_is_the_base_errback() -> None:
    spider = _spider()
    assert first_request(spider).errback == spider.errback


def test_http_error_becomes_a_failure_keeping_the_entry() -> None:
    spider = _spider()
    (item,) = http_error_output(spider, first_request(spider), 404, b"gone")
    assert item == FetchFailure(SOURCE, PDF_URL, f"HTTP 404 from {PDF_URL}", PDF_ENTRY)


def test_replay_fetches_every_routed_document() -> None:
    items = replay_crawl(_spider(), MIRROR)
    assert [(type(i), i.request_meta["listed_url"]) for i in items] == [
        (RawResponse, PDF_ENTRY["listed_url"]),
        (RawResponse, HTML_ENTRY["listed_url"]),
    ]


def test_replay_gives_every_indicator(declared_indicators: set[str]) -> None:
    assert parsed_indicators(replay_crawl(_spider(), MIRROR), SOURCE) == declared_indicators


# --- text -----------------------------------------------------------------------------------------------


def test_committed_pdf_is_made_from_pdf_pages() -> None:
    def text(body: bytes) -> list[str]:
        return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]

    assert text(fixture_bytes(MIRROR, "guinee_arv_2024.pdf")) == text(make_pdf(PDF_PAGES))


def test_pdf_is_read_page_by_page() -> None:
    assert len(read_document(fixture_bytes(MIRROR, "guinee_arv_2024.pdf"), PDF_URL).pages) == 2


def test_pdf_text_keeps_french_accents() -> None:
    page_2 = read_document(fixture_bytes(MIRROR, "guinee_arv_2024.pdf"), PDF_URL).pages[1]
    assert "Rupture de stock de dolutégravir à Conakry" in page_2


def test_pdf_metadata_gives_its_date() -> None:
    assert read_document(fixture_bytes(MIRROR, "guinee_arv_2024.pdf"), PDF_URL).published == date(2024, 6, 3)


def test_html_is_one_page_without_scripts_navigation_or_footer() -> None:
    (page,) = read_document(fixture_bytes(MIRROR, "kinshasa_stockouts.html"), HTML_URL).pages
    assert not any(
        noise in page for noise in ("not text of the report", "shortage tracker", "alerts", "welcome", "{")
    )


def test_html_meta_gives_its_date() -> None:
    document = read_document(fixture_bytes(MIRROR, "kinshasa_stockouts.html"), HTML_URL)
    assert document.published == date(2018, 1, 19)


def test_html_without_charset_is_read_as_utf8() -> None:
    document = read_document("<html><body><p>Pénurie à Kinshasa.</p></body></html>".encode(), HTML_URL)
    assert "Pénurie à Kinshasa." in document.pages[0]


# --- records --------------------------------------------------------------------------------------------


def test_stockout_on_page_2_names_its_medicine(pdf_records: list[ParsedRecord]) -> None:
    record = _one(pdf_records, "DOC_STOCKOUT_MENTION", "dolutegravir")
    assert (record.page, record.quote) == (2, "Rupture de stock de dolutégravir à Conakry en mars 2024.")


def test_month_nearby_gives_the_period(pdf_records: list[ParsedRecord]) -> None:
    record = _one(pdf_records, "DOC_STOCKOUT_MENTION", "dolutegravir")
    assert (record.period_start, record.period_end) == (date(2024, 3, 1), date(2024, 3, 31))


def test_stockout_value_is_the_term_as_written(pdf_records: list[ParsedRecord]) -> None:
    assert _one(pdf_records, "DOC_STOCKOUT_MENTION", "insulin_human_regular").value_text == "pénuries"


def test_english_stockout_in_a_french_report(pdf_records: list[ParsedRecord]) -> None:
    record = _one(pdf_records, "DOC_STOCKOUT_MENTION", "efavirenz")
    assert (record.value_text, record.period_start) == ("Stock-outs", date(2022, 1, 1))


def test_without_a_date_nearby_the_period_is_the_publication_year(pdf_records: list[ParsedRecord]) -> None:
    record = _one(pdf_records, "DOC_STOCKOUT_MENTION", "insulin_human_regular")
    assert (record.period_start, record.period_end) == (date(2024, 1, 1), date(2024, 12, 31))


def test_cost_has_amount_and_currency(pdf_records: list[ParsedRecord]) -> None:
    record = _one(pdf_records, "DOC_COST_MENTION", "tdf_3tc_dtg")
    assert (record.value_text, record.value_num, record.unit) == ("150 000 GNF", 150000.0, "GNF")


def test_medicine_without_stockout_or_cost_is_a_medicine_mention(pdf_records: list[ParsedRecord]) -> None:
    assert _one(pdf_records, "DOC_MEDICINE_MENTION", "lamivudine").page == 1


def test_published_at_is_the_listed_publication_date(pdf_records: list[ParsedRecord]) -> None:
    assert {r.published_at for r in pdf_records} == {datetime(2024, 6, 1, tzinfo=UTC)}


def test_published_falls_back_to_the_files_own_date() -> None:
    records = _records("guinee_arv_2024.pdf", published=None)
    assert {r.published_at for r in records} == {datetime(2024, 6, 3, tzinfo=UTC)}


def test_one_record_per_listed_country() -> None:
    records = _records("guinee_arv_2024.pdf", countries=["gin", "SEN"])
    assert {r.country for r in records if r.item == "dolutegravir"} == {"GIN", "SEN"}


def test_html_records_have_no_page(html_records: list[ParsedRecord]) -> None:
    assert {r.page for r in html_records} == {None}


def test_html_stockout_names_the_combination(html_records: list[ParsedRecord]) -> None:
    record = _one(html_records, "DOC_STOCKOUT_MENTION", "tdf_3tc_efv")
    assert record.quote.startswith(
        "A national shortage of the newly introduced first-line regimen TDF/3TC/EFV"
    )


def test_html_table_row_gives_a_cost(html_records: list[ParsedRecord]) -> None:
    record = _one(html_records, "DOC_COST_MENTION", "nevirapine")
    assert (record.value_num, record.unit) == (2500.0, "CDF")


def test_two_amounts_in_a_sentence_are_two_records(html_records: list[ParsedRecord]) -> None:
    costs = [r for r in html_records if r.indicator == "DOC_COST_MENTION" and r.item == "zidovudine"]
    assert sorted((r.value_num, r.unit) for r in costs) == [(12.0, "USD"), (5000.0, "CDF")]


def test_every_record_is_a_candidate(
    pdf_records: list[ParsedRecord], html_records: list[ParsedRecord]
) -> None:
    assert {r.review_status for r in pdf_records + html_records} == {"candidate"}


def test_parsing_again_gives_the_same_records(pdf_records: list[ParsedRecord]) -> None:
    assert _records("guinee_arv_2024.pdf") == pdf_records


def test_breakdown_tells_documents_apart() -> None:
    first = _records("guinee_arv_2024.pdf")
    other = _records("guinee_arv_2024.pdf", listed_url="https://example.org/other.pdf")
    assert not {r.breakdown for r in first} & {r.breakdown for r in other}


def test_same_sentence_twice_gives_one_record() -> None:
    sentence = "Rupture de stock de dolutégravir en 2023."
    records = _pdf_records([f"{sentence}\n\n{sentence}"])
    assert len([r for r in records if r.item == "dolutegravir"]) == 1


def test_future_targets_are_not_periods() -> None:
    (record,) = _pdf_records(["Stock-outs of dolutegravir must end by 2030."])
    assert record.period_start == date(2024, 1, 1)  # the publication year, not 2030


# --- bad input ------------------------------------------------------------------------------------------


def test_scanned_pdf_is_refused_clearly() -> None:
    with pytest.raises(ParseError, match=r"no text layer \(scanned PDF\?\), OCR not supported"):
        _records("bad_scanned.pdf")


def test_generated_scanned_pdf_has_no_text_layer() -> None:
    with pytest.raises(ParseError, match="no text layer"):
        list(parse(make_scanned_pdf(), PDF_URL, PDF_ENTRY))


def test_truncated_pdf_is_refused_naming_source_and_url() -> None:
    with pytest.raises(
        ParseError, match=r"documents: http://127\.0\.0\.1:8765/docs/.* is not a readable PDF"
    ):
        _records("bad_truncated.pdf")


def test_text_that_is_neither_pdf_nor_html_is_refused() -> None:
    with pytest.raises(ParseError, match="neither a PDF nor an HTML page"):
        _records("bad_plain_text.txt")


def test_empty_body_is_refused() -> None:
    with pytest.raises(ParseError, match="empty body"):
        list(parse(b"  \n", PDF_URL, PDF_ENTRY))


def test_document_without_countries_is_refused() -> None:
    with pytest.raises(ParseError, match="no countries for this document"):
        _records("guinee_arv_2024.pdf", countries=[])


def test_unreadable_published_date_is_refused() -> None:
    with pytest.raises(ParseError, match="unreadable 'published' date"):
        _records("guinee_arv_2024.pdf", published="June 2024")


def test_undated_mention_in_undated_document_asks_for_a_date() -> None:
    body = "<html><body><p>Rupture de stock de dolutégravir.</p></body></html>".encode()
    with pytest.raises(ParseError, match="add 'published'"):
        list(parse(body, HTML_URL, {**HTML_ENTRY, "published": None}))


# --- extract_mentions: the rules, one each -----------------------------------------------------------------


def _items(text: str) -> list[tuple[str, ...]]:
    return [mention.items for mention in extract_mentions([text])]


def test_names_match_whatever_the_case_and_accents() -> None:
    assert _items("DOLUTEGRAVIR et Dolutégravir sont cités.") == [("dolutegravir",)]


def test_names_match_whole_words_only() -> None:
    assert _items("Les prolamivudinettes sont un mot inventé.") == []


def test_abbreviations_match_only_as_written() -> None:
    assert _items("tdf est un mot ; TDF est une abréviation.") == [("tenofovir_disoproxil",)]


def test_short_abbreviations_are_ignored() -> None:
    assert _items("Les RH et le HR manquent dans les HU.") == []


def test_longest_name_wins_over_its_parts() -> None:
    assert _items("Le schéma TDF/3TC/DTG est recommandé.") == [("tdf_3tc_dtg",)]


def test_brand_names_match() -> None:
    assert _items("Glucophage est vendu en pharmacie.") == [("metformin",)]


def test_hyphenated_line_break_is_joined() -> None:
    (mention,) = extract_mentions(["Rupture de stock de dolu-\ntégravir en 2023."])
    assert mention.items == ("dolutegravir",)


def test_long_sentence_is_quoted_around_the_term_within_400_characters() -> None:
    sentence = "Avant. " + "mot " * 150 + "rupture de stock de dolutégravir " + "mot " * 150 + "fin."
    (mention,) = extract_mentions([sentence])
    assert len(mention.quote) <= 400 and "rupture de stock de dolutégravir" in mention.quote


def test_previous_sentence_gives_the_date() -> None:
    (mention,) = extract_mentions(["En juin 2023, une enquête a eu lieu. La pénurie touchait Kankan."])
    assert mention.period == (date(2023, 6, 1), date(2023, 6, 30))


def test_years_give_a_span() -> None:
    (mention,) = extract_mentions(["Shortages were reported in 2013 and 2014."])
    assert mention.period == (date(2013, 1, 1), date(2014, 12, 31))


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("Le traitement coûte 15 000 GNF.", 15000.0, "GNF"),
        ("Le traitement coûte 2,5 millions de FCFA.", 2500000.0, "FCFA"),
        ("The treatment costs USD 12.50 a month.", 12.5, "USD"),
        ("Une boîte coûte 30 € en pharmacie.", 30.0, "EUR"),
        ("A box costs 1,500 naira.", 1500.0, "NGN"),
        ("Le prix est de 3.500 francs CFA.", 3500.0, "FCFA"),
        ("Le coût de la consultation est de 250.", 250.0, None),
    ],
)
def test_cost_amounts(text: str, amount: float, currency: str | None) -> None:
    (mention,) = extract_mentions([text])
    assert (mention.amount, mention.currency) == (amount, currency)


def test_cost_word_with_only_a_year_or_share_is_no_cost() -> None:
    assert extract_mentions(["Le coût a augmenté de 20 % en 2023."]) == []


# --- invariants over every good fixture ---------------------------------------------------------------


def _is_a_catalogue_medicine(record: ParsedRecord) -> bool:
    from cobase.catalogue import load_catalogue

    return record.item is None or record.item in {
        item.id for item in load_catalogue().items_of_kind("medicine")
    }


test_invariant_holds_for_every_record = invariants_test(
    _records,
    good_fixtures(MIRROR),
    {
        "quote_is_short_plain_text": lambda r: quote_is_short_plain_text(r, 400),
        "period_in_order": period_in_order,
        "items_are_catalogue_medicines": _is_a_catalogue_medicine,
        "indicator_declared": indicator_declared(SOURCE),
        "published_at_is_aware_utc": published_at_is_aware_utc,
    },
)
