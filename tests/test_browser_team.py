"""A real browser on a team instance and on a fresh machine, through ``cobase app`` itself.

Header mode: the app is started as an operator would behind an authenticating reverse proxy
(``COBASE_AUTH=header:X-Forwarded-User``, reading open); Chromium plays the proxy's part by sending the
header with every request (Playwright's ``extra_http_headers``), or not. First run: ``cobase app`` on a
store that does not exist yet shows the offer, one click loads the demonstration data, and every page
then carries the banner; the Markdown dossier downloaded from it does too. Both check that the toolbar
has no "Deploy" button and that the server listens on 127.0.0.1 only.

Skipped, saying why, when ``/usr/bin/chromium`` is absent; nothing reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cobase.db import open_store, session_scope
from cobase.findings import list_findings
from tests.test_browser import ARTIFACTS, CHROMIUM, STEP_TIMEOUT_MS, _wait_until_healthy, chromium, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

ROOT = Path(__file__).resolve().parent.parent
BANNER = "Données de démonstration : ces valeurs viennent des fichiers d'exemple de cobase"


@contextmanager
def cobase_app(
    database_url: str, log: Path, port: int | None = None, cwd: Path = ROOT, **env: str
) -> Iterator[str]:
    """``cobase app --db URL --port N`` as an operator starts it, from ``cwd``; yields its base URL.

    ``cobase app`` runs Streamlit as a child process, so both are started in a process group of their
    own and stopped together by that group's id.
    """
    port = port or free_port()
    environment = {
        **os.environ,
        "STREAMLIT_SERVER_HEADLESS": "true",  # no browser opened on the test machine
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        **env,
    }
    for name in ("COBASE_DB", "COBASE_DEMO_DB", "COBASE_APP_FETCH"):
        if name not in env:
            environment.pop(name, None)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cobase", "app", "--db", database_url, "--port", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_healthy(base, server, log)
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _listens_beyond_loopback(base: str) -> bool:
    """Whether the port also answers on this machine's other addresses (it must not)."""
    port = int(base.rsplit(":", 1)[1])
    try:
        others = {
            info[4][0]
            for info in socket.getaddrinfo(socket.gethostname(), port, socket.AF_INET)
            if not info[4][0].startswith("127.")
        }
    except OSError:
        return False
    for address in others:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex((address, port)) == 0:
                return True
    return False


def _no_deploy_button(page) -> None:  # type: ignore[no-untyped-def]
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0


def test_header_mode_writing_needs_the_proxys_user(tmp_path: Path) -> None:
    from tests.test_app_journeys import seed_journeys

    store = seed_journeys(tmp_path)
    env = {"COBASE_AUTH": "header:X-Forwarded-User", "COBASE_AUTH_READ": "anonymous"}
    with cobase_app(store, ARTIFACTS / "streamlit-team.log", **env) as base, chromium() as browser:
        assert not _listens_beyond_loopback(base)
        anonymous = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = anonymous.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{base}/rapports?pays=GIN")
        page.get_by_text("Connexion requise pour ajouter un constat").wait_for()
        assert page.get_by_role("button", name="Enregistrer le constat / Save the finding").count() == 0
        assert page.get_by_text("Ruptures de stock de TLD dans 4 sites de Conakry").count() >= 1  # reading
        _no_deploy_button(page)
        page.screenshot(path=str(ARTIFACTS / "team-anonymous.png"))
        anonymous.close()

        alice = browser.new_context(
            viewport={"width": 1400, "height": 1000},
            extra_http_headers={"X-Forwarded-User": "alice@example.org"},
        )
        page = alice.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(f"{base}/rapports?pays=GIN")
        page.get_by_text("Le constat sera enregistré au nom de alice@example.org").wait_for()
        assert page.get_by_label("Votre nom et organisation / Your name and organisation").count() == 0
        form = page.locator('[data-testid="stForm"]')
        form.locator(".st-key-constat_date input").fill("2024-05")
        form.locator(".st-key-constat_enonce textarea").fill("Consultation payante dans les centres publics")
        form.locator(".st-key-constat_titre input").fill("Rapport MSF 2024")
        form.locator(".st-key-constat_producteur input").fill("Médecins Sans Frontières")
        form.locator(".st-key-constat_fichier input[type=file]").set_input_files(
            files=[{"name": "rapport.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 5000 GNF"}]
        )
        page.get_by_role("button", name="Enregistrer le constat / Save the finding").click()
        page.get_by_text("enregistré (contribué)").wait_for()
        page.screenshot(path=str(ARTIFACTS / "team-alice.png"))
        alice.close()

    with session_scope(open_store(store)) as session:
        saved = next(f for f in list_findings(session, "GIN") if f.statement.startswith("Consultation"))
    assert saved.contributed_by == "alice@example.org"


