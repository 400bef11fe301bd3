"""A team instance and a first run, driven by ``AppTest``.

Header mode (``COBASE_AUTH=header:X-Forwarded-User``): AppTest has no HTTP request, so the header the
reverse proxy would set is given by replacing :func:`auth.request_headers` (the one place the app reads
it); the Chromium test (``test_browser_team.py``) sends a real header. First run: an empty store offers
the demonstration data, which goes into a separate store and banners every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from pytest_httpserver import HTTPServer
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from cobase.db import open_store, session_scope
from cobase.findings import list_findings
from cobase.queries import observation_count
from tests.test_app_journeys import STOCKOUT, seed_journeys

APP_DIR = Path(__file__).resolve().parent.parent / "streamlit_app"
ENTRY = APP_DIR / "streamlit_app.py"
RAPPORTS = "views/rapports.py"
PAGES = ("views/certificat.py", "views/contester.py", "views/country.py", RAPPORTS, "views/sources.py")
AUTHOR = "Dr Exemple, Comede"  # who entered the seeded findings
TIMEOUT_SECONDS = 120


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("COBASE_AUTH", "COBASE_AUTH_READ", "COBASE_APP_FETCH", "COBASE_DEMO_DB"):
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = seed_journeys(tmp_path)
    monkeypatch.setenv("COBASE_DB", url)
    return url


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Header mode, reading open to all; the returned dict is what the proxy sends (edit it to log in)."""
    monkeypatch.setenv("COBASE_AUTH", "header:X-Forwarded-User")
    monkeypatch.setenv("COBASE_AUTH_READ", "anonymous")
    monkeypatch.syspath_prepend(str(APP_DIR))
    import auth  # the module the app's pages import (same sys.modules entry)

    headers: dict[str, str] = {}
    monkeypatch.setattr(auth, "request_headers", lambda: headers)
    return headers


def _rapports() -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS)
    at.query_params["pays"] = "GIN"
    at.run()
    at.switch_page(RAPPORTS).run()
    assert not at.exception, at.exception
    return at


def _texts(elements: object) -> str:
    return "\n".join(str(element.value) for element in elements)  # type: ignore[attr-defined]


def _keys(at: AppTest) -> set[str]:
    return {widget.key for widget in [*at.button, *at.text_input, *at.text_area] if widget.key}


def _finding_id(store: str, statement: str) -> str:
    with session_scope(open_store(store)) as session:
        return next(f.finding_id for f in list_findings(session, "GIN") if f.statement == statement)


# --- Header mode -----------------------------------------------------------------------------------


def test_without_login_findings_are_read_but_cannot_be_written(store: str, proxy: dict[str, str]) -> None:
    at = _rapports()
    assert f"**{STOCKOUT}**" in _texts(at.markdown)  # reading stays anonymous, as configured
    assert "Connexion requise pour ajouter un constat" in _texts(at.info)
    assert "Connexion requise pour confirmer ou retirer un constat" in _texts(at.info)
    assert {"constat_enregistrer", "constat_auteur", "relecteur"}.isdisjoint(_keys(at))  # no form, no name
    review = [b for b in at.button if b.key and b.key.startswith(("confirmer_", "retirer_"))]
    assert len(review) == 4 and all(button.disabled for button in review)


def test_a_finding_is_recorded_under_the_logged_in_identity(store: str, proxy: dict[str, str]) -> None:
    proxy["X-Forwarded-User"] = "alice@example.org"
    at = _rapports()
    assert "Le constat sera enregistré au nom de alice@example.org" in _texts(at.caption)
    assert "constat_auteur" not in _keys(at)  # identity is recorded, never typed
    at.selectbox(key="constat_dimension").set_value("affordability")
    at.text_input(key="constat_date").input("2024-05")
    at.text_area(key="constat_enonce").input("Consultation payante dans les centres publics")
    at.text_input(key="constat_titre").input("Rapport MSF 2024")
    at.text_input(key="constat_producteur").input("Médecins Sans Frontières")
    at.file_uploader(key="constat_fichier").upload("rapport.pdf", b"%PDF-1.4 5000 GNF", "application/pdf")
    at.button(key="constat_enregistrer").click().run()
    assert not at.exception, at.exception
    assert "enregistré (contribué)" in _texts(at.success)
    with session_scope(open_store(store)) as session:
        saved = next(f for f in list_findings(session, "GIN") if f.statement.startswith("Consultation"))
    assert saved.contributed_by == "alice@example.org"


