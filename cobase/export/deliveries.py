"""The dossier's delivery timeline section: per item, every recorded delivery of a funded supply chain.

Placed right after the continuity dimension (the section covers continuity and the unit prices of
affordability). It reads only the assessment (:func:`cobase.evidence.deliveries.delivery_timelines`), says
what the deliveries are ("livraisons financées par le PEPFAR / le Fonds mondial") and what they are not
(proof that the medicine reached patients), and always states the last recorded delivery. Wording is
:mod:`cobase.present`'s, so the app and every format say the same.
"""

from __future__ import annotations

from collections.abc import Callable

from cobase import present
from cobase.evidence.deliveries import delivery_timelines
from cobase.evidence.model import Assessment, Evidence
from cobase.export.document import Dossier, Heading, Paragraph, Table

DELIVERY_WIDTHS = [14.0, 18.0, 18.0, 16.0, 22.0, 12.0]


def add_delivery_section(
    dossier: Dossier,
    assessment: Assessment,
    lang: str,
    ref: Callable[[Evidence], str],
    names: dict[str, tuple[str, str]] | None = None,
) -> None:
    """Add the delivery timelines of ``assessment`` to ``dossier``; nothing when no item has any.

    ``ref`` numbers the cited file (the same numbering as the rest of the dossier).
    """
    timelines = delivery_timelines(assessment)
    if not timelines:
        return
    dossier.add(
        Heading(present.delivery_heading(lang), level=2),
        Paragraph(present.delivery_caveat(lang), emphasis=True),
    )
    for timeline in timelines:
        cited = [e for d in timeline.deliveries for e in (d.evidence, d.price_evidence) if e is not None]
        marks = dict.fromkeys(ref(evidence) for evidence in cited)
        refs = " ".join(sorted(marks, key=lambda mark: (len(mark), mark)))  # [2] before [10]
        dossier.add(
            Paragraph(f"{present.delivery_summary(timeline, lang, names)} {refs}"),
            Table(
                header=present.delivery_columns(lang),
                rows=[present.delivery_cells(delivery, lang) for delivery in timeline.deliveries],
                widths=DELIVERY_WIDTHS,
            ),
        )


__all__ = ["add_delivery_section"]
