"""A real browser walks 'Contester un avis' to the end and downloads the PDF dossier.

The app runs as ``streamlit run`` on a free local port, on the journeys' seeded store
(:func:`tests.test_app_journeys.seed_journeys`). Debian's ``chromium`` (installed by ``.ci/run`` with
apt; never downloaded by a test tool) is driven headless through Playwright's Python package. The walk
types the way a person does: a country without its accent, a medicine by its brand name, the opinion date
digit by digit; then it checks what is shown, downloads the PDF and reads its text back. Screenshots
and the PDF are kept under ``artifacts/browser/`` (gitignored) for a person to look at.

Skipped, saying why, when ``/usr/bin/chromium`` is absent. Nothing here reaches beyond 127.0.0.1: the
app's usage statistics are off, and the browser runs with background networking disabled.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "streamlit_app" / "streamlit_app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "artifacts" / "browser"
STARTUP_TIMEOUT_S = 60.0
STEP_TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def free_port() -> int:
    """A TCP port nothing listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_app(database_url: str, log: Path, entry: Path = ENTRY) -> Iterator[str]:
    """Run the app with ``streamlit run`` on 127.0.0.1 and a free port; yield its base URL.

    Started as ``cobase app`` starts it (same entry file, usage statistics off), plus what a test needs:
    no browser opened, no file watcher, no toolbar, and only the loopback address (which also spares
    Streamlit's lookup of an external IP). Stopped by its own process id. ``entry`` is another script to
    serve the same way (``bench/app.py`` measures a bare page against the app's).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "cobase.app_server",
        "run",
        str(entry),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env={**os.environ, "COBASE_DB": database_url}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_healthy(base, server, log)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with code {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"the app did not answer on {base} within {STARTUP_TIMEOUT_S:.0f} s; see {log}")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (which downloads nothing: the path is given)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


RENDERED_STATE_JS = """(minCharts) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return null;
  if (document.querySelector('[data-stale="true"]')) return null;
  if (!document.querySelector('.st-key-dossier_pdf button')) return null;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .filter((chart) => chart.offsetParent !== null);
  if (charts.length < minCharts || !charts.every((chart) => chart.querySelector('canvas, svg'))) return null;
  return [charts.length, document.querySelectorAll('[data-testid="stElementContainer"]').length].join('/');
}"""
"""What a fully shown journey page looks like, or null: the script has finished (Streamlit's own
script-state flag, nothing stale), the export buttons are there, and every chart in view is drawn. The
returned counts let a caller see that nothing is still arriving."""


def wait_until_rendered(
    page: Page, min_charts: int = 1, settle_ms: int = 300, timeout_s: float = 120
) -> float:
    """Wait until the page is fully rendered and stays so for ``settle_ms``; return when it first was.

    Streamlit hands elements to the page in batches, so a page can look finished for a moment while
    charts further down are still coming: the state must hold, with the same number of elements, before
    it counts. The returned ``time.perf_counter()`` is the start of that stable state, not its end.
    """
    deadline = time.perf_counter() + timeout_s
    since: float | None = None
    seen: str | None = None
    while True:
        now = time.perf_counter()
        state = page.evaluate(RENDERED_STATE_JS, min_charts)
        if state is None or state != seen:
            since, seen = (None, None) if state is None else (now, state)
        elif since is not None and (now - since) * 1000 >= settle_ms:
            return since
        if now > deadline:
            raise TimeoutError(f"the page was not fully rendered within {timeout_s:.0f} s")
        page.wait_for_timeout(25)


def screenshot(page: Page, path: Path, height: int = 7000) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made tall instead."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(800)  # charts redraw at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def choose(page: Page, key: str, typed: str) -> None:
    """Type into a select box or multiselect (located by its widget key) and press Enter."""
    box = page.locator(f".st-key-{key} input")
    box.click()
    box.fill(typed)
    box.press("Enter")


def enter_date(page: Page, key: str, day: str) -> None:
    """Type a DD/MM/YYYY date into a date input digit by digit; Escape closes the calendar and commits."""
    page.locator(f'.st-key-{key} [data-type="day"]').click()
    page.keyboard.type(day.replace("/", ""))
    page.keyboard.press("Escape")


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    from tests.test_app_journeys import seed_journeys

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serve_app(seed_journeys(tmp_path), ARTIFACTS / "streamlit.log") as base:
        yield base


def test_contester_un_avis_walked_in_chromium_to_the_pdf(app_url: str) -> None:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.goto(app_url)
        page.get_by_role("heading", name="Préparer un certificat").wait_for()

        page.get_by_role("link", name="Contester un avis").click()
        page.get_by_role("heading", name="Contester un avis").wait_for()
        choose(page, "pays", "guinee")
        page.get_by_text("« guinee » compris comme / read as : Guinée (GIN)").wait_for()
        choose(page, "pathologie", "VIH")
        page.locator(".st-key-traitements_hiv").wait_for()
        choose(page, "traitements_hiv", "Truvada")
        page.get_by_text("« Truvada » compris comme / read as").wait_for()
        page.keyboard.press("Escape")  # close the list of treatments
        enter_date(page, "avis", "30/06/2024")
        page.get_by_role("heading", name="Publié après l'avis / Published after the opinion").wait_for()
        wait_until_rendered(page, min_charts=2)  # availability, then and now

        assert "avis=2024-06-30" in page.url and "pays=GIN" in page.url  # the view can be shared
        main = page.locator('[data-testid="stMain"]')
        # Only the stock-out report is proven published after the opinion (three-state as-of, issue 8).
        assert "1 élément(s) absent(s) des données connues au 30/06/2024. 1 publié(s) après cette date" in (
            main.inner_text()
        )
        assert "Aucune source ne documente l'accès à : Charge virale VIH." in main.inner_text()
        screenshot(page, ARTIFACTS / "contester.png")

        with page.expect_download() as download_info:
            page.locator(".st-key-dossier_pdf button").click()
        download = download_info.value
        assert download.suggested_filename == "cobase_GIN_hiv_avis-2024-06-30.pdf"
        pdf_path = ARTIFACTS / download.suggested_filename
        download.save_as(str(pdf_path))
        screenshot(page, ARTIFACTS / "contester-after-download.png", height=1000)
        context.close()

    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = [" ".join((page.extract_text() or "").split()) for page in PdfReader(BytesIO(pdf)).pages]
    assert "Synthèse" in pages[0] and "Date de l'avis (as-of) 30/06/2024" in pages[0]  # one-page synthesis
    text = " ".join(pages)
    assert "contestation d'un avis" in text
    assert "Guinée (GIN)" in text
    assert "30/06/2024" in text
    assert "Ténofovir disoproxil/emtricitabine" in text  # typed as "Truvada"
    assert "Charge virale VIH" in text
    assert "Publié après la date de l'avis" in text
    assert "Ruptures de stock de TLD dans 4 sites de Conakry" in text
    assert "ne contient aucune donnée de patient" in text
