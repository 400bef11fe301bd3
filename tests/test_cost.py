"""The monthly cost of a medicine (HAI/WHO method), read back through the real storage path.

Each input goes through a snapshot, its parser and ingestion (``ingest_raw``, no network): the CNOPS
list, the World Bank official exchange rate and the ILOSTAT minimum wage. The figures are checked by
hand in the comments, from the rows of the 2014 list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cobase.db import open_store, session_scope
from cobase.evidence.cost import PRICE_INDICATORS, PRICE_SOURCE, MonthlyCost, monthly_cost, units_per_pack
from cobase.queries import observation_versions
from cobase.refresh import ingest_raw
from cobase.registry import load_registry
from crawlers.items import RawResponse
from tests.helpers import fixture_bytes, real_recording

CNOPS_URL = (
    "https://data.gov.ma/data/fr/dataset/2cdfd9f4-289d-4e9a-8998-50bd03f8e874/resource/"
    "094733f5-5434-4163-b837-df0e7b665127/download/ref-des-medicaments-cnops-2014.xlsx"
)
FX_URL = "https://api.worldbank.org/v2/country/all/indicator/PA.NUS.FCRF?format=json&per_page=1000&page=1"
WAGE_URL = "https://rplumber.ilo.org/data/indicator/?id=EAR_INEE_NOC_NB_A&format=.csv"
RETRIEVED = datetime(2026, 7, 12, 18, 18, 39, tzinfo=UTC)

# Hand check, Morocco 2014: exchange rate 8.40633668826152 MAD per US$ (WDI), minimum wage 2454.4 MAD a
# month (ILOSTAT), so a day of minimum wage is 2454.4 / 30 = 81.81333 MAD.
MAD_PER_USD = 8.40633668826152
DAILY_WAGE = 2454.4 / 30


def _raw(source: str, url: str, body: bytes, meta: dict[str, str]) -> RawResponse:
    return RawResponse(
        source=source,
        url=url,
        status=200,
        body=body,
        content_type=None,
        retrieved_at=RETRIEVED.isoformat(),
        request_meta=meta,
    )


def _store(tmp_path: Path, cnops: bytes, wage: bytes, fx: bytes | None) -> sa.Engine:
    engine = open_store(f"sqlite:///{tmp_path / 'cobase.db'}")
    registry = load_registry()
    raws = [
        _raw("ma_cnops_medicaments", CNOPS_URL, cnops, {"file": "ref-des-medicaments-cnops-2014.xlsx"}),
        _raw("ilostat_minimum_wage", WAGE_URL, wage, {"indicator": "EAR_INEE_NOC_NB_A"}),
    ]
    if fx is not None:
        raws.append(_raw("worldbank_wdi", FX_URL, fx, {"indicator": "PA.NUS.FCRF", "page": "1"}))
    for raw in raws:
        summary = ingest_raw(engine, registry, raw)
        assert not summary.errors, summary.errors
    return engine


def _cost(engine: sa.Engine, item: str, as_of: date | None = None) -> MonthlyCost:
    with session_scope(engine) as session:
        return monthly_cost(session, "MAR", item, as_of=as_of)


@pytest.fixture(scope="module")
def own_store(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    return _store(
        tmp_path_factory.mktemp("own"),
        fixture_bytes("ma_cnops_medicaments", "ref-des-medicaments-cnops-2014.xlsx"),
        fixture_bytes("ilostat_minimum_wage", "EAR_INEE_NOC_NB_A.csv"),
        fixture_bytes("worldbank_wdi", "PA.NUS.FCRF.json"),
    )


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    cnops = real_recording("national", "morocco", "ref-des-medicaments-cnops-2014.xlsx")
    wage = real_recording("ilostat", "EAR_INEE_NOC_NB_A.csv")
    # The WDI bulk CSV is not an API answer: the API-format fixture holds its Morocco values.
    return _store(
        tmp_path_factory.mktemp("real"),
        cnops.read_bytes(),
        wage.read_bytes(),
        fixture_bytes("worldbank_wdi", "PA.NUS.FCRF.json"),
    )


# --- units per pack -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("presentation", "units"),
    [
        ("1 BOITE 30 COMPRIME", 30),
        ("1 BOITE 60 COMPRIME PELLICULE", 60),
        ("1 BOITE 28 COMPRIME ORODISPERSIBLE", 28),
        ("2 BOITES DE 14 GELULES", 28),
        ("1 FLACON 60 ML", None),
        ("6 SERINGUE PREREMPLIE .5 ML", None),
    ],
)
def test_units_per_pack(presentation: str, units: int | None) -> None:
    assert units_per_pack(presentation) == units


def test_the_cost_reads_the_prices_of_the_items_asked_only(own_store: sa.Engine) -> None:
    """A price list holds thousands of products: the cost of one item reads that item's series, whole."""
    prices = [(PRICE_SOURCE, code) for code in PRICE_INDICATORS]
    with session_scope(own_store) as session:
        every = observation_versions(session, "MAR", prices)
        asked = observation_versions(session, "MAR", prices, items=["metformin"])
    assert asked and {version.item for version in asked} == {"metformin"}
    assert sorted(v.id for v in asked) == sorted(v.id for v in every if v.item == "metformin")
    assert len(every) > len(asked)


