"""The journeys' monthly-cost block, driven with AppTest on a store holding the CNOPS list, the exchange
rate and the minimum wage (own fixtures, ingested through the real path, as in tests/test_cost.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers import fixture_bytes
from tests.test_cost import _store

ENTRY = Path(__file__).resolve().parent.parent / "streamlit_app" / "streamlit_app.py"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    _store(
        tmp_path,
        fixture_bytes("ma_cnops_medicaments", "ref-des-medicaments-cnops-2014.xlsx"),
        fixture_bytes("ilostat_minimum_wage", "EAR_INEE_NOC_NB_A.csv"),
        fixture_bytes("worldbank_wdi", "PA.NUS.FCRF.json"),
    )
    url = f"sqlite:///{tmp_path / 'cobase.db'}"
    monkeypatch.setenv("COBASE_DB", url)
    return url


def _certificat() -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=90)
    at.query_params["pays"] = "MAR"
    at.query_params["pathologie"] = "psychosis"
    at.run()
    assert not at.exception, at.exception
    return at


def test_certificat_shows_the_monthly_cost_of_risperidone(store: str) -> None:
    at = _certificat()
    texts = "\n".join(element.value for element in at.markdown).replace("\\", "")  # Markdown escapes
    assert "Coût mensuel du traitement" in "\n".join(h.value for h in at.subheader)
    assert "247,50 MAD = 29,44 US$ = 3,03 jours de salaire minimum en 2014" in texts


def test_certificat_lists_the_products_with_reste_a_charge(store: str) -> None:
    frames = [frame.value for frame in _certificat().dataframe]
    costs = next(frame for frame in frames if "Coût mensuel" in frame.columns)
    assert "remboursé à 70 % de la base ; reste à charge 74,25 MAD par mois" in set(costs["Remboursement"])


def test_certificat_cites_the_minimum_wage(store: str) -> None:
    captions = "\n".join(caption.value for caption in _certificat().caption)
    assert "salaire minimum légal mensuel 2014" in captions and "SHA-256" in captions


def test_medicines_without_price_are_named(store: str) -> None:
    infos = "\n".join(info.value for info in _certificat().info)
    assert "Aucun prix dans les listes de prix détenues pour ce pays : Halopéridol, Chlorpromazine" in infos
