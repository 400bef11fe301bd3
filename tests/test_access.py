"""A team instance's rules, in the library: who may read and write, no self-confirmation, and a server
that fetches a typed URL only when allowed, only from a public address, within the crawls' limits."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cobase import webfetch
from cobase.access import AccessPolicy, AccessSettingError, access_policy, same_person
from cobase.db import open_store, session_scope
from cobase.findings import FindingError, add_finding, get_finding, list_findings, set_status
from cobase.webfetch import UnsafeFetchError, fetch_public, user_url_fetcher

# --- Settings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, AccessPolicy()),
        ({"COBASE_AUTH": "oidc"}, AccessPolicy(mode="oidc")),
        (
            {"COBASE_AUTH": "header:X-Forwarded-User", "COBASE_AUTH_READ": "anonymous"},
            AccessPolicy(mode="header", header="X-Forwarded-User", anonymous_read=True),
        ),
        ({"COBASE_APP_FETCH": "1"}, AccessPolicy(fetch_urls=True)),
    ],
)
def test_access_settings_are_read(environ: dict[str, str], expected: AccessPolicy) -> None:
    assert access_policy(environ) == expected


def test_reading_is_open_only_when_said_so() -> None:
    assert access_policy({"COBASE_AUTH": "oidc"}).login_required_to_read
    assert not access_policy({"COBASE_AUTH": "oidc", "COBASE_AUTH_READ": "anonymous"}).login_required_to_read
    assert access_policy({"COBASE_AUTH": "oidc", "COBASE_AUTH_READ": "anonymous"}).identified_writers
    assert not access_policy({}).identified_writers


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"COBASE_AUTH": "basic"}, "COBASE_AUTH must be 'oidc' or 'header:X-Forwarded-User'"),
        ({"COBASE_AUTH": "header:"}, "COBASE_AUTH=header:NAME needs a header name"),
        ({"COBASE_AUTH": "header:X User"}, "COBASE_AUTH=header:NAME needs a header name"),
        ({"COBASE_AUTH_READ": "everyone"}, "COBASE_AUTH_READ must be 'anonymous' or 'login'"),
        ({"COBASE_APP_FETCH": "maybe"}, "COBASE_APP_FETCH must be 1 or 0"),
    ],
)
def test_a_setting_typo_is_one_sentence_never_an_open_door(environ: dict[str, str], message: str) -> None:
    with pytest.raises(AccessSettingError, match="^" + message.replace("(", r"\(")):
        access_policy(environ)


def test_same_person_ignores_case_and_spacing_only() -> None:
    assert same_person("Alice@Example.org", " alice@example.org ")
    assert not same_person("alice@example.org", "bob@example.org")
    assert not same_person(None, "alice")


# --- No self-confirmation ----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'findings.db'}"
    open_store(url)
    return url


def _add(store: str, tmp_path: Path, by: str) -> str:
    document = tmp_path / "rapport.txt"
    document.write_text("Ruptures de dolutégravir à Conakry en mars 2024.", encoding="utf-8")
    with session_scope(open_store(store)) as session:
        return add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement="Ruptures de dolutégravir",
            period="2024-03",
            contributed_by=by,
            title="Rapport",
            producer="MSF",
            file=document,
        ).finding_id


def test_the_author_cannot_confirm_a_finding(store: str, tmp_path: Path) -> None:
    finding_id = _add(store, tmp_path, "alice@example.org")
    with session_scope(open_store(store)) as session, pytest.raises(FindingError, match="saisi par alice"):
        set_status(session, finding_id, "confirmed", "  ALICE@example.org")
    with session_scope(open_store(store)) as session:
        refused = get_finding(session, finding_id)
        assert (refused.status, refused.versions) == ("contributed", 1)  # nothing written by the refusal
        confirmed = set_status(session, finding_id, "confirmed", "bob@example.org")
    assert (confirmed.status, confirmed.contributed_by, confirmed.versions) == (
        "confirmed",
        "bob@example.org",
        2,
    )


def test_the_author_may_still_retract_their_own_finding(store: str, tmp_path: Path) -> None:
    finding_id = _add(store, tmp_path, "alice@example.org")
    with session_scope(open_store(store)) as session:
        assert set_status(session, finding_id, "retracted", "alice@example.org").status == "retracted"


def test_the_cli_refuses_self_confirmation_in_one_sentence(store: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cobase.cli import app

    finding_id = _add(store, tmp_path, "Dr A")
    result = CliRunner().invoke(app, ["finding", "confirm", finding_id, "--by", "dr a", "--db", store])
    assert result.exit_code == 2
    assert "une autre personne doit le confirmer" in result.output


# --- Fetching a typed URL ------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    with HTTPServer(host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only for tests of the fetch itself: the local server's loopback address counts as public."""
    monkeypatch.setattr(webfetch, "is_public", lambda ip: ip == ipaddress.ip_address("127.0.0.1"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///dev/zero", "seules les adresses http:// ou https://"),
        ("ftp://example.org/x.pdf", "seules les adresses http:// ou https://"),
        ("http://127.0.0.1:9/x.pdf", "adresse non publique (127.0.0.1)"),
        ("http://localhost:9/x.pdf", "adresse non publique"),
        ("http://10.1.2.3/x.pdf", "adresse non publique (10.1.2.3)"),
        ("http://192.168.1.1/x.pdf", "adresse non publique (192.168.1.1)"),
        ("http://169.254.169.254/latest/meta-data/", "adresse non publique (169.254.169.254)"),
        ("http://[::1]:9/x.pdf", "adresse non publique (::1)"),
        ("http://[::ffff:127.0.0.1]:9/x.pdf", "adresse non publique"),
        ("http://0.0.0.0:9/x.pdf", "adresse non publique (0.0.0.0)"),
    ],
)
def test_only_public_http_addresses_are_fetched(url: str, message: str) -> None:
    with pytest.raises(UnsafeFetchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fetch_public(url, "contributed")


def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]  # one public, one private: refused as a whole

    with pytest.raises(UnsafeFetchError, match=r"rebind\.example\.org désigne une adresse non publique"):
        fetch_public("https://rebind.example.org/x.pdf", "contributed", resolver=resolver)


