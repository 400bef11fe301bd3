"""What the pages read, built on cobase's public functions, never SQL: tables, assessments, dossiers.

The engine is a ``st.cache_resource`` (one pool per database URL, shared by all sessions); reads are
``st.cache_data`` with a short TTL so a refresh running in cron shows up within a minute; the store-wide
reads every page starts with (is there data, which countries, source freshness) are served while a
background thread refreshes them once expired (:func:`served_while_refreshing`), so no page waits for
them. Every cached function takes the database URL as an argument, so two databases (two tests, or a
URL changed between runs) never share cached results. Assessments are cached as JSON text
(``Assessment.model_dump_json``) keyed on the database, country, pathology, items, as-of date and window.
The only writes are :func:`save_finding` and :func:`change_finding_status`, which clear the caches so every
page shows them.
"""

from __future__ import annotations

import functools
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from cobase import clock, present
from cobase.catalogue import Item, load_catalogue
from cobase.db import StoreError, open_store, session_scope
from cobase.demonstration import (
    demonstration_store_exists,
    demonstration_url,
    is_demonstration,
    load_demonstration,
)
from cobase.evidence import Assessment, Contradiction, Evidence
from cobase.evidence.cost import MonthlyCost
from cobase.evidence.cost import monthly_costs as _monthly_costs
from cobase.evidence.engine import assess_resolved
from cobase.evidence.model import DIMENSIONS
from cobase.evidence.register_timeline import REGISTER_SOURCES
from cobase.export import render_docx, render_markdown, render_pdf, timeline_spec
from cobase.findings import DIMENSIONS as FINDING_DIMENSIONS
from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE
from cobase.findings import Finding, add_finding, list_findings, set_status
from cobase.harmonize.countries import (
    Country,
    UnknownCountryError,
    all_countries,
    display_name,
    resolve_country,
)
from cobase.harmonize.medicines import UnknownMedicineError, resolve_item
from cobase.queries import (
    SourceOverview,
    countries_with_data,
    has_observations,
    in_date_range,
    list_observations,
    source_overview,
)
from cobase.queries import stored_documents as _stored_documents
from cobase.registry import load_registry
from cobase.settings import database_url
from cobase.webfetch import user_url_fetcher

CACHE_TTL_SECONDS = 60
"""Short enough that a physician sees a finished refresh without restarting the app."""


# --- Reads served while they refresh ------------------------------------------------------------------
# ``st.cache_data(ttl=…)`` recomputes an expired value inside the page that asks for it, so every minute
# one physician's page waited for store-wide reads (3.6 s at 5 million observations). Here the value is
# still kept by ``st.cache_data`` (so ``st.cache_data.clear()``, which tests and the app's writes call,
# still empties it), under a *generation* number: an expired call returns the current generation at once
# and starts ONE thread that computes the next; later calls switch to it when it is ready. Only the very
# first call for a set of arguments (or the first after a clear) computes in the page.
# The store-wide reads, and the assessment, its charts and the monthly costs a case page shows, are served
# this way: after an expiry the case page no longer recomputes its assessment before it can render.

P = ParamSpec("P")
R = TypeVar("R")

LOGGER = logging.getLogger(__name__)


class _Entry:
    """Which generation of one argument set is served, and since when (monotonic seconds)."""

    __slots__ = ("computed_at", "generation", "refreshing")

    def __init__(self, generation: int, computed_at: float) -> None:
        self.generation = generation
        self.computed_at = computed_at
        self.refreshing = False


def _attach_script_context(thread: threading.Thread) -> None:
    """Let the thread use Streamlit's caches as the page that started it does (no 'missing
    ScriptRunContext' warnings); outside a running app there is no context to attach."""
    try:
        from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
    except ImportError:  # pragma: no cover - Streamlit moved it; the thread still works without it
        return
    context = get_script_run_ctx(suppress_warning=True)
    if context is not None:
        add_script_run_ctx(thread, context)


