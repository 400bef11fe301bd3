"""The delivery timeline per country x item, from SCMS delivery lines stored through the real path
(parser, harmonization, ingestion) and gathered by the evidence engine.

The real file (shared fixtures) is checked against an independent computation made here with the csv
module: Côte d'Ivoire and TDF/3TC/EFV, 12 deliveries from 27/08/2012 to 08/06/2015, median delay -11 days,
longest interval without any recorded delivery 214 days (19/07/2013 - 18/02/2014).
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cobase.db import open_store, session_scope
from cobase.evidence.deliveries import DeliveryTimeline, delivery_timelines
from cobase.evidence.engine import assess
from cobase.harmonize.records import HarmonizeReport, harmonize
from cobase.parse.usaid_scms import parse
from cobase.registry import load_registry
from tests.helpers import FIXTURES, real_recording
from tests.seed import ingest_rows

SOURCE = "usaid_scms"
RETRIEVED = datetime(2026, 8, 1, tzinfo=UTC)
TLE = "Efavirenz/Lamivudine/Tenofovir Disoproxil Fumarate"


def _store(db: str, bodies: list[tuple[str, bytes]]) -> None:
    engine = open_store(db)
    source = load_registry().get(SOURCE)
    for url, body in bodies:
        report = HarmonizeReport()
        rows = list(harmonize(parse(body, url, {}), source, report))
        ingest_rows(engine, SOURCE, url, rows, RETRIEVED, body)


def _timeline(db: str, as_of: date, item: str = "TDF/3TC/EFV", country: str = "CIV") -> DeliveryTimeline:
    with session_scope(open_store(db)) as session:
        assessment = assess(country, "hiv", [item], as_of, session=session)
    [timeline] = delivery_timelines(assessment)
    return timeline


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('deliveries') / 'd.db'}"
    _store(
        db,
        [
            (
                "https://data.usaid.gov/api/views/a3rc-nmf6/rows.csv",
                (FIXTURES / SOURCE / "rows.csv").read_bytes(),
            ),
            (
                "https://data.usaid.gov/scms/SCMS_Delivery_History_Dataset.csv",
                (FIXTURES / SOURCE / "SCMS_Delivery_History_Dataset.csv").read_bytes(),
            ),
        ],
    )
    return db


# --- the project's fixtures (both exports) ---------------------------------------------------------------


def test_fixture_count(fixture_db: str) -> None:
    assert _timeline(fixture_db, date(2026, 1, 1)).count == 4


def test_fixture_first_and_last(fixture_db: str) -> None:
    timeline = _timeline(fixture_db, date(2026, 1, 1))
    assert (timeline.first_delivery, timeline.last_delivery) == (date(2012, 5, 18), date(2014, 3, 14))


def test_old_deliveries_are_read_whatever_the_window(fixture_db: str) -> None:
    # As of 2026 the default ten-year window starts in 2016: the 2014 delivery is still stated.
    assert (
        _timeline(fixture_db, date(2026, 1, 1)).days_since_last == (date(2026, 1, 1) - date(2014, 3, 14)).days
    )


def test_fixture_median_delay_ignores_text_delays(fixture_db: str) -> None:
    assert _timeline(fixture_db, date(2026, 1, 1)).median_delay_days == 18.0  # 18, -13, 20


def test_fixture_longest_gap(fixture_db: str) -> None:
    gap = _timeline(fixture_db, date(2026, 1, 1)).longest_gap
    assert gap is not None and (gap.start, gap.end, gap.days) == (date(2013, 6, 20), date(2014, 3, 14), 267)


def test_fixture_scheduled_date_is_actual_minus_delay(fixture_db: str) -> None:
    first = _timeline(fixture_db, date(2026, 1, 1)).deliveries[0]
    assert (first.scheduled_on, first.delay_days, first.unit_price_usd) == (date(2012, 4, 30), 18, 0.45)


def test_fixture_scheduled_text_is_kept(fixture_db: str) -> None:
    last = _timeline(fixture_db, date(2026, 1, 1)).deliveries[-1]
    assert (last.scheduled_on, last.scheduled_text, last.delay_days) == (None, "Date Not Captured", None)


def test_deliveries_after_the_as_of_date_are_left_out(fixture_db: str) -> None:
    timeline = _timeline(fixture_db, date(2013, 12, 31))
    assert (timeline.count, timeline.last_delivery) == (3, date(2013, 6, 20))


def test_deliveries_are_item_scope_evidence_under_continuity_and_affordability(fixture_db: str) -> None:
    with session_scope(open_store(fixture_db)) as session:
        assessment = assess("CIV", "hiv", ["TDF/3TC/EFV"], date(2026, 1, 1), session=session)
    found = {
        (d.name, e.indicator, e.scope, e.item)
        for d in assessment.dimensions
        for e in d.evidence
        if e.source == SOURCE
    }
    assert found == {
        ("continuity", "SUPPLY_DELIVERY_DELAY_DAYS", "item", "tdf_3tc_efv"),
        ("affordability", "SUPPLY_UNIT_PRICE_USD", "item", "tdf_3tc_efv"),
    }


def test_other_country_has_its_own_timeline(fixture_db: str) -> None:
    timeline = _timeline(fixture_db, date(2026, 1, 1), item="névirapine", country="RDC")
    assert (timeline.country_iso3, timeline.count, timeline.last_delivery) == ("COD", 1, date(2013, 9, 11))


def test_item_without_deliveries_has_no_timeline(fixture_db: str) -> None:
    with session_scope(open_store(fixture_db)) as session:
        assessment = assess("CIV", "hiv", ["TLD"], date(2026, 1, 1), session=session)
    assert delivery_timelines(assessment) == []


# --- the real file: acceptance ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_file() -> Path:
    return real_recording("supply", "scms", "Supply_Chain_Shipment_Pricing_Data.csv")


@pytest.fixture(scope="module")
def real_db(real_file: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('deliveries_real') / 'r.db'}"
    _store(db, [("https://data.usaid.gov/api/views/a3rc-nmf6/rows.csv", real_file.read_bytes())])
    return db


@pytest.fixture(scope="module")
def by_hand(real_file: Path) -> dict[str, object]:
    """The same figures computed directly from the CSV, independently of cobase's parser and engine."""
    rows = [
        row
        for row in csv.DictReader(io.StringIO(real_file.read_text(encoding="utf-8"), newline=""))
        if row["country"] == "Côte d'Ivoire" and row["molecule/test type"] == TLE
    ]

    def day(text: str) -> date:
        return datetime.strptime(text, "%d-%b-%y").date()

    delivered = sorted(day(row["delivered to client date"]) for row in rows)
    delays = [(day(r["delivered to client date"]) - day(r["scheduled delivery date"])).days for r in rows]
    days = sorted(set(delivered))
    return {
        "count": len(rows),
        "first": delivered[0],
        "last": delivered[-1],
        "median": float(statistics.median(delays)),
        "gap": max((days[i + 1] - days[i]).days for i in range(len(days) - 1)),
    }