def test_the_author_cannot_confirm_their_own_finding(store: str, proxy: dict[str, str]) -> None:
    finding_id = _finding_id(store, STOCKOUT)
    proxy["X-Forwarded-User"] = AUTHOR
    at = _rapports()
    assert at.button(key=f"confirmer_{finding_id}").disabled
    assert not at.button(key=f"retirer_{finding_id}").disabled  # an author may withdraw their own work


def test_the_identity_is_checked_at_the_click_not_only_in_the_page(store: str, proxy: dict[str, str]) -> None:
    finding_id = _finding_id(store, STOCKOUT)
    proxy["X-Forwarded-User"] = "bob@example.org"
    at = _rapports()
    assert not at.button(key=f"confirmer_{finding_id}").disabled
    proxy["X-Forwarded-User"] = AUTHOR  # the page was shown to bob; the author clicks
    at.button(key=f"confirmer_{finding_id}").click().run()
    assert "une autre personne doit le confirmer" in _texts(at.error)
    assert at.button(key=f"confirmer_{finding_id}").disabled  # now shown to the author
    proxy["X-Forwarded-User"] = "bob@example.org"
    at.run()
    at.button(key=f"confirmer_{finding_id}").click().run()
    assert f"Constat {finding_id} confirmé par bob@example.org." in _texts(at.success)
    with session_scope(open_store(store)) as session:
        confirmed = next(f for f in list_findings(session, "GIN") if f.finding_id == finding_id)
    assert (confirmed.status, confirmed.contributed_by, confirmed.versions) == (
        "confirmed",
        "bob@example.org",
        2,
    )