def served_while_refreshing(
    ttl_seconds: float, max_entries: int = 64, clock: Callable[[], float] = time.monotonic
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a read so that, past ``ttl_seconds``, callers get the last value at once while one
    background thread recomputes it.

    Arguments must be hashable (database URLs, codes, dates), as for ``st.cache_data``. A failed
    background refresh keeps serving the last value and is tried again one ``ttl_seconds`` later.
    ``clock`` is there for tests.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        name = f"{function.__module__}.{function.__qualname__}#{id(function)}"

        # Streamlit keys this cache on the inner function's code, the same for every decorated read:
        # the read's name is an argument so that two reads never share values.
        @st.cache_data(show_spinner=False, max_entries=max_entries)
        def generation_value(read: str, generation: int, *args: Any, **kwargs: Any) -> R:
            del read, generation  # cache key only: a new generation is a fresh computation
            return function(*args, **kwargs)

        entries: dict[Hashable, _Entry] = {}
        lock = threading.Lock()

        def refresh(entry: _Entry, args: Any, kwargs: Any) -> None:
            next_generation = entry.generation + 1
            try:
                generation_value(name, next_generation, *args, **kwargs)
            except Exception:  # the last value stays served; a reader never sees this failure
                LOGGER.exception("background refresh of %s failed", function.__qualname__)
                with lock:
                    entry.computed_at = clock()
                    entry.refreshing = False
                return
            with lock:
                entry.generation = next_generation
                entry.computed_at = clock()
                entry.refreshing = False

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = (args, tuple(sorted(kwargs.items())))
            with lock:
                entry = entries.get(key)
                if entry is None:
                    entry = entries[key] = _Entry(0, clock())
                    if len(entries) > max_entries:  # forget the oldest argument set
                        entries.pop(next(iter(entries)))
                elif not entry.refreshing and clock() - entry.computed_at >= ttl_seconds:
                    entry.refreshing = True
                    thread = threading.Thread(
                        target=refresh,
                        args=(entry, args, kwargs),
                        name=f"refresh {function.__qualname__}",
                        daemon=True,
                    )
                    _attach_script_context(thread)
                    thread.start()
                generation = entry.generation
            # A hit unless this is the first call (or the cache was cleared): then computed here.
            return generation_value(name, generation, *args, **kwargs)

        wrapper.served_while_refreshing = ttl_seconds  # type: ignore[attr-defined]  # tests find them
        return wrapper

    return decorate


ACCESS_DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    code: (present.dimension_label(code, "fr"), present.dimension_label(code, "en"))
    for code in (*DIMENSIONS, "context")
}
"""French and English names of the access dimensions: those of :mod:`cobase.present`, as in the dossier."""

RUN_STATUS_LABELS: dict[str, str] = {
    "success": "succès / success",
    "failed": "échec / failed",
    "running": "en cours / running",
    "interrupted": "interrompue / interrupted",
    "skipped": "ignorée / skipped",
}

OBSERVATION_TABLE_COLUMNS: dict[str, str] = {
    "source": "Source",
    "indicator": "Indicateur",
    "breakdown": "Ventilation",
    "period": "Période",
    "value": "Valeur",
    "unit": "Unité",
    "published_on": "Publié le",
    "retrieved_at": "Récupéré le",
    "url": "Lien",
    "snapshot": "Instantané",
}
"""Columns of a country page table, in display order: every value with its full provenance."""

SOURCE_TABLE_COLUMNS: dict[str, str] = {
    "source": "Source",
    "producer": "Producteur",
    "freshness": "Fraîcheur",
    "update_cadence": "Cadence",
    "last_success_at": "Dernier succès",
    "last_run_status": "Dernière exécution",
    "last_run_at": "Exécutée le",
    "last_error": "Dernière erreur",
    "last_error_at": "Erreur le",
    "observations": "Observations",
    "newest_period": "Période la plus récente",
    "newest_published_at": "Publication la plus récente",
    "licence": "Licence",
    "title": "Titre",
    "url_main": "Site",
}
"""Columns of the Sources page: freshness first (what a reader checks), then runs, then the citation."""


def real_database_url() -> str:
    """The store the operator configured: ``COBASE_DB`` (set by ``cobase app --db``) or the user's default."""
    return database_url()


