"""Scope of indicator links, pathology names and default items: properties of the catalogue, and the
defects the loader must refuse (in a copy of the data files)."""

from __future__ import annotations

import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cobase.catalogue import CATALOGUE_DIR, SCOPES, Catalogue, CatalogueError, load_catalogue
from cobase.registry import load_registry
from cobase.yamltext import load_yaml

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _links(catalogue: Catalogue):
    return [
        (source, code, link)
        for source, links in catalogue.indicator_map.items()
        for code, link in links.items()
    ]


def _required(catalogue: Catalogue, pathology_id: str) -> set[str]:
    ids = set(catalogue.pathology(pathology_id).requires.all_ids())
    return ids | {part for item_id in ids for part in catalogue.items[item_id].components}


# --- scope ---------------------------------------------------------------------------------------------


def test_every_link_has_a_scope_and_a_reason(catalogue: Catalogue) -> None:
    assert all(link.scope in SCOPES and link.note.strip() for _, _, link in _links(catalogue))


def test_only_item_links_carry_items(catalogue: Catalogue) -> None:
    assert [(s, c) for s, c, link in _links(catalogue) if link.items and link.scope != "item"] == []


def test_every_non_item_link_says_what_it_is_about_in_both_languages(catalogue: Catalogue) -> None:
    missing = [
        (s, c)
        for s, c, link in _links(catalogue)
        if link.scope != "item" and not (link.about_fr and link.about_en)
    ]
    assert missing == []


def test_coverage_indicators_are_never_about_an_item(catalogue: Catalogue) -> None:
    """A label speaking of coverage ("Couverture estimée du traitement antirétroviral") is a national
    figure: it must not be linked to a medicine."""
    registry = load_registry(REPO / "sources.yml")
    wrong = []
    for source, code, link in _links(catalogue):
        indicator = registry.sources[source].indicator(code)
        assert indicator is not None
        if "coverage" in indicator.label_en.lower() and link.scope == "item":
            wrong.append((source, code))
    assert wrong == []


def test_item_links_name_items_their_pathologies_require(catalogue: Catalogue) -> None:
    stray = [
        (s, c, pathology, item)
        for s, c, link in _links(catalogue)
        if link.pathologies != "all"
        for pathology in link.pathologies
        for item in link.items
        if item not in _required(catalogue, pathology)
    ]
    assert stray == []


def test_class_members_belong_to_a_covered_pathology(catalogue: Catalogue) -> None:
    stray = [
        (s, c, item)
        for s, c, link in _links(catalogue)
        if link.pathologies != "all"
        for item in link.members
        if not any(item in _required(catalogue, pathology) for pathology in link.pathologies)
    ]
    assert stray == []


def test_system_figures_are_never_filed_as_a_patient_s_coverage(catalogue: Catalogue) -> None:
    """Financing of programmes (grant disbursements) or of the system is not a patient's financial or
    geographic coverage."""
    registry = load_registry(REPO / "sources.yml")
    wrong = []
    for source, code, link in _links(catalogue):
        indicator = registry.sources[source].indicator(code)
        assert indicator is not None
        dimension = link.dimension or indicator.dimension
        if link.scope == "system" and dimension in ("financial_coverage", "geographic_coverage"):
            wrong.append((source, code))
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "code"), [("who_gho", "UHC_INDEX_REPORTED"), ("worldbank_wdi", "SH.UHC.SRVS.CV.XD")]
)
def test_uhc_index_is_not_geographic_coverage(catalogue: Catalogue, source: str, code: str) -> None:
    link = catalogue.indicator_links(source, code)
    assert (
        link is not None
        and link.scope == "population"
        and link.dimension not in (None, "geographic_coverage")
    )


# --- pathology names -----------------------------------------------------------------------------------


def _variants(name: str) -> list[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return [name, name.upper(), name.lower(), plain]


def test_every_name_of_every_pathology_resolves_to_it(catalogue: Catalogue) -> None:
    wrong = [
        (pathology.id, variant)
        for pathology in catalogue.pathologies.values()
        for name in (pathology.id, *pathology.names())
        for variant in _variants(name)
        if catalogue.resolve_pathology(variant).id != pathology.id
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "pathology"), [("VIH", "hiv"), ("dialyse", "ckd_dialysis"), ("DIABÈTE DE TYPE 1", "diabetes_t1")]
)
def test_common_names_resolve(catalogue: Catalogue, text: str, pathology: str) -> None:
    assert catalogue.pathology(text).id == pathology


