"""The effective-access evidence engine: from dated observations to what a physician must show.

For one country, pathology and set of treatments, :func:`assess` gathers every observation of the
indicators the catalogue links to that pathology, keeps the version that had been published by the
*as-of* date, and sorts it by access dimension, with gaps, contradictions and stale data in plain sight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlmodel import Session

from cobase.catalogue import Catalogue, Item, Pathology, load_catalogue
from cobase.clock import utcnow, years_before
from cobase.db import open_store, session_scope
from cobase.demonstration import is_demonstration
from cobase.evidence.deliveries import UNWINDOWED_INDICATORS
from cobase.evidence.model import (
    DIMENSION_LABELS,
    DIMENSIONS,
    Assessment,
    Dimension,
    Evidence,
    Gap,
    Scope,
)
from cobase.evidence.readings import find_contradictions, trends
from cobase.evidence.references import DOCUMENT_SOURCES, map_evidence, with_references
from cobase.evidence.register_timeline import (
    REGISTER_SOURCES,
    RegisterTimeline,
    register_gaps,
    register_timelines_for,
)
from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE
from cobase.findings import finding_indicators
from cobase.harmonize.countries import Country, resolve_country
from cobase.harmonize.medicines import resolve_item
from cobase.queries import ObservationVersion, observation_versions
from cobase.registry import Registry, load_registry

DEFAULT_WINDOW_YEARS = 10
DEFAULT_STALE_YEARS = 3


@lru_cache(maxsize=4)
def _registry(path: str | None = None) -> Registry:
    return load_registry(path)


@dataclass(frozen=True)
class _Link:
    source: str
    indicator: str
    dimension: str
    items: tuple[str, ...]
    scope: Scope = "item"
    about_fr: str | None = None
    about_en: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Subject:
    """What one observation is evidence about, for this assessment."""

    items: tuple[str, ...]
    scope: Scope
    about_fr: str | None = None
    about_en: str | None = None
    members: tuple[str, ...] = ()


def _links(
    catalogue: Catalogue, registry: Registry, pathology: str, selected: AbstractSet[str]
) -> list[_Link]:
    """Indicators informing this pathology, restricted to the selected items when they are item-specific.

    An item link lists its items (kept only when the patient needs one); a class link is kept only when
    the patient needs a member of the class (or a combination containing one); population and system
    links are national context and always kept.
    """
    needed = selected | {part for item_id in selected for part in catalogue.items[item_id].components}
    links: list[_Link] = []
    for source_key, code, link in catalogue.indicators_for(pathology):
        source = registry.sources.get(source_key)
        indicator = source.indicator(code) if source else None
        dimension = link.dimension or (indicator.dimension.value if indicator else None)
        if dimension is None or dimension not in DIMENSIONS:
            continue
        items = tuple(item for item in link.items if item in selected) if link.items else ()
        if link.items and not items:
            continue  # about treatments this patient does not need
        if link.members and not needed & set(link.members):
            continue  # about a class of treatments this patient does not take
        links.append(
            _Link(
                source_key,
                code,
                str(dimension),
                items,
                link.scope,
                link.about_fr,
                link.about_en,
                link.members,
            )
        )
    # Curated findings carry their own dimension and item; they inform every pathology.
    links += [_Link(key, code, dimension, ()) for key, code, dimension in finding_indicators()]
    return links


def _not_covered(registry: Registry, links: list[_Link], iso3: str, name_fr: str, name_en: str) -> list[Gap]:
    """Sources linked to this pathology that do not cover the country at all (``params.countries``).

    Their silence is not evidence of anything, and the physician must see that it is expected.
    """
    gaps: list[Gap] = []
    for key in sorted({link.source for link in links}):
        source = registry.sources.get(key)
        countries = source.params.get("countries") if source else None
        if not isinstance(countries, list) or iso3 in countries:
            continue
        gaps.append(
            Gap(
                kind="source",
                id=key,
                name_fr=source.title if source else key,
                name_en=source.title if source else key,
                message_fr=f"{source.producer if source else key} ({key}) ne couvre pas {name_fr} : "
                "aucune donnée n'est à attendre de cette source.",
                message_en=f"{source.producer if source else key} ({key}) does not cover {name_en}: "
                "no data is to be expected from this source.",
            )
        )
    return gaps


def _subject(
    version: ObservationVersion, link: _Link, selected: AbstractSet[str], catalogue: Catalogue, pathology: str
) -> _Subject | None:
    """What an observation is evidence about; None when it is not about this patient's pathology.

    An observation naming an item is about that item, and counts only when the patient needs it. An
    item link without items takes its item from each observation: one that names none (a report's
    sentence about "HIV medicines") reaches a pathology only when its text names that pathology or its
    treatments (ARV, dialyse), and is then about that pathology's treatments in general.
    """
    if version.item is not None:
        return _Subject((version.item,), "item") if version.item in selected else None
    if version.source in REGISTER_SOURCES:
        return None  # a register's product whose DCI is outside the catalogue: about no patient's item
    if link.scope != "item":
        return _Subject((), link.scope, link.about_fr, link.about_en, link.members)
    if link.items:
        return _Subject(link.items, "item")
    if version.source == FINDINGS_SOURCE:
        return _Subject(
            (),
            "population",
            "constat général, sans traitement précis",
            "general finding, no specific treatment",
        )
    if pathology not in catalogue.pathologies_named(f"{version.value}\n{version.quote or ''}"):
        return None  # a report about another disease, or about none
    named = catalogue.pathologies[pathology]
    return _Subject(
        (),
        "class",
        f"{named.name_fr} : traitements en général (aucun médicament nommé)",
        f"{named.name_en}: treatment in general (no medicine named)",
    )


def _one_per_statement(evidence: list[Evidence]) -> list[Evidence]:
    """One entry per statement: the records a report gives one sentence (one per medicine it names)
    become one piece of evidence about all those items, so one document's sentence counts once."""
    merged: dict[tuple[object, ...], Evidence] = {}
    for entry in evidence:
        key = (entry.source, entry.indicator, entry.breakdown, entry.period_start, entry.period_end,
               entry.value, entry.quote, entry.scope, entry.snapshot_sha256)  # fmt: skip
        kept = merged.get(key)
        if kept is None:
            merged[key] = entry
        elif entry.items and not set(entry.items) <= set(kept.items):
            items = list(dict.fromkeys([*kept.items, *entry.items]))
            merged[key] = kept.model_copy(update={"items": items, "item": items[0]})
    return list(merged.values())


