"""The typed result of an assessment: dated, sourced statements per access dimension.

It is not a verdict and carries no score: every statement points to its evidence, and what is missing
(gaps) or disputed (contradictions) or old (stale) is listed as prominently as what is there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from cobase.evidence.register_timeline import RegisterTimeline

DIMENSIONS: tuple[str, ...] = (
    "availability",
    "continuity",
    "affordability",
    "financial_coverage",
    "geographic_coverage",
    "workforce",
    "follow_up",
)
"""The access dimensions an assessment reports on, in display order."""

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "availability": ("Disponibilité", "Availability"),
    "continuity": ("Continuité (ruptures de stock)", "Continuity (stock-outs)"),
    "affordability": ("Coût pour le patient", "Affordability"),
    "financial_coverage": ("Couverture financière", "Financial coverage"),
    "geographic_coverage": ("Couverture géographique", "Geographic coverage"),
    "workforce": ("Personnels et spécialistes", "Workforce and specialists"),
    "follow_up": ("Suivi biologique et examens", "Follow-up tests"),
    "context": ("Contexte", "Context"),
}


PublishedBasis = Literal["first_release", "last_modified", "document_date", "first_seen"]
"""What an observation's ``published_at`` means: the producer's first release of the value, the
producer's last-modified stamp (proves nothing about earlier publication), the date of the document
that states it, or only the date we first retrieved it."""

AsOfStatus = Literal["published_by", "published_after", "unknown"]
"""Whether a version can be shown to have been public by an as-of date D (``published_by``), can be
shown to have been published after D (``published_after``), or neither (``unknown``)."""

Scope = Literal["item", "class", "population", "system"]
"""What a value is about: the patient's exact medicine, test or specialist (``item``); a class such as
all antiretrovirals (``class``); national coverage or outcome (``population``); financing or workforce
(``system``)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Evidence(_Frozen):
    """One observation as evidence, with everything needed to cite it."""

    source: str
    producer: str
    indicator: str
    label_fr: str
    label_en: str
    item: str | None = Field(
        description="catalogue item id this evidence is about; None for general evidence"
    )
    items: list[str] = Field(default_factory=list)
    breakdown: str = ""
    value: str
    value_num: float | None
    unit: str | None
    period_start: date
    period_end: date
    published_at: datetime | None
    retrieved_at: datetime
    url: str
    snapshot_sha256: str
    quote: str | None = None
    page: int | None = None
    review_status: str | None = Field(
        default=None, description="None for producers' data; candidate, contributed or confirmed otherwise"
    )
    contributed_by: str | None = None
    republishes: str | None = Field(default=None, description="source whose data this one republishes")
    revised_later: bool = Field(default=False, description="a newer version was published after as_of")
    published_basis: PublishedBasis = Field(default="first_seen", description="what published_at means")
    first_seen_at: datetime | None = Field(
        default=None, description="our earliest retrieval of a snapshot holding this version"
    )
    last_seen_at: datetime | None = Field(
        default=None, description="our latest retrieval of a snapshot holding this version"
    )
    as_of_status: AsOfStatus = Field(default="unknown", description="publication status relative to as_of")
    withdrawn_at: datetime | None = Field(
        default=None, description="when the producer stopped publishing this series (None if still published)"
    )
    scope: Scope = Field(
        default="item", description="what the value is about: item, class, population, system"
    )
    about_fr: str | None = Field(
        default=None, description="for class, population and system scope: what the value is about, in French"
    )
    about_en: str | None = Field(
        default=None,
        description="for class, population and system scope: what the value is about, in English",
    )
    class_members: list[str] = Field(
        default_factory=list,
        description="for class scope: catalogue items of the class (to match contradictions; never shown as "
        "what the value is about)",
    )
    stale: bool = False
    landing_url: str | None = Field(
        default=None,
        description="a public page a reader can open for this value (the producer's page for the country, "
        "the report's or document's own page); url is the address that was fetched, on the producer's host",
    )
    indicator_page_url: str | None = Field(default=None, description="the producer's page on the indicator")
    document_title: str | None = Field(default=None, description="title of the cited document, if any")
    document_producer: str | None = Field(default=None, description="who published the cited document")
    archived_url: str | None = Field(
        default=None, description="the Wayback Machine's earliest capture of landing_url (or url)"
    )
    archived_at: datetime | None = Field(default=None, description="when that capture was made")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def independent(self) -> bool:
        """False for a source that only republishes another (never independent confirmation)."""
        return self.republishes is None


class Trend(_Frozen):
    """How one series moved over the window: first and last values, with their periods."""

    source: str
    indicator: str
    breakdown: str
    first_period: date
    first_value: float
    last_period: date
    last_value: float
    change: float
    direction: str = Field(description="up, down or stable")
    points: int


class Dimension(_Frozen):
    """Evidence for one access dimension."""

    name: str
    label_fr: str
    label_en: str
    evidence: list[Evidence]
    latest: list[Evidence] = Field(description="the newest value of each series")
    trend: list[Trend]
    sources: list[str]
    independent_sources: list[str] = Field(description="sources that do not merely republish another")


class Gap(_Frozen):
    """Something the physician needs documented and for which no source has anything."""

    kind: str = Field(description="item, dimension, or source (a source that does not cover the country)")
    id: str
    name_fr: str
    name_en: str
    message_fr: str
    message_en: str


class Contradiction(_Frozen):
    """Sources (or versions) that disagree on overlapping periods; both sides are listed."""

    kind: str = Field(description="availability_vs_stockout or revision")
    item: str | None
    description_fr: str
    description_en: str
    sides: list[Evidence]


class Assessment(_Frozen):
    """What sources say about effective access to care for one country and pathology, as of a date."""

    country_iso3: str
    country_name_fr: str
    country_name_en: str
    pathology: str
    pathology_name_fr: str
    pathology_name_en: str
    items: list[str]
    as_of: date
    window_years: int
    stale_after_years: int
    generated_at: datetime
    dimensions: list[Dimension]
    gaps: list[Gap]
    contradictions: list[Contradiction]
    stale: list[Evidence]
    published_after_as_of: list[Evidence] = Field(
        default_factory=list, description="evidence published after as_of (what was not yet knowable)"
    )
    registers: list[RegisterTimeline] = Field(
        default_factory=list,
        description="per national register and chosen medicine, its versions known by as_of",
    )
    demonstration: bool = Field(
        default=False,
        description="read from a demonstration store (cobase's sample files): every page and export says so",
    )

    def dimension(self, name: str) -> Dimension:
        """The dimension with this name."""
        return next(d for d in self.dimensions if d.name == name)
