"""cobase.present: one presentation of evidence for the app and every dossier format, French first."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from docx import Document
from pypdf import PdfReader

from cobase import present
from cobase.evidence.model import DIMENSION_LABELS, DIMENSIONS, Assessment, Dimension, Evidence, Trend
from cobase.evidence.readings import trends
from cobase.export import render_docx, render_markdown, render_pdf
from cobase.registry import load_registry

NNBSP = "\u202f"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _evidence(**overrides: object) -> Evidence:
    fields: dict[str, object] = {
        "source": "unaids_aidsinfo",
        "producer": "UNAIDS",
        "indicator": "UNAIDS_ART_COVERAGE",
        "label_fr": "Personnes vivant avec le VIH sous traitement antirétroviral",
        "label_en": "People living with HIV on antiretroviral therapy",
        "item": None,
        "items": [],
        "breakdown": "SUBGROUP=All ages",
        "value": "55.4555358886719",
        "value_num": 55.4555358886719,
        "unit": "%",
        "period_start": date(2022, 1, 1),
        "period_end": date(2022, 12, 31),
        "published_at": _moment("2023-07-13T00:00:00"),
        "retrieved_at": _moment("2024-05-02T08:15:00"),
        "url": "https://aidsinfo.unaids.org/",
        "snapshot_sha256": "a" * 64,
        "published_basis": "last_modified",
        "first_seen_at": _moment("2024-05-02T08:15:00"),
        "as_of_status": "published_by",
        "scope": "population",
    }
    fields.update(overrides)
    return Evidence.model_validate(fields)


def _answer(value: str = "No", year: int = 2017) -> Evidence:
    return _evidence(
        source="who_ncd_ccs",
        producer="World Health Organization",
        indicator="NCD_CCS_Insulin",
        label_fr="Insuline généralement disponible dans le secteur public (soins primaires)",
        label_en="Insulin generally available in the public health sector (primary care)",
        breakdown="",
        value=value,
        value_num=None,
        unit="answer (Yes/No)",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        scope="class",
    )


# Numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "french", "english"),
    [
        (55.4555358886719, "55,5", "55.5"),
        (1.05235e07, f"10{NNBSP}523{NNBSP}500", "10,523,500"),
        (59.4, "59,4", "59.4"),
        (64.0, "64", "64"),
        (0.01234, "0,012", "0.012"),
        (1234.56, f"1{NNBSP}234,6", "1,234.6"),
        (-2.5, "-2,5", "-2.5"),
        (0.0, "0", "0"),
    ],
)
def test_format_number(number: float, french: str, english: str) -> None:
    assert present.format_number(number, "fr") == french
    assert present.format_number(number, "en") == english


def test_numbers_never_use_scientific_notation() -> None:
    for number in (1e-7, 1.05235e07, 3.2e15):
        assert "e" not in present.format_number(number, "fr").lower()


def test_value_with_unit_in_french() -> None:
    assert present.value_text(_evidence()) == f"55,5{NNBSP}%"
    assert present.value_text(_evidence(value="1.05235e+07", value_num=1.05235e07, unit="number")) == (
        f"10{NNBSP}523{NNBSP}500"
    )
    per = _evidence(value="0.9", value_num=0.9, unit="per 10 000 population")
    assert present.value_text(per) == f"0,9{NNBSP}pour 10{NNBSP}000 habitants"


# Dates and periods -----------------------------------------------------------------------------------


def test_dates_and_periods() -> None:
    assert present.format_day(date(2024, 6, 30)) == "30/06/2024"
    assert present.format_day(date(2024, 6, 30), "en") == "2024-06-30"
    assert present.format_period(date(2019, 1, 1), date(2019, 12, 31)) == "2019"
    assert present.format_period(date(2024, 3, 1), date(2024, 3, 31)) == "03/2024"
    assert present.format_period(date(2015, 1, 1), date(2017, 12, 31)) == "2015–2017"


# Breakdowns and units ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("breakdown", "french"),
    [
        ("SUBGROUP=All ages", "tous âges"),
        ("SEX=FMLE", "femmes"),
        ("SEX=SEX_MLE", "hommes"),
        ("SEX=SEX_BTSX;RESIDENCEAREATYPE=RESIDENCEAREATYPE_RUR", "les deux sexes, milieu rural"),
        ("RESIDENCEAREATYPE=URB", "milieu urbain"),
        ("SUBGROUP=Females 15+", "femmes (15 ans et plus)"),
        ("AGEGROUP=AGE15-49", "15–49 ans"),
        ("COMPONENT=HIV/AIDS", "VIH/sida"),
        ("finding=abc123", ""),
        ("report=42;source=MSF", ""),
        ("", ""),
    ],
)
def test_breakdowns_in_french_words(breakdown: str, french: str) -> None:
    assert present.breakdown_label(breakdown, "fr") == french


def test_unknown_breakdown_code_is_never_shown_raw() -> None:
    shown = present.breakdown_label("WEIRDDIM=WEIRDDIM_SOME_CODE", "fr")
    assert "=" not in shown and "_" not in shown


@pytest.mark.parametrize("unit", ["number", "answer (Yes/No)", "mention", "report"])
def test_units_that_need_no_word(unit: str) -> None:
    assert present.unit_label(unit, "fr") == ""


def test_units_in_french() -> None:
    assert present.unit_label("% of treatment sites") == "% des sites de traitement"
    assert present.unit_label("US$") == "$ US"
    assert present.unit_label("days") == "jours"
    assert present.unit_label("GNF") == "GNF"


def test_dimension_names_are_the_models() -> None:
    for name in DIMENSIONS:
        assert present.dimension_label(name) == DIMENSION_LABELS[name][0]


# Answers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "french"), [("Yes", "Oui"), ("No", "Non"), ("Don't know", "Ne sait pas")])
def test_answers_in_french(stored: str, french: str) -> None:
    assert present.value_text(_answer(stored)) == french


def test_answer_sentence_names_survey_round_and_question() -> None:
    assert present.answer_sentence(_answer("No")) == (
        f"Enquête OMS sur les capacités nationales (NCD CCS) 2017{NNBSP}: l'insuline est-elle généralement "
        "disponible dans les soins primaires publics ? — Non"
    )
    assert "No answer" not in present.answer_sentence(_answer("No"), "en")


# As-of wording -----------------------------------------------------------------------------------------


def test_as_of_published_by_says_by_when_and_the_basis() -> None:
    text = present.as_of_text(_evidence())
    assert text == "publié au plus tard le 13/07/2023 (mis à jour le 13/07/2023)"


def test_as_of_unknown_never_says_not_knowable() -> None:
    text = present.as_of_text(
        _evidence(as_of_status="unknown", published_at=None, published_basis="first_seen")
    )
    assert text == "date de première publication non établie (relevé le 02/05/2024)"
    assert "après" not in text and "pouvait" not in text


def test_as_of_published_after() -> None:
    late = _evidence(as_of_status="published_after", published_basis="document_date")
    assert present.as_of_text(late, as_of=date(2023, 6, 30)) == (
        "publié après le 30/06/2023 (document daté du 13/07/2023)"
    )


def test_withdrawn_value_says_so() -> None:
    gone = _evidence(withdrawn_at=_moment("2025-01-10T00:00:00"))
    assert "retiré par le producteur le 10/01/2025" in present.as_of_text(gone)


# Trends ------------------------------------------------------------------------------------------------


def _trend(source: str, indicator: str, first: float, last: float) -> Trend:
    return Trend(
        source=source,
        indicator=indicator,
        breakdown="",
        first_period=date(2019, 1, 1),
        first_value=first,
        last_period=date(2023, 1, 1),
        last_value=last,
        change=last - first,
        direction="up" if last > first else "down",
        points=2,
    )


def test_every_indicator_declares_its_polarity() -> None:
    registry = load_registry()
    raw = registry.path.read_text(encoding="utf-8")
    assert raw.count("polarity:") == sum(len(s.indicators) for s in registry.sources.values())


def test_fewer_stockouts_is_better_for_access() -> None:
    sentence = present.trend_sentence(_trend("unaids_aidsinfo", "UNAIDS_ARV_STOCKOUTS", 30, 12), "Ruptures")
    assert (
        sentence
        == f"Ruptures{NNBSP}: 30 (2019) → 12 (2023), en baisse, amélioration pour l'accès (2 valeurs)"
    )
    assert "points" not in sentence


def test_higher_coverage_is_better_and_higher_out_of_pocket_is_worse() -> None:
    coverage = present.trend_sentence(_trend("unaids_aidsinfo", "UNAIDS_ART_COVERAGE", 59.4, 63.2), "ART")
    assert (
        coverage == f"ART{NNBSP}: 59,4 (2019) → 63,2 (2023), en hausse, amélioration pour l'accès (2 valeurs)"
    )
    oop = present.trend_sentence(_trend("who_gho", "GHED_OOPSCHE_SHA2011", 40, 55), "Reste à charge")
    assert "dégradation pour l'accès" in oop


# Scope -------------------------------------------------------------------------------------------------


def test_population_evidence_is_never_labelled_with_a_medicine() -> None:
    population = _evidence(items=["tdf_3tc_dtg"], item="tdf_3tc_dtg", scope="population")
    label = present.evidence_label(population)
    # The indicator map says what the value is about (people living with HIV), never the medicine.
    assert "Ténofovir" not in label and "personnes vivant avec le VIH" in label
    unlinked = _evidence(indicator="NOT_IN_THE_MAP", items=["tdf_3tc_dtg"], scope="population")
    assert "population générale" in present.evidence_label(unlinked)
    about = _evidence(indicator="NOT_IN_THE_MAP", scope="class", about_fr="tous antirétroviraux")
    assert "tous antirétroviraux" in present.evidence_label(about)


def test_item_evidence_comes_first_then_national_context() -> None:
    item = _evidence(scope="item", items=["tdf_3tc_dtg"], item="tdf_3tc_dtg")
    groups = present.split_by_scope([_evidence(), item])
    assert groups[0] == (None, [item])
    assert groups[1][0] == (
        "Contexte national — personnes vivant avec le VIH (couverture nationale du traitement antirétroviral)"
    )


# Dossier wording, by text extraction ---------------------------------------------------------------------

FORBIDDEN = re.compile(
    r"No answer|\bNone\b|\bnumber\b|SUBGROUP=|SEX=|FINDING_|\bpoints\b|e\+0|\d\.\d{4,}|"
    r"date non indiquée|ne pouvait pas les connaître"
)


def _assessment(**overrides: object) -> Assessment:
    stockouts = [
        _evidence(
            indicator="UNAIDS_ARV_STOCKOUTS",
            label_fr="Sites de traitement ayant connu une rupture de stock d'au moins un antirétroviral",
            label_en="Treatment sites with a stock-out of at least one required ARV",
            value=str(v),
            value_num=v,
            unit="% of treatment sites",
            period_start=date(y, 1, 1),
            period_end=date(y, 12, 31),
            scope="class",
        )
        for y, v in ((2019, 30.0), (2022, 12.0))
    ]
    finding = _evidence(
        source="contributed",
        producer="Contributeurs cobase",
        indicator="FINDING_CONTINUITY",
        label_fr="FINDING_CONTINUITY",
        label_en="FINDING_CONTINUITY",
        breakdown="finding=abc",
        value="Rupture d'insuline constatée",
        value_num=None,
        unit=None,
        scope="item",
        items=["insulin_human_regular"],
        item="insulin_human_regular",
        as_of_status="unknown",
        published_basis="first_seen",
        published_at=None,
    )
    by_dimension = {
        "availability": [
            _answer("No", 2017),
            _answer("Yes", 2015),
            _evidence(value="1.05235e+07", value_num=1.05235e07, unit="number", indicator="UNAIDS_PLHIV"),
        ],
        "continuity": [*stockouts, finding],
    }
    dimensions = []
    for name in DIMENSIONS:
        evidence = by_dimension.get(name, [])
        latest: dict[tuple[str, str, str, str | None], Evidence] = {}
        for e in sorted(evidence, key=lambda e: e.period_start):
            latest[(e.source, e.indicator, e.breakdown, e.item)] = e
        dimensions.append(
            Dimension(
                name=name,
                label_fr=DIMENSION_LABELS[name][0],
                label_en=DIMENSION_LABELS[name][1],
                evidence=evidence,
                latest=list(latest.values()),
                trend=trends(evidence),
                sources=sorted({e.source for e in evidence}),
                independent_sources=sorted({e.source for e in evidence}),
            )
        )
    fields: dict[str, object] = {
        "country_iso3": "GIN",
        "country_name_fr": "Guinée",
        "country_name_en": "Guinea",
        "pathology": "diabetes_t1",
        "pathology_name_fr": "Diabète de type 1",
        "pathology_name_en": "Type 1 diabetes",
        "items": ["insulin_human_regular"],
        "as_of": date(2024, 6, 30),
        "window_years": 10,
        "stale_after_years": 3,
        "generated_at": _moment("2025-03-01T10:30:00"),
        "dimensions": dimensions,
        "gaps": [],
        "contradictions": [],
        "stale": [],
    }
    fields.update(overrides)
    return Assessment.model_validate(fields)


def _pdf_pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages]


def _docx_text(data: bytes) -> str:
    document = Document(BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


@pytest.fixture(scope="module")
def french_pdf_pages() -> list[str]:
    return _pdf_pages(render_pdf(_assessment()))


def _body(text: str) -> str:
    """The dossier before its references (worded by cobase.export.citations, checked by its own tests)."""
    return text.split("Sources citées")[0]


def test_french_pdf_has_no_english_code_or_none(french_pdf_pages: list[str]) -> None:
    text = " ".join(french_pdf_pages)
    assert FORBIDDEN.findall(_body(text)) == []
    assert "Non" in text and "tous âges" in text


def test_french_pdf_synthesis_is_page_one(french_pdf_pages: list[str]) -> None:
    first = french_pdf_pages[0]
    assert "Synthèse" in first
    assert "Diabète de type 1" in first and "30/06/2024" in first
    assert "l'insuline est-elle généralement disponible dans les soins primaires publics ? — Non" in first
    assert "les faits datés les plus probants" not in " ".join(french_pdf_pages[1:])


def test_french_pdf_says_stockouts_fell_is_better(french_pdf_pages: list[str]) -> None:
    text = " ".join(french_pdf_pages)
    assert "en baisse, amélioration pour l'accès (2 valeurs)" in text


def test_french_docx_and_markdown_have_no_english_code_or_none() -> None:
    assessment = _assessment()
    assert FORBIDDEN.findall(_body(_docx_text(render_docx(assessment)))) == []
    markdown = render_markdown(assessment)
    assert FORBIDDEN.findall(_body(markdown)) == []
    assert markdown.index("## Synthèse") < markdown.index("---") < markdown.index("## Lacunes")


# Long text never breaks an export -----------------------------------------------------------------------


def _long_assessment() -> Assessment:
    base = _assessment()
    long_quote = ("Rupture prolongée de l'insuline dans les centres de santé publics. " * 160)[:10_000]
    token = "x" * 2_000
    finding = _evidence(
        source="contributed",
        producer="Contributeurs cobase",
        indicator="FINDING_CONTINUITY",
        label_fr="Constat contribué",
        label_en="Contributed finding",
        breakdown="finding=long",
        value=long_quote,
        value_num=None,
        unit=None,
        quote=token,
        scope="item",
        items=["insulin_human_regular"],
        item="insulin_human_regular",
    )
    dimensions = [
        d.model_copy(update={"evidence": [*d.evidence, finding], "latest": [*d.latest, finding]})
        if d.name == "continuity"
        else d
        for d in base.dimensions
    ]
    return base.model_copy(update={"dimensions": dimensions})


@pytest.mark.parametrize("annex", [False, True])
def test_ten_thousand_characters_and_a_long_token_export_to_pdf_and_docx(annex: bool) -> None:
    assessment = _long_assessment()
    pages = _pdf_pages(render_pdf(assessment, annex=annex))
    text = " ".join(pages)
    assert "« […] »" in text
    assert "texte intégral" in text
    assert _docx_text(render_docx(assessment, annex=annex))
    if annex:
        assert "Textes intégraux" in text


def test_shorten() -> None:
    assert present.shorten("court") == "court"
    cut = present.shorten("mot " * 500, 100, "fr", "[3]")
    assert cut.endswith("« […] » (texte intégral en annexe [3])")


# Replay of the real NCD CCS recording (../shared/fixtures) ---------------------------------------------


def test_real_ncd_ccs_guinea_insulin_2017_reads_non_in_the_dossier(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cobase.db import open_store
    from cobase.evidence import assess
    from cobase.harmonize.records import HarmonizeReport, harmonize
    from cobase.parse.who_ncd_ccs import parse
    from tests.helpers import real_recording
    from tests.seed import ingest_rows

    path = real_recording("who_ncd_ccs", "gho_athena_NCD_CCS_Insulin.csv")
    body = path.read_bytes()
    url = "https://apps.who.int/gho/athena/data/data-coded.csv?target=GHO/NCD_CCS_Insulin"
    records = list(parse(body, url, {}))
    rows = list(harmonize(records, load_registry().get("who_ncd_ccs"), HarmonizeReport()))
    db = f"sqlite:///{tmp_path / 'ncd.db'}"
    ingest_rows(open_store(db), "who_ncd_ccs", url, rows, datetime(2018, 3, 1, tzinfo=UTC), body=body)
    assessment = assess("GIN", "diabetes_t1", as_of=date(2024, 6, 30), db=db)
    markdown = render_markdown(assessment)
    assert (
        f"(NCD CCS) 2017{NNBSP}: l'insuline est-elle généralement disponible dans les soins primaires "
        "publics ? — Non"
    ) in markdown
    assert "No answer" not in markdown and "(Yes/No)" not in markdown
