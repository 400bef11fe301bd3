"""The app's two journeys, Rapports and Sources, driven with AppTest on a store with known content.

The store (:func:`seed_journeys`) is the shared seed (Guinea: WHO antiretroviral therapy coverage
2019-2022, whose 2022 value WHO revised from 60.0 to 64.0 on 2024-09-15; out-of-pocket spending from WHO
and its World Bank copy) plus two curated findings about TLD: "disponible" on a national list published
2024-02-01, and stock-outs in July 2024 published 2024-08-20. With the OFII opinion dated 2024-06-30,
the revision and the stock-outs come after the opinion; nothing documents HIV viral load (a gap); and
today the availability finding and the stock-outs contradict each other. "Now" is frozen at 2025-03-01.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cobase import clock
from cobase.db import open_store, session_scope
from cobase.findings import add_finding, list_findings
from tests.seed import seed_database

ENTRY = Path(__file__).resolve().parent.parent / "streamlit_app" / "streamlit_app.py"
CONTESTER = "views/contester.py"
RAPPORTS = "views/rapports.py"
SOURCES = "views/sources.py"
TIMEOUT_SECONDS = 60

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
OPINION = date(2024, 6, 30)
SEEDED_AT = datetime(2024, 9, 1, 8, 0, tzinfo=UTC)
ART_LABEL = "Couverture estimée du traitement antirétroviral chez les personnes vivant avec le VIH"
ART_URL = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE"
STOCKOUT = "Ruptures de stock de TLD dans 4 sites de Conakry"
STOCKOUT_URL = "https://www.example.org/rapport-ong-2024.pdf"
STOCKOUT_QUOTE = "rupture de stock de TLD dans quatre sites de Conakry en juillet 2024"
LIST_URL = "https://www.example.org/liste-nationale-2024.pdf"
VIRAL_LOAD_GAP = "Aucune source ne documente l'accès à : Charge virale VIH."
CONTINUITY_GAP = "Aucune source ne documente cette dimension de l'accès : continuité (ruptures de stock)."
HIV_DEFAULTS = [
    "tdf_3tc_dtg",
    "viral_load_hiv",
    "cd4_count",
    "creatinine",
    "full_blood_count",
    "infectiologist",
]
REPORT_BYTES = (
    b"<html><body><p>Rupture de stock de TLD dans quatre sites de Conakry en juillet 2024.</p></body></html>"
)


def seed_journeys(folder: Path) -> str:
    """The shared seed plus the two TLD findings; returns the database URL.

    Findings are entered through :func:`cobase.findings.add_finding` with the document's bytes given as
    a file (as an upload is), under the URL it was found at, so nothing is fetched.
    """
    url = seed_database(folder / "journeys.db")
    document = folder / "rapport.html"
    document.write_bytes(REPORT_BYTES)
    with session_scope(open_store(url)) as session:
        add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement=STOCKOUT,
            period="2024-07",
            contributed_by="Dr Exemple, Comede",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            url=STOCKOUT_URL,
            file=document,
            item="TLD",
            quote=STOCKOUT_QUOTE,
            page=3,
            published=date(2024, 8, 20),
        )
        add_finding(
            session,
            country="GIN",
            dimension="availability",
            statement="disponible",
            period="2024",
            contributed_by="Dr Exemple, Comede",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            url=LIST_URL,
            file=document,
            item="TLD",
            quote="TLD : disponible dans les centres de prise en charge",
            page=12,
            published=date(2024, 2, 1),
        )
    return url


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Reads are cached per database URL; clearing keeps one test's store out of the next."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """'Now' is 2025-03-01: the present-day assessment, stale flags and freshness do not drift."""
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: datetime) -> str:
    """The seeded store, findings recorded at a fixed time, and the app pointed at it."""
    monkeypatch.setattr("cobase.findings.utcnow", lambda: SEEDED_AT)
    url = seed_journeys(tmp_path)
    monkeypatch.setenv("COBASE_DB", url)
    return url


def _app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS)
    for name, value in query.items():
        at.query_params[name] = value
    return at


def _certificat(**query: str) -> AppTest:
    at = _app(pays="GIN", pathologie="hiv", **query).run()
    assert not at.exception, at.exception
    return at


def _page(path: str, **query: str) -> AppTest:
    """Another page opened from a link: AppTest switches pages only after a first run, which happens on
    'Préparer un certificat' with the link's parameters (widgets keep their state across pages)."""
    at = _app(**query).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _contester(**query: str) -> AppTest:
    """'Contester un avis' for Guinea and HIV."""
    return _page(CONTESTER, pays="GIN", pathologie="hiv", **query)


