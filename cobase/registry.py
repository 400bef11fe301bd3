"""The registry of sources (``sources.yml``), validated on load.

Each source carries OWID-style provenance (producer, title, url_main, licence, citation, cadence) that
travels with every value derived from it. A bad file is one clear error naming the file, the source and
the key, never a traceback half-way through a refresh.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cobase.limits import DEFAULT_MAX_BODY_MB, DEFAULT_MAX_ZIP_MEMBER_MB, megabytes_to_bytes
from cobase.settings import sources_file
from cobase.yamltext import load_yaml


class AccessDimension(StrEnum):
    """What an indicator tells about effective access to care."""

    availability = "availability"
    continuity = "continuity"
    affordability = "affordability"
    financial_coverage = "financial_coverage"
    geographic_coverage = "geographic_coverage"
    workforce = "workforce"
    follow_up = "follow_up"
    context = "context"


class SourcesFileError(ValueError):
    """``sources.yml`` cannot be used; the message names the file, the source and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Licence(_Strict):
    name: str
    url: str


class Polarity(StrEnum):
    """Whether a rise of an indicator is better for access to care, worse, or neither in itself."""

    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"
    neutral = "neutral"


class Indicator(_Strict):
    """One series a source publishes, with what it measures for access to care."""

    code: str
    label_en: str
    label_fr: str
    unit: str
    dimension: AccessDimension
    polarity: Polarity = Field(
        default=Polarity.neutral,
        description="higher_is_better, lower_is_better or neutral: how a trend reads for access",
    )
    question_fr: str | None = Field(default=None, description="the survey question, for answers")
    question_en: str | None = None
    description: str | None = None
    republishes: str | None = Field(
        default=None,
        description="key of the source whose figures this indicator republishes, when its source as a whole "
        "does not (never independent)",
    )
    page_url: str | None = Field(
        default=None,
        description="the producer's page about this indicator, for readers (GHO indicator page, AIDSinfo)",
    )


class DocumentRef(_Strict):
    """A report listed in sources.yml (NGO, agency, national programme), fetched as a snapshot."""

    url: str
    title: str
    producer: str
    published: date | None = None
    countries: list[str] = Field(default_factory=list, description="ISO3 codes the document is about")
    language: str | None = None


