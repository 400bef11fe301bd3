"""The delivery timeline in the journeys: a small section under continuity and affordability.

Per item of the case, every recorded delivery of a funded supply chain (PEPFAR through USAID SCMS, the
Global Fund through PQR) with its dates, delay and unit price, and one sentence stating the count, the span,
the last recorded delivery (always), the median delay and the longest interval without a delivery. Words
come from :mod:`cobase.present`, the timeline from :mod:`cobase.evidence.deliveries` (the dossier shows the
same); values from the file reach the page only through ``st.dataframe`` or :func:`ui.plain`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
import ui

from cobase import present
from cobase.evidence import Assessment
from cobase.evidence.deliveries import delivery_timelines


def show_deliveries(assessment: Assessment) -> None:
    """The case's delivery timelines, or nothing when no item of the case has a recorded delivery."""
    timelines = delivery_timelines(assessment)
    if not timelines:
        return
    st.markdown(f"**{ui.plain(present.delivery_heading())}** / {ui.plain(present.delivery_heading('en'))}")
    st.caption(ui.plain(present.delivery_caveat()))
    for timeline in timelines:
        st.markdown(ui.plain(present.delivery_summary(timeline)))
        rows = [present.delivery_cells(delivery) for delivery in timeline.deliveries]
        table = pd.DataFrame(rows, columns=present.delivery_columns())
        table["Lien"] = [
            delivery.evidence.landing_url or delivery.evidence.url for delivery in timeline.deliveries
        ]
        st.dataframe(
            table,
            hide_index=True,
            column_config={"Lien": st.column_config.LinkColumn(help="Fichier cité / File cited")},
        )
