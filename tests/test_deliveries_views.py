"""The delivery timeline as a physician reads it: the words (cobase.present), the dossier section
(Markdown, French and English) and the app's section under continuity and affordability.

The store holds the project's SCMS fixtures (both exports), ingested through the real path: for Côte
d'Ivoire and TDF/3TC/EFV, 4 PEPFAR-funded deliveries from 18/05/2012 to 14/03/2014, median delay 18 days
late (18, -13, 20; one scheduled date "Date Not Captured"), longest interval 267 days (20/06/2013 -
14/03/2014).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cobase import clock, present
from cobase.db import open_store, session_scope
from cobase.evidence.deliveries import DeliveryTimeline, delivery_timelines
from cobase.evidence.engine import assess
from cobase.evidence.model import Assessment
from cobase.export import render_markdown
from tests.helpers import FIXTURES
from tests.test_deliveries import SOURCE, _store

AS_OF = date(2026, 1, 1)
ENTRY = Path(__file__).resolve().parent.parent / "streamlit_app" / "streamlit_app.py"
SUMMARY_FR = (
    "Ténofovir disoproxil/lamivudine/éfavirenz : 4 livraisons financées par le PEPFAR du 18/05/2012 au "
    "14/03/2014 ; dernière livraison enregistrée le 14/03/2014 (4\u202f311 jours avant le 01/01/2026) ; "
    "délai médian : 18 jours de retard ; plus long intervalle sans livraison enregistrée : 267 jours (du "
    "20/06/2013 au 14/03/2014)."
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('delivery_views') / 'v.db'}"
    _store(
        url,
        [
            (
                "https://data.usaid.gov/api/views/a3rc-nmf6/rows.csv",
                (FIXTURES / SOURCE / "rows.csv").read_bytes(),
            ),
            (
                "https://data.usaid.gov/scms/SCMS_Delivery_History_Dataset.csv",
                (FIXTURES / SOURCE / "SCMS_Delivery_History_Dataset.csv").read_bytes(),
            ),
        ],
    )
    return url


@pytest.fixture(scope="module")
def assessment(db: str) -> Assessment:
    with session_scope(open_store(db)) as session:
        return assess("CIV", "hiv", ["TDF/3TC/EFV"], AS_OF, session=session)


@pytest.fixture(scope="module")
def timeline(assessment: Assessment) -> DeliveryTimeline:
    [found] = delivery_timelines(assessment)
    return found


# --- words ---------------------------------------------------------------------------------------------


def test_funders_are_named_pepfar_first() -> None:
    assert present.delivery_funders(["globalfund_pqr", "usaid_scms"]) == (
        "livraisons financées par le PEPFAR / le Fonds mondial"
    )


def test_funders_in_english() -> None:
    assert present.delivery_funders(["usaid_scms"], "en") == "deliveries funded by PEPFAR"


def test_summary_states_count_span_last_delivery_median_and_gap(timeline: DeliveryTimeline) -> None:
    assert present.delivery_summary(timeline) == SUMMARY_FR


def test_summary_in_english(timeline: DeliveryTimeline) -> None:
    assert "last recorded delivery on 2014-03-14" in present.delivery_summary(timeline, "en")


def test_caveat_says_it_is_not_proof_of_reaching_patients() -> None:
    assert "pas que le médicament a atteint les patients" in present.delivery_caveat()


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (18, "18 jours de retard"),
        (-13, "13 jours d'avance"),
        (0, "à la date prévue"),
        (-11.0, "11 jours d'avance"),
    ],
)
def test_delay_words(days: float, words: str) -> None:
    assert present.delay_words(days) == words


def test_delivery_cells(timeline: DeliveryTimeline) -> None:
    assert present.delivery_cells(timeline.deliveries[0]) == [
        "18/05/2012",
        "30/04/2012",
        "18 jours de retard",
        "0,45 $ US par unité",
        "600/300/300mg - comprimé - FDC",
        "le PEPFAR",
    ]


def test_scheduled_date_not_captured_is_said(timeline: DeliveryTimeline) -> None:
    assert present.delivery_cells(timeline.deliveries[-1])[1:3] == ["non renseignée (Date Not Captured)", "—"]


def test_delivery_id_is_not_shown_as_a_breakdown() -> None:
    assert present.breakdown_label("DELIVERY=91001;STRENGTH_FORM=200mg - Tablet") == "200mg - comprimé"


# --- dossier ---------------------------------------------------------------------------------------------


def test_dossier_has_the_delivery_section(assessment: Assessment) -> None:
    text = render_markdown(assessment)
    assert "Livraisons enregistrées (continuité et coût)" in text and SUMMARY_FR in text


def test_dossier_section_comes_after_continuity(assessment: Assessment) -> None:
    text = render_markdown(assessment)
    details = text.index("Livraisons enregistrées")
    assert (
        text.rindex("Continuité (ruptures de stock)", 0, details)
        < details
        < text.rindex("Coût pour le patient")
    )


def test_dossier_cites_the_file(assessment: Assessment) -> None:
    text = render_markdown(assessment)
    line = next(
        line for line in text.splitlines() if line.startswith("Ténofovir disoproxil/lamivudine/éfavirenz : 4")
    )
    # Two files (two exports), each cited for its delays and for its unit prices.
    assert line.rstrip().endswith("(du 20/06/2013 au 14/03/2014). [1] [2] [3] [4]")


def test_dossier_delivery_table(assessment: Assessment) -> None:
    text = render_markdown(assessment)
    assert "| 20/06/2013 | 31/05/2013 | 20 jours de retard | 0,4 $ US par unité |" in text


def test_dossier_in_english(assessment: Assessment) -> None:
    text = render_markdown(assessment, "en")
    assert "Recorded deliveries (continuity and affordability)" in text
    assert "4 deliveries funded by PEPFAR from 2012-05-18 to 2014-03-14" in text


def test_dossier_without_deliveries_has_no_section(db: str) -> None:
    with session_scope(open_store(db)) as session:
        other = assess("CIV", "hiv", ["TLD"], AS_OF, session=session)
    assert "Livraisons enregistrées" not in render_markdown(other)


# --- app -------------------------------------------------------------------------------------------------


@pytest.fixture
def app_store(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    monkeypatch.setenv("COBASE_DB", db)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield db
    st.cache_data.clear()
    st.cache_resource.clear()


def _certificat_tab(starting_with: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    at.query_params.update({"pays": "CIV", "pathologie": "hiv", "traitements": "tdf_3tc_efv"})
    at.run()
    assert not at.exception, at.exception
    at.session_state["dimension"] = next(tab.label for tab in at.tabs if tab.label.startswith(starting_with))
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("tab", ["Continuité", "Coût pour le patient"])
def test_app_shows_the_timeline_under_continuity_and_affordability(app_store: str, tab: str) -> None:
    at = _certificat_tab(tab)
    texts = [element.value for element in at.markdown]
    assert any("4 livraisons financées par le PEPFAR" in text for text in texts)
    assert any("dernière livraison enregistrée le 14/03/2014" in text for text in texts)


def test_app_lists_each_delivery(app_store: str) -> None:
    at = _certificat_tab("Continuité")
    [table] = [t.value for t in at.dataframe if "Livrée le" in t.value.columns]
    assert list(table["Livrée le"]) == ["18/05/2012", "02/10/2012", "20/06/2013", "14/03/2014"]


def test_app_says_it_is_not_proof_of_reaching_patients(app_store: str) -> None:
    at = _certificat_tab("Continuité")
    assert any("pas que le médicament a atteint les patients" in c.value for c in at.caption)


def test_contester_shows_the_timeline_as_of_the_opinion_and_today(app_store: str) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    at.query_params.update({"pays": "CIV", "pathologie": "hiv", "traitements": "tdf_3tc_efv"})
    at.run()
    at.switch_page("views/contester.py")
    at.query_params["avis"] = "2013-12-31"
    at.run()
    assert not at.exception, at.exception
    at.session_state["dimension"] = next(tab.label for tab in at.tabs if tab.label.startswith("Continuité"))
    at.run()
    assert not at.exception, at.exception
    texts = [element.value for element in at.markdown]
    assert any("3 livraisons financées par le PEPFAR" in text for text in texts)  # by the opinion
    assert any("4 livraisons financées par le PEPFAR" in text for text in texts)  # today
