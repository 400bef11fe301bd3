"""Dossier export: Markdown, PDF and DOCX say the same things, cite every document, and read back.

The assessment is built by hand (as the evidence engine would return it) for Guinea, HIV, as of
30 June 2024: WHO GHO evidence, World Bank WDI evidence republishing it, a gap, a revision flagged as a
contradiction, old data and a value published after the as-of date.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from cobase import present as names
from cobase.evidence.model import (
    DIMENSION_LABELS,
    DIMENSIONS,
    Assessment,
    Contradiction,
    Dimension,
    Evidence,
    Gap,
)
from cobase.evidence.readings import trends
from cobase.export import (
    chart_png,
    content,
    render_docx,
    render_markdown,
    render_pdf,
    timeline_chart,
    timeline_spec,
    write_dossier,
)
from cobase.export import pdf as pdf_module
from cobase.export.citations import CitationIndex
from cobase.export.texts import TEXTS, format_day, format_period
from cobase.export.texts import text as fixed_text

AS_OF = date(2024, 6, 30)
MARKUP = "<script>alert(1)</script> | pipe"
WHO_URL = "https://ghoapi.azureedge.net/api/HIV_0000000009?$filter=SpatialDim%20eq%20%27GIN%27"
WB_URL = "https://api.worldbank.org/v2/country/GIN/indicator/SH.HIV.ARTC.ZS?format=json"
WHO_SHA = hashlib.sha256(b"who_gho HIV_0000000009 GIN 2024-05-02").hexdigest()
WHO_LATER_SHA = hashlib.sha256(b"who_gho HIV_0000000009 GIN 2024-08-01").hexdigest()
WB_SHA = hashlib.sha256(b"worldbank_wdi SH.HIV.ARTC.ZS GIN 2024-05-02").hexdigest()
WB_OLD_SHA = hashlib.sha256(b"worldbank_wdi SH.HIV.ARTC.ZS GIN 2023-05-02").hexdigest()
DOCTORS_SHA = hashlib.sha256(b"who_gho HWF_0001 GIN 2024-05-02").hexdigest()
GAP_FR = "Aucune source ne documente l'accès à : Charge virale VIH."
GAP_EN = "No source documents access to: HIV viral load."
PACKAGED_CATALOGUE_NAMES = names.catalogue_item_names
TDF_3TC_DTG = ("Ténofovir + lamivudine + dolutégravir", "Tenofovir + lamivudine + dolutegravir")
CONTRADICTION_FR = "worldbank_wdi a révisé sa valeur pour 2021 de 48 à 55 (plus de 10 %)."


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _art_coverage(year: int, value: float, **overrides: object) -> Evidence:
    """WHO's estimate of antiretroviral therapy coverage, as the engine turns it into evidence."""
    fields: dict[str, object] = {
        "source": "who_gho",
        "producer": "World Health Organization",
        "indicator": "HIV_0000000009",
        "label_fr": "Couverture du traitement antirétroviral",
        "label_en": "Antiretroviral therapy coverage",
        "item": "tdf_3tc_dtg",
        "items": ["tdf_3tc_dtg"],
        "breakdown": "",
        "value": f"{value:g}",
        "value_num": value,
        "unit": "%",
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "published_at": _moment("2023-07-13T00:00:00"),
        "retrieved_at": _moment("2024-05-02T08:15:00"),
        "url": WHO_URL,
        "snapshot_sha256": WHO_SHA,
        "stale": year < 2021,
        "published_basis": "last_modified",
        "first_seen_at": _moment("2024-05-02T08:15:00"),
        "as_of_status": "published_by",
    }
    fields.update(overrides)
    return Evidence.model_validate(fields)