# --- acceptance on the real 2014 list ---------------------------------------------------------------


def test_real_metformin_1g_twice_daily(real_store: sa.Engine) -> None:
    cost = _cost(real_store, "metformin")
    # 60 tablets of 1,000 mg a month. Cheapest: ADO 1000MG, box of 90 at 43.30 MAD:
    # 43.30 / 90 x 60 = 28.87 MAD; / 8.40634 = 3.43 US$; / 81.813 = 0.35 days of minimum wage.
    cheapest = cost.cheapest
    assert cheapest is not None
    assert (cheapest.ean, cheapest.name, cheapest.units_per_pack) == ("6118010125577", "ADO 1000MG", 90)
    assert cheapest.monthly_local == pytest.approx(43.3 / 90 * 60)
    assert round(cheapest.monthly_local or 0, 2) == 28.87
    assert round(cheapest.monthly_usd or 0, 2) == 3.43
    assert round(cheapest.wage_days or 0, 2) == 0.35
    assert cheapest.out_of_pocket_local == pytest.approx(cheapest.monthly_local)  # 0 % reimbursed


def test_real_metformin_reimbursed_generic_and_originator(real_store: sa.Engine) -> None:
    products = {p.ean: p for p in _cost(real_store, "metformin").products}
    win = products["6118010118623"]  # METFORMINE WIN 1000 MG, 30 tablets at 19.90, 70 % of 19.90
    assert (
        round(win.monthly_local or 0, 2),
        round(win.monthly_usd or 0, 2),
        round(win.wage_days or 0, 2),
    ) == (
        39.80,
        4.73,
        0.49,
    )
    assert round(win.out_of_pocket_local or 0, 2) == 11.94  # 39.80 - 0.7 x 39.80
    glucophage = products["6118000081333"]  # GLUCOPHAGE 1000, 30 at 28.00 MAD, base 19.90
    assert round(glucophage.monthly_local or 0, 2) == 56.00
    assert round(glucophage.out_of_pocket_local or 0, 2) == 28.14  # 56.00 - 0.7 x 19.90 x 2


def test_real_metformin_products_are_the_1000_mg_tablets(real_store: sa.Engine) -> None:
    cost = _cost(real_store, "metformin")
    assert sorted(p.name for p in cost.products) == [
        "ADO 1000MG",
        "ADO 1000MG",
        "ADO 1000MG",
        "GLUCOPHAGE 1000",
        "METFORMINE WIN 1000 MG",
        "METFORMINE WIN 1000 MG",
    ]
    assert (cost.basis, cost.currency, cost.year, cost.gaps) == ("posology", "MAD", 2014, [])


