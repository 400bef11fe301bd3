"""What each value is about (scope), which pathology a report's mention reaches, and independence.

The Kinshasa report (tests/fixtures/documents/mirror/kinshasa_stockouts.html, published 2018) names HIV
medicines out of stock: it must reach an HIV assessment for the DRC, never a dialysis one, and each of its
sentences counts once. National figures (ART coverage, the stock-out of "at least one ARV") never carry a
medicine's name. WHO's ART coverage republishes the UNAIDS estimate.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cobase.catalogue import load_catalogue
from cobase.db import open_store
from cobase.evidence import assess
from cobase.harmonize.records import HarmonizeReport, ObservationIn, harmonize
from cobase.parse import documents
from cobase.registry import load_registry
from tests.seed import ingest_rows

KINSHASA = Path(__file__).parent / "fixtures" / "documents" / "mirror" / "kinshasa_stockouts.html"
KINSHASA_URL = "https://example.org/docs/kinshasa-stockouts.html"
AS_OF = date(2024, 6, 30)
V1 = datetime(2023, 5, 1, tzinfo=UTC)

runner = CliRunner()


def _value(indicator: str, year: int, value: float, published: datetime, country: str) -> ObservationIn:
    return ObservationIn(
        country_iso3=country,
        indicator=indicator,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        value_text=repr(value),
        value_num=value,
        unit="%",
        published_at=published,
    )


def _kinshasa_rows():
    meta = {
        "countries": ["COD"],
        "published": "2018-01-19",
        "title": "Stock-outs of HIV medicines in Kinshasa",
    }
    records = list(documents.parse(KINSHASA.read_bytes(), KINSHASA_URL, meta))
    source = load_registry().get("documents")
    return list(harmonize(records, source, HarmonizeReport()))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('scope') / 's.db'}"
    engine = open_store(url)
    ingest_rows(engine, "documents", KINSHASA_URL, _kinshasa_rows(), datetime(2019, 3, 1, tzinfo=UTC))
    ingest_rows(
        engine,
        "who_gho",
        "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE",
        [_value("HIV_ARTCOVERAGE", 2022, 64.0, V1, country="COD")],
        datetime(2023, 6, 1, tzinfo=UTC),
    )
    ingest_rows(
        engine,
        "unaids_aidsinfo",
        "https://aidsinfo.unaids.org/art.csv",
        [
            _value("UNAIDS_ART_COVERAGE", 2022, 64.0, V1, country="COD"),
            _value("UNAIDS_ARV_STOCKOUTS", 2022, 12.0, V1, country="COD"),
            _value("UNAIDS_VL_SUPPRESSED", 2022, 55.0, V1, country="COD"),
        ],
        datetime(2023, 6, 1, tzinfo=UTC),
    )
    ingest_rows(
        engine,
        "who_gho",
        "https://ghoapi.azureedge.net/api/UHC_INDEX_REPORTED",
        [_value("UHC_INDEX_REPORTED", 2021, 41.0, V1, country="COD")],
        datetime(2023, 6, 1, tzinfo=UTC),
    )
    return url


def _all(result):
    return [e for d in result.dimensions for e in d.evidence]


# --- relevance -----------------------------------------------------------------------------------------


def test_report_is_stored_with_mentions_that_name_no_medicine() -> None:
    """The premise: the report has stock-out sentences without a catalogue medicine."""
    rows = _kinshasa_rows()
    assert any(r.indicator == "DOC_STOCKOUT_MENTION" and r.item is None for r in rows)


def test_hiv_stockout_report_is_absent_from_a_dialysis_assessment(db: str) -> None:
    result = assess("COD", "ckd_dialysis", as_of=AS_OF, db=db)
    assert [e for e in _all(result) if e.source == "documents"] == []


@pytest.mark.parametrize("pathology", ["diabetes_t1", "psychosis", "tb", "hypertension"])
def test_hiv_report_reaches_no_other_pathology(db: str, pathology: str) -> None:
    result = assess("COD", pathology, as_of=AS_OF, db=db)
    assert [e.quote for e in _all(result) if e.source == "documents"] == []


def test_hiv_report_reaches_an_hiv_assessment(db: str) -> None:
    result = assess("COD", "hiv", items=["TDF/3TC/EFV", "cotrimoxazole"], as_of=AS_OF, db=db)
    quotes = [e.quote or "" for e in result.dimension("continuity").evidence if e.source == "documents"]
    assert any("TDF/3TC/EFV" in q for q in quotes) and any("Cotrimoxazole" in q for q in quotes)


def test_mention_naming_only_the_pathology_is_about_its_treatments_in_general(db: str) -> None:
    result = assess("COD", "hiv", items=["TLD"], as_of=AS_OF, db=db)
    general = [e for e in _all(result) if e.source == "documents" and not e.items]
    assert general and all(e.scope == "class" and "VIH" in (e.about_fr or "") for e in general)
    assert all("HIV" in (e.quote or "") for e in general)


def test_navigation_text_naming_no_pathology_reaches_nothing(db: str) -> None:
    """ "Stock-out alerts" (the site's menu) names neither a medicine nor a disease."""
    result = assess("COD", "hiv", as_of=AS_OF, db=db)
    assert not [e for e in _all(result) if e.source == "documents" and e.value == "Stock-out"]


def test_each_sentence_of_the_document_counts_once(db: str) -> None:
    result = assess("COD", "hiv", items=["TDF/3TC/EFV", "cotrimoxazole"], as_of=AS_OF, db=db)
    statements = [(e.indicator, e.breakdown) for e in _all(result) if e.source == "documents"]
    assert statements and len(statements) == len(set(statements))


def test_sentence_naming_two_needed_medicines_is_one_piece_of_evidence(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    rows = [
        _mention("Rupture de stock de dolutégravir et de lamivudine à Kinshasa.", item)
        for item in ("dolutegravir", "lamivudine")
    ]
    ingest_rows(open_store(url), "documents", KINSHASA_URL, rows, datetime(2019, 3, 1, tzinfo=UTC))
    result = assess("COD", "hiv", items=["dolutegravir", "lamivudine"], as_of=AS_OF, db=url)
    continuity = result.dimension("continuity").evidence
    assert [sorted(e.items) for e in continuity] == [["dolutegravir", "lamivudine"]]


def _mention(quote: str, item: str | None) -> ObservationIn:
    return ObservationIn(
        country_iso3="COD",
        indicator="DOC_STOCKOUT_MENTION",
        period_start=date(2018, 1, 1),
        period_end=date(2018, 12, 31),
        value_text="Rupture de stock",
        breakdown="document=abc;mention=def",
        published_at=datetime(2018, 1, 19, tzinfo=UTC),
        item=item,
        quote=quote,
        review_status="candidate",
    )


def test_dialysis_mention_reaches_the_dialysis_assessment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dialysis.db'}"
    rows = [_mention("Pénurie de kits d'hémodialyse à Kinshasa en 2018.", None)]
    ingest_rows(open_store(url), "documents", KINSHASA_URL, rows, datetime(2019, 3, 1, tzinfo=UTC))
    dialysis = assess("COD", "dialyse", as_of=AS_OF, db=url).dimension("continuity").evidence
    hiv = assess("COD", "VIH", as_of=AS_OF, db=url).dimension("continuity").evidence
    assert ([e.scope for e in dialysis], hiv) == (["class"], [])


# --- scope ---------------------------------------------------------------------------------------------


def test_population_figures_never_carry_a_medicine(db: str) -> None:
    result = assess("COD", "hiv", items=["TLD", "charge virale"], as_of=AS_OF, db=db)
    national = [e for e in _all(result) if e.scope in ("population", "system", "class")]
    assert national and all(e.items == [] and e.item is None and e.about_fr for e in national)


@pytest.mark.parametrize(
    ("indicator", "scope"),
    [
        ("HIV_ARTCOVERAGE", "population"),
        ("UNAIDS_ART_COVERAGE", "population"),
        ("UNAIDS_VL_SUPPRESSED", "population"),
        ("UNAIDS_ARV_STOCKOUTS", "class"),
        ("UHC_INDEX_REPORTED", "population"),
    ],
)
def test_national_indicator_has_its_scope(db: str, indicator: str, scope: str) -> None:
    result = assess("COD", "hiv", items=["TLD", "charge virale"], as_of=AS_OF, db=db)
    found = [e for e in _all(result) if e.indicator == indicator]
    assert found and {e.scope for e in found} == {scope}


def test_only_item_scope_evidence_carries_items(db: str) -> None:
    result = assess("COD", "hiv", items=["TDF/3TC/EFV", "cotrimoxazole"], as_of=AS_OF, db=db)
    assert all((e.scope == "item") == bool(e.items) for e in _all(result))


def test_viral_suppression_leaves_the_viral_load_test_a_gap(db: str) -> None:
    gaps = assess("COD", "hiv", items=["charge virale"], as_of=AS_OF, db=db).gaps
    assert "viral_load_hiv" in {g.id for g in gaps}


def test_uhc_index_is_not_geographic_coverage(db: str) -> None:
    result = assess("COD", "hiv", as_of=AS_OF, db=db)
    assert not [
        e for e in result.dimension("geographic_coverage").evidence if e.indicator == "UHC_INDEX_REPORTED"
    ]


def test_class_question_is_shown_only_to_a_patient_taking_the_class() -> None:
    catalogue = load_catalogue()
    link = catalogue.indicator_links("who_ncd_ccs", "NCD_CCS_Sulphonylurea")
    assert link is not None and link.scope == "class" and "gliclazide" in link.members


def test_grant_disbursements_are_retired_and_never_evidence() -> None:
    """Issue 10: the v4.2 data service gives GUIDs, not countries; grant payments are no evidence anyway."""
    assert load_catalogue().indicator_links("globalfund_pqr", "GF_DISBURSEMENTS_USD") is None


# --- republishing --------------------------------------------------------------------------------------


def test_who_art_coverage_republishes_unaids(db: str) -> None:
    availability = assess("COD", "hiv", as_of=AS_OF, db=db).dimension("availability")
    who = next(e for e in availability.evidence if e.indicator == "HIV_ARTCOVERAGE")
    assert (who.republishes, who.independent) == ("unaids_aidsinfo", False)


def test_who_and_unaids_art_coverage_are_not_two_independent_sources(db: str) -> None:
    availability = assess("COD", "hiv", as_of=AS_OF, db=db).dimension("availability")
    art_sources = {e.source for e in availability.evidence if "ART" in e.indicator and e.independent}
    assert art_sources == {"unaids_aidsinfo"}


def test_other_who_indicators_stay_independent(db: str) -> None:
    availability = assess("COD", "hiv", as_of=AS_OF, db=db).dimension("availability")
    uhc = next(e for e in availability.evidence if e.indicator == "UHC_INDEX_REPORTED")
    assert uhc.independent


# --- CLI -----------------------------------------------------------------------------------------------


def _assess_json(*args: str) -> dict:
    from cobase.cli import app

    result = runner.invoke(app, ["assess", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_assess_json_gives_every_evidence_item_its_scope(db: str) -> None:
    data = _assess_json("--country", "COD", "--pathology", "hiv", "--as-of", "2024-06-30", "--db", db)
    evidence = [e for d in data["dimensions"] for e in d["evidence"]]
    assert evidence and all(e["scope"] in ("item", "class", "population", "system") for e in evidence)
    assert all(e["items"] == [] for e in evidence if e["scope"] != "item")


@pytest.mark.parametrize("name", ["VIH", "vih", "HIV", "sida", "Infection par le VIH"])
def test_pathology_accepts_french_and_english_names(db: str, name: str) -> None:
    data = _assess_json("--country", "COD", "--pathology", name, "--db", db)
    assert data["pathology"] == "hiv"


@pytest.mark.parametrize(
    ("name", "pathology"), [("dialyse", "ckd_dialysis"), ("Diabète de type 2", "diabetes_t2")]
)
def test_pathology_names_are_accent_and_case_insensitive(db: str, name: str, pathology: str) -> None:
    assert _assess_json("--country", "COD", "--pathology", name.upper(), "--db", db)["pathology"] == pathology


def test_ambiguous_pathology_is_one_clear_sentence_with_the_candidates(db: str) -> None:
    from cobase.cli import app

    result = runner.invoke(app, ["assess", "--country", "COD", "--pathology", "diabète", "--db", db])
    assert result.exit_code == 2 and "diabetes_t1" in result.output and "diabetes_t2" in result.output
    assert "Traceback" not in result.output


def test_cli_default_items_are_the_catalogue_default_set(db: str) -> None:
    data = _assess_json("--country", "COD", "--pathology", "VIH", "--db", db)
    assert data["items"] == list(load_catalogue().pathology("hiv").default_items())


# --- contradictions respect scope ----------------------------------------------------------------------


def _answer(indicator: str, answer: str) -> ObservationIn:
    return ObservationIn(
        country_iso3="GIN",
        indicator=indicator,
        period_start=date(2019, 1, 1),
        period_end=date(2019, 12, 31),
        value_text=answer,
        published_at=V1,
    )


def _stockout(item: str, quote: str) -> ObservationIn:
    return ObservationIn(
        country_iso3="GIN",
        indicator="DOC_STOCKOUT_MENTION",
        period_start=date(2019, 1, 1),
        period_end=date(2019, 12, 31),
        value_text="Rupture de stock",
        breakdown=f"document=abc;mention={item}",
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
        item=item,
        quote=quote,
        review_status="candidate",
    )


def test_a_class_answer_is_contradicted_only_by_its_members(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'classes.db'}"
    engine = open_store(url)
    ncd = "https://apps.who.int/gho/athena/data/GHO/NCD_CCS.csv"
    ingest_rows(
        engine,
        "who_ncd_ccs",
        ncd,
        [_answer("NCD_CCS_Sulphonylurea", "Yes")],
        datetime(2020, 6, 1, tzinfo=UTC),
    )
    rows = [
        _stockout("metformin", "Rupture de stock de metformine à Conakry en 2019."),
        _stockout("glibenclamide", "Rupture de stock de glibenclamide à Conakry en 2019."),
    ]
    ingest_rows(engine, "documents", KINSHASA_URL, rows, datetime(2020, 6, 1, tzinfo=UTC))
    result = assess("GIN", "diabetes_t2", items=["metformine", "glibenclamide"], as_of=AS_OF, db=url)
    conflicts = [c for c in result.contradictions if c.kind == "availability_vs_stockout"]
    assert [(c.sides[0].indicator, c.sides[1].items) for c in conflicts] == [
        ("NCD_CCS_Sulphonylurea", ["glibenclamide"])
    ]


@pytest.mark.parametrize("pathology", list(load_catalogue().pathologies))
def test_app_pre_ticks_the_same_default_items_as_the_cli(pathology: str) -> None:
    from streamlit_app import data

    _options, ticked = data.item_choices(pathology)
    assert ticked == list(load_catalogue().pathology(pathology).default_items())
