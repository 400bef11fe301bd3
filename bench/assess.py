"""Benchmark: latency of ``cobase.evidence.assess`` on synthetic stores of 500,000 and 5,000,000 rows.

Usage: ``python bench/assess.py [--sizes 500000 5000000] [--queries 200]``. Each store has 200
countries x 20 years; the indicators the catalogue links to pathologies are filled for every country and
year (5 % of them revised once), and the rest of the rows are other indicators (300 codes with item
breakdowns), as a large store would hold. Prints p50 and p95 per size, then ``ratio: X`` (p50 at the
largest size / p50 at the smallest) as its last line. Targets: p50 under 50 ms at 5M; ratio under 2.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pycountry
from sqlmodel import Session

from cobase.catalogue import load_catalogue
from cobase.db import open_store, session_scope
from cobase.evidence import assess
from cobase.harmonize.records import ObservationIn
from cobase.ingest import ingest_observations
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse

COUNTRIES = [country.alpha_3 for country in list(pycountry.countries)[:200]]
YEARS = list(range(2006, 2026))
PUBLISHED = datetime(2025, 3, 1, tzinfo=UTC)
REVISED = datetime(2025, 9, 1, tzinfo=UTC)
NOISE_INDICATORS = 300


def linked_indicators() -> list[tuple[str, str]]:
    """(source, indicator) pairs the catalogue links to some pathology."""
    catalogue = load_catalogue()
    registry = load_registry()
    pairs = {
        (source, code)
        for pathology in catalogue.pathologies
        for source, code, _link in catalogue.indicators_for(pathology)
        if source in registry.sources
    }
    return sorted(pairs)


def _row(
    indicator: str, country: str, year: int, value: float, published: datetime, item: str | None = None
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
        item=item,
    )


def linked_rows(pairs: list[tuple[str, str]], source: str, revised: bool) -> Iterator[ObservationIn]:
    """Every country x year of the linked indicators of ``source`` (5 % revised when ``revised``)."""
    rng = random.Random(7)
    for _source, code in (pair for pair in pairs if pair[0] == source):
        for country in COUNTRIES:
            for year in YEARS:
                value = round(rng.uniform(5, 95), 2)
                if revised:
                    if rng.random() < 0.05:
                        yield _row(code, country, year, value + 7.5, REVISED)
                else:
                    yield _row(code, country, year, value, PUBLISHED)


def noise_rows(total: int) -> Iterator[ObservationIn]:
    """``total`` rows of indicators no pathology is linked to, spread over items (breakdowns)."""
    produced = 0
    breakdown = 0
    while produced < total:
        for number in range(NOISE_INDICATORS):
            for country in COUNTRIES:
                for year in YEARS:
                    if produced == total:
                        return
                    yield _row(
                        f"BENCH_{number:03d}",
                        country,
                        year,
                        (number + year) % 100,
                        PUBLISHED,
                        item=f"bench_item_{breakdown}",
                    )
                    produced += 1
        breakdown += 1


def _ingest(session: Session, source_key: str, rows: Iterator[ObservationIn], tag: str) -> int:
    source = sync_sources(session, load_registry())[source_key]
    raw = RawResponse(
        source=source_key,
        url=f"bench://{tag}",
        status=200,
        body=tag.encode(),
        content_type="application/json",
        retrieved_at=PUBLISHED.isoformat(),
    )
    snapshot = store_snapshot(session, source, raw).snapshot
    counts = ingest_observations(
        session,
        source_id=source.id,
        snapshot_id=snapshot.id,  # type: ignore[arg-type]
        retrieved_at=PUBLISHED,
        rows=rows,
    )
    return counts.new + counts.revised


def build(url: str, size: int) -> int:
    """Fill a fresh store with ``size`` observations; return how many were written."""
    engine = open_store(url)
    pairs = linked_indicators()
    written = 0
    with session_scope(engine) as session:
        for source in sorted({source for source, _code in pairs}):
            written += _ingest(session, source, linked_rows(pairs, source, revised=False), f"{source}-v1")
            written += _ingest(session, source, linked_rows(pairs, source, revised=True), f"{source}-v2")
        written += _ingest(session, "who_gho", noise_rows(max(0, size - written)), "noise")
    return written


def measure(url: str, queries: int) -> tuple[float, float]:
    """p50 and p95 latency in ms of assess for random (country, pathology) pairs."""
    pathologies = sorted(load_catalogue().pathologies)
    rng = random.Random(11)
    engine = open_store(url)
    timings: list[float] = []
    with Session(engine) as session:
        assess(COUNTRIES[0], pathologies[0], as_of=date(2025, 6, 30), session=session)  # warm caches
        for _ in range(queries):
            country, pathology = rng.choice(COUNTRIES), rng.choice(pathologies)
            as_of = rng.choice([date(2025, 6, 30), date(2025, 12, 31)])
            started = time.perf_counter()
            assess(country, pathology, as_of=as_of, session=session)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 5_000_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    medians: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            url = f"sqlite:///{Path(tmp) / f'assess_{size}.db'}"
            started = time.perf_counter()
            written = build(url, size)
            build_s = time.perf_counter() - started
            p50, p95 = measure(url, args.queries)
            medians.append(p50)
            print(f"size: {written} build_s: {build_s:.0f} p50_ms: {p50:.1f} p95_ms: {p95:.1f}", flush=True)
    print(f"ratio: {medians[-1] / medians[0]:.2f}")


if __name__ == "__main__":
    main()
