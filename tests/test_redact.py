"""No secrets in output (issue 12 §4): database passwords, API keys and appnames never appear in a log
line, a status table, an error message, a snapshot's ``request_meta`` or a stored URL."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Response

from cobase import cli
from cobase.db import open_store, session_scope
from cobase.models import Source
from cobase.redact import (
    MASK,
    install_log_redaction,
    redact_meta,
    redact_text,
    redact_url,
    register_environment,
    register_secret,
)
from cobase.snapshots import store_snapshot
from crawlers.items import RawResponse
from tests.e2e import (
    BadRefresh,
    good_store,
    good_then_bad_refresh,
    run_cli,
    sql_rows,
)

APPNAME = "cobase-redact-7qz4"
PASSWORD = "pg-S3cret-w9"
PG_URL = f"postgresql+psycopg://cobase:{PASSWORD}@127.0.0.1:9/cobase"


# --- the rules -----------------------------------------------------------------------------------------


def test_scrapy_gave_up_retrying_line_loses_its_appname() -> None:
    line = f"Gave up retrying <POST https://api.reliefweb.int/v2/reports?appname={APPNAME}> (failed 3 times)"
    assert redact_text(line) == (
        f"Gave up retrying <POST https://api.reliefweb.int/v2/reports?appname={MASK}> (failed 3 times)"
    )


def test_a_database_url_in_a_text_loses_its_password() -> None:
    assert redact_text(f"cannot open {PG_URL}: refused") == (
        f"cannot open postgresql+psycopg://cobase:{MASK}@127.0.0.1:9/cobase: refused"
    )


def test_a_registered_secret_is_masked_anywhere_and_url_encoded() -> None:
    register_secret("tok en/7Hq+x")
    assert redact_text("sent tok en/7Hq+x and tok+en%2F7Hq%2Bx") == f"sent {MASK} and {MASK}"


def test_secrets_are_read_from_the_environment() -> None:
    register_environment({"COBASE_RELIEFWEB_APPNAME": "env-app-5rt", "COBASE_DB": PG_URL, "HOME": "/root"})
    assert redact_text("env-app-5rt /root") == f"{MASK} /root"
    assert PASSWORD not in redact_text(f"dsn password {PASSWORD}")


def test_a_stored_url_keeps_every_other_byte() -> None:
    url = "https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?$filter=SpatialDim%20eq%20'GIN'&$skip=3"
    assert redact_url(url) == url
    keyed = "https://example.org/data?format=json&api_key=abc123&page=2&Key=zz#top"
    assert redact_url(keyed) == f"https://example.org/data?format=json&api_key={MASK}&page=2&Key={MASK}#top"


def test_a_stored_url_masks_a_registered_secret_only_as_a_whole_value() -> None:
    register_secret("value-7788")
    assert redact_url("https://x.org/value-7788/a?q=value-7788&r=value-77889") == (
        f"https://x.org/value-7788/a?q={MASK}&r=value-77889"
    )


def test_request_meta_masks_credential_keys_and_secrets_in_texts() -> None:
    register_secret(APPNAME)
    meta = {"country": "GIN", "appname": "x", "nested": {"apiKey": "y", "note": f"with {APPNAME}"}, "page": 2}
    assert redact_meta(meta) == {
        "country": "GIN",
        "appname": MASK,
        "nested": {"apiKey": MASK, "note": f"with {MASK}"},
        "page": 2,
    }


# --- logs ----------------------------------------------------------------------------------------------


def test_every_log_line_is_redacted_even_by_handlers_added_later() -> None:
    install_log_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # created after install, as Scrapy's own handler is
    logger = logging.getLogger("scrapy.downloadermiddlewares.retry")
    logger.addHandler(handler)
    try:
        logger.error(
            "Gave up retrying %(request)s (failed %(retry_times)d times): %(reason)s",
            {
                "request": f"<POST http://127.0.0.1:1/v2/reports?appname={APPNAME}>",
                "retry_times": 2,
                "reason": "503",
            },
        )
        try:
            raise RuntimeError(f"connect to {PG_URL} failed")
        except RuntimeError:
            logger.exception("store failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert f"appname={MASK}>" in output and "store failed" in output and "RuntimeError" in output
    assert APPNAME not in output and PASSWORD not in output


def test_a_debug_record_nobody_shows_is_never_formatted() -> None:
    install_log_redaction()

    class Expensive:
        def __str__(self) -> str:
            raise AssertionError("formatted")

    logging.getLogger("scrapy.core.scraper").debug("Scraped %s", Expensive())


# --- stored snapshots ----------------------------------------------------------------------------------


def test_a_snapshot_stores_no_credential(tmp_path: Path) -> None:
    register_secret(APPNAME)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    raw = RawResponse(
        source="reliefweb_reports",
        url=f"https://api.reliefweb.int/v2/reports?appname={APPNAME}&offset=0",
        status=200,
        body=b"{}",
        content_type="application/json",
        retrieved_at="2026-01-02T03:04:05+00:00",
        request_meta={"country": "GIN", "token": "t0k3n-abc", "query": f"q {APPNAME}"},
    )
    with session_scope(engine) as session:
        source = Source(
            key="reliefweb_reports", producer="OCHA", title="ReliefWeb", url_main="", licence_name=""
        )
        session.add(source)
        session.flush()
        store_snapshot(session, source, raw, raw.url)
        again = store_snapshot(session, source, raw, raw.url)  # the same request is still recognised
    assert not again.is_new
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT url, canonical_url, request_meta FROM snapshot")).one()
    assert row.url == row.canonical_url == f"https://api.reliefweb.int/v2/reports?appname={MASK}&offset=0"
    assert json.loads(row.request_meta) == {"country": "GIN", "token": MASK, "query": f"q {MASK}"}


# --- status and errors ---------------------------------------------------------------------------------


def test_status_title_hides_the_database_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with session_scope(store) as session:
        session.add(Source(key="who_gho", producer="WHO", title="GHO", url_main="", licence_name=""))
    monkeypatch.setattr(cli, "_engine", lambda db, **_: store)
    result = CliRunner().invoke(cli.app, ["status", "--db", PG_URL], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"postgresql+psycopg://cobase:{MASK}@127.0.0.1:9/cobase" in result.output
    assert PASSWORD not in result.output


def test_an_unreachable_database_error_hides_its_password(tmp_path: Path) -> None:
    result = run_cli("status", db=PG_URL)
    assert result.returncode != 0
    assert "Error" in result.stderr and "Traceback" not in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


# --- a real refresh: ReliefWeb gives up retrying -------------------------------------------------------

RELIEFWEB = "reliefweb_reports"
FIELDS = {RELIEFWEB: {"page_size": 2, "params": {"countries": ["GIN", "CIV", "SEN"], "max_pages": 3}}}


@pytest.fixture(scope="module")
def gave_up(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> BadRefresh:
    """A good ReliefWeb store (made in-process), then ``cobase refresh`` where every search answers 503
    until Scrapy's retry middleware gives up and logs it."""
    tmp = tmp_path_factory.mktemp("gave_up")
    env = {"COBASE_RELIEFWEB_APPNAME": APPNAME}
    return good_then_bad_refresh(
        local_server,
        tmp,
        [RELIEFWEB],
        "/v2/reports",
        Response("busy", status=503),
        "HTTP 503",
        extra_source_fields=FIELDS,
        env=env,
        good_store=good_store(local_server, tmp / "good", [RELIEFWEB], FIELDS, env),
    )


