"""The evidence engine on a small hand-built dataset with known answers.

Guinea (GIN), HIV: WHO ART coverage 2012 (outside a 10-year window), 2015 (stale), 2019-2022 published on
2023-05-01, with 2022 revised from 60 to 80 on 2024-09-15 (a sharp revision); WHO out-of-pocket share
2020 and its World Bank republication; two curated findings on dolutegravir in 2024 that disagree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cobase.catalogue import CatalogueError
from cobase.db import open_store, session_scope
from cobase.evidence import Assessment, assess
from cobase.evidence.readings import availability_reading, reports_stockout
from cobase.findings import add_finding, set_status
from cobase.harmonize.countries import UnknownCountryError
from cobase.harmonize.medicines import UnknownMedicineError
from cobase.harmonize.records import ObservationIn
from tests.seed import ingest_rows

V1 = datetime(2023, 5, 1, tzinfo=UTC)
V2 = datetime(2024, 9, 15, tzinfo=UTC)
BEFORE_REVISION = date(2024, 6, 30)
AFTER_REVISION = date(2024, 12, 31)
WHO_URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"


def _value(
    indicator: str, year: int, value: float, published: datetime, country: str = "GIN"
) -> ObservationIn:
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


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('evidence') / 'e.db'}"
    engine = open_store(url)
    art = [
        _value("HIV_ARTCOVERAGE", year, value, V1)
        for year, value in (
            (2012, 20.0),
            (2015, 35.0),
            (2019, 50.0),
            (2020, 53.0),
            (2021, 56.0),
            (2022, 60.0),
        )
    ]
    ingest_rows(engine, "who_gho", WHO_URL, art, datetime(2023, 6, 1, tzinfo=UTC))
    ingest_rows(
        engine,
        "who_gho",
        WHO_URL,
        [_value("HIV_ARTCOVERAGE", 2022, 80.0, V2)],
        datetime(2024, 10, 1, tzinfo=UTC),
    )
    ingest_rows(
        engine,
        "who_gho",
        "https://ghoapi.azureedge.net/api/GHED_OOPSCHE_SHA2011",
        [_value("GHED_OOPSCHE_SHA2011", 2020, 57.5, V1)],
        datetime(2023, 6, 1, tzinfo=UTC),
    )
    ingest_rows(
        engine,
        "worldbank_wdi",
        "https://api.worldbank.org/v2/country/all/indicator/SH.XPD.OOPC.CH.ZS",
        [_value("SH.XPD.OOPC.CH.ZS", 2020, 57.5, V1)],
        datetime(2023, 6, 2, tzinfo=UTC),
    )
    return url


def _add_dolutegravir_findings(url: str, tmp_path: Path) -> tuple[str, str]:
    document = tmp_path / "rapport.txt"
    document.write_text(
        "Rapport : ruptures de stock de dolutégravir à Conakry en mars 2024.", encoding="utf-8"
    )
    with session_scope(open_store(url)) as session:
        available = add_finding(
            session,
            country="Guinée",
            dimension="availability",
            statement="Disponible",
            period="2024",
            contributed_by="Dr A",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            file=document,
            item="dolutégravir 50 mg",
            published=date(2024, 2, 1),
        )
        stockout = add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement="Ruptures de stock de dolutégravir à Conakry",
            period="2024-03",
            contributed_by="Dr B",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            file=document,
            item="DTG",
            quote="ruptures de stock de dolutégravir à Conakry",
            page=1,
            published=date(2024, 4, 15),
        )
    return available.finding_id, stockout.finding_id


def _values(assessment: Assessment, dimension: str, indicator: str) -> dict[int, str]:
    return {
        e.period_start.year: e.value
        for e in assessment.dimension(dimension).evidence
        if e.indicator == indicator
    }


# --- as-of and revisions ------------------------------------------------------------------------------


def test_as_of_before_revision_shows_the_old_value(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    assert _values(result, "availability", "HIV_ARTCOVERAGE")[2022] == "60.0"


def test_as_of_after_revision_shows_the_new_value(db: str) -> None:
    result = assess("GIN", "hiv", as_of=AFTER_REVISION, db=db)
    assert _values(result, "availability", "HIV_ARTCOVERAGE")[2022] == "80.0"


def test_as_of_the_revision_day_includes_it(db: str) -> None:
    result = assess("GIN", "hiv", as_of=V2.date(), db=db)
    assert _values(result, "availability", "HIV_ARTCOVERAGE")[2022] == "80.0"


def test_as_of_before_any_last_modified_date_is_unknown_not_absent(db: str) -> None:
    # WHO's Date is a last-modified stamp: it proves nothing about earlier publication (issue 8).
    result = assess("GIN", "hiv", as_of=date(2023, 4, 30), db=db)
    evidence = result.dimension("availability").evidence
    assert (
        {e.as_of_status for e in evidence},
        _values(result, "availability", "HIV_ARTCOVERAGE")[2022],
        result.published_after_as_of,
    ) == ({"unknown"}, "60.0", [])


def test_value_shown_before_revision_is_flagged_revised_later(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    flagged = [e.period_start.year for e in result.dimension("availability").evidence if e.revised_later]
    assert flagged == [2022]


def test_last_modified_revision_is_not_claimed_published_after_the_as_of_date(db: str) -> None:
    # Its last-modified date is after the as-of date, which does not prove it was unknowable then.
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    statuses = {e.period_start.year: e.as_of_status for e in result.dimension("availability").evidence}
    assert (result.published_after_as_of, statuses[2022]) == ([], "published_by")


def test_sharp_revision_is_a_contradiction_with_both_sides(db: str) -> None:
    result = assess("GIN", "hiv", as_of=AFTER_REVISION, db=db)
    revisions = [c for c in result.contradictions if c.kind == "revision"]
    assert [[side.value for side in c.sides] for c in revisions] == [["60.0", "80.0"]]


def test_no_revision_contradiction_before_the_revision_was_published(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    assert [c for c in result.contradictions if c.kind == "revision"] == []


# --- window and staleness -----------------------------------------------------------------------------


def test_window_excludes_older_periods(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, window_years=10, db=db)
    assert 2012 not in _values(result, "availability", "HIV_ARTCOVERAGE")


def test_wider_window_includes_them(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, window_years=15, db=db)
    assert 2012 in _values(result, "availability", "HIV_ARTCOVERAGE")


def test_evidence_older_than_three_years_is_stale(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    assert sorted({e.period_start.year for e in result.stale}) == [2015, 2019, 2020]


def test_staleness_threshold_is_configurable(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, stale_after_years=6, db=db)
    assert sorted({e.period_start.year for e in result.stale}) == [2015]


def test_trend_goes_from_first_to_last_value(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    trend = next(t for t in result.dimension("availability").trend if t.indicator == "HIV_ARTCOVERAGE")
    assert (trend.first_value, trend.last_value, trend.direction, trend.points) == (35.0, 60.0, "up", 5)


# --- republished sources --------------------------------------------------------------------------------


def test_republishing_source_is_listed_but_not_independent(db: str) -> None:
    affordability = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db).dimension("affordability")
    assert (affordability.sources, affordability.independent_sources) == (
        ["who_gho", "worldbank_wdi"],
        ["who_gho"],
    )


def test_republished_evidence_says_whose_data_it_is(db: str) -> None:
    affordability = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db).dimension("affordability")
    world_bank = next(e for e in affordability.evidence if e.source == "worldbank_wdi")
    assert (world_bank.republishes, world_bank.independent) == ("who_gho", False)


# --- gaps -------------------------------------------------------------------------------------------------


def test_dimension_without_evidence_is_a_gap(db: str) -> None:
    gaps = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db).gaps
    assert {g.id for g in gaps if g.kind == "dimension"} == {
        "continuity",
        "financial_coverage",
        "geographic_coverage",
        "workforce",
        "follow_up",
    }


def test_required_test_without_evidence_is_a_gap_in_plain_words(db: str) -> None:
    gaps = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db).gaps
    viral_load = next(g for g in gaps if g.id == "viral_load_hiv")
    assert viral_load.message_fr.startswith("Aucune source ne documente l'accès à")


def test_population_evidence_leaves_the_medicine_a_gap(db: str) -> None:
    """ART coverage is about people living with HIV, not about TLD: it does not document TLD."""
    gaps = assess("GIN", "hiv", items=["TLD"], as_of=BEFORE_REVISION, db=db).gaps
    assert "tdf_3tc_dtg" in {g.id for g in gaps}


def test_item_with_evidence_is_not_a_gap(findings_db) -> None:
    url, _available, _stockout = findings_db
    gaps = assess("GIN", "hiv", items=["dolutegravir"], as_of=date(2024, 12, 31), db=url).gaps
    assert "dolutegravir" not in {g.id for g in gaps}


def test_country_without_any_data_has_every_dimension_as_gap(db: str) -> None:
    result = assess("Cameroun", "diabetes_t2", as_of=BEFORE_REVISION, db=db)
    assert len([g for g in result.gaps if g.kind == "dimension"]) == 7


# --- items and inputs -------------------------------------------------------------------------------------


def test_items_are_resolved_from_free_text(db: str) -> None:
    result = assess("Guinee", "hiv", items=["TDF/3TC/DTG", "charge virale"], as_of=BEFORE_REVISION, db=db)
    assert result.items == ["tdf_3tc_dtg", "viral_load_hiv"]


def test_default_items_are_the_first_line_set_and_the_follow_up(db: str) -> None:
    result = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db)
    assert {"tdf_3tc_dtg", "viral_load_hiv", "cd4_count"} <= set(result.items)
    assert "zidovudine" not in result.items  # not first line: the physician adds it when needed


def test_unknown_item_is_an_error_with_candidates(db: str) -> None:
    with pytest.raises(UnknownMedicineError):
        assess("GIN", "hiv", items=["xyzzyvir"], db=db)


def test_unknown_country_is_an_error(db: str) -> None:
    with pytest.raises(UnknownCountryError):
        assess("Atlantide", "hiv", db=db)


def test_unknown_pathology_is_an_error(db: str) -> None:
    with pytest.raises(CatalogueError):
        assess("GIN", "grippe", db=db)


def test_json_has_the_documented_keys(db: str) -> None:
    data = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db).model_dump(mode="json")
    evidence = data["dimensions"][0]["evidence"][0]
    assert (
        {"country_iso3", "pathology", "as_of", "dimensions", "gaps", "contradictions", "stale"} <= set(data)
        and {
            "source",
            "indicator",
            "item",
            "value",
            "unit",
            "period_start",
            "period_end",
            "published_at",
            "retrieved_at",
            "url",
            "quote",
        }
        <= set(evidence)
        and {"name", "evidence", "latest", "trend"} <= set(data["dimensions"][0])
    )


def test_assessment_never_writes_to_the_database(db: str) -> None:
    engine = open_store(db)
    with engine.connect() as connection:
        before = connection.execute(sa.text("SELECT count(*), max(id) FROM observation")).one()
    assess("GIN", "hiv", as_of=AFTER_REVISION, db=db)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*), max(id) FROM observation")).one() == before


# --- curated findings and contradictions -------------------------------------------------------------------


@pytest.fixture
def findings_db(tmp_path: Path) -> tuple[str, str, str]:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    open_store(url)
    available, stockout = _add_dolutegravir_findings(url, tmp_path)
    return url, available, stockout


def test_availability_contradicted_by_stockout_lists_both_sides(findings_db) -> None:
    url, _available, _stockout = findings_db
    result = assess("GIN", "hiv", items=["dolutegravir"], as_of=date(2024, 12, 31), db=url)
    conflict = next(c for c in result.contradictions if c.kind == "availability_vs_stockout")
    assert ([s.value for s in conflict.sides], conflict.item) == (
        ["Disponible", "Ruptures de stock de dolutégravir à Conakry"],
        "dolutegravir",
    )


def test_finding_carries_its_quote_page_and_contributor(findings_db) -> None:
    url, _available, _stockout = findings_db
    result = assess("GIN", "hiv", items=["dolutegravir"], as_of=date(2024, 12, 31), db=url)
    stockout = result.dimension("continuity").evidence[0]
    assert (stockout.quote, stockout.page, stockout.contributed_by, stockout.review_status) == (
        "ruptures de stock de dolutégravir à Conakry",
        1,
        "Dr B",
        "contributed",
    )


def test_finding_published_after_as_of_does_not_count(findings_db) -> None:
    url, _available, _stockout = findings_db
    result = assess("GIN", "hiv", items=["dolutegravir"], as_of=date(2024, 3, 31), db=url)
    assert result.dimension("continuity").evidence == []


def test_retracted_finding_no_longer_counts(findings_db) -> None:
    url, _available, stockout = findings_db
    with session_scope(open_store(url)) as session:
        set_status(session, stockout, "retracted", "Dr C")
    result = assess("GIN", "hiv", items=["dolutegravir"], as_of=date(2030, 1, 1), db=url)
    assert (result.dimension("continuity").evidence, result.contradictions) == ([], [])


def test_finding_about_another_medicine_is_not_evidence_for_this_one(findings_db) -> None:
    url, _available, _stockout = findings_db
    result = assess("GIN", "hiv", items=["efavirenz"], as_of=date(2024, 12, 31), db=url)
    assert result.dimension("continuity").evidence == []


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("Yes", True),
        ("Generally available", True),
        ("Disponible", True),
        ("No", False),
        ("Non disponible", False),
        ("Don't know", None),
        ("55.2", None),
    ],
)
def test_availability_reading(text: str, reading: bool | None) -> None:
    from tests.test_export_support import evidence

    assert availability_reading(evidence(value=text)) is reading


@pytest.mark.parametrize(
    ("value", "value_num", "quote", "expected"),
    [
        ("12.5", 12.5, None, True),
        ("0", 0.0, None, False),
        ("Pénurie d'insuline", None, None, True),
        ("Situation normale", None, None, False),
        ("Rapport", None, "supplies were regular all year", False),
        ("Rapport", None, "out of stock since May", True),
        ("Rapport", None, "rupture de stock depuis mai", True),
    ],
)
def test_stockout_reading(value: str, value_num: float | None, quote: str | None, expected: bool) -> None:
    from tests.test_export_support import evidence

    assert reports_stockout(evidence(value=value, value_num=value_num, quote=quote)) is expected


def test_source_that_does_not_cover_the_country_is_a_visible_gap(db: str) -> None:
    gaps = assess("GIN", "hiv", as_of=BEFORE_REVISION, db=db).gaps
    oecd = next(g for g in gaps if g.kind == "source" and g.id == "oecd_health")
    assert "ne couvre pas Guinée" in oecd.message_fr


def test_covered_country_has_no_such_gap(db: str) -> None:
    gaps = assess("Turquie", "hiv", as_of=BEFORE_REVISION, db=db).gaps
    assert "oecd_health" not in {g.id for g in gaps if g.kind == "source"}
