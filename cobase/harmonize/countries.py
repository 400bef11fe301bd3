"""Countries: one ISO 3166-1 identity for every code or name a producer or a physician gives.

Producers name countries their own way (the World Bank's "Congo, Dem. Rep.", UNAIDS' "Bolivia (Plurinational
State of)", the WHO's ``XKX`` for Kosovo) and mix regions and income groups in with countries; physicians type
"RDC", "Guinée Conakry" or "Camroun". Everything resolves to one :class:`Country` or fails with
:class:`UnknownCountryError` listing the closest candidates. A value attached to the wrong country (Guinée for
Guinée-Bissau, Niger for Nigeria) would mislead a medical certificate, so an unclear name is an error, never a
guess.

ISO codes and English names come from pycountry, French names from its ISO 3166-1 gettext translation; display
overrides, aliases, Kosovo and the aggregate codes live in ``country_aliases.yml`` (data, not code). The
indexes are built once, on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import pycountry
from rapidfuzz import fuzz, process

from cobase.text import strip_accents
from cobase.yamltext import load_yaml

DATA_FILE = "country_aliases.yml"

# A typo must come this close (0-100) to a name to be accepted. Measured on the test tables: real typos
# ("Camroun", "Senegall", "Guiné") score 90 and more, while unrelated names rarely pass 80.
_FUZZY_CUTOFF = 85.0
# Two countries whose best names score within this margin are ambiguous ("Nigera": Niger 91, Nigeria 92).
_AMBIGUITY_MARGIN = 6.0
# Acronyms and fragments ("RC", "Gui") are only ever matched exactly: fuzzy scores on them mean nothing.
_MIN_FUZZY_LENGTH = 4
# A query word of this length or less must begin a word of the country's names ("Eq" for "équatoriale");
# a longer one must be this close to one of its words, or lie within one of its names ("cotedivoir").
_SHORT_WORD = 3
_WORD_CUTOFF = 80.0
_WITHIN_NAME_CUTOFF = 90.0
# Names scoring at least this much are offered as candidates in error messages.
_SUGGESTION_CUTOFF = 55.0
_MAX_CANDIDATES = 5
_LEADING_ARTICLES = frozenset({"the", "le", "la", "les", "l"})
# "The" is dropped from word-set keys so "Gambia, The" and "The Gambia" are one name.
_IGNORED_WORDS = frozenset({"the"})
_NON_WORD = re.compile(r"[\W_]+")
# Letters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATION = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ß": "ss"})
# Key of aggregate names (regions, income groups) in the name indexes, where countries are keyed by ISO3.
_AGGREGATE = ""


@dataclass(frozen=True, slots=True)
class Country:
    """A country as cobase stores it: ISO 3166-1 codes and display names in English and French."""

    iso3: str
    iso2: str
    name_en: str
    name_fr: str


class CountryDataError(ValueError):
    """``country_aliases.yml`` is inconsistent; the message names the section and the offending entry."""


class UnknownCountryError(ValueError):
    """A code or name that is not exactly one country; the message names it and the closest candidates."""

    def __init__(self, query: str, candidates: Sequence[Country] = (), message: str | None = None) -> None:
        self.query = query
        self.candidates: list[Country] = list(candidates)[:_MAX_CANDIDATES]
        super().__init__(message or _unknown_message(query, self.candidates))


def _listing(candidates: Sequence[Country]) -> str:
    return ", ".join(f"{country.name_fr} ({country.iso3})" for country in candidates)


def _unknown_message(query: str, candidates: Sequence[Country]) -> str:
    if candidates:
        return f"Unknown country {query!r}; closest candidates: {_listing(candidates)}."
    return (
        f"Unknown country {query!r} and no country name is close to it: give an ISO3 or ISO2 code or a "
        "country name in French or English."
    )


def _ambiguous_error(query: str, candidates: Sequence[Country]) -> UnknownCountryError:
    return UnknownCountryError(
        query,
        candidates,
        f"Ambiguous country {query!r}, which could be {_listing(candidates)}; give the exact name or the "
        "ISO3 code.",
    )


def _aggregate_error(query: str) -> UnknownCountryError:
    return UnknownCountryError(query, (), f"{query!r} is a region or group of countries, not a country.")


def _empty_error(query: str) -> UnknownCountryError:
    return UnknownCountryError(
        query, (), "No country given: give an ISO3 or ISO2 code or a country name in French or English."
    )


def _fold(text: str) -> str:
    """Case- and accent-free text, for matching and for a locale-independent sort."""
    return strip_accents(text.casefold().translate(_TRANSLITERATION))


@dataclass(frozen=True, slots=True)
class _Keys:
    """The normalized forms of one name: joined words, spaced words, and the sorted set of words."""

    compact: str
    spaced: str
    words: str


def _keys(text: str, abbreviations: Mapping[str, str]) -> _Keys:
    # Apostrophes, hyphens and punctuation split words and the compact key joins them again, so
    # "Côte d'Ivoire", "Cote dIvoire" and "cote-d-ivoire" all become "cotedivoire".
    tokens = [abbreviations.get(token, token) for token in _NON_WORD.split(_fold(text)) if token]
    while len(tokens) > 1 and tokens[0] in _LEADING_ARTICLES:
        tokens.pop(0)
    words = " ".join(sorted(set(tokens) - _IGNORED_WORDS)) or " ".join(tokens)
    return _Keys(compact="".join(tokens), spaced=" ".join(tokens), words=words)


def _word_explains(query_word: str, word: str) -> float:
    """How well one word of a name accounts for one word of a query (0 when it does not)."""
    if len(query_word) <= _SHORT_WORD:
        return 100.0 if word.startswith(query_word) else 0.0
    score = fuzz.ratio(query_word, word)
    return score if score >= _WORD_CUTOFF else 0.0


def _name_explains(name: _Keys, query_words: Sequence[str]) -> bool:
    """Whether each query word matches its own word of ``name`` (each name word used once)."""
    unused = name.spaced.split()
    # Long words first, so that an abbreviation ("B", "Eq") gets a word the long ones did not need.
    for query_word in sorted(query_words, key=len, reverse=True):
        scored = [(_word_explains(query_word, word), word) for word in unused]
        score, word = max(scored, default=(0.0, ""))
        if score:
            unused.remove(word)
        elif not (
            # A word typed without spaces may cover several words of the name ("cotedivoir").
            len(query_word) > _SHORT_WORD
            and len(name.compact) >= len(query_word)
            and fuzz.partial_ratio(query_word, name.compact) >= _WITHIN_NAME_CUTOFF
        ):
            return False
    return True


@dataclass
class _Index:
    """Every lookup table, built once from pycountry and the data file."""

    countries: dict[str, Country]
    codes: dict[str, str]
    aggregate_codes: frozenset[str]
    abbreviations: dict[str, str]
    by_compact: dict[str, set[str]] = field(default_factory=dict)
    by_words: dict[str, set[str]] = field(default_factory=dict)
    fuzzy_compact: list[str] = field(default_factory=list)
    fuzzy_spaced: list[str] = field(default_factory=list)
    fuzzy_owner: list[str] = field(default_factory=list)
    names_of: dict[str, set[_Keys]] = field(default_factory=dict)
    _fuzzy_seen: set[tuple[str, str]] = field(default_factory=set)

    def keys(self, text: str) -> _Keys:
        return _keys(text, self.abbreviations)

    def add_name(self, owner: str, name: str) -> None:
        """Index ``name`` for ``owner`` (an ISO3 code, or ``_AGGREGATE``)."""
        keys = self.keys(name)
        if not keys.compact:
            return
        self.by_compact.setdefault(keys.compact, set()).add(owner)
        self.by_words.setdefault(keys.words, set()).add(owner)
        self.names_of.setdefault(owner, set()).add(keys)
        if len(keys.compact) >= _MIN_FUZZY_LENGTH and (keys.compact, owner) not in self._fuzzy_seen:
            self._fuzzy_seen.add((keys.compact, owner))
            self.fuzzy_compact.append(keys.compact)
            self.fuzzy_spaced.append(keys.spaced)
            self.fuzzy_owner.append(owner)

    def exact(self, keys: _Keys) -> set[str] | None:
        """Owners of a name equal to ``keys`` (same words, or same words in another order), if any."""
        return self.by_compact.get(keys.compact) or self.by_words.get(keys.words)

    def explains(self, owner: str, keys: _Keys) -> bool:
        """Whether one of ``owner``'s names accounts for every word of the query.

        A whole-name score can be high while a word is ignored: "Guinée B" scores 92 against "Guinée", yet
        the "B" says Guinée-Bissau. Such a match is refused rather than resolved.
        """
        query_words = keys.spaced.split()
        return any(_name_explains(name, query_words) for name in self.names_of.get(owner, ()))

    def extended_by_another(self, owner: str, keys: _Keys) -> list[str]:
        """Other owners with a name starting with the query, when the query runs past ``owner``'s name.

        "GuineeB" is one letter more than "guinee" (Guinée) and the start of "guineebissau" (Guinée-Bissau).
        """
        query = keys.compact
        if not any(query.startswith(name.compact) for name in self.names_of.get(owner, ())):
            return []
        return [
            other
            for other, names in self.names_of.items()
            if other not in (owner, _AGGREGATE) and any(name.compact.startswith(query) for name in names)
        ]

    def collisions(self) -> dict[str, set[str]]:
        """Normalized names that point at more than one owner: data errors the tests must keep empty."""
        tables = (self.by_compact, self.by_words)
        return {key: owners for table in tables for key, owners in table.items() if len(owners) > 1}


def _load_data() -> dict[str, Any]:
    text = resources.files("cobase.harmonize").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise CountryDataError(f"{DATA_FILE}: expected a mapping of sections at the top level")
    return data


def _section(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name) or kind()
    if not isinstance(value, kind):
        raise CountryDataError(f"{DATA_FILE}: section {name!r} must be a {kind.__name__}")
    return value


def _check_known(section: str, iso3_codes: Iterable[str], countries: Mapping[str, Country]) -> None:
    for iso3 in iso3_codes:
        if iso3 not in countries:
            raise CountryDataError(f"{DATA_FILE}: section {section!r} names unknown ISO3 code {iso3!r}")


def _iso_names(record: Any) -> list[str]:
    """pycountry's short, official and common English names of one country, those it has."""
    candidates = (record.name, getattr(record, "official_name", None), getattr(record, "common_name", None))
    return [name for name in candidates if name]


