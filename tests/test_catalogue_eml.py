"""Every medicine's EML flag and formulation items, checked against the real WHO eEML export (2025).

The export (``../shared/fixtures/who_eml/eml_export.xlsx``, see PROVENANCE.md "Round 3") has one row
per medicine x section x indication with a ``Status`` of ``Added`` or ``Removed``. A catalogue medicine
is on the list when an ``Added`` row names it: by one of its names (a parenthesis such as "valproic acid
(sodium valproate)" may be left out), by the same substances for a combination, or, for a long-acting
injectable, by its molecule with a parenteral formulation. These tests skip when ../shared is absent.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from cobase.catalogue import Catalogue, Item, ItemKind, load_catalogue, normalize_name

EML_EXPORT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "who_eml" / "eml_export.xlsx"

# Salts and esters the EML omits: its "tenofovir" is tenofovir disoproxil fumarate.
_DROPPED = frozenset({"disoproxil", "fumarate", "sulfate", "sodium", "hydrochloride", "potassium"})


def _substance(name: str) -> str:
    return " ".join(token for token in normalize_name(name).split() if token not in _DROPPED)


def _substances(name: str) -> frozenset[str]:
    return frozenset(_substance(part) for part in name.split("+") if _substance(part))


@pytest.fixture(scope="module")
def eml_rows() -> list[dict[str, str]]:
    if not EML_EXPORT.exists():
        pytest.skip(f"WHO eEML export not available at {EML_EXPORT}")
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_excel(EML_EXPORT, engine="calamine", dtype=str).fillna("")
    return [dict(row) for row in frame.to_dict(orient="records")]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _listed(item: Item, catalogue: Catalogue, rows: list[dict[str, str]]) -> bool:
    names = {normalize_name(name) for name in item.names()}
    twin = catalogue.items[item.long_acting_form_of] if item.long_acting_form_of else None
    twin_names = {normalize_name(name) for name in twin.names()} if twin else set()
    components = frozenset(_substance(catalogue.items[c].inn or c) for c in item.components)
    for row in rows:
        if row["Status"] != "Added":
            continue
        written = row["Medicine name"]
        plain = normalize_name(written)
        without_parenthesis = normalize_name(re.sub(r"\([^)]*\)", " ", written))
        if plain in names or without_parenthesis in names:
            return True
        if components and _substances(written) == components:
            return True
        if twin and plain in twin_names and "Parenteral" in row["Formulations"]:
            return True
    return False


def test_export_has_the_documented_columns(eml_rows: list[dict[str, str]]) -> None:
    assert {"Medicine name", "Formulations", "ATC codes", "Status"} <= set(eml_rows[0])
    assert len(eml_rows) == 1738  # PROVENANCE.md: 1,738 data rows


def test_every_eml_flag_agrees_with_the_2025_export(catalogue: Catalogue, eml_rows) -> None:
    wrong = [
        (item.id, item.eml)
        for item in catalogue.items_of_kind(ItemKind.medicine)
        if _listed(item, catalogue, eml_rows) != item.eml
    ]
    assert wrong == []


def test_where_the_export_disagrees_on_atc_the_who_index_backs_the_catalogue(
    catalogue: Catalogue, eml_rows
) -> None:
    """A row named as an item but coded otherwise: the WHO ATC index gives the item's code the item's
    substance (the export's "doxorubicin" row carries cyclophosphamide's L01AA01, its short-acting
    human insulin row the NPH code A10AC01)."""
    atc_index = EML_EXPORT.parent / "WHO_ATC-DDD_2026-04-25.csv"
    if not atc_index.exists():
        pytest.skip(f"WHO ATC index not available at {atc_index}")
    with atc_index.open(encoding="utf-8", newline="") as handle:
        atc_names = {row["atc_code"]: row["atc_name"] for row in csv.DictReader(handle)}
    by_name = {
        normalize_name(name): item
        for item in catalogue.items_of_kind(ItemKind.medicine)
        for name in item.names()
    }
    unsupported = []
    for row in eml_rows:
        item = by_name.get(normalize_name(row["Medicine name"]))
        codes = {code.strip() for code in row["ATC codes"].split(",") if code.strip()}
        if item is None or not codes or codes & set(item.atc):
            continue
        ours = normalize_name(atc_names.get(item.atc[0], "")).split()[:1]
        if ours != normalize_name(item.inn or "").split()[:1]:
            unsupported.append((item.id, row["Medicine name"], sorted(codes)))
    assert unsupported == []


@pytest.mark.parametrize(
    "item_id",
    [
        "risperidone_lai",
        "paliperidone_palmitate",
        "haloperidol_decanoate",
        "fluphenazine_decanoate",
        "insulin_aspart",
        "insulin_lispro",
        "insulin_glulisine",
        "insulin_detemir",
        "insulin_degludec",
        "insulin_glargine",
        "dtg_abc_3tc",
    ],
)
def test_new_formulations_are_on_the_2025_list(catalogue: Catalogue, eml_rows, item_id: str) -> None:
    assert catalogue.item(item_id).eml is True and _listed(catalogue.item(item_id), catalogue, eml_rows)


@pytest.mark.parametrize("item_id", ["dtg_3tc", "bic_ftc_taf", "taf_ftc", "emtricitabine"])
def test_medicines_off_the_2025_list_say_so(catalogue: Catalogue, eml_rows, item_id: str) -> None:
    assert catalogue.item(item_id).eml is False and not _listed(catalogue.item(item_id), catalogue, eml_rows)
