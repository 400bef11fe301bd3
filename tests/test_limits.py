"""Bounded resources (issue 12 §3): a body or a ZIP member beyond its source's limit is refused while it
streams, with one sentence naming the limit, and nothing stored before is lost.

Limits come from sources.yml (``defaults:`` and per source); they must fit every real file.
"""

from __future__ import annotations

import gzip
import io
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cobase.limits import DEFAULT_MAX_BODY_MB, DEFAULT_MAX_ZIP_MEMBER_MB, MEGABYTE
from cobase.parse import ParseError, unaids_aidsinfo, who_ncd_ccs
from cobase.parse._zip import MemberTooLarge, _CappedReader, bounded_lines, current_limit, zip_member_limit
from cobase.registry import SourcesFileError, load_registry
from tests.e2e import (
    FIXTURES,
    PEAK_FILE_VARIABLE,
    BadRefresh,
    base_url,
    database_url,
    good_store,
    good_then_bad_refresh,
    peak_memory_mb,
    refresh_sources,
    sql_rows,
)
from tests.helpers import REAL_RECORDINGS

ZIP_URL = "https://aidsinfo.unaids.org/documents/Estimates_2024_en.zip"
BOMB_MB = 1536  # the 1.5 GB member the issue reproduced (8.9 GB peak, 188 s before)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1.5 MB ZIP whose CSV member inflates to 1.5 GB (zeros), written as a stream."""
    path = tmp_path_factory.mktemp("bomb") / "Estimates_2025_en.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("Estimates_2025_en.csv", "w", force_zip64=True) as member,
    ):
        chunk = bytes(MEGABYTE)
        for _ in range(BOMB_MB):
            member.write(chunk)
    return path


# --- the registry: limits stated in sources.yml -------------------------------------------------------


def test_project_sources_state_the_default_limits() -> None:
    registry = load_registry()
    assert (registry.defaults.max_body_mb, registry.defaults.max_zip_member_mb) == (100, 300)


def test_every_source_gets_the_default_limits_unless_it_sets_its_own(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "sources.yml").read_text(encoding="utf-8")
    text = text.replace("  max_body_mb: 100\n", "  max_body_mb: 20\n", 1)
    text = text.replace(
        "    base_url: https://aidsinfo.unaids.org\n",
        "    base_url: https://aidsinfo.unaids.org\n    max_zip_member_mb: 5\n",
        1,
    )
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    registry = load_registry(path)
    assert registry.get("who_gho").max_body_bytes == 20 * MEGABYTE
    assert registry.get("unaids_aidsinfo").max_zip_member_bytes == 5 * MEGABYTE
    assert registry.get("who_gho").max_zip_member_mb == 300


