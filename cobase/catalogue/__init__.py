"""The pathology catalogue: what a seriously ill person must be able to obtain, and which indicators say so.

Three data files sit beside this module, because clinical content is data that physicians review, not
code: ``items.yml`` (medicines, tests, equipment, specialists), ``pathologies.yml`` (ICD-10 codes, names
and what each pathology requires, with the WHO guidance it comes from) and ``indicator_map.yml`` (which
pathologies and items each indicator of ``sources.yml`` informs). They are validated together on load;
a defect is one :class:`CatalogueError` naming the file, the entry and the key, never a half-loaded
catalogue that would make the evidence engine silently skip a treatment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cobase.registry import AccessDimension
from cobase.text import strip_accents
from cobase.yamltext import load_yaml

CATALOGUE_DIR = Path(__file__).resolve().parent
ITEMS_FILE = "items.yml"
PATHOLOGIES_FILE = "pathologies.yml"
INDICATOR_MAP_FILE = "indicator_map.yml"

ICD10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")
ATC_LEVEL5_PATTERN = re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"id {value!r} must be lower-case letters, digits and underscores")
    return value


CatalogueId = Annotated[str, AfterValidator(_check_id)]
"""An item or pathology id: lower-case letters, digits and underscores (stable in URLs and files)."""


class CatalogueError(ValueError):
    """The catalogue cannot be used; the message names the file, the entry and the key."""


def normalize_name(text: str) -> str:
    """Casefold, strip accents and unify punctuation, so that "Dolutégravir" and "DOLUTEGRAVIR" meet.

    Every non-alphanumeric run becomes one space: "TDF/3TC/DTG", "TDF-3TC-DTG" and "TDF + 3TC + DTG"
    all give "tdf 3tc dtg". Shared by the loader (to reject a name claimed by two items) and by the
    medicine matcher, so both agree on what counts as the same name.
    """
    folded = strip_accents(text).casefold().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", folded).split())


_STOPWORDS = frozenset({"de", "du", "des", "d", "la", "le", "l", "les", "of", "the", "par", "with", "avec"})


def _pathology_key(text: str) -> str:
    """A pathology name for lookups, normalized without linking words ("diabète de type 2")."""
    return " ".join(word for word in normalize_name(text).split() if word not in _STOPWORDS)


class ItemKind(StrEnum):
    """What kind of thing must be accessible."""

    medicine = "medicine"
    test = "test"
    equipment = "equipment"  # machines and the procedures they deliver (dialysis, radiotherapy)
    specialist = "specialist"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """A medicine, test, piece of equipment or specialist, with every name people write it under."""

    id: CatalogueId
    kind: ItemKind
    name_fr: str
    name_en: str
    synonyms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    inn: str | None = None
    atc: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    eml: bool | None = Field(
        default=None, description="listed on the WHO Model List of Essential Medicines, 24th list (2025)"
    )
    long_acting_form_of: str | None = Field(
        default=None,
        description="the oral item of the same molecule: a name of that molecule written with a long-acting "
        "marker (retard, décanoate, LAI, injectable where the oral item has no injection) resolves here",
    )
    note: str | None = None

    @field_validator("atc")
    @classmethod
    def _check_atc(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if not ATC_LEVEL5_PATTERN.match(code):
                raise ValueError(f"{code!r} is not a level-5 ATC code (like J05AJ03)")
        return codes

    @model_validator(mode="after")
    def _check_kind_fields(self) -> Item:
        if self.kind is ItemKind.medicine:
            missing = [key for key in ("inn", "atc", "eml") if getattr(self, key) in (None, ())]
            if missing:
                raise ValueError(f"a medicine needs {', '.join(missing)}")
            if len(self.components) == 1:
                raise ValueError("a combination lists at least two components")
        else:
            misplaced = [
                key
                for key in ("inn", "atc", "eml", "components", "long_acting_form_of")
                if getattr(self, key) not in (None, ())
            ]
            if misplaced:
                raise ValueError(f"only medicines have {', '.join(misplaced)}")
        return self

    @property
    def is_combination(self) -> bool:
        """True for a fixed-dose combination whose mono-substances are catalogue items."""
        return bool(self.components)

    def names(self) -> tuple[str, ...]:
        """Every name this item answers to, as written in the catalogue (the id included)."""
        inn = (self.inn,) if self.inn else ()
        return (self.name_fr, self.name_en, *inn, *self.synonyms, *self.abbreviations, self.id)


class Requirements(_Strict):
    """What must be accessible for a pathology, grouped by kind (item ids)."""

    medicines: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    specialists: tuple[str, ...] = ()

    def all_ids(self) -> tuple[str, ...]:
        """Every required item id: medicines, then tests, equipment and specialists."""
        return (*self.medicines, *self.tests, *self.equipment, *self.specialists)


REQUIREMENT_KINDS: dict[str, ItemKind] = {
    "medicines": ItemKind.medicine,
    "tests": ItemKind.test,
    "equipment": ItemKind.equipment,
    "specialists": ItemKind.specialist,
}


class Pathology(_Strict):
    """A pathology, its codes and names, what it requires and where that comes from."""

    id: CatalogueId
    icd10: tuple[str, ...] = Field(min_length=1)
    name_fr: str
    name_en: str
    synonyms_fr: tuple[str, ...] = ()
    synonyms_en: tuple[str, ...] = ()
    requires: Requirements
    first_line: tuple[str, ...] = Field(default=(), description="medicines WHO guidance names as first line")
    terms: tuple[str, ...] = Field(
        default=(),
        description="other words that, in a report, name this pathology or its treatments (ARV, dialyse); "
        "they may be shared by several pathologies (insuline)",
    )
    sources: tuple[str, ...] = Field(min_length=1, description="citations the content comes from")

    @field_validator("icd10")
    @classmethod
    def _check_icd10(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if not ICD10_PATTERN.match(code):
                raise ValueError(f"{code!r} is not an ICD-10 code (like B20 or F43.1)")
        return codes

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, citations: tuple[str, ...]) -> tuple[str, ...]:
        if any(not citation.strip() for citation in citations):
            raise ValueError("a source citation is empty")
        return citations

    @model_validator(mode="after")
    def _check_requirements(self) -> Pathology:
        if not self.requires.all_ids():
            raise ValueError("requires lists no item")
        stray = [item_id for item_id in self.first_line if item_id not in self.requires.medicines]
        if stray:
            raise ValueError(f"first_line {stray[0]!r} is not among requires.medicines")
        return self

    def names(self) -> tuple[str, ...]:
        """Every name of this pathology, French and English."""
        return (self.name_fr, self.name_en, *self.synonyms_fr, *self.synonyms_en)

    def default_items(self) -> tuple[str, ...]:
        """The items assessed when nobody chose any: the first-line medicines (every required medicine
        when WHO names none, as for dialysis), then every required test, equipment and specialist.

        The one definition of the default set: the CLI (no ``--item``) and the app's pre-ticked list
        both use it.
        """
        medicines = self.first_line or self.requires.medicines
        return (*medicines, *self.requires.tests, *self.requires.equipment, *self.requires.specialists)


LinkScope = Literal["item", "class", "population", "system"]
"""What an indicator's values are about (see :class:`IndicatorLink`)."""