def test_real_risperidone_2mg_daily(real_store: sa.Engine) -> None:
    cost = _cost(real_store, "risperidone")
    # 30 tablets of 2 mg a month. Cheapest: RISPERDALORO 2 MG, 28 orodispersible tablets at 231 MAD:
    # 231 / 28 x 30 = 247.50 MAD; / 8.40634 = 29.44 US$; / 81.813 = 3.03 days of minimum wage.
    cheapest = cost.cheapest
    assert cheapest is not None and cheapest.name == "RISPERDALORO 2 MG"
    assert round(cheapest.monthly_local or 0, 2) == 247.50
    assert round(cheapest.monthly_usd or 0, 2) == 29.44
    assert round(cheapest.wage_days or 0, 2) == 3.03
    assert round(cheapest.out_of_pocket_local or 0, 2) == 74.25  # 247.50 x 30 %


def test_real_risperidone_lowest_generic_and_risperdal(real_store: sa.Engine) -> None:
    cost = _cost(real_store, "risperidone")
    generic = cost.lowest_generic  # PRISDAL 2 mg, 30 at 288 MAD
    assert generic is not None and generic.name == "PRISDAL"
    assert (round(generic.monthly_local or 0, 2), round(generic.monthly_usd or 0, 2)) == (288.00, 34.26)
    assert round(generic.wage_days or 0, 2) == 3.52
    risperdal = next(p for p in cost.products if p.ean == "6118010000614")  # 60 at 577 MAD
    assert (
        round(risperdal.monthly_local or 0, 2),
        round(risperdal.monthly_usd or 0, 2),
        round(risperdal.wage_days or 0, 2),
    ) == (288.50, 34.32, 3.53)


def test_real_inputs_are_cited(real_store: sa.Engine) -> None:
    cost = _cost(real_store, "metformin")
    assert cost.exchange_rate is not None and cost.minimum_wage is not None
    assert (cost.exchange_rate.value, cost.exchange_rate.year) == (MAD_PER_USD, 2014)
    assert (cost.minimum_wage.value, cost.minimum_wage.year) == (2454.4, 2014)
    assert cost.minimum_wage.quote == "source FX:3351; note_indicator I19:6285_T30:31"
    price = cost.cheapest.price if cost.cheapest else None
    assert price is not None and price.url == CNOPS_URL and len(price.snapshot_sha256) == 64
    assert price.published_at == datetime(2014, 7, 16, 14, 31, 14, tzinfo=UTC)


# --- own fixtures: same figures, gaps ---------------------------------------------------------------


def test_own_fixture_gives_the_same_metformin_cost(own_store: sa.Engine) -> None:
    cheapest = _cost(own_store, "metformin").cheapest
    assert cheapest is not None
    assert round(cheapest.monthly_local or 0, 2) == 28.87
    assert cheapest.monthly_usd == pytest.approx(43.3 / 90 * 60 / MAD_PER_USD)
    assert cheapest.wage_days == pytest.approx(43.3 / 90 * 60 / DAILY_WAGE)


def test_missing_exchange_rate_is_a_gap_and_no_usd(tmp_path: Path) -> None:
    engine = _store(
        tmp_path,
        fixture_bytes("ma_cnops_medicaments", "ref-des-medicaments-cnops-2014.xlsx"),
        fixture_bytes("ilostat_minimum_wage", "EAR_INEE_NOC_NB_A.csv"),
        None,
    )
    cost = _cost(engine, "risperidone")
    assert [gap.piece for gap in cost.gaps] == ["exchange_rate"]
    assert "Taux de change officiel de 2014 manquant" in cost.gaps[0].message_fr
    assert cost.cheapest is not None and cost.cheapest.monthly_usd is None
    assert round(cost.cheapest.wage_days or 0, 2) == 3.03


def test_item_without_price_is_a_price_gap(own_store: sa.Engine) -> None:
    cost = _cost(own_store, "olanzapine")
    assert (cost.cheapest, [gap.piece for gap in cost.gaps]) == (None, ["price"])


