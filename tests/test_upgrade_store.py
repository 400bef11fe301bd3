"""A store filled by the previous schema (revision 0020) is upgraded and answers exactly as before.

``tests/fixtures/stores/store_0020.db`` was filled by the code of revision 0020 (see ``make_store_0020.py``
beside it): demonstration data with quoted, paged document mentions, a producer's revision of two series
(one with a breakdown), a withdrawn value, and a curated finding confirmed by a second person. The
``assess_*.json`` beside it are that code's ``cobase assess --format json`` answers. After the upgrade by
today's code, every stored value and version is kept and the same questions get the same answers.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from cobase.db import current_revision, head_revision, open_store, session_scope
from cobase.evidence import assess
from cobase.findings import list_findings
from cobase.harmonize.records import ObservationIn
from cobase.ingest import ingest_observations
from cobase.models import Observation
from cobase.queries import list_observations
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