def current_database_url() -> str:
    """The store the app reads: the real one, or its demonstration store while the real one is empty.

    So a fresh machine shows the sample data once it is loaded (bannered on every page), and real data
    takes over as soon as a refresh fills the real store. The demonstration store is never created here.
    """
    real = real_database_url()
    demo = demonstration_url(real)
    if demo == real or not demonstration_store_exists(demo):
        return real
    try:
        if has_current_data(real):
            return real
        return demo if has_current_data(demo) else real
    except StoreError:  # the page shows the real store's error in one sentence
        return real


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def is_demonstration_store(url: str) -> bool:
    """Whether the store holds demonstration data (each page then carries the banner)."""
    try:
        with session_scope(engine_for(url)) as session:
            return is_demonstration(session)
    except StoreError:
        return False


def load_demonstration_store() -> str:
    """Load the sample files into the real store's demonstration store; return its URL.

    Raises :class:`cobase.demonstration.DemonstrationError` in one sentence. Caches are cleared so every
    page switches to the demonstration store at once.
    """
    target = demonstration_url(real_database_url())
    load_demonstration(target)
    st.cache_data.clear()
    return target


def redacted_url(url: str) -> str:
    """The URL with any password hidden, safe to show on a page."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> sa.Engine:
    """One migrated engine per database URL for the whole server (connections are pooled, not copied)."""
    return open_store(url)


@served_while_refreshing(CACHE_TTL_SECONDS)
def has_current_data(url: str) -> bool:
    """Whether the store holds any current value; without one the app shows how to get data.

    One index probe: counting the values, as this check once did, read the whole store on every page.
    """
    with session_scope(engine_for(url)) as session:
        return has_observations(session)


@served_while_refreshing(CACHE_TTL_SECONDS)
def country_choices(url: str) -> pd.DataFrame:
    """Countries to offer, those with data first, each group in French alphabetical order.

    Columns: ``iso3``, ``label`` ("Guinée (GIN)"), ``has_data``. Codes with data that the country list
    does not know (regional aggregates, say) are still offered, under their code.
    """
    with session_scope(engine_for(url)) as session:
        with_data = set(countries_with_data(session))
    known = all_countries()
    known_codes = {country.iso3 for country in known}
    rows: list[dict[str, Any]] = [
        {"iso3": country.iso3, "label": f"{country.name_fr} ({country.iso3})", "has_data": True}
        for country in known
        if country.iso3 in with_data
    ]
    rows += [
        {"iso3": iso3, "label": f"{_safe_display_name(iso3)} ({iso3})", "has_data": True}
        for iso3 in sorted(with_data - known_codes)
    ]
    rows += [
        {"iso3": country.iso3, "label": f"{country.name_fr} ({country.iso3})", "has_data": False}
        for country in known
        if country.iso3 not in with_data
    ]
    return pd.DataFrame(rows, columns=["iso3", "label", "has_data"])


def _safe_display_name(iso3: str) -> str:
    try:
        return display_name(iso3, lang="fr")
    except UnknownCountryError:  # a code we cannot name must not break the country list; show the code
        return iso3


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def indicator_catalogue() -> pd.DataFrame:
    """Every indicator declared in sources.yml, with its French and English labels, in registry order."""
    rows = [
        {
            "source": source.key,
            "indicator": indicator.code,
            "label_fr": indicator.label_fr,
            "label_en": indicator.label_en,
            "registry_unit": indicator.unit,
            "dimension": indicator.dimension.value,
            "order": position,
        }
        for position, (source, indicator) in enumerate(
            (source, indicator)
            for source in load_registry().sources.values()
            for indicator in source.indicators
        )
    ]
    columns = ["source", "indicator", "label_fr", "label_en", "registry_unit", "dimension", "order"]
    return pd.DataFrame(rows, columns=columns)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def country_observations(url: str, country_iso3: str) -> pd.DataFrame:
    """Current values for one country with provenance and the registry's labels, newest period first.

    ``topic_fr`` groups indicators that measure the same thing (same French label and unit) so that a
    WHO series and the World Bank's copy of it share one chart, one line per source.
    """
    with session_scope(engine_for(url)) as session:
        records = [
            {
                "source": row.source,
                "indicator": row.indicator,
                "breakdown": row.breakdown,
                "period_start": row.period_start,
                "period_end": row.period_end,
                "value": row.value,
                "value_num": row.value_num,
                "unit": row.unit or "",
                "published_at": row.published_at,
                "retrieved_at": row.retrieved_at,
                "url": row.url,
                "snapshot": row.snapshot_sha256[:12],
            }
            for row in list_observations(session, country_iso3=country_iso3)
            if row.source not in REGISTER_SOURCES  # one row per product: the register has its own table
        ]
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame(records)
    frame = frame.merge(indicator_catalogue(), on=["source", "indicator"], how="left")
    frame["label_fr"] = frame["label_fr"].fillna(frame["indicator"])
    frame["label_en"] = frame["label_en"].fillna(frame["indicator"])
    # Shown as the dossier shows them: French numbers, units and breakdowns (cobase.present).
    frame["value"] = [
        present.format_value(value, None if pd.isna(number) else float(number))
        for value, number in zip(frame["value"], frame["value_num"], strict=True)
    ]
    frame["unit"] = frame["unit"].map(present.unit_label)
    frame["breakdown"] = frame["breakdown"].map(present.breakdown_label)
    frame["dimension"] = frame["dimension"].fillna("")
    frame["order"] = frame["order"].fillna(len(frame) + 10_000)
    frame["topic_fr"] = frame["label_fr"] + frame["unit"].map(lambda unit: f" ({unit})" if unit else "")
    frame["period"] = [
        period_label(s, e) for s, e in zip(frame["period_start"], frame["period_end"], strict=True)
    ]
    frame["published_on"] = frame["published_at"].map(
        lambda value: value.date() if value is not None else None
    )
    frame["published_label"] = frame["published_on"].map(
        lambda value: "non indiquée par le producteur" if pd.isna(value) else present.format_day(value)
    )
    frame["retrieved_label"] = frame["retrieved_at"].map(present.format_moment)
    frame["retrieved_at"] = pd.to_datetime(frame["retrieved_at"], utc=True)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["series"] = frame["source"] + frame["breakdown"].map(lambda part: f" · {part}" if part else "")
    return frame.sort_values(
        ["order", "topic_fr", "source", "breakdown", "period_start"],
        ascending=[True, True, True, True, False],
    ).reset_index(drop=True)


def observation_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The provenance table for one topic, with the French column names a physician reads."""
    table = frame[list(OBSERVATION_TABLE_COLUMNS)].rename(columns=OBSERVATION_TABLE_COLUMNS)
    return table.reset_index(drop=True)


