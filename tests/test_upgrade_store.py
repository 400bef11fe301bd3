"""A store filled by the previous schema (revision 0020) is upgraded and answers exactly as before.

``tests/fixtures/stores/store_0020.db`` was filled by the code of revision 0020 (see ``make_store_0020.py``
beside it): demonstration data with quoted, paged document mentions, a producer's revision of two series
(one with a breakdown), a withdrawn value, and a curated finding confirmed by a second person. The
``assess_*.json`` beside it are that code's ``cobase assess --format json`` answers. After the upgrade by
today's code, every stored value and version is kept and the same questions get the same answers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from cobase.db import alembic_config, current_revision, head_revision, open_store, session_scope
from cobase.evidence import assess
from cobase.findings import list_findings
from cobase.harmonize.records import ObservationIn
from cobase.ingest import ingest_observations, series_group_prefix, series_key
from cobase.models import Observation
from cobase.queries import list_observations
from tests.e2e import fresh_schema, worker_schema_url
from tests.fixtures.stores.make_store_0020 import CASES

STORES = Path(__file__).parent / "fixtures" / "stores"


def _normalised(answer: dict[str, Any]) -> dict[str, Any]:
    # ``generated_at`` is the instant the answer was computed (run-dependent by design); everything else,
    # the as-of date included, is given by the case or read from the store.
    return {key: value for key, value in answer.items() if key != "generated_at"}


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    path = tmp_path_factory.mktemp("upgrade") / "store.db"
    shutil.copyfile(STORES / "store_0020.db", path)
    url = f"sqlite:///{path}"
    assert current_revision(sa.create_engine(url)) == "0020"
    open_store.cache_clear()
    return open_store(url)  # opening a store upgrades it


def test_the_store_is_upgraded_to_head(upgraded: sa.Engine) -> None:
    assert current_revision(upgraded) == head_revision()


@pytest.mark.parametrize("stem", sorted(CASES))
def test_assess_answers_as_before_the_upgrade(upgraded: sa.Engine, stem: str) -> None:
    arguments = dict(zip(CASES[stem][::2], CASES[stem][1::2], strict=True))
    expected = json.loads((STORES / f"assess_{stem}.json").read_text(encoding="utf-8"))
    with session_scope(upgraded) as session:
        answer = assess(
            arguments["--country"],
            arguments["--pathology"],
            as_of=date.fromisoformat(arguments["--as-of"]),
            session=session,
        )
    assert _normalised(json.loads(answer.model_dump_json())) == _normalised(expected)


def test_every_value_version_and_finding_is_kept(upgraded: sa.Engine) -> None:
    with session_scope(upgraded) as session:
        rows = list(list_observations(session, all_versions=True))
        assert len(rows) == 299  # 295 demonstration values, 2 revisions, a finding and its confirmation
        assert sum(not row.is_current for row in rows) == 3
        female = [
            r
            for r in rows
            if (r.country_iso3, r.indicator, r.as_record()["dimension"])
            == ("GIN", "NCD_HYP_TREATMENT_A", "SEX=SEX_FMLE")
        ]
        assert [(r.value, r.is_current) for r in female] == [("27.2", False), ("28.0", True)]
        withdrawn = session.exec(select(Observation).where(col_withdrawn())).all()
        assert [(o.country_iso3, o.indicator) for o in withdrawn] == [("GIN", "UNAIDS_ART_COVERAGE")]
        (finding,) = list_findings(session)
        assert (finding.status, finding.versions, finding.page) == ("confirmed", 2, 3)
        assert finding.quote == "Rupture de stock de dolutégravir à Conakry, mars 2024"
        mentions = [r for r in rows if r.source == "documents" and r.quote]
        assert len(mentions) == 12


CITED_0020 = (
    "SELECT id, snapshot_id, quote, page, review_status, contributed_by FROM observation "
    "WHERE quote IS NOT NULL OR page IS NOT NULL OR review_status IS NOT NULL OR contributed_by IS NOT NULL "
    "ORDER BY id"
)
"""Every version that had a citation field, in a store of revision 0020 or 0021 (columns on observation)."""

CITED = (
    "SELECT observation_id, snapshot_id, quote, page, review_status, contributed_by "
    "FROM observation_citation ORDER BY observation_id"
)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on a store file, the connection closed (no WAL file is left beside it)."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


def test_every_citation_moves_to_the_citation_table(upgraded: sa.Engine) -> None:
    """Quotes, pages, review statuses and contributors are copied, one row per version that had any."""
    before = _rows(STORES / "store_0020.db", CITED_0020)
    with upgraded.connect() as connection:
        after = [tuple(row) for row in connection.exec_driver_sql(CITED)]
        columns = {column["name"] for column in sa.inspect(connection).get_columns("observation")}
    assert after == before
    # 12 document mentions, 5 ReliefWeb reports, 96 register rows (their quotes), the finding's 2 versions.
    assert len(after) == 115
    assert sum(quote is not None for _i, _s, quote, *_ in after) == 115
    assert sum(page is not None for *_, page, _r, _c in after) == 7
    assert sum(status is not None for *_, status, _c in after) == 19
    assert [(page, status, by) for *_, page, status, by in after if by] == [
        (3, "contributed", "Dr Camara"),
        (3, "confirmed", "Dr Diallo"),
    ]
    assert not columns & {"quote", "page", "review_status", "contributed_by"}


def _copy_of_0020(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    shutil.copyfile(STORES / "store_0020.db", path)
    return path


def _upgraded(path: Path) -> str:
    """Open the store at ``path`` (which upgrades it to head); its URL."""
    url = f"sqlite:///{path}"
    open_store.cache_clear()
    open_store(url).dispose()
    open_store.cache_clear()
    return url


def test_downgrade_moves_citations_back_and_upgrade_again_keeps_them(tmp_path: Path) -> None:
    path = _copy_of_0020(tmp_path)
    before = _rows(path, CITED_0020)
    url = _upgraded(path)
    command.downgrade(alembic_config(url), "0021")
    assert current_revision(sa.create_engine(url)) == "0021"
    assert _rows(path, CITED_0020) == before
    assert not _rows(path, "SELECT name FROM sqlite_master WHERE name = 'observation_citation'")
    command.upgrade(alembic_config(url), "head")
    assert _rows(path, CITED) == before
    engine = open_store(url)
    try:
        with session_scope(engine) as session:
            (finding,) = list_findings(session)
            assert (finding.status, finding.page, finding.contributed_by) == ("confirmed", 3, "Dr Diallo")
    finally:
        open_store.cache_clear()
        engine.dispose()


def col_withdrawn() -> sa.ColumnElement[bool]:
    return Observation.__table__.c.withdrawn_at.is_not(None)  # type: ignore[attr-defined, no-any-return]


def test_series_keys_are_unchanged_so_a_refresh_finds_its_series(upgraded: sa.Engine) -> None:
    """The current female value, ingested again by today's code, is recognised as unchanged."""
    with session_scope(upgraded) as session:
        current = session.exec(
            select(Observation).where(
                Observation.indicator == "NCD_HYP_TREATMENT_A",
                Observation.value_text == "28.0",
                Observation.is_current == sa.true(),
            )
        ).one()
        again = ObservationIn(
            **{
                name: getattr(current, name)
                for name in ObservationIn.__dataclass_fields__
                if hasattr(current, name)
            }
        )
        counts = ingest_observations(
            session,
            source_id=current.source_id,
            snapshot_id=current.snapshot_id,
            retrieved_at=current.retrieved_at,
            rows=[again],
        )
        assert (counts.new, counts.unchanged, counts.revised) == (0, 1, 0)
        session.rollback()