SCOPES: tuple[str, ...] = ("item", "class", "population", "system")


class IndicatorLink(_Strict):
    """What one indicator of sources.yml informs: pathologies ("all" for every one), scope and items.

    ``scope`` says what a value is about, so that a national figure is never shown under a medicine:

    - ``item``: the exact medicine, test or specialist; ``items`` lists them, or is empty when each
      observation names its own item (Global Fund records, document mentions);
    - ``class``: a class of treatments ("all antiretrovirals", "insulin" in general); ``members`` are
      the catalogue items of the class (the link is relevant only to a patient who needs one of them),
      never shown as what the value is about;
    - ``population``: national coverage or outcome (ART coverage, viral suppression);
    - ``system``: financing or workforce of the health system.

    Only ``item`` links carry ``items``; every other scope carries ``about_fr``/``about_en``, the label
    of what the value is about ("tous antirétroviraux", "population générale"). ``note`` says why.
    """

    pathologies: Literal["all"] | tuple[str, ...]
    scope: LinkScope
    items: tuple[str, ...] = ()
    members: tuple[str, ...] = Field(
        default=(), description="class scope only: catalogue items that belong to the class"
    )
    about_fr: str | None = Field(default=None, description="what a non-item value is about, in French")
    about_en: str | None = Field(default=None, description="what a non-item value is about, in English")
    dimension: AccessDimension | None = Field(
        default=None, description="overrides the dimension declared in sources.yml"
    )
    note: str = Field(min_length=1, description="why the link, its scope and its dimension hold")

    @field_validator("pathologies")
    @classmethod
    def _check_not_empty(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        if value != "all" and not value:
            raise ValueError('list at least one pathology, or write "all"')
        return value

    @model_validator(mode="after")
    def _check_scope(self) -> IndicatorLink:
        if self.scope != "item" and self.items:
            raise ValueError(f"only an item-scope link lists items; a {self.scope}-scope link may not")
        if self.scope != "class" and self.members:
            raise ValueError(f"only a class-scope link lists members, not a {self.scope}-scope link")
        labels = (self.about_fr, self.about_en)
        if self.scope == "item" and any(label is not None for label in labels):
            raise ValueError("an item-scope link is about its items: it takes no about_fr/about_en")
        if self.scope != "item" and any(label is None or not label.strip() for label in labels):
            raise ValueError(f"a {self.scope}-scope link says what it is about in about_fr and about_en")
        return self

    def covers(self, pathology_id: str) -> bool:
        """Whether this indicator says something about the pathology."""
        return self.pathologies == "all" or pathology_id in self.pathologies


class Catalogue(_Strict):
    """Items, pathologies and the indicator map, cross-checked."""

    directory: Path
    items: dict[str, Item]
    pathologies: dict[str, Pathology]
    indicator_map: dict[str, dict[str, IndicatorLink]]

    def pathology(self, pathology_id: str) -> Pathology:
        """The pathology with this id or name (see :meth:`resolve_pathology`); a clear error otherwise."""
        found = self.pathologies.get(pathology_id)
        return found if found is not None else self.resolve_pathology(pathology_id)

    def resolve_pathology(self, text: str) -> Pathology:
        """The pathology an id or any French or English name or synonym designates, ignoring case and
        accents ("VIH", "diabète de type 2", "dialyse").

        A word that belongs to the names of several pathologies ("diabète", "hépatite") is refused with
        the candidates, never guessed; an unknown name lists the known ids.
        """
        wanted = _pathology_key(text)
        exact = [
            p for p in self.pathologies.values() if wanted in {_pathology_key(n) for n in (p.id, *p.names())}
        ]
        if wanted and len(exact) == 1:
            return exact[0]
        words = f" {wanted} "
        found = [
            p
            for p in self.pathologies.values()
            if wanted and any(words in f" {_pathology_key(name)} " for name in (p.id, *p.names()))
        ]
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(f"{p.id} ({p.name_fr})" for p in found)
            raise CatalogueError(f"pathology {text!r} is ambiguous: it may be {shown}; give one of these ids")
        known = ", ".join(self.pathologies)
        raise CatalogueError(
            f"no pathology {text!r} (known: {known}; French and English names such as VIH or dialyse "
            "are accepted too)"
        )

    def default_items(self, pathology_id: str) -> list[Item]:
        """The items assessed when none is chosen (:meth:`Pathology.default_items`), as items."""
        return [self.items[item_id] for item_id in self.pathology(pathology_id).default_items()]

    def pathologies_named(self, text: str) -> set[str]:
        """Ids of the pathologies a text names, by a name, a synonym or a term (ARV, dialyse, insuline).

        Short upper-case abbreviations ("VIH", "TB", "DID") must be written in capitals, so that
        ordinary words ("did") do not count; other names are matched ignoring case and accents. Only
        whole words count.
        """
        return _pathology_patterns(self).named(text)

    def item(self, item_id: str) -> Item:
        """The item with this id; a clear error otherwise."""
        try:
            return self.items[item_id]
        except KeyError:
            raise CatalogueError(f"{self.directory / ITEMS_FILE}: no item {item_id!r}") from None

    def required_items(self, pathology_id: str) -> list[Item]:
        """What must be accessible for the pathology: medicines, tests, equipment, specialists."""
        return [self.items[item_id] for item_id in self.pathology(pathology_id).requires.all_ids()]

    def items_of_kind(self, kind: ItemKind | str) -> list[Item]:
        """All items of one kind, in file order."""
        return [item for item in self.items.values() if item.kind == kind]

    def pathologies_requiring(self, item_id: str) -> list[Pathology]:
        """The pathologies for which this item (or a combination containing it) must be accessible."""
        self.item(item_id)
        return [
            pathology
            for pathology in self.pathologies.values()
            if any(
                item_id == required or item_id in self.items[required].components
                for required in pathology.requires.all_ids()
            )
        ]

    def indicator_links(self, source_key: str, indicator_code: str) -> IndicatorLink | None:
        """What an indicator informs, or None when the map does not know it."""
        return self.indicator_map.get(source_key, {}).get(indicator_code)

    def indicators_for(self, pathology_id: str) -> list[tuple[str, str, IndicatorLink]]:
        """Every (source_key, indicator_code, link) that informs the pathology, "all" links included."""
        resolved = self.pathology(pathology_id).id
        return [
            (source_key, code, link)
            for source_key, links in self.indicator_map.items()
            for code, link in links.items()
            if link.covers(resolved)
        ]


# --- pathology names in free text ----------------------------------------------------------------------

_ABBREVIATION = re.compile(r"^[A-Z0-9]{2,5}$")


class _PathologyPatterns:
    """Per pathology, one regular expression for its names and terms on folded text, one for its
    upper-case abbreviations on the text as written (accents stripped)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue  # kept alive, so that the id() used as cache key is never reused
        self.patterns: list[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None]] = []
        for pathology in catalogue.pathologies.values():
            folded: list[str] = []
            capitals: list[str] = []
            for name in (*pathology.names(), *pathology.terms):
                written = strip_accents(name).strip()
                if _ABBREVIATION.match(written):
                    capitals.append(re.escape(written) + "s?")
                    continue
                tokens = normalize_name(name).split()
                if tokens:
                    folded.append(r"[^a-z0-9]{1,3}".join(map(re.escape, tokens)))
            self.patterns.append((pathology.id, _words(folded, "a-z0-9"), _words(capitals, "A-Za-z0-9")))

    def named(self, text: str) -> set[str]:
        plain = strip_accents(text)
        folded = plain.casefold()
        return {
            pathology_id
            for pathology_id, folded_pattern, capitals_pattern in self.patterns
            if (folded_pattern is not None and folded_pattern.search(folded))
            or (capitals_pattern is not None and capitals_pattern.search(plain))
        }


def _words(patterns: list[str], word: str) -> re.Pattern[str] | None:
    if not patterns:
        return None
    ordered = sorted(set(patterns), key=lambda pattern: (-len(pattern), pattern))
    return re.compile(rf"(?<![{word}])(?:{'|'.join(ordered)})(?![{word}])")


_PATTERNS: dict[int, _PathologyPatterns] = {}


def _pathology_patterns(catalogue: Catalogue) -> _PathologyPatterns:
    found = _PATTERNS.get(id(catalogue))
    if found is None:
        found = _PATTERNS[id(catalogue)] = _PathologyPatterns(catalogue)
    return found


# --- loading -------------------------------------------------------------------------------------------

_Model = TypeVar("_Model", bound=BaseModel)


def _describe(error: Any) -> str:
    """One validation error as "unknown key 'x'" / "missing required key 'x'" / "'x': message"."""
    # Union branches put their type name in loc ("tuple[str, ...]"); a person needs only the keys.
    loc = [str(part) for part in error["loc"] if isinstance(part, int) or "[" not in str(part)]
    key = ".".join(loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"unknown key {key!r}"
    if error["type"] == "missing":
        return f"missing required key {key!r}"
    return f"{key!r}: {message}" if key else message


def _read_yaml(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{file}: cannot read catalogue file ({exc.strerror or exc})") from exc
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{file}: not valid YAML ({exc})") from exc


def _entries(file: Path, top_key: str) -> list[Any]:
    raw = _read_yaml(file)
    if not isinstance(raw, dict) or not isinstance(raw.get(top_key), list):
        raise CatalogueError(f"{file}: expected a top-level '{top_key}:' list")
    unknown = sorted(set(raw) - {top_key})
    if unknown:
        raise CatalogueError(f"{file}: unknown top-level key {unknown[0]!r}")
    return list(raw[top_key])


def _parse_list(file: Path, top_key: str, label: str, model: type[_Model]) -> dict[str, _Model]:
    """Validate each entry of a list of mappings with an ``id``; the error names the entry."""
    parsed: dict[str, _Model] = {}
    for position, entry in enumerate(_entries(file, top_key), start=1):
        name = f"{label} #{position}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            name = f"{label} {entry['id']!r}"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{file}: {name}: expected a mapping, got {type(entry).__name__}")
        try:
            value = model.model_validate(entry)
        except ValidationError as exc:
            raise CatalogueError(f"{file}: {name}: {_describe(exc.errors()[0])}") from exc
        entry_id = str(entry["id"])
        if entry_id in parsed:
            raise CatalogueError(f"{file}: {name}: duplicate id")
        parsed[entry_id] = value
    return parsed


def _parse_indicator_map(file: Path) -> dict[str, dict[str, IndicatorLink]]:
    raw = _read_yaml(file)
    if not isinstance(raw, dict):
        raise CatalogueError(f"{file}: expected a mapping of source keys to indicator codes")
    links: dict[str, dict[str, IndicatorLink]] = {}
    for source_key, codes in raw.items():
        if not isinstance(codes, dict):
            raise CatalogueError(f"{file}: source {source_key!r}: expected a mapping of indicator codes")
        links[str(source_key)] = {}
        for code, entry in codes.items():
            name = f"indicator {source_key}/{code}"
            if not isinstance(entry, dict):
                raise CatalogueError(f"{file}: {name}: expected a mapping, got {type(entry).__name__}")
            try:
                links[str(source_key)][str(code)] = IndicatorLink.model_validate(entry)
            except ValidationError as exc:
                raise CatalogueError(f"{file}: {name}: {_describe(exc.errors()[0])}") from exc
    return links


def _check_unique_names(file: Path, label: str, entries: Iterable[tuple[str, tuple[str, ...]]]) -> None:
    """No normalized name may belong to two entries: the matcher would have to guess between them."""
    owner: dict[str, tuple[str, str]] = {}
    for entry_id, names in entries:
        for name in names:
            key = normalize_name(name)
            if not key:
                raise CatalogueError(f"{file}: {label} {entry_id!r}: name {name!r} is empty once normalized")
            previous = owner.setdefault(key, (entry_id, name))
            if previous[0] != entry_id:
                raise CatalogueError(
                    f"{file}: {label} {entry_id!r}: name {name!r} is also a name of {label} "
                    f"{previous[0]!r} ({previous[1]!r})"
                )


def _check_references(
    file: Path, where: str, ids: Iterable[str], known: dict[str, Any], what: str = "item"
) -> None:
    for ref in ids:
        if ref not in known:
            raise CatalogueError(f"{file}: {where}: unknown {what} {ref!r}")


def _cross_check(
    directory: Path,
    items: dict[str, Item],
    pathologies: dict[str, Pathology],
    indicator_map: dict[str, dict[str, IndicatorLink]],
) -> None:
    """Checks that span files: references, kinds, orphans and shared names."""
    items_file = directory / ITEMS_FILE
    pathologies_file = directory / PATHOLOGIES_FILE
    map_file = directory / INDICATOR_MAP_FILE

    for item in items.values():
        where = f"item {item.id!r}: 'components'"
        _check_references(items_file, where, item.components, items)
        for component in item.components:
            if items[component].kind is not ItemKind.medicine or items[component].components:
                raise CatalogueError(f"{items_file}: {where}: {component!r} is not a single medicine")
    for item in items.values():
        if item.long_acting_form_of is not None:
            where = f"item {item.id!r}: 'long_acting_form_of'"
            _check_references(items_file, where, (item.long_acting_form_of,), items)
            twin = items[item.long_acting_form_of]
            if twin.kind is not ItemKind.medicine or twin.long_acting_form_of or twin.id == item.id:
                raise CatalogueError(f"{items_file}: {where}: {twin.id!r} is not an oral medicine")
    combinations: dict[frozenset[str], str] = {}
    for item in items.values():
        if item.components:
            other = combinations.setdefault(frozenset(item.components), item.id)
            if other != item.id:
                raise CatalogueError(f"{items_file}: item {item.id!r}: same components as {other!r}")

    used: set[str] = set()
    for pathology in pathologies.values():
        for group, kind in REQUIREMENT_KINDS.items():
            where = f"pathology {pathology.id!r}: 'requires.{group}'"
            ids = getattr(pathology.requires, group)
            _check_references(pathologies_file, where, ids, items)
            for item_id in ids:
                if items[item_id].kind is not kind:
                    raise CatalogueError(
                        f"{pathologies_file}: {where}: {item_id!r} is a {items[item_id].kind}, not a {kind}"
                    )
                used.update((item_id, *items[item_id].components))
    orphans = [item_id for item_id in items if item_id not in used]
    if orphans:
        raise CatalogueError(f"{items_file}: item {orphans[0]!r}: required by no pathology")

    _check_unique_names(items_file, "item", ((item.id, item.names()) for item in items.values()))
    _check_unique_names(
        pathologies_file,
        "pathology",
        ((pathology.id, pathology.names()) for pathology in pathologies.values()),
    )

    for source_key, links in indicator_map.items():
        for code, link in links.items():
            where = f"indicator {source_key}/{code}"
            if link.pathologies != "all":
                _check_references(
                    map_file, f"{where}: 'pathologies'", link.pathologies, pathologies, "pathology"
                )
            _check_references(map_file, f"{where}: 'items'", link.items, items)
            _check_references(map_file, f"{where}: 'members'", link.members, items)


@lru_cache(maxsize=8)
def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Load and cross-check the catalogue (the packaged one by default); cached, since it never changes.

    ``directory`` lets tests load a defective copy; any defect raises :class:`CatalogueError`.
    """
    base = Path(directory) if directory is not None else CATALOGUE_DIR
    items = _parse_list(base / ITEMS_FILE, "items", "item", Item)
    pathologies = _parse_list(base / PATHOLOGIES_FILE, "pathologies", "pathology", Pathology)
    indicator_map = _parse_indicator_map(base / INDICATOR_MAP_FILE)
    _cross_check(base, items, pathologies, indicator_map)
    return Catalogue(directory=base, items=items, pathologies=pathologies, indicator_map=indicator_map)


__all__ = [
    "ATC_LEVEL5_PATTERN",
    "CATALOGUE_DIR",
    "ICD10_PATTERN",
    "SCOPES",
    "Catalogue",
    "CatalogueError",
    "IndicatorLink",
    "Item",
    "ItemKind",
    "LinkScope",
    "Pathology",
    "Requirements",
    "load_catalogue",
    "normalize_name",
]
