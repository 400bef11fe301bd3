"""What the pages read: cached DataFrames built on cobase's read functions, never SQL.

The engine is a ``st.cache_resource`` (one pool per database URL, shared by all sessions); reads are
``st.cache_data`` with a short TTL so a refresh running in cron shows up within a minute. Every cached
function takes the database URL as an argument, so two databases (two tests, or a URL changed between
runs) never share cached results.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from cobase.db import open_store, session_scope
from cobase.harmonize.countries import UnknownCountryError, all_countries, display_name
from cobase.queries import countries_with_data, list_observations, observation_count, source_status
from cobase.registry import load_registry
from cobase.settings import database_url

CACHE_TTL_SECONDS = 60
"""Short enough that a physician sees a finished refresh without restarting the app."""

ACCESS_DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "availability": ("Disponibilité", "Availability"),
    "continuity": ("Continuité des soins", "Continuity of care"),
    "affordability": ("Accessibilité financière", "Affordability"),
    "financial_coverage": ("Couverture financière", "Financial coverage"),
    "geographic_coverage": ("Couverture géographique", "Geographic coverage"),
    "workforce": ("Personnels de santé", "Health workforce"),
    "follow_up": ("Suivi", "Follow-up"),
    "context": ("Contexte", "Context"),
}
"""French and English names of the registry's access dimensions (what an indicator tells about access)."""

RUN_STATUS_LABELS: dict[str, str] = {
    "success": "succès / success",
    "failed": "échec / failed",
    "running": "en cours / running",
}

OBSERVATION_TABLE_COLUMNS: dict[str, str] = {
    "source": "Source",
    "indicator": "Indicateur",
    "dimension": "Ventilation",
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
    "title": "Titre",
    "producer": "Producteur",
    "licence": "Licence",
    "url_main": "Site",
    "last_success_at": "Dernier succès",
    "last_run_status": "Dernière exécution",
    "last_run_at": "Exécutée le",
    "last_error": "Dernière erreur",
    "last_error_at": "Erreur le",
    "observations": "Observations",
    "newest_period": "Période la plus récente",
    "newest_published_at": "Publication la plus récente",
}


def current_database_url() -> str:
    """The database the app reads: ``COBASE_DB`` (set by ``cobase app --db``) or the user's default."""
    return database_url()


def redacted_url(url: str) -> str:
    """The URL with any password hidden, safe to show on a page."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> sa.Engine:
    """One migrated engine per database URL for the whole server (connections are pooled, not copied)."""
    return open_store(url)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def current_observation_total(url: str) -> int:
    """How many current values the store holds; zero means the app shows how to get data."""
    with session_scope(engine_for(url)) as session:
        return observation_count(session, current_only=True)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
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
            "access_dimension": indicator.dimension.value,
            "order": position,
        }
        for position, (source, indicator) in enumerate(
            (source, indicator)
            for source in load_registry().sources.values()
            for indicator in source.indicators
        )
    ]
    columns = ["source", "indicator", "label_fr", "label_en", "registry_unit", "access_dimension", "order"]
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
                "dimension": row.dimension,
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
        ]
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame(records)
    frame = frame.merge(indicator_catalogue(), on=["source", "indicator"], how="left")
    frame["label_fr"] = frame["label_fr"].fillna(frame["indicator"])
    frame["label_en"] = frame["label_en"].fillna(frame["indicator"])
    frame["access_dimension"] = frame["access_dimension"].fillna("")
    frame["order"] = frame["order"].fillna(len(frame) + 10_000)
    frame["topic_fr"] = frame["label_fr"] + frame["unit"].map(lambda unit: f" ({unit})" if unit else "")
    frame["period"] = [
        period_label(s, e) for s, e in zip(frame["period_start"], frame["period_end"], strict=True)
    ]
    frame["published_on"] = frame["published_at"].map(
        lambda value: value.date() if value is not None else None
    )
    frame["published_label"] = frame["published_on"].map(
        lambda value: value.isoformat() if value is not None else "non indiquée / not stated"
    )
    frame["retrieved_label"] = frame["retrieved_at"].map(lambda value: value.strftime("%Y-%m-%d %H:%M UTC"))
    frame["retrieved_at"] = pd.to_datetime(frame["retrieved_at"], utc=True)
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["series"] = frame["source"] + frame["dimension"].map(lambda dim: f" · {dim}" if dim else "")
    return frame.sort_values(
        ["order", "topic_fr", "source", "dimension", "period_start"],
        ascending=[True, True, True, True, False],
    ).reset_index(drop=True)


def observation_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The provenance table for one topic, with the French column names a physician reads."""
    table = frame[list(OBSERVATION_TABLE_COLUMNS)].rename(columns=OBSERVATION_TABLE_COLUMNS)
    return table.reset_index(drop=True)


def period_label(start: date, end: date) -> str:
    """A period as people write it: ``2022`` for a calendar year, ``2015–2017``, or the two dates."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    return f"{start.isoformat()} – {end.isoformat()}"


def access_dimension_label(code: str) -> str:
    """French then English name of an access dimension: "Accessibilité financière / Affordability"."""
    french, english = ACCESS_DIMENSION_LABELS.get(code, (code, code))
    return f"{french} / {english}"


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def source_table(url: str) -> pd.DataFrame:
    """Freshness of every source: registry sources never refreshed are listed too, as "jamais / never"."""
    with session_scope(engine_for(url)) as session:
        statuses = {status.source: status for status in source_status(session)}
    registry = load_registry().sources
    rows: list[dict[str, Any]] = []
    for key in [*registry, *sorted(set(statuses) - set(registry))]:
        declared = registry.get(key)
        status = statuses.get(key)
        rows.append(
            {
                "source": key,
                "title": declared.title if declared else status.title if status else "",
                "producer": declared.producer if declared else status.producer if status else "",
                "licence": declared.licence.name if declared else status.licence if status else "",
                "url_main": declared.url_main if declared else None,
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
            }
        )
    return pd.DataFrame(rows, columns=list(SOURCE_TABLE_COLUMNS)).rename(columns=SOURCE_TABLE_COLUMNS)


def _timestamp(value: datetime | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)