KEYS = "SELECT id, source_id, indicator, series_key FROM observation ORDER BY id"


def test_stored_series_keys_get_their_group_prefix_and_keep_their_other_digits(
    upgraded: sa.Engine, tmp_path: Path
) -> None:
    """Migration 0023: every key begins with its source and indicator's digits and keeps its last 24, so
    rows that shared a key still do, and no two keys merge."""
    before = _rows(_copy_of_0020(tmp_path), KEYS)
    with upgraded.connect() as connection:
        after = [tuple(row) for row in connection.execute(sa.text(KEYS))]
    assert [row[:3] for row in after] == [row[:3] for row in before]
    for (_, source_id, indicator, old), (*_, new) in zip(before, after, strict=True):
        assert new == series_group_prefix(int(source_id), str(indicator)) + str(old)[8:]  # type: ignore[call-overload]
    assert len({row[3] for row in after}) == len({row[3] for row in before})


def test_downgrade_to_0022_gives_back_the_stored_keys(tmp_path: Path) -> None:
    path = _copy_of_0020(tmp_path)
    before = _rows(path, KEYS)
    url = _upgraded(path)
    command.downgrade(alembic_config(url), "0022")
    assert _rows(path, KEYS) == before
    assert _rows(path, "SELECT name FROM sqlite_master WHERE name = 'uq_observation_current_series'")
    command.upgrade(alembic_config(url), "head")
    assert _rows(path, KEYS) != before


