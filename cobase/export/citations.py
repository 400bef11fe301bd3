"""Numbered references in a legal style: each distinct cited document is cited once, as [n].

A judge must be able to open what a value rests on, so a reference reads like a lawyer's footnote, French
first: Producteur, *Titre*, the date and what it is ("publié le", "mis à jour le", "relevé le"), the
page, a landing page a person can open « consulté le … », the archived copy when the Wayback Machine
holds one, and the "source technique": the API call or file that was fetched, on the producer's own
host, and the SHA-256 fingerprint of the file cobase kept. Documents (reports, articles, ReliefWeb
reports) are cited by their own producer and title; a curated finding cites the document it rests on,
its contributor shown as « relevé par … ». Only public http(s) addresses are ever links: anything else
is printed as plain text. Numbers are given in order of first mention in the dossier.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from cobase.evidence.model import Evidence
from cobase.export.document import CitationPart
from cobase.export.texts import check_lang, format_day, format_period, pick
from cobase.present import republished_producer
from cobase.snapshots import is_public_url

CitationKey = tuple[str, str, str, str, str]
"""(source, indicator, snapshot_sha256, url, landing page): what makes two pieces of evidence one
reference. For a document the indicator is left out: one document is one reference, whatever it says."""

DOCUMENT_SOURCES = ("documents", "contributed", "reliefweb_reports")

DATE_BASIS: dict[str, tuple[str, str]] = {
    "first_release": ("publié le", "published"),
    "document_date": ("publié le", "published"),
    "last_modified": ("mis à jour le", "updated"),
    "first_seen": ("relevé le", "first seen"),
}
"""What a reference's date is, by the evidence's ``published_basis``."""

WORDS: dict[str, tuple[str, str]] = {
    "period": ("période", "period"),
    "page": ("p.", "p."),
    "noted_by": ("relevé par", "noted by"),
    "online": ("En ligne :", "Online:"),
    "indicator_page": ("page de l'indicateur :", "indicator page:"),
    "consulted": ("consulté le", "accessed"),
    "no_public_url": ("adresse publique non connue (copie conservée)", "no public address known (copy kept)"),
    "no_public_url_upload": (
        "adresse publique non connue (document fourni par le contributeur, copie conservée)",
        "no public address known (document supplied by the contributor, copy kept)",
    ),
    "archived": ("Copie archivée :", "Archived copy:"),
    "captured": ("capture du", "captured"),
    "technical": ("Source technique :", "Technical source:"),
    "fingerprint": ("empreinte SHA-256 du fichier conservé :", "SHA-256 fingerprint of the file kept:"),
    "no_date": ("date non indiquée par le producteur", "date not given by the producer"),
    "unknown_producer": ("producteur non indiqué", "producer not given"),
    "republishes": (
        "republie les données de {source}, sans confirmation indépendante",
        "republishes data from {source}, not independent confirmation",
    ),
}


def _w(key: str, lang: str, **values: object) -> str:
    french, english = WORDS[key]
    return pick(lang, french, english).format(**values)


def is_document(evidence: Evidence) -> bool:
    """True when the evidence is cited as a document (report, article, finding), not as a data series."""
    return evidence.source in DOCUMENT_SOURCES


def citation_key(evidence: Evidence) -> CitationKey:
    """The identity of the document behind ``evidence``."""
    indicator = "" if is_document(evidence) else evidence.indicator
    landing = (evidence.landing_url or "").split("#", 1)[0]
    return (evidence.source, indicator, evidence.snapshot_sha256, evidence.url, landing)


@dataclass
class Citation:
    """One cited document, with the span of periods, pages and dates of the evidence drawn from it."""

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
    landing_url: str | None = None
    indicator_page_url: str | None = None
    document_title: str | None = None
    document_producer: str | None = None
    archived_url: str | None = None
    archived_at: datetime | None = None
    published: dict[str, set[date]] = field(default_factory=dict)
    retrieved: set[datetime] = field(default_factory=set)
    pages: set[int] = field(default_factory=set)
    contributors: set[str] = field(default_factory=set)

    def add(self, evidence: Evidence) -> None:
        """Widen the citation to cover one more piece of evidence from the same document."""
        self.period_start = min(self.period_start, evidence.period_start)
        self.period_end = max(self.period_end, evidence.period_end)
        basis = evidence.published_basis
        # "relevé le" is our own first retrieval; the other bases date the producer's publication.
        moment = (
            (evidence.first_seen_at or evidence.published_at or evidence.retrieved_at)
            if basis == "first_seen"
            else evidence.published_at
        )
        if moment is not None:
            self.published.setdefault(basis, set()).add(moment.date())
        self.retrieved.add(evidence.retrieved_at)
        if evidence.page is not None:
            self.pages.add(evidence.page)
        if evidence.source == "contributed" and evidence.contributed_by:
            self.contributors.add(evidence.contributed_by)
        if evidence.archived_at is not None and (
            self.archived_at is None or evidence.archived_at < self.archived_at
        ):
            self.archived_url, self.archived_at = evidence.archived_url, evidence.archived_at

    @property
    def is_document(self) -> bool:
        return self.source in DOCUMENT_SOURCES

    def parts(self, lang: str) -> list[CitationPart]:
        """The reference, in order, as text, italic title, links and the fingerprint (without its number)."""
        lang = check_lang(lang)
        out: list[CitationPart] = []

        def plain(value: str) -> None:
            out.append(CitationPart(value))

        if self.is_document:
            plain(f"{self.document_producer or _w('unknown_producer', lang)}, ")
            out.append(
                CitationPart(self.document_title or pick(lang, self.label_fr, self.label_en), "italic")
            )
        else:
            plain(f"{self.producer}, ")
            out.append(CitationPart(pick(lang, self.label_fr, self.label_en), "italic"))
            plain(f" ({self.source}, {self.indicator}), {_w('period', lang)} ")
            plain(format_period(self.period_start, self.period_end, lang))
        plain(f", {self._dates(lang)}")
        if self.pages:
            plain(f", {_w('page', lang)} {', '.join(str(p) for p in sorted(self.pages))}")
        if self.contributors:
            plain(f", {_w('noted_by', lang)} {', '.join(sorted(self.contributors))}")
        if self.republishes:
            plain(f", {_w('republishes', lang, source=republished_producer(self.republishes))}")
        plain(f". {_w('online', lang)} ")
        landing = next((u for u in (self.landing_url, self.url) if is_public_url(u)), None)
        if landing:
            out.append(CitationPart(landing, "link", landing))
        else:
            plain(_w("no_public_url_upload" if self.source == "contributed" else "no_public_url", lang))
        if self.indicator_page_url and is_public_url(self.indicator_page_url):
            plain(f" ; {_w('indicator_page', lang)} ")
            out.append(CitationPart(self.indicator_page_url, "link", self.indicator_page_url))
        plain(f" ({_w('consulted', lang)} {_days({m.date() for m in self.retrieved}, lang)}).")
        if self.archived_url and self.archived_at and is_public_url(self.archived_url):
            plain(f" {_w('archived', lang)} ")
            out.append(CitationPart(self.archived_url, "link", self.archived_url))
            plain(f" ({_w('captured', lang)} {format_day(self.archived_at.date(), lang)}).")
        technical = self.url if is_public_url(self.url) else ""
        plain(f" {_w('technical', lang)} ")
        if technical and technical.split("#", 1)[0] != (landing or "").split("#", 1)[0]:
            out.append(CitationPart(technical, "link", technical))
            plain(", ")
        out.append(CitationPart(f"{_w('fingerprint', lang)} "))
        out.append(CitationPart(self.snapshot_sha256, "code"))
        plain(".")
        return out

    def describe(self, lang: str) -> str:
        """The whole reference as one line of plain text (without its number)."""
        return "".join(part.text for part in self.parts(lang))

    def _dates(self, lang: str) -> str:
        if not self.published:
            return _w("no_date", lang)
        phrases: list[str] = []
        for basis in ("document_date", "first_release", "last_modified", "first_seen"):
            days = self.published.get(basis)
            if not days:
                continue
            label = pick(lang, *DATE_BASIS[basis])
            if phrases and label in phrases[-1]:
                phrases[-1] += f", {_days(days, lang)}"
            else:
                phrases.append(f"{label} {_days(days, lang)}")
        return ", ".join(phrases)


def _days(days: set[date], lang: str) -> str:
    return ", ".join(format_day(d, lang) for d in sorted(days))


FIRST_EVIDENCE_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(Citation)
    if f.name in Evidence.model_fields and f.name not in ("archived_url", "archived_at")
)
"""The fields a citation takes from the first evidence drawn from its document, by the same names (one
definition: a field added to both is copied). The archived copy is the earliest of all (see
:meth:`Citation.add`)."""


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
            first = {name: getattr(evidence, name) for name in FIRST_EVIDENCE_FIELDS}
            citation = Citation(number=len(self._by_key) + 1, **first)
            self._by_key[key] = citation
        citation.add(evidence)
        return citation.number

    def citations(self) -> list[Citation]:
        """Every citation handed out so far, by number."""
        return sorted(self._by_key.values(), key=lambda c: c.number)
