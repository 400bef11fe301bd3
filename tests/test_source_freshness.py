"""Source freshness and the documents a store keeps, read in-process through :mod:`cobase.queries`.

The store is the shared seed (:func:`tests.seed.seed_database`): WHO GHO refreshed successfully on
2024-10-01 00:05 UTC (``refresh_every_days: 7``, ``update_cadence: monthly``), the World Bank's only run
failed on 2024-10-02 (``refresh_every_days: 30``); Guinea's WHO ART coverage 2019-2021 from a first
snapshot (published 2023-05-01) and its 2022 value revised in a second (published 2024-09-15); WHO and
World Bank out-of-pocket shares. One curated finding about TLD is added where documents are listed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cobase import cli, clock
from cobase.catalogue import load_catalogue
from cobase.cli import app
from cobase.db import open_store, session_scope
from cobase.findings import add_finding
from cobase.queries import (
    cadence_days,
    freshness,
    in_date_range,
    refresh_due,
    source_overview,
    stored_documents,
)
from cobase.registry import load_registry
from tests.seed import seed_database

ART_URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"
OOP_URL = "https://ghoapi.azureedge.net/api/GHED_OOPSCHE_SHA2011"
WB_URL = "https://api.worldbank.org/v2/country/all/indicator/SH.XPD.OOPC.CH.ZS?format=json&page=1"
REPORT_URL = "https://www.example.org/rapport-ong-2024.pdf"


@pytest.fixture
def store(tmp_path: Path) -> str:
    return seed_database(tmp_path / "seed.db")


@pytest.fixture
def with_finding(store: str, tmp_path: Path) -> str:
    document = tmp_path / "rapport.html"
    document.write_bytes(b"<html><body><p>Rupture de stock de TLD en juillet 2024.</p></body></html>")
    with session_scope(open_store(store)) as session:
        add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement="Ruptures de stock de TLD",
            period="2024-07",
            contributed_by="Dr Exemple",
            title="Rapport de test",
            producer="Médecins du Monde",
            url=REPORT_URL,
            file=document,
            item="TLD",
            published=date(2024, 8, 20),
        )
    return store


# --- the producer's cadence (the app's Sources page) -----------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "days"),
    [
        ("monthly", 31),
        ("quarterly", 92),
        ("yearly (early July, with an update in November)", 366),
        ("every survey round (about every two years)", 731),
        ("when a new edition is published (checked monthly)", 31),
        ("irregular", None),
    ],
)
def test_cadence_is_read_from_sources_yml_text(cadence: str, days: int | None) -> None:
    assert cadence_days(cadence) == days


NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_freshness_words() -> None:
    last = datetime(2024, 10, 1, tzinfo=UTC)
    assert freshness("monthly", last, NOW) == "en retard / overdue (151 j)"
    assert freshness("monthly", last, datetime(2024, 10, 20, tzinfo=UTC)) == "à jour / fresh"
    assert freshness("irregular", last, NOW) == "cadence non mesurable / cadence not measurable"
    assert freshness("monthly", None, NOW) == "jamais actualisée / never refreshed"


def test_source_overview_lists_declared_sources_then_stored_ones(with_finding: str) -> None:
    registry = load_registry()
    with session_scope(open_store(with_finding)) as session:
        overview = {entry.source: entry for entry in source_overview(session, registry, NOW)}
    crawlable = [key for key, source in registry.sources.items() if not source.is_service]
    # Then what the store holds beyond them: findings, and the Internet Archive (every declared source,
    # services included, has a row in the store; a service is never refreshed, so it is not declared
    # among the crawlable ones).
    assert list(overview) == [*crawlable, "contributed", "internet_archive"]
    assert overview["who_gho"].freshness == "en retard / overdue (151 j)"
    assert overview["who_gho"].update_cadence == "monthly"
    assert overview["who_gho"].licence == "CC BY-NC-SA 3.0 IGO"
    assert overview["worldbank_wdi"].freshness == "jamais actualisée / never refreshed"
    assert overview["contributed"].freshness == "saisis à la main / entered by hand"
    # A declared source never refreshed is listed too.
    never = overview["unaids_aidsinfo"].status
    assert never is not None and (never.last_run_status, never.observations) == (None, 0)
    assert overview["unaids_aidsinfo"].freshness == "jamais actualisée / never refreshed"


def test_an_empty_store_lists_every_declared_source_as_never_refreshed(tmp_path: Path) -> None:
    registry = load_registry()
    with session_scope(open_store(f"sqlite:///{tmp_path / 'empty.db'}")) as session:
        overview = source_overview(session, registry, NOW)
    assert [entry.source for entry in overview] == [
        k for k, s in registry.sources.items() if not s.is_service
    ]
    assert {(entry.status, entry.freshness) for entry in overview} == {
        (None, "jamais actualisée / never refreshed")
    }


# --- our own cadence: what `cobase refresh --due` would do (`cobase status`) ------------------------------


def test_refresh_due_says_what_refresh_due_would_do(store: str) -> None:
    keys = ["who_gho", "worldbank_wdi", "contributed", "internet_archive", "elsewhere"]
    with session_scope(open_store(store)) as session:
        soon = refresh_due(session, load_registry(), keys, datetime(2024, 10, 7, 23, 0, tzinfo=UTC))
        later = refresh_due(session, load_registry(), keys, datetime(2024, 10, 8, 0, 1, tzinfo=UTC))
        unreadable = refresh_due(session, None, ["who_gho"], NOW)
    assert (soon["who_gho"].due, soon["who_gho"].refresh_every_days) == (False, 7)
    assert soon["who_gho"].words == "not due (every 7 d)"
    assert later["who_gho"].words == "due (every 7 d)"  # seven UTC calendar days after 2024-10-01
    assert (soon["worldbank_wdi"].due, soon["worldbank_wdi"].words) == (True, "due (never succeeded)")
    assert (soon["contributed"].due, soon["contributed"].words) == (None, "entered by hand")
    assert soon["internet_archive"].words == "not refreshed (a service)"
    assert soon["elsewhere"].words == "not in sources.yml"
    assert (unreadable["who_gho"].due, unreadable["who_gho"].refresh_every_days) == (None, None)


def test_status_shows_freshness_and_keeps_its_fields_and_exit_code(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2024, 10, 5, tzinfo=UTC))
    # The CLI's console reads COLUMNS when cobase.cli is first imported, which another test of the same
    # worker may have done already: give the table its width directly.
    monkeypatch.setattr(cli, "console", Console(width=200))
    shown = CliRunner().invoke(app, ["status", "--db", store])
    as_json = CliRunner().invoke(app, ["status", "--json", "--db", store])
    # 2: the World Bank's last run failed (unchanged by the freshness column).
    assert (shown.exit_code, as_json.exit_code) == (2, 2), shown.output
    assert "last success / freshness" in shown.output and "not due (every 7 d)" in shown.output
    assert "due (never succeeded)" in shown.output
    records = {record["source"]: record for record in json.loads(as_json.output)}
    assert list(records["who_gho"]) == [
        "source",
        "title",
        "producer",
        "licence",
        "last_run_status",
        "last_run_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "observations",
        "newest_period",
        "newest_published_at",
        "observations_older_processing",
        "last_seen_alive_at",
        "last_warnings",
        "refresh_every_days",
        "due",
    ]
    assert (records["who_gho"]["refresh_every_days"], records["who_gho"]["due"]) == (7, False)
    assert (records["worldbank_wdi"]["refresh_every_days"], records["worldbank_wdi"]["due"]) == (30, True)
    assert records["who_gho"]["last_success_at"] == "2024-10-01T00:05:00+00:00"


# --- documents kept for a country (the app's Rapports page) ----------------------------------------------


def _documents(url: str, **search: object) -> list:  # type: ignore[type-arg]
    with session_scope(open_store(url)) as session:
        return stored_documents(
            session,
            "GIN",
            registry=load_registry(),
            catalogue=load_catalogue(),
            **search,  # type: ignore[arg-type]
        )


def test_documents_are_snapshots_with_their_newest_values(with_finding: str) -> None:
    documents = _documents(with_finding)
    by_url = {}
    for document in documents:
        by_url.setdefault(document.url, []).append(document)
    assert sorted(by_url) == sorted([ART_URL, OOP_URL, WB_URL, REPORT_URL])
    # The ART series came in two snapshots: 2019-2021 from the first, the revised 2022 from the second.
    first, revised = sorted(by_url[ART_URL], key=lambda d: d.retrieved_at)
    assert (first.values, first.period_start, first.period_end) == (3, date(2019, 1, 1), date(2021, 12, 31))
    assert (revised.values, revised.published_at) == (1, datetime(2024, 9, 15, tzinfo=UTC))
    (report,) = by_url[REPORT_URL]
    assert (report.source, report.items, report.values) == ("contributed", ("tdf_3tc_dtg",), 1)
    assert report.producer == "Contributeurs cobase / cobase contributors"
    (oop,) = by_url[OOP_URL]
    assert (oop.producer, oop.values, oop.indicators) == (
        "World Health Organization",
        3,
        ("GHED_OOPSCHE_SHA2011",),
    )
    # Newest publication first: the revision (2024-09-15), the finding's document (2024-08-20), the
    # World Bank (2024-07-01), then the two WHO snapshots published 2023-05-01.
    assert [d.url for d in documents[:3]] == [ART_URL, REPORT_URL, WB_URL]
    assert {d.published_at for d in documents[3:]} == {datetime(2023, 5, 1, tzinfo=UTC)}


def test_documents_about_one_item_in_a_date_range(with_finding: str) -> None:
    about_tld = _documents(with_finding, item="tdf_3tc_dtg")
    assert [d.url for d in about_tld] == [REPORT_URL]
    in_2024 = _documents(with_finding, start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert {d.url for d in in_2024} == {ART_URL, REPORT_URL, WB_URL}
    assert _documents(with_finding, item="tdf_3tc_dtg", end=date(2024, 8, 19)) == []


def test_in_date_range() -> None:
    moment = datetime(2024, 8, 20, 23, 0, tzinfo=UTC)
    assert in_date_range(moment, date(2024, 8, 20), date(2024, 8, 20))
    assert in_date_range(moment, None, None)
    assert not in_date_range(moment, date(2024, 8, 21), None)
    assert in_date_range(None, None, None)
    assert not in_date_range(None, date(2024, 1, 1), None)


def test_status_without_a_readable_sources_file_still_reports_the_store(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2024, 10, 5, tzinfo=UTC))
    monkeypatch.setenv("COBASE_SOURCES", str(tmp_path / "missing.yml"))
    as_json = CliRunner().invoke(app, ["status", "--json", "--db", store])
    assert as_json.exit_code == 2, as_json.output
    records = {record["source"]: record for record in json.loads(as_json.output)}
    assert (records["who_gho"]["refresh_every_days"], records["who_gho"]["due"]) == (None, None)