_COPIED_FROM_VERSION = tuple(
    name
    for name in Evidence.model_fields
    if name in ObservationVersion.model_fields and name not in ("item", "first_seen_at")
)
"""The fields an evidence takes as they are from the stored version: those of the same name, but the
catalogue item (the evidence's is the one it is read for) and the first sighting (never empty here)."""


def _to_evidence(
    version: ObservationVersion,
    link: _Link,
    registry: Registry,
    revised_later: bool,
    stale_before: date,
    subject: _Subject | None = None,
    known_by: datetime | None = None,
) -> Evidence:
    source = registry.sources.get(version.source)
    indicator = source.indicator(version.indicator) if source else None
    contributed = version.source == FINDINGS_SOURCE
    subject = subject or _Subject((), "item")
    items = subject.items
    # An indicator may republish another producer's figures even when its source does not (WHO's ART
    # coverage is the UNAIDS estimate): the indicator's own declaration comes first.
    republishes = (indicator.republishes if indicator else None) or (source.republishes if source else None)
    return Evidence(
        **{name: getattr(version, name) for name in _COPIED_FROM_VERSION},
        producer=source.producer if source else (version.contributed_by or version.source),
        label_fr=indicator.label_fr
        if indicator
        else ("Constat contribué" if contributed else version.indicator),
        label_en=indicator.label_en
        if indicator
        else ("Contributed finding" if contributed else version.indicator),
        item=items[0] if items else None,
        items=list(items),
        value=version.value,
        republishes=republishes,
        scope=subject.scope,
        about_fr=subject.about_fr,
        about_en=subject.about_en,
        class_members=list(subject.members),
        revised_later=revised_later,
        first_seen_at=version.first_seen,
        as_of_status=version.as_of_status(known_by) if known_by else "unknown",  # type: ignore[arg-type]
        stale=version.period_end < stale_before,
    )


