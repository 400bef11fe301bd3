"""The delivery timeline of one country x catalogue item: what funded supply chains delivered, and when.

Sources that list shipments (USAID SCMS for PEPFAR, Global Fund PQR) store one record set per delivery line
(:mod:`cobase.parse._deliveries`). The engine gathers their delay and unit-price records as ``item``-scope
evidence under continuity and affordability, whatever their age (:data:`UNWINDOWED_INDICATORS`): the last
recorded delivery must always be stated, and a ten-year window would hide that the last one is old.

From those evidence items this module rebuilds, per item, each delivery (actual and scheduled dates, delay,
unit price), the median delay, the longest interval between two recorded deliveries and the last recorded
delivery, as of the assessment's date. It reads only the assessment (no database), so the app and the
dossier show the same timeline. What it is: deliveries to a national programme financed by a funder, never
proof that the medicine reached patients (the wording is :mod:`cobase.present`'s).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

from pydantic import BaseModel, ConfigDict

from cobase.evidence.model import Assessment, Evidence

DELAY = "SUPPLY_DELIVERY_DELAY_DAYS"
UNIT_PRICE = "SUPPLY_UNIT_PRICE_USD"
UNWINDOWED_INDICATORS = frozenset({DELAY, UNIT_PRICE})
"""Delivery indicators the engine reads over all periods, not only its window."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Delivery(_Frozen):
    """One recorded delivery line of one item to one country."""

    source: str
    item: str
    line: str
    presentation: str
    delivered_on: date
    scheduled_on: date | None
    scheduled_text: str | None
    """The producer's words when the scheduled date is not a date (``Date Not Captured``)."""
    delay_days: int | None
    unit_price_usd: float | None
    evidence: Evidence
    """The delay record: what the delivery and its dates are cited by."""
    price_evidence: Evidence | None = None
    """The unit-price record, cited for the price."""


class DeliveryGap(_Frozen):
    """An interval between two consecutive recorded deliveries."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Length of the interval in days."""
        return (self.end - self.start).days


class DeliveryTimeline(_Frozen):
    """Every recorded delivery of one item to one country, up to the assessment's date."""

    country_iso3: str
    item: str
    as_of: date
    deliveries: list[Delivery]

    @property
    def count(self) -> int:
        """Number of delivery lines."""
        return len(self.deliveries)

    @property
    def sources(self) -> list[str]:
        """The sources (funders' supply chains) the deliveries come from, in a stable order."""
        return sorted({d.source for d in self.deliveries})

    @property
    def first_delivery(self) -> date:
        """The earliest actual delivery day."""
        return self.deliveries[0].delivered_on

    @property
    def last_delivery(self) -> date:
        """The last recorded delivery day: always stated, however old."""
        return self.deliveries[-1].delivered_on

    @property
    def days_since_last(self) -> int:
        """Days from the last recorded delivery to the as-of date."""
        return (self.as_of - self.last_delivery).days

    @property
    def median_delay_days(self) -> float | None:
        """Median of actual minus scheduled date over the deliveries that have both (negative: early)."""
        delays = [d.delay_days for d in self.deliveries if d.delay_days is not None]
        return float(statistics.median(delays)) if delays else None

    @property
    def longest_gap(self) -> DeliveryGap | None:
        """The longest interval without any recorded delivery between the first and the last (the first
        such interval when two are as long); None with fewer than two delivery days."""
        days = sorted({d.delivered_on for d in self.deliveries})
        gaps = [DeliveryGap(start=a, end=b) for a, b in pairwise(days)]
        return max(gaps, key=lambda gap: gap.days, default=None)


def _line(breakdown: str) -> tuple[str, str]:
    """The delivery line id and the presentation (strength - form) of a stored breakdown."""
    parts = dict(piece.partition("=")[::2] for piece in breakdown.split(";") if "=" in piece)
    return parts.get("DELIVERY", breakdown), parts.get("STRENGTH_FORM", "")


def delivery_timelines(assessment: Assessment) -> list[DeliveryTimeline]:
    """One timeline per item of the assessment that has recorded deliveries, in the assessment's item order.

    Deliveries after the as-of date are left out: they had not happened by then.
    """
    delays: dict[tuple[str, str, str, str], Evidence] = {}
    prices: dict[tuple[str, str, str, str], Evidence] = {}
    for dimension in assessment.dimensions:
        for evidence in dimension.evidence:
            if evidence.indicator not in UNWINDOWED_INDICATORS or evidence.item is None:
                continue
            if evidence.period_start > assessment.as_of:
                continue
            key = (evidence.item, evidence.source, evidence.breakdown, evidence.period_start.isoformat())
            (delays if evidence.indicator == DELAY else prices)[key] = evidence
    per_item: dict[str, list[Delivery]] = defaultdict(list)
    for key, evidence in delays.items():
        item, source, breakdown, _day = key
        line, presentation = _line(breakdown)
        delay = None if evidence.value_num is None else round(evidence.value_num)
        price = prices.get(key)
        per_item[item].append(
            Delivery(
                source=source,
                item=item,
                line=line,
                presentation=presentation,
                delivered_on=evidence.period_start,
                scheduled_on=None if delay is None else evidence.period_start - timedelta(days=delay),
                scheduled_text=evidence.value if delay is None else None,
                delay_days=delay,
                unit_price_usd=price.value_num if price is not None else None,
                evidence=evidence,
                price_evidence=price,
            )
        )
    return [
        DeliveryTimeline(
            country_iso3=assessment.country_iso3,
            item=item,
            as_of=assessment.as_of,
            deliveries=sorted(per_item[item], key=lambda d: (d.delivered_on, d.source, d.line)),
        )
        for item in assessment.items
        if per_item.get(item)
    ]


__all__ = [
    "UNWINDOWED_INDICATORS",
    "Delivery",
    "DeliveryGap",
    "DeliveryTimeline",
    "delivery_timelines",
]
