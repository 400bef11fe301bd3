"""What the national medicine registers share (``dz_miph_nomenclature``, ``tn_dpm_amm``): the indicators
they yield, the quote that keeps a row as the ministry wrote it, product identity across versions, the
catalogue item of a DCI, and prices written as text.

* ``NATREG_STATUS``: per product and version, ``registered``, ``not_renewed`` or ``withdrawn`` (period =
  the version date). ``no_longer_listed`` is never parsed: a product is absent from a version, which only
  the comparison of versions shows (:mod:`cobase.evidence.register_timeline`).
* ``NATREG_WITHDRAWAL``: a withdrawal, period = its date, value = its reason as written.
* ``NATREG_PRICE`` and ``NATREG_REIMBURSEMENT``: the price written on the registration decision (amount and
  currency parsed, text kept) and the reimbursement flag, where a version has them.

A product's ``breakdown`` is ``product=<id>`` (the registration number's stem in Algeria, the AMM number in
Tunisia), so its rows of different versions line up; when one version lists two rows under one id (two
presentations, or a renewed and a lapsed decision), each gets ``;brand=...`` (then ``;number=...`` and
``;line=...``, where the ministry lists it, for a row listed twice).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from cobase.parse import ParsedRecord

STATUS = "NATREG_STATUS"
WITHDRAWAL = "NATREG_WITHDRAWAL"
PRICE = "NATREG_PRICE"
REIMBURSEMENT = "NATREG_REIMBURSEMENT"

REGISTERED = "registered"
NOT_RENEWED = "not_renewed"
WITHDRAWN = "withdrawn"
NO_LONGER_LISTED = "no_longer_listed"
STATUSES = (REGISTERED, NOT_RENEWED, WITHDRAWN, NO_LONGER_LISTED)

REIMBURSED = "reimbursed"
NOT_REIMBURSED = "not_reimbursed"

_QUOTE_SEPARATOR = " | "
_LABEL_SEPARATOR = ": "
_PRODUCT_PREFIX = "product="

# The labels a quote uses, in the order it lists them (the ministry's own column names, shortened).
BRAND = "NOM DE MARQUE"
DCI = "DCI"
DOSAGE = "DOSAGE"
FORM = "FORME"
PACK = "CONDITIONNEMENT"
HOLDER = "DETENTEUR"
HOLDER_COUNTRY = "PAYS"
REGISTRATION = "N° ENREGISTREMENT"


def build_quote(fields: Iterable[tuple[str, str]]) -> str:
    """``LABEL: value | LABEL: value``, empty values left out; a ``|`` inside a value becomes ``/``."""
    return _QUOTE_SEPARATOR.join(
        f"{label}{_LABEL_SEPARATOR}{value.replace('|', '/')}" for label, value in fields if value
    )


def quote_fields(quote: str | None) -> dict[str, str]:
    """A register quote back as ``{label: value}`` (what the app's table and the dossier show)."""
    fields: dict[str, str] = {}
    for part in (quote or "").split(_QUOTE_SEPARATOR):
        label, separator, value = part.partition(_LABEL_SEPARATOR)
        if separator:
            fields[label.strip()] = value.strip()
    return fields


def product_of(breakdown: str) -> str:
    """The product id of a register row's ``breakdown`` (``product=13 P 287;brand=X`` -> ``13 P 287``)."""
    for part in breakdown.split(";"):
        if part.startswith(_PRODUCT_PREFIX):
            return part[len(_PRODUCT_PREFIX) :]
    return breakdown


@dataclass(frozen=True)
class ProductRow:
    """One row of one list of a version, before its records are made."""

    product: str
    brand: str
    pack: str
    records: tuple[ParsedRecord, ...]
    registration: str = ""
    """The full number as written (a renewal's suffix included): tells apart two decisions of one stem."""
    line: str = ""
    """Where the ministry lists it (sheet and N°): the last resort for a row listed twice."""


def with_breakdowns(rows: Sequence[ProductRow]) -> Iterable[ParsedRecord]:
    """The rows' records, each with its product ``breakdown``, disambiguated within the version."""
    counts = Counter(row.product for row in rows)
    brand_counts = Counter((row.product, row.brand) for row in rows)
    number_counts = Counter((row.product, row.brand, row.registration) for row in rows)
    for row in rows:
        breakdown = f"{_PRODUCT_PREFIX}{row.product}"
        if counts[row.product] > 1:
            breakdown += f";brand={row.brand}"
            if brand_counts[(row.product, row.brand)] > 1:
                breakdown += f";number={row.registration}"
                if number_counts[(row.product, row.brand, row.registration)] > 1:
                    breakdown += f";line={row.line}"
        for record in row.records:
            yield replace(record, breakdown=breakdown)


_GATE_MIN_WORD = 5
_GATE_SCORE = 80.0
# Salts, forms and qualifiers: words of catalogue names that never identify a medicine on their own.
_GATE_NOISE = frozenset(
    {"chlorhydrate", "hydrochloride", "sodium", "sodique", "sulfate", "citrate", "maleate", "fumarate",
     "potassium", "potassique", "besilate", "mesilate", "injectable", "forte", "humaine", "dihydrate",
     "monohydrate", "succinate", "tartrate", "disoproxil", "solution", "comprime"}
)  # fmt: skip
_PARENTHESES = re.compile(r"\([^)]*\)?")
_EXPRESSED_AS = re.compile(r"\bEXP[E]?RIMEE?S?\s+EN\b", re.IGNORECASE)


def dci_candidates(dci: str) -> list[str]:
    """Texts to try for a DCI cell, most faithful first: as written, without parentheses, and what it is
    "exprimé en" (``ABACAVIR SULFATE EXPRIME EN ABACAVIR`` -> ``ABACAVIR``)."""
    candidates = [dci]
    bare = " ".join(_PARENTHESES.sub(" ", dci).split())
    candidates.append(bare)
    parts = _EXPRESSED_AS.split(bare)
    if len(parts) > 1:
        candidates.append(parts[-1].strip())
        candidates.append(parts[0].strip())
    return [text for text in dict.fromkeys(candidates) if text]


def item_resolver() -> Callable[[str], str | None]:
    """A DCI -> catalogue item id function, cached per text for the process (a register repeats each DCI
    many times, and its versions repeat each other).

    The medicine matcher refuses what it cannot resolve without doubt; such a row keeps no item (it is
    still stored: the Pays page lists the whole register).
    """
    return _resolve_dci


@lru_cache(maxsize=1)
def _catalogue_words() -> list[str]:
    from cobase.catalogue import ItemKind, load_catalogue, normalize_name

    return sorted(
        {
            word
            for item in load_catalogue().items.values()
            if item.kind == ItemKind.medicine
            for name in item.names()
            for word in normalize_name(name).split()
            if len(word) >= _GATE_MIN_WORD and word not in _GATE_NOISE
        }
    )


def _may_match(dci: str) -> bool:
    """Whether a word of the DCI comes near a molecule word of the catalogue.

    Most of a register is outside the catalogue (antihistamines, antibiotics...). The matcher explains
    each refusal with ranked candidates, which costs milliseconds; a DCI with no such word cannot match.
    """
    from rapidfuzz import fuzz, process

    from cobase.catalogue import normalize_name

    words = _catalogue_words()
    return any(
        process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=_GATE_SCORE) is not None
        for word in normalize_name(dci).split()
        if len(word) >= _GATE_MIN_WORD and word not in _GATE_NOISE
    )


