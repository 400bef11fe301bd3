"""What was knowable when (issue 8): publication basis, three-state as-of, last seen, reverts, withdrawals,
rebuild, and migration 0003 on a store holding data.

Responses are WHO GHO OData pages (the real layout, built by :func:`gho_page`) ingested through the real
path (:func:`cobase.refresh.ingest_raw`: snapshot, parse, harmonize, ingest), without the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import col, select

from cobase import refresh
from cobase.db import alembic_config, make_engine, open_store, session_scope
from cobase.evidence import assess
from cobase.models import Observation, ProcessingChange, Snapshot
from cobase.parse import ParsedRecord, get_parser, published_basis_of
from cobase.processing import PROCESSING_VERSION
from cobase.queries import as_of_status, source_status
from cobase.rebuild import rebuild
from cobase.registry import load_registry
from crawlers.items import RawResponse

URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"
T1 = "2023-06-01T00:00:00+00:00"
T2 = "2024-10-01T00:00:00+00:00"
T3 = "2025-03-01T00:00:00+00:00"
T4 = "2025-06-01T00:00:00+00:00"
DATE_A = "2023-05-01T10:00:00+02:00"
DATE_B = "2024-09-15T10:00:00+02:00"


def gho_page(rows: list[tuple[str, int, float, str]], url: str = URL) -> bytes:
    """A GHO OData answer holding (country, year, value, Date) rows, as WHO serves it."""
    code = url.split("?", 1)[0].rsplit("/", 1)[-1]
    values = [
        {
            "Id": 9_000_000 + index,
            "IndicatorCode": code,
            "SpatialDimType": "COUNTRY",
            "SpatialDim": country,
            "ParentLocationCode": "AFR",
            "TimeDimType": "YEAR",
            "ParentLocation": "Africa",
            "Dim1Type": None,
            "Dim1": None,
            "TimeDim": year,
            "Dim2Type": None,
            "Dim2": None,
            "Dim3Type": None,
            "Dim3": None,
            "DataSourceDimType": None,
            "DataSourceDim": None,
            "Value": str(value),
            "NumericValue": value,
            "Low": None,
            "High": None,
            "Comments": None,
            "Date": published,
            "TimeDimensionValue": str(year),
            "TimeDimensionBegin": f"{year}-01-01T00:00:00+01:00",
            "TimeDimensionEnd": f"{year}-12-31T00:00:00+01:00",
        }
        for index, (country, year, value, published) in enumerate(rows)
    ]
    return json.dumps(
        {"@odata.context": f"https://ghoapi.azureedge.net/api/$metadata#{code}", "value": values}
    ).encode()


def _raw(body: bytes, retrieved_at: str, url: str = URL) -> RawResponse:
    return RawResponse(
        source="who_gho",
        url=url,
        status=200,
        body=body,
        content_type="application/json",
        retrieved_at=retrieved_at,
        request_meta={"indicator": url.split("?", 1)[0].rsplit("/", 1)[-1]},
    )


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    return open_store(f"sqlite:///{tmp_path / 't.db'}")


def _ingest(engine: sa.Engine, body: bytes, retrieved_at: str, url: str = URL) -> refresh.SourceSummary:
    summary = refresh.ingest_raw(engine, load_registry(), _raw(body, retrieved_at, url))
    assert summary.errors == []
    return summary


def _versions(engine: sa.Engine, country: str = "GIN", year: int = 2022) -> list[Observation]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Observation)
            .where(Observation.country_iso3 == country, Observation.period_start == date(year, 1, 1))
            .order_by(col(Observation.id))
        ).all()
        session.expunge_all()
        return list(rows)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- the basis of each parser's dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "basis"),
    [
        ("who_gho", "last_modified"),
        ("worldbank_wdi", "last_modified"),
        ("who_ncd_ccs", "last_modified"),
        ("unaids_aidsinfo", "last_modified"),
        ("documents", "document_date"),
        ("reliefweb_reports", "document_date"),
    ],
)
def test_each_parser_declares_what_its_dates_mean(source: str, basis: str) -> None:
    assert published_basis_of(source) == basis


def test_gho_date_is_stored_as_a_last_modified_date(engine: sa.Engine) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    (row,) = _versions(engine)
    assert (row.published_basis, row.published_at, row.first_seen_at, row.last_seen_at) == (
        "last_modified",
        _at(DATE_A),
        _at(T1),
        _at(T1),
    )


def test_gho_last_modified_after_the_as_of_date_is_unknown_not_published_after(
    engine: sa.Engine,
) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_B)]), T2)
    result = assess("GIN", "hiv", as_of=date(2024, 6, 30), db=str(engine.url))
    (evidence,) = [e for e in result.dimension("availability").evidence if e.indicator == "HIV_ARTCOVERAGE"]
    assert (
        evidence.as_of_status,
        evidence.published_basis,
        evidence.first_seen_at,
        result.published_after_as_of,
    ) == (
        "unknown",
        "last_modified",
        _at(T2),
        [],
    )


def test_a_record_without_a_date_is_first_seen_and_proven_by_our_retrieval(engine: sa.Engine) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, "")]), T1)
    (row,) = _versions(engine)
    assert (row.published_basis, row.published_at, row.first_seen_at) == ("first_seen", None, _at(T1))


# --- as-of on each basis --------------------------------------------------------------------------------

KNOWN_BY = datetime(2024, 7, 1, tzinfo=UTC)  # as of 2024-06-30
BEFORE = datetime(2024, 3, 1, tzinfo=UTC)
AFTER = datetime(2024, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("basis", "published", "retrieved", "expected"),
    [
        ("first_release", BEFORE, AFTER, "published_by"),
        ("first_release", AFTER, AFTER, "published_after"),
        ("document_date", BEFORE, AFTER, "published_by"),
        ("document_date", AFTER, AFTER, "published_after"),
        ("last_modified", BEFORE, AFTER, "published_by"),
        ("last_modified", AFTER, AFTER, "unknown"),
        ("first_seen", AFTER, AFTER, "unknown"),
        ("first_seen", BEFORE, AFTER, "unknown"),  # a producer's date kept by a revision proves nothing
        # A snapshot we retrieved by the as-of date proves publication, whatever the basis.
        ("first_seen", BEFORE, BEFORE, "published_by"),
        ("last_modified", AFTER, BEFORE, "published_by"),
        ("document_date", AFTER, BEFORE, "published_by"),
    ],
)
def test_as_of_status_on_each_basis(
    basis: str, published: datetime, retrieved: datetime, expected: str
) -> None:
    assert as_of_status(basis, published, retrieved, KNOWN_BY) == expected


def test_document_dated_after_the_as_of_date_is_the_only_published_after(engine: sa.Engine) -> None:
    from cobase.harmonize.records import ObservationIn
    from tests.seed import ingest_rows

    def finding(value: str, published: datetime, basis: str) -> ObservationIn:
        return ObservationIn(
            country_iso3="GIN",
            indicator="HIV_ARTCOVERAGE",
            period_start=date(2023, 1, 1),
            period_end=date(2023, 12, 31),
            value_text=value,
            value_num=float(value),
            unit="%",
            published_at=published,
            published_basis=basis,
        )

    ingest_rows(engine, "who_gho", URL, [finding("70.0", AFTER, "document_date")], AFTER)
    ingest_rows(engine, "who_gho", URL + "?x", [finding("71.0", AFTER, "last_modified")], AFTER)
    result = assess("GIN", "hiv", as_of=date(2024, 6, 30), db=str(engine.url))
    assert [(e.value, e.as_of_status) for e in result.published_after_as_of] == [("70.0", "published_after")]


# --- revisions that keep the producer's date; last seen; reverts ------------------------------------------


def test_revision_keeping_the_producers_date_is_first_seen_and_not_shown_before(
    engine: sa.Engine,
) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    _ingest(engine, gho_page([("GIN", 2022, 80.0, DATE_A)]), T3)
    old, new = _versions(engine)
    result = assess("GIN", "hiv", as_of=date(2024, 6, 30), db=str(engine.url))
    (shown,) = [e for e in result.dimension("availability").evidence if e.indicator == "HIV_ARTCOVERAGE"]
    assert (old.published_basis, new.published_basis, new.published_at, new.first_seen_at) == (
        "last_modified",
        "first_seen",
        _at(DATE_A),
        _at(T3),
    )
    assert (shown.value, shown.as_of_status, shown.revised_later) == ("60", "published_by", True)
    assert [c for c in result.contradictions if c.kind == "revision"] == []


def test_identical_response_records_that_each_value_was_seen_again(engine: sa.Engine) -> None:
    body = gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)])
    _ingest(engine, body, T1)
    second = _ingest(engine, body, T2)
    (row,) = _versions(engine)
    with session_scope(engine) as session:
        snapshots = session.exec(select(Snapshot)).all()
        assert [(s.retrieved_at, s.last_seen_at) for s in snapshots] == [(_at(T1), _at(T2))]
    assert (second.snapshots_unchanged, row.first_seen_at, row.last_seen_at, row.is_current) == (
        1,
        _at(T1),
        _at(T2),
        True,
    )


def test_unchanged_value_in_new_bytes_is_seen_again(engine: sa.Engine) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)]), T1)
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 41.0, DATE_B)]), T2)
    (row,) = _versions(engine)
    assert (row.last_seen_at, row.is_current) == (_at(T2), True)


def test_revert_a_b_a_ends_on_a_with_b_kept(engine: sa.Engine) -> None:
    a = gho_page([("GIN", 2022, 60.0, DATE_A)])
    _ingest(engine, a, T1)
    _ingest(engine, gho_page([("GIN", 2022, 80.0, DATE_B)]), T2)
    third = _ingest(engine, a, T3)
    versions = _versions(engine)
    assert [(v.value_text, v.is_current) for v in versions] == [
        ("60", False),
        ("80", False),
        ("60", True),
    ]
    assert (versions[2].first_seen_at, versions[2].snapshot_id, third.observations.revised) == (
        _at(T3),
        versions[0].snapshot_id,
        1,
    )
    # Seen again later: the same bytes as the latest response now, nothing new, only last seen.
    _ingest(engine, a, T4)
    assert [(v.value_text, v.last_seen_at) for v in _versions(engine)][2] == ("60", _at(T4))
    result = assess("GIN", "hiv", db=str(engine.url))
    shown = [e.value for e in result.dimension("availability").evidence if e.indicator == "HIV_ARTCOVERAGE"]
    assert shown == ["60"]


# --- withdrawals ----------------------------------------------------------------------------------------


def test_series_missing_from_a_complete_response_of_the_same_request_is_withdrawn(
    engine: sa.Engine,
) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)]), T1)
    summary = _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T2)
    (civ,) = _versions(engine, "CIV")
    assert (summary.observations.withdrawn, civ.is_current, civ.withdrawn_at, civ.value_text) == (
        1,
        False,
        _at(T2),
        "40",
    )
    result = assess("CIV", "hiv", as_of=date(2024, 12, 31), db=str(engine.url))
    (shown,) = [e for e in result.dimension("availability").evidence if e.indicator == "HIV_ARTCOVERAGE"]
    assert shown.withdrawn_at == _at(T2)


def test_another_request_never_withdraws_a_series(engine: sa.Engine) -> None:
    _ingest(engine, gho_page([("CIV", 2022, 40.0, DATE_A)]), T1)
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)], url=URL + "?$skip=3"), T2, url=URL + "?$skip=3")
    (civ,) = _versions(engine, "CIV")
    assert (civ.is_current, civ.withdrawn_at) == (True, None)


def test_row_that_moved_to_another_page_of_a_paged_answer_is_not_withdrawn(engine: sa.Engine) -> None:
    page2 = URL + "?$skip=3"
    registry = load_registry()
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)]), T1)
    _ingest(engine, gho_page([("SEN", 2022, 50.0, DATE_A)], url=page2), T1, url=page2)
    # The producer added a row: CIV moved from page 1 to page 2; page 2 arrives first.
    with session_scope(engine) as session:
        row = refresh.sync_sources(session, registry)["who_gho"]
    summary = refresh.SourceSummary(key="who_gho")
    ingestor = refresh._SourceIngestor(engine, registry.get("who_gho"), row, summary)
    ingestor.receive(
        _raw(gho_page([("CIV", 2022, 40.0, DATE_A), ("SEN", 2022, 50.0, DATE_A)], url=page2), T2, page2)
    )
    ingestor.receive(_raw(gho_page([("GIN", 2022, 60.0, DATE_A), ("BEN", 2022, 30.0, DATE_A)]), T2))
    assert (ingestor.withdraw_missing(), _versions(engine, "CIV")[0].is_current) == (0, True)


def test_withdrawn_series_that_comes_back_is_current_again(engine: sa.Engine) -> None:
    both = gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)])
    _ingest(engine, both, T1)
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T2)
    _ingest(engine, both, T3)
    assert [(v.is_current, v.withdrawn_at) for v in _versions(engine, "CIV")] == [
        (False, _at(T2)),
        (True, None),
    ]


# --- rebuild --------------------------------------------------------------------------------------------


def _buggy_gho(times: float) -> Any:
    real = get_parser("who_gho")

    def parser(_key: str) -> Any:
        def parse(body: bytes, url: str, meta: Any) -> Iterator[ParsedRecord]:
            for record in real(body, url, meta):
                value = (record.value_num or 0) * times
                yield ParsedRecord(**{**_fields(record), "value_num": value, "value_text": repr(value)})

        return parse

    return parser


def _fields(record: ParsedRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


def _table(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text("SELECT * FROM observation ORDER BY id"))]


def test_rebuild_corrects_values_as_a_processing_change_and_twice_changes_nothing(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", _buggy_gho(100))
        _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    with session_scope(engine) as session:
        session.execute(sa.update(Observation).values(processing_version=1))
        assert [s.observations_older_processing for s in source_status(session) if s.source == "who_gho"] == [
            1
        ]
    (first,) = rebuild(engine, load_registry(), ["who_gho"])
    (row,) = _versions(engine)
    with session_scope(engine) as session:
        changes = session.exec(select(ProcessingChange)).all()
        older = [s.observations_older_processing for s in source_status(session) if s.source == "who_gho"]
        assert [(c.kind, c.observation_id, c.processing_version) for c in changes] == [
            ("changed", row.id, PROCESSING_VERSION)
        ]
        assert json.loads(changes[0].before or "{}")["value_text"] == "6000.0"
    assert (first.changed, row.value_text, row.published_at, row.first_seen_at, row.supersedes_id, older) == (
        1,
        "60",
        _at(DATE_A),
        _at(T1),
        None,
        [0],
    )
    before = _table(engine)
    (second,) = rebuild(engine, load_registry(), ["who_gho"])
    assert (second.changed, second.removed, second.added, second.merged, _table(engine)) == (
        0,
        0,
        0,
        0,
        before,
    )


def test_rebuild_merges_a_revision_that_only_our_error_made(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 40.0, DATE_A)]), T1)
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", _buggy_gho(2))
        _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A), ("CIV", 2022, 41.0, DATE_A)]), T2)
    assert [v.value_text for v in _versions(engine)] == ["60", "120.0"]
    (summary,) = rebuild(engine, load_registry(), ["who_gho"])
    versions = _versions(engine)
    assert (summary.merged, [(v.value_text, v.is_current, v.last_seen_at) for v in versions]) == (
        1,
        [("60", True, _at(T2))],
    )
    assert [v.value_text for v in _versions(engine, "CIV")] == ["40", "41"]


def test_rebuild_removes_what_a_snapshot_no_longer_yields_and_adds_what_it_now_yields(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = get_parser("who_gho")

    def moved(_key: str) -> Any:
        def parse(body: bytes, url: str, meta: Any) -> Iterator[ParsedRecord]:
            for record in real(body, url, meta):  # a bug put every value on the wrong year
                yield ParsedRecord(
                    **{**_fields(record), "period_start": date(2000, 1, 1), "period_end": date(2000, 12, 31)}
                )

        return parse

    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", moved)
        _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    (summary,) = rebuild(engine, load_registry(), ["who_gho"])
    assert (summary.removed, summary.added, _versions(engine, year=2000)) == (1, 1, [])
    (row,) = _versions(engine)
    assert (row.value_text, row.first_seen_at, row.published_at, row.processing_version) == (
        "60",
        _at(T1),
        _at(DATE_A),
        PROCESSING_VERSION,
    )
    (again,) = rebuild(engine, load_registry(), ["who_gho"])
    assert (again.removed, again.added, again.changed) == (0, 0, 0)


def _quoting_gho(quote: str | None, page: int | None) -> Any:
    """who_gho's parser, each record given ``quote`` and ``page`` (as a document parser gives them)."""
    real = get_parser("who_gho")

    def parser(_key: str) -> Any:
        def parse(body: bytes, url: str, meta: Any) -> Iterator[ParsedRecord]:
            for record in real(body, url, meta):
                yield ParsedRecord(**{**_fields(record), "quote": quote, "page": page})

        return parse

    return parser


