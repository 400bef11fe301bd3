"""Build small databases with known content for tests of reads, the app and the CLI.

Seeding goes through the real storage path (snapshot kept, then bulk ingestion), only without the
network: a hand-built :class:`RawResponse` stands in for what a spider would have yielded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from cobase.db import open_store, session_scope
from cobase.harmonize.records import ObservationIn
from cobase.ingest import IngestCounts, ingest_observations
from cobase.models import RefreshRun
from cobase.refresh import sync_sources
from cobase.registry import load_registry
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse

PUBLISHED_V1 = datetime(2023, 5, 1, tzinfo=UTC)
PUBLISHED_V2 = datetime(2024, 9, 15, tzinfo=UTC)


def ingest_rows(
    engine: sa.Engine,
    source_key: str,
    url: str,
    rows: Iterable[ObservationIn],
    retrieved_at: datetime,
    body: bytes | None = None,
) -> IngestCounts:
    """Store one snapshot for ``source_key`` and ingest ``rows`` from it, as a refresh would."""
    with session_scope(engine) as session:
        source = sync_sources(session, load_registry())[source_key]
        raw = RawResponse(
            source=source_key,
            url=url,
            status=200,
            body=body if body is not None else repr(rows).encode(),
            content_type="application/json",
            retrieved_at=retrieved_at.isoformat(),
        )
        snapshot = store_snapshot(session, source, raw).snapshot
        assert source.id is not None and snapshot.id is not None
        return ingest_observations(
            session,
            source_id=source.id,
            snapshot_id=snapshot.id,
            retrieved_at=snapshot.retrieved_at,
            rows=rows,
        )


def art_coverage(value: float, year: int, published: datetime, country: str = "GIN") -> ObservationIn:
    """An HIV ART coverage value as the WHO GHO parser would produce it."""
    return ObservationIn(
        country_iso3=country,
        indicator="HIV_ARTCOVERAGE",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        value_text=repr(value),
        value_num=value,
        unit="%",
        published_at=published,
    )


def seed_database(path: Path) -> str:
    """A database with WHO and World Bank values for Guinea and Côte d'Ivoire, one revision, one failure.

    Known content: GIN HIV_ARTCOVERAGE 2019-2022 from WHO (2022 revised from 60.0 to 64.0 on
    2024-09-15), GIN and CIV out-of-pocket share from WHO and World Bank, and a failed World Bank run.
    """
    url = f"sqlite:///{path}"
    engine = open_store(url)
    first = [art_coverage(50.0 + 3 * (year - 2019), year, PUBLISHED_V1) for year in range(2019, 2023)]
    first[-1] = art_coverage(60.0, 2022, PUBLISHED_V1)
    ingest_rows(
        engine,
        "who_gho",
        "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE",
        first,
        datetime(2023, 6, 1, tzinfo=UTC),
    )
    ingest_rows(
        engine,
        "who_gho",
        "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE",
        [art_coverage(64.0, 2022, PUBLISHED_V2)],
        datetime(2024, 10, 1, tzinfo=UTC),
    )
    oop = [
        ObservationIn(
            country_iso3=country,
            indicator="GHED_OOPSCHE_SHA2011",
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            value_text=str(value),
            value_num=value,
            unit="%",
            published_at=PUBLISHED_V1,
        )
        for country, base in (("GIN", 55.0), ("CIV", 38.0))
        for year, value in ((2018, base), (2019, base + 1.5), (2020, base + 2.5))
    ]
    ingest_rows(
        engine,
        "who_gho",
        "https://ghoapi.azureedge.net/api/GHED_OOPSCHE_SHA2011",
        oop,
        datetime(2023, 6, 1, tzinfo=UTC),
    )
    wb = [
        ObservationIn(
            country_iso3="GIN",
            indicator="SH.XPD.OOPC.CH.ZS",
            period_start=date(2020, 1, 1),
            period_end=date(2020, 12, 31),
            value_text="57.5",
            value_num=57.5,
            unit="%",
            published_at=datetime(2024, 7, 1, tzinfo=UTC),
        ),
    ]
    ingest_rows(
        engine,
        "worldbank_wdi",
        "https://api.worldbank.org/v2/country/all/indicator/SH.XPD.OOPC.CH.ZS?format=json&page=1",
        wb,
        datetime(2024, 7, 2, tzinfo=UTC),
    )
    with session_scope(engine) as session:
        sources = sync_sources(session, load_registry())
        session.add(
            RefreshRun(
                source_id=sources["who_gho"].id,
                started_at=datetime(2024, 10, 1, tzinfo=UTC),
                finished_at=datetime(2024, 10, 1, 0, 5, tzinfo=UTC),
                status="success",
                observations_new=10,
            )
        )
        session.add(
            RefreshRun(
                source_id=sources["worldbank_wdi"].id,
                started_at=datetime(2024, 10, 2, tzinfo=UTC),
                finished_at=datetime(2024, 10, 2, 0, 1, tzinfo=UTC),
                status="failed",
                errors=1,
                error="HTTP 500 from https://api.worldbank.org/v2/country/all/indicator/X",
            )
        )
    return url