def _build_index(data: Mapping[str, Any]) -> _Index:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    name_en = _section(data, "name_en", dict)
    name_fr = _section(data, "name_fr", dict)
    names: dict[str, list[str]] = {}
    countries: dict[str, Country] = {}
    codes: dict[str, str] = {}

    for record in pycountry.countries:
        iso3, iso2 = record.alpha_3, record.alpha_2
        french_iso = french.gettext(record.name)
        countries[iso3] = Country(
            iso3=iso3,
            iso2=iso2,
            name_en=name_en.get(iso3) or getattr(record, "common_name", None) or record.name,
            name_fr=name_fr.get(iso3) or french_iso,
        )
        names[iso3] = [*_iso_names(record), french_iso]
        codes[iso3] = codes[iso2] = iso3

    for extra in _section(data, "extra_countries", list):
        country = Country(
            iso3=extra["iso3"], iso2=extra["iso2"], name_en=extra["name_en"], name_fr=extra["name_fr"]
        )
        if country.iso3 in codes or country.iso2 in codes:
            raise CountryDataError(f"{DATA_FILE}: extra country {country.iso3!r} reuses an ISO code")
        countries[country.iso3] = country
        names[country.iso3] = []
        codes[country.iso3] = codes[country.iso2] = country.iso3

    _check_known("name_en", name_en, countries)
    _check_known("name_fr", name_fr, countries)
    extra_codes = _section(data, "extra_codes", dict)
    _check_known("extra_codes", extra_codes.values(), countries)
    for code, iso3 in extra_codes.items():
        if code in codes:
            raise CountryDataError(f"{DATA_FILE}: extra code {code!r} is already an ISO code")
        codes[code] = iso3

    aggregate_names: list[str] = list(_section(data, "aggregate_names", list))
    aggregate_codes: set[str] = set()
    for group, members in _section(data, "aggregate_codes", dict).items():
        for code, description in members.items():
            if code in codes:
                raise CountryDataError(f"{DATA_FILE}: aggregate code {code!r} ({group}) is a country's code")
            aggregate_codes.add(code)
            aggregate_names.append(description)

    aliases = _section(data, "aliases", dict)
    _check_known("aliases", aliases, countries)
    index = _Index(
        countries=countries,
        codes=codes,
        aggregate_codes=frozenset(aggregate_codes),
        abbreviations={str(k): str(v) for k, v in _section(data, "abbreviations", dict).items()},
    )
    for iso3, country in countries.items():
        for name in (country.name_en, country.name_fr, *names[iso3], *aliases.get(iso3, [])):
            index.add_name(iso3, name)
    for name in aggregate_names:
        index.add_name(_AGGREGATE, name)
    return index


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _build_index(_load_data())