def _world_bank(year: int, value: float, **overrides: object) -> Evidence:
    """The World Bank's republication of the same coverage estimate."""
    fields: dict[str, object] = {
        "source": "worldbank_wdi",
        "producer": "World Bank",
        "indicator": "SH.HIV.ARTC.ZS",
        "label_fr": "Couverture du traitement antirétroviral (% des personnes vivant avec le VIH)",
        "label_en": "Antiretroviral therapy coverage (% of people living with HIV)",
        "item": "tdf_3tc_dtg",
        "items": ["tdf_3tc_dtg"],
        "value": f"{value:g}",
        "value_num": value,
        "unit": "%",
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "published_at": _moment("2024-03-28T00:00:00"),
        "retrieved_at": _moment("2024-05-02T08:16:00"),
        "url": WB_URL,
        "snapshot_sha256": WB_SHA,
        "republishes": "who_gho",
    }
    fields.update(overrides)
    return Evidence.model_validate(fields)


def _doctors(year: int, value: float, unit: str, indicator: str) -> Evidence:
    return Evidence(
        source="who_gho",
        producer="World Health Organization",
        indicator=indicator,
        label_fr="Médecins" if unit == "number" else "Médecins pour 10 000 habitants",
        label_en="Medical doctors" if unit == "number" else "Medical doctors per 10 000 population",
        item=None,
        value=f"{value:g}",
        value_num=value,
        unit=unit,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        published_at=_moment("2024-01-10T00:00:00"),
        retrieved_at=_moment("2024-05-02T08:17:00"),
        url=f"https://ghoapi.azureedge.net/api/{indicator}",
        snapshot_sha256=DOCTORS_SHA,
    )


def _dimension(name: str, evidence: list[Evidence]) -> Dimension:
    """A dimension as the engine builds it: latest value per series, trends, sources."""
    latest: dict[tuple[str, str, str, str | None], Evidence] = {}
    for item in sorted(evidence, key=lambda e: (e.source, e.indicator, e.breakdown, e.period_start)):
        latest[(item.source, item.indicator, item.breakdown, item.item)] = item
    label_fr, label_en = DIMENSION_LABELS[name]
    return Dimension(
        name=name,
        label_fr=label_fr,
        label_en=label_en,
        evidence=evidence,
        latest=list(latest.values()),
        trend=trends(evidence),
        sources=sorted({e.source for e in evidence}),
        independent_sources=sorted({e.source for e in evidence if e.independent}),
    )


def _assessment(**overrides: object) -> Assessment:
    who = [_art_coverage(2016, 35), _art_coverage(2019, 51), _art_coverage(2022, 61)]
    world_bank = [_world_bank(2021, 55), _world_bank(2022, 61, quote=MARKUP)]
    workforce = [
        _doctors(2018, 0.8, "per 10 000", "HWF_0001"),
        _doctors(2020, 0.9, "per 10 000", "HWF_0001"),
        _doctors(2020, 1214, "number", "HWF_0002"),
    ]
    by_dimension = {"availability": who + world_bank, "workforce": workforce}
    dimensions = [_dimension(name, by_dimension.get(name, [])) for name in DIMENSIONS]
    revised = _world_bank(2021, 48, snapshot_sha256=WB_OLD_SHA, revised_later=True)
    fields: dict[str, object] = {
        "country_iso3": "GIN",
        "country_name_fr": "Guinée",
        "country_name_en": "Guinea",
        "pathology": "hiv",
        "pathology_name_fr": "Infection par le VIH",
        "pathology_name_en": "HIV infection",
        "items": ["tdf_3tc_dtg", "viral_load_hiv"],
        "as_of": AS_OF,
        "window_years": 10,
        "stale_after_years": 3,
        "generated_at": _moment("2025-03-01T10:30:00"),
        "dimensions": dimensions,
        "gaps": [
            Gap(
                kind="item",
                id="viral_load_hiv",
                name_fr="Charge virale VIH",
                name_en="HIV viral load",
                message_fr=GAP_FR,
                message_en=GAP_EN,
            ),
            Gap(
                kind="dimension",
                id="follow_up",
                name_fr="Suivi biologique et examens",
                name_en="Follow-up tests",
                message_fr=(
                    "Aucune source ne documente cette dimension de l'accès : suivi biologique et examens."
                ),
                message_en="No source documents this access dimension: follow-up tests.",
            ),
        ],
        "contradictions": [
            Contradiction(
                kind="revision",
                item="tdf_3tc_dtg",
                description_fr=CONTRADICTION_FR,
                description_en="worldbank_wdi revised its 2021 value from 48 to 55 (more than 10 %).",
                sides=[revised, world_bank[0]],
            )
        ],
        "stale": [e for e in who if e.stale],
        "published_after_as_of": [
            _art_coverage(
                2023,
                65,
                published_at=_moment("2024-07-22T00:00:00"),
                retrieved_at=_moment("2024-08-01T09:00:00"),
                first_seen_at=_moment("2024-08-01T09:00:00"),
                published_basis="first_release",
                as_of_status="published_after",
                snapshot_sha256=WHO_LATER_SHA,
                stale=False,
            )
        ],
    }
    fields.update(overrides)
    return Assessment.model_validate(fields)