def versions_as_of(
    versions: Iterable[ObservationVersion], known_by: datetime
) -> tuple[list[tuple[ObservationVersion, bool, list[ObservationVersion]]], list[ObservationVersion]]:
    """Per series: the version shown as of ``known_by``, whether it changed later, and earlier versions.

    Versions are ordered by when we first saw them, then by the producer's date. The version shown is the
    latest one proven public by ``known_by`` (``published_by``); when none is, the earliest one not proven
    published after it (``unknown``: a last-modified date or our own retrieval proves nothing about earlier
    publication), never one proven published after. Also returns, per series, the newest version proven
    published after ``known_by`` (``published_after``: not knowable then).
    """
    by_series: dict[str, list[ObservationVersion]] = defaultdict(list)
    for version in versions:
        by_series[version.series_key].append(version)
    shown: list[tuple[ObservationVersion, bool, list[ObservationVersion]]] = []
    later: list[ObservationVersion] = []
    for series in by_series.values():
        if len(series) > 1:
            series.sort(key=lambda v: (v.first_seen, v.published_at or v.first_seen, v.id))
        statuses = [version.as_of_status(known_by) for version in series]
        after = [position for position, status in enumerate(statuses) if status == "published_after"]
        if after:
            later.append(series[after[-1]])
        proven = [position for position, status in enumerate(statuses) if status == "published_by"]
        if proven:
            chosen = proven[-1]
        else:
            chosen = next((p for p, status in enumerate(statuses) if status != "published_after"), -1)
            if chosen < 0:
                continue
        current = series[chosen]
        changed_later = any(v.value != current.value for v in series[chosen + 1 :])
        earlier = [v for v, s in zip(series[:chosen], statuses[:chosen], strict=True) if s == "published_by"]
        shown.append((current, changed_later, earlier))
    return shown, later