def _country_list(index: _Index, owners: Iterable[str]) -> list[Country]:
    found = [index.countries[owner] for owner in owners if owner != _AGGREGATE]
    return sorted(found, key=lambda country: _fold(country.name_fr))


def _scores(index: _Index, keys: _Keys, cutoff: float, partial: bool = False) -> list[tuple[str, float]]:
    """Best fuzzy score per owner, best first.

    ``ratio`` on the compact form catches typos and missing spaces ("Camroun", "Cotedivoir");
    ``token_sort_ratio`` catches words in another order. With ``partial``, ``WRatio`` scores a query found
    inside a longer name; that only ever suggests candidates, never resolves: "Guinea" is part of
    "Guinea-Bissau" and "Niger" of "Nigeria".
    """
    if partial:
        runs = [(keys.spaced, index.fuzzy_spaced, fuzz.WRatio)]
    else:
        runs = [
            (keys.compact, index.fuzzy_compact, fuzz.ratio),
            (keys.spaced, index.fuzzy_spaced, fuzz.token_sort_ratio),
        ]
    best: dict[str, float] = {}
    for query, choices, scorer in runs:
        for _choice, score, position in process.extract(
            query, choices, scorer=scorer, limit=None, score_cutoff=cutoff
        ):
            owner = index.fuzzy_owner[position]
            best[owner] = max(score, best.get(owner, 0.0))
    return sorted(best.items(), key=lambda item: (-item[1], _sort_name(index, item[0])))