@lru_cache(maxsize=65_536)
def _resolve_dci(dci: str) -> str | None:
    from cobase.harmonize.medicines import UnknownMedicineError, resolve_medicine

    if not _may_match(dci):
        return None
    for text in dci_candidates(dci):
        try:
            return resolve_medicine(text).item.id
        except UnknownMedicineError:
            continue
    return None


# An amount: thousands in groups of three (``1 949,00``) or plain (``975,38``), never a pack size (``B/30``).
_AMOUNT = r"(?<![/\d.,])(?P<amount>\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?:,\d+)?(?!\d)|\d+(?:[.,]\d+)?)"
_PRICE = re.compile(_AMOUNT + r"\s*(?P<currency>DA|DZD|D\b|\$|USD|€|EUROS?|EUR|£|GBP|CHF|DKK)", re.IGNORECASE)
# PCSU (« prix de cession sortie usine ») is a local ex-factory price: in dinars when no currency is written.
_PCSU = re.compile(r"\bP[CS]{2}U\D*?" + _AMOUNT, re.IGNORECASE)
_CURRENCIES = {
    "DA": "DZD", "D": "DZD", "DZD": "DZD", "$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "EURO": "EUR",
    "EUROS": "EUR", "£": "GBP", "GBP": "GBP", "CHF": "CHF", "DKK": "DKK",
}  # fmt: skip


def parse_price(text: str) -> tuple[float, str] | None:
    """The first amount and its currency in a price text (``PCSU 975,38 DA`` -> (975.38, ``DZD``),
    ``FOB 5,84 $`` -> (5.84, ``USD``), ``PCSU 56,80`` -> (56.8, ``DZD``)); None when no amount with a
    known currency is written (``FOB 32,40``, ``PCSU``): the text is then kept alone."""
    match = _PRICE.search(text)
    currency = None
    if match:
        currency = _CURRENCIES.get(match.group("currency").upper())
    else:
        match = _PCSU.search(text)
        currency = "DZD" if match else None
    if not match or currency is None:
        return None
    amount = re.sub(r"[\s\u00a0\u202f]", "", match.group("amount"))
    if "," in amount:
        amount = amount.replace(".", "").replace(",", ".")
    try:
        return float(amount), currency
    except ValueError:
        return None