def _citations(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT observation_id, snapshot_id, quote, page, review_status, contributed_by "
                    "FROM observation_citation ORDER BY observation_id"
                )
            )
        ]


def test_rebuild_corrects_a_quote_and_page_in_the_citation_table(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", _quoting_gho("a wrong quote", 9))
        _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    ((observation_id, snapshot_id, *_),) = _citations(engine)
    monkeypatch.setattr("cobase.rebuild.get_parser", _quoting_gho("the right quote", 2))
    (first,) = rebuild(engine, load_registry(), ["who_gho"])
    assert (first.changed, _citations(engine)) == (
        1,
        [(observation_id, snapshot_id, "the right quote", 2, None, None)],
    )
    with session_scope(engine) as session:
        (change,) = session.exec(select(ProcessingChange)).all()
    assert (json.loads(change.before or "{}")["quote"], json.loads(change.after or "{}")["page"]) == (
        "a wrong quote",
        2,
    )
    before = (_table(engine), _citations(engine))
    (second,) = rebuild(engine, load_registry(), ["who_gho"])
    assert (second.changed, (_table(engine), _citations(engine))) == (0, before)


def test_rebuild_drops_a_citation_the_parser_no_longer_gives_and_adds_one_it_now_gives(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", _quoting_gho("not in the answer", None))
        _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    assert len(_citations(engine)) == 1
    (summary,) = rebuild(engine, load_registry(), ["who_gho"])  # today's parser gives no quote
    assert (summary.changed, _citations(engine)) == (1, [])
    monkeypatch.setattr("cobase.rebuild.get_parser", _quoting_gho(None, 4))
    (again,) = rebuild(engine, load_registry(), ["who_gho"])
    (row,) = _versions(engine)
    assert (again.changed, _citations(engine)) == (1, [(row.id, row.snapshot_id, None, 4, None, None)])


def test_rebuild_removes_a_cited_value_with_its_citation(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = get_parser("who_gho")

    def moved(_key: str) -> Any:
        def parse(body: bytes, url: str, meta: Any) -> Iterator[ParsedRecord]:
            for record in real(body, url, meta):  # a bug put every value on the wrong year, quoted
                yield ParsedRecord(
                    **{**_fields(record), "period_start": date(2000, 1, 1), "period_end": date(2000, 12, 31)}
                    | {"quote": "GIN 2000", "page": 1}
                )

        return parse

    with monkeypatch.context() as patched:
        patched.setattr(refresh, "get_parser", moved)
        _ingest(engine, gho_page([("GIN", 2022, 60.0, DATE_A)]), T1)
    assert len(_citations(engine)) == 1
    (summary,) = rebuild(engine, load_registry(), ["who_gho"])
    assert (summary.removed, summary.added, _citations(engine)) == (1, 1, [])
    with session_scope(engine) as session:
        removed = session.exec(select(ProcessingChange).where(ProcessingChange.kind == "removed")).one()
    kept = json.loads(removed.before or "{}")  # the removed version is kept whole, its citation included
    assert (kept["quote"], kept["page"], kept["review_status"], kept["period_start"]) == (
        "GIN 2000",
        1,
        None,
        "2000-01-01",
    )


def test_cli_rebuild_unknown_source_is_a_clear_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cobase.cli import app

    result = CliRunner().invoke(app, ["rebuild", "nope", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "nope" in result.output and "Traceback" not in result.output


# --- migration 0003 on a store holding data -------------------------------------------------------------


def test_migration_0003_gives_existing_rows_the_most_truthful_basis(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0002")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO source (id, key, producer, title, url_main, licence_name) VALUES "
                "(1, 'who_gho', 'WHO', 'GHO', '', ''), (2, 'documents', 'NGO', 'Reports', '', '')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO snapshot (id, source_id, url, retrieved_at, http_status, sha256, size, "
                "body_location, parse_status) "
                "VALUES (1, 1, 'u', '2024-01-01 00:00:00.000000', 200, 'x', 1, 'db', 'ok')"
            )
        )
        rows = [
            # id, source, series, published_at, retrieved_at, current, supersedes
            (1, 1, "a", "2023-05-01 00:00:00.000000", "2024-01-01 00:00:00.000000", 0, None),
            (2, 1, "a", "2023-05-01 00:00:00.000000", "2024-06-01 00:00:00.000000", 1, 1),  # same date kept
            (3, 1, "b", None, "2024-01-01 00:00:00.000000", 1, None),
            (4, 2, "c", "2022-02-02 00:00:00.000000", "2024-01-01 00:00:00.000000", 1, None),
        ]
        for obs_id, source, series, published, retrieved, current, supersedes in rows:
            connection.execute(
                sa.text(
                    "INSERT INTO observation (id, series_key, source_id, snapshot_id, country_iso3, "
                    "indicator, dimension, value_text, period_start, period_end, published_at, retrieved_at, "
                    "is_current, supersedes_id) "
                    "VALUES (:id, :series, :source, 1, 'GIN', 'X', '', '1', '2020-01-01', "
                    "'2020-12-31', :published, :retrieved, :current, :supersedes)"
                ),
                {
                    "id": obs_id,
                    "series": series,
                    "source": source,
                    "published": published,
                    "retrieved": retrieved,
                    "current": current,
                    "supersedes": supersedes,
                },
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT id, published_basis, published_at, first_seen_at, last_seen_at, processing_version "
                "FROM observation ORDER BY id"
            )
        ).fetchall()
    assert [tuple(row) for row in found] == [
        (
            1,
            "last_modified",
            "2023-05-01 00:00:00.000000",
            "2024-01-01 00:00:00.000000",
            "2024-01-01 00:00:00.000000",
            1,
        ),
        (
            2,
            "first_seen",
            "2023-05-01 00:00:00.000000",
            "2024-06-01 00:00:00.000000",
            "2024-06-01 00:00:00.000000",
            1,
        ),
        (
            3,
            "first_seen",
            None,
            "2024-01-01 00:00:00.000000",
            "2024-01-01 00:00:00.000000",
            1,
        ),
        (
            4,
            "document_date",
            "2022-02-02 00:00:00.000000",
            "2024-01-01 00:00:00.000000",
            "2024-01-01 00:00:00.000000",
            1,
        ),
    ]
    command.downgrade(config, "0002")


def test_earliest_proof_is_the_producers_date_or_our_retrieval() -> None:
    from cobase.processing import earliest_proof

    assert (
        earliest_proof("last_modified", BEFORE, AFTER),
        earliest_proof("first_seen", BEFORE, AFTER),
        earliest_proof("document_date", None, AFTER),
    ) == (BEFORE, AFTER, AFTER)


def test_search_results_cut_to_pages_never_withdraw() -> None:
    from cobase.parse import tracks_withdrawals

    assert (tracks_withdrawals("reliefweb_reports"), tracks_withdrawals("who_gho")) == (False, True)
