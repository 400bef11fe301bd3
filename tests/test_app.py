"""The Streamlit app on a seeded store, driven by ``AppTest``: each page runs, every value shown carries
its provenance, the current value wins over a superseded one, and an empty store says how to get data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cobase.db import open_store
from cobase.harmonize.records import ObservationIn
from tests.seed import PUBLISHED_V1, PUBLISHED_V2, ingest_rows, seed_database

ENTRY = Path(__file__).resolve().parent.parent / "streamlit_app" / "streamlit_app.py"
SOURCES_PAGE = "views/sources.py"
COUNTRY_PAGE = "views/country.py"
ART_URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"
ART_LABEL_FR = "Couverture estimée du traitement antirétroviral chez les personnes vivant avec le VIH"
TIMEOUT_SECONDS = 60


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Cached reads are keyed by database URL already; clearing keeps one test's engine out of the next."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app, not yet run, on the seeded store (Guinea and Côte d'Ivoire, one revision, one failure)."""
    monkeypatch.setenv("COBASE_DB", seed_database(tmp_path / "t.db"))
    return AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS)


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app reading a store that does not exist yet (opening it creates and migrates it)."""
    monkeypatch.setenv("COBASE_DB", f"sqlite:///{tmp_path / 'empty.db'}")
    return AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS)


def _country_page(at: AppTest) -> AppTest:
    """The Pays page (the app opens on 'Préparer un certificat'; AppTest switches after a first run)."""
    at.run()
    at.switch_page(COUNTRY_PAGE).run()
    return at


def _guinea(at: AppTest) -> AppTest:
    _country_page(at)
    at.selectbox(key="pays").set_value("GIN").run()
    assert not at.exception, at.exception
    return at


def _table_for(at: AppTest, indicator: str) -> pd.DataFrame:
    tables = [frame.value for frame in at.dataframe if indicator in set(frame.value["Indicateur"])]
    assert len(tables) == 1, f"expected one table for {indicator}, got {len(tables)}"
    return tables[0]


def _texts(elements: object) -> str:
    return "\n".join(element.value for element in elements)  # type: ignore[attr-defined]


def test_app_opens_on_preparer_un_certificat(seeded: AppTest) -> None:
    seeded.run()
    assert not seeded.exception
    assert seeded.title[0].value == "Préparer un certificat"


def test_country_page_runs_without_exception(seeded: AppTest) -> None:
    _country_page(seeded)
    assert not seeded.exception
    assert seeded.title[0].value == "Pays / Country"


def test_sources_page_runs_without_exception(seeded: AppTest) -> None:
    seeded.run()
    seeded.switch_page(SOURCES_PAGE).run()
    assert not seeded.exception
    assert seeded.title[0].value == "Sources"


@pytest.mark.parametrize("page", [None, COUNTRY_PAGE, "views/contester.py"])
def test_empty_store_says_how_to_get_data(empty: AppTest, page: str | None) -> None:
    empty.run()
    if page:
        empty.switch_page(page).run()
    assert not empty.exception
    message = _texts(empty.info)
    assert "cobase demo" in message
    assert "cobase refresh" in message
    assert not empty.selectbox


def test_empty_store_on_sources_page_says_how_to_get_data(empty: AppTest) -> None:
    empty.run()
    empty.switch_page(SOURCES_PAGE).run()
    assert not empty.exception
    assert "cobase demo" in _texts(empty.info)


@pytest.mark.parametrize(
    "page", [None, COUNTRY_PAGE, "views/contester.py", "views/rapports.py", SOURCES_PAGE]
)
def test_unopenable_store_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    monkeypatch.setenv("COBASE_DB", f"sqlite:///{tmp_path}")  # a directory: SQLite cannot open it
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    assert "base de données ne peut pas être ouverte" in at.error[0].value
    assert not at.dataframe


def test_countries_with_data_come_first_with_french_names(seeded: AppTest) -> None:
    _country_page(seeded)
    box = seeded.selectbox(key="pays")
    assert box.options[:2] == ["Côte d'Ivoire (CIV)", "Guinée (GIN)"]
    assert len(box.options) > 100
    assert all("aucune donnée" in label for label in box.options[2:])


def test_no_country_chosen_shows_no_values(seeded: AppTest) -> None:
    _country_page(seeded)
    assert seeded.selectbox(key="pays").value is None
    assert not seeded.dataframe


def test_guinea_shows_art_coverage_with_label_and_chart(seeded: AppTest) -> None:
    at = _guinea(seeded)
    assert at.header[0].value == "Guinée (GIN)"
    assert ART_LABEL_FR in [subheader.value for subheader in at.subheader]
    assert any("antiretroviral therapy coverage" in caption.value for caption in at.caption)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_guinea_art_table_shows_current_2022_value_not_superseded(seeded: AppTest) -> None:
    table = _table_for(_guinea(seeded), "HIV_ARTCOVERAGE")
    assert set(table["Source"]) == {"who_gho"}
    row_2022 = table[table["Période"] == "2022"]
    assert len(row_2022) == 1
    assert float(row_2022["Valeur"].iloc[0]) == 64.0
    assert "60.0" not in set(table["Valeur"])
    assert list(table["Période"]) == ["2022", "2021", "2020", "2019"]


def test_guinea_art_table_shows_publication_and_retrieval_dates_and_link(seeded: AppTest) -> None:
    table = _table_for(_guinea(seeded), "HIV_ARTCOVERAGE").set_index("Période")
    assert pd.Timestamp(table.loc["2022", "Publié le"]).date() == PUBLISHED_V2.date()
    assert pd.Timestamp(table.loc["2019", "Publié le"]).date() == PUBLISHED_V1.date()
    assert pd.Timestamp(table.loc["2022", "Récupéré le"]) == pd.Timestamp(datetime(2024, 10, 1, tzinfo=UTC))
    assert pd.Timestamp(table.loc["2019", "Récupéré le"]) == pd.Timestamp(datetime(2023, 6, 1, tzinfo=UTC))
    assert set(table["Lien"]) == {ART_URL}
    assert set(table["Unité"]) == {"%"}
    assert table["Instantané"].str.fullmatch(r"[0-9a-f]{12}").all()


def test_guinea_out_of_pocket_shows_both_sources_on_one_topic(seeded: AppTest) -> None:
    at = _guinea(seeded)
    table = _table_for(at, "GHED_OOPSCHE_SHA2011")
    assert set(table["Source"]) == {"who_gho", "worldbank_wdi"}
    world_bank = table[table["Source"] == "worldbank_wdi"].iloc[0]
    assert (world_bank["Indicateur"], world_bank["Période"], world_bank["Valeur"]) == (
        "SH.XPD.OOPC.CH.ZS",
        "2020",
        "57,5",
    )
    assert pd.Timestamp(world_bank["Publié le"]).date() == date(2024, 7, 1)


def test_indicator_missing_from_registry_is_shown_under_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A series sources.yml no longer declares still shows, titled by its code, Markdown kept inert."""
    url = seed_database(tmp_path / "t.db")
    odd = ObservationIn(
        country_iso3="GIN",
        indicator="OLD_*SERIES*",
        period_start=date(2021, 1, 1),
        period_end=date(2021, 12, 31),
        value_text="7",
        value_num=7.0,
        unit=None,
        published_at=None,
    )
    ingest_rows(
        open_store(url),
        "who_gho",
        "https://ghoapi.azureedge.net/api/OLD",
        [odd],
        datetime(2024, 1, 2, tzinfo=UTC),
    )
    monkeypatch.setenv("COBASE_DB", url)
    at = _guinea(AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS))
    assert at.subheader[-1].value == r"OLD\_\*SERIES\*"
    assert "nan" not in at.caption[-1].value
    table = _table_for(at, "OLD_*SERIES*")
    assert (table["Valeur"].iloc[0], table["Période"].iloc[0]) == ("7", "2021")
    assert pd.isna(table["Publié le"].iloc[0])