PG_URL = os.environ.get("COBASE_TEST_POSTGRES_URL", "")


@pytest.mark.skipif(not PG_URL, reason="set COBASE_TEST_POSTGRES_URL to test on PostgreSQL")
def test_postgresql_store_at_0020_keeps_its_breakdowns_and_series(tmp_path: Path) -> None:
    """The rename on PostgreSQL: a value stored under ``dimension`` is read as ``breakdown``, same series."""
    url = worker_schema_url(PG_URL, "cobase_upgrade")
    fresh_schema(url)
    command.upgrade(alembic_config(url), "0020")
    point = (1, "HIV_ARTCOVERAGE", "SEN", "SEX=FMLE", date(2022, 1, 1), date(2022, 12, 31))
    key = _key_before_0023(*point)
    old = sa.create_engine(url)
    with old.begin() as connection:
        for statement in (
            "INSERT INTO source (id, key, producer, title, url_main, licence_name) "
            "VALUES (1, 'who_gho', 'WHO', 'GHO', '', '')",
            "INSERT INTO snapshot (id, source_id, url, retrieved_at, http_status, sha256, size, "
            "body_location, "
            "parse_status) VALUES (1, 1, 'u', '2024-01-01T00:00:00+00:00', 200, 'x', 1, 'db', 'ok')",
            "INSERT INTO observation (series_key, source_id, snapshot_id, country_iso3, indicator, "
            "dimension, value_text, period_start, period_end, retrieved_at, is_current) VALUES (:key, 1, 1, "
            "'SEN', 'HIV_ARTCOVERAGE', 'SEX=FMLE', '30.0', '2022-01-01', '2022-12-31', "
            "'2024-01-01T00:00:00+00:00', true)",
        ):
            connection.execute(sa.text(statement), {"key": key} if ":key" in statement else {})
    old.dispose()
    open_store.cache_clear()
    engine = open_store(url)  # upgrades
    try:
        assert current_revision(engine) == head_revision()
        with session_scope(engine) as session:
            (row,) = list_observations(session)
            assert (row.breakdown, row.as_record()["dimension"], row.value) == (
                "SEX=FMLE",
                "SEX=FMLE",
                "30.0",
            )
            again = ObservationIn("SEN", "HIV_ARTCOVERAGE", date(2022, 1, 1), date(2022, 12, 31), "30.0",
                                  breakdown="SEX=FMLE")  # fmt: skip
            counts = ingest_observations(
                session, source_id=1, snapshot_id=1, retrieved_at=row.retrieved_at, rows=[again]
            )
            assert (counts.new, counts.unchanged) == (0, 1)
            stored = session.exec(select(Observation.series_key)).one()
            assert stored == series_key(*point) == series_group_prefix(1, "HIV_ARTCOVERAGE") + key[8:]
        command.downgrade(alembic_config(url), "0022")
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT series_key FROM observation")).scalar_one() == key
    finally:
        open_store.cache_clear()
        engine.dispose()


