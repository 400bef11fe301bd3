"""Hand-built assessments for tests of what is done with one (exports, references, the archive rule).

One builder, so a field added to :class:`cobase.evidence.model.Assessment` is added to the tests once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from cobase.evidence.model import Assessment, Dimension, Evidence


def continuity_assessment(
    evidence: list[Evidence],
    *,
    country: tuple[str, str, str] = ("GIN", "Guinée", "Guinea"),
    pathology: tuple[str, str, str] = ("hiv", "Infection par le VIH", "HIV infection"),
    as_of: date = date(2024, 6, 30),
    generated_at: datetime = datetime(2024, 7, 1, tzinfo=UTC),
) -> Assessment:
    """An assessment whose only dimension, continuity, holds ``evidence`` (all of it also the latest)."""
    sources = sorted({e.source for e in evidence})
    return Assessment(
        country_iso3=country[0],
        country_name_fr=country[1],
        country_name_en=country[2],
        pathology=pathology[0],
        pathology_name_fr=pathology[1],
        pathology_name_en=pathology[2],
        items=[],
        as_of=as_of,
        window_years=10,
        stale_after_years=3,
        generated_at=generated_at,
        dimensions=[
            Dimension(
                name="continuity",
                label_fr="Continuité",
                label_en="Continuity",
                evidence=evidence,
                latest=evidence,
                trend=[],
                sources=sources,
                independent_sources=sources,
            )
        ],
        gaps=[],
        contradictions=[],
        stale=[],
    )