def test_query_parameter_opens_a_country(seeded: AppTest) -> None:
    """A shared link (``?pays=...``) opens that country; Streamlit puts the option's label in the URL."""
    seeded.run()
    seeded.switch_page(COUNTRY_PAGE)
    seeded.query_params["pays"] = "Côte d'Ivoire (CIV)"
    seeded.run()
    assert not seeded.exception
    assert seeded.header[0].value == "Côte d'Ivoire (CIV)"
    assert list(_table_for(seeded, "GHED_OOPSCHE_SHA2011")["Valeur"]) == ["40,5", "39,5", "38"]


def test_country_without_data_says_so(seeded: AppTest) -> None:
    _country_page(seeded)
    seeded.selectbox(key="pays").set_value("MLI").run()
    assert not seeded.exception
    assert "Aucune donnée pour ce pays" in _texts(seeded.info)
    assert not seeded.dataframe


def test_sources_page_shows_status_and_failed_run_error(seeded: AppTest) -> None:
    seeded.run()
    seeded.switch_page(SOURCES_PAGE).run()
    table = seeded.dataframe[0].value.set_index("Source")
    assert {"who_gho", "worldbank_wdi"} <= set(table.index)
    assert table.loc["worldbank_wdi", "Dernière exécution"] == "échec / failed"
    assert table.loc["worldbank_wdi", "Dernière erreur"] == (
        "HTTP 500 from https://api.worldbank.org/v2/country/all/indicator/X"
    )
    assert table.loc["who_gho", "Dernière exécution"] == "succès / success"
    assert pd.isna(table.loc["who_gho", "Dernière erreur"])
    assert table.loc["who_gho", "Observations"] == 10
    assert table.loc["worldbank_wdi", "Observations"] == 1
    assert pd.Timestamp(table.loc["who_gho", "Publication la plus récente"]).date() == PUBLISHED_V2.date()
    assert pd.Timestamp(table.loc["who_gho", "Période la plus récente"]).date() == date(2022, 12, 31)


@pytest.mark.parametrize("page", [COUNTRY_PAGE, SOURCES_PAGE])
def test_no_patient_data_can_be_entered(seeded: AppTest, page: str) -> None:
    """These pages are a reference, not a patient file: no free-text, date or file inputs at all.

    The journeys (one date: the OFII opinion's) and the findings form are checked in
    tests/test_app_journeys.py.
    """
    seeded.run()
    seeded.switch_page(page).run()
    if page == COUNTRY_PAGE:
        seeded.selectbox(key="pays").set_value("GIN").run()
    for kind in ("text_input", "text_area", "date_input", "number_input", "file_uploader", "chat_input"):
        assert not seeded.get(kind), kind