def _texts(elements: object) -> str:
    return "\n".join(element.value for element in elements)  # type: ignore[attr-defined]


def _tables_with(at: AppTest, column: str, value: str) -> list[pd.DataFrame]:
    return [
        table.value
        for table in at.dataframe
        if column in table.value.columns and value in set(table.value[column])
    ]


def _row(table: pd.DataFrame, **where: str) -> pd.Series:
    selected = table
    for column, value in where.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, f"expected one row for {where}, got {len(selected)}"
    return selected.iloc[0]


def _open_tab(at: AppTest, starting_with: str) -> AppTest:
    """Open the dimension tab whose label starts with ``starting_with`` (only the open tab is built)."""
    label = next(tab.label for tab in at.tabs if tab.label.startswith(starting_with))
    at.session_state["dimension"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> list[object]:
    return [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]


def _case_caption(at: AppTest) -> str:
    """The line under the case's heading: country, pathology, date, window and the items assessed."""
    return next(caption.value for caption in at.caption if caption.value.startswith("Guinea — HIV infection"))


def _file_hash(url: str) -> str:
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


# --- Préparer un certificat --------------------------------------------------------------------------


def test_certificat_without_a_case_asks_for_one(store: str) -> None:
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Préparer un certificat"
    assert "Choisissez le pays d'origine et la pathologie" in _texts(at.info)
    assert not at.dataframe


def test_certificat_opens_from_a_shared_link(store: str) -> None:
    at = _certificat()
    assert at.header[0].value == "Guinée — Infection par le VIH"
    assert at.selectbox(key="pays").value == "GIN"
    assert at.selectbox(key="pathologie").value == "hiv"


def test_country_typed_without_accents_is_resolved(store: str) -> None:
    at = _app(pays="guinee", pathologie="hiv").run()
    assert at.selectbox(key="pays").value == "GIN"
    assert at.header[0].value == "Guinée — Infection par le VIH"


def test_treatments_are_prefilled_with_first_line_and_follow_up(store: str) -> None:
    at = _certificat()
    assert at.multiselect(key="traitements_hiv").value == HIV_DEFAULTS


def test_every_value_shows_its_provenance(store: str) -> None:
    at = _certificat()
    table = _tables_with(at, "Indicateur", ART_LABEL)[0]  # the availability table (old data comes last)
    row = _row(table, Indicateur=ART_LABEL, Période="2022")
    assert row["Valeur"] == "64\u202f%"
    assert row["Source"] == "World Health Organization (who_gho)"
    assert row["Publié le"] == date(2024, 9, 15)
    assert pd.Timestamp(row["Récupéré le"]) == pd.Timestamp(datetime(2024, 10, 1, tzinfo=UTC))
    assert row["Lien"] == f"{ART_URL}?$filter=SpatialDim%20eq%20'GIN'"  # the landing page, for Guinea
    assert len(row["Empreinte"]) == 12 and int(row["Empreinte"], 16) >= 0
    # ART coverage is a national population figure (scope "population"), never shown under TLD's name.
    assert row["Traitements"].startswith("Contexte national — personnes vivant avec le VIH")
    assert "Ténofovir" not in row["Traitements"]


def test_gaps_are_in_plain_sight(store: str) -> None:
    warnings = _texts(_certificat().warning)
    assert VIRAL_LOAD_GAP in warnings
    assert "Aucune source ne documente l'accès à : Infectiologue." in warnings


def test_curated_finding_shows_as_contributed_with_its_quote(store: str) -> None:
    at = _open_tab(_certificat(), "Continuité")
    (table,) = [t for t in _tables_with(at, "Valeur", STOCKOUT) if "N°" not in t.columns]
    row = _row(table, Valeur=STOCKOUT)
    assert row["Mentions"] == ["constat contribué"]
    assert row["Citation"] == f"« {STOCKOUT_QUOTE} » p. 3"
    assert row["Source"] == "Dr Exemple, Comede (contributed)"
    assert row["Période"] == "07/2024"
    assert row["Lien"] == f"{STOCKOUT_URL}#page=3"  # the landing page opens the PDF at the quoted page


def test_contradiction_shows_both_sides(store: str) -> None:
    at = _certificat()
    assert len(at.error) == 1
    assert at.error[0].value.startswith("**Contradictions (1)**")
    assert "rupture ou une indisponibilité" in at.error[0].value
    sides = next(table.value for table in at.expander[0].dataframe)
    assert list(sides["N°"]) == [1, 1]
    assert set(sides["Valeur"]) == {"disponible", STOCKOUT}


def test_old_data_is_flagged(store: str) -> None:
    at = _certificat()
    table = _tables_with(at, "Indicateur", ART_LABEL)[0]  # the availability table (old data comes last)
    assert "donnée ancienne" in _row(table, Période="2020")["Mentions"]  # ended before 2022-03-01
    assert "donnée ancienne" not in _row(table, Période="2022")["Mentions"]
    assert "période terminée avant le 01/03/2022" in _texts(at.info)


def test_window_leaves_out_older_periods(store: str) -> None:
    at = _certificat(fenetre="3")
    table = _tables_with(at, "Indicateur", ART_LABEL)[0]  # the availability table (old data comes last)
    assert list(table.loc[table["Indicateur"] == ART_LABEL, "Période"]) == ["2022"]


def test_unticking_a_treatment_removes_its_evidence(store: str) -> None:
    at = _certificat()
    assert _tables_with(at, "Valeur", "disponible")
    at.multiselect(key="traitements_hiv").unselect("tdf_3tc_dtg").run()
    assert not at.exception
    assert not _tables_with(at, "Valeur", "disponible")  # the finding about TLD is gone
    # ART coverage is a national population figure, not evidence about TLD: it stays, as context.
    assert _tables_with(at, "Indicateur", ART_LABEL)


def test_typed_medicine_is_resolved_and_shown(store: str) -> None:
    at = _certificat()
    at.multiselect(key="traitements_hiv").select("Truvada").run()
    assert not at.exception
    assert at.multiselect(key="traitements_hiv").value == [*HIV_DEFAULTS, "Truvada"]  # kept as typed
    assert at.query_params["traitements"] == ",".join(
        [*HIV_DEFAULTS, "tdf_ftc"]
    )  # the link says what is meant
    assert "« Truvada » compris comme / read as : Ténofovir disoproxil/emtricitabine" in _texts(at.caption)
    assert _case_caption(at).endswith("Infectiologue, Ténofovir disoproxil/emtricitabine")


def test_unknown_medicine_is_listed_not_guessed(store: str) -> None:
    at = _certificat()
    at.multiselect(key="traitements_hiv").select("zorglubine").run()
    assert not at.exception
    assert "Traitement non reconnu, laissé de côté : « zorglubine »" in _texts(at.warning)
    assert "zorglubine" not in _case_caption(at)
    assert _case_caption(at).endswith("Numération formule sanguine, Infectiologue")


def test_certificat_offers_the_dossier_in_three_formats(store: str) -> None:
    buttons = {button.key: button.label for button in _certificat().get("download_button")}
    assert buttons == {
        "dossier_pdf": "Télécharger le dossier PDF",
        "dossier_docx": "Télécharger le dossier DOCX",
        "dossier_md": "Télécharger le dossier Markdown",
    }


# --- Contester un avis -------------------------------------------------------------------------------


def test_contester_asks_for_the_opinion_date(store: str) -> None:
    at = _contester()
    assert at.title[0].value == "Contester un avis"
    assert "Indiquez la date de l'avis OFII" in _texts(at.info)
    assert not at.dataframe


def test_contester_lists_what_was_published_after_the_opinion(store: str) -> None:
    at = _contester(avis=OPINION.isoformat())
    later = at.dataframe[0].value
    # Only the NGO report's document date proves publication after the opinion; the WHO revision (64 %) and
    # the World Bank copy (57,5 %) carry last-modified stamps, which prove nothing about earlier publication.
    assert set(later["Valeur"]) == {STOCKOUT}
    assert all(published > OPINION for published in later["Publié le"])
    assert "**1 élément(s)** absent(s) des données connues au 30/06/2024." in _texts(at.info)


def test_dimension_tabs_count_evidence_and_show_gaps(store: str) -> None:
    labels = [tab.label for tab in _certificat().tabs]
    assert labels[:3] == [
        "Disponibilité (5)",
        "Continuité (ruptures de stock) (1)",
        "Coût pour le patient (4)",
    ]
    assert "Suivi biologique et examens (aucune)" in labels


def test_contester_tabs_show_what_changed_since_the_opinion(store: str) -> None:
    labels = [tab.label for tab in _contester(avis=OPINION.isoformat()).tabs]
    assert labels[:3] == [
        "Disponibilité (5 → 5)",  # the 2022 value revised, the finding unchanged
        "Continuité (ruptures de stock) (aucune → 1)",  # the stock-outs were reported after the opinion
        # The World Bank's copy is stamped after the opinion; a last-modified stamp is no proof: shown then.
        "Coût pour le patient (4 → 4)",
    ]


def test_only_the_open_tab_is_built(store: str) -> None:
    at = _contester(avis=OPINION.isoformat())
    assert len(_charts(at)) == 2  # availability, then and now
    _open_tab(at, "Continuité")
    assert not _charts(at)  # stock-out findings are text: no chart, and availability's are not built
    assert STOCKOUT in set(_tables_with(at, "Valeur", STOCKOUT)[-1]["Valeur"])


def test_contester_shows_the_revision_side_by_side(store: str) -> None:
    at = _contester(avis=OPINION.isoformat())
    rows = [
        _row(table, Indicateur=ART_LABEL, Période="2022")
        for table in _tables_with(at, "Indicateur", ART_LABEL)[0:2]
    ]
    then, now = rows
    assert then["Valeur"] == "60\u202f%"
    assert "révisé après la date de référence" in then["Mentions"]
    assert then["Publié le"] == date(2023, 5, 1)
    assert now["Valeur"] == "64\u202f%"
    assert "révisé après la date de référence" not in now["Mentions"]


def test_as_of_changes_gaps_and_contradictions(store: str) -> None:
    at = _contester(avis=OPINION.isoformat())
    then_gaps, now_gaps = (warning.value for warning in at.warning if warning.value.startswith("**Lacunes"))
    assert CONTINUITY_GAP in then_gaps  # the stock-outs were not yet reported
    assert CONTINUITY_GAP not in now_gaps
    assert VIRAL_LOAD_GAP in then_gaps and VIRAL_LOAD_GAP in now_gaps
    assert "Aucune contradiction relevée" in _texts(at.caption)
    assert len(at.error) == 1  # today only: the list says available, the NGO reports stock-outs


def test_a_later_opinion_date_has_nothing_published_after(store: str) -> None:
    at = _contester(avis=OPINION.isoformat())
    at.date_input(key="avis").set_value(date(2024, 12, 31)).run()
    assert not at.exception
    assert "Rien de publié depuis le 31/12/2024" in _texts(at.caption)
    assert at.query_params["avis"] == "2024-12-31"


# --- The dossier -------------------------------------------------------------------------------------


def test_contest_dossier_includes_what_was_published_after(store: str) -> None:
    from streamlit_app import data

    items = tuple(HIV_DEFAULTS)
    text = data.dossier_bytes(store, "GIN", "hiv", items, OPINION, 10, "md", "fr", NOW.date()).decode()
    assert "dossier documentaire (contestation d'un avis)" in text  # only with the present-day assessment
    assert "Date de l'avis (as-of)" in text
    assert "Publié après la date de l'avis" in text
    assert STOCKOUT in text
    assert "Charge virale VIH" in text
    assert "aucune donnée de patient" in text


def test_dossier_formats_are_what_they_say(store: str) -> None:
    from streamlit_app import data

    items = tuple(HIV_DEFAULTS)
    pdf = data.dossier_bytes(store, "GIN", "hiv", items, NOW.date(), 10, "pdf", "en")
    docx = data.dossier_bytes(store, "GIN", "hiv", items, NOW.date(), 10, "docx", "fr")
    markdown = data.dossier_bytes(store, "GIN", "hiv", items, NOW.date(), 10, "md", "fr").decode()
    assert pdf.startswith(b"%PDF")
    assert docx.startswith(b"PK")  # a DOCX is a zip archive
    assert "contestation d'un avis" not in markdown
    assert VIRAL_LOAD_GAP in markdown


def test_nothing_typed_or_generated_is_stored(store: str) -> None:
    """Walking both journeys, typing a medicine and generating every dossier leaves the store unchanged."""
    from streamlit_app import data

    before = _file_hash(store)
    at = _certificat()
    at.multiselect(key="traitements_hiv").select("Truvada").run()
    _contester(avis=OPINION.isoformat())
    for fmt in data.DOSSIER_FORMATS:
        data.dossier_bytes(store, "GIN", "hiv", tuple(HIV_DEFAULTS), OPINION, 10, fmt, "fr", NOW.date())
    assert _file_hash(store) == before


# --- Privacy and safety ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [None, CONTESTER])
def test_journeys_have_no_field_for_a_patient(store: str, page: str | None) -> None:
    at = _contester(avis=OPINION.isoformat()) if page else _certificat()
    for kind in ("text_input", "text_area", "number_input", "file_uploader", "chat_input"):
        assert not at.get(kind), kind
    assert [widget.key for widget in at.date_input] == (["avis"] if page else [])


def test_source_text_is_escaped_never_html(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding written with Markdown and HTML shows as typed; no element may render raw HTML."""
    markup = "<img src=x onerror=alert(1)> **gras** [lien](javascript:alert(1))"
    with session_scope(open_store(store)) as session:
        add_finding(
            session,
            country="GIN",
            dimension="affordability",
            statement=markup,
            period="2024-05",
            contributed_by="Dr <b>Test</b>",
            title="Rapport de test sur l'accès aux soins",
            producer="Médecins du Monde",
            url="https://www.example.org/note.html",
            file=Path(__file__),
            quote=markup,
            published=date(2024, 5, 2),
        )
    for at in (_certificat(), _contester(avis=OPINION.isoformat()), _page(RAPPORTS, pays="GIN")):
        markdown = [*at.markdown, *at.caption, *at.warning, *at.error, *at.info]
        assert not any(element.proto.allow_html for element in at.markdown)
        # Escaped, "\<img" and "\](" show as typed; unescaped they would be an image and a link.
        assert not any(re.search(r"(?<!\\)<img", element.value) for element in markdown)
        assert not any(re.search(r"(?<!\\)\]\(javascript", element.value) for element in markdown)
    rapports = _page(RAPPORTS, pays="GIN")
    assert r"\<img src=x onerror=alert(1)\> \*\*gras\*\* \[lien\](javascript:alert(1))" in _texts(
        rapports.markdown
    )


# --- Rapports ----------------------------------------------------------------------------------------


def test_rapports_lists_documents_kept_for_a_country(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    (documents,) = _tables_with(at, "Source", "who_gho")
    assert {ART_URL, STOCKOUT_URL, LIST_URL} <= set(documents["Lien"])
    stockout = _row(documents, Lien=STOCKOUT_URL)
    assert stockout["Empreinte"] == hashlib.sha256(REPORT_BYTES).hexdigest()[:12]
    assert stockout["Producteur"] == "Contributeurs cobase / cobase contributors"
    assert stockout["Publié le"] == date(2024, 8, 20)


def test_rapports_search_by_medicine_and_date(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    at.selectbox(key="traitement").set_value("tdf_3tc_dtg").run()
    at.date_input(key="du").set_value(date(2024, 8, 1)).run()
    assert not at.exception
    (documents,) = _tables_with(at, "Lien", STOCKOUT_URL)
    # The NGO report only: ART coverage (the 2024-09-15 revision) is a national figure, not about TLD.
    assert set(documents["Lien"]) == {STOCKOUT_URL}
    assert STOCKOUT in _texts(at.markdown)
    assert "**disponible**" not in _texts(at.markdown)  # its period, 2024, overlaps; published before


def test_rapports_shows_findings_with_the_contributed_badge(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    markdown = _texts(at.markdown)
    assert markdown.count("contribué / contributed") == 2
    assert f"**{STOCKOUT}**" in markdown
    assert f"« {STOCKOUT_QUOTE} » (p. 3)" in markdown


def test_confirm_then_retract_a_finding(store: str) -> None:
    with session_scope(open_store(store)) as session:
        finding_id = next(f.finding_id for f in list_findings(session, "GIN") if f.statement == STOCKOUT)
    at = _page(RAPPORTS, pays="GIN")
    at.button(key=f"confirmer_{finding_id}").click().run()
    assert "Indiquez votre nom" in _texts(at.error)
    at.text_input(key="relecteur").input("Dr Relecteur, ODSE")
    at.button(key=f"confirmer_{finding_id}").click().run()
    assert not at.exception
    assert f"Constat {finding_id} confirmé par Dr Relecteur, ODSE." in _texts(at.success)
    assert "contribué, confirmé / contributed, confirmed" in _texts(at.markdown)
    at.button(key=f"retirer_{finding_id}").click().run()
    assert f"Constat {finding_id} retiré par Dr Relecteur, ODSE." in _texts(at.success)
    assert STOCKOUT not in _texts(at.markdown)
    certificat = _certificat()
    assert not _tables_with(certificat, "Valeur", STOCKOUT)  # a retracted finding is no longer evidence


def test_add_a_finding_with_an_uploaded_document(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    upload = b"%PDF-1.4 rapport MSF 2024: les patients paient 5000 GNF par consultation"
    at.selectbox(key="constat_dimension").set_value("affordability")
    at.text_input(key="constat_traitement").input("Truvada")
    at.text_input(key="constat_date").input("2024-05")
    at.text_area(key="constat_enonce").input("Consultation payante dans les centres publics")
    at.text_area(key="constat_citation").input("les patients paient 5000 GNF par consultation")
    at.number_input(key="constat_page").set_value(7)
    at.file_uploader(key="constat_fichier").upload("rapport-msf-2024.pdf", upload, "application/pdf")
    at.text_input(key="constat_titre").input("Rapport MSF 2024 sur l'accès aux soins")
    at.text_input(key="constat_producteur").input("Médecins Sans Frontières")
    at.text_input(key="constat_auteur").input("Dr Exemple, MdM")
    at.button(key="constat_enregistrer").click().run()
    assert not at.exception
    assert "enregistré (contribué)" in _texts(at.success)
    with session_scope(open_store(store)) as session:
        saved = next(f for f in list_findings(session, "GIN") if f.statement.startswith("Consultation"))
    assert (saved.url, saved.page, saved.item, saved.dimension) == (
        "upload:rapport-msf-2024.pdf",
        7,
        "tdf_ftc",
        "affordability",
    )
    assert saved.snapshot_sha256 == hashlib.sha256(upload).hexdigest()
    assert saved.contributed_by == "Dr Exemple, MdM"
    assert "**Consultation payante dans les centres publics**" in _texts(at.markdown)


def test_a_finding_without_statement_is_refused_and_not_stored(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    at.text_input(key="constat_date").input("2024-05")
    at.text_input(key="constat_url").input("https://www.example.org/x.pdf")
    at.text_input(key="constat_auteur").input("Dr Exemple")
    at.button(key="constat_enregistrer").click().run()
    assert "Constat non enregistré : a finding needs a statement" in _texts(at.error)
    with session_scope(open_store(store)) as session:
        assert len(list_findings(session, "GIN")) == 2


def test_a_finding_with_a_javascript_url_is_refused_in_one_sentence(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    at.text_input(key="constat_date").input("2024-05")
    at.text_area(key="constat_enonce").input("Ruptures de stock de dolutégravir")
    at.text_input(key="constat_titre").input("Rapport")
    at.text_input(key="constat_producteur").input("MSF")
    at.text_input(key="constat_url").input("javascript:alert(document.cookie)")
    at.text_input(key="constat_auteur").input("Dr Exemple")
    at.button(key="constat_enregistrer").click().run()
    assert not at.exception
    assert _texts(at.error).startswith(
        "Constat non enregistré : l'adresse du document doit commencer par http:// ou https://"
    )
    with session_scope(open_store(store)) as session:
        assert len(list_findings(session, "GIN")) == 2


def test_a_finding_without_the_documents_title_is_refused(store: str) -> None:
    at = _page(RAPPORTS, pays="GIN")
    at.text_input(key="constat_date").input("2024-05")
    at.text_area(key="constat_enonce").input("Ruptures de stock de dolutégravir")
    at.text_input(key="constat_url").input("https://www.example.org/x.pdf")
    at.text_input(key="constat_auteur").input("Dr Exemple")
    at.button(key="constat_enregistrer").click().run()
    assert "indiquez le titre du document cité" in _texts(at.error)


# --- Sources -----------------------------------------------------------------------------------------


def test_sources_page_judges_freshness_against_the_cadence(store: str) -> None:
    table = _page(SOURCES).dataframe[0].value.set_index("Source")
    assert table.loc["who_gho", "Cadence"] == "monthly"
    assert table.loc["who_gho", "Fraîcheur"] == "en retard / overdue (151 j)"  # last success 2024-10-01
    assert table.loc["worldbank_wdi", "Fraîcheur"] == "jamais actualisée / never refreshed"
    assert table.loc["contributed", "Fraîcheur"] == "saisis à la main / entered by hand"
    assert table.loc["who_gho", "Licence"] == "CC BY-NC-SA 3.0 IGO"
    assert table.loc["worldbank_wdi", "Dernière erreur"].startswith("HTTP 500")


def test_a_source_refreshed_within_its_cadence_is_fresh(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2024, 10, 20, tzinfo=UTC))
    table = _page(SOURCES).dataframe[0].value.set_index("Source")
    assert table.loc["who_gho", "Fraîcheur"] == "à jour / fresh"


# Evidence cards and "then / now" (issue 9 §7) ---------------------------------------------------------


def test_each_value_is_a_card_with_its_date_basis_and_link(store: str) -> None:
    at = _certificat()
    cards = [m.value for m in at.markdown if m.value.startswith("**64\u202f%** · 2022")]
    assert len(cards) == 1 and ART_LABEL.split(" ")[0] in cards[0]
    dates = _texts(at.caption)
    assert "World Health Organization · " in dates
    assert re.search(
        r"publié au plus tard le \d\d/\d\d/\d{4}|date de première publication non établie", dates
    )
    links = [element for element in at.get("link_button") if ART_URL in str(element.proto)]
    assert links


def test_contest_shows_then_and_now_side_by_side(store: str) -> None:
    at = _contester(avis=OPINION.isoformat())
    assert "**Alors / maintenant — Then / now**" in [m.value for m in at.markdown]
    values = [m.value for m in at.markdown if m.value.startswith(("**60\u202f%**", "**64\u202f%**"))]
    assert values[:2] == ["**60\u202f%** · 2022", "**64\u202f%** · 2022"]


def test_export_error_is_shown_in_one_sentence(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ENTRY.parent))
    import journey  # type: ignore[import-not-found]

    def broken(*_args: object) -> bytes:
        raise RuntimeError("font missing")

    monkeypatch.setattr(journey.data, "dossier_bytes", broken)
    state: dict[str, object] = {}
    monkeypatch.setattr(journey.st, "session_state", state)
    body = journey.dossier_or_error("pdf", "db")
    assert body.decode("utf-8") == state[journey.EXPORT_ERROR_KEY]
    assert body.decode("utf-8").startswith(
        "Le dossier PDF n'a pas pu être produit (RuntimeError : font missing)"
    )
