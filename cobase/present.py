"""One presentation of evidence, French first: every label, value, unit, period, date, badge and sentence.

The app (``streamlit_app``) and the three dossier formats (``cobase.export``) call these functions and
nothing else to put evidence into words, so they cannot disagree, and a fix lands everywhere at once.
Rules a reader of a French dossier relies on:

* numbers use a decimal comma and a narrow no-break space (U+202F) between thousands, at most three
  significant decimals, never scientific notation (``1.05235e+07`` is ``10 523 500``);
* units and breakdowns are French words (``tous âges``, ``femmes``, ``milieu rural``); a producer's code
  we do not know is shown as its words, never as ``KEY=CODE``;
* dates are DD/MM/YYYY (ISO 8601 in English, which is unambiguous);
* survey answers are ``Oui``, ``Non``, ``Ne sait pas``, beside the question and its round;
* a date says what it is (updated, document date, first seen), and only a ``published_after`` status
  lets a text say that a value was not public at the as-of date;
* a trend says how many values it rests on and whether it is better or worse for access (each indicator
  of ``sources.yml`` declares its ``polarity``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache

from cobase.catalogue import CatalogueError, load_catalogue
from cobase.clock import as_utc
from cobase.evidence.deliveries import Delivery, DeliveryTimeline
from cobase.evidence.model import DIMENSION_LABELS, Contradiction, Evidence, Trend
from cobase.evidence.register_timeline import ProductEntry, RegisterVersion
from cobase.registry import SourcesFileError, load_registry

LANGS: tuple[str, ...] = ("fr", "en")
"""Languages evidence can be presented in, default first."""

NNBSP = "\u202f"
"""Narrow no-break space: French thousands separator, and the space before ``:``, ``;``, ``%``."""

ELLIPSIS_MARK = "[…]"
"""What replaces text cut to fit a page (« […] » in French typography)."""


def check_lang(lang: str) -> str:
    """Return ``lang`` if evidence can be presented in it; a one-sentence ValueError otherwise."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def pick(lang: str, french: str, english: str) -> str:
    """Choose between a French and an English variant."""
    return french if check_lang(lang) == "fr" else english


# --- numbers -------------------------------------------------------------------------------------------


def format_number(number: float, lang: str = "fr") -> str:
    """A number as a reader writes it: ``55,5``, ``10 523 500`` (French) or ``55.5``, ``10,523,500``.

    Integers keep every digit; other numbers keep three significant digits but at least one and at most
    three decimals (``55.4555`` -> ``55,5``; ``0.01234`` -> ``0,012``; ``1234.56`` -> ``1 234,6``).
    Trailing zeros are dropped; scientific notation is never used.
    """
    check_lang(lang)
    if math.isnan(number) or math.isinf(number):
        return pick(lang, "non chiffré", "not a number")
    magnitude = abs(number)
    if number == int(number) and magnitude < 1e18:
        decimals = 0
    elif magnitude < 1:
        decimals = 3
    else:
        digits = len(str(int(magnitude)))
        decimals = min(3, max(1, 3 - digits))
    shown = f"{number:,.{decimals}f}"
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    if shown in ("-0", ""):
        shown = "0"
    if lang == "fr":
        shown = shown.replace(",", NNBSP).replace(".", ",")
    return shown


_NUMERIC = re.compile(r"[-+]?(\d[\d\s,.\u202f\u00a0]*)([eE][-+]?\d+)?")


def _looks_numeric(text: str) -> bool:
    return bool(_NUMERIC.fullmatch(text.strip()))


# --- dates and periods ---------------------------------------------------------------------------------


def format_day(day: date, lang: str = "fr") -> str:
    """A date as a French reader writes it (30/06/2024); ISO 8601 in English."""
    return day.strftime("%d/%m/%Y") if check_lang(lang) == "fr" else day.isoformat()


def format_moment(moment: datetime, lang: str = "fr") -> str:
    """A timestamp in UTC, saying so, since retrieval times are recorded in UTC."""
    utc = as_utc(moment)
    return f"{format_day(utc.date(), lang)} {utc.strftime('%H:%M')} UTC"