def test_first_run_loads_the_demonstration_data_with_one_click(tmp_path: Path) -> None:
    real = tmp_path / "cobase.db"
    with (
        cobase_app(f"sqlite:///{real}", ARTIFACTS / "streamlit-first-run.log") as base,
        chromium() as browser,
    ):
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(base)
        page.get_by_text("Aucune donnée pour l'instant.").wait_for()
        _no_deploy_button(page)
        page.screenshot(path=str(ARTIFACTS / "first-run-empty.png"))
        page.get_by_role(
            "button", name="Charger les données de démonstration / Load the demonstration data"
        ).click()
        page.get_by_text(BANNER).wait_for()
        page.get_by_text("Aucune donnée pour l'instant.").wait_for(state="detached")  # the page has data now
        page.locator(".st-key-pays").wait_for()
        page.screenshot(path=str(ARTIFACTS / "first-run-loaded.png"))

        for path, heading in (("sources", "Sources"), ("pays", "Pays / Country"), ("rapports", "Rapports")):
            page.goto(f"{base}/{path}")
            page.get_by_role("heading", name=heading).first.wait_for()
            page.get_by_text(BANNER).wait_for()

        page.goto(f"{base}/?pays=GIN&pathologie=hiv")
        page.locator(".st-key-dossier_md button").wait_for()
        with page.expect_download() as download_info:
            page.locator(".st-key-dossier_md button").click()
        markdown = Path(download_info.value.path()).read_text(encoding="utf-8")
        context.close()

    assert markdown.startswith(f"**{BANNER}")
    assert real.with_name("cobase.demo.db").is_file()


def test_oidc_login_sends_the_browser_to_the_provider(tmp_path: Path) -> None:
    """``COBASE_AUTH=oidc``: the login button hands over to the provider named in secrets.toml.

    A local stand-in for Keycloak serves the discovery document and an authorization page; the test
    checks that Streamlit's ``st.login`` sends the browser there with cobase's client id and the
    ``redirect_uri`` of secrets.toml (what README's Keycloak steps configure).
    """
    import json
    from urllib.parse import parse_qs, urlsplit

    from pytest_httpserver import HTTPServer

    port = free_port()
    with HTTPServer(host="127.0.0.1", port=0) as provider:
        issuer = f"http://127.0.0.1:{provider.port}/realms/cobase"
        provider.expect_request("/realms/cobase/.well-known/openid-configuration").respond_with_data(
            json.dumps(
                {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
                    "token_endpoint": f"{issuer}/protocol/openid-connect/token",
                    "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            ),
            content_type="application/json",
        )
        provider.expect_request("/realms/cobase/protocol/openid-connect/auth").respond_with_data(
            "<html><body><h1>Keycloak (test)</h1></body></html>", content_type="text/html"
        )
        settings = tmp_path / ".streamlit"
        settings.mkdir()
        (settings / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-long-enough-0123456789"\n'
            'client_id = "cobase"\n'
            'client_secret = "test-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        store = f"sqlite:///{tmp_path / 'cobase.db'}"
        log = ARTIFACTS / "streamlit-oidc.log"
        with (
            cobase_app(store, log, port=port, cwd=tmp_path, COBASE_AUTH="oidc") as base,
            chromium() as browser,
        ):
            page = browser.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(base)
            page.get_by_text("Connexion requise pour consulter cette instance").wait_for()
            assert page.get_by_text("Préparer un certificat").count() == 0  # nothing shown before login
            page.get_by_role("button", name="Se connecter / Log in").click()
            page.get_by_role("heading", name="Keycloak (test)").wait_for()
            query = parse_qs(urlsplit(page.url).query)
            page.close()
    assert query["client_id"] == ["cobase"]
    assert query["redirect_uri"] == [f"http://127.0.0.1:{port}/oauth2callback"]
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()