def period_label(start: date, end: date) -> str:
    """A period as the dossier writes it (:func:`cobase.present.format_period`): ``2022``, ``03/2024``."""
    return present.format_period(start, end, "fr")


def access_dimension_label(code: str) -> str:
    """French then English name of an access dimension: "Accessibilité financière / Affordability"."""
    french, english = ACCESS_DIMENSION_LABELS.get(code, (code, code))
    return f"{french} / {english}"


@served_while_refreshing(CACHE_TTL_SECONDS)
def source_table(url: str) -> pd.DataFrame:
    """Freshness of every source (:func:`cobase.queries.source_overview`), with the page's column names."""
    with session_scope(engine_for(url)) as session:
        # The clock through its module, so tests that freeze it reach it.
        overview = source_overview(session, load_registry(), clock.utcnow())
    rows = [_source_row(entry) for entry in overview]
    return pd.DataFrame(rows, columns=list(SOURCE_TABLE_COLUMNS)).rename(columns=SOURCE_TABLE_COLUMNS)


def _source_row(entry: SourceOverview) -> dict[str, Any]:
    status = entry.status
    return {
        "source": entry.source,
        "title": entry.title,
        "producer": entry.producer,
        "licence": entry.licence,
        "url_main": entry.url_main,
        "last_success_at": _timestamp(status.last_success_at if status else None),
        "last_run_status": RUN_STATUS_LABELS.get(status.last_run_status or "", status.last_run_status)
        if status and status.last_run_status
        else "jamais / never",
        "last_run_at": _timestamp(status.last_run_at if status else None),
        "last_error": status.last_error if status else None,
        "last_error_at": _timestamp(status.last_error_at if status else None),
        "observations": status.observations if status else 0,
        "newest_period": status.newest_period if status else None,
        "newest_published_at": status.newest_published_at.date()
        if status and status.newest_published_at
        else None,
        "update_cadence": entry.update_cadence,
        "freshness": entry.freshness,
    }


