"""Tests for cobase.harmonize.countries: codes, names, aliases, typos, and names that must never be confused.

The replay tests read the shared real-data fixtures (UNAIDS, WHO GHO, World Bank) beside the repository and
skip when they are absent.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import unicodedata
from dataclasses import FrozenInstanceError
from importlib import resources
from pathlib import Path

import pytest

from cobase.harmonize.countries import (
    DATA_FILE,
    Country,
    UnknownCountryError,
    _index,
    all_countries,
    country_by_name,
    country_from_code,
    display_name,
    is_aggregate_code,
    is_aggregate_name,
    resolve_country,
)
from cobase.yamltext import load_yaml

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
UNAIDS_EXPORT = "unaids/aidsinfo_export_Treatment_cascade_PLHIV_suppressed_viral_loads_pct_All_ages.csv"
WHO_CODES = "who_gho/ghobulk_health-financing/codes"
WORLDBANK_EXPORT = "worldbank/API_SH.XPD.OOPC.CH.ZS_DS2_en_csv_v2_9851.csv"


def _shared_file(relative: str) -> Path:
    path = SHARED_FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"shared fixture {relative} not available")
    return path


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# --- codes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "iso3"),
    [
        ("FRA", "FRA"),
        ("fra", "FRA"),
        ("FR", "FRA"),
        ("fr", "FRA"),
        ("COD", "COD"),
        ("cd", "COD"),
        ("COG", "COG"),
        ("cg", "COG"),
        ("CIV", "CIV"),
        ("ci", "CIV"),
        ("GIN", "GIN"),
        ("GNB", "GNB"),
        ("gw", "GNB"),
        ("GNQ", "GNQ"),
        ("gq", "GNQ"),
        ("NER", "NER"),
        ("NGA", "NGA"),
        ("NA", "NAM"),
        (" dza ", "DZA"),
    ],
)
def test_resolve_country_accepts_iso_codes_in_any_case(code: str, iso3: str) -> None:
    assert resolve_country(code).iso3 == iso3


@pytest.mark.parametrize(
    ("code", "iso3"),
    [
        ("FRA", "FRA"),
        ("fr", "FRA"),
        ("SEN", "SEN"),
        ("SN", "SEN"),
        ("XKX", "XKX"),
        ("XK", "XKX"),
        ("KOS", "XKX"),
        ("ZAR", "COD"),
        ("ROM", "ROU"),
    ],
)
def test_country_from_code(code: str, iso3: str) -> None:
    country = country_from_code(code)
    assert country is not None and country.iso3 == iso3


def test_kosovo_is_a_country() -> None:
    assert country_from_code("XKX") == Country(iso3="XKX", iso2="XK", name_en="Kosovo", name_fr="Kosovo")


@pytest.mark.parametrize(
    "code",
    ["WLD", "AFE", "AFW", "ARB", "SSF", "LMC", "HIC", "EUU", "OED", "IDA", "INX", "AFR", "EMR", "SEAR",
     "WPR", "GLOBAL", "WB_LMI", "wld", "CHI", "SDN736", "ME1"],
)  # fmt: skip
def test_aggregate_codes_are_not_countries(code: str) -> None:
    assert country_from_code(code) is None


@pytest.mark.parametrize("code", ["WLD", "AFE", "SSF", "EUU", "OED", "IDA", "AFR", "EMR", "GLOBAL", "wb_hi"])
def test_is_aggregate_code(code: str) -> None:
    assert is_aggregate_code(code)


@pytest.mark.parametrize("code", ["FRA", "XKX", "NA", "ZZZ", ""])
def test_is_aggregate_code_is_false_for_countries_and_unknown_codes(code: str) -> None:
    assert not is_aggregate_code(code)


@pytest.mark.parametrize("code", ["", "   ", "ZZZ", "Q1", "France", "CAN-ON"])
def test_country_from_code_returns_none_for_non_codes(code: str) -> None:
    assert country_from_code(code) is None


@pytest.mark.parametrize("code", ["WLD", "AFR", "GLOBAL"])
def test_resolve_country_refuses_aggregate_codes(code: str) -> None:
    with pytest.raises(UnknownCountryError, match="not a country"):
        resolve_country(code)


# --- names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("France", "FRA"),
        ("Allemagne", "DEU"),
        ("Algérie", "DZA"),
        ("Maroc", "MAR"),
        ("Tunisie", "TUN"),
        ("Égypte", "EGY"),
        ("Haïti", "HTI"),
        ("Sénégal", "SEN"),
        ("Mali", "MLI"),
        ("Cameroun", "CMR"),
        ("Tchad", "TCD"),
        ("Comores", "COM"),
        ("Maurice", "MUS"),
        ("Mauritanie", "MRT"),
        ("Tanzanie", "TZA"),
        ("Russie", "RUS"),
        ("Iran", "IRN"),
        ("Syrie", "SYR"),
        ("Bolivie", "BOL"),
        ("Venezuela", "VEN"),
        ("Viêt Nam", "VNM"),
        ("Laos", "LAO"),
        ("Moldavie", "MDA"),
        ("Corée du Sud", "KOR"),
        ("Corée du Nord", "PRK"),
        ("Turquie", "TUR"),
        ("Royaume-Uni", "GBR"),
        ("États-Unis", "USA"),
        ("Etats Unis", "USA"),
        ("Arabie saoudite", "SAU"),
        ("Afrique du Sud", "ZAF"),
        ("Soudan du Sud", "SSD"),
        ("Émirats arabes unis", "ARE"),
        ("Iran, République islamique d'", "IRN"),
        ("l'Algérie", "DZA"),
        ("la Guinée", "GIN"),
    ],
)
def test_french_names(name: str, iso3: str) -> None:
    assert resolve_country(name).iso3 == iso3


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Germany", "DEU"),
        ("Algeria", "DZA"),
        ("Cameroon", "CMR"),
        ("Democratic Republic of the Congo", "COD"),
        ("Congo, The Democratic Republic of the", "COD"),
        ("Republic of the Congo", "COG"),
        ("United Kingdom", "GBR"),
        ("United States", "USA"),
        ("Russian Federation", "RUS"),
        ("Iran, Islamic Republic of", "IRN"),
        ("Islamic Republic of Iran", "IRN"),
        ("South Korea", "KOR"),
        ("North Korea", "PRK"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("Lao People's Democratic Republic", "LAO"),
        ("United Republic of Tanzania", "TZA"),
        ("The Gambia", "GMB"),
        ("Gambia, The", "GMB"),
        ("St. Lucia", "LCA"),
        ("Congo, Dem. Rep.", "COD"),
        ("Congo, Rep.", "COG"),
    ],
)
def test_english_names(name: str, iso3: str) -> None:
    assert resolve_country(name).iso3 == iso3


@pytest.mark.parametrize(
    ("alias", "iso3"),
    [
        ("RDC", "COD"),
        ("RD Congo", "COD"),
        ("Congo-Kinshasa", "COD"),
        ("Congo Kinshasa", "COD"),
        ("Zaïre", "COD"),
        ("DRC", "COD"),
        ("Congo-Brazzaville", "COG"),
        ("Congo Brazza", "COG"),
        ("RCA", "CAF"),
        ("CAR", "CAF"),
        ("Centrafrique", "CAF"),
        ("Côte d'Ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("Cote dIvoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Guinée Conakry", "GIN"),
        ("Guinea-Conakry", "GIN"),
        ("Guinée Bissau", "GNB"),
        ("Guinée équatoriale", "GNQ"),
        ("Equatorial Guinea", "GNQ"),
        ("Papouasie-Nouvelle-Guinée", "PNG"),
        ("UK", "GBR"),
        ("Grande-Bretagne", "GBR"),
        ("USA", "USA"),
        ("Russia", "RUS"),
        ("Kosovo", "XKX"),
        ("Palestine", "PSE"),
        ("State of Palestine", "PSE"),
        ("Cape Verde", "CPV"),
        ("Cap-Vert", "CPV"),
        ("Cabo Verde", "CPV"),
        ("Swaziland", "SWZ"),
        ("Eswatini", "SWZ"),
        ("Burma", "MMR"),
        ("Birmanie", "MMR"),
        ("Turkey", "TUR"),
        ("Türkiye", "TUR"),
        ("Czechia", "CZE"),
        ("Czech Republic", "CZE"),
        ("Tanzanie", "TZA"),
        ("Comores", "COM"),
        ("Maurice", "MUS"),
    ],
)
def test_aliases(alias: str, iso3: str) -> None:
    assert country_by_name(alias, strict=True).iso3 == iso3


def test_every_alias_in_the_data_file_resolves_strictly_to_its_country() -> None:
    data = load_yaml(resources.files("cobase.harmonize").joinpath(DATA_FILE).read_text(encoding="utf-8"))
    wrong = [
        (alias, iso3)
        for iso3, aliases in data["aliases"].items()
        for alias in aliases
        if country_by_name(alias, strict=True).iso3 != iso3
    ]
    assert wrong == []


def test_no_name_or_alias_points_at_two_countries() -> None:
    assert _index().collisions() == {}


def test_no_alias_is_another_countrys_code() -> None:
    data = load_yaml(resources.files("cobase.harmonize").joinpath(DATA_FILE).read_text(encoding="utf-8"))
    clashes = [
        (alias, iso3)
        for iso3, aliases in data["aliases"].items()
        for alias in aliases
        if (country := country_from_code(alias)) is not None and country.iso3 != iso3
    ]
    assert clashes == []


# --- typos -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "iso3"),
    [
        ("Guiné", "GIN"),
        ("Guine", "GIN"),
        ("Gunée", "GIN"),
        ("Camroun", "CMR"),
        ("Algerie", "DZA"),
        ("Senegall", "SEN"),
        ("Cote divoire", "CIV"),
        ("cote d ivoire", "CIV"),
        ("Cotedivoir", "CIV"),
        ("Republique democratique du congo", "COD"),
        ("Republique democratic du congo", "COD"),
        ("Ethiopie", "ETH"),
        ("Guinee Bisau", "GNB"),
        ("Guinee equatorial", "GNQ"),
        ("Papouasie Nouvelle Guine", "PNG"),
        ("Congo Brazaville", "COG"),
        ("Centreafrique", "CAF"),
        ("Afganistan", "AFG"),
        ("Kazakstan", "KAZ"),
        ("Bangladech", "BGD"),
        ("Marroc", "MAR"),
        ("Maurtanie", "MRT"),
        ("Soudan Sud", "SSD"),
        ("Kossovo", "XKX"),
        ("Madagaskar", "MDG"),
        ("Srilanka", "LKA"),
    ],
)
def test_typos_resolve(typo: str, iso3: str) -> None:
    assert resolve_country(typo).iso3 == iso3


def test_strict_mode_refuses_typos() -> None:
    with pytest.raises(UnknownCountryError):
        country_by_name("Camroun", strict=True)


# --- names that must never be confused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Guinée", "GIN"),
        ("Guinea", "GIN"),
        ("Guinée-Bissau", "GNB"),
        ("Guinea-Bissau", "GNB"),
        ("Guinée équatoriale", "GNQ"),
        ("Equatorial Guinea", "GNQ"),
        ("Papouasie-Nouvelle-Guinée", "PNG"),
        ("Papua New Guinea", "PNG"),
        ("Congo", "COG"),
        ("République du Congo", "COG"),
        ("République démocratique du Congo", "COD"),
        ("RDC", "COD"),
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
        ("Nigéria", "NGA"),
        ("Sudan", "SDN"),
        ("Soudan", "SDN"),
        ("South Sudan", "SSD"),
        ("Dominica", "DMA"),
        ("Dominique", "DMA"),
        ("Dominican Republic", "DOM"),
        ("République dominicaine", "DOM"),
        ("Mali", "MLI"),
        ("Malawi", "MWI"),
        ("Iran", "IRN"),
        ("Iraq", "IRQ"),
        ("Irak", "IRQ"),
        ("Austria", "AUT"),
        ("Autriche", "AUT"),
        ("Australia", "AUS"),
        ("Australie", "AUS"),
        ("Maurice", "MUS"),
        ("Mauritanie", "MRT"),
        ("Gambie", "GMB"),
        ("Zambie", "ZMB"),
        ("Corée du Sud", "KOR"),
        ("Corée du Nord", "PRK"),
    ],
)
def test_confusable_names_resolve_exactly(name: str, iso3: str) -> None:
    assert resolve_country(name).iso3 == iso3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Nigera", {"NER", "NGA"}),
        ("Austrlia", {"AUS", "AUT"}),
        ("Iram", {"IRN", "IRQ"}),
        ("Ira", {"IRN", "IRQ"}),
        ("Corée", {"KOR", "PRK"}),
        ("Gui", {"GIN"}),
        ("Mal", {"MLI"}),
        # A name plus an abbreviated word is not that name: the word points at another country.
        ("Guinée B", {"GIN", "GNB"}),
        ("GuineeB", {"GIN", "GNB"}),
        ("Guinée Eq", {"GIN", "GNQ"}),
        ("Congo K", {"COG", "COD"}),
        ("Soudan S", {"SDN", "SSD"}),
        ("Guinée X", {"GIN"}),
    ],
)
def test_ambiguous_short_typos_raise_listing_both(query: str, expected: set[str]) -> None:
    with pytest.raises(UnknownCountryError) as raised:
        resolve_country(query)
    assert expected <= {country.iso3 for country in raised.value.candidates}


def test_ambiguous_message_names_both_countries() -> None:
    with pytest.raises(UnknownCountryError, match=r"Nigeria \(NGA\), Niger \(NER\)"):
        resolve_country("Nigera")


# --- unknown names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Atlantis", "Wakanda", "Middle Earth"])
def test_unknown_names_raise_with_candidates_in_the_message(query: str) -> None:
    with pytest.raises(
        UnknownCountryError, match=rf"Unknown country '{query}'; closest candidates: .+ \([A-Z]{{3}}\)"
    ):
        resolve_country(query)


def test_unknown_error_keeps_the_query() -> None:
    with pytest.raises(UnknownCountryError) as raised:
        resolve_country("Atlantis")
    assert raised.value.query == "Atlantis"


def test_unknown_error_lists_at_most_five_candidates() -> None:
    with pytest.raises(UnknownCountryError) as raised:
        resolve_country("Atlantis")
    assert 1 <= len(raised.value.candidates) <= 5


def test_partial_name_suggests_the_full_one() -> None:
    with pytest.raises(UnknownCountryError, match=r"Guinée-Bissau \(GNB\)"):
        resolve_country("Bissau")


@pytest.mark.parametrize("query", ["xyz", "", "   ", "!!!"])
def test_nonsense_raises(query: str) -> None:
    with pytest.raises(UnknownCountryError):
        resolve_country(query)


def test_unknown_country_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        resolve_country("Atlantis")


# --- aggregate names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Global", "World", "Sub-Saharan Africa", "Eastern and southern Africa", "Europe"]
)
def test_is_aggregate_name(name: str) -> None:
    assert is_aggregate_name(name)


@pytest.mark.parametrize("name", ["Guinea", "South Africa", "Central African Republic", "Atlantis"])
def test_is_aggregate_name_is_false_for_countries_and_unknown_names(name: str) -> None:
    assert not is_aggregate_name(name)


def test_country_by_name_refuses_global() -> None:
    with pytest.raises(UnknownCountryError, match="not a country"):
        country_by_name("Global", strict=True)


def test_resolve_country_refuses_a_typo_of_an_aggregate() -> None:
    with pytest.raises(UnknownCountryError):
        resolve_country("Globl")


# --- listing and display -----------------------------------------------------------------------------------


def test_all_countries_sorted_by_french_name() -> None:
    names = [_fold(country.name_fr) for country in all_countries()]
    assert names == sorted(names)


def test_all_countries_have_unique_iso3() -> None:
    codes = [country.iso3 for country in all_countries()]
    assert len(codes) == len(set(codes))


def test_all_countries_includes_kosovo() -> None:
    assert "XKX" in {country.iso3 for country in all_countries()}


def test_all_countries_returns_a_fresh_list() -> None:
    all_countries().clear()
    assert all_countries()


def test_country_is_immutable() -> None:
    with pytest.raises(FrozenInstanceError):
        resolve_country("FRA").iso3 = "DEU"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("iso3", "lang", "name"),
    [
        ("COD", "fr", "République démocratique du Congo"),
        ("COD", "en", "Democratic Republic of the Congo"),
        ("COG", "fr", "République du Congo"),
        ("CIV", "fr", "Côte d'Ivoire"),
        ("GNQ", "fr", "Guinée équatoriale"),
        ("GBR", "fr", "Royaume-Uni"),
        ("USA", "fr", "États-Unis"),
        ("RUS", "fr", "Russie"),
        ("IRN", "fr", "Iran"),
        ("SYR", "fr", "Syrie"),
        ("TZA", "fr", "Tanzanie"),
        ("BOL", "fr", "Bolivie"),
        ("VEN", "fr", "Venezuela"),
        ("VNM", "fr", "Viêt Nam"),
        ("LAO", "fr", "Laos"),
        ("MDA", "fr", "Moldavie"),
        ("KOR", "fr", "Corée du Sud"),
        ("PRK", "fr", "Corée du Nord"),
        ("PSE", "fr", "Palestine"),
        ("TUR", "fr", "Turquie"),
        ("XKX", "fr", "Kosovo"),
        ("civ", "en", "Côte d'Ivoire"),
    ],
)
def test_display_name(iso3: str, lang: str, name: str) -> None:
    assert display_name(iso3, lang) == name


def test_display_name_defaults_to_french() -> None:
    assert display_name("DEU") == "Allemagne"


def test_display_name_refuses_an_unknown_code() -> None:
    with pytest.raises(UnknownCountryError):
        display_name("WLD")


def test_display_name_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        display_name("FRA", "de")


def test_import_builds_nothing() -> None:
    # The indexes are built on first use, not at import: importing cobase must stay fast.
    code = "import cobase.harmonize.countries as c; assert c._index.cache_info().currsize == 0"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- replay of real producers' files -----------------------------------------------------------------------


def test_unaids_country_names_resolve_strictly() -> None:
    with _shared_file(UNAIDS_EXPORT).open(encoding="utf-8-sig", newline="") as export:
        rows = list(csv.reader(export))[1:]
    names = [row[0] for row in rows if row and row[0] != "Global"]
    unresolved = []
    for name in names:
        try:
            country_by_name(name, strict=True)
        except UnknownCountryError as error:
            unresolved.append(str(error))
    assert unresolved == []


def test_unaids_global_row_is_an_aggregate() -> None:
    with _shared_file(UNAIDS_EXPORT).open(encoding="utf-8-sig", newline="") as export:
        names = [row[0] for row in csv.reader(export) if row]
    assert is_aggregate_name(names[-1])


def test_who_country_codes_are_countries_or_known_aggregates() -> None:
    with _shared_file(f"{WHO_CODES}/COUNTRY.csv").open(encoding="utf-8-sig", newline="") as codes:
        rows = list(csv.DictReader(codes))
    unknown = [
        row["Code"]
        for row in rows
        if not country_from_code(row["Code"]) and not is_aggregate_code(row["Code"])
    ]
    print("WHO country codes neither country nor aggregate:", unknown)
    assert unknown == []


def test_who_country_titles_name_the_same_country_as_their_code() -> None:
    with _shared_file(f"{WHO_CODES}/COUNTRY.csv").open(encoding="utf-8-sig", newline="") as codes:
        rows = list(csv.DictReader(codes))
    mismatched = []
    for row in rows:
        by_code = country_from_code(row["Code"])
        if by_code is None:
            continue
        try:
            by_name = country_by_name(row["Title"], strict=True)
        except UnknownCountryError as error:
            mismatched.append(str(error))
            continue
        if by_name != by_code:
            mismatched.append(f"{row['Title']} -> {by_name.iso3}, code {row['Code']}")
    assert mismatched == []


@pytest.mark.parametrize("dimension", ["REGION", "GLOBAL"])
def test_who_region_codes_are_aggregates(dimension: str) -> None:
    with _shared_file(f"{WHO_CODES}/{dimension}.csv").open(encoding="utf-8-sig", newline="") as codes:
        rows = list(csv.DictReader(codes))
    not_aggregates = [row["Code"] for row in rows if not is_aggregate_code(row["Code"])]
    assert not_aggregates == []


def test_worldbank_rows_are_countries_named_alike_or_known_aggregates() -> None:
    # The export opens with four lines of preamble (source, last update) and then its header.
    lines = _shared_file(WORLDBANK_EXPORT).read_text(encoding="utf-8-sig").splitlines()[5:]
    problems = []
    for row in csv.reader(lines):
        if not row:
            continue
        name, code = row[0], row[1]
        country = country_from_code(code)
        if country is None:
            if not (is_aggregate_code(code) and is_aggregate_name(name)):
                problems.append(f"{code} {name}: neither a country nor a known aggregate")
            continue
        try:
            if country_by_name(name, strict=True) != country:
                problems.append(f"{code} {name}: name resolves to another country")
        except UnknownCountryError as error:
            problems.append(str(error))
    assert problems == []