def _sort_name(index: _Index, owner: str) -> str:
    return _fold(index.countries[owner].name_fr) if owner in index.countries else ""


def _suggestions(index: _Index, keys: _Keys) -> list[Country]:
    # Whole-name scores first ("Ira": Iran, Irak), then names the query is part of ("Bissau": Guinée-Bissau).
    owners = [owner for owner, _score in _scores(index, keys, _SUGGESTION_CUTOFF)]
    owners += [owner for owner, _score in _scores(index, keys, _SUGGESTION_CUTOFF, partial=True)]
    unique = [owner for owner in dict.fromkeys(owners) if owner != _AGGREGATE]
    return [index.countries[owner] for owner in unique[:_MAX_CANDIDATES]]


def _from_owners(index: _Index, query: str, owners: set[str]) -> Country:
    if owners == {_AGGREGATE}:
        raise _aggregate_error(query)
    if len(owners) > 1:
        raise _ambiguous_error(query, _country_list(index, owners))
    return index.countries[next(iter(owners))]


def _fuzzy(index: _Index, query: str, keys: _Keys) -> Country:
    ranked = _scores(index, keys, _SUGGESTION_CUTOFF)
    if len(keys.compact) < _MIN_FUZZY_LENGTH or not ranked or ranked[0][1] < _FUZZY_CUTOFF:
        raise UnknownCountryError(query, _suggestions(index, keys))
    best_owner, best_score = ranked[0]
    close = [owner for owner, score in ranked[1:] if best_score - score < _AMBIGUITY_MARGIN]
    if close:
        countries = [index.countries[owner] for owner in (best_owner, *close) if owner != _AGGREGATE]
        raise _ambiguous_error(query, countries)
    if best_owner == _AGGREGATE:
        raise _aggregate_error(query)
    if not index.explains(best_owner, keys):
        # The best name leaves a word unexplained: offer it with the countries whose names explain them all.
        explaining = [
            owner for owner, _score in ranked if owner != _AGGREGATE and index.explains(owner, keys)
        ]
        if explaining:
            countries = [index.countries[owner] for owner in (best_owner, *explaining)]
            raise _ambiguous_error(query, countries)
        raise UnknownCountryError(query, _suggestions(index, keys))
    if longer := index.extended_by_another(best_owner, keys):
        raise _ambiguous_error(query, [index.countries[owner] for owner in (best_owner, *longer)])
    return index.countries[best_owner]