def _timestamp(value: datetime | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


# --- The two journeys: what the physician chooses, and the assessment it gives -----------------------

ITEM_KIND_LABELS: dict[str, str] = {
    "medicine": "médicament",
    "test": "examen",
    "equipment": "équipement",
    "specialist": "spécialiste",
}


@st.cache_data(show_spinner=False)
def pathology_choices() -> dict[str, str]:
    """Pathology id -> "Infection par le VIH / HIV infection", in catalogue order."""
    return {
        pathology.id: f"{pathology.name_fr} / {pathology.name_en}"
        for pathology in load_catalogue().pathologies.values()
    }


@st.cache_data(show_spinner=False)
def item_choices(pathology: str) -> tuple[list[str], list[str]]:
    """(options, pre-ticked) item ids for a pathology.

    Options list what the catalogue requires for the pathology first, then every other item, since a
    patient may need treatment for a second condition. Pre-ticked are the first-line medicines WHO
    guidance names (every required medicine when it names none, as for dialysis) and all follow-up
    tests, equipment and specialists: the physician unticks what the patient does not need.
    """
    catalogue = load_catalogue()
    chosen = catalogue.pathology(pathology)
    required = list(chosen.requires.all_ids())
    medicines = list(chosen.first_line) or list(chosen.requires.medicines)
    ticked = [*medicines, *chosen.requires.tests, *chosen.requires.equipment, *chosen.requires.specialists]
    options = required + [item_id for item_id in catalogue.items if item_id not in required]
    return options, ticked


@st.cache_data(show_spinner=False)
def all_item_ids() -> list[str]:
    """Every catalogue item, in French alphabetical order of its label, for searches."""
    return sorted(load_catalogue().items, key=item_label)


def item_label(item_id: str) -> str:
    """The label of a catalogue id ("Ténofovir…/dolutégravir (TLD) · médicament"); typed text as typed.

    The first abbreviation is part of the label because physicians type it ("TLD", "RHZE") and the
    list's filter only searches labels.
    """
    item = load_catalogue().items.get(item_id)
    if item is None:
        return item_id
    short = f" ({item.abbreviations[0]})" if item.abbreviations else ""
    return f"{item.name_fr}{short} · {ITEM_KIND_LABELS.get(item.kind.value, item.kind.value)}"


def item_name(item_id: str, lang: str = "fr") -> str:
    """The catalogue name of an item, or its id when the catalogue does not know it."""
    item = load_catalogue().items.get(item_id)
    if item is None:
        return item_id
    return item.name_fr if lang == "fr" else item.name_en


@dataclass
class ResolvedItems:
    """What the physician ticked or typed, as catalogue items, and what could not be matched."""

    item_ids: list[str] = field(default_factory=list)
    matched: list[tuple[str, Item]] = field(default_factory=list)
    """Typed text -> the item it was resolved to, shown so the physician can check it."""
    unknown: list[tuple[str, list[Item]]] = field(default_factory=list)
    """Typed text that names no single item, with the closest candidates."""


def resolve_items(selected: Sequence[str]) -> ResolvedItems:
    """Catalogue ids as they are; free text through the medicine-name matcher, never silently guessed."""
    catalogue = load_catalogue()
    result = ResolvedItems()
    for entry in selected:
        if entry in catalogue.items:
            item_id = entry
        else:
            try:
                match = resolve_item(entry)
            except UnknownMedicineError as error:
                result.unknown.append((entry, list(error.candidates)))
                continue
            item_id = match.item.id
            result.matched.append((entry, match.item))
        if item_id not in result.item_ids:
            result.item_ids.append(item_id)
    return result


def resolve_country_text(text: str) -> Country:
    """A country typed freely (accents, typos, English or French); raises UnknownCountryError."""
    return resolve_country(text)


def today() -> date:
    """Today in UTC: the as-of date of the 'Préparer un certificat' journey."""
    return clock.utcnow().date()


@served_while_refreshing(CACHE_TTL_SECONDS, max_entries=256)
def _assessment_json(
    url: str, country_iso3: str, pathology: str, items: tuple[str, ...], as_of: date, window_years: int
) -> str:
    # Cached as JSON text: one string is cheap to copy out of the cache on every rerun, and does not
    # depend on the classes' identity when Streamlit reloads a module.
    catalogue = load_catalogue()
    chosen_pathology = catalogue.pathology(pathology)
    # The journeys hand catalogue ids (resolve_items resolved what was typed); none means the default set.
    chosen = (
        [catalogue.items[item_id] for item_id in dict.fromkeys(items)]
        if items
        else catalogue.default_items(chosen_pathology.id)
    )
    with session_scope(engine_for(url)) as session:
        result = assess_resolved(
            session, resolve_country(country_iso3), chosen_pathology, chosen, as_of, window_years
        )
    return result.model_dump_json()


def assessment(
    url: str, country_iso3: str, pathology: str, items: tuple[str, ...], as_of: date, window_years: int
) -> Assessment:
    """What sources had published by ``as_of`` about access to these items (cached per argument set)."""
    return Assessment.model_validate_json(
        _assessment_json(url, country_iso3, pathology, items, as_of, window_years)
    )


@served_while_refreshing(CACHE_TTL_SECONDS, max_entries=1024)
def dimension_chart(
    url: str,
    country_iso3: str,
    pathology: str,
    items: tuple[str, ...],
    as_of: date,
    window_years: int,
    dimension: str,
) -> str | None:
    """Vega-Lite spec (JSON text) of one dimension's timeline chart; None when nothing is numeric.

    The chart is the dossier's (:func:`cobase.export.timeline_chart`), fitted to the page's width with
    its own height kept (Streamlit's default sizing squeezes the plot under the legend). It is built
    per dimension because a page shows one dimension at a time. :func:`cobase.export.timeline_spec` keeps
    Altair from validating every row, which cost more than building the rest of the page.
    """
    shown = assessment(url, country_iso3, pathology, items, as_of, window_years).dimension(dimension)
    spec = timeline_spec(shown, "fr", fit_width=True)
    return None if spec is None else json.dumps(spec)


DOSSIER_FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("PDF", "application/pdf"),
    "docx": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "md": ("Markdown", "text/markdown"),
}
"""Dossier formats offered for download: button label and MIME type."""


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def dossier_bytes(
    url: str,
    country_iso3: str,
    pathology: str,
    items: tuple[str, ...],
    as_of: date,
    window_years: int,
    fmt: str,
    lang: str,
    today_as_of: date | None = None,
) -> bytes:
    """The dossier ``cobase dossier`` writes, as bytes; reading only, it never writes to the database.

    ``today_as_of`` (the 'Contester un avis' journey) adds the present-day assessment, so the dossier
    shows what was published after the opinion.
    """
    shown = assessment(url, country_iso3, pathology, items, as_of, window_years)
    present = (
        assessment(url, country_iso3, pathology, items, today_as_of, window_years) if today_as_of else None
    )
    costs = monthly_costs(url, country_iso3, items, as_of)
    if fmt == "pdf":
        return render_pdf(shown, lang=lang, today=present, costs=costs)
    if fmt == "docx":
        return render_docx(shown, lang=lang, today=present, costs=costs)
    if fmt == "md":
        return render_markdown(shown, lang=lang, today=present, costs=costs).encode("utf-8")
    raise ValueError(f"unknown dossier format {fmt!r}")


