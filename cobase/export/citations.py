"""Numbered citations: each distinct (source, indicator, snapshot, url) is cited once, as [n].

A lawyer must be able to point a judge to the exact document a value came from, so a citation names the
producer, the indicator, the periods it covers, when it was published and retrieved, its URL and the
sha256 of the snapshot cobase kept. Numbers are given in order of first mention in the dossier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from cobase.evidence.model import Evidence
from cobase.export.texts import format_day, format_moment, format_period, pick, text

CitationKey = tuple[str, str, str, str]
"""(source, indicator, snapshot_sha256, url): what makes two pieces of evidence the same citation."""


def citation_key(evidence: Evidence) -> CitationKey:
    """The identity of the document behind ``evidence``."""
    return (evidence.source, evidence.indicator, evidence.snapshot_sha256, evidence.url)


@dataclass
class Citation:
    """One cited document, with the span of periods and dates of the evidence drawn from it."""

    number: int
    source: str
    producer: str
    indicator: str
    label_fr: str
    label_en: str
    url: str
    snapshot_sha256: str
    republishes: str | None
    period_start: date
    period_end: date
    published: set[datetime] = field(default_factory=set)
    retrieved: set[datetime] = field(default_factory=set)

    def add(self, evidence: Evidence) -> None:
        """Widen the citation to cover one more piece of evidence from the same document."""
        self.period_start = min(self.period_start, evidence.period_start)
        self.period_end = max(self.period_end, evidence.period_end)
        if evidence.published_at is not None:
            self.published.add(evidence.published_at)
        self.retrieved.add(evidence.retrieved_at)

    def describe(self, lang: str) -> str:
        """The citation as one line of text, without its number, URL and hash (rendered apart)."""
        parts = [
            self.producer,
            f"{pick(lang, self.label_fr, self.label_en)} ({self.source}, {self.indicator})",
            f"{text('cite_period', lang)} {format_period(self.period_start, self.period_end, lang)}",
            f"{text('cite_published', lang)} {_days(self.published, lang)}",
            f"{text('cite_retrieved', lang)} {_moments(self.retrieved, lang)}",
        ]
        if self.republishes:
            parts.append(text("cite_republishes", lang, source=self.republishes))
        return " — ".join(parts)


def _days(moments: set[datetime], lang: str) -> str:
    if not moments:
        return text("cite_unknown_date", lang)
    days = sorted({m.date() for m in moments})
    return ", ".join(format_day(d, lang) for d in days)


def _moments(moments: set[datetime], lang: str) -> str:
    return ", ".join(format_moment(m, lang) for m in sorted(moments))


class CitationIndex:
    """Hands out citation numbers in order of first mention and lists the citations at the end."""

    def __init__(self) -> None:
        self._by_key: dict[CitationKey, Citation] = {}

    def ref(self, evidence: Evidence) -> str:
        """The ``[n]`` marker for ``evidence``, numbering its document if it is new."""
        return f"[{self.number(evidence)}]"

    def number(self, evidence: Evidence) -> int:
        """The number of the document behind ``evidence``."""
        key = citation_key(evidence)
        citation = self._by_key.get(key)
        if citation is None:
            citation = Citation(
                number=len(self._by_key) + 1,
                source=evidence.source,
                producer=evidence.producer,
                indicator=evidence.indicator,
                label_fr=evidence.label_fr,
                label_en=evidence.label_en,
                url=evidence.url,
                snapshot_sha256=evidence.snapshot_sha256,
                republishes=evidence.republishes,
                period_start=evidence.period_start,
                period_end=evidence.period_end,
            )
            self._by_key[key] = citation
        citation.add(evidence)
        return citation.number

    def citations(self) -> list[Citation]:
        """Every citation handed out so far, by number."""
        return sorted(self._by_key.values(), key=lambda c: c.number)