def country_by_name(name: str, strict: bool = False) -> Country:
    """The country a producer or a user names, in English or French, by any listed alias.

    Case, accents, apostrophes, punctuation and word order do not matter. With ``strict=True`` only an exact
    name or alias is accepted: that is what parsers use, since a producer's names are fixed and a typo there
    is a data change to review, not to guess. Otherwise typos are accepted when one country is clearly
    closest. Raises :class:`UnknownCountryError` for aggregates ("Global"), ambiguous and unknown names.
    """
    index = _index()
    keys = index.keys(name)
    if not keys.compact:
        raise _empty_error(name)
    owners = index.exact(keys)
    if owners:
        return _from_owners(index, name, owners)
    if strict:
        raise UnknownCountryError(name, _suggestions(index, keys))
    return _fuzzy(index, name, keys)


def resolve_country(text: str) -> Country:
    """The country a user means: an ISO3 or ISO2 code (any case), or a name as :func:`country_by_name`.

    This is what ``--country`` and the app's search accept. Raises :class:`UnknownCountryError`, whose
    message lists the closest candidates, rather than returning a country the user may not have meant.
    """
    index = _index()
    code = text.strip().upper()
    if code in index.codes:
        return index.countries[index.codes[code]]
    if code in index.aggregate_codes:
        raise _aggregate_error(text)
    return country_by_name(text)


def country_from_code(code: str) -> Country | None:
    """The country for a producer's ISO3 or ISO2 code (WHO ``SpatialDim``, World Bank ``countryiso3code``).

    Returns ``None`` for anything that is not one country's code: an aggregate (World Bank regions and
    income groups, WHO regions), an empty code, or an unknown one. Callers tell an aggregate from an unknown
    code with :func:`is_aggregate_code`, so an unknown code is reported, never guessed. Names are not
    accepted here: a code field holding a name is a parser bug.
    """
    index = _index()
    iso3 = index.codes.get(code.strip().upper())
    return index.countries[iso3] if iso3 else None


def is_aggregate_code(code: str) -> bool:
    """Whether ``code`` is a known World Bank or WHO code for a region, group or former state."""
    return code.strip().upper() in _index().aggregate_codes


def is_aggregate_name(name: str) -> bool:
    """Whether ``name`` is a known name of a region or group of countries ("Global", "Sub-Saharan Africa")."""
    index = _index()
    return index.exact(index.keys(name)) == {_AGGREGATE}


@lru_cache(maxsize=1)
def _sorted_countries() -> tuple[Country, ...]:
    countries = _index().countries.values()
    return tuple(sorted(countries, key=lambda country: (_fold(country.name_fr), country.iso3)))


def all_countries() -> list[Country]:
    """Every country, sorted by French name (accents and case ignored, whatever the locale), for pickers."""
    return list(_sorted_countries())


def display_name(iso3: str, lang: str = "fr") -> str:
    """The name to show for ``iso3`` in ``lang`` ("fr" or "en"); French by default, as readers are French."""
    if lang not in ("fr", "en"):
        raise ValueError(f"unsupported language {lang!r}: use 'fr' or 'en'")
    country = country_from_code(iso3)
    if country is None:
        raise UnknownCountryError(iso3, (), f"Unknown country code {iso3!r}: not the ISO code of a country.")
    return country.name_fr if lang == "fr" else country.name_en