def dossier_file_name(country_iso3: str, pathology: str, as_of: date, fmt: str, contest: bool) -> str:
    """A file name that says what the dossier is about, and nothing about the patient."""
    day = f"avis-{as_of.isoformat()}" if contest else as_of.isoformat()
    return f"cobase_{country_iso3}_{pathology}_{day}.{fmt}"


EVIDENCE_COLUMNS: tuple[str, ...] = (
    "Indicateur",
    "Traitements",
    "Ventilation",
    "Période",
    "Valeur",
    "Date",
    "Source",
    "Publié le",
    "Récupéré le",
    "Lien",
    "Empreinte",
    "Citation",
    "Mentions",
)
"""Columns of an evidence table: the value, then everything needed to cite it."""


def safe_link(url: str) -> str | None:
    """The URL if it is a web address; None for anything a browser could run or that names a local file."""
    return url if urlsplit(url).scheme in ("http", "https") else None


def evidence_badges(evidence: Evidence) -> list[str]:
    """Short words that warn the reader how to weigh a piece of evidence (as the dossier words them)."""
    return present.badges(evidence, "fr")


def evidence_frame(evidence: Sequence[Evidence]) -> pd.DataFrame:
    """Evidence as a table with full citations, newest period first within each indicator."""
    rows = [
        {
            "Indicateur": present.indicator_label(entry, "fr"),
            "Traitements": ", ".join(item_name(item_id) for item_id in entry.items)
            if entry.scope == "item"
            else present.national_context_label(present.scope_about(entry, "fr")),
            "Ventilation": present.breakdown_label(entry.breakdown, "fr"),
            "Période": period_label(entry.period_start, entry.period_end),
            "Valeur": present.value_text(entry, "fr"),
            "Date": present.as_of_text(entry, "fr"),
            "Source": f"{entry.producer} ({entry.source})"
            if entry.contributed_by is None
            else f"{entry.contributed_by} ({entry.source})",
            "Publié le": entry.published_at.date() if entry.published_at else None,
            "Récupéré le": pd.Timestamp(entry.retrieved_at),
            "Lien": safe_link(entry.landing_url or entry.url),  # the page a person can open
            "Empreinte": entry.snapshot_sha256[:12],
            "Citation": _citation(entry),
            "Mentions": evidence_badges(entry),
            "_order": (entry.label_fr, entry.source, entry.breakdown, -entry.period_start.toordinal()),
        }
        for entry in evidence
    ]
    if not rows:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    rows.sort(key=lambda row: row["_order"])
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))