def _key_before_0023(
    source_id: int, indicator: str, country: str, breakdown: str, start: date, end: date
) -> str:
    """A series key as the code wrote it up to revision 0022: one hash of the whole series point."""
    text = "\x1f".join((str(source_id), indicator, country, breakdown, str(start.toordinal()),
                        str(end.toordinal()), ""))  # fmt: skip
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _citations(connection: sa.Connection) -> list[tuple[object, ...]]:
    """(observation id, quote, page, review status, contributor, snapshot id) of every citation row."""
    query = (
        "SELECT observation_id, quote, page, review_status, contributed_by, snapshot_id "
        "FROM observation_citation ORDER BY observation_id"
    )
    return [tuple(row) for row in connection.execute(sa.text(query))]


@pytest.mark.skipif(not PG_URL, reason="set COBASE_TEST_POSTGRES_URL to test on PostgreSQL")
def test_postgresql_citations_move_to_their_table_and_back() -> None:
    """0022 on PostgreSQL: a finding's quote, page, status and contributor are copied, the producer's
    value gets no citation row, and a downgrade to 0021 then an upgrade again keeps them."""
    url = worker_schema_url(PG_URL, "cobase_upgrade_citation")
    fresh_schema(url)
    config = alembic_config(url)
    command.upgrade(config, "0021")
    engine = sa.create_engine(url)
    values = (
        "INSERT INTO observation (id, series_key, source_id, snapshot_id, country_iso3, indicator, "
        "breakdown, value_text, period_start, period_end, retrieved_at, is_current, quote, page, "
        "review_status, contributed_by) VALUES (:id, :key, 1, 1, 'GIN', :indicator, '', 'x', "
        "'2024-03-01', '2024-03-31', '2024-04-01T00:00:00+00:00', true, :quote, :page, :status, :by)"
    )
    names = ("id", "key", "indicator", "quote", "page", "status", "by")
    cited = "SELECT id, quote, page, review_status, contributed_by FROM observation WHERE quote IS NOT NULL"
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO source (id, key, producer, title, url_main, licence_name) "
                    "VALUES (1, 'contributed', 'c', 'c', '', '')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO snapshot (id, source_id, url, retrieved_at, http_status, sha256, size, "
                    "body_location, parse_status) "
                    "VALUES (1, 1, 'u', '2024-04-01T00:00:00+00:00', 200, 'x', 1, 'db', 'ok')"
                )
            )
            for row in (
                (1, "a" * 32, "FINDING_CONTINUITY", "« rupture »", 3, "contributed", "Dr A"),
                (2, "b" * 32, "HIV_ARTCOVERAGE", None, None, None, None),  # a producer's value
            ):
                connection.execute(sa.text(values), dict(zip(names, row, strict=True)))
            before = connection.execute(sa.text(cited)).fetchall()
        command.upgrade(config, "head")
        with engine.connect() as connection:
            moved = _citations(connection)
            columns = {column["name"] for column in sa.inspect(connection).get_columns("observation")}
        assert moved == [(1, "« rupture »", 3, "contributed", "Dr A", 1)]
        assert not columns & {"quote", "page", "review_status", "contributed_by"}
        command.downgrade(config, "0021")
        with engine.connect() as connection:
            assert connection.execute(sa.text(cited)).fetchall() == before
        command.upgrade(config, "head")
        with engine.connect() as connection:
            again = [row[:-1] for row in _citations(connection)]  # without the snapshot id
        assert again == [tuple(row) for row in before]
    finally:
        engine.dispose()


def test_every_downgrade_runs_on_a_filled_store_and_upgrading_again_keeps_every_row(tmp_path: Path) -> None:
    """Down to the first revision and back, on the 0020 store: no migration's way back trips on the data
    (foreign keys stay on), and every observation, version and snapshot is still there."""
    counts = "SELECT (SELECT count(*) FROM observation), (SELECT count(*) FROM snapshot)"
    path = _copy_of_0020(tmp_path)
    before = _rows(path, counts)
    url = _upgraded(path)  # every downgrade below runs
    command.downgrade(alembic_config(url), "0001")
    assert current_revision(sa.create_engine(url)) == "0001"
    assert _rows(path, counts) == before
    command.upgrade(alembic_config(url), "head")
    assert current_revision(sa.create_engine(url)) == head_revision()
    assert _rows(path, counts) == before
    assert _rows(path, "PRAGMA foreign_key_check") == []
