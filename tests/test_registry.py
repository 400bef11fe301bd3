"""sources.yml: validated on load, with errors naming the file, the source and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobase.registry import AccessDimension, SourcesFileError, load_registry
from cobase.yamltext import load_yaml

REPO = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _project_data() -> dict:
    return load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))


def test_project_registry_loads() -> None:
    assert set(load_registry(REPO / "sources.yml").sources) >= {"who_gho", "worldbank_wdi"}


@pytest.mark.parametrize(
    "code",
    [
        "UHC_INDEX_REPORTED",
        "GHED_OOPSCHE_SHA2011",
        "HIV_ARTCOVERAGE",
        "HWF_0001",
        "MH_6",
        "NCD_HYP_TREATMENT_A",
    ],
)
def test_who_gho_declares_required_indicator(code: str) -> None:
    assert load_registry(REPO / "sources.yml").get("who_gho").indicator(code) is not None


@pytest.mark.parametrize("code", ["SH.XPD.OOPC.CH.ZS", "SH.UHC.SRVS.CV.XD", "SH.MED.PHYS.ZS"])
def test_worldbank_declares_required_indicator(code: str) -> None:
    assert load_registry(REPO / "sources.yml").get("worldbank_wdi").indicator(code) is not None


def test_worldbank_republishes_who() -> None:
    assert load_registry(REPO / "sources.yml").get("worldbank_wdi").republishes == "who_gho"


def test_every_indicator_has_an_access_dimension() -> None:
    registry = load_registry(REPO / "sources.yml")
    assert all(
        isinstance(ind.dimension, AccessDimension)
        for src in registry.sources.values()
        for ind in src.indicators
    )


PUBLISHER_PREFIXES = (
    "who_",
    "worldbank_",
    "unaids_",
    "globalfund_",
    "reliefweb_",
    "oecd_",
    "documents",
    "internet_",
    "usaid_",
    "dz_",
    "tn_",
    "ma_",
    "ilostat_",
)
"""Publishers a source key may start with (CONTRIBUTING.md, step 1: a new publisher adds its prefix here).
internet_archive: the Internet Archive's Wayback Machine (a service, named by the issue). dz_, tn_, ma_:
national ministries and funds (Algeria's MIPH, Tunisia's DPM, Morocco's CNOPS), named by the issue."""


def test_source_keys_start_with_their_publisher() -> None:
    assert all(key.startswith(PUBLISHER_PREFIXES) for key in load_registry(REPO / "sources.yml").sources)


def test_unknown_key_names_file_source_and_key(tmp_path: Path) -> None:
    data = _project_data()
    data["sources"]["who_gho"]["colour"] = "blue"
    path = _write(tmp_path, data)
    with pytest.raises(SourcesFileError, match=r"sources\.yml: source 'who_gho': unknown key 'colour'"):
        load_registry(path)


def test_missing_field_names_the_key(tmp_path: Path) -> None:
    data = _project_data()
    del data["sources"]["worldbank_wdi"]["base_url"]
    with pytest.raises(SourcesFileError, match=r"source 'worldbank_wdi': missing required key 'base_url'"):
        load_registry(_write(tmp_path, data))


def test_missing_indicator_field_names_its_position(tmp_path: Path) -> None:
    data = _project_data()
    del data["sources"]["who_gho"]["indicators"][2]["label_fr"]
    with pytest.raises(SourcesFileError, match=r"'indicators\.2\.label_fr'"):
        load_registry(_write(tmp_path, data))


def test_bad_dimension_is_rejected(tmp_path: Path) -> None:
    data = _project_data()
    data["sources"]["who_gho"]["indicators"][0]["dimension"] = "vibes"
    with pytest.raises(SourcesFileError, match=r"source 'who_gho'.*indicators\.0\.dimension"):
        load_registry(_write(tmp_path, data))


def test_republishes_unknown_source_is_rejected(tmp_path: Path) -> None:
    data = _project_data()
    data["sources"]["worldbank_wdi"]["republishes"] = "nobody"
    with pytest.raises(SourcesFileError, match="republishes unknown source 'nobody'"):
        load_registry(_write(tmp_path, data))


def test_invalid_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("sources: [unclosed", encoding="utf-8")
    with pytest.raises(SourcesFileError, match="not valid YAML"):
        load_registry(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match="cannot read sources file"):
        load_registry(tmp_path / "absent.yml")


def test_base_url_override_keeps_the_rest(tmp_path: Path) -> None:
    registry = load_registry(REPO / "sources.yml").with_base_url("who_gho", "http://127.0.0.1:8000/")
    assert registry.get("who_gho").base_url == "http://127.0.0.1:8000" and registry.get("who_gho").indicators


def test_unknown_source_lookup_lists_known_keys() -> None:
    with pytest.raises(SourcesFileError, match=r"known: .*who_gho"):
        load_registry(REPO / "sources.yml").get("nope")


def test_the_same_text_is_validated_once_and_an_edit_is_seen_at_once(tmp_path: Path) -> None:
    """Pages ask for the registry many times a run: the same text is not validated again, but the file is
    read every time, so an edit made a moment later (same size, same second) is never missed."""
    path = tmp_path / "sources.yml"
    text = (REPO / "sources.yml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_registry(path)
    assert load_registry(path) is first
    key = next(iter(first.sources))
    producer = first.sources[key].producer
    edited = text.replace(f"producer: {producer}", f"producer: {producer[:-1]}X", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    assert load_registry(path).sources[key].producer == f"{producer[:-1]}X"