def contradiction_frame(contradictions: Sequence[Contradiction]) -> pd.DataFrame:
    """Both sides of every contradiction in one evidence table, numbered as the page lists them."""
    frames = [
        evidence_frame(contradiction.sides).assign(**{"N°": number})
        for number, contradiction in enumerate(contradictions, start=1)
    ]
    if not frames:
        return pd.DataFrame(columns=["N°", *EVIDENCE_COLUMNS])
    return pd.concat(frames, ignore_index=True)[["N°", *EVIDENCE_COLUMNS]]


def _citation(evidence: Evidence) -> str:
    parts = []
    if evidence.quote:
        parts.append(f"« {evidence.quote} »")
    if evidence.page is not None:
        parts.append(f"p. {evidence.page}")
    if safe_link(evidence.url) is None:
        parts.append(evidence.url)  # an uploaded document: its name is the only handle a reader has
    return " ".join(parts)


# --- Rapports: stored documents and curated findings ---------------------------------------------------


DOCUMENT_COLUMNS: tuple[str, ...] = (
    "Source",
    "Producteur",
    "Lien",
    "Empreinte",
    "Publié le",
    "Récupéré le",
    "Périodes",
    "Valeurs",
    "Indicateurs",
    "Traitements",
)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def stored_documents(
    url: str, country_iso3: str, item: str | None, start: date | None, end: date | None
) -> pd.DataFrame:
    """Documents kept for a country (:func:`cobase.queries.stored_documents`), as the Rapports table."""
    with session_scope(engine_for(url)) as session:
        documents = _stored_documents(
            session,
            country_iso3,
            registry=load_registry(),
            catalogue=load_catalogue(),
            item=item,
            start=start,
            end=end,
        )
    rows = [
        {
            "Source": document.source,
            "Producteur": document.producer,
            "Lien": safe_link(document.url) or document.url,
            "Empreinte": document.snapshot_sha256[:12],
            "Publié le": document.published_at.date() if document.published_at else None,
            "Récupéré le": pd.Timestamp(document.retrieved_at),
            "Périodes": period_label(document.period_start, document.period_end),
            "Valeurs": document.values,
            "Indicateurs": ", ".join(document.indicators),
            "Traitements": ", ".join(sorted(item_name(i) for i in document.items)),
        }
        for document in documents
    ]
    return pd.DataFrame(rows, columns=list(DOCUMENT_COLUMNS))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def findings(
    url: str,
    country_iso3: str | None,
    item: str | None = None,
    start: date | None = None,
    end: date | None = None,
    include_retracted: bool = False,
) -> list[dict[str, Any]]:
    """Curated findings (current versions) matching the search, newest period first, as plain records.

    As for documents, the date range applies to the cited document's publication date (the day the
    finding was entered when the document's date is unknown).
    """
    with session_scope(engine_for(url)) as session:
        found = list_findings(session, country_iso3=country_iso3, include_retracted=include_retracted)
    return [
        asdict(finding)
        for finding in found
        if (item is None or finding.item == item)
        and in_date_range(finding.published_at or finding.recorded_at, start, end)
    ]