def test_real_item_without_posology_uses_the_who_ddd(real_store: sa.Engine) -> None:
    cost = _cost(real_store, "gliclazide")
    # No posology.yml entry: WHO DDD 60 mg. An 80 mg tablet is 0.75 a day, 22.5 a month; the cheapest is
    # DIASTAB 80 mg, 60 tablets at 60 MAD: 1 MAD a tablet, 22.50 MAD a month (30 mg LM: 2 a day).
    assert cost.basis == "ddd" and "60 mg" in cost.basis_fr
    cheapest = cost.cheapest
    assert cheapest is not None and (cheapest.name, cheapest.ean) == ("DIASTAB", "6118000180678")
    assert (cheapest.units_per_month, round(cheapest.monthly_local or 0, 2)) == (22.5, 22.50)


def test_hospital_only_product_has_no_cost(own_store: sa.Engine) -> None:
    cost = _cost(own_store, "efavirenz")
    [stocrin] = cost.products  # 705 MAD for 30: 705.00 a month, reimbursed 70 % of 422
    assert round(stocrin.monthly_local or 0, 2) == 705.00
    assert round(stocrin.out_of_pocket_local or 0, 2) == 409.60


def test_as_of_before_we_held_the_list_still_uses_its_date(own_store: sa.Engine) -> None:
    # The workbook's own date (2014-07-16, last_modified) proves it was public by 2015.
    assert _cost(own_store, "metformin", as_of=date(2015, 1, 1)).cheapest is not None


# --- the dossier and the assessment ------------------------------------------------------------------------


def test_assessment_shows_prices_under_affordability_and_rates_under_coverage(own_store: sa.Engine) -> None:
    from cobase.evidence.engine import assess

    with session_scope(own_store) as session:
        assessment = assess("MAR", "psychosis", ["risperidone"], as_of=date(2020, 1, 1), session=session)
    prices = [e for e in assessment.dimension("affordability").evidence if e.indicator == "MA_PPV"]
    rates = [
        e
        for e in assessment.dimension("financial_coverage").evidence
        if e.indicator == "MA_REIMBURSEMENT_RATE"
    ]
    # RISPERDAL 2 mg, PRISDAL 2 mg, RISPERDALORO 2 mg: the oral products; never the Consta depot.
    assert sorted(e.breakdown for e in prices) == [
        "EAN=6118001183791",
        "EAN=6118010000614",
        "EAN=6118010118227",
    ]
    assert {(e.scope, e.item) for e in prices + rates} == {("item", "risperidone")}


def test_dossier_markdown_shows_the_monthly_cost_with_its_inputs(own_store: sa.Engine) -> None:
    from cobase.evidence.cost import monthly_costs
    from cobase.evidence.engine import assess
    from cobase.export import render_markdown

    with session_scope(own_store) as session:
        assessment = assess("MAR", "psychosis", ["risperidone", "olanzapine"], session=session)
        costs = monthly_costs(session, "MAR", ["risperidone", "olanzapine"])
    text = render_markdown(assessment, "fr", costs=costs)
    assert "Coût mensuel du traitement" in text
    assert "247,50 MAD = 29,44 US$ = 3,03 jours de salaire minimum en 2014" in text
    assert "reste à charge 74,25 MAD par mois" in text
    assert "salaire minimum légal mensuel 2014 : 2\u202f454,4 en monnaie locale par mois" in text
    assert "coût mensuel non calculé : Olanzapine" in text
    english = render_markdown(assessment, "en", costs=costs)
    assert "247.50 MAD = 29.44 US$ = 3.03 days of minimum wage in 2014" in english


def test_as_of_before_the_list_year_has_no_price(own_store: sa.Engine) -> None:
    cost = _cost(own_store, "metformin", as_of=date(2013, 6, 30))
    assert (cost.cheapest, [gap.piece for gap in cost.gaps]) == (None, ["price"])
