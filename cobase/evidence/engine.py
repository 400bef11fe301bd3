"""The effective-access evidence engine: from dated observations to what a physician must show.

For one country, pathology and set of treatments, :func:`assess` gathers every observation of the
indicators the catalogue links to that pathology, keeps the version that had been published by the
*as-of* date, and sorts it by access dimension, with gaps, contradictions and stale data in plain sight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlmodel import Session

from cobase.catalogue import Catalogue, Item, load_catalogue
from cobase.clock import utcnow, years_before
from cobase.db import open_store, session_scope
from cobase.demonstration import is_demonstration
from cobase.evidence.deliveries import UNWINDOWED_INDICATORS
from cobase.evidence.model import (
    DIMENSION_LABELS,
    DIMENSIONS,
    Assessment,
    Contradiction,
    Dimension,
    Evidence,
    Gap,
    Scope,
)
from cobase.evidence.readings import find_contradictions, trends
from cobase.evidence.references import DOCUMENT_SOURCES, map_evidence, with_references
from cobase.evidence.register_timeline import REGISTER_SOURCES, register_gaps, register_timelines_for
from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE
from cobase.findings import finding_indicators
from cobase.harmonize.countries import resolve_country
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


def _links(catalogue: Catalogue, registry: Registry, pathology: str, selected: set[str]) -> list[_Link]:
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
    version: ObservationVersion, link: _Link, selected: set[str], catalogue: Catalogue, pathology: str
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
        source=version.source,
        producer=source.producer if source else (version.contributed_by or version.source),
        indicator=version.indicator,
        label_fr=indicator.label_fr
        if indicator
        else ("Constat contribué" if contributed else version.indicator),
        label_en=indicator.label_en
        if indicator
        else ("Contributed finding" if contributed else version.indicator),
        item=items[0] if items else None,
        items=list(items),
        breakdown=version.dimension,
        value=version.value,
        value_num=version.value_num,
        unit=version.unit,
        period_start=version.period_start,
        period_end=version.period_end,
        published_at=version.published_at,
        retrieved_at=version.retrieved_at,
        url=version.url,
        snapshot_sha256=version.snapshot_sha256,
        quote=version.quote,
        page=version.page,
        review_status=version.review_status,
        contributed_by=version.contributed_by,
        republishes=republishes,
        scope=subject.scope,
        about_fr=subject.about_fr,
        about_en=subject.about_en,
        class_members=list(subject.members),
        revised_later=revised_later,
        published_basis=version.published_basis,  # type: ignore[arg-type]
        first_seen_at=version.first_seen,
        last_seen_at=version.last_seen_at,
        as_of_status=version.as_of_status(known_by) if known_by else "unknown",  # type: ignore[arg-type]
        withdrawn_at=version.withdrawn_at,
        stale=version.period_end < stale_before,
    )


def _versions_as_of(
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
    """Assess what sources say about effective access to care for ``pathology`` in ``country``.

    ``country`` is a code or a name (French or English, typos tolerated); ``items`` are free-text names
    of medicines, tests or specialists (default: the first-line set of :meth:`Pathology.default_items`,
    the one the app pre-ticks); ``pathology`` is an id or any French or English name ("VIH");
    ``as_of`` sets aside what is proven published after that date (``published_after``) and gives each
    evidence item its ``as_of_status`` (``published_by``, ``published_after`` or ``unknown``).
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
    registry = _registry(sources)
    resolved_country = resolve_country(country)
    resolved_pathology = catalogue.pathology(pathology)
    if items:
        chosen: list[Item] = []
        for name in items:
            match = resolve_item(name)
            if match.item.id not in {item.id for item in chosen}:
                chosen.append(match.item)
    else:
        chosen = catalogue.default_items(resolved_pathology.id)
    selected = {item.id for item in chosen}
    day = as_of or utcnow().date()
    known_by = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    window_start = years_before(day, window_years)
    stale_before = years_before(day, stale_after_years)

    links = _links(catalogue, registry, resolved_pathology.id, selected)
    link_by_indicator: dict[tuple[str, str], list[_Link]] = defaultdict(list)
    for link in links:
        link_by_indicator[(link.source, link.indicator)].append(link)
    windowed = [key for key in link_by_indicator if key[1] not in UNWINDOWED_INDICATORS]
    versions = observation_versions(session, resolved_country.iso3, windowed, period_end_from=window_start)
    # Deliveries are read whatever their age: the last recorded delivery is always stated, however old.
    versions += observation_versions(
        session, resolved_country.iso3, [key for key in link_by_indicator if key[1] in UNWINDOWED_INDICATORS]
    )
    shown, later = _versions_as_of(versions, known_by)

    per_dimension: dict[str, list[Evidence]] = {name: [] for name in DIMENSIONS}
    revisions: list[tuple[Evidence, list[Evidence]]] = []
    for version, changed_later, earlier in shown:
        if version.review_status == "retracted":
            continue  # a retracted finding is history, not evidence
        for link in link_by_indicator[(version.source, version.indicator)]:
            subject = _subject(version, link, selected, catalogue, resolved_pathology.id)
            if subject is None:
                continue
            evidence = _to_evidence(version, link, registry, changed_later, stale_before, subject, known_by)
            per_dimension[link.dimension].append(evidence)
            if earlier:
                revisions.append(
                    (
                        evidence,
                        [
                            _to_evidence(v, link, registry, True, stale_before, subject, known_by)
                            for v in earlier
                        ],
                    )
                )
    per_dimension = {name: _one_per_statement(found) for name, found in per_dimension.items()}
    published_after = _one_per_statement(
        [
            _to_evidence(version, link, registry, False, stale_before, subject, known_by)
            for version in later
            for link in link_by_indicator[(version.source, version.indicator)]
            if (subject := _subject(version, link, selected, catalogue, resolved_pathology.id)) is not None
        ]
    )

    dimensions: list[Dimension] = []
    for name in DIMENSIONS:
        ordered = sorted(
            per_dimension[name], key=lambda e: (e.source, e.indicator, e.breakdown, e.period_start)
        )
        latest_by_series: dict[tuple[str, str, str, str | None], Evidence] = {}
        for entry in ordered:
            latest_by_series[(entry.source, entry.indicator, entry.breakdown, entry.item)] = entry
        sources_seen = sorted({e.source for e in ordered})
        label_fr, label_en = DIMENSION_LABELS[name]
        dimensions.append(
            Dimension(
                name=name,
                label_fr=label_fr,
                label_en=label_en,
                evidence=ordered,
                latest=list(latest_by_series.values()),
                trend=trends(ordered),
                sources=sources_seen,
                independent_sources=sorted({e.source for e in ordered if e.independent}),
            )
        )

    all_evidence = [e for d in dimensions for e in d.evidence]
    covered_items = {item for e in all_evidence for item in e.items}
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
    gaps += _not_covered(
        registry, links, resolved_country.iso3, resolved_country.name_fr, resolved_country.name_en
    )
    registers = register_timelines_for(
        session, resolved_country.iso3, [item.id for item in chosen if item.kind == "medicine"], day
    )
    gaps += register_gaps(registers, {item.id: item for item in chosen}, registry)
    contradictions: list[Contradiction] = find_contradictions(
        per_dimension["availability"], per_dimension["continuity"], revisions
    )
    assessment = Assessment(
        country_iso3=resolved_country.iso3,
        country_name_fr=resolved_country.name_fr,
        country_name_en=resolved_country.name_en,
        pathology=resolved_pathology.id,
        pathology_name_fr=resolved_pathology.name_fr,
        pathology_name_en=resolved_pathology.name_en,
        items=[item.id for item in chosen],
        as_of=day,
        window_years=window_years,
        stale_after_years=stale_after_years,
        generated_at=utcnow(),
        dimensions=dimensions,
        gaps=gaps,
        contradictions=contradictions,
        stale=[e for e in all_evidence if e.stale],
        published_after_as_of=published_after,
        registers=registers,
        demonstration=is_demonstration(session),
    )
    return archived_as_of(with_references(session, assessment, registry))


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
