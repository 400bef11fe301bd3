"""Replay of real recordings (issue 8 acceptance): Guinea, type 1 diabetes, as of 30/06/2024.

The real WHO NCD CCS (Athena CSV), WHO GHO (bulk CSV of out-of-pocket spending) and UNAIDS (AIDSinfo
export) recordings in ``../shared/fixtures`` go through the real ingestion path, retrieved after the as-of
date. Their dates are last-modified stamps or none at all: nothing may be claimed published after the date.
Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from cobase import refresh
from cobase.db import open_store
from cobase.evidence import assess
from cobase.registry import load_registry
from crawlers.items import RawResponse
from tests.helpers import real_recording

RETRIEVED = "2026-08-22T12:00:00+00:00"
RECORDINGS = [
    ("who_ncd_ccs", ("who_ncd_ccs", "gho_athena_NCD_CCS_Insulin.csv"), {}),
    ("who_gho", ("who_gho", "ghobulk_health-financing", "data", "GHED_OOPSCHE_SHA2011.csv"), {}),
    (
        "unaids_aidsinfo",
        ("unaids", "aidsinfo_export_Treatment_cascade_PLHIV_suppressed_viral_loads_pct_All_ages.csv"),
        {"indicator": "UNAIDS_VL_SUPPRESSED", "subgroup": "All ages"},
    ),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    paths = [(source, real_recording(*parts), meta) for source, parts, meta in RECORDINGS]
    url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'r.db'}"
    engine: sa.Engine = open_store(url)
    registry = load_registry()
    for source, path, meta in paths:
        raw = RawResponse(
            source=source,
            url=Path(path).as_uri(),
            status=200,
            body=path.read_bytes(),
            content_type="text/csv",
            retrieved_at=RETRIEVED,
            request_meta=meta,
        )
        summary = refresh.ingest_raw(engine, registry, raw)
        assert summary.errors == [], summary.errors
    return url


def test_guinea_type1_diabetes_as_of_2024_06_30_claims_nothing_published_after(db: str) -> None:
    result = assess("GIN", "diabetes_t1", as_of=date(2024, 6, 30), db=db)
    evidence = [e for d in result.dimensions for e in d.evidence]
    sources = {e.source for e in evidence}
    assert {"who_ncd_ccs", "who_gho"} <= sources
    assert [e for e in evidence if e.as_of_status == "published_after"] == []
    assert result.published_after_as_of == []


def test_real_recordings_carry_their_basis(db: str) -> None:
    result = assess("GIN", "diabetes_t1", as_of=date(2024, 6, 30), db=db)
    bases = {(e.source, e.published_basis) for d in result.dimensions for e in d.evidence}
    # The Athena CSV states no date (first seen); the GHO bulk Date is a last-modified stamp.
    assert {("who_ncd_ccs", "first_seen"), ("who_gho", "last_modified")} <= bases