def test_gave_up_retrying_is_logged_without_the_appname(gave_up: BadRefresh) -> None:
    assert gave_up.result.returncode == 1
    assert "Gave up retrying <POST" in gave_up.result.stderr
    assert f"appname={MASK}" in gave_up.result.stderr
    assert APPNAME not in gave_up.result.stdout + gave_up.result.stderr


def test_the_failed_run_and_status_hold_no_appname(gave_up: BadRefresh) -> None:
    assert "HTTP 503" in gave_up.status[RELIEFWEB]["last_error"]
    assert APPNAME not in json.dumps(gave_up.status)
    stored = sql_rows(gave_up.db, "SELECT error FROM refresh_run") + sql_rows(
        gave_up.db, "SELECT url, canonical_url, request_meta FROM snapshot"
    )
    assert stored and APPNAME not in json.dumps(stored)


def test_nothing_stored_before_is_lost_when_retries_give_up(gave_up: BadRefresh) -> None:
    assert len(gave_up.before) > 0 and gave_up.after == gave_up.before


def test_the_status_table_of_a_store_shows_no_appname(gave_up: BadRefresh) -> None:
    result = run_cli("status", db=gave_up.db)
    assert result.returncode == 2 and RELIEFWEB in result.stdout  # 2: a source failed (monitoring exit code)
    assert APPNAME not in result.stdout + result.stderr


def test_an_sdmx_series_key_in_request_meta_is_not_a_credential() -> None:
    # The OECD spider sends the series key it asked for; the parser refuses an answer that does not match it.
    key = "AUS+AUT.A.EXP_HEALTH.PT_EXP_HLTH"
    assert redact_meta({"dataflow": "OECD.ELS.HD,DSD_SHA@DF_SHA,1.1", "key": key})["key"] == key
    assert redact_meta({"Key": "x" * 10})["Key"] == MASK  # any other spelling is still a credential