def _flat(text: str) -> str:
    """Whitespace collapsed, since PDF extraction breaks lines where the layout wrapped them."""
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    return _flat("\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


def _docx_text(data: bytes) -> str:
    document = Document(BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return _flat("\n".join(parts))


@pytest.fixture(scope="module", autouse=True)
def fixed_catalogue_names() -> Iterator[None]:
    """Item names as the tests expect them, whatever the packaged catalogue says today."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(names, "catalogue_item_names", lambda: {"tdf_3tc_dtg": TDF_3TC_DTG})
        yield


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return _assessment()


@pytest.fixture(scope="module")
def markdown_fr(assessment: Assessment) -> str:
    return render_markdown(assessment)


@pytest.fixture(scope="module")
def pdf_bytes(assessment: Assessment) -> bytes:
    return render_pdf(assessment)


@pytest.fixture(scope="module")
def pdf_text(pdf_bytes: bytes) -> str:
    return _pdf_text(pdf_bytes)


@pytest.fixture(scope="module")
def docx_bytes(assessment: Assessment) -> bytes:
    return render_docx(assessment)


@pytest.fixture(scope="module")
def docx_text(docx_bytes: bytes) -> str:
    return _docx_text(docx_bytes)


# Markdown -------------------------------------------------------------------------------------------


def test_markdown_starts_with_the_french_title(markdown_fr: str) -> None:
    assert markdown_fr.startswith(f"# {TEXTS['title']['fr']}\n")


def test_markdown_names_country_pathology_and_dates(markdown_fr: str) -> None:
    assert "- **Pays** : Guinée (GIN)" in markdown_fr
    assert "- **Pathologie** : Infection par le VIH" in markdown_fr
    assert "- **Date de référence (as-of)** : 30/06/2024" in markdown_fr
    assert "- **Généré le** : 01/03/2025 10:30 UTC" in markdown_fr


def test_markdown_names_items_from_gaps(markdown_fr: str) -> None:
    line = next(line for line in markdown_fr.splitlines() if line.startswith("- **Traitements"))
    assert line.endswith(" : Ténofovir + lamivudine + dolutégravir; Charge virale VIH")


def test_markdown_shows_item_ids_the_catalogue_cannot_name(
    assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(names, "catalogue_item_names", dict)
    markdown = render_markdown(assessment)
    assert "- **Traitements, examens et spécialistes** : tdf 3tc dtg; Charge virale VIH" in markdown


def test_item_names_come_from_the_catalogue_then_the_gaps(assessment: Assessment) -> None:
    names = content.item_names(assessment)
    assert names["viral_load_hiv"] == ("Charge virale VIH", "HIV viral load")
    assert names["tdf_3tc_dtg"] == TDF_3TC_DTG


def test_packaged_catalogue_names_the_sample_items() -> None:
    names = PACKAGED_CATALOGUE_NAMES()
    assert {"tdf_3tc_dtg", "viral_load_hiv"} <= set(names)
    assert all(fr and en for fr, en in names.values())


def test_markdown_lists_gaps(markdown_fr: str) -> None:
    assert f"- {GAP_FR}" in markdown_fr


def test_markdown_lists_contradictions_with_both_sides(markdown_fr: str) -> None:
    section = markdown_fr.split("## Contradictions entre sources")[1].split("\n## ")[0]
    assert "**World Bank a révisé « Couverture du traitement antirétroviral" in section
    assert "pour 2021 : 48\u202f% puis 55\u202f%.**" in section
    assert "| 2021 | 48\u202f% |" in section
    assert "| 2021 | 55\u202f% |" in section


def test_markdown_cites_snapshot_hash_and_url(markdown_fr: str) -> None:
    assert f"empreinte SHA-256 du fichier conservé : `{WHO_SHA}`" in markdown_fr
    assert f"<{WB_URL}>" in markdown_fr


def test_markdown_citation_lists_producer_period_and_dates(markdown_fr: str) -> None:
    line = next(line for line in markdown_fr.splitlines() if WHO_SHA in line)
    # Legal style: producer, *title*, period, the date and what it is, the page a reader opens, consulted.
    assert line.startswith(
        "- [1] World Health Organization, *Couverture du traitement antirétroviral* (who_gho, HIV_0000000009)"
    )  # numbered in order of first citation: WHO's coverage opens the availability dimension
    assert "période 2016–2022" in line
    assert "mis à jour le 13/07/2023" in line  # the evidence's published_basis is last_modified
    assert f"En ligne : <{WHO_URL}> (consulté le 02/05/2024)" in line


def test_each_document_is_cited_once(markdown_fr: str) -> None:
    citations = [line for line in markdown_fr.splitlines() if re.match(r"^- \[\d+\] ", line)]
    hashes = [re.search(r"`([0-9a-f]{64})`", line).group(1) for line in citations]  # type: ignore[union-attr]
    assert len(citations) == 6
    assert len(set(hashes)) == 5  # the two WHO doctor indicators share one snapshot, cited twice


def test_markdown_marks_republished_source(markdown_fr: str) -> None:
    assert (
        "World Bank republie les données de World Health Organization : "
        "ce n'est pas une confirmation indépendante." in markdown_fr
    )
    assert "worldbank_wdi" not in markdown_fr.split("Sources citées")[0]


def test_markdown_escapes_markup_and_pipes(markdown_fr: str) -> None:
    assert "« \\<script\\>alert(1)\\</script\\> \\| pipe »" in markdown_fr
    assert "<script>" not in markdown_fr


def test_markdown_table_rows_keep_their_column_count(markdown_fr: str) -> None:
    row = next(line for line in markdown_fr.splitlines() if "alert(1)" in line)
    assert len(re.split(r"(?<!\\)\|", row)) == 8  # 6 cells between 7 unescaped pipes


def test_markdown_says_no_patient_data(markdown_fr: str) -> None:
    assert markdown_fr.rstrip().endswith("**Ce dossier ne contient aucune donnée de patient.**")


def test_markdown_methods_say_what_cobase_does_not_assert(markdown_fr: str) -> None:
    assert (
        "L'absence de données est présentée comme une lacune, jamais comme une preuve de disponibilité."
        in (markdown_fr)
    )
    assert "ce dossier n'est ni un verdict ni un score" in markdown_fr


def test_markdown_lists_latest_values_with_references(markdown_fr: str) -> None:
    line = (
        "- Couverture du traitement antirétroviral — Ténofovir + lamivudine + dolutégravir "
        "(World Health Organization)\u202f: "
    )
    assert f"{line}61\u202f% (2022), publié au plus tard le 13/07/2023 (mis à jour le 13/07/2023) [1]\n" in (
        markdown_fr
    )


def test_markdown_gives_trends(markdown_fr: str) -> None:
    assert "35 (2016) → 61 (2022), en hausse (3 valeurs) [1]" in markdown_fr
    assert "points" not in markdown_fr


def test_markdown_lists_stale_data(markdown_fr: str) -> None:
    section = markdown_fr.split("## Données anciennes")[1].split("\n## ")[0]
    assert "période terminée avant le 30/06/2021" in section
    expected = "(World Health Organization) : 2 valeur(s) ancienne(s), période la plus récente 2019 [1]"
    assert expected in section


def test_markdown_says_where_the_charts_are(markdown_fr: str) -> None:
    assert TEXTS["charts_elsewhere"]["fr"] in markdown_fr


def test_empty_dimension_is_a_gap_not_availability(markdown_fr: str) -> None:
    section = markdown_fr.split("### Suivi biologique et examens")[1].split("\n##")[0]
    assert "c'est une lacune, pas une preuve de disponibilité" in section


# Contest variant ------------------------------------------------------------------------------------


def test_published_after_section_lists_late_evidence(markdown_fr: str) -> None:
    section = markdown_fr.split("## Publié après la date de l'avis")[1].split("\n## ")[0]
    assert "65\u202f% (2023), publié après le 30/06/2024 (publié le 22/07/2024)" in section


def test_side_by_side_without_today_uses_late_evidence(markdown_fr: str) -> None:
    row = next(
        line for line in markdown_fr.splitlines() if line.startswith("| Disponibilité | Couverture du")
    )
    assert row.endswith(
        "| 61\u202f% (2022), mis à jour le 13/07/2023 [1] | 65\u202f% (2023), publié le 22/07/2024 [5] |"
    )


def test_no_published_after_section_when_nothing_was_published_later() -> None:
    markdown = render_markdown(_assessment(published_after_as_of=[]))
    assert "Publié après la date de l'avis" not in markdown


def test_today_assessment_adds_side_by_side_and_contest_title() -> None:
    today_dims = [
        _dimension(
            "availability",
            [
                _art_coverage(
                    2023, 66, published_at=_moment("2025-01-15T00:00:00"), snapshot_sha256=WHO_LATER_SHA
                )
            ],
        )
    ]
    today = _assessment(as_of=date(2025, 3, 1), dimensions=today_dims, published_after_as_of=[])
    markdown = render_markdown(_assessment(published_after_as_of=[]), today=today)
    assert markdown.startswith(f"# {TEXTS['title_contest']['fr']}")
    assert "- **Date de l'avis (as-of)** : 30/06/2024" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| Disponibilité | Couverture du"))
    assert "| 61\u202f% (2022), mis à jour le 13/07/2023 [" in row
    assert "| 66\u202f% (2023), mis à jour le 15/01/2025 [" in row
    # Updated after the opinion but first seen before it: a last-modified date proves nothing earlier.
    by_opinion = markdown.split("## Publié au plus tard")[1]
    assert "66\u202f% (2023), publié au plus tard le 02/05/2024" in by_opinion


def test_side_by_side_says_no_data_where_today_has_none() -> None:
    today = _assessment(as_of=date(2025, 3, 1), dimensions=[], published_after_as_of=[])
    markdown = render_markdown(_assessment(published_after_as_of=[]), today=today)
    row = next(
        line
        for line in markdown.splitlines()
        if line.startswith("| Personnels et spécialistes | Médecins (World Health Organization) |")
    )
    assert row.endswith("| aucune donnée |")


def test_assessment_without_any_evidence_still_makes_a_dossier() -> None:
    empty = _assessment(
        dimensions=[_dimension(name, []) for name in DIMENSIONS],
        contradictions=[],
        stale=[],
        published_after_as_of=[],
    )
    text = _pdf_text(render_pdf(empty))
    assert GAP_FR in text
    assert TEXTS["no_contradictions"]["fr"] in text
    assert TEXTS["no_stale"]["fr"] in text
    assert "[1]" not in text
    assert _docx_text(render_docx(empty)).count(TEXTS["dimension_no_evidence"]["fr"]) == len(DIMENSIONS)


# English ----------------------------------------------------------------------------------------------


def test_english_markdown_uses_english_text(assessment: Assessment) -> None:
    markdown = render_markdown(assessment, lang="en")
    assert markdown.startswith(f"# {TEXTS['title']['en']}\n")
    assert "- **Country**: Guinea (GIN)" in markdown
    assert "- **Reference date (as-of)**: 2024-06-30" in markdown
    assert f"- {GAP_EN}" in markdown
    assert "## Published after the opinion date" in markdown
    assert "updated 2023-07-13" in markdown and "(accessed 2024-05-02)" in markdown
    assert "republishes data from World Health Organization" in markdown and "from who_gho" not in markdown
    assert markdown.rstrip().endswith("**This dossier contains no patient data.**")
    assert "Aucune" not in markdown


def test_unknown_language_is_refused(assessment: Assessment) -> None:
    with pytest.raises(ValueError, match="language must be one of fr, en, not 'de'"):
        render_markdown(assessment, lang="de")


# PDF --------------------------------------------------------------------------------------------------


def test_pdf_is_a_pdf(pdf_bytes: bytes) -> None:
    assert pdf_bytes.startswith(b"%PDF-")
    assert pdf_bytes.rstrip().endswith(b"%%EOF")


def test_pdf_metadata_names_the_dossier(pdf_bytes: bytes) -> None:
    metadata = PdfReader(BytesIO(pdf_bytes)).metadata
    assert metadata is not None
    assert metadata.title == TEXTS["title"]["fr"]
    assert metadata.subject == "Guinée — Infection par le VIH — 30/06/2024"


def test_pdf_text_has_country_dates_and_title(pdf_text: str) -> None:
    assert TEXTS["title"]["fr"] in pdf_text
    assert "Guinée (GIN)" in pdf_text
    assert "30/06/2024" in pdf_text


def test_pdf_text_has_gaps_and_contradictions(pdf_text: str) -> None:
    assert GAP_FR in pdf_text
    assert "World Bank a révisé « Couverture du traitement antirétroviral" in pdf_text


def test_pdf_text_has_citations(pdf_text: str) -> None:
    assert f"empreinte SHA-256 du fichier conservé : {WHO_SHA}" in pdf_text  # never cut by a wrap
    assert WB_URL in pdf_text
    assert "[1] World Health Organization, Couverture du traitement antirétroviral" in pdf_text


def test_pdf_text_says_no_patient_data(pdf_text: str) -> None:
    assert "Ce dossier ne contient aucune donnée de patient." in pdf_text


def test_pdf_prints_markup_literally(pdf_text: str) -> None:
    assert "<script>alert(1)</script>" in pdf_text.replace(" ", "")


def test_pdf_prints_accents_and_symbols(pdf_text: str) -> None:
    assert "Évolution" in pdf_text
    assert "35 (2016) → 61 (2022)" in pdf_text


def test_pdf_has_a_chart_per_numeric_dimension(pdf_bytes: bytes) -> None:
    reader = PdfReader(BytesIO(pdf_bytes))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2  # availability and workforce; the others have no numeric evidence


def test_pdf_has_bookmarks_per_section(pdf_bytes: bytes) -> None:
    outline = PdfReader(BytesIO(pdf_bytes)).outline
    titles = [entry.title for entry in outline if not isinstance(entry, list)]
    assert titles[:2] == ["Synthèse", TEXTS["title"]["fr"]]
    assert titles[2:5] == [
        "Publié au plus tard à la date de l'avis",
        "Date de première publication non établie",
        "Publié après la date de l'avis",
    ]


def test_english_pdf(assessment: Assessment) -> None:
    text = _pdf_text(render_pdf(assessment, lang="en"))
    assert "This dossier contains no patient data." in text
    assert "2024-06-30" in text
    assert GAP_EN in text


def test_pdf_without_unicode_font_falls_back_to_latin1(
    assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_module, "find_font_dir", lambda: None)
    text = _pdf_text(render_pdf(assessment))
    assert "Ce dossier ne contient aucune donnée de patient." in text
    assert "35 (2016) -> 61 (2022)" in text


def test_latin1_fallback_spells_out_symbols() -> None:
    assert pdf_module.to_latin1("≥ 10 — été → ok…") == ">= 10 - été -> ok..."


def test_chart_failure_costs_the_picture_not_the_dossier(
    assessment: Assessment, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vl_convert

    def broken(*args: object, **kwargs: object) -> bytes:
        raise ValueError("engine unavailable")

    monkeypatch.setattr(vl_convert, "vegalite_to_png", broken)
    data = render_pdf(assessment)
    assert TEXTS["chart_missing"]["fr"] in _pdf_text(data)
    assert sum(len(page.images) for page in PdfReader(BytesIO(data)).pages) == 0


# DOCX -------------------------------------------------------------------------------------------------


def test_docx_is_a_word_document(docx_bytes: bytes) -> None:
    assert "word/document.xml" in zipfile.ZipFile(BytesIO(docx_bytes)).namelist()
    assert Document(BytesIO(docx_bytes)).core_properties.title == TEXTS["title"]["fr"]


def test_docx_text_has_what_the_pdf_has(docx_text: str) -> None:
    assert "Guinée (GIN)" in docx_text
    assert "30/06/2024" in docx_text
    assert GAP_FR in docx_text
    assert "World Bank a révisé « Couverture du traitement antirétroviral" in docx_text
    assert f"empreinte SHA-256 du fichier conservé : {WHO_SHA}" in docx_text
    assert WB_URL in docx_text
    assert "Ce dossier ne contient aucune donnée de patient." in docx_text
    assert f"« {MARKUP} »" in docx_text


def test_docx_links_citation_urls(docx_bytes: bytes) -> None:
    document = Document(BytesIO(docx_bytes))
    urls = {link.url for p in document.paragraphs for link in p.hyperlinks}
    assert {WHO_URL, WB_URL} <= urls


def test_docx_has_the_charts(docx_bytes: bytes) -> None:
    assert len(Document(BytesIO(docx_bytes)).inline_shapes) == 2


def test_english_docx(assessment: Assessment) -> None:
    text = _docx_text(render_docx(assessment, lang="en"))
    assert "This dossier contains no patient data." in text
    assert "Published after the opinion date" in text


# write_dossier -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF-"), ("docx", b"PK"), ("md", b"# ")])
def test_write_dossier_adds_the_suffix(
    assessment: Assessment, tmp_path: Path, fmt: str, magic: bytes
) -> None:
    written = write_dossier(assessment, tmp_path / "dossier", fmt)
    assert written == tmp_path / f"dossier.{fmt}"
    assert written.read_bytes().startswith(magic)


def test_write_dossier_keeps_a_matching_suffix(assessment: Assessment, tmp_path: Path) -> None:
    assert write_dossier(assessment, tmp_path / "avis.MD", "md", lang="en") == tmp_path / "avis.MD"


def test_write_dossier_rejects_unknown_format(assessment: Assessment, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown dossier format 'odt': choose one of pdf, docx, md"):
        write_dossier(assessment, tmp_path / "dossier.odt", "odt")
    assert list(tmp_path.iterdir()) == []


def test_write_dossier_rejects_a_suffix_of_another_format(assessment: Assessment, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not match the pdf format"):
        write_dossier(assessment, tmp_path / "dossier.docx", "pdf")
    assert list(tmp_path.iterdir()) == []


# Charts -------------------------------------------------------------------------------------------------


def test_chart_png_is_a_png(assessment: Assessment) -> None:
    png = chart_png(assessment.dimension("availability"), "fr")
    assert png is not None
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_no_chart_without_numeric_evidence(assessment: Assessment) -> None:
    assert timeline_chart(assessment.dimension("follow_up"), "fr") is None
    assert chart_png(assessment.dimension("follow_up"), "fr") is None


def test_chart_tooltips_give_source_period_value_and_dates(assessment: Assessment) -> None:
    chart = timeline_chart(assessment.dimension("availability"), "en")
    assert chart is not None
    spec = chart.to_dict()
    titles = [tooltip["title"] for tooltip in spec["encoding"]["tooltip"]]
    assert titles == ["Indicator", "Source", "Period", "Published value", "Published", "Retrieved"]
    first = spec["data"]["values"][0]
    assert first["source"] == "World Health Organization (who_gho)"
    assert (first["period"], first["value"], first["published"]) == ("2016", "35%", "updated on 2023-07-13")
    assert first["retrieved"] == "2024-05-02 08:15 UTC"


def test_chart_gives_each_unit_its_own_row(assessment: Assessment) -> None:
    chart = timeline_chart(assessment.dimension("workforce"), "fr")
    assert chart is not None
    spec = chart.to_dict()
    assert spec["encoding"]["row"]["field"] == "unit"
    assert spec["resolve"]["scale"]["y"] == "independent"


def test_chart_spec_for_the_app_is_the_dossier_chart_with_its_rows_inline(assessment: Assessment) -> None:
    chart = timeline_chart(assessment.dimension("availability"), "en")
    assert chart is not None
    spec = timeline_spec(assessment.dimension("availability"), "en", fit_width=True)
    assert spec is not None
    assert spec["data"] == chart.to_dict()["data"]
    assert spec["encoding"] == chart.to_dict()["encoding"]
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert timeline_spec(assessment.dimension("follow_up"), "fr") is None


# Building blocks -------------------------------------------------------------------------------------------


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, variants in TEXTS.items():
        assert set(variants) == {"fr", "en"}, key
        assert all(variants.values()), key
        assert set(re.findall(r"{(\w+)}", variants["fr"])) == set(re.findall(r"{(\w+)}", variants["en"])), key


def test_text_fills_placeholders() -> None:
    assert fixed_text("republishes_note", "en", source="a", original="b") == (
        "a republishes data from b: this is not independent confirmation."
    )


def test_citation_index_numbers_each_document_once() -> None:
    index = CitationIndex()
    assert index.ref(_art_coverage(2016, 35)) == "[1]"
    assert index.ref(_world_bank(2022, 61)) == "[2]"
    assert index.ref(_art_coverage(2022, 61)) == "[1]"
    assert index.ref(_art_coverage(2022, 61, snapshot_sha256=WHO_LATER_SHA)) == "[3]"
    first = index.citations()[0]
    assert (first.period_start, first.period_end) == (date(2016, 1, 1), date(2022, 12, 31))


@pytest.mark.parametrize(
    ("start", "end", "lang", "expected"),
    [
        (date(2019, 1, 1), date(2019, 12, 31), "fr", "2019"),
        (date(2015, 1, 1), date(2017, 12, 31), "fr", "2015–2017"),
        (date(2020, 3, 1), date(2020, 3, 31), "fr", "03/2020"),
        (date(2020, 3, 1), date(2020, 3, 31), "en", "2020-03"),
        (date(2020, 3, 1), date(2020, 4, 15), "fr", "01/03/2020–15/04/2020"),
    ],
)
def test_format_period(start: date, end: date, lang: str, expected: str) -> None:
    assert format_period(start, end, lang) == expected


def test_format_day_is_french_first() -> None:
    assert (format_day(AS_OF, "fr"), format_day(AS_OF, "en")) == ("30/06/2024", "2024-06-30")
