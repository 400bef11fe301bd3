"""End to end: ``cobase refresh`` of the national registers against a local server that serves several
versions (Algeria: the ministry's page linking the February 2026 version, plus two older versions listed
in ``params.files``; Tunisia: two versions of the AMM list), then the register timeline read back
in-process, as of several dates, and the rows read back from ``cobase observations``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cobase.db import open_store, session_scope
from cobase.evidence.register_timeline import register_timelines
from tests.e2e import refresh_twice, run_cli, sql_rows

pytestmark = pytest.mark.e2e

SOURCES = ["dz_miph_nomenclature", "tn_dpm_amm"]
PARAMS = {
    "dz_miph_nomenclature": {
        "params": {
            "page": "/fr/nomenclature-nationale-des-produits-pharmaceutiques/",
            "files": [
                "/images/pharmacie/nomenclature-au-31-Dcembre-2019.xlsx",
                "/archives/NOMENCLATURE-01.07.2018.xlsx",
            ],
        }
    },
    "tn_dpm_amm": {"params": {"files": ["/images/pdf/liste_amm.xls", "/archives/liste_amm_2021.xls"]}},
}
STOCRIN = "024/13 P 287"


@pytest.fixture(scope="module")
def refreshed(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any, Any]:
    return refresh_twice(
        local_server, tmp_path_factory.mktemp("registers"), SOURCES, extra_source_fields=PARAMS
    )


def _timeline(db: str, country: str, item: str, as_of: date) -> Any:
    with session_scope(open_store(db)) as session:
        (timeline,) = register_timelines(session, country, item, as_of)
    return timeline


def _stocrin(version: Any) -> str:
    (entry,) = [e for e in version.products if e.product == STOCRIN]
    return entry.status


def test_refresh_succeeds_and_a_second_one_adds_nothing(refreshed: tuple[str, Any, Any]) -> None:
    db, first, second = refreshed
    assert first.returncode == 0 and second.returncode == 0, first.stdout + first.stderr
    new_per_run = [row[0] for row in sql_rows(db, "SELECT observations_new FROM refresh_run ORDER BY id")]
    assert all(new_per_run[:2]) and new_per_run[2:] == [0, 0]


def test_timeline_has_the_three_algerian_versions(refreshed: tuple[str, Any, Any]) -> None:
    timeline = _timeline(refreshed[0], "DZA", "efavirenz", date(2026, 12, 1))
    assert [v.version_date for v in timeline.versions] == [
        date(2018, 7, 1),
        date(2019, 12, 31),
        date(2026, 2, 28),
    ]


def test_stocrin_registered_not_renewed_withdrawn(refreshed: tuple[str, Any, Any]) -> None:
    timeline = _timeline(refreshed[0], "DZA", "efavirenz", date(2026, 12, 1))
    assert [_stocrin(v) for v in timeline.versions] == ["registered", "not_renewed", "withdrawn"]


def test_withdrawal_date_and_reason_in_the_timeline(refreshed: tuple[str, Any, Any]) -> None:
    latest = _timeline(refreshed[0], "DZA", "efavirenz", date(2026, 12, 1)).latest
    (entry,) = [e for e in latest.products if e.product == STOCRIN]
    assert (entry.withdrawn_on, entry.withdrawal_reason[:30]) == (
        (date(2023, 11, 8), date(2023, 11, 8)),
        "RETRAIT A L'ECHELLE MONDIALE P",
    )


def test_as_of_between_two_versions_shows_the_earlier_one(refreshed: tuple[str, Any, Any]) -> None:
    timeline = _timeline(refreshed[0], "DZA", "efavirenz", date(2021, 6, 1))
    assert (timeline.latest.version_date, _stocrin(timeline.latest), timeline.later_versions) == (
        date(2019, 12, 31),
        "not_renewed",
        1,
    )


def test_no_efavirenz_registered_is_a_dated_gap(refreshed: tuple[str, Any, Any]) -> None:
    # In the fixtures, efavirenz has only STOCRIN: not renewed in 2019, withdrawn in 2026.
    timeline = _timeline(refreshed[0], "DZA", "efavirenz", date(2026, 12, 1))
    assert [v.is_gap for v in timeline.versions] == [False, True, True]


def test_combination_counts_for_its_components(refreshed: tuple[str, Any, Any]) -> None:
    # TENOF EM (emtricitabine/tenofovir disoproxil) is a product containing tenofovir disoproxil.
    timeline = _timeline(refreshed[0], "DZA", "tenofovir_disoproxil", date(2026, 12, 1))
    assert [[e.fields["NOM DE MARQUE"] for e in v.registered] for v in timeline.versions] == [
        ["TENOF EM"]
    ] * 3


def test_tunisian_product_absent_from_a_later_version_is_no_longer_listed(
    refreshed: tuple[str, Any, Any],
) -> None:
    timeline = _timeline(refreshed[0], "TUN", "efavirenz", date(2026, 12, 1))
    assert [(v.version_date, [(e.product, e.status) for e in v.products]) for v in timeline.versions] == [
        (date(2020, 5, 18), [("7013111H", "registered")]),
        (date(2021, 6, 28), [("7013111H", "no_longer_listed")]),
    ]


def test_tunisian_versions_have_no_producer_date(refreshed: tuple[str, Any, Any]) -> None:
    timeline = _timeline(refreshed[0], "TUN", "efavirenz", date(2026, 12, 1))
    assert {(v.published_at, v.published_basis) for v in timeline.versions} == {(None, "first_seen")}


def test_country_without_register_has_no_timeline(refreshed: tuple[str, Any, Any]) -> None:
    with session_scope(open_store(refreshed[0])) as session:
        assert register_timelines(session, "MAR", "efavirenz", date(2026, 12, 1)) == []


def test_observations_give_item_and_quote(refreshed: tuple[str, Any, Any]) -> None:
    arguments = ["--source", "dz_miph_nomenclature", "--indicator", "NATREG_WITHDRAWAL", "--format", "json"]
    result = run_cli("observations", *arguments, db=refreshed[0])
    rows = [row for row in json.loads(result.stdout) if row["dimension"] == f"product={STOCRIN}"]
    assert [
        (row["period_start"], row["item"], "MOTIF DE RETRAIT: RETRAIT A L'ECHELLE" in row["quote"])
        for row in rows
    ] == [("2023-11-08", "efavirenz", True)]
