"""Timeline charts: each numeric series of a dimension over the periods it describes.

The same Altair chart is shown in the app (interactive, with tooltips giving the source, period, value,
publication and retrieval dates of every point) and drawn as PNG for PDF and DOCX dossiers. Drawing goes
through vl-convert's embedded engine with no allowed base URL, so it never reaches the network; when it
fails, the dossier says so and keeps going, since the values are in the evidence table anyway.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from cobase import present
from cobase.evidence.model import Dimension, Evidence
from cobase.export.texts import format_moment, format_period, text

if TYPE_CHECKING:
    import altair

log = logging.getLogger(__name__)

CHART_WIDTH = 560
ROW_HEIGHT = 170
PNG_SCALE = 2.0
"""Drawn at twice its size so it stays sharp when printed at page width."""

_LOCALES: dict[str, Literal["fr-FR", "en-US"]] = {"fr": "fr-FR", "en": "en-US"}
"""Number and date formats of chart axes (decimal comma in French)."""


def series_label(evidence: Evidence, lang: str, item_names: dict[str, tuple[str, str]]) -> str:
    """What distinguishes one series from another in a legend: indicator, items, breakdown and source."""
    return f"{present.evidence_label(evidence, lang, item_names)} ({evidence.source})"


def _rows(dimension: Dimension, lang: str) -> list[dict[str, Any]]:
    item_names = present.catalogue_item_names()
    return [
        {
            "series": series_label(e, lang, item_names),
            # No offset: parsed and shown in the viewer's local time, so 1 January never drifts a year back.
            "period_start": f"{e.period_start.isoformat()}T00:00:00",
            "value_num": e.value_num,
            "unit": present.unit_label(e.unit, lang),
            "source": f"{e.producer} ({e.source})",
            "period": format_period(e.period_start, e.period_end, lang),
            "value": present.value_text(e, lang),
            "published": present.basis_text(e, lang),
            "retrieved": format_moment(e.retrieved_at, lang),
        }
        for e in dimension.evidence
        if e.value_num is not None
    ]


ROWS_DATASET = "rows"
"""Name of the dataset :func:`timeline_spec` fills with the chart's rows."""


def timeline_chart(dimension: Dimension, lang: str) -> altair.Chart | None:
    """Numeric values of ``dimension`` over time, one line per series; None when nothing is numeric.

    Series with different units get their own row and y scale: putting a percentage and a count on one
    axis would make one of them look flat.
    """
    import altair as alt

    rows = _rows(dimension, lang)
    return None if not rows else _chart(dimension, rows, lang, alt.Data(values=rows))


def timeline_spec(dimension: Dimension, lang: str, *, fit_width: bool = False) -> dict[str, Any] | None:
    """Vega-Lite spec of :func:`timeline_chart` (as a dict); None when nothing is numeric.

    The chart is built over a named dataset and the rows are put in the spec afterwards: Altair validates
    inline rows value by value when a chart is built (about 0.2 s for 2,000 points), which cost the app
    more than the rest of a page. ``fit_width`` fits the chart to its container's width, keeping its height
    (the app's sizing otherwise squeezes the plot under the legend).
    """
    import altair as alt

    rows = _rows(dimension, lang)
    if not rows:
        return None
    chart = _chart(dimension, rows, lang, alt.NamedData(name=ROWS_DATASET))
    if fit_width:
        chart = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    spec = chart.to_dict()
    spec["data"] = {"values": rows}
    return spec


def _chart(dimension: Dimension, rows: list[dict[str, Any]], lang: str, data: Any) -> altair.Chart:
    import altair as alt

    units = sorted({row["unit"] for row in rows})
    whole_years = all(
        (e.period_start.month, e.period_start.day) == (1, 1)
        for e in dimension.evidence
        if e.value_num is not None
    )
    tooltip = [
        alt.Tooltip("series:N", title=text("col_indicator", lang)),
        alt.Tooltip("source:N", title="Source"),
        alt.Tooltip("period:N", title=text("col_period", lang)),
        alt.Tooltip("value:N", title=text("col_value", lang)),
        alt.Tooltip("published:N", title=text("col_published", lang)),
        alt.Tooltip("retrieved:N", title=text("col_retrieved", lang)),
    ]
    encoding: dict[str, Any] = {
        "x": alt.X(
            "period_start:T",
            title=text("col_period", lang),
            # One tick per year at most: finer ticks would print the same year twice.
            axis=alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1})
            if whole_years
            else alt.Axis(format="%m/%Y"),
        ),
        "y": alt.Y("value_num:Q", title=units[0] if len(units) == 1 else None),
        "color": alt.Color(
            "series:N",
            title=None,
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),  # never cut the source
        ),
        "tooltip": tooltip,
    }
    if len(units) > 1:
        encoding["row"] = alt.Row("unit:N", title=None)
    chart: altair.Chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(**encoding)
        .properties(width=CHART_WIDTH, height=ROW_HEIGHT, title=present.dimension_label(dimension.name, lang))
    )
    if len(units) > 1:
        chart = chart.resolve_scale(y="independent")
    return chart


def chart_to_png(chart: altair.Chart, lang: str) -> bytes | None:
    """Draw ``chart`` as PNG offline; None (and a logged warning) if the engine cannot draw it."""
    try:
        import vl_convert

        png: bytes = vl_convert.vegalite_to_png(
            chart.to_dict(),
            scale=PNG_SCALE,
            config={"background": "white"},
            allowed_base_urls=[],
            format_locale=_LOCALES[lang],
            time_format_locale=_LOCALES[lang],
        )
    # Any failure of the drawing engine (missing wheel, bad spec, engine error) must cost the dossier a
    # picture, not the dossier: the evidence table below carries the same values.
    except Exception as exc:
        log.warning("chart not drawn: %s", exc)
        return None
    return png


def chart_png(dimension: Dimension, lang: str) -> bytes | None:
    """PNG of :func:`timeline_chart` for PDF and DOCX dossiers; None if there is no chart or it failed."""
    chart = timeline_chart(dimension, lang)
    return None if chart is None else chart_to_png(chart, lang)