@dataclass(frozen=True)
class Frame:
    """What the pure steps of one assessment need to know besides the versions they are given: the
    declarations (catalogue, registry), the patient's pathology and items, and the dates that judge a
    version (``known_by``: the end of the as-of day, exclusive; ``stale_before``)."""

    catalogue: Catalogue
    registry: Registry
    pathology: str
    selected: frozenset[str]
    known_by: datetime
    stale_before: date


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` (UTC): what "published by ``day``" is compared with."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def resolve_items(names: Sequence[str] | None, pathology: Pathology, catalogue: Catalogue) -> list[Item]:
    """Free-text names as catalogue items, in the order typed, each once; none means the pathology's
    default set (the first-line treatment and follow-up the app pre-ticks).

    Raises :class:`cobase.harmonize.medicines.UnknownMedicineError` for a name that matches no item.
    """
    if not names:
        return catalogue.default_items(pathology.id)
    chosen: list[Item] = []
    for name in names:
        match = resolve_item(name)
        if match.item.id not in {item.id for item in chosen}:
            chosen.append(match.item)
    return chosen


def links_by_indicator(links: Iterable[_Link]) -> dict[tuple[str, str], list[_Link]]:
    """(source, indicator) -> the links through which its observations are evidence here."""
    by_indicator: dict[tuple[str, str], list[_Link]] = defaultdict(list)
    for link in links:
        by_indicator[(link.source, link.indicator)].append(link)
    return by_indicator


def read_versions(
    session: Session, country_iso3: str, indicators: Iterable[tuple[str, str]], window_start: date
) -> list[ObservationVersion]:
    """Every stored version of the indicators for the country: those whose period ends in the window,
    and deliveries whatever their age (the last recorded delivery is always stated, however old)."""
    wanted = list(indicators)
    windowed = [key for key in wanted if key[1] not in UNWINDOWED_INDICATORS]
    versions = observation_versions(session, country_iso3, windowed, period_end_from=window_start)
    return versions + observation_versions(
        session, country_iso3, [key for key in wanted if key[1] in UNWINDOWED_INDICATORS]
    )


def _evidence(
    version: ObservationVersion, link: _Link, subject: _Subject, revised_later: bool, frame: Frame
) -> Evidence:
    return _to_evidence(
        version, link, frame.registry, revised_later, frame.stale_before, subject, frame.known_by
    )


def _subject_in(version: ObservationVersion, link: _Link, frame: Frame) -> _Subject | None:
    return _subject(version, link, frame.selected, frame.catalogue, frame.pathology)


Revision = tuple[Evidence, list[Evidence]]
"""A value shown, with the earlier versions of its series that were public by the as-of date."""


def evidence_by_dimension(
    shown: Iterable[tuple[ObservationVersion, bool, list[ObservationVersion]]],
    by_indicator: dict[tuple[str, str], list[_Link]],
    frame: Frame,
) -> tuple[dict[str, list[Evidence]], list[Revision]]:
    """The versions shown as of the date, as evidence per access dimension (one entry per statement),
    and the revisions a producer made to them before that date (for contradictions)."""
    per_dimension: dict[str, list[Evidence]] = {name: [] for name in DIMENSIONS}
    revisions: list[Revision] = []
    for version, changed_later, earlier in shown:
        if version.review_status == "retracted":
            continue  # a retracted finding is history, not evidence
        for link in by_indicator[(version.source, version.indicator)]:
            subject = _subject_in(version, link, frame)
            if subject is None:
                continue
            evidence = _evidence(version, link, subject, changed_later, frame)
            per_dimension[link.dimension].append(evidence)
            if earlier:
                revisions.append((evidence, [_evidence(v, link, subject, True, frame) for v in earlier]))
    return {name: _one_per_statement(found) for name, found in per_dimension.items()}, revisions


def evidence_published_after(
    later: Iterable[ObservationVersion], by_indicator: dict[tuple[str, str], list[_Link]], frame: Frame
) -> list[Evidence]:
    """The versions proven published after the as-of date, as evidence (one entry per statement)."""
    return _one_per_statement(
        [
            _evidence(version, link, subject, False, frame)
            for version in later
            for link in by_indicator[(version.source, version.indicator)]
            if (subject := _subject_in(version, link, frame)) is not None
        ]
    )


def build_dimensions(per_dimension: dict[str, list[Evidence]]) -> list[Dimension]:
    """One :class:`Dimension` per access dimension, in the engine's order: its evidence sorted by series
    then period, the latest value of each series, trends, and which sources (independent ones) speak."""
    dimensions: list[Dimension] = []
    for name in DIMENSIONS:
        ordered = sorted(
            per_dimension[name], key=lambda e: (e.source, e.indicator, e.breakdown, e.period_start)
        )
        latest_by_series: dict[tuple[str, str, str, str | None], Evidence] = {}
        for entry in ordered:
            latest_by_series[(entry.source, entry.indicator, entry.breakdown, entry.item)] = entry
        label_fr, label_en = DIMENSION_LABELS[name]
        dimensions.append(
            Dimension(
                name=name,
                label_fr=label_fr,
                label_en=label_en,
                evidence=ordered,
                latest=list(latest_by_series.values()),
                trend=trends(ordered),
                sources=sorted({e.source for e in ordered}),
                independent_sources=sorted({e.source for e in ordered if e.independent}),
            )
        )
    return dimensions


def find_gaps(
    chosen: Sequence[Item],
    dimensions: Sequence[Dimension],
    links: list[_Link],
    registry: Registry,
    country: Country,
    registers: list[RegisterTimeline],
) -> list[Gap]:
    """What nothing documents: each chosen item no evidence is about, each dimension without evidence,
    each linked source that does not cover the country, and what the national registers lack."""
    covered_items = {item for d in dimensions for e in d.evidence for item in e.items}
    gaps = [
        Gap(
            kind="item",
            id=item.id,
            name_fr=item.name_fr,
            name_en=item.name_en,
            message_fr=f"Aucune source ne documente l'accès à : {item.name_fr}.",
            message_en=f"No source documents access to: {item.name_en}.",
        )
        for item in chosen
        if item.id not in covered_items
    ]
    gaps += [
        Gap(
            kind="dimension",
            id=d.name,
            name_fr=d.label_fr,
            name_en=d.label_en,
            message_fr=f"Aucune source ne documente cette dimension de l'accès : {d.label_fr.lower()}.",
            message_en=f"No source documents this access dimension: {d.label_en.lower()}.",
        )
        for d in dimensions
        if not d.evidence
    ]
    gaps += _not_covered(registry, links, country.iso3, country.name_fr, country.name_en)
    gaps += register_gaps(registers, {item.id: item for item in chosen}, registry)
    return gaps


def assess_resolved(
    session: Session,
    country: Country,
    pathology: Pathology,
    items: Sequence[Item],
    as_of: date | None = None,
    window_years: int = DEFAULT_WINDOW_YEARS,
    *,
    stale_after_years: int = DEFAULT_STALE_YEARS,
    registry: Registry | None = None,
) -> Assessment:
    """Assess what sources say about effective access to care for ``pathology`` in ``country``, for the
    patient's ``items`` (already resolved: see :func:`resolve_items`), as of ``as_of`` (default: today).

    Reads the store twice (the versions, the registers) and runs the pure steps between: the versions
    shown as of the date (:func:`versions_as_of`), evidence per dimension, gaps, contradictions.
    ``as_of`` sets aside what is proven published after that date (``published_after``) and gives each
    evidence item its ``as_of_status`` (``published_by``, ``published_after`` or ``unknown``).
    """
    if window_years < 1:
        raise ValueError("window must be at least 1 year")
    catalogue = load_catalogue()
    registry = registry or _registry(None)
    chosen = list(items)
    day = as_of or utcnow().date()
    frame = Frame(
        catalogue=catalogue,
        registry=registry,
        pathology=pathology.id,
        selected=frozenset(item.id for item in chosen),
        known_by=end_of_day(day),
        stale_before=years_before(day, stale_after_years),
    )
    links = _links(catalogue, registry, pathology.id, frame.selected)
    by_indicator = links_by_indicator(links)
    versions = read_versions(session, country.iso3, list(by_indicator), years_before(day, window_years))
    shown, later = versions_as_of(versions, frame.known_by)
    per_dimension, revisions = evidence_by_dimension(shown, by_indicator, frame)
    published_after = evidence_published_after(later, by_indicator, frame)
    dimensions = build_dimensions(per_dimension)
    registers = register_timelines_for(
        session, country.iso3, [item.id for item in chosen if item.kind == "medicine"], day
    )
    assessment = Assessment(
        country_iso3=country.iso3,
        country_name_fr=country.name_fr,
        country_name_en=country.name_en,
        pathology=pathology.id,
        pathology_name_fr=pathology.name_fr,
        pathology_name_en=pathology.name_en,
        items=[item.id for item in chosen],
        as_of=day,
        window_years=window_years,
        stale_after_years=stale_after_years,
        generated_at=utcnow(),
        dimensions=dimensions,
        gaps=find_gaps(chosen, dimensions, links, registry, country, registers),
        contradictions=find_contradictions(
            per_dimension["availability"], per_dimension["continuity"], revisions
        ),
        stale=[e for d in dimensions for e in d.evidence if e.stale],
        published_after_as_of=published_after,
        registers=registers,
        demonstration=is_demonstration(session),
    )
    return archived_as_of(with_references(session, assessment, registry))


def assess(
    country: str,
    pathology: str,
    items: Sequence[str] | None = None,
    as_of: date | None = None,
    window_years: int = DEFAULT_WINDOW_YEARS,
    *,
    stale_after_years: int = DEFAULT_STALE_YEARS,
    session: Session | None = None,
    db: str | None = None,
    sources: str | None = None,
) -> Assessment:
    """:func:`assess_resolved` from free text, opening the store when no session is given.

    ``country`` is a code or a name (French or English, typos tolerated); ``items`` are free-text names
    of medicines, tests or specialists (default: the first-line set of :meth:`Pathology.default_items`,
    the one the app pre-ticks); ``pathology`` is an id or any French or English name ("VIH"). Kept for
    the many callers (tests, scripts) that hold text, not resolved objects.
    """
    if window_years < 1:
        raise ValueError("window must be at least 1 year")
    if session is None:
        with session_scope(open_store(db)) as own_session:
            return assess(
                country,
                pathology,
                items,
                as_of,
                window_years,
                stale_after_years=stale_after_years,
                session=own_session,
                sources=sources,
            )
    catalogue = load_catalogue()
    resolved_country = resolve_country(country)
    resolved_pathology = catalogue.pathology(pathology)
    chosen = resolve_items(items, resolved_pathology, catalogue)
    return assess_resolved(
        session,
        resolved_country,
        resolved_pathology,
        chosen,
        as_of,
        window_years,
        stale_after_years=stale_after_years,
        registry=_registry(sources),
    )


def archived_as_of(assessment: Assessment) -> Assessment:
    """Archived copies as proof of publication: applied after the as-of statuses are computed.

    A document (report, article, curated finding's source) whose page the Wayback Machine captured on
    or before the as-of date was public by then: an ``unknown`` item becomes ``published_by``. Only
    document sources count: a capture of a data page proves the page existed, not that it showed this
    value. Nothing else changes (``published_after`` rests on the producer's own date).
    """
    end_of_day = datetime.combine(assessment.as_of + timedelta(days=1), time(0), tzinfo=UTC)
    if not any(e.archived_at is not None for d in assessment.dimensions for e in d.evidence) and not any(
        e.archived_at is not None for e in assessment.published_after_as_of
    ):
        return assessment  # nothing archived: nothing to change

    def proven(evidence: Evidence) -> Evidence:
        if (
            evidence.as_of_status == "unknown"
            and evidence.source in DOCUMENT_SOURCES
            and evidence.archived_at is not None
            and evidence.archived_at < end_of_day
        ):
            return evidence.model_copy(update={"as_of_status": "published_by"})
        return evidence

    return map_evidence(assessment, proven)
