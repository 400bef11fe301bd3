"""A store holding the three Algerian fixture versions, ingested in-process through the real parser,
harmonization and ingestion (for app and dossier tests that need no refresh subprocess)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cobase.db import open_store
from cobase.harmonize.records import HarmonizeReport, harmonize
from cobase.parse.dz_miph_nomenclature import parse
from cobase.registry import load_registry
from tests.helpers import fixture_bytes
from tests.seed import ingest_rows

SOURCE = "dz_miph_nomenclature"
VERSIONS = [
    "NOMENCLATURE-01.07.2018.xlsx",
    "nomenclature-au-31-Dcembre-2019.xlsx",
    "NOMENCLATURE-VERSION-FEVRIER-2026-.xlsx",
]
RETRIEVED_AT = datetime(2026, 3, 5, tzinfo=UTC)


def algerian_register_store(folder: Path) -> str:
    """The database URL of a new store in ``folder`` holding the three fixture versions."""
    url = f"sqlite:///{folder / 'registers.db'}"
    engine = open_store(url)
    source = load_registry().get(SOURCE)
    for name in VERSIONS:
        body = fixture_bytes(SOURCE, name)
        rows = list(harmonize(parse(body, name, {}), source, HarmonizeReport()))
        ingest_rows(engine, SOURCE, f"https://www.miph.gov.dz/{name}", rows, RETRIEVED_AT, body)
    return url