class Source(_Strict):
    """One producer endpoint, as declared in sources.yml."""

    key: str = ""
    producer: str
    title: str
    kind: str = Field(description="api, bulk, documents, ...")
    url_main: str
    base_url: str
    canonical_base_url: str | None = Field(
        default=None,
        description="the producer's public address that citations use (default: base_url as written in "
        "the file); base_url may then point at a mirror or a local server without changing any citation",
    )
    licence: Licence
    citation: str
    update_cadence: str
    description: str | None = None
    republishes: str | None = Field(
        default=None, description="key of the source whose data this one republishes (never independent)"
    )
    page_size: int | None = None
    verify_tls: bool = Field(
        default=True,
        description="check the server's TLS certificate; false only as an explicit, logged exception",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="spider argument -> environment variable it comes from; a missing one skips the source",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="source-specific spider arguments; a key the source's spider does not take is an error",
    )
    allowed_redirect_hosts: list[str] = Field(
        default_factory=list,
        description="hosts a redirect may lead to besides base_url's own (the Global Fund's v4.2 answers "
        "with a redirect to fetch.theglobalfund.org); a redirect to any other host is refused",
    )
    documents: list[DocumentRef] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    refresh_every_days: int | None = Field(
        default=None,
        gt=0,
        description="machine-readable cadence: `cobase refresh --due` refreshes the source when this many "
        "days (UTC calendar days) have passed since its last successful refresh; none means always due",
    )
    max_body_mb: float = Field(
        default=DEFAULT_MAX_BODY_MB, gt=0, description="largest response body kept, in MB (refused beyond)"
    )
    max_zip_member_mb: float = Field(
        default=DEFAULT_MAX_ZIP_MEMBER_MB, gt=0, description="largest inflated ZIP member read, in MB"
    )

    @property
    def max_body_bytes(self) -> int:
        """``max_body_mb`` in bytes, as Scrapy's ``DOWNLOAD_MAXSIZE`` takes it."""
        return megabytes_to_bytes(self.max_body_mb)

    @property
    def max_zip_member_bytes(self) -> int:
        """``max_zip_member_mb`` in bytes."""
        return megabytes_to_bytes(self.max_zip_member_mb)

    @field_validator("base_url", "canonical_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return None if value is None else value.rstrip("/")

    @field_validator("canonical_base_url")
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("canonical_base_url must be an http:// or https:// address")
        return value

    @model_validator(mode="after")
    def _default_canonical(self) -> Source:
        # Fixed once, from the file: a later base_url override (mirror, test server) keeps it.
        if self.canonical_base_url is None:
            object.__setattr__(self, "canonical_base_url", self.base_url)
        return self

    @property
    def is_service(self) -> bool:
        """A service cobase queries on demand (the Internet Archive), not a source it crawls."""
        return self.kind == "service"

    def canonical_url(self, fetched_url: str) -> str:
        """The producer's public address of ``fetched_url``: rebased from base_url on canonical_base_url.

        A URL outside base_url (a redirect to another host, a document's own address) is kept as it is.
        """
        canonical = self.canonical_base_url or self.base_url
        if fetched_url == self.base_url or fetched_url.startswith((f"{self.base_url}/", f"{self.base_url}?")):
            return canonical + fetched_url[len(self.base_url) :]
        return fetched_url

    def indicator(self, code: str) -> Indicator | None:
        """The declared indicator with this code, if any."""
        return next((ind for ind in self.indicators if ind.code == code), None)


class Defaults(_Strict):
    """The top-level ``defaults:`` of sources.yml: limits every source has unless it sets its own."""

    max_body_mb: float = Field(default=DEFAULT_MAX_BODY_MB, gt=0)
    max_zip_member_mb: float = Field(default=DEFAULT_MAX_ZIP_MEMBER_MB, gt=0)


class Registry(_Strict):
    """All sources, keyed by their sources.yml key."""

    path: Path
    sources: dict[str, Source]
    defaults: Defaults = Field(default_factory=Defaults)

    @model_validator(mode="after")
    def _check_republishes(self) -> Registry:
        for key, source in self.sources.items():
            if source.republishes and source.republishes not in self.sources:
                raise ValueError(f"source {key!r}: republishes unknown source {source.republishes!r}")
            for indicator in source.indicators:
                if indicator.republishes and indicator.republishes not in self.sources:
                    raise ValueError(
                        f"source {key!r}: indicator {indicator.code!r} republishes unknown source "
                        f"{indicator.republishes!r}"
                    )
                if indicator.republishes == key:
                    raise ValueError(
                        f"source {key!r}: indicator {indicator.code!r} cannot republish its own source"
                    )
        return self

    def get(self, key: str) -> Source:
        """The source with this key; a clear error listing known keys otherwise."""
        try:
            return self.sources[key]
        except KeyError:
            known = ", ".join(sorted(self.sources))
            raise SourcesFileError(f"{self.path}: no source {key!r} (known: {known})") from None

    def with_base_url(self, key: str, base_url: str) -> Registry:
        """A copy with one source's base URL replaced (mirrors, local test servers)."""
        return self.with_overrides(key, base_url=base_url)

    def with_overrides(self, key: str, **fields: Any) -> Registry:
        """A copy with some fields of one source replaced, validated like the file itself."""
        changed = dict(self.sources)
        changed[key] = Source.model_validate({**self.sources[key].model_dump(), **fields})
        return self.model_copy(update={"sources": changed})


def _describe(error: Any, path: Path) -> str:
    loc = [str(part) for part in error["loc"]]
    where = f"{path}"
    if len(loc) >= 2 and loc[0] == "sources":
        where += f": source {loc[1]!r}"
        loc = loc[2:]
    key = ".".join(loc) if loc else "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        what = "unknown key"
    elif kind == "missing":
        what = "missing required key"
    else:
        what = error["msg"]
    return f"{where}: {what} {key!r}"


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the sources registry; raise :class:`SourcesFileError` naming the bad key.

    The file is read on every call, so an edit is seen at once; parsing and validating the same text
    again is skipped (the registry is frozen), since pages and dossiers ask for it many times a run.
    """
    file = sources_file(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesFileError(f"{file}: cannot read sources file ({exc.strerror or exc})") from exc
    return _validated_registry(file, text)


@lru_cache(maxsize=8)
def _validated_registry(file: Path, text: str) -> Registry:
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        raise SourcesFileError(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), dict):
        raise SourcesFileError(f"{file}: expected a top-level 'sources:' mapping of source keys")
    unknown_top = set(raw) - {"sources", "defaults"}
    if unknown_top:
        raise SourcesFileError(f"{file}: unknown top-level key {sorted(unknown_top)[0]!r}")
    try:
        defaults = Defaults.model_validate(raw.get("defaults") or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        what = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise SourcesFileError(f"{file}: defaults: {what} {key!r}") from exc
    entries: dict[str, Any] = {}
    for key, entry in raw["sources"].items():
        if not isinstance(entry, dict):
            raise SourcesFileError(f"{file}: source {key!r}: expected a mapping, got {type(entry).__name__}")
        # A source's own limit wins; otherwise the file's defaults apply.
        entries[str(key)] = {**defaults.model_dump(), **entry, "key": str(key)}
    try:
        registry = Registry(path=file, sources=entries, defaults=defaults)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "value_error" and not first["loc"]:
            raise SourcesFileError(f"{file}: {first['msg'].removeprefix('Value error, ')}") from exc
        raise SourcesFileError(_describe(first, file)) from exc
    _check_spider_params(registry)
    return registry


def _check_spider_params(registry: Registry) -> None:
    """Every key of a source's ``params`` (and ``env``) is an argument its spider takes.

    A misspelt key (``zip_file`` for ``zip_files``) would otherwise be passed to the spider and ignored,
    and the source would quietly fetch its defaults.
    """
    # Read from the spiders' source, not their classes: loading sources.yml does not import Scrapy.
    from crawlers.spiders import declared_spider_arguments

    found = declared_spider_arguments()
    for key, source in registry.sources.items():
        accepted = found.get(key)
        if accepted is None or source.is_service:
            continue
        for name in [*source.params, *source.env]:
            if name not in accepted:
                takes = ", ".join(sorted(accepted - {"base_url", "indicators", "page_size"})) or "none"
                raise SourcesFileError(
                    f"{registry.path}: source {key!r}: unknown key 'params.{name}' "
                    f"(the {key} spider takes: {takes})"
                )