def format_date_of(moment: datetime | date | None, lang: str = "fr") -> str:
    """The day of a timestamp (or a date); an em dash when there is none."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return format_day(as_utc(moment).date(), lang)
    return format_day(moment, lang)


def format_period(start: date, end: date, lang: str = "fr") -> str:
    """A period as producers state it: ``2019``, ``2015–2017``, ``03/2024`` for a month, or two days."""
    check_lang(lang)
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    if (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and (end + timedelta(1)).day == 1
    ):
        return f"{start.month:02d}/{start.year}" if lang == "fr" else f"{start.year}-{start.month:02d}"
    if start == end:
        return format_day(start, lang)
    return f"{format_day(start, lang)}–{format_day(end, lang)}"


# --- names: dimensions, items, sources -----------------------------------------------------------------


def dimension_label(name: str, lang: str = "fr") -> str:
    """The name of an access dimension, the same in the app and in every dossier."""
    french, english = DIMENSION_LABELS.get(name, (_humane(name), _humane(name)))
    return pick(lang, french, english)


@lru_cache(maxsize=1)
def _catalogue_names() -> dict[str, tuple[str, str]]:
    try:
        catalogue = load_catalogue()
    except CatalogueError:
        return {}
    return {item.id: (item.name_fr, item.name_en) for item in catalogue.items.values()}


def catalogue_item_names() -> dict[str, tuple[str, str]]:
    """French and English name of every catalogue item, by id; empty if the catalogue cannot be read.

    Names are a courtesy: a defective catalogue must not stop a dossier whose evidence is all there,
    so its items are then shown by id.
    """
    return dict(_catalogue_names())


def item_name(item_id: str, lang: str = "fr", names: dict[str, tuple[str, str]] | None = None) -> str:
    """The name of a catalogue item; an unknown id is shown as its words."""
    known = names if names is not None else _catalogue_names()
    if item_id in known:
        return pick(lang, *known[item_id])
    return _humane(item_id)


# --- units and breakdowns ------------------------------------------------------------------------------

_UNITS: dict[str, tuple[str, str]] = {
    "%": ("%", "%"),
    "local currency per month": ("en monnaie locale par mois", "local currency per month"),
    "local currency per us$": ("unités de monnaie locale pour 1 US$", "local currency units per US$"),
    "% of treatment sites": ("% des sites de traitement", "% of treatment sites"),
    "number": ("", ""),
    "per 1 000 population": ("pour 1\u202f000 habitants", "per 1,000 population"),
    "per 1000 population": ("pour 1\u202f000 habitants", "per 1,000 population"),
    "per 100 000 population": ("pour 100\u202f000 habitants", "per 100,000 population"),
    "per 10 000 population": ("pour 10\u202f000 habitants", "per 10,000 population"),
    "index (0-100)": ("sur 100 (indice)", "out of 100 (index)"),
    "us$": ("$ US", "US$"),
    "usd": ("$ US", "US$"),
    "us$ per unit": ("$ US par unité", "US$ per unit"),
    "us$ per pack": ("$ US par boîte", "US$ per pack"),
    "packs": ("boîtes", "packs"),
    "days": ("jours", "days"),
    "years": ("ans", "years"),
    "answer (yes/no)": ("", ""),
    "mention": ("", ""),
    "report": ("", ""),
    "text (yes/no or the producer's wording)": ("", ""),
    "amount (currency as written when stated)": ("", ""),
}
"""Units as stored (``sources.yml`` or the producer) -> French and English words; empty: no unit shown."""


def unit_label(unit: str | None, lang: str = "fr") -> str:
    """A unit in words of ``lang``; empty when the value needs none (a count, an answer, a mention).

    A currency code (``GNF``, ``XOF``) is kept as written; any other unknown unit is shown as its words.
    """
    if not unit:
        return ""
    known = _UNITS.get(unit.strip().casefold()) or _UNITS.get(unit.strip())
    if known is not None:
        return pick(lang, *known)
    per = re.fullmatch(r"per ([\d\s,]+)(?: population| inhabitants| people)?", unit.strip(), re.IGNORECASE)
    if per:
        count = int(re.sub(r"\D", "", per.group(1)))
        return pick(lang, f"pour {format_number(count, 'fr')} habitants", f"per {count:,} population")
    if re.fullmatch(r"[A-Z]{3}", unit.strip()):
        return unit.strip()
    return _humane(unit) if lang == "fr" else unit


_BREAKDOWN_KEYS: dict[str, tuple[str, str]] = {
    "SEX": ("sexe", "sex"),
    "AGEGROUP": ("âge", "age"),
    "RESIDENCEAREATYPE": ("milieu", "area"),
    "WEALTHQUINTILE": ("quintile de richesse", "wealth quintile"),
    "EDUCATIONLEVEL": ("niveau d'instruction", "education"),
    "COMPONENT": ("composante", "component"),
    "STRENGTH_FORM": ("présentation", "strength and form"),
    "SUBGROUP": ("", ""),
    "GHECAUSES": ("cause", "cause"),
    "EAN": ("code EAN", "EAN code"),
}

_BREAKDOWN_VALUES: dict[str, tuple[str, str]] = {
    "BTSX": ("les deux sexes", "both sexes"),
    "FMLE": ("femmes", "women"),
    "MLE": ("hommes", "men"),
    "RUR": ("milieu rural", "rural areas"),
    "URB": ("milieu urbain", "urban areas"),
    "TOTL": ("ensemble du territoire", "whole country"),
    "ALL AGES": ("tous âges", "all ages"),
    "ALL": ("ensemble", "all"),
    "FEMALES": ("femmes", "women"),
    "FEMALE": ("femmes", "women"),
    "MALES": ("hommes", "men"),
    "MALE": ("hommes", "men"),
    "ADULTS": ("adultes", "adults"),
    "CHILDREN": ("enfants", "children"),
    "HIV/AIDS": ("VIH/sida", "HIV/AIDS"),
    "HIV": ("VIH", "HIV"),
    "TUBERCULOSIS": ("tuberculose", "tuberculosis"),
    "MALARIA": ("paludisme", "malaria"),
    "RSSH": ("renforcement des systèmes de santé", "health systems strengthening"),
    "TB/HIV": ("tuberculose/VIH", "TB/HIV"),
    "TABLET": ("comprimé", "tablet"),
    "TABLETS": ("comprimés", "tablets"),
    "CAPSULE": ("gélule", "capsule"),
    "INJECTION": ("injection", "injection"),
    "ORAL SOLUTION": ("solution buvable", "oral solution"),
}
"""Producers' breakdown codes (GHO ``SEX_FMLE`` or bulk ``FMLE``, UNAIDS ``All ages``, Global Fund
components) -> French and English words."""

_INTERNAL_KEYS = ("finding", "report", "document", "mention", "source", "NCDCCS_", "UNIT_MEASURE", "DELIVERY")
"""Parts of a stored breakdown that identify a record (a finding, a report, a mention) rather than a
population: they keep series apart in storage and mean nothing to a reader."""

_AGE = re.compile(r"^(?:AGE|YEARS)?(\d+)(?:-(\d+)|PLUS|\+)?$")


def _humane(code: str) -> str:
    """A code as words: ``SOME_CODE-X`` -> ``some code x`` (all-capital codes lowered)."""
    words = re.sub(r"[_=;]+", " ", code).strip()
    return words.lower() if words.isupper() else words


def _age_words(text: str, lang: str) -> str | None:
    found = _AGE.fullmatch(text.replace(" ", "").upper())
    if not found:
        return None
    low, high = found.group(1), found.group(2)
    if high:
        return pick(lang, f"{low}–{high} ans", f"aged {low}–{high}")
    if text.upper().endswith(("PLUS", "+")):
        return pick(lang, f"{low} ans et plus", f"aged {low}+")
    return pick(lang, f"{low} ans", f"aged {low}")


def _subgroup_words(value: str, lang: str) -> str:
    """UNAIDS subgroups: ``All ages``, ``Females 15+``, ``Children (0-14)``, ``Adults (15+)``."""
    text = value.strip()
    known = _BREAKDOWN_VALUES.get(text.upper())
    if known:
        return pick(lang, *known)
    found = re.fullmatch(r"([A-Za-z ]+?)\s*\(?\s*(\d+\s*(?:-\s*\d+|\+)?)\s*\)?", text)
    if found:
        who = _BREAKDOWN_VALUES.get(found.group(1).strip().upper())
        age = _age_words(found.group(2).replace(" ", ""), lang)
        if who and age:
            return f"{pick(lang, *who)} ({age})" if lang == "fr" else f"{pick(lang, *who)} {age}"
    return text if lang == "en" else _humane(text)


def _breakdown_part(key: str, value: str, lang: str) -> str:
    if key == "SUBGROUP":
        return _subgroup_words(value, lang)
    bare = value
    if key and value.upper().startswith(f"{key.upper()}_"):
        bare = value[len(key) + 1 :]
    known = _BREAKDOWN_VALUES.get(bare.upper())
    if known:
        return pick(lang, *known)
    if key == "AGEGROUP" and (age := _age_words(bare, lang)):
        return age
    if key == "STRENGTH_FORM":
        words = [
            pick(lang, *_BREAKDOWN_VALUES[w.upper()]) if w.upper() in _BREAKDOWN_VALUES else w
            for w in bare.split()
        ]
        return " ".join(words)
    label = _BREAKDOWN_KEYS.get(key)
    shown = _humane(bare)
    if label and label[0]:
        return f"{pick(lang, *label)} : {shown}" if lang == "fr" else f"{label[1]}: {shown}"
    return shown


def breakdown_label(breakdown: str, lang: str = "fr") -> str:
    """A stored breakdown (``SEX=SEX_FMLE;RESIDENCEAREATYPE=RESIDENCEAREATYPE_RUR``, ``SUBGROUP=All ages``)
    in words (``femmes, milieu rural``, ``tous âges``); empty for the identifiers of a record."""
    check_lang(lang)
    parts = []
    for piece in breakdown.split(";"):
        if not piece.strip():
            continue
        key, _, value = piece.partition("=") if "=" in piece else ("", "", piece)
        key, value = key.strip(), value.strip()
        if any(key == k or key.startswith(k) for k in _INTERNAL_KEYS if k) or not value:
            continue
        parts.append(_breakdown_part(key.upper(), value, lang))
    return ", ".join(part for part in parts if part)


# --- values and answers --------------------------------------------------------------------------------

_ANSWERS: dict[str, tuple[str, str]] = {
    "yes": ("Oui", "Yes"),
    "no": ("Non", "No"),
    "don't know": ("Ne sait pas", "Don't know"),
    "dont know": ("Ne sait pas", "Don't know"),
    "true": ("Oui", "Yes"),
    "false": ("Non", "No"),
}
"""Categorical answers as stored (see ``cobase.parse.who_ncd_ccs.answer_text``) -> words."""


def answer_label(value: str, lang: str = "fr") -> str | None:
    """``Oui``/``Non``/``Ne sait pas`` for a stored survey answer; None when ``value`` is not one."""
    known = _ANSWERS.get(" ".join(value.replace("\u2019", "'").split()).casefold())
    return pick(lang, *known) if known else None


def is_answer(evidence: Evidence) -> bool:
    """Whether the value is a categorical answer (Yes/No/Don't know) to a survey question."""
    return evidence.value_num is None and answer_label(evidence.value) is not None


def format_value(value: str, value_num: float | None, lang: str = "fr") -> str:
    """A stored value without its unit: a number in ``lang``'s format, an answer in words, or the text
    as written (``>95 [81->95]``, a report's title)."""
    answer = answer_label(value, lang)
    if answer is not None and value_num is None:
        return answer
    if value_num is not None and (_looks_numeric(value) or not value.strip()):
        return format_number(value_num, lang)
    return value.strip()


def value_text(evidence: Evidence, lang: str = "fr") -> str:
    """The value as a reader should read it: ``55,5 %``, ``10 523 500``, ``Non``, or the text as written."""
    answer = answer_label(evidence.value, lang)
    if answer is not None and evidence.value_num is None:
        return answer
    unit = unit_label(evidence.unit, lang)
    if evidence.value_num is not None and (_looks_numeric(evidence.value) or not evidence.value.strip()):
        number = format_number(evidence.value_num, lang)
        if not unit:
            return number
        space = NNBSP if lang == "fr" else ("" if unit == "%" else " ")
        return f"{number}{space}{unit}"
    text = evidence.value.strip()
    if unit and unit not in text and (evidence.unit or "") not in text:
        return f"{text} {unit}"
    return text


# --- indicator labels, surveys and scope ---------------------------------------------------------------

_SURVEYS: dict[str, tuple[str, str]] = {
    "who_ncd_ccs": (
        "Enquête OMS sur les capacités nationales (NCD CCS)",
        "WHO NCD Country Capacity Survey (NCD CCS)",
    ),
}
"""Sources whose values are answers to a survey, by the survey's name."""

_FINDING_LABELS = ("Constat contribué", "Contributed finding")


@lru_cache(maxsize=1)
def _indicators() -> dict[tuple[str, str], object]:
    try:
        registry = load_registry()
    except SourcesFileError:
        return {}
    return {(s.key, ind.code): ind for s in registry.sources.values() for ind in s.indicators}


def clear_caches() -> None:
    """Forget the registry and catalogue read so far (tests that change them call this)."""
    _indicators.cache_clear()
    _catalogue_names.cache_clear()
    _links.cache_clear()


def indicator_label(evidence: Evidence, lang: str = "fr") -> str:
    """What the value measures; never a bare code (a contributed finding is « Constat contribué »)."""
    label = pick(lang, evidence.label_fr, evidence.label_en)
    if label == evidence.indicator or label.startswith("FINDING_") or re.fullmatch(r"[A-Z0-9_.]+", label):
        if evidence.indicator.startswith("FINDING_"):
            return pick(lang, *_FINDING_LABELS)
        return pick(lang, "Indicateur du producteur", "Producer's indicator") + f" {evidence.indicator}"
    return label


def survey_question(evidence: Evidence, lang: str = "fr") -> str:
    """The survey question an answer replies to, as a question (``… est-il disponible … ?``)."""
    indicator = _indicators().get((evidence.source, evidence.indicator))
    question = getattr(indicator, f"question_{lang}", None) if indicator is not None else None
    if question:
        return str(question)
    return pick(lang, evidence.label_fr, evidence.label_en) + " ?"


def answer_sentence(evidence: Evidence, lang: str = "fr") -> str:
    """``Enquête OMS … (NCD CCS) 2017 : l'insuline est-elle … ? — Non``."""
    survey = _SURVEYS.get(evidence.source)
    survey_name = pick(lang, *survey) if survey else pick(lang, "Enquête", "Survey")
    colon = f"{NNBSP}:" if lang == "fr" else ":"
    round_ = format_period(evidence.period_start, evidence.period_end, lang)
    return f"{survey_name} {round_}{colon} {survey_question(evidence, lang)} — {value_text(evidence, lang)}"


@lru_cache(maxsize=1)
def _links() -> dict[tuple[str, str], object]:
    try:
        catalogue = load_catalogue()
    except CatalogueError:
        return {}
    return {(s, code): link for s, codes in catalogue.indicator_map.items() for code, link in codes.items()}


_SCOPE_DEFAULTS: dict[str, tuple[str, str]] = {
    "class": ("classe de traitements", "class of treatments"),
    "population": ("population générale", "general population"),
    "system": ("système de santé", "health system"),
}


def scope_about(evidence: Evidence, lang: str = "fr") -> str:
    """What a non-item value is about (``tous antirétroviraux``, ``population générale``).

    The indicator map's link names it (``about_fr``/``about_en``); otherwise the scope's generic words.
    """
    about = evidence.about_fr if lang == "fr" else evidence.about_en
    if not about:
        link = _links().get((evidence.source, evidence.indicator))
        about = getattr(link, f"about_{lang}", None) if link is not None else None
    if about:
        return str(about)
    return pick(lang, *_SCOPE_DEFAULTS.get(evidence.scope, _SCOPE_DEFAULTS["population"]))


def national_context_label(about: str, lang: str = "fr") -> str:
    """The heading of non-item evidence: ``Contexte national — population générale``."""
    return f"{pick(lang, 'Contexte national', 'National context')} — {about}"


def evidence_label(
    evidence: Evidence, lang: str = "fr", names: dict[str, tuple[str, str]] | None = None
) -> str:
    """Indicator, the patient's items (only for item-scope evidence) and breakdown, in words.

    Class, population and system values are never labelled with a medicine's name: they are about
    something else, which :func:`scope_about` names.
    """
    parts = [indicator_label(evidence, lang)]
    if evidence.scope == "item" and evidence.items:
        parts.append(", ".join(item_name(i, lang, names) for i in evidence.items))
    elif evidence.scope != "item":
        parts.append(scope_about(evidence, lang))
    words = breakdown_label(evidence.breakdown, lang)
    if words:
        parts.append(words)
    return " — ".join(parts)


def source_name(evidence: Evidence) -> str:
    """Who stands behind a value: the producer, or the contributor of a curated finding."""
    if evidence.contributed_by:
        return evidence.contributed_by
    return evidence.producer


def split_by_scope(evidence: Iterable[Evidence], lang: str = "fr") -> list[tuple[str | None, list[Evidence]]]:
    """Evidence in display order: the patient's items first (heading None), then one group per
    « contexte national » subject, each named."""
    items: list[Evidence] = []
    context: dict[str, list[Evidence]] = {}
    for e in evidence:
        if e.scope == "item":
            items.append(e)
        else:
            context.setdefault(national_context_label(scope_about(e, lang), lang), []).append(e)
    groups: list[tuple[str | None, list[Evidence]]] = [(None, items)] if items else []
    return groups + sorted(context.items())


# --- dates with their basis, and the as-of status ------------------------------------------------------

_BASIS: dict[str, tuple[str, str]] = {
    "first_release": ("publié le", "published on"),
    "last_modified": ("mis à jour le", "updated on"),
    "document_date": ("document daté du", "document dated"),
    "first_seen": ("relevé le", "first seen on"),
}


def basis_text(evidence: Evidence, lang: str = "fr") -> str:
    """The producer's date with what it is (``mis à jour le 12/03/2019``), or when we first saw it."""
    if evidence.published_basis == "first_seen" or evidence.published_at is None:
        seen = evidence.first_seen_at or evidence.published_at or evidence.retrieved_at
        return f"{pick(lang, *_BASIS['first_seen'])} {format_date_of(seen, lang)}"
    return f"{pick(lang, *_BASIS[evidence.published_basis])} {format_date_of(evidence.published_at, lang)}"


def proof_date(evidence: Evidence) -> datetime | None:
    """The earliest date by which a value can be shown to have been public: the producer's date (when it
    is one it published) or our first retrieval, whichever is earlier."""
    candidates = [evidence.first_seen_at] if evidence.first_seen_at else []
    if evidence.published_at is not None and evidence.published_basis != "first_seen":
        candidates.append(evidence.published_at)
    if not candidates:
        candidates.append(evidence.published_at or evidence.retrieved_at)
    return min(candidates, key=as_utc)


def as_of_text(evidence: Evidence, lang: str = "fr", as_of: date | None = None) -> str:
    """What can be said about when a value became public, relative to the as-of date.

    ``published_by``: « publié au plus tard le … »; ``published_after``: « publié après le … »;
    ``unknown``: « date de première publication non établie ». The basis follows in brackets, and a
    withdrawal by the producer is stated. Only ``published_after`` may read as "not yet public".
    """
    check_lang(lang)
    basis = basis_text(evidence, lang)
    if evidence.as_of_status == "published_by":
        proof = format_date_of(proof_date(evidence), lang)
        head = f"{pick(lang, 'publié au plus tard le', 'published by')} {proof}"
    elif evidence.as_of_status == "published_after":
        after = as_of if as_of is not None else (evidence.published_at or evidence.retrieved_at)
        head = f"{pick(lang, 'publié après le', 'published after')} {format_date_of(after, lang)}"
    else:
        head = pick(
            lang, "date de première publication non établie", "first publication date not established"
        )
    text = f"{head} ({basis})"
    if evidence.withdrawn_at is not None:
        withdrawn = pick(lang, "retiré par le producteur le", "withdrawn by the producer on")
        text += (
            f" ; {withdrawn} {format_date_of(evidence.withdrawn_at, lang)}"
            if lang == "fr"
            else (f"; {withdrawn} {format_date_of(evidence.withdrawn_at, lang)}")
        )
    return text


AS_OF_HEADINGS: dict[str, tuple[str, str]] = {
    "published_by": ("Publié au plus tard à la date de l'avis", "Published by the opinion date"),
    "unknown": ("Date de première publication non établie", "First publication date not established"),
    "published_after": ("Publié après la date de l'avis", "Published after the opinion date"),
}
"""Headings of the contest dossier's body, in its order."""


def as_of_heading(status: str, lang: str = "fr") -> str:
    """The heading of the evidence with one as-of status."""
    return pick(lang, *AS_OF_HEADINGS[status])


# --- badges --------------------------------------------------------------------------------------------


def republished_producer(source_key: str) -> str:
    """The producer a republishing source copies, by name (never the sources.yml key)."""
    try:
        source = load_registry().sources.get(source_key)
    except SourcesFileError:
        source = None
    return source.producer if source is not None else source_key


def badges(evidence: Evidence, lang: str = "fr") -> list[str]:
    """Short words that warn the reader how to weigh a piece of evidence."""
    found: list[str] = []
    if evidence.review_status == "contributed":
        found.append(pick(lang, "constat contribué", "contributed finding"))
    elif evidence.review_status == "confirmed":
        found.append(pick(lang, "constat contribué, confirmé", "contributed finding, confirmed"))
    elif evidence.review_status == "candidate":
        found.append(pick(lang, "à vérifier", "to be checked"))
    if evidence.republishes:
        producer = republished_producer(evidence.republishes)
        found.append(pick(lang, f"republie {producer}", f"republishes {producer}"))
    if evidence.revised_later:
        found.append(pick(lang, "révisé après la date de référence", "revised after the reference date"))
    if evidence.stale:
        found.append(pick(lang, "donnée ancienne", "old data"))
    if evidence.withdrawn_at is not None:
        found.append(pick(lang, "retiré par le producteur", "withdrawn by the producer"))
    return found


# --- trends --------------------------------------------------------------------------------------------

POLARITIES: tuple[str, ...] = ("higher_is_better", "lower_is_better", "neutral")


def polarity(source: str, indicator: str) -> str:
    """Whether a rise is good for access (``higher_is_better``), bad (``lower_is_better``) or neither."""
    declared = getattr(_indicators().get((source, indicator)), "polarity", None)
    return str(declared) if declared in POLARITIES else "neutral"


def direction_word(direction: str, lang: str = "fr") -> str:
    """``en hausse``, ``en baisse``, ``stable``."""
    words = {"up": ("en hausse", "up"), "down": ("en baisse", "down"), "stable": ("stable", "stable")}
    return pick(lang, *words.get(direction, ("évolution", "change")))


def trend_reading(trend: Trend) -> str:
    """``better``, ``worse``, ``stable`` or ``neutral`` (no polarity): what the change means for access."""
    if trend.direction == "stable":
        return "stable"
    sense = polarity(trend.source, trend.indicator)
    if sense == "neutral" or trend.direction not in ("up", "down"):
        return "neutral"
    rising_is_good = sense == "higher_is_better"
    return "better" if (trend.direction == "up") == rising_is_good else "worse"


READINGS: dict[str, tuple[str, str]] = {
    "better": ("amélioration pour l'accès", "better for access"),
    "worse": ("dégradation pour l'accès", "worse for access"),
    "stable": ("stable", "stable"),
    "neutral": ("sans lecture favorable ou défavorable", "neither better nor worse in itself"),
}


def trend_sentence(trend: Trend, label: str, lang: str = "fr") -> str:
    """``label : 59,4 (2019) → 63,2 (2023), en hausse, amélioration pour l'accès (2 valeurs)``."""
    colon = f"{NNBSP}:" if lang == "fr" else ":"
    reading = trend_reading(trend)
    direction = direction_word(trend.direction, lang)
    meaning = "" if reading in ("stable", "neutral") else f", {pick(lang, *READINGS[reading])}"
    count = pick(lang, f"{trend.points} valeurs", f"{trend.points} values")
    return (
        f"{label}{colon} {format_number(trend.first_value, lang)} ({trend.first_period.year}) → "
        f"{format_number(trend.last_value, lang)} ({trend.last_period.year}), {direction}{meaning} ({count})"
    )


# --- contradictions ------------------------------------------------------------------------------------


def contradiction_text(
    contradiction: Contradiction, lang: str = "fr", names: dict[str, tuple[str, str]] | None = None
) -> str:
    """A contradiction in words, from its sides (so values and indicators are named, never coded)."""
    sides = contradiction.sides
    if contradiction.kind == "revision" and len(sides) == 2:
        old, new = sides
        return pick(
            lang,
            f"{source_name(new)} a révisé « {evidence_label(new, lang, names)} » pour "
            f"{format_period(new.period_start, new.period_end, lang)} : {value_text(old, lang)} puis "
            f"{value_text(new, lang)}.",
            f"{source_name(new)} revised “{evidence_label(new, 'en', names)}” for "
            f"{format_period(new.period_start, new.period_end, 'en')}: {value_text(old, 'en')} then "
            f"{value_text(new, 'en')}.",
        )
    if contradiction.kind == "availability_vs_stockout" and len(sides) == 2:
        available, against = sides
        what = (
            item_name(contradiction.item, lang, names)
            if contradiction.item
            else pick(lang, "le traitement", "the treatment")
        )
        return pick(
            lang,
            f"{source_name(available)} indique {what} disponible "
            f"({format_period(available.period_start, available.period_end, lang)}), alors que "
            f"{source_name(against)} rapporte une rupture ou une indisponibilité sur une période qui se "
            "recoupe.",
            f"{source_name(available)} reports {what} available "
            f"({format_period(available.period_start, available.period_end, 'en')}) while "
            f"{source_name(against)} reports a stock-out or unavailability over an overlapping period.",
        )
    return pick(lang, contradiction.description_fr, contradiction.description_en)


# --- long text -----------------------------------------------------------------------------------------

MAX_CELL_CHARS = 600
"""Longest text a table cell or a bullet carries; the rest is in the annex."""


def shorten(text: str, limit: int = MAX_CELL_CHARS, lang: str = "fr", ref: str | None = None) -> str:
    """``text`` cut to ``limit`` characters with « […] » and a pointer to the full text, when longer."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:  # end on a word when one ends in the second half; a long token is cut as is
        cut = cut[:space]
    where = pick(lang, "texte intégral en annexe", "full text in the annex")
    if ref:
        where += f" {ref}"
    mark = f"« {ELLIPSIS_MARK} »" if lang == "fr" else ELLIPSIS_MARK
    return f"{cut.rstrip()} {mark} ({where})"


# --- delivery timelines --------------------------------------------------------------------------------

_FUNDERS: dict[str, tuple[str, str]] = {
    "usaid_scms": ("le PEPFAR", "PEPFAR"),
    "globalfund_pqr": ("le Fonds mondial", "the Global Fund"),
}
"""Who financed the deliveries a source lists: what a delivery timeline is about."""


def delivery_funders(sources: Iterable[str], lang: str = "fr") -> str:
    """``livraisons financées par le PEPFAR / le Fonds mondial``: what the deliveries are, by funder."""
    wanted = set(sources)
    ordered = [key for key in _FUNDERS if key in wanted] + sorted(wanted - set(_FUNDERS))
    names = [pick(lang, *_FUNDERS.get(key, (key, key))) for key in ordered]
    return pick(lang, "livraisons financées par ", "deliveries funded by ") + " / ".join(names)


def delivery_heading(lang: str = "fr") -> str:
    """Title of the delivery timeline section (app and dossier)."""
    return pick(
        lang,
        "Livraisons enregistrées (continuité et coût)",
        "Recorded deliveries (continuity and affordability)",
    )


def delivery_caveat(lang: str = "fr") -> str:
    """What a delivery timeline is not: it must be said wherever one is shown."""
    return pick(
        lang,
        "Livraisons au programme national financées par un bailleur : elles montrent ce qui a été livré au "
        "pays et quand, pas que le médicament a atteint les patients ; l'absence de livraison enregistrée "
        "ne prouve pas une rupture (d'autres circuits peuvent approvisionner le pays).",
        "Deliveries to the national programme financed by a funder: they show what was delivered to the "
        "country and when, not that the medicine reached patients; no recorded delivery does not prove a "
        "stock-out (other channels may supply the country).",
    )


def delay_words(days: float, lang: str = "fr") -> str:
    """A delay in words: ``18 jours de retard``, ``13 jours d'avance``, ``à la date prévue``."""
    if days == 0:
        return pick(lang, "à la date prévue", "on the scheduled date")
    count = format_number(abs(days), lang)
    if days > 0:
        return pick(lang, f"{count} jours de retard", f"{count} days late")
    return pick(lang, f"{count} jours d'avance", f"{count} days early")


def unit_price_text(price: float | None, lang: str = "fr") -> str:
    """A delivery's unit price with its unit (``0,44 $ US par unité``), or a dash when not stated."""
    if price is None:
        return "—"
    return f"{format_number(price, lang)} {unit_label('US$ per unit', lang)}"


def delivery_summary(
    timeline: DeliveryTimeline, lang: str = "fr", names: dict[str, tuple[str, str]] | None = None
) -> str:
    """One sentence per timeline: count, span, last recorded delivery (always), median delay, longest gap."""
    item = item_name(timeline.item, lang, names)
    what = delivery_funders(timeline.sources, lang)
    first, last = format_day(timeline.first_delivery, lang), format_day(timeline.last_delivery, lang)
    as_of = format_day(timeline.as_of, lang)
    since = format_number(timeline.days_since_last, lang)
    parts = [
        pick(
            lang,
            f"{item} : {timeline.count} {what} du {first} au {last}",
            f"{item}: {timeline.count} {what} from {first} to {last}",
        ),
        pick(
            lang,
            f"dernière livraison enregistrée le {last} ({since} jours avant le {as_of})",
            f"last recorded delivery on {last} ({since} days before {as_of})",
        ),
    ]
    if timeline.median_delay_days is not None:
        median = delay_words(timeline.median_delay_days, lang)
        parts.append(pick(lang, f"délai médian : {median}", f"median delay: {median}"))
    gap = timeline.longest_gap
    if gap is not None:
        start, end, days = (
            format_day(gap.start, lang),
            format_day(gap.end, lang),
            format_number(gap.days, lang),
        )
        parts.append(
            pick(
                lang,
                f"plus long intervalle sans livraison enregistrée : {days} jours (du {start} au {end})",
                f"longest interval without any recorded delivery: {days} days ({start} to {end})",
            )
        )
    return " ; ".join(parts) + "." if lang == "fr" else "; ".join(parts) + "."


def delivery_columns(lang: str = "fr") -> list[str]:
    """Column headings of a delivery table, matching :func:`delivery_cells`."""
    return [
        pick(lang, "Livrée le", "Delivered on"),
        pick(lang, "Prévue le", "Scheduled for"),
        pick(lang, "Délai", "Delay"),
        pick(lang, "Prix unitaire", "Unit price"),
        pick(lang, "Présentation", "Presentation"),
        pick(lang, "Financement", "Funded by"),
    ]


def delivery_cells(delivery: Delivery, lang: str = "fr") -> list[str]:
    """One delivery as table cells: dates, delay, unit price with its unit, presentation and funder."""
    if delivery.scheduled_on is not None:
        scheduled = format_day(delivery.scheduled_on, lang)
    else:
        scheduled = pick(lang, "non renseignée", "not stated")
        if delivery.scheduled_text and delivery.scheduled_text != "—":
            scheduled += f" ({delivery.scheduled_text})"  # the producer's own words
    return [
        format_day(delivery.delivered_on, lang),
        scheduled,
        "—" if delivery.delay_days is None else delay_words(delivery.delay_days, lang),
        unit_price_text(delivery.unit_price_usd, lang),
        breakdown_label(f"STRENGTH_FORM={delivery.presentation}", lang) if delivery.presentation else "",
        pick(lang, *_FUNDERS.get(delivery.source, (delivery.source, delivery.source))),
    ]


# --- national registers (register timeline) ------------------------------------------------------------

REGISTER_STATUS_LABELS = {
    "registered": ("enregistré", "registered"),
    "not_renewed": ("non renouvelé", "not renewed"),
    "withdrawn": ("retiré", "withdrawn"),
    "no_longer_listed": ("ne figure plus sur la liste", "no longer listed"),
}


def register_status_label(status: str, lang: str = "fr") -> str:
    """A register status in words (``not_renewed`` -> « non renouvelé »), never the code."""
    french, english = REGISTER_STATUS_LABELS.get(status, (status, status))
    return pick(lang, french, english)


def register_product_text(fields: dict[str, str]) -> str:
    """A product as the ministry wrote it: brand (DCI, dosage, form) — holder, holder's country."""
    what = ", ".join(part for part in (fields.get("DCI"), fields.get("DOSAGE"), fields.get("FORME")) if part)
    who = ", ".join(part for part in (fields.get("DETENTEUR"), fields.get("PAYS")) if part)
    name = fields.get("NOM DE MARQUE") or fields.get("DCI") or "?"
    text_ = f"{name} ({what})" if what else name
    return f"{text_} — {who}" if who else text_


def register_entry_sentence(entry: ProductEntry, lang: str = "fr") -> str:
    """One product of one version: what it is, its status (registered since when; withdrawn when, why)."""
    colon = f"{NNBSP}:" if lang == "fr" else ":"
    status = register_status_label(entry.status, lang)
    registered_on = entry.fields.get("DATE D'ENREGISTREMENT INITIAL") or entry.fields.get("DATE AMM")
    if entry.status == "registered" and registered_on:
        status += pick(lang, " depuis le ", " since ") + _iso_day(registered_on, lang)
    if entry.withdrawn_on is not None:
        start, end = entry.withdrawn_on
        status += pick(lang, " le ", " on ") + format_period(start, end, lang)
    if entry.withdrawal_reason:
        reason = entry.withdrawal_reason.strip().rstrip(".")
        status += f" (« {reason} »)" if lang == "fr" else f" (“{reason}”)"
    return f"{register_product_text(entry.fields)}{colon} {status}"


def _iso_day(text_: str, lang: str) -> str:
    try:
        return format_day(date.fromisoformat(text_), lang)
    except ValueError:
        return text_


def register_gap_sentence(item_label: str, version_date: date, lang: str = "fr") -> str:
    """The dated gap: « aucun produit contenant X n'est enregistré au … »."""
    return pick(
        lang,
        f"Aucun produit contenant {item_label} n'est enregistré au {format_day(version_date, 'fr')}.",
        f"No product containing {item_label} is registered as of {format_day(version_date, 'en')}.",
    )


def register_version_heading(version: RegisterVersion, lang: str = "fr") -> str:
    """A version as a heading: its date, what the date is, and when we first kept it."""
    basis = (
        pick(lang, "date du document", "document date")
        if version.published_basis == "document_date"
        else pick(
            lang,
            f"aucune date publiée, relevée le {format_date_of(version.retrieved_at, 'fr')}",
            f"no published date, retrieved on {format_date_of(version.retrieved_at, 'en')}",
        )
    )
    return pick(
        lang,
        f"Version du {format_day(version.version_date, 'fr')} ({basis})",
        f"Version of {format_day(version.version_date, 'en')} ({basis})",
    )


def register_scope_note(item_label: str, lang: str = "fr") -> str:
    """What a register timeline is about: the products containing this item (the item's own scope)."""
    return pick(
        lang,
        f"À propos de : {item_label} (produits contenant cette molécule, y compris en association).",
        f"About: {item_label} (products containing this molecule, combinations included).",
    )


# --- Demonstration data --------------------------------------------------------------------------------

DEMONSTRATION_LABEL: dict[str, str] = {
    "fr": "Données de démonstration",
    "en": "Demonstration data (données de démonstration)",
}
"""What every page and every dossier made from a demonstration store says first; the English label keeps
the French words so a reader of either version recognises the same warning."""


def demonstration_label(lang: str = "fr") -> str:
    """The short mark of demonstration data: a title prefix, a running footer, a badge."""
    return DEMONSTRATION_LABEL[check_lang(lang)]


def demonstration_banner(lang: str = "fr") -> str:
    """The sentence that says sample values are not evidence, and never to cite them."""
    return pick(
        lang,
        "Données de démonstration : ces valeurs viennent des fichiers d'exemple de cobase, pas des sources "
        "réelles ; elles servent à essayer l'outil et ne doivent jamais être citées.",
        "Demonstration data (données de démonstration): these values come from cobase's sample files, not "
        "the live sources; they are for trying the tool and must never be cited.",
    )


# --- monthly cost of a medicine (cobase.evidence.cost) ---------------------------------------------------

_COST_INPUTS: dict[str, tuple[str, str]] = {
    "price": ("prix public de vente (PPV) de la boîte", "public retail price (PPV) of the pack"),
    "hospital_price": ("prix hospitalier (PH) de la boîte", "hospital price (PH) of the pack"),
    "reimbursement_base": ("base de remboursement (PRIX_BR)", "reimbursement base (PRIX_BR)"),
    "reimbursement_rate": ("taux de remboursement", "reimbursement rate"),
    "exchange_rate": (
        "taux de change officiel (monnaie locale pour 1 US$)",
        "official exchange rate (LCU per US$)",
    ),
    "minimum_wage": ("salaire minimum légal mensuel", "statutory monthly minimum wage"),
}


def format_money(amount: float, currency: str | None, lang: str = "fr") -> str:
    """An amount with two decimals and its currency: ``28,87 MAD`` (French), ``28.87 MAD``; US$ as ``US$``."""
    shown = f"{amount:,.2f}"
    if check_lang(lang) == "fr":
        shown = shown.replace(",", NNBSP).replace(".", ",")
    return f"{shown} {currency or ''}".rstrip()


def format_wage_days(days: float, lang: str = "fr") -> str:
    """Days of minimum wage, two decimals: ``0,35 jour de salaire minimum``."""
    shown = f"{days:.2f}"
    if check_lang(lang) == "fr":
        word = "jour" if days < 2 else "jours"
        return f"{shown.replace('.', ',')} {word} de salaire minimum"
    return f"{shown} {'day' if days == 1 else 'days'} of minimum wage"


def cost_input_label(kind: str, lang: str = "fr") -> str:
    """What one input of the monthly cost is."""
    french, english = _COST_INPUTS.get(kind, (kind, kind))
    return pick(lang, french, english)


def cost_input_citation(value: object, lang: str = "fr") -> str:
    """One input of the computation, cited: what, value, year, producer, title, date, URL and SHA-256."""
    from cobase.evidence.cost import CostInput

    assert isinstance(value, CostInput)
    if value.published_at is not None and value.published_basis != "first_seen":
        french, english = _BASIS.get(value.published_basis, _BASIS["last_modified"])
        dated = f"{pick(lang, french, english)} {format_date_of(value.published_at, lang)}"
    else:
        dated = f"{pick(lang, *_BASIS['first_seen'])} {format_date_of(value.retrieved_at, lang)}"
    number = format_number(value.value, lang)
    unit = unit_label(value.unit, lang) if value.unit else ""
    return (
        f"{cost_input_label(value.kind, lang)} {value.year} : {number} {unit}".rstrip()
        if lang == "fr"
        else f"{cost_input_label(value.kind, lang)} {value.year}: {number} {unit}".rstrip()
    ) + (
        f" — {value.producer}, « {value.title} », {dated} ; {value.url} "
        f"({pick(lang, 'consulté le', 'accessed')} {format_date_of(value.retrieved_at, lang)}, "
        f"SHA-256 {value.snapshot_sha256[:12]}…)"
        if lang == "fr"
        else f" — {value.producer}, “{value.title}”, {dated}; {value.url} "
        f"(accessed {format_date_of(value.retrieved_at, lang)}, SHA-256 {value.snapshot_sha256[:12]}…)"
    )


def cost_headline(cost: object, lang: str = "fr") -> str:
    """One sentence: what a month of the item costs (cheapest product), or why it cannot be said."""
    from cobase.evidence.cost import MonthlyCost

    assert isinstance(cost, MonthlyCost)
    name = item_name(cost.item, lang)
    cheapest = cost.cheapest
    if cheapest is None or cheapest.monthly_local is None:
        return pick(lang, f"{name} : coût mensuel non calculé.", f"{name}: monthly cost not computed.")
    parts = [format_money(cheapest.monthly_local, cost.currency, lang)]
    if cheapest.monthly_usd is not None:
        parts.append(format_money(cheapest.monthly_usd, "US$", lang))
    if cheapest.wage_days is not None:
        parts.append(format_wage_days(cheapest.wage_days, lang))
    units = format_number(cheapest.units_per_month or 0, lang)
    product = f"{cheapest.name} ({cheapest.presentation})"
    return pick(
        lang,
        f"{name} : un mois de traitement ({units} unités, {cost.basis_fr}) coûte au moins "
        f"{' = '.join(parts)} en {cost.year}, avec le produit le moins cher, {product}.",
        f"{name}: a month of treatment ({units} units, {cost.basis_en}) costs at least "
        f"{' = '.join(parts)} in {cost.year}, with the cheapest product, {product}.",
    )


def out_of_pocket_text(product: object, currency: str | None, lang: str = "fr") -> str:
    """Reimbursement and what is left to pay (« reste à charge »), or that the rate is unknown."""
    from cobase.evidence.cost import ProductCost

    assert isinstance(product, ProductCost)
    rate = product.reimbursement_rate
    if rate is None:
        return pick(lang, "taux de remboursement inconnu", "reimbursement rate unknown")
    if rate.value <= 0:
        return pick(lang, "non remboursé (0 %)", "not reimbursed (0%)")
    left = product.out_of_pocket_local
    shown = format_money(left, currency, lang) if left is not None else "—"
    percent = format_number(rate.value, lang)
    return pick(
        lang,
        f"remboursé à {percent} % de la base ; reste à charge {shown} par mois",
        f"reimbursed at {percent}% of the base; out of pocket {shown} a month",
    )


def product_cost_row(product: object, currency: str | None, lang: str = "fr") -> list[str]:
    """A product's row: name, presentation, P/G, pack price, hospital price, monthly cost, reimbursement."""
    from cobase.evidence.cost import ProductCost

    assert isinstance(product, ProductCost)
    kind = {"P": pick(lang, "princeps", "originator"), "G": pick(lang, "générique", "generic")}
    pack = format_money(product.price.value, currency, lang) if product.price else "—"
    hospital = format_money(product.hospital_price.value, currency, lang) if product.hospital_price else "—"
    if product.monthly_local is None:
        monthly = pick(lang, product.problem_fr or "non calculé", product.problem_en or "not computed")
    else:
        monthly = format_money(product.monthly_local, currency, lang)
        if product.monthly_usd is not None:
            monthly += f" ({format_money(product.monthly_usd, 'US$', lang)})"
        if product.wage_days is not None:
            monthly += (
                f" ; {format_wage_days(product.wage_days, lang)}"
                if lang == "fr"
                else (f"; {format_wage_days(product.wage_days, lang)}")
            )
    return [
        f"{product.name} {product.strength} (EAN {product.ean})",
        product.presentation,
        kind.get(product.princeps_generic, product.princeps_generic or "—"),
        pack,
        hospital,
        monthly,
        out_of_pocket_text(product, currency, lang),
    ]


def product_cost_header(lang: str = "fr") -> list[str]:
    """Column names of :func:`product_cost_row`."""
    return [
        pick(lang, "Produit", "Product"),
        pick(lang, "Présentation", "Presentation"),
        pick(lang, "Type", "Type"),
        pick(lang, "Prix public (PPV)", "Public price (PPV)"),
        pick(lang, "Prix hospitalier (PH)", "Hospital price (PH)"),
        pick(lang, "Coût mensuel", "Monthly cost"),
        pick(lang, "Remboursement", "Reimbursement"),
    ]


def cost_method_text(lang: str = "fr") -> str:
    """How the monthly cost is computed (HAI/WHO), in one paragraph."""
    return pick(
        lang,
        "Méthode OMS/HAI : unités par mois = unités par jour × 30 (posologie usuelle de l'adulte du "
        "catalogue, ou dose définie journalière de l'OMS) ; prix unitaire = prix public de la boîte ÷ unités "
        "par boîte ; "
        "en US$ au taux de change officiel de la Banque mondiale de l'année du prix ; en jours de salaire "
        "minimum légal (OIT) de la même année : coût ÷ (salaire mensuel ÷ 30). Le reste à charge déduit le "
        "taux de remboursement appliqué à la base de remboursement. Une donnée manquante pour l'année du "
        "prix n'est jamais prise d'une autre année : le coût correspondant n'est pas calculé.",
        "WHO/HAI method: units per month = units per day × 30 (the catalogue's usual adult posology, or "
        "the WHO defined daily dose); unit price = the pack's public price ÷ units per pack; in US$ at the "
        "World Bank official exchange rate of the price's year; in days of statutory minimum wage (ILO) of "
        "the same year: cost ÷ (monthly wage ÷ 30). Out of pocket deducts the reimbursement rate applied to "
        "the reimbursement base. A piece missing for the price's year is never taken from another year: that "
        "cost is not computed.",
    )
