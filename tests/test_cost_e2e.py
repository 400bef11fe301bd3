"""End to end: ``cobase refresh`` of the CNOPS list, the ILOSTAT minimum wage and the World Bank (with the
official exchange rate) against a local server; the monthly cost read from that database; then bad input
for each new source (a portal's HTML page instead of the file): a clear message, exit 1, a failed run,
nothing stored before lost.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.db import open_store, session_scope
from cobase.evidence.cost import monthly_cost
from tests.e2e import BadRefresh, good_then_bad_refresh, observations, refresh_twice, run_cli, status

pytestmark = pytest.mark.e2e

CNOPS = "ma_cnops_medicaments"
ILOSTAT = "ilostat_minimum_wage"
SOURCES = [CNOPS, ILOSTAT, "worldbank_wdi"]
CNOPS_PATH = (
    "/data/fr/dataset/2cdfd9f4-289d-4e9a-8998-50bd03f8e874/resource/094733f5-5434-4163-b837-df0e7b665127/"
    "download/ref-des-medicaments-cnops-2014.xlsx"
)
ILOSTAT_PATH = "/data/indicator/"
HTML = b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"
BAD = {
    "cnops_html": (CNOPS, CNOPS_PATH, "is not a readable XLSX workbook"),
    "ilostat_html": (ILOSTAT, ILOSTAT_PATH, "is not an ILOSTAT bulk CSV"),
}


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
    return refresh_twice(local_server, tmp_path_factory.mktemp("cost"), SOURCES)


@pytest.fixture(scope="module", params=sorted(BAD))
def bad_refresh(
    request: pytest.FixtureRequest,
    local_server: HTTPServer,
    tmp_path_factory: pytest.TempPathFactory,
    refreshed: tuple[str, Any, Any],
) -> tuple[str, BadRefresh]:
    """A copy of the refreshed store, then ``cobase refresh`` of one source answering HTML (one bad
    answer per source: each keeps its exit code and stderr)."""
    source, path, expected = BAD[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    response = Response(HTML, status=200, content_type="text/html")
    bad = good_then_bad_refresh(
        local_server, tmp, [source], path, response, expected, good_store=refreshed[0]
    )
    return source, bad


def test_first_refresh_succeeds(refreshed: tuple[str, Any, Any]) -> None:
    assert refreshed[1].returncode == 0, refreshed[1].stdout + refreshed[1].stderr


def test_every_cnops_row_is_stored_four_times(refreshed: tuple[str, Any, Any]) -> None:
    assert len(observations(refreshed[0], source=CNOPS)) == 14 * 4


def test_cnops_price_is_cited_on_data_gov_ma(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], indicator="MA_PPV", country="Maroc", source=CNOPS)
    assert {row["url"].split("/download/")[0] for row in rows} == {
        "https://data.gov.ma/data/fr/dataset/2cdfd9f4-289d-4e9a-8998-50bd03f8e874/resource/"
        "094733f5-5434-4163-b837-df0e7b665127"
    }


def test_cnops_rows_carry_the_workbook_date(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], source=CNOPS)
    assert {row["published_at"][:10] for row in rows} == {"2014-07-16"}


def test_minimum_wage_rows_are_stored(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], country="MAR", source=ILOSTAT)
    assert {(row["period_start"], row["value"], row["unit"]) for row in rows} == {
        ("2015-01-01", "2570.9", "local currency per month"),
        ("2014-01-01", "2454.4", "local currency per month"),
        ("2013-01-01", "2337.8", "local currency per month"),
        ("2007-01-01", "1842", "local currency per month"),
    }


def test_minimum_wage_has_no_publication_date(refreshed: tuple[str, Any, Any]) -> None:
    assert {row["published_at"] for row in observations(refreshed[0], source=ILOSTAT)} == {""}


def test_exchange_rate_is_stored(refreshed: tuple[str, Any, Any]) -> None:
    rows = observations(refreshed[0], indicator="PA.NUS.FCRF", country="MAR", source="worldbank_wdi")
    assert {(row["period_start"], row["value"]) for row in rows} == {
        ("2013-01-01", "8.4055039167443"),
        ("2014-01-01", "8.40633668826152"),
        ("2015-01-01", "9.76434827950111"),
    }


def test_monthly_cost_from_the_refreshed_store(refreshed: tuple[str, Any, Any]) -> None:
    with session_scope(open_store(refreshed[0])) as session:
        cost = monthly_cost(session, "MAR", "risperidone")
    cheapest = cost.cheapest
    # RISPERDALORO 2 MG: 231 / 28 x 30 = 247.50 MAD; 29.44 US$; 3.03 days of minimum wage.
    assert cheapest is not None and cheapest.name == "RISPERDALORO 2 MG"
    assert (
        round(cheapest.monthly_local or 0, 2),
        round(cheapest.monthly_usd or 0, 2),
        round(cheapest.wage_days or 0, 2),
    ) == (247.50, 29.44, 3.03)
    assert cost.gaps == []


def test_second_refresh_adds_nothing(refreshed: tuple[str, Any, Any]) -> None:
    db, _first, second = refreshed
    for source in (CNOPS, ILOSTAT):
        assert len(observations(db, all_versions=True, source=source)) == len(observations(db, source=source))
    assert second.returncode == 0


def test_status_reports_success(refreshed: tuple[str, Any, Any]) -> None:
    runs = status(refreshed[0])
    assert {runs[key]["last_run_status"] for key in SOURCES} == {"success"}


def test_bad_input_fails_with_a_clear_message(bad_refresh: tuple[str, BadRefresh]) -> None:
    _source, bad = bad_refresh
    assert bad.result.returncode == 1 and bad.expected in bad.stderr_one_line


def test_bad_input_loses_nothing_stored_before(bad_refresh: tuple[str, BadRefresh]) -> None:
    _source, bad = bad_refresh
    assert bad.before and bad.after == bad.before


def test_bad_input_is_a_failed_run(bad_refresh: tuple[str, BadRefresh]) -> None:
    source, bad = bad_refresh
    assert bad.status[source]["last_run_status"] == "failed"


def test_cli_dossier_shows_the_monthly_cost(
    refreshed: tuple[str, Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    output = tmp_path_factory.mktemp("dossier") / "maroc.md"
    result = run_cli(
        "dossier",
        *("--country", "Maroc", "--pathology", "psychosis", "--item", "risperidone"),
        *("--as-of", "2020-01-01", "--format", "md", "-o", str(output)),
        db=refreshed[0],
    )
    assert result.returncode == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    assert "247,50 MAD = 29,44 US$ = 3,03 jours de salaire minimum en 2014" in text
    assert "127.0.0.1" not in text.split("Coût mensuel du traitement", 1)[1].split("Données anciennes", 1)[0]