def test_a_public_document_is_fetched_from_the_address_that_was_checked(
    server: HTTPServer, loopback_is_public: None
) -> None:
    server.expect_request("/rapport.pdf").respond_with_data(
        b"%PDF-1.4 rapport", content_type="application/pdf"
    )
    port = server.port
    # The name resolves (once) to the checked address; the connection goes there, not to a new lookup.
    raw = fetch_public(
        f"http://rapport.example.org:{port}/rapport.pdf", "contributed", resolver=lambda h, p: ["127.0.0.1"]
    )
    assert (raw.status, raw.body, raw.content_type) == (200, b"%PDF-1.4 rapport", "application/pdf")
    assert server.log[0][0].headers["Host"] == f"rapport.example.org:{port}"


def test_a_redirect_to_a_private_address_is_refused(server: HTTPServer, loopback_is_public: None) -> None:
    server.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "http://10.0.0.5/admin"}
    )
    with pytest.raises(UnsafeFetchError, match=r"adresse non publique \(10\.0\.0\.5\)"):
        fetch_public(server.url_for("/go"), "contributed")


def test_a_body_over_the_cap_is_refused_while_streaming(server: HTTPServer, loopback_is_public: None) -> None:
    server.expect_request("/big").respond_with_data(b"x" * 300_000)
    with pytest.raises(UnsafeFetchError, match="dépasse la taille maximale"):
        fetch_public(server.url_for("/big"), "contributed", max_bytes=200_000)


