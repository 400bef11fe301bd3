"""The register timeline and the register table in the app (AppTest), on a store holding the three
Algerian fixture versions, ingested in-process through the real parser, harmonization and ingestion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.register_store import SOURCE, algerian_register_store

ENTRY = Path(__file__).resolve().parent.parent / "streamlit_app" / "streamlit_app.py"
TIMEOUT_SECONDS = 60


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = algerian_register_store(tmp_path)
    monkeypatch.setenv("COBASE_DB", url)
    return url


def _register_table(at: AppTest) -> pd.DataFrame:
    (table,) = [frame.value for frame in at.dataframe if "Statut" in frame.value.columns]
    return table


def _country(store: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS)
    at.run()
    at.switch_page("views/country.py").run()
    at.selectbox(key="pays").set_value("DZA").run()
    assert not at.exception, at.exception
    return at


def test_pays_page_lists_the_register_in_force(store: str) -> None:
    table = _register_table(_country(store))
    assert sorted(zip(table["Nom de marque"], table["Statut"], strict=True)) == [
        ("ARTIZ", "enregistré"),
        ("RISPERDAL", "retiré"),
        ("STOCRIN", "retiré"),
        ("TENOF EM", "enregistré"),
    ]


def test_pays_page_gives_the_withdrawal_date_and_reason(store: str) -> None:
    table = _register_table(_country(store)).set_index("Nom de marque")
    assert (table.loc["STOCRIN", "Retiré le"], table.loc["STOCRIN", "Motif du retrait"][:20]) == (
        "08/11/2023",
        "RETRAIT A L'ECHELLE ",
    )


def test_pays_page_register_is_searchable_without_accents_or_case(store: str) -> None:
    at = _country(store)
    at.text_input(key=f"register_search_{SOURCE}").set_value("retire efavirenz").run()
    assert list(_register_table(at)["Nom de marque"]) == ["STOCRIN"]


def test_pays_page_no_register_product_in_the_indicator_tables(store: str) -> None:
    at = _country(store)
    assert not [frame for frame in at.dataframe if "Indicateur" in frame.value.columns]


def test_certificat_shows_the_timeline_and_the_dated_gap(store: str) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS)
    at.query_params["pays"] = "DZA"
    at.query_params["pathologie"] = "hiv"
    at.query_params["traitements"] = "efavirenz"
    at.run()
    assert not at.exception, at.exception
    markdown = "\n".join(element.value for element in at.markdown)
    warnings = "\n".join(element.value for element in at.warning)
    assert "STOCRIN (EFAVIRENZ, 600MG, COMPRIME PELLICULE)" in markdown.replace("\\", "")
    assert "retiré le 08/11/2023" in markdown
    assert "Aucun produit contenant Éfavirenz n'est enregistré au 28/02/2026." in warnings