@pytest.mark.parametrize("text", ["diabète", "hépatite"])
def test_a_word_shared_by_two_pathologies_is_refused_with_both(catalogue: Catalogue, text: str) -> None:
    with pytest.raises(CatalogueError, match="ambiguous") as raised:
        catalogue.resolve_pathology(text)
    assert str(raised.value).count("(") >= 2


def test_unknown_pathology_names_the_known_ids(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError, match=r"no pathology 'grippe' \(known: hiv"):
        catalogue.resolve_pathology("grippe")


def test_every_pathology_is_named_by_its_own_names_in_a_sentence(catalogue: Catalogue) -> None:
    missing = [
        (pathology.id, name)
        for pathology in catalogue.pathologies.values()
        for name in (*pathology.names(), *pathology.terms)
        if pathology.id not in catalogue.pathologies_named(f"Rupture de stock ({name}) à Kinshasa.")
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("Stock-outs of HIV medicines in Kinshasa health facilities", {"hiv"}),
        ("Ruptures d'ARV dans trois sites", {"hiv"}),
        ("Stock-out alerts", set()),
        ("We did not find any shortage.", set()),  # "did" is not DID (diabète insulinodépendant)
        ("Pénurie d'insuline à Conakry", {"diabetes_t1", "diabetes_t2"}),
        ("Les patients dialysés paient leurs séances", {"ckd_dialysis"}),
    ],
)
def test_pathologies_named_in_a_report_sentence(catalogue: Catalogue, sentence: str, named: set[str]) -> None:
    assert catalogue.pathologies_named(sentence) == named


# --- default items -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pathology_id", list(load_catalogue().pathologies))
def test_default_items_are_first_line_then_all_follow_up(catalogue: Catalogue, pathology_id: str) -> None:
    pathology = catalogue.pathology(pathology_id)
    requires = pathology.requires
    medicines = pathology.first_line or requires.medicines
    assert pathology.default_items() == (
        *medicines,
        *requires.tests,
        *requires.equipment,
        *requires.specialists,
    )
    assert [item.id for item in catalogue.default_items(pathology_id)] == list(pathology.default_items())


# --- defects -------------------------------------------------------------------------------------------


def _copy_with(tmp_path: Path, edit: Callable[[Any], None]) -> Path:
    directory = tmp_path / "catalogue"
    directory.mkdir()
    for name in ("items.yml", "pathologies.yml", "indicator_map.yml"):
        shutil.copy(CATALOGUE_DIR / name, directory / name)
    path = directory / "indicator_map.yml"
    data = load_yaml(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def _set(source: str, code: str, **changes: Any) -> Callable[[Any], None]:
    def edit(data: Any) -> None:
        for key, value in changes.items():
            if value is None:
                data[source][code].pop(key, None)
            else:
                data[source][code][key] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _set("who_gho", "HIV_ARTCOVERAGE", scope=None),
            r"who_gho/HIV_ARTCOVERAGE: missing required key 'scope'",
        ),
        (_set("who_gho", "HIV_ARTCOVERAGE", scope="molecule"), r"who_gho/HIV_ARTCOVERAGE: 'scope'"),
        (_set("who_gho", "HIV_ARTCOVERAGE", items=["tdf_3tc_dtg"]), r"only an item-scope link lists items"),
        (
            _set("who_gho", "HIV_ARTCOVERAGE", about_fr=None),
            r"says what it is about in about_fr and about_en",
        ),
        (_set("who_gho", "MH_6", about_fr="psychiatres"), r"item-scope link is about its items"),
        (_set("who_gho", "MH_6", members=["haloperidol"]), r"only a class-scope link lists members"),
        (_set("who_gho", "MH_6", note=None), r"who_gho/MH_6: missing required key 'note'"),
        (
            _set("unaids_aidsinfo", "UNAIDS_ARV_STOCKOUTS", members=["raltegravir"]),
            r"UNAIDS_ARV_STOCKOUTS: 'members': unknown item 'raltegravir'",
        ),
    ],
)
def test_scope_defect_is_one_error_naming_the_link(tmp_path: Path, edit, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(_copy_with(tmp_path, edit))


def test_lookups_by_name_give_the_same_answers_as_by_id(catalogue: Catalogue) -> None:
    assert catalogue.indicators_for("VIH") == catalogue.indicators_for("hiv")
    assert catalogue.required_items("dialyse") == catalogue.required_items("ckd_dialysis")