def test_without_anonymous_reading_every_page_asks_for_a_login(
    store: str, proxy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBASE_AUTH_READ", "login")
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert not at.exception
    assert "Connexion requise pour consulter cette instance" in _texts(at.info)
    assert [title.value for title in at.title] == ["cobase"]
    assert not at.dataframe and not at.selectbox  # nothing of the store is shown
    proxy["X-Forwarded-User"] = "alice@example.org"
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert at.title[0].value == "Préparer un certificat"
    assert "Connecté : alice@example.org / Logged in" in _texts(at.sidebar.caption)


def test_oidc_mode_offers_the_providers_login(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COBASE_AUTH", "oidc")
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert not at.exception
    assert "Connexion requise pour consulter cette instance" in _texts(at.info)
    assert any(button.label == "Se connecter / Log in" for button in at.button)


def test_a_typo_in_cobase_auth_stops_the_app_in_one_sentence(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBASE_AUTH", "basic")
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Configuration de l'accès invalide / Invalid access settings: COBASE_AUTH must be 'oidc' or "
        "'header:X-Forwarded-User' (or unset), not 'basic'"
    ]
    assert not at.title


@pytest.mark.parametrize(
    ("app_fetch", "path", "refusal"),
    [
        (None, "/rapport.pdf", "ce serveur ne récupère pas les documents à partir d'une adresse"),
        ("1", "/admin", "désigne une adresse non publique (127.0.0.1)"),  # allowed: public addresses only
    ],
)
def test_a_typed_url_is_fetched_only_when_allowed_and_only_from_a_public_address(
    store: str, monkeypatch: pytest.MonkeyPatch, app_fetch: str | None, path: str, refusal: str
) -> None:
    if app_fetch is not None:
        monkeypatch.setenv("COBASE_APP_FETCH", app_fetch)
    with HTTPServer(host="127.0.0.1", port=0) as server:
        server.expect_request(path).respond_with_data(b"internal")
        at = _rapports()
        at.text_input(key="constat_date").input("2024-05")
        at.text_area(key="constat_enonce").input("Ruptures de stock")
        at.text_input(key="constat_titre").input("Rapport")
        at.text_input(key="constat_producteur").input("MSF")
        at.text_input(key="constat_url").input(server.url_for(path))
        at.text_input(key="constat_auteur").input("Dr Exemple")
        at.button(key="constat_enregistrer").click().run()
        assert not at.exception
        assert refusal in _texts(at.error)
        assert server.log == []
    with session_scope(open_store(store)) as session:
        assert len(list_findings(session, "GIN")) == 2


def test_cobase_app_listens_on_this_machine_only_without_error_details(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cobase import cli

    calls: list[list[str]] = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command, env: calls.append(command) or 0)
    assert CliRunner().invoke(cli.app, ["app", "--db", "sqlite:///x.db"]).exit_code == 0
    assert CliRunner().invoke(cli.app, ["app", "--host", "0.0.0.0"]).exit_code == 0
    options = [dict(zip(command[5::2], command[6::2], strict=False)) for command in calls]
    assert options[0]["--server.address"] == "127.0.0.1"
    assert options[1]["--server.address"] == "0.0.0.0"
    assert options[0]["--client.showErrorDetails"] == "none"
    assert options[0]["--client.toolbarMode"] == "viewer"
    monkeypatch.setenv("COBASE_AUTH", "header:")
    result = CliRunner().invoke(cli.app, ["app"])
    assert result.exit_code == 2 and "COBASE_AUTH=header:NAME needs a header name" in result.output
    monkeypatch.delenv("COBASE_AUTH")
    result = CliRunner().invoke(cli.app, ["app", "--db", "mysql://cobase:hunter2@db/cobase"])
    assert result.exit_code == 2 and "not mysql" in result.output and "hunter2" not in result.output
    assert len(calls) == 2  # neither typo started a server


def test_streamlit_config_hides_errors_and_the_deploy_button() -> None:
    import tomllib

    config = tomllib.loads((APP_DIR.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"] == {"showErrorDetails": "none", "toolbarMode": "viewer"}
    assert config["server"]["address"] == "127.0.0.1"


# --- First run -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No store yet: the real one will be ``cobase.db`` in an empty folder."""
    real = tmp_path / "cobase.db"
    monkeypatch.setenv("COBASE_DB", f"sqlite:///{real}")
    return real


def test_first_run_loads_the_demonstration_data_into_a_separate_store(fresh_machine: Path) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert not at.exception
    assert "Aucune donnée pour l'instant" in _texts(at.info)
    assert "cobase refresh" in _texts(at.markdown)  # how to fetch real data
    assert not at.warning  # no banner before any demonstration data
    at.button(key="charger_demonstration").click().run()
    assert not at.exception, at.exception
    demo = fresh_machine.with_name("cobase.demo.db")
    assert demo.is_file()
    with session_scope(open_store(f"sqlite:///{fresh_machine}")) as session:
        assert observation_count(session) == 0  # the real store never receives sample data
    with session_scope(open_store(f"sqlite:///{demo}")) as session:
        assert observation_count(session) > 100
    assert "Données de démonstration : ces valeurs viennent des fichiers d'exemple" in _texts(at.warning)
    assert "Aucune donnée pour l'instant" not in _texts(at.info)
    for page in PAGES:  # the banner is on every page
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert "Données de démonstration" in _texts(at.warning), page


def test_first_run_on_a_team_instance_needs_a_login_to_load(
    fresh_machine: Path, proxy: dict[str, str]
) -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert "Connexion requise pour charger les données de démonstration" in _texts(at.info)
    assert "charger_demonstration" not in _keys(at)
    assert not fresh_machine.with_name("cobase.demo.db").exists()


def test_real_data_takes_over_from_the_demonstration_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a refresh fills the real store, the app reads it, without the banner."""
    real = seed_journeys(tmp_path)
    demo = tmp_path / "journeys.demo.db"
    from cobase.demonstration import mark_demonstration

    with session_scope(open_store(f"sqlite:///{demo}")) as session:
        mark_demonstration(session)
    monkeypatch.setenv("COBASE_DB", real)
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT_SECONDS).run()
    assert not at.exception
    assert at.title[0].value == "Préparer un certificat"
    assert "Données de démonstration" not in _texts(at.warning)
