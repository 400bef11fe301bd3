"""Find what a report's text says about access, sentence by sentence: stock-outs, costs, medicines, dates.

Shared by the ``documents`` parser (NGO and agency reports, user uploads) and by ``reliefweb_reports``.
Everything found is *candidate* evidence: a sentence and what it seems to say, for a person to confirm.
So the rules favour a quotable sentence over a clever reading:

* **Medicines** are the catalogue's (``cobase/catalogue/items.yml``): names, INNs, brands and synonyms
  match whole words whatever the case and accents ("Dolutégravir", "DOLUTEGRAVIR"); abbreviations match
  only as written ("TDF", "3TC", "ATV/r"), and those of one or two letters ("RH", "HU") never, as they are
  ordinary words in reports ("RH" is French for human resources). Where names overlap
  ("TDF/3TC/DTG" and "TDF"), the longest wins.
* **Stock-outs**: stock-out, stockout, out of stock, rupture(s) de stock / d'approvisionnement, pénurie,
  shortage, indisponible, in French and English, accents optional.
* **Costs**: an amount with a currency (``15 000 GNF``, ``2,5 millions de FCFA``, ``USD 12``, ``30 €``),
  else a cost word (coût, cost, price, prix, tarif) with a number that is neither a year nor a share.
* **Dates**: months with a year ("mars 2024", "March 2024") or years (1980-2049) in the same sentence,
  else in the sentence before; dates after the document's publication (targets such as "by 2030") are
  ignored.

Text is compared on a *folded* copy (lower case, accents removed) of exactly the same length, so every
match points back into the sentence as written, which is what the quote shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from cobase.catalogue import ItemKind, load_catalogue, normalize_name
from cobase.clock import month_end, year_period

QUOTE_LIMIT = 400
_ELLIPSIS = "…"
_MIN_ABBREVIATION_LENGTH = 3


class MentionKind(StrEnum):
    """What a sentence says about access."""

    stockout = "stockout"
    cost = "cost"
    medicine = "medicine"


@dataclass(frozen=True, slots=True)
class Mention:
    """One sentence of a document that says something about access, as found (not yet confirmed).

    ``page`` counts from 1 in the list of pages given; ``term`` is the words that made it a mention, as
    written (the stock-out term, the amount with its currency, or the medicine's name); ``items`` are the
    catalogue medicines named in the sentence, in order; ``period`` comes from the dates nearby.
    """

    kind: MentionKind
    page: int
    quote: str
    term: str
    items: tuple[str, ...] = ()
    period: tuple[date, date] | None = None
    amount: float | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """A catalogue medicine named in a text, with where."""

    item: str
    start: int
    end: int
    text: str


# --- folding ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
    if len(base) == 1:
        return base
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def fold(text: str) -> str:
    """Lower case without accents, one character for one: ``fold(s)[i]`` is ``s[i]`` folded."""
    return "".join(_fold_char(char) for char in text)


# --- medicines -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MedicineIndex:
    names: re.Pattern[str] | None  # on folded text
    abbreviations: re.Pattern[str] | None  # on the text as written
    items: dict[str, str]  # normalize_name(name) -> item id


def _alternation(patterns: list[str], word: str) -> re.Pattern[str] | None:
    if not patterns:
        return None
    ordered = sorted(set(patterns), key=lambda pattern: (-len(pattern), pattern))
    return re.compile(rf"(?<!{word})(?:{'|'.join(ordered)})(?!{word})")


@lru_cache(maxsize=1)
def _medicine_index() -> _MedicineIndex:
    names: list[str] = []
    abbreviations: list[str] = []
    items: dict[str, str] = {}
    for item in load_catalogue().items_of_kind(ItemKind.medicine):
        spelled = [item.name_fr, item.name_en, *([item.inn] if item.inn else []), *item.synonyms]
        for name in spelled:
            tokens = normalize_name(name).split()
            names.append(r"[^a-z0-9]{1,3}".join(map(re.escape, tokens)))
            items[" ".join(tokens)] = item.id
        for abbreviation in item.abbreviations:
            tokens = re.findall(r"[0-9A-Za-z]+", abbreviation)
            if len("".join(tokens)) < _MIN_ABBREVIATION_LENGTH:
                continue
            abbreviations.append(r"[^0-9A-Za-z]{1,3}".join(map(re.escape, tokens)))
            items[normalize_name(abbreviation)] = item.id
    return _MedicineIndex(
        names=_alternation(names, "[a-z0-9]"),
        abbreviations=_alternation(abbreviations, "[0-9A-Za-z]"),
        items=items,
    )


def find_medicines(text: str, folded: str | None = None) -> list[ItemMatch]:
    """The catalogue medicines named in ``text``, in order; overlapping names keep the longest."""
    index = _medicine_index()
    folded = fold(text) if folded is None else folded
    found: list[ItemMatch] = []
    for pattern, subject in ((index.names, folded), (index.abbreviations, text)):
        if pattern is None:
            continue
        for match in pattern.finditer(subject):
            item = index.items.get(normalize_name(match.group()))
            if item is not None:
                found.append(ItemMatch(item, match.start(), match.end(), text[match.start() : match.end()]))
    kept: list[ItemMatch] = []
    for candidate in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
        if all(candidate.end <= other.start or candidate.start >= other.end for other in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda m: m.start)


# --- stock-outs, costs, dates ----------------------------------------------------------------------------

STOCKOUT = re.compile(
    r"(?<![a-z0-9])(?:"
    r"stock[\s\-‐–]?outs?"
    r"|out[\s\-]of[\s\-]stocks?"
    r"|ruptures?\s+(?:de\s+|des\s+|d['’]\s*)(?:stocks?|approvisionnements?)"
    r"|penuries?"
    r"|shortages?"
    r"|indisponib(?:les?|ilites?)"
    r")(?![a-z0-9])"
)
"""Stock-out terms, French and English, matched on folded text."""

_NUMBER = r"(?<![\d.,])(?:\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\d])"
_MULTIPLIER = r"(?:\s*(?P<{name}>millions?|milliards?|billions?|mille|thousand|k)(?![a-z]))?"
_CURRENCY_AFTER = (
    r"(?P<after>f\s?cfa|cfa|xof|xaf|gnf|cdf|ngn|usd|us\s?\$|\$|eur|€|euros?"
    r"|dollars?(?:\s+americains?|\s+us)?|francs?(?:\s+(?:cfa|guineens?|congolais))?|naira|₦|dinars?|dzd"
    r"|tnd|dirhams?|mad|gourdes?|htg|drams?|amd|laris?|gel|roubles?|rubles?|rub|₽)"
)
_CURRENCY_BEFORE = r"(?P<before>us\s?\$|\$|€|usd|eur|gnf|fcfa|xof|xaf|ngn|cdf|₦)"
_COST = re.compile(
    rf"(?:(?P<n1>{_NUMBER}){_MULTIPLIER.format(name='m1')}\s?(?:de\s+|d['’]\s*)?{_CURRENCY_AFTER}"
    rf"|{_CURRENCY_BEFORE}\s?(?P<n2>{_NUMBER}){_MULTIPLIER.format(name='m2')})(?![a-z])"
)
_COST_WORD = re.compile(r"(?<![a-z])(?:couts?|costs?|prices?|prix|tarifs?|frais|fees?)(?![a-z])")
_BARE_NUMBER = re.compile(
    rf"(?P<n>{_NUMBER})(?!\s?(?:%|pour\s?cent|percent|mg|ml|g\b|kg|mois|months?|jours?|days?|ans?\b|"
    r"years?|semaines?|weeks?|patients?|personnes?|people|cas\b|cases))"
)
_CURRENCIES = {
    "fcfa": "FCFA", "f cfa": "FCFA", "cfa": "FCFA", "francs cfa": "FCFA", "franc cfa": "FCFA",
    "xof": "XOF", "xaf": "XAF", "gnf": "GNF", "francs guineens": "GNF", "franc guineen": "GNF",
    "francs guineen": "GNF", "cdf": "CDF", "francs congolais": "CDF", "franc congolais": "CDF",
    "ngn": "NGN", "naira": "NGN", "₦": "NGN", "usd": "USD", "us$": "USD", "us $": "USD", "$": "USD",
    "dollar": "USD", "dollars": "USD", "dollars americains": "USD", "dollar americain": "USD",
    "dollars us": "USD", "eur": "EUR", "€": "EUR", "euro": "EUR", "euros": "EUR", "dzd": "DZD",
    "tnd": "TND", "dirham": "MAD", "dirhams": "MAD", "mad": "MAD", "gourde": "HTG", "gourdes": "HTG",
    "htg": "HTG", "dram": "AMD", "drams": "AMD", "amd": "AMD", "lari": "GEL", "laris": "GEL",
    "gel": "GEL", "rouble": "RUB", "roubles": "RUB", "ruble": "RUB", "rubles": "RUB", "rub": "RUB",
    "₽": "RUB", "franc": "francs", "francs": "francs", "dinar": "dinars", "dinars": "dinars",
}  # fmt: skip
_MULTIPLIERS = {"mille": 1e3, "thousand": 1e3, "k": 1e3, "million": 1e6, "milliard": 1e9, "billion": 1e9}

_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_YEAR_ALONE = re.compile(rf"(?<![\d.,/]){_YEAR}(?![\d])")
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12, "january": 1, "february": 2,
    "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8, "september": 9, "sept": 9,
    "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH_YEAR = re.compile(
    rf"(?<![a-z])(?P<month>{'|'.join(sorted(_MONTHS, key=len, reverse=True))})\.?,?\s+(?P<year>{_YEAR})(?!\d)"
)

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"“'(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n|[•▪●◦]")
_HYPHENATED_LINE_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[^\W\d_])")


@dataclass(frozen=True, slots=True)
class _Cost:
    start: int
    end: int
    amount: float | None
    currency: str | None


def _amount(text: str, multiplier: str | None) -> float | None:
    """``15 000`` -> 15000, ``2,5`` -> 2.5, ``1.500`` -> 1500, ``1,500.75`` -> 1500.75 (a separator
    followed by exactly three digits groups thousands; any other marks the decimals)."""
    compact = re.sub(r"[ \u00a0\u202f]", "", text)
    match = re.fullmatch(r"(\d+(?:[.,]\d{3})*)(?:[.,](\d+))?", compact)
    if match is None:
        return None
    value = float(re.sub(r"[.,]", "", match.group(1)))
    if match.group(2):
        value += float(f"0.{match.group(2)}")
    if multiplier:
        value *= _MULTIPLIERS[multiplier.rstrip("s")]
    return value


def _costs(folded: str) -> list[_Cost]:
    costs = []
    for match in _COST.finditer(folded):
        number = match.group("n1") or match.group("n2")
        multiplier = match.group("m1") or match.group("m2")
        written = " ".join((match.group("after") or match.group("before")).split())
        costs.append(
            _Cost(match.start(), match.end(), _amount(number, multiplier), _CURRENCIES.get(written, written))
        )
    if costs or not _COST_WORD.search(folded):
        return costs
    for match in _BARE_NUMBER.finditer(folded):
        number = match.group("n")
        if not _YEAR_ALONE.fullmatch(number):
            return [_Cost(match.start(), match.end(), _amount(number, None), None)]
    return []


def _dates(folded: str, not_after: date | None, skip: list[tuple[int, int]]) -> tuple[date, date] | None:
    """The span of the months (else years) named in a folded sentence; None when it names none."""

    def usable(start: int, end: int, first_day: date) -> bool:
        inside_amount = any(start < skip_end and end > skip_start for skip_start, skip_end in skip)
        return not inside_amount and (not_after is None or first_day <= not_after)

    months = []
    for match in _MONTH_YEAR.finditer(folded):
        year, month = int(match.group("year")), _MONTHS[match.group("month")]
        if usable(match.start("year"), match.end("year"), date(year, month, 1)):
            months.append((year, month))
    if months:
        (first_year, first_month), (last_year, last_month) = min(months), max(months)
        return date(first_year, first_month, 1), month_end(last_year, last_month)
    years = [
        int(match.group())
        for match in _YEAR_ALONE.finditer(folded)
        if usable(match.start(), match.end(), date(int(match.group()), 1, 1))
    ]
    if years:
        return year_period(min(years), max(years))
    return None


# --- sentences and quotes --------------------------------------------------------------------------------


def sentences(page: str) -> Iterator[str]:
    """The sentences of a page, whitespace normalised: paragraphs and bullets first, then full stops.

    A word hyphenated across a line break (PDF text) is joined back: "dolu-\\ntégravir".
    """
    text = _HYPHENATED_LINE_BREAK.sub("", page)
    for paragraph in _PARAGRAPH.split(text):
        flat = " ".join(paragraph.split())
        for sentence in _SENTENCE_END.split(flat):
            if sentence:
                yield sentence


def quote_around(text: str, start: int, end: int, limit: int = QUOTE_LIMIT) -> str:
    """``text`` if it fits in ``limit`` characters, else a window of whole words around ``start:end``
    marked with ellipses (the ellipses count within the limit)."""
    if len(text) <= limit:
        return text
    room = limit - 2 * len(_ELLIPSIS)
    if end - start >= room:
        return text[start : start + room].rstrip() + _ELLIPSIS
    left = max(0, start - (room - (end - start)) // 2)
    right = min(len(text), left + room)
    left = max(0, right - room)
    window = text[left:right]
    if left > 0 and " " in window[: start - left]:
        window = window[window.index(" ") + 1 :]
    if right < len(text) and " " in window[end - left :]:
        window = window[: window.rindex(" ")]
    return f"{_ELLIPSIS if left > 0 else ''}{window.strip()}{_ELLIPSIS if right < len(text) else ''}"


# --- mentions --------------------------------------------------------------------------------------------


def extract_mentions(
    pages: list[str], *, not_after: date | None = None, quote_limit: int = QUOTE_LIMIT
) -> list[Mention]:
    """Every sentence of ``pages`` that names a stock-out, a cost or a catalogue medicine, in text order.

    A sentence gives one stock-out mention (if it has a stock-out term), one cost mention per amount,
    and, when it has neither, one medicine mention if it names a catalogue medicine. Dates after
    ``not_after`` (the document's publication) are not taken as the period of a mention.
    """
    found: list[Mention] = []
    for page_number, page in enumerate(pages, start=1):
        previous_period: tuple[date, date] | None = None
        for sentence in sentences(page):
            folded = fold(sentence)
            medicines = find_medicines(sentence, folded)
            costs = _costs(folded)
            own_period = _dates(folded, not_after, [(cost.start, cost.end) for cost in costs])
            found.extend(
                _sentence_mentions(
                    page_number,
                    sentence,
                    folded,
                    medicines,
                    costs,
                    own_period or previous_period,
                    quote_limit,
                )
            )
            previous_period = own_period
    return found


def _sentence_mentions(
    page: int,
    sentence: str,
    folded: str,
    medicines: list[ItemMatch],
    costs: list[_Cost],
    period: tuple[date, date] | None,
    quote_limit: int,
) -> Iterator[Mention]:
    items = tuple(dict.fromkeys(match.item for match in medicines))

    def mention(kind: MentionKind, start: int, end: int, cost: _Cost | None = None) -> Mention:
        return Mention(
            kind=kind,
            page=page,
            quote=quote_around(sentence, start, end, quote_limit),
            term=" ".join(sentence[start:end].split()),
            items=items,
            period=period,
            amount=cost.amount if cost else None,
            currency=cost.currency if cost else None,
        )

    stockout = STOCKOUT.search(folded)
    if stockout:
        yield mention(MentionKind.stockout, stockout.start(), stockout.end())
    for cost in costs:
        yield mention(MentionKind.cost, cost.start, cost.end, cost)
    if not stockout and not costs and medicines:
        yield mention(MentionKind.medicine, medicines[0].start, medicines[0].end)


__all__ = [
    "STOCKOUT",
    "ItemMatch",
    "Mention",
    "MentionKind",
    "extract_mentions",
    "find_medicines",
    "fold",
    "quote_around",
    "sentences",
]
