"""Pieces both pages show: the empty-store guidance, store errors and the timeline chart.

Only our own text goes through Markdown here; anything a source wrote (labels of breakdowns, error
messages, URLs) reaches the page through ``st.dataframe`` or a chart tooltip, which render it as text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TypeVar

import altair as alt
import pandas as pd
import streamlit as st

from cobase.db import StoreError

EMPTY_STORE_FR = (
    "**Aucune donnée pour l'instant.** Pour essayer l'application, chargez les données de démonstration "
    "avec le bouton ci-dessous (ou `cobase demo`) ; pour récupérer les données réelles des sources, lancez "
    "`cobase refresh`, puis rechargez cette page."
)
EMPTY_STORE_EN = (
    "No data yet: the button below (or `cobase demo`) loads the demonstration data into a separate store, "
    "`cobase refresh` fetches real data from the sources."
)

logger = logging.getLogger("cobase.app")

T = TypeVar("T")

CHART_COLUMNS = [
    "period_start",
    "value_num",
    "series",
    "source",
    "indicator",
    "breakdown",
    "period",
    "value",
    "unit",
    "published_label",
    "retrieved_label",
]


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>#|~$])")


def plain(text: str) -> str:
    """Text that Markdown shows as typed: headings fall back to codes a source chose when unlabelled."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def show_empty_store(database: str) -> None:
    """Tell the physician the store is empty and which command fills it (and which store is read)."""
    import first_run  # here: it reads the store through data, which the rest of this module never needs

    st.info(EMPTY_STORE_FR)
    st.caption(EMPTY_STORE_EN)
    st.caption(f"Base de données / Database: `{database}`")
    first_run.offer_demonstration()


def show_store_error(error: Exception, database: str) -> None:
    """One clear sentence instead of a traceback when the database cannot be opened.

    The driver's full message (it may run over several lines, with SQL) goes to the server's log; the
    page shows its first line only.
    """
    logger.error("cannot open the store %s", database, exc_info=error)
    st.error(
        "La base de données ne peut pas être ouverte : vérifiez `COBASE_DB` ou l'option `--db` de "
        "`cobase app`. / The database cannot be opened."
    )
    st.caption(f"Base de données / Database: `{database}`")
    st.code((str(error).splitlines() or [""])[0][:300], language=None)


def timeline_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Value over period start, one line per source and breakdown; the tooltip carries the provenance."""
    numeric = frame.loc[frame["value_num"].notna(), CHART_COLUMNS]
    yearly = bool(numeric["period"].str.fullmatch(r"\d{4}").all())
    units = sorted({unit for unit in numeric["unit"] if unit})
    base = alt.Chart(numeric).encode(
        x=alt.X(
            "period_start:T",
            title="Période / Period",
            axis=alt.Axis(format="%Y", tickCount="year") if yearly else alt.Axis(),
        ),
        y=alt.Y("value_num:Q", title=", ".join(units) or "Valeur / Value", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title="Source · ventilation", legend=alt.Legend(orient="bottom")),
        detail="indicator:N",
        tooltip=[
            alt.Tooltip("source:N", title="Source"),
            alt.Tooltip("indicator:N", title="Indicateur"),
            alt.Tooltip("breakdown:N", title="Ventilation"),
            alt.Tooltip("period:N", title="Période"),
            alt.Tooltip("value:N", title="Valeur"),
            alt.Tooltip("unit:N", title="Unité"),
            alt.Tooltip("published_label:N", title="Publié le"),
            alt.Tooltip("retrieved_label:N", title="Récupéré le"),
        ],
    )
    return alt.layer(base.mark_line(), base.mark_point(filled=True, size=60))


def page_header(title: str, intro_fr: str, intro_en: str) -> None:
    """A page's title, what it shows in French, then the same in English (French first, never mixed)."""
    st.title(title, anchor=False)
    st.markdown(intro_fr)
    st.caption(intro_en)


def read_or_stop(database: str, read: Callable[[], T], *, empty: str | None = "stop") -> T:
    """What ``read`` returns from the store, or the page stops with one sentence.

    A store that cannot be opened shows :func:`show_store_error` and stops the page. An empty store shows
    :func:`show_empty_store` (and the demonstration button): then the page stops (``empty="stop"``) or
    goes on below the guidance (``empty="guide"``: what it lists does not need data); ``empty=None``
    does not look (a page that works on an empty store).
    """
    import data  # the pages' reading module; imported here as show_empty_store does

    redacted = data.redacted_url(database)
    try:
        result = read()
        has_data = True if empty is None else data.has_current_data(database)
    except StoreError as error:
        show_store_error(error, redacted)
        st.stop()
    if not has_data:
        show_empty_store(redacted)
        if empty == "stop":
            st.stop()
    return result