def test_unknown_key_in_defaults_names_it(tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("defaults:\n  max_body: 3\nsources: {}\n", encoding="utf-8")
    with pytest.raises(SourcesFileError, match=r"defaults: unknown key 'max_body'"):
        load_registry(path)


def test_a_limit_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("defaults:\n  max_zip_member_mb: 0\nsources: {}\n", encoding="utf-8")
    with pytest.raises(SourcesFileError, match="max_zip_member_mb"):
        load_registry(path)


def test_code_defaults_match_the_file() -> None:
    registry = load_registry()
    assert (
        registry.defaults.max_body_mb,
        registry.defaults.max_zip_member_mb,
    ) == (DEFAULT_MAX_BODY_MB, DEFAULT_MAX_ZIP_MEMBER_MB)


def _real_files() -> list[Path]:
    if not REAL_RECORDINGS.is_dir():
        pytest.skip("the real recordings (../shared/fixtures) are absent")
    return sorted(path for path in REAL_RECORDINGS.rglob("*") if path.is_file())


def test_defaults_fit_every_real_body() -> None:
    files = _real_files()
    largest = max(files, key=lambda path: path.stat().st_size)
    assert largest.stat().st_size == 3_831_321  # Supply_Chain_Shipment_Pricing_Data.csv
    inflated = max(len(gzip.decompress(path.read_bytes())) for path in files if path.suffix == ".gz")
    assert inflated == 36_735_276  # Global Fund disbursements, counted inflated when served gzipped
    assert max(largest.stat().st_size, inflated) < DEFAULT_MAX_BODY_MB * MEGABYTE


def test_defaults_fit_every_real_zip_member() -> None:
    sizes = [
        info.file_size
        for path in _real_files()
        if zipfile.is_zipfile(path)
        for info in zipfile.ZipFile(path).infolist()
    ]
    assert len(sizes) > 20 and max(sizes) == 4_384_110  # an Algerian register's sheet1.xml
    assert max(sizes) < DEFAULT_MAX_ZIP_MEMBER_MB * MEGABYTE


# --- ZIP members: refused while streaming, memory bounded --------------------------------------------


def _peak_while(action) -> tuple[float, float, BaseException | None]:  # type: ignore[no-untyped-def]
    """Seconds and peak traced MB of ``action()``, and the exception it raised."""
    tracemalloc.start()
    started = time.perf_counter()
    raised: BaseException | None = None
    try:
        action()
    except Exception as exc:
        raised = exc
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / MEGABYTE, raised


def test_a_zip_bomb_is_refused_before_inflating(bomb: Path) -> None:
    body = bomb.read_bytes()
    assert len(body) < 3 * MEGABYTE
    elapsed, peak_mb, raised = _peak_while(lambda: list(unaids_aidsinfo.parse(body, ZIP_URL, {})))
    assert isinstance(raised, MemberTooLarge)
    assert str(raised) == (
        f"unaids_aidsinfo: {ZIP_URL}!Estimates_2025_en.csv inflates beyond 300 MB, the max_zip_member_mb "
        "limit of sources.yml: refused, no value of this response was ingested"
    )
    assert elapsed < 5 and peak_mb < 3 * len(body) / MEGABYTE + 5


def test_the_ncd_bulk_zip_member_is_bounded_too() -> None:
    body = (FIXTURES / "who_ncd_ccs" / "noncommunicable-diseases.zip").read_bytes()
    url = "https://ghoapi.azureedge.net/noncommunicable-diseases.zip"
    assert len(list(who_ncd_ccs.parse(body, url, {}))) > 0
    with zip_member_limit(0.001), pytest.raises(MemberTooLarge, match="max_zip_member_mb"):
        list(who_ncd_ccs.parse(body, url, {}))


def test_the_limit_in_force_is_the_sources(tmp_path: Path) -> None:
    body = (FIXTURES / "unaids_aidsinfo" / "Estimates_2024_en.zip").read_bytes()
    with zip_member_limit(2152 / MEGABYTE):  # the member's exact size passes
        assert len(list(unaids_aidsinfo.parse(body, ZIP_URL, {}))) > 0
    with zip_member_limit(2151 / MEGABYTE), pytest.raises(MemberTooLarge, match="inflates beyond"):
        list(unaids_aidsinfo.parse(body, ZIP_URL, {}))


def test_the_stream_stops_at_the_limit_whatever_the_header_says() -> None:
    inflated = io.BytesIO(bytes(10 * MEGABYTE))
    with zip_member_limit(1), pytest.raises(MemberTooLarge, match=r"a\.zip!a\.csv inflates beyond 1 MB"):
        reader = io.BufferedReader(_CappedReader(inflated, current_limit(), "a.zip!a.csv"))
        while reader.read(65536):
            pass
    assert inflated.tell() <= MEGABYTE + 65536  # read no further than one buffer past the limit


def test_a_member_whose_header_lies_is_refused_without_inflating_more() -> None:
    data = b"Indicator,Unit,Subgroup,Area,Area ID,Time Period,Source,Data value\n" + bytes(8 * MEGABYTE)
    body = bytearray(_zip({"Estimates_2024_en.csv": data}))
    # Declare 100 bytes in the central directory: zipfile stops there and the CRC proves the lie.
    central = body.rindex(b"PK\x01\x02")
    body[central + 24 : central + 28] = (100).to_bytes(4, "little")
    elapsed, peak_mb, raised = _peak_while(lambda: list(unaids_aidsinfo.parse(bytes(body), ZIP_URL, {})))
    assert isinstance(raised, ParseError) and "cannot be extracted" in str(raised)
    assert elapsed < 2 and peak_mb < 5


def test_a_member_without_line_breaks_is_refused_with_bounded_memory() -> None:
    body = _zip({"Estimates_2024_en.csv": b"x" * (40 * MEGABYTE)})
    _elapsed, peak_mb, raised = _peak_while(lambda: list(unaids_aidsinfo.parse(body, ZIP_URL, {})))
    assert isinstance(raised, ParseError)
    assert "a line is longer than 1000000 characters" in str(raised)
    assert peak_mb < 20


def test_bounded_lines_keeps_ordinary_lines_whole() -> None:
    text = io.StringIO("a,b\r\nc,d\n" + "e" * 10 + "\n")
    assert list(bounded_lines(text, "here", max_chars=10)) == ["a,b\r\n", "c,d\n", "e" * 10 + "\n"]


# --- end to end: a refresh refuses, says so in one sentence, loses nothing ---------------------------


GHO_LIMITED = {"who_gho": {"max_body_mb": 1}}


@pytest.fixture(scope="module")
def gho_store(local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One good refresh of who_gho limited to 1 MB, made once; each refused body starts from a copy.
    The refusals happen in Scrapy's downloader, so each bad answer goes through ``cobase refresh``."""
    return good_store(local_server, tmp_path_factory.mktemp("gho_store"), ["who_gho"], GHO_LIMITED)


def _gho_bad(server: HTTPServer, tmp: Path, response: Response, store: str) -> BadRefresh:
    return good_then_bad_refresh(
        server,
        tmp,
        ["who_gho"],
        "/api/UHC_INDEX_REPORTED",
        response,
        "max_body_mb",
        extra_source_fields=GHO_LIMITED,
        good_store=store,
    )


def _snapshot_count(db: str) -> int:
    return int(sql_rows(db, "SELECT count(*) FROM snapshot")[0][0])


@pytest.fixture(scope="module")
def oversized(
    local_server: HTTPServer, tmp_path_factory: pytest.TempPathFactory, gho_store: str
) -> BadRefresh:
    """who_gho limited to 1 MB, then one indicator answers 3 MB announced by its Content-Length."""
    body = b'{"value": [' + b" " * (3 * MEGABYTE) + b"]}"
    return _gho_bad(local_server, tmp_path_factory.mktemp("oversized"), Response(body, status=200), gho_store)


def test_an_oversized_body_fails_the_source_in_one_sentence(oversized: BadRefresh) -> None:
    assert oversized.result.returncode == 1
    assert (
        "/api/UHC_INDEX_REPORTED: refused, the response is larger than 1 MB, the max_body_mb limit of "
        "sources.yml; it was not stored" in oversized.stderr_one_line
    )
    assert "Traceback" not in oversized.result.stderr


def test_an_oversized_body_is_not_stored(oversized: BadRefresh) -> None:
    sizes = sql_rows(oversized.db, "SELECT max(size) FROM snapshot")[0][0]
    assert sizes < MEGABYTE
    assert oversized.status["who_gho"]["last_run_status"] == "failed"
    assert "max_body_mb" in oversized.status["who_gho"]["last_error"]


def test_an_oversized_body_loses_nothing(oversized: BadRefresh) -> None:
    assert len(oversized.before) > 0 and oversized.after == oversized.before


def _streamed(total: int) -> Iterator[bytes]:
    chunk = b" " * 65536
    for _ in range(total // len(chunk)):
        yield chunk


def test_a_body_growing_too_large_while_streaming_is_cut_off(
    local_server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gho_store: str
) -> None:
    peak = tmp_path / "peak"
    monkeypatch.setenv(PEAK_FILE_VARIABLE, str(peak))
    # No Content-Length: Scrapy can only notice while the bytes arrive. 50 MB offered, cut after 1 MB.
    response = Response(_streamed(50 * MEGABYTE), status=200, content_type="application/json")
    bad = _gho_bad(local_server, tmp_path, response, gho_store)
    assert bad.result.returncode == 1
    assert "refused, the response is larger than 1 MB, the max_body_mb limit" in bad.stderr_one_line
    assert bad.after == bad.before
    assert sql_rows(bad.db, "SELECT max(size) FROM snapshot")[0][0] < MEGABYTE
    # The cron process never held the 50 MB.
    assert peak_memory_mb(peak) < 400


def test_a_gzip_body_is_counted_inflated(local_server: HTTPServer, tmp_path: Path, gho_store: str) -> None:
    body = gzip.compress(b" " * (5 * MEGABYTE))  # 5 KB on the wire, 5 MB inflated
    response = Response(
        body, status=200, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    bad = _gho_bad(local_server, tmp_path, response, gho_store)
    assert bad.result.returncode == 1
    assert "refused, the response is larger than 1 MB, the max_body_mb limit" in bad.stderr_one_line
    assert bad.after == bad.before


def test_a_zip_bomb_fails_the_refresh_in_one_sentence_and_loses_nothing(
    local_server: HTTPServer, tmp_path: Path, bomb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peak = tmp_path / "peak"
    monkeypatch.setenv(PEAK_FILE_VARIABLE, str(peak))
    response = Response(bomb.read_bytes(), status=200, content_type="application/zip")
    store = good_store(local_server, tmp_path / "good", ["unaids_aidsinfo"])  # in-process
    started = time.perf_counter()
    bad = good_then_bad_refresh(
        local_server,
        tmp_path,
        ["unaids_aidsinfo"],
        "/public/documents/Estimates_2025_en.zip",
        response,
        "",
        good_store=store,
    )
    assert time.perf_counter() - started < 120
    assert bad.result.returncode == 1
    assert (
        "Estimates_2025_en.csv inflates beyond 300 MB, the max_zip_member_mb limit of sources.yml: "
        "refused, no value of this response was ingested" in bad.stderr_one_line
    )
    assert len(bad.before) > 0 and bad.after == bad.before
    assert peak_memory_mb(peak) < 400  # the last command: the refresh that met the bomb


def test_a_per_source_zip_limit_reaches_the_parser(local_server: HTTPServer, tmp_path: Path) -> None:
    db = database_url(tmp_path)
    result = refresh_sources(
        local_server,
        tmp_path,
        db,
        ["unaids_aidsinfo"],
        extra_source_fields={"unaids_aidsinfo": {"max_zip_member_mb": 0.001}},
    )
    assert result.returncode == 1
    assert "Estimates_2025_en.csv inflates beyond 0.001 MB" in " ".join(result.stderr.split())
    # The three ZIPs are kept (within max_body_mb); only the refused one is marked unparsed.
    assert _snapshot_count(db) == 3
    assert sql_rows(db, "SELECT url, parse_status FROM snapshot WHERE parse_status != 'ok'") == [
        (f"{base_url(local_server)}/public/documents/Estimates_2025_en.zip", "error")
    ]
