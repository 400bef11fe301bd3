"""Free-text medicine names (French or English) -> catalogue items, or a clear refusal.

Physicians and OFII opinions write the same treatment many ways: "ténofovir disoproxil fumarate 245 mg",
"TDF/3TC/DTG", "TLD", "Glucophage 850", "insuline glargin". Resolution goes from the safest step to the
loosest, and stops at the first that answers:

1. exact match on a normalized name (accents, case, punctuation, doses and dosage forms removed),
   then the same with salts removed ("losartan potassique" -> losartan);
2. combinations: "ténofovir/lamivudine/dolutégravir" is split, each part resolved, and the fixed-dose
   combination whose components are exactly those parts is returned;
3. a name that starts several catalogue names ("insuline", "ténofovir") is ambiguous and refused;
4. typo tolerance with an edit-distance score, a cutoff and an ambiguity margin.

Whatever fails raises :class:`UnknownMedicineError` with the closest candidates: a wrong medicine on a
certificate is worse than a question back to the physician, so nothing is matched silently.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from cobase.catalogue import Item, ItemKind, load_catalogue, normalize_name

# Similarity (0-100, optimal string alignment: a transposition counts as one edit) needed to accept a
# typo. 88 lets one edit through in a 9-letter name ("metfromin") but refuses look-alike medicines
# that are different drugs: ofloxacin/levofloxacin (75), pentobarbital/phenobarbital (85).
SCORE_CUTOFF = 88.0
# Two different items scoring within this margin of each other are ambiguous.
AMBIGUITY_MARGIN = 4.0
MESSAGE_CANDIDATES = 5
# Candidates shown in an error are ranked by a lenient scorer; below this they are noise.
CANDIDATE_FLOOR = 55.0

_DOSE_TOKEN = re.compile(r"^\d+(?:mg|g|mcg|ug|ui|iu|u|ml|mmol|meq|kg|mui)?$")
_UNIT_TOKENS = frozenset(
    {"mg", "g", "mcg", "ug", "ui", "iu", "u", "ml", "mmol", "meq", "mui", "unites", "units"}
)
# Dosage forms, routes, release types and French generic labellers: they say nothing about which item.
_FORM_TOKENS = frozenset(
    {
        "comprime", "comprimes", "cp", "cpr", "cps", "tablet", "tablets", "tab", "tabs", "gelule",
        "gelules", "capsule", "capsules", "caps", "sirop", "syrup", "solution", "buvable", "oral", "orale",
        "injectable", "injection", "inj", "suspension", "poudre", "powder", "flacon", "vial", "ampoule",
        "ampoules", "stylo", "pen", "prerempli", "preremplie", "seringue", "syringe", "sachet", "sachets",
        "pellicule", "pellicules", "secable", "film", "coated", "dispersible", "dispersibles",
        "effervescent", "lp", "sr", "xr", "lm", "gastroresistant", "liberation", "prolongee", "modifiee",
        "boite", "box", "sc", "iv", "im", "po", "generique", "generic", "jour", "jours", "j", "day",
        "daily", "fois", "par",
        "biogaran", "mylan", "viatris", "arrow", "sandoz", "teva", "zentiva", "cristers", "eg", "ratiopharm",
        "almus", "zydus", "accord", "cipla", "hetero", "aurobindo", "macleods",
    }
)  # fmt: skip
# Salts and esters that do not change which item is meant, plus French/English linking words. Removed
# only on the second pass: "tenofovir disoproxil" and "tenofovir alafenamide" keep their ester.
_SALT_TOKENS = frozenset(
    {
        "fumarate", "hemifumarate", "maleate", "chlorhydrate", "hydrochloride", "hcl", "sodium", "sodique",
        "potassium", "potassique", "besilate", "besylate", "mesilate", "mesylate", "sulfate", "sulphate",
        "succinate", "tartrate", "citrate", "dihydrate", "monohydrate", "trihydrate", "hydrate", "anhydre",
        "anhydrous", "base",
        "de", "d", "du", "des", "la", "le", "l", "les", "a", "au", "en", "of", "the",
    }
)  # fmt: skip
# A depot ester or a long-acting word: the long-acting injectable twin of an oral item is meant
# ("Haldol décanoate", "rispéridone LP injectable"). "décanoate" is therefore not a salt here.
_LONG_ACTING_TOKENS = frozenset(
    {"retard", "depot", "lai", "decanoate", "decanoas", "enantate", "enanthate", "palmitate", "consta",
     "microspheres"}
)  # fmt: skip
_INJECTION_TOKENS = frozenset({"injectable", "injection", "inj", "im", "intramusculaire", "intramuscular"})
_PROLONGED_TOKENS = frozenset(
    {"lp", "prolongee", "prolonge", "prolonged", "long", "action", "mensuelle", "monthly"}
)
_COMBINATION_SEPARATORS = re.compile(r"\s*(?:/|\+|&|,|;|-|\bet\b|\band\b|\bavec\b|\bwith\b)\s*")
_MIN_PREFIX_LENGTH = 4


@dataclass(frozen=True)
class MedicineMatch:
    """A resolved name: the catalogue item, how sure (0-100) and which catalogue name it matched."""

    item: Item
    score: float
    matched: str


class UnknownMedicineError(ValueError):
    """A name that resolves to no item, or to several; ``candidates`` are the closest items.

    The candidates are ranked only when someone reads them (the message, the app's suggestions): a
    parser resolving a register's thousands of names catches the error and never needs them, and
    ranking the whole catalogue for each name was most of a register's parse time.
    """

    def __init__(
        self, query: str, candidates: Sequence[Item] | Callable[[], Sequence[Item]], reason: str
    ) -> None:
        super().__init__(reason)
        self.query = query
        self.reason = reason
        self._candidates = candidates

    @property
    def candidates(self) -> list[Item]:
        """The closest items, best first."""
        if callable(self._candidates):
            self._candidates = list(self._candidates())
        return list(self._candidates)

    def __str__(self) -> str:
        shown = ", ".join(f"{item.name_fr} [{item.id}]" for item in self.candidates[:MESSAGE_CANDIDATES])
        return f"{self.reason}; closest: {shown}" if shown else f"{self.reason}; no close candidate"


def _clean(text: str) -> str:
    """Normalized name without doses, units and dosage forms ("Dolutégravir 50 mg cp" -> "dolutegravir")."""
    tokens = normalize_name(text).split()
    return " ".join(
        token
        for token in tokens
        if not _DOSE_TOKEN.match(token) and token not in _UNIT_TOKENS and token not in _FORM_TOKENS
    )


def _strip_salts(cleaned: str) -> str:
    return " ".join(token for token in cleaned.split() if token not in _SALT_TOKENS)


def _variants(text: str) -> list[str]:
    """The cleaned name, then the same without salts, without duplicates or empties."""
    cleaned = _clean(text)
    return [variant for variant in dict.fromkeys((cleaned, _strip_salts(cleaned))) if variant]


def _sorted_tokens(text: str) -> str:
    return " ".join(sorted(text.split()))


@dataclass(frozen=True)
class _Index:
    """Lookup tables over the names of the items of some kinds, built once per set of kinds."""

    items: dict[str, Item]
    exact: dict[str, tuple[str, str]]  # cleaned name -> (item id, name as written)
    salt_free: dict[str, dict[str, str]]  # cleaned name without salts -> {item id: name as written}
    keys: list[str]
    sorted_keys: list[str]
    key_items: list[str]
    key_labels: list[str]
    combinations: dict[frozenset[str], str]  # component ids -> combination id


@lru_cache(maxsize=8)
def _index(kinds: frozenset[ItemKind]) -> _Index:
    catalogue = load_catalogue()
    items = {item.id: item for item in catalogue.items.values() if item.kind in kinds}
    exact: dict[str, tuple[str, str]] = {}
    salt_free: dict[str, dict[str, str]] = {}
    for item in items.values():
        for name in item.names():
            key = _clean(name)
            if not key:
                raise ValueError(f"item {item.id!r}: name {name!r} is only doses or dosage forms")
            owner = exact.setdefault(key, (item.id, name))
            if owner[0] != item.id:
                raise ValueError(f"name {key!r} of item {item.id!r} is also a name of {owner[0]!r}")
            stripped = _strip_salts(key)
            if stripped and stripped != key:
                salt_free.setdefault(stripped, {}).setdefault(item.id, name)
    keys = list(exact)
    combinations = {frozenset(item.components): item.id for item in items.values() if item.components}
    return _Index(
        items=items,
        exact=exact,
        salt_free=salt_free,
        keys=keys,
        sorted_keys=[_sorted_tokens(key) for key in keys],
        key_items=[exact[key][0] for key in keys],
        key_labels=[exact[key][1] for key in keys],
        combinations=combinations,
    )


def _candidate_scores(queries: Sequence[str], keys: Sequence[str]) -> list[float]:
    """Lenient similarity of each key to its closest query: mean of plain and weighted ratios.

    WRatio alone rewards any shared substring ("sertindole" would list levetiracetam first); the plain
    ratio alone misses prefixes ("insuline" vs "insuline glargine"). Their mean ranks both sensibly.
    Computed by rapidfuzz over every (query, key) pair at once: a register's unresolved names are ranked
    by the thousand during a refresh, and a Python loop over the catalogue's names took seconds.
    """
    import numpy as np  # only when ranking: resolving a name (every command, every page) needs none

    scores = process.cdist(queries, keys, scorer=fuzz.ratio, dtype=np.float64)
    scores += process.cdist(queries, keys, scorer=fuzz.WRatio, dtype=np.float64)
    return [float(score) for score in (scores / 2).max(axis=0)]


def _rank(index: _Index, queries: Sequence[str], item_ids: Iterable[str] | None = None) -> list[Item]:
    """Items ordered by lenient similarity to the queries (for error messages, never for matching).

    With ``item_ids`` every one of them is returned; without, only items above a noise floor. Ties go to
    single substances and shorter names, so the tenofovir esters come before their combinations.
    """
    allowed = set(item_ids) if item_ids is not None else None
    best: dict[str, float] = dict.fromkeys(allowed or (), 0.0)
    positions = [
        position for position, item_id in enumerate(index.key_items) if allowed is None or item_id in allowed
    ]
    if positions and queries:
        scores = _candidate_scores(queries, [index.keys[position] for position in positions])
        for position, score in zip(positions, scores, strict=True):
            item_id = index.key_items[position]
            best[item_id] = max(best.get(item_id, 0.0), score)
    if allowed is None:
        best = {item_id: score for item_id, score in best.items() if score >= CANDIDATE_FLOOR}
    ordered = sorted(
        best,
        key=lambda item_id: (
            -best[item_id],
            index.items[item_id].is_combination,
            len(index.items[item_id].name_fr),
        ),
    )
    return [index.items[item_id] for item_id in ordered]


def _exact(index: _Index, variants: Sequence[str]) -> tuple[str, str] | dict[str, str] | None:
    """(item id, name) for an exact hit; {item id: name} when a salt-free name belongs to several."""
    for variant in variants:
        if variant in index.exact:
            return index.exact[variant]
    for variant in variants:
        owners = index.salt_free.get(variant)
        if owners:
            return next(iter(owners.items())) if len(owners) == 1 else owners
    return None


def _prefixed(index: _Index, variants: Sequence[str]) -> set[str]:
    """Items having a name that starts with the query as whole words ("insuline" -> insuline glargine)."""
    found: set[str] = set()
    for variant in variants:
        if len(variant) >= _MIN_PREFIX_LENGTH:
            found.update(
                index.key_items[position]
                for position, key in enumerate(index.keys)
                if key.startswith(variant + " ")
            )
    return found


def _fuzzy(index: _Index, variants: Sequence[str]) -> list[tuple[str, float, str]]:
    """(item id, best score, name) for every item, best first, by edit distance (word order ignored)."""
    best: dict[str, tuple[float, str]] = {}
    for variant in variants:
        for query, choices in ((variant, index.keys), (_sorted_tokens(variant), index.sorted_keys)):
            for _, similarity, position in process.extract(
                query, choices, scorer=OSA.normalized_similarity, limit=10
            ):
                item_id = index.key_items[position]
                score = similarity * 100
                if score > best.get(item_id, (0.0, ""))[0]:
                    best[item_id] = (score, index.key_labels[position])
    ranked = sorted(best.items(), key=lambda entry: -entry[1][0])
    return [(item_id, score, label) for item_id, (score, label) in ranked]


@dataclass(frozen=True)
class _Part:
    """One part of a combination: the items it may be, and how sure."""

    item_ids: frozenset[str]
    score: float
    label: str


def _resolve_part(index: _Index, text: str) -> _Part | None:
    variants = _variants(text)
    if not variants:
        return None
    hit = _exact(index, variants)
    if isinstance(hit, tuple):
        return _Part(frozenset({hit[0]}), 100.0, hit[1])
    if isinstance(hit, dict):
        return _Part(frozenset(hit), 90.0, text.strip())
    # "ténofovir" inside a combination may be either ester: keep both, the combination decides.
    singles = {item_id for item_id in _prefixed(index, variants) if not index.items[item_id].is_combination}
    if singles:
        return _Part(frozenset(singles), 90.0, text.strip())
    ranked = _fuzzy(index, variants)
    if ranked and ranked[0][1] >= SCORE_CUTOFF:
        close = frozenset(item_id for item_id, score, _ in ranked if score >= ranked[0][1] - AMBIGUITY_MARGIN)
        return _Part(close, ranked[0][1], ranked[0][2])
    return None


def _combination(index: _Index, text: str) -> MedicineMatch | UnknownMedicineError | None:
    """The fixed-dose combination made of exactly the parts named; None when the text is not a list.

    A list of known medicines that no catalogue combination matches comes back as an error for the
    caller to raise if nothing else matches ("TDF/3TC" is not TLD, whatever the overlap).
    """
    pieces = [piece for piece in _COMBINATION_SEPARATORS.split(text.casefold()) if _clean(piece)]
    if len(pieces) < 2:
        return None
    parts = [_resolve_part(index, piece) for piece in pieces]
    if any(part is None for part in parts):
        return None
    resolved = [part for part in parts if part is not None]
    options = [
        [frozenset(index.items[item_id].components or (item_id,)) for item_id in part.item_ids]
        for part in resolved
    ]
    found: set[str] = set()
    wanted: set[frozenset[str]] = set()
    for choice in itertools.islice(itertools.product(*options), 256):
        components = frozenset().union(*choice)
        wanted.add(components)
        if components in index.combinations:
            found.add(index.combinations[components])
    if len(found) == 1:
        item = index.items[found.pop()]
        return MedicineMatch(
            item=item,
            score=min(part.score for part in resolved),
            matched=" + ".join(part.label for part in resolved),
        )
    if found:
        return UnknownMedicineError(
            text, lambda: _rank(index, [_clean(text)], found), f"{text!r} may be several combinations"
        )
    supersets = {
        combination_id
        for components, combination_id in index.combinations.items()
        if any(components > want for want in wanted)
    }
    named = {item_id for part in resolved for item_id in part.item_ids}

    def candidates() -> list[Item]:
        ranked = _rank(index, [_clean(text)], supersets) + _rank(index, [_clean(text)], named)
        return list(dict.fromkeys(ranked))

    reason = f"{text!r} names medicines that form no fixed-dose combination of the catalogue"
    return UnknownMedicineError(text, candidates, reason)


def _kinds(kinds: set[str] | None) -> frozenset[ItemKind]:
    if kinds is None:
        return frozenset({ItemKind.medicine})
    try:
        return frozenset(ItemKind(kind) for kind in kinds)
    except ValueError:
        known = ", ".join(kind.value for kind in ItemKind)
        raise ValueError(f"unknown item kind in {sorted(kinds)} (known: {known})") from None


def _long_acting_twin(index: _Index, match: MedicineMatch, text: str) -> MedicineMatch:
    """The long-acting injectable item when the text names an oral item's molecule with a depot word.

    "halopéridol décanoate", "rispéridone retard" or "rispéridone LP injectable" never mean the oral
    molecule; "rispéridone injectable" means the depot too, as oral risperidone has no injection, while
    "halopéridol injectable" stays haloperidol (its short-acting injection is one of its forms).
    """
    twin = next(
        (item for item in index.items.values() if item.long_acting_form_of == match.item.id),
        None,
    )
    if twin is None:
        return match
    tokens = set(normalize_name(text).split())
    own_injection = any("inject" in normalize_name(form) for form in match.item.forms)
    injected = bool(tokens & _INJECTION_TOKENS)
    if tokens & _LONG_ACTING_TOKENS or (injected and (tokens & _PROLONGED_TOKENS or not own_injection)):
        return MedicineMatch(item=twin, score=match.score, matched=twin.name_fr)
    return match


def resolve_medicine(text: str, kinds: set[str] | None = None) -> MedicineMatch:
    """Resolve a free-text name to one catalogue item (medicines only unless ``kinds`` says otherwise).

    Raises :class:`UnknownMedicineError` listing the closest candidates when the name is unknown or
    could be several items; never returns a guess below :data:`SCORE_CUTOFF`. A molecule written with
    a long-acting word resolves to its long-acting injectable item (:func:`_long_acting_twin`).
    """
    index = _index(_kinds(kinds))
    return _long_acting_twin(index, _resolve(index, text, kinds), text)


def _resolve(index: _Index, text: str, kinds: set[str] | None) -> MedicineMatch:
    what = "medicine" if kinds is None or set(kinds) == {"medicine"} else "item"
    variants = _variants(text)
    if not variants:
        raise UnknownMedicineError(text, [], f"{text!r} names no {what}")

    hit = _exact(index, variants)
    if isinstance(hit, tuple):
        return MedicineMatch(item=index.items[hit[0]], score=100.0, matched=hit[1])
    if isinstance(hit, dict):
        raise UnknownMedicineError(text, lambda: _rank(index, variants, hit), f"{text!r} is ambiguous")

    combination = _combination(index, text)
    if isinstance(combination, MedicineMatch):
        return combination

    prefixed = _prefixed(index, variants)
    if isinstance(combination, UnknownMedicineError) and prefixed:
        raise combination  # "TDF/3TC": say it is no combination of the catalogue, not a mere prefix
    if len(prefixed) > 1:
        reason = f"{text!r} is ambiguous: give the full name"
        raise UnknownMedicineError(text, lambda: _rank(index, variants, prefixed), reason)

    ranked = _fuzzy(index, variants)
    if ranked and ranked[0][1] >= SCORE_CUTOFF:
        best_id, best_score, label = ranked[0]
        rivals = [item_id for item_id, score, _ in ranked[1:] if score >= best_score - AMBIGUITY_MARGIN]
        if not rivals:
            return MedicineMatch(item=index.items[best_id], score=round(best_score, 1), matched=label)
        candidates = [index.items[best_id], *(index.items[item_id] for item_id in rivals)]
        raise UnknownMedicineError(text, candidates, f"{text!r} is ambiguous")

    if isinstance(combination, UnknownMedicineError):
        raise combination
    raise UnknownMedicineError(
        text, lambda: _rank(index, variants), f"no {what} of the catalogue matches {text!r}"
    )


def resolve_item(text: str) -> MedicineMatch:
    """Resolve a name of any kind of item: medicines, tests ("charge virale"), equipment, specialists."""
    return resolve_medicine(text, kinds={kind.value for kind in ItemKind})


__all__ = ["MedicineMatch", "UnknownMedicineError", "resolve_item", "resolve_medicine"]
