"""Reading evidence: trends over time and contradictions between sources or versions.

These are deliberately simple, explicit rules, each stated in its docstring, so a physician (or a judge)
can see why cobase lists something as contradictory. Nothing is averaged into a score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from cobase.evidence.model import Contradiction, Evidence, Trend
from cobase.text import strip_accents

SHARP_REVISION = 0.10
"""A revision is *sharp* when the value moved by more than 10 % of the earlier value."""

STABLE_SHARE = 0.02
"""A trend is *stable* when the change is within 2 % of the first value (or 0.5 in absolute terms)."""

_AVAILABLE = {
    "yes",
    "oui",
    "available",
    "generally available",
    "disponible",
    "generalement disponible",
    "true",
}
_UNAVAILABLE = {
    "no",
    "non",
    "not available",
    "generally not available",
    "non disponible",
    "indisponible",
    "false",
}
_STOCKOUT_WORDS = (
    "stock-out",
    "stockout",
    "stock out",
    "out of stock",
    "rupture",
    "shortage",
    "penurie",
    "pénurie",
    "indisponible",
    "unavailable",
)


def _fold(text: str) -> str:
    return " ".join(strip_accents(text).casefold().split())


def availability_reading(evidence: Evidence) -> bool | None:
    """True when evidence says generally available, False when it says not available, None otherwise."""
    value = _fold(evidence.value)
    if value in _AVAILABLE:
        return True
    if value in _UNAVAILABLE:
        return False
    return None


def reports_stockout(evidence: Evidence) -> bool:
    """True when continuity evidence reports stock-outs (a share of sites above zero, or a text finding)."""
    if evidence.value_num is not None:
        return evidence.value_num > 0
    text = _fold(f"{evidence.value} {evidence.quote or ''}")
    return any(_fold(word) in text for word in _STOCKOUT_WORDS)


def _overlap(a: Evidence, b: Evidence) -> bool:
    return a.period_start <= b.period_end and b.period_start <= a.period_end


def _same_item(a: Evidence, b: Evidence) -> bool:
    """Item-specific evidence only contradicts evidence on the same item or on a class that contains it
    (a class's answer only evidence on its members; general evidence on anything)."""
    about_a = set(a.items) or set(a.class_members)
    about_b = set(b.items) or set(b.class_members)
    return not about_a or not about_b or bool(about_a & about_b)


def trends(evidence: Iterable[Evidence]) -> list[Trend]:
    """First-to-last change of every numeric series with at least two periods in the window."""
    series: dict[tuple[str, str, str, str | None], list[Evidence]] = defaultdict(list)
    for item in evidence:
        if item.value_num is not None:
            series[(item.source, item.indicator, item.breakdown, item.item)].append(item)
    result: list[Trend] = []
    for (source, indicator, breakdown, _item), points in sorted(series.items(), key=lambda kv: str(kv[0])):
        points.sort(key=lambda e: e.period_start)
        if len(points) < 2:
            continue
        first, last = points[0], points[-1]
        assert first.value_num is not None and last.value_num is not None
        change = last.value_num - first.value_num
        threshold = max(0.5, abs(first.value_num) * STABLE_SHARE)
        direction = "stable" if abs(change) <= threshold else ("up" if change > 0 else "down")
        result.append(
            Trend(
                source=source,
                indicator=indicator,
                breakdown=breakdown,
                first_period=first.period_start,
                first_value=first.value_num,
                last_period=last.period_start,
                last_value=last.value_num,
                change=round(change, 6),
                direction=direction,
                points=len(points),
            )
        )
    return result


def _availability_conflicts(availability: list[Evidence], continuity: list[Evidence]) -> list[Contradiction]:
    """Reported generally available while stock-outs (or unavailability) are reported the same period."""
    positives = [e for e in availability if availability_reading(e) is True]
    against_all = [e for e in availability if availability_reading(e) is False]
    against_all += [e for e in continuity if reports_stockout(e)]
    conflicts: list[Contradiction] = []
    for available in positives:
        for against in against_all:
            if not _overlap(available, against) or not _same_item(available, against):
                continue
            item = available.item or against.item
            what = item or "traitement"
            conflicts.append(
                Contradiction(
                    kind="availability_vs_stockout",
                    item=item,
                    description_fr=(
                        f"{available.source} indique {what} disponible ({available.period_start.year}), "
                        f"alors que {against.source} rapporte une rupture ou une indisponibilité sur une "
                        "période qui se recoupe."
                    ),
                    description_en=(
                        f"{available.source} reports {what} available ({available.period_start.year}) while "
                        f"{against.source} reports a stock-out or unavailability over an overlapping period."
                    ),
                    sides=[available, against],
                )
            )
    return conflicts


def _sharp_revisions(revisions: list[tuple[Evidence, list[Evidence]]]) -> list[Contradiction]:
    """A value the producer itself revised sharply: the earlier and the shown versions are both listed."""
    conflicts: list[Contradiction] = []
    for shown, earlier in revisions:
        if shown.value_num is None:
            continue
        for old in earlier:
            if old.value_num is None or old.value == shown.value:
                continue
            base = abs(old.value_num) or 1.0
            if abs(shown.value_num - old.value_num) / base <= SHARP_REVISION:
                continue
            conflicts.append(
                Contradiction(
                    kind="revision",
                    item=shown.item,
                    description_fr=(
                        f"{shown.source} a révisé {shown.indicator} pour {shown.period_start.year} : "
                        f"{old.value} puis {shown.value}."
                    ),
                    description_en=(
                        f"{shown.source} revised {shown.indicator} for {shown.period_start.year}: "
                        f"{old.value} then {shown.value}."
                    ),
                    sides=[old, shown],
                )
            )
    return conflicts


def find_contradictions(
    availability: list[Evidence], continuity: list[Evidence], revisions: list[tuple[Evidence, list[Evidence]]]
) -> list[Contradiction]:
    """Availability contradicted by stock-outs or unavailability, and producers' sharp revisions."""
    return _availability_conflicts(availability, continuity) + _sharp_revisions(revisions)