def test_a_slow_server_hits_the_timeout(loopback_is_public: None) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        port = listener.getsockname()[1]
        with pytest.raises(UnsafeFetchError, match="n'a pas pu être récupéré"):
            fetch_public(f"http://127.0.0.1:{port}/x", "contributed", timeout=0.5)
    finally:
        listener.close()


def test_the_app_advises_an_upload_after_the_refusal_in_each_language(
    server: HTTPServer, loopback_is_public: None
) -> None:
    """The app's fetcher adds its own advice (upload the file) to the cause, in French and in English."""
    server.expect_request("/gone.pdf").respond_with_data("", status=404)
    with pytest.raises(UnsafeFetchError) as refused:
        user_url_fetcher("contributed", enabled=True)(server.url_for("/gone.pdf"))
    french, english = str(refused.value).split(" / ")
    assert french == "127.0.0.1 a répondu 404 : déposez le fichier"
    assert english == "127.0.0.1 answered 404; upload the file instead"


def test_the_crawls_limits_apply() -> None:
    from crawlers import settings

    max_bytes, timeout = webfetch.crawl_limits()
    assert timeout == settings.DOWNLOAD_TIMEOUT == 60
    assert max_bytes == getattr(settings, "DOWNLOAD_MAXSIZE", webfetch.DEFAULT_MAX_BYTES)


@pytest.mark.parametrize(
    ("enabled", "refusal"),
    [
        (False, "déposez le fichier"),  # without COBASE_APP_FETCH a typed URL is never fetched
        (True, "non publique"),  # with it, a loopback URL is still refused
    ],
)
def test_a_typed_loopback_url_is_never_fetched_by_the_app(
    server: HTTPServer, store: str, enabled: bool, refusal: str
) -> None:
    server.expect_request("/x.pdf").respond_with_data(b"%PDF-1.4")
    with session_scope(open_store(store)) as session, pytest.raises(FindingError, match=refusal):
        add_finding(
            session,
            country="GIN",
            dimension="continuity",
            statement="S",
            period="2024",
            contributed_by="alice",
            title="T",
            producer="P",
            url=server.url_for("/x.pdf"),
            url_fetcher=user_url_fetcher("contributed", enabled=enabled),
        )
    assert server.log == []
    with session_scope(open_store(store)) as session:
        assert list_findings(session) == []


# --- The command line's fetch: the same path, on the operator's own network -----------------------------


def test_the_command_line_fetches_through_the_same_path_with_the_same_cap(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cobase finding add --url`` / ``document add --url`` may read a loopback address (the operator's own
    machine) but keeps the crawls' size cap and redirect limit: one fetch path, not a second one."""
    from cobase.snapshots import DocumentFetchError, fetch_document

    server.expect_request("/small.pdf").respond_with_data(b"%PDF-1.4 ok", content_type="application/pdf")
    server.expect_request("/big.pdf").respond_with_data(b"x" * 300_000)
    server.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    raw = fetch_document("documents", server.url_for("/small.pdf"), None)
    assert (raw.status, raw.body, raw.content_type) == (200, b"%PDF-1.4 ok", "application/pdf")
    monkeypatch.setattr(webfetch, "crawl_limits", lambda: (200_000, 5.0))
    with pytest.raises(DocumentFetchError, match=r"dépasse la taille maximale.*--file") as refused:
        fetch_document("documents", server.url_for("/big.pdf"), None)
    # One sentence in each language, the command line's advice at the end of each, nothing nested.
    french, english = str(refused.value).split(" / ")
    assert french.endswith("téléchargez-le et passez-le avec --file pour que sa copie soit gardée")
    assert english.endswith("download it and pass it with --file so its snapshot is kept")
    assert "déposez" not in str(refused.value) and "upload" not in str(refused.value)
    with pytest.raises(DocumentFetchError, match=f"plus de {webfetch.MAX_REDIRECTS} redirections"):
        fetch_document("documents", server.url_for("/loop"), None)
