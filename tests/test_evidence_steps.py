"""The steps of :func:`cobase.evidence.engine.assess_resolved`, each tested alone on hand-built versions.

Two versions of Guinea's WHO ART coverage for 2022 (availability, scope ``population``): 60.0 first
released on 2023-05-01 and first seen 2023-06-01; revised to 64.0 on 2024-09-15, first seen 2024-10-01.
As of 2024-06-30 the first is shown and the second was published after; as of 2025-03-01 the second is
shown and the first is the earlier version it revised.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cobase.catalogue import load_catalogue
from cobase.db import open_store, session_scope
from cobase.evidence.engine import (
    Frame,
    _links,
    build_dimensions,
    end_of_day,
    evidence_by_dimension,
    evidence_published_after,
    find_gaps,
    links_by_indicator,
    read_versions,
    resolve_items,
    versions_as_of,
)
from cobase.evidence.model import DIMENSIONS
from cobase.harmonize.countries import resolve_country
from cobase.harmonize.medicines import UnknownMedicineError
from cobase.queries import ObservationVersion
from cobase.registry import load_registry
from tests.seed import seed_database

ART = ("who_gho", "HIV_ARTCOVERAGE")
V1 = ObservationVersion(
    id=1,
    series_key="who_gho|GIN|HIV_ARTCOVERAGE||2022",
    source="who_gho",
    indicator="HIV_ARTCOVERAGE",
    breakdown="",
    country_iso3="GIN",
    value_text="60.0",
    value_num=60.0,
    unit="%",
    period_start=date(2022, 1, 1),
    period_end=date(2022, 12, 31),
    published_at=datetime(2023, 5, 1, tzinfo=UTC),
    retrieved_at=datetime(2023, 6, 1, tzinfo=UTC),
    snapshot_sha256="a" * 64,
    url="https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE",
    published_basis="first_release",
    first_seen_at=datetime(2023, 6, 1, tzinfo=UTC),
)
V2 = V1.model_copy(
    update=dict(
        id=2,
        value_text="64.0",
        value_num=64.0,
        published_at=datetime(2024, 9, 15, tzinfo=UTC),
        retrieved_at=datetime(2024, 10, 1, tzinfo=UTC),
        first_seen_at=datetime(2024, 10, 1, tzinfo=UTC),
        snapshot_sha256="b" * 64,
    )
)
OPINION = date(2024, 6, 30)
TODAY = date(2025, 3, 1)


def _frame(as_of: date, items: tuple[str, ...] = ("tdf_3tc_dtg", "viral_load_hiv")) -> Frame:
    return Frame(
        catalogue=load_catalogue(),
        registry=load_registry(),
        pathology="hiv",
        selected=frozenset(items),
        known_by=end_of_day(as_of),
        stale_before=date(as_of.year - 3, as_of.month, as_of.day),
    )


def _by_indicator(frame: Frame):  # type: ignore[no-untyped-def]
    return links_by_indicator(_links(frame.catalogue, frame.registry, "hiv", set(frame.selected)))


# --- dates and items ---------------------------------------------------------------------------------------


def test_end_of_day_is_the_next_midnight_utc() -> None:
    assert end_of_day(OPINION) == datetime(2024, 7, 1, tzinfo=UTC)


def test_resolve_items_keeps_the_order_typed_once_each() -> None:
    catalogue = load_catalogue()
    chosen = resolve_items(["TLD", "charge virale", "tdf_3tc_dtg"], catalogue.pathology("hiv"), catalogue)
    assert [item.id for item in chosen] == ["tdf_3tc_dtg", "viral_load_hiv"]


def test_resolve_items_without_names_is_the_pathologys_default_set() -> None:
    catalogue = load_catalogue()
    hiv = catalogue.pathology("hiv")
    assert resolve_items(None, hiv, catalogue) == resolve_items([], hiv, catalogue)
    assert [item.id for item in resolve_items(None, hiv, catalogue)] == list(hiv.default_items())


def test_resolve_items_refuses_an_unknown_name() -> None:
    catalogue = load_catalogue()
    with pytest.raises(UnknownMedicineError):
        resolve_items(["zzzzqq"], catalogue.pathology("hiv"), catalogue)


def test_links_are_grouped_by_source_and_indicator() -> None:
    by_indicator = _by_indicator(_frame(TODAY))
    assert [link.dimension for link in by_indicator[ART]] == ["availability"]
    # Curated findings inform every dimension they can document.
    assert by_indicator[("contributed", "FINDING_CONTINUITY")][0].dimension == "continuity"


# --- versions as of a date ---------------------------------------------------------------------------------


def test_before_a_revision_the_first_version_is_shown_and_the_revision_came_after() -> None:
    shown, later = versions_as_of([V2, V1], end_of_day(OPINION))
    assert shown == [(V1, True, [])]  # changed later: the revision
    assert later == [V2]


def test_after_a_revision_it_is_shown_with_the_version_it_revised() -> None:
    shown, later = versions_as_of([V1, V2], end_of_day(TODAY))
    assert shown == [(V2, False, [V1])]
    assert later == []


def test_a_series_only_published_after_the_date_is_not_shown() -> None:
    shown, later = versions_as_of([V2], end_of_day(OPINION))
    assert (shown, later) == ([], [V2])


def test_with_nothing_proven_the_earliest_unknown_version_is_shown() -> None:
    # Only a last-modified date after the opinion, and our retrieval after it: nothing proves either way.
    late = V2.model_copy(update={"published_basis": "last_modified"})
    shown, _later = versions_as_of([late], end_of_day(OPINION))
    assert shown == [(late, False, [])]


# --- evidence, dimensions, gaps ------------------------------------------------------------------------


def test_evidence_by_dimension_files_each_version_under_its_links_dimension() -> None:
    frame = _frame(TODAY)
    shown, _later = versions_as_of([V1, V2], frame.known_by)
    per_dimension, revisions = evidence_by_dimension(shown, _by_indicator(frame), frame)
    assert list(per_dimension) == list(DIMENSIONS)
    (art,) = per_dimension["availability"]
    assert (art.value, art.scope, art.as_of_status, art.stale) == (
        "64.0",
        "population",
        "published_by",
        False,
    )
    assert [entry for name, found in per_dimension.items() if name != "availability" for entry in found] == []
    ((revised, earlier),) = revisions
    assert (revised.value, [e.value for e in earlier]) == ("64.0", ["60.0"])


def test_a_retracted_finding_is_not_evidence() -> None:
    frame = _frame(TODAY)
    retracted = V2.model_copy(
        update={"source": "contributed", "indicator": "FINDING_CONTINUITY", "review_status": "retracted"}
    )
    per_dimension, revisions = evidence_by_dimension([(retracted, False, [])], _by_indicator(frame), frame)
    assert all(found == [] for found in per_dimension.values()) and revisions == []


def test_evidence_published_after_keeps_its_status() -> None:
    frame = _frame(OPINION)
    _shown, later = versions_as_of([V1, V2], frame.known_by)
    (after,) = evidence_published_after(later, _by_indicator(frame), frame)
    assert (after.value, after.as_of_status) == ("64.0", "published_after")


def test_an_old_period_is_stale() -> None:
    frame = replace(_frame(TODAY), stale_before=date(2023, 1, 1))
    shown, _later = versions_as_of([V1, V2], frame.known_by)
    per_dimension, _revisions = evidence_by_dimension(shown, _by_indicator(frame), frame)
    assert per_dimension["availability"][0].stale is True


def test_build_dimensions_gives_every_dimension_in_order() -> None:
    frame = _frame(TODAY)
    older = V1.model_copy(update={"id": 3, "series_key": "who_gho|GIN|HIV_ARTCOVERAGE||2021",
                                  "period_start": date(2021, 1, 1), "period_end": date(2021, 12, 31),
                                  "value_text": "55.0", "value_num": 55.0})  # fmt: skip
    shown, _later = versions_as_of([V1, V2, older], frame.known_by)
    per_dimension, _revisions = evidence_by_dimension(shown, _by_indicator(frame), frame)
    dimensions = build_dimensions(per_dimension)
    assert [d.name for d in dimensions] == list(DIMENSIONS)
    availability = dimensions[0]
    assert [e.value for e in availability.evidence] == ["55.0", "64.0"]  # by period
    assert [e.value for e in availability.latest] == ["64.0"]  # one per series of the indicator
    assert availability.sources == ["who_gho"]
    assert all(d.evidence == [] for d in dimensions[1:])


def test_find_gaps_names_items_dimensions_and_uncovered_sources() -> None:
    frame = _frame(TODAY)
    catalogue = frame.catalogue
    chosen = [catalogue.items["tdf_3tc_dtg"], catalogue.items["viral_load_hiv"]]
    links = _links(catalogue, frame.registry, "hiv", set(frame.selected))
    shown, _later = versions_as_of([V1, V2], frame.known_by)
    dimensions = build_dimensions(evidence_by_dimension(shown, links_by_indicator(links), frame)[0])
    gaps = find_gaps(chosen, dimensions, links, frame.registry, resolve_country("GIN"), [])
    # The ART coverage is national context (no items): both chosen items stay undocumented.
    assert [(g.kind, g.id) for g in gaps if g.kind == "item"] == [
        ("item", "tdf_3tc_dtg"),
        ("item", "viral_load_hiv"),
    ]
    assert [g.id for g in gaps if g.kind == "dimension"] == [d for d in DIMENSIONS if d != "availability"]
    # OECD declares the countries it covers (params.countries), Guinea is not one: its silence is expected.
    assert [(g.id, g.message_en) for g in gaps if g.kind == "source"] == [
        (
            "oecd_health",
            "OECD (oecd_health) does not cover Guinea: no data is to be expected from this source.",
        )
    ]


# --- the one read -------------------------------------------------------------------------------------


def test_read_versions_reads_the_window_only(tmp_path: Path) -> None:
    url = seed_database(tmp_path / "seed.db")
    with session_scope(open_store(url)) as session:
        everything = read_versions(session, "GIN", [ART], date(2000, 1, 1))
        recent = read_versions(session, "GIN", [ART], date(2021, 1, 1))
    # 2019-2022 first seen in 2023 and the 2022 value revised: five versions; three end in 2021 or later.
    assert sorted((v.period_end.year, v.value) for v in everything) == [
        (2019, "50.0"), (2020, "53.0"), (2021, "56.0"), (2022, "60.0"), (2022, "64.0")
    ]  # fmt: skip
    assert sorted((v.period_end.year, v.value) for v in recent) == [
        (2021, "56.0"),
        (2022, "60.0"),
        (2022, "64.0"),
    ]
