"""End to end (issue 10, item 6): a refresh whose answer reads as less than the previous answer to the
same request fails or is flagged, never degrades what is stored.

WHO GHO answers (``tests/fixtures/who_gho/versions/HIV_ARTCOVERAGE_A.json``: Guinea 60, Côte d'Ivoire 40)
are served with a field renamed; a World Bank page loses its ``value``; and a producer's legitimate
withdrawal of a row (version C: Guinea only) is flagged in ``cobase status``, not refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.yamltext import load_yaml
from tests.e2e import (
    FIXTURES,
    REPO,
    BadRefresh,
    database_url,
    ingest_in_process,
    observations,
    refresh_sources,
    status,
)

pytestmark = pytest.mark.e2e

VERSIONS = FIXTURES / "who_gho" / "versions"
GHO_PATH = "/api/HIV_ARTCOVERAGE"
WB_PATH = "/v2/country/all/indicator/SH.MED.PHYS.ZS"


def _only(source: str, code: str) -> dict[str, Any]:
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    entry = next(i for i in data["sources"][source]["indicators"] if i["code"] == code)
    return {source: {"indicators": [entry]}}


def _gho(version: str = "A") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VERSIONS / f"HIV_ARTCOVERAGE_{version}.json").read_bytes())
    return document


def _renamed(document: Any, old: str, new: str, rows: str = "value") -> bytes:
    table = document[rows] if isinstance(document, dict) else document[1]
    for row in table:
        row[new] = row.pop(old)
    return json.dumps(document).encode()


def _by_sex(document: dict[str, Any]) -> dict[str, Any]:
    """The same answer broken down by sex (two rows per country), as GHO publishes many series."""
    rows = []
    for row in document["value"]:
        for sex, share in (("SEX_FMLE", 1.1), ("SEX_MLE", 0.9)):
            rows.append({**row, "Dim1Type": "SEX", "Dim1": sex, "NumericValue": row["NumericValue"] * share})
    return {**document, "value": rows}


def _refresh(
    server: HTTPServer, tmp: Path, source: str, path: str, body: bytes, *, in_process: bool
) -> tuple[Any, list[Any]]:
    """A refresh of ``source`` with ``path`` answering ``body``: ``cobase refresh`` (its process), or
    ``in_process`` through the same refresh path (its summaries)."""
    forced = {path: Response(body, status=200, content_type="application/json")}
    code = "HIV_ARTCOVERAGE" if source == "who_gho" else "SH.MED.PHYS.ZS"
    options = (server, tmp, database_url(tmp), [source], forced, _only(source, code))
    if in_process:
        return None, ingest_in_process(*options)
    return refresh_sources(*options), []


def _good_then(
    server: HTTPServer, tmp: Path, source: str, path: str, good: bytes, bad: bytes, *, through_cli: bool
) -> BadRefresh:
    """A good answer in-process (the store the bad one is compared with), then the bad one, through
    ``cobase refresh`` when ``through_cli`` (exit code and stderr), else in-process."""
    db = database_url(tmp)
    _none, first = _refresh(server, tmp, source, path, good, in_process=True)
    assert all(summary.ok for summary in first), [summary.errors for summary in first]
    before = observations(db, all_versions=True)
    result, summaries = _refresh(server, tmp, source, path, bad, in_process=not through_cli)
    after = observations(db, all_versions=True)
    return BadRefresh(db, path, "", before, after, result, status(db), summaries)


def test_renamed_numeric_value_is_refused_and_nothing_turns_into_text(
    local_server: HTTPServer, tmp_path: Path
) -> None:
    good = json.dumps(_gho()).encode()
    bad = _renamed(_gho(), "NumericValue", "NumericVal")
    refused = _good_then(local_server, tmp_path, "who_gho", GHO_PATH, good, bad, through_cli=True)
    before, after, run, message = refused.before, refused.after, refused.status["who_gho"], refused.message
    assert refused.failed and "refused" in message and "'value[].NumericValue'" in message
    assert "HIV_ARTCOVERAGE are now text" in message
    assert after == before and {row["value"] for row in after} == {"60", "40"}
    assert run["last_run_status"] == "failed" and "NumericValue" in run["last_error"]


def test_renamed_dim1_is_refused_and_no_series_is_duplicated(
    local_server: HTTPServer, tmp_path: Path
) -> None:
    good = json.dumps(_by_sex(_gho())).encode()
    bad = _renamed(_by_sex(_gho()), "Dim1", "Dim1Value")
    refused = _good_then(local_server, tmp_path, "who_gho", GHO_PATH, good, bad, through_cli=False)
    before, after, run, message = refused.before, refused.after, refused.status["who_gho"], refused.message
    assert refused.failed and "the breakdown SEX of HIV_ARTCOVERAGE is gone" in message
    assert after == before and len(before) == 4
    assert {row["dimension"] for row in after} == {"SEX=SEX_FMLE", "SEX=SEX_MLE"}
    assert run["last_run_status"] == "failed"


def test_world_bank_value_renamed_is_refused(local_server: HTTPServer, tmp_path: Path) -> None:
    good = (FIXTURES / "worldbank_wdi" / "SH.MED.PHYS.ZS.json").read_bytes()
    bad = _renamed(json.loads(good), "value", "obs_value")
    refused = _good_then(local_server, tmp_path, "worldbank_wdi", WB_PATH, good, bad, through_cli=False)
    before, after, run = refused.before, refused.after, refused.status["worldbank_wdi"]
    message = refused.message
    assert refused.failed and "field '[][].value' is no longer in the answer (renamed?)" in message
    assert after == before and before
    assert all(row["value"].replace(".", "").isdigit() for row in after)  # still numbers
    assert run["last_run_status"] == "failed"


def test_a_withdrawn_row_is_stored_as_withdrawn_and_flagged_in_status(
    local_server: HTTPServer, tmp_path: Path
) -> None:
    a, c = json.dumps(_gho("A")).encode(), json.dumps(_gho("C")).encode()
    # Through `cobase refresh`: the warning must reach its stderr.
    flagged = _good_then(local_server, tmp_path, "who_gho", GHO_PATH, a, c, through_cli=True)
    before, after, run, result = flagged.before, flagged.after, flagged.status["who_gho"], flagged.result
    assert result is not None and result.returncode == 0, result
    current = observations(database_url(tmp_path))
    assert [row["country_iso3"] for row in current] == ["GIN"] and len(after) == len(before)
    assert run["last_run_status"] == "success"
    assert "fewer series than the previous answer to the same request (2 -> 1)" in run["last_warnings"]
    assert "fewer series" in " ".join(result.stderr.split())
