"""Benchmark: cobase ingestion against a raw insert of the same rows.

Usage: ``python bench/ingest.py [--rows N] [--db URL]`` (default 1,000,000 rows: 200 countries x 20 years x
N/4000 indicators). Without ``--db``, a temporary SQLite store against a raw ``sqlite3.executemany``; with
``--db postgresql+psycopg://...``, that server against a raw ``COPY`` of the same rows into a bare table
with the observation table's columns (in a schema of its own, dropped afterwards: nothing else in that
database is touched); the ratio is to psycopg's default (text) ``COPY``, and the ratio to a binary
``COPY`` (the format cobase's staging uses) is printed too. Prints ``ingest_rows_per_s``,
``raw_rows_per_s``, the second (all-unchanged) ingest's rate, peak memory, and ``ratio: X`` (cobase / raw)
as its last line; with ``--repeat N``, medians of N runs, each in a fresh store (a busy machine). Targets:
ratio >= 0.5, peak memory under 1 GB, second ingest at least as fast as the first.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pycountry
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.schema import CreateIndex

from cobase.db import open_store, session_scope
from cobase.harmonize.records import ObservationIn
from cobase.ingest import INSERT_COLUMNS, ingest_observations, series_key
from cobase.models import Observation
from cobase.processing import PROCESSING_VERSION
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse

COUNTRIES = [country.alpha_3 for country in list(pycountry.countries)[:200]]
YEARS = list(range(2005, 2025))
PUBLISHED = datetime(2025, 1, 15, tzinfo=UTC)
RETRIEVED = datetime(2025, 2, 1, tzinfo=UTC)


def synthetic_rows(total: int) -> Iterator[ObservationIn]:
    """``total`` distinct series points, generated lazily so memory stays flat."""
    produced = 0
    indicator = 0
    while True:
        code = f"IND_{indicator:04d}"
        for country in COUNTRIES:
            for year in YEARS:
                if produced == total:
                    return
                value = ((indicator * 7919 + len(country) * 31 + year) % 10_000) / 100
                yield ObservationIn(
                    country_iso3=country,
                    indicator=code,
                    period_start=date(year, 1, 1),
                    period_end=date(year, 12, 31),
                    value_text=repr(value),
                    value_num=value,
                    unit="%",
                    published_at=PUBLISHED,
                )
                produced += 1
        indicator += 1


def time_cobase(url: str, rows: int) -> tuple[float, int]:
    """Seconds to ingest ``rows`` through cobase, and how many were new."""
    engine = open_store(url)
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())["who_gho"]
        raw = RawResponse(
            source="who_gho",
            url="bench://synthetic",
            status=200,
            body=str(time.time()).encode(),
            content_type="application/json",
            retrieved_at=RETRIEVED.isoformat(),
        )
        snapshot = store_snapshot(session, source, raw).snapshot
    started = time.perf_counter()
    with session_scope(engine) as session:
        counts = ingest_observations(
            session,
            source_id=source.id,
            snapshot_id=snapshot.id,  # type: ignore[arg-type]
            retrieved_at=RETRIEVED,
            rows=synthetic_rows(rows),
        )
    return time.perf_counter() - started, counts.new


def time_raw(path: Path, rows: int, indexed: bool = False) -> float:
    """Seconds for a plain sqlite3 executemany of the same rows into a table of the same shape.

    ``indexed``: with the observation table's indexes (compiled from cobase's model) and cobase's own
    series keys, in the order they are generated: what SQLite itself spends keeping those indexes, and
    how that grows with the rows (``raw_indexed_s``), set apart from what cobase adds.
    """
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE observation (id INTEGER PRIMARY KEY, series_key VARCHAR(32) NOT NULL,"
        " source_id INTEGER, snapshot_id INTEGER, country_iso3 VARCHAR(3), indicator VARCHAR(128),"
        " breakdown VARCHAR(255),"
        " value_num FLOAT, value_text VARCHAR, unit VARCHAR, period_start DATE, period_end DATE,"
        " published_at DATETIME, retrieved_at DATETIME, is_current BOOLEAN, superseded_at DATETIME,"
        " supersedes_id INTEGER)"
    )
    generated = synthetic_rows(rows)
    keyed: Iterator[tuple[str, ObservationIn]] = ((f"{i:032x}", row) for i, row in enumerate(generated))
    if indexed:
        for index in Observation.__table__.indexes:  # type: ignore[attr-defined]
            connection.execute(str(CreateIndex(index).compile(dialect=sqlite_dialect())))
        keyed = (
            (series_key(1, r.indicator, r.country_iso3, r.breakdown, r.period_start, r.period_end), r)
            for r in generated
        )
    started = time.perf_counter()
    connection.executemany(
        "INSERT INTO observation (series_key, source_id, snapshot_id, country_iso3, indicator, breakdown,"
        " value_num, value_text, unit, period_start, period_end, published_at, retrieved_at, is_current,"
        " superseded_at, supersedes_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                key,
                1,
                1,
                row.country_iso3,
                row.indicator,
                row.breakdown,
                row.value_num,
                row.value_text,
                row.unit,
                row.period_start.isoformat(),
                row.period_end.isoformat(),
                PUBLISHED.strftime("%Y-%m-%d %H:%M:%S.%f"),
                RETRIEVED.strftime("%Y-%m-%d %H:%M:%S.%f"),
                1,
                None,
                None,
            )
            for key, row in keyed
        ),
    )
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


_RAW_COLUMNS = ("id", *INSERT_COLUMNS)  # the observation table's columns, id first


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema for this run, named in the URL's search path, dropped afterwards."""
    schema = f"cobase_bench_{os.getpid()}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield (
            sa.make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        open_store.cache_clear()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def time_raw_copy(url: str, rows: int, binary: bool = False) -> float:
    """Seconds for a plain ``COPY`` of the same rows into a bare table with the observation table's columns.

    ``CREATE TABLE ... (LIKE observation)`` copies the column names, types and NOT NULL constraints only:
    no index, no default, no foreign key. Run after cobase's ingestion, in the same schema. The ratio is
    to psycopg's default (text) ``COPY``; ``binary`` times the binary format cobase's staging uses, shown
    alongside so that the comparison hides nothing.
    """
    table = "raw_observation_binary" if binary else "raw_observation"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE TABLE {table} (LIKE observation)"))
        types = connection.execute(
            sa.text(
                "SELECT atttypid FROM pg_attribute WHERE attrelid = CAST(:table AS regclass)"
                " AND attname = ANY(:names) ORDER BY array_position(CAST(:names AS text[]), attname::text)"
            ),
            {"table": table, "names": list(_RAW_COLUMNS)},
        ).scalars()
        oids = list(types)
    published, retrieved = PUBLISHED, RETRIEVED
    statement = f"COPY {table} ({', '.join(_RAW_COLUMNS)}) FROM STDIN"
    if binary:
        statement += " (FORMAT BINARY)"
    started = time.perf_counter()
    with engine.begin() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(statement) as copy:
            if binary:
                copy.set_types(oids)
            for i, row in enumerate(synthetic_rows(rows)):
                copy.write_row(
                    (  # in _RAW_COLUMNS' order: id, then cobase.ingest.INSERT_COLUMNS (the table's)
                        i + 1,
                        row.country_iso3,
                        row.indicator,
                        row.breakdown,
                        row.value_num,
                        row.value_text,
                        row.unit,
                        row.period_start,
                        row.period_end,
                        published,
                        retrieved,
                        row.item,
                        "last_modified",
                        retrieved,
                        retrieved,
                        f"{i:032x}",
                        1,
                        1,
                        True,
                        None,
                        PROCESSING_VERSION,
                    )
                )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def one_run(rows: int, db: str | None) -> dict[str, float]:
    """Seconds of one first ingest, one unchanged ingest and the raw inserts, each in a fresh store."""
    if db:
        with postgres_schema(db) as url:
            first_s, new = time_cobase(url, rows)
            assert new == rows, f"expected {rows} new observations, got {new}"
            second_s, new_again = time_cobase(url, rows)
            assert new_again == 0, f"second ingest of unchanged rows added {new_again}"
            open_store(url).dispose()
            raw_s = time_raw_copy(url, rows)
            raw_binary_s = time_raw_copy(url, rows, binary=True)
        return {"first": first_s, "second": second_s, "raw": raw_s, "raw_binary": raw_binary_s}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cobase.db'}"
        first_s, new = time_cobase(url, rows)
        assert new == rows, f"expected {rows} new observations, got {new}"
        second_s, new_again = time_cobase(url, rows)
        assert new_again == 0, f"second ingest of unchanged rows added {new_again}"
        raw_s = time_raw(Path(tmp) / "raw.db", rows)
        raw_indexed_s = time_raw(Path(tmp) / "raw_indexed.db", rows, indexed=True)
    return {"first": first_s, "second": second_s, "raw": raw_s, "raw_indexed": raw_indexed_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="a PostgreSQL URL (postgresql+psycopg://...); default: SQLite")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs, each in a fresh store; medians are printed"
    )
    args = parser.parse_args()
    if args.db and sa.make_url(args.db).get_backend_name() != "postgresql":
        parser.error("--db takes a PostgreSQL URL (postgresql+psycopg://...); SQLite is the default")
    runs = [one_run(args.rows, args.db) for _ in range(max(1, args.repeat))]
    median = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    first_s, second_s, raw_s = median["first"], median["second"], median["raw"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ingest_rate = args.rows / first_s
    raw_rate = args.rows / raw_s
    print(f"database: {'postgresql' if args.db else 'sqlite'}")
    print(f"rows: {args.rows}")
    print(f"runs: {len(runs)} (medians)")
    print(f"ingest_s: {first_s:.2f}")
    print(f"second_ingest_s: {second_s:.2f}")
    print(f"raw_s: {raw_s:.2f}")
    print(f"ingest_rows_per_s: {ingest_rate:.0f}")
    print(f"second_ingest_rows_per_s: {args.rows / second_s:.0f}")
    print(f"raw_rows_per_s: {raw_rate:.0f}")
    print(f"peak_memory_mb: {peak_mb:.0f}")
    if args.db:
        print(f"raw_binary_copy_s: {median['raw_binary']:.2f}")
        print(f"ratio_to_binary_copy: {median['raw_binary'] / first_s:.2f}")
    else:
        print(f"raw_indexed_s: {median['raw_indexed']:.2f}")
        print(f"ratio_to_indexed_raw: {median['raw_indexed'] / first_s:.2f}")
    print(f"ratio: {ingest_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