FINDING_DIMENSION_CHOICES: tuple[str, ...] = FINDING_DIMENSIONS
"""Access dimensions a finding can document, in the evidence engine's order."""


def save_finding(
    url: str,
    *,
    country: str,
    dimension: str,
    statement: str,
    period: str,
    contributed_by: str,
    title: str,
    producer: str,
    document_url: str | None,
    upload_name: str | None,
    upload_bytes: bytes | None,
    item: str | None,
    quote: str | None,
    page: int | None,
    published: date | None,
    fetch_urls: bool = False,
) -> Finding:
    """Store one curated finding (the only thing typed in the app that is ever stored), then refresh reads.

    An uploaded file is kept as the finding's snapshot; it goes through a temporary file only because
    :func:`cobase.findings.add_finding` reads a path, and that file is deleted at once. Without a URL,
    the upload is recorded under its file name (``upload:rapport.pdf``), never a path on this server.
    A typed URL is fetched by this server only when the operator allows it (``fetch_urls``, from
    ``COBASE_APP_FETCH``), and then only from a public address (:mod:`cobase.webfetch`).
    Raises FindingError, BadDateError, UnknownCountryError or UnknownMedicineError with a clear message.
    """
    with tempfile.TemporaryDirectory() as folder:
        path: Path | None = None
        if upload_bytes is not None:
            path = Path(folder) / "document"
            path.write_bytes(upload_bytes)
        with session_scope(engine_for(url)) as session:
            finding = add_finding(
                session,
                country=country,
                dimension=dimension,
                statement=statement,
                period=period,
                contributed_by=contributed_by,
                title=title,
                producer=producer,
                url=document_url,
                file=path,
                file_name=upload_name,
                item=item,
                quote=quote,
                page=page,
                published=published,
                url_fetcher=user_url_fetcher(FINDINGS_SOURCE, fetch_urls),
            )
    st.cache_data.clear()  # assessments and searches must show the new finding at once
    return finding


def change_finding_status(url: str, finding_id: str, status: str, by: str) -> Finding:
    """Confirm or retract a finding (a new version; the old one is kept), then refresh reads."""
    with session_scope(engine_for(url)) as session:
        finding = set_status(session, finding_id, status, by)
    st.cache_data.clear()
    return finding


@served_while_refreshing(CACHE_TTL_SECONDS, max_entries=256)
def monthly_costs(url: str, country_iso3: str, items: tuple[str, ...], as_of: date) -> list[MonthlyCost]:
    """The monthly cost of each medicine among ``items`` as of a date (:mod:`cobase.evidence.cost`)."""
    catalogue = load_catalogue().items
    medicines = [item for item in items if item in catalogue and catalogue[item].kind.value == "medicine"]
    with session_scope(engine_for(url)) as session:
        return _monthly_costs(session, country_iso3, medicines, as_of=as_of)