def test_real_civ_tle_count(real_db: str, by_hand: dict[str, object]) -> None:
    assert _timeline(real_db, date(2026, 1, 1)).count == by_hand["count"] == 12


def test_real_civ_tle_first_and_last(real_db: str, by_hand: dict[str, object]) -> None:
    timeline = _timeline(real_db, date(2026, 1, 1))
    assert (timeline.first_delivery, timeline.last_delivery) == (by_hand["first"], by_hand["last"])
    assert (by_hand["first"], by_hand["last"]) == (date(2012, 8, 27), date(2015, 6, 8))


def test_real_civ_tle_median_delay(real_db: str, by_hand: dict[str, object]) -> None:
    assert _timeline(real_db, date(2026, 1, 1)).median_delay_days == by_hand["median"] == -11.0


def test_real_civ_tle_longest_gap(real_db: str, by_hand: dict[str, object]) -> None:
    gap = _timeline(real_db, date(2026, 1, 1)).longest_gap
    assert gap is not None and gap.days == by_hand["gap"] == 214
    assert (gap.start, gap.end) == (date(2013, 7, 19), date(2014, 2, 18))


def test_real_civ_tle_unit_prices(real_db: str) -> None:
    prices = [d.unit_price_usd for d in _timeline(real_db, date(2026, 1, 1)).deliveries]
    assert (prices[0], prices[-1]) == (0.44, 0.32)  # 13.27 a pack of 30 in 2012, 9.60 in 2015
