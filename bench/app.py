"""Benchmark: the first page, the 'Contester un avis' dossier page and its PDF, in headless Chromium.

Usage: ``python bench/app.py [--size 500000] [--runs 7] [--db URL] [--no-expiry]``. Builds the synthetic
store with ``bench/assess.py``'s ``build(url, size)`` (200 countries x 20 years of every indicator the
catalogue links to a pathology, 5 % revised, the rest other indicators), unless ``--db`` names a store
already built. Serves the app with ``streamlit run`` on a free local port and drives Debian's chromium
(``/usr/bin/chromium``) headless, as ``tests/test_browser.py`` does.

Each run opens a shared link for another country (``/contester?pays=…&pathologie=hiv&avis=2025-06-30``),
so nothing comes from the app's cache, and measures:

* ``dossier_page_s``: from navigation to the page fully rendered (script finished, nothing stale, every
  chart drawn, the export buttons shown): the opinion-date and present-day assessments side by side,
  with the evidence published after the opinion;
* ``pdf_s``: from clicking "Télécharger le dossier PDF" to the file downloaded (both assessments and
  every chart drawn into the PDF).

One warm-up run (imports, engine, first connection) is not counted in those medians. The default page,
'Préparer un certificat' with ``?pays=GIN&pathologie=hiv``, is measured three times, to its first
meaningful render (script finished, its chart and the export buttons shown):

* ``cold_page_s``: the first page the app serves after it starts (nothing cached, engine not open);
* ``warm_page_s``: the same page again (median of three);
* ``expired_page_s``: the same page right after the app's caches expired (``CACHE_TTL_SECONDS``, 60 s,
  waited for; ``--no-expiry`` skips that minute).

Each of those opens a new browser, with an empty cache: Streamlit's frontend (a few megabytes of
JavaScript, and Vega for the chart) is fetched and started every time. Two more figures say how much of a
page is that frontend rather than cobase:

* ``revisit_page_s``: the same page opened again in a browser that already has the frontend in its cache
  (a physician's second visit; median of three, after one uncounted visit);
* ``floor_page_s``: a bare Streamlit page (a title, one Altair chart of 20 points and a download button,
  no store) served and measured the same way, in a new browser (median of three): no page of the app can
  render faster than that on this machine.

Prints each run, then the figures as its last line:
``dossier_page_s: X pdf_s: Y cold_page_s: C warm_page_s: W expired_page_s: E revisit_page_s: R
floor_page_s: F``. Targets: every page
under 2 s (cold, warm and expired), PDF under 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from assess import COUNTRIES, build  # noqa: E402  (bench/ is not a package; assess.py sits beside us)

from streamlit_app.data import CACHE_TTL_SECONDS  # noqa: E402
from tests.test_browser import CHROMIUM, chromium, serve_app, wait_until_rendered  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

OPINION = "2025-06-30"
"""Between the synthetic store's first publication (2025-03-01) and its revisions (2025-09-01)."""
PATHOLOGY = "hiv"
TIMEOUT_MS = 120_000
FIRST_PAGE_COUNTRY = "GIN"
"""The issue's case: 'Préparer un certificat' for Guinea and HIV, served at the app's root address."""


def _render_first_page_s(context: BrowserContext, base: str) -> float:
    """Seconds from navigation to the first meaningful render of 'Préparer un certificat' (GIN, hiv), in a
    new tab of ``context`` (closed afterwards)."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    started = time.perf_counter()
    page.goto(f"{base}/?{urlencode({'pays': FIRST_PAGE_COUNTRY, 'pathologie': PATHOLOGY})}")
    seconds = wait_until_rendered(page, min_charts=1) - started
    page.close()
    return seconds


def first_page_s(base: str) -> float:
    """That first render in a new browser (nothing in its cache)."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        seconds = _render_first_page_s(context, base)
        context.close()
    return seconds


def revisit_page_s(base: str, visits: int = 3) -> float:
    """Median seconds to the same first render, opened again in one browser (its cache kept)."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        _render_first_page_s(context, base)  # the first visit fills the browser's cache
        times = [_render_first_page_s(context, base) for _ in range(visits)]
        context.close()
    return statistics.median(times)


BARE_PAGE = """
import altair as alt
import pandas as pd
import streamlit as st

st.set_page_config(page_title="bare", layout="wide")
st.title("Page nue / Bare page")
st.write("Un graphique et un bouton, sans base de données.")
frame = pd.DataFrame({"year": list(range(2005, 2025)), "value": [float(n) for n in range(20)]})
st.altair_chart(alt.Chart(frame).mark_line(point=True).encode(x="year:O", y="value:Q"))
st.download_button("PDF", b"%PDF-1.4", file_name="bare.pdf", key="dossier_pdf")
"""
"""What :func:`floor_page_s` serves: what ``wait_until_rendered`` waits for (one chart, the PDF button)."""


def floor_page_s(folder: Path) -> float:
    """Median seconds to render :data:`BARE_PAGE` in a new browser each time (one uncounted warm-up)."""
    entry = folder / "bare_page.py"
    entry.write_text(BARE_PAGE, encoding="utf-8")
    with serve_app("sqlite://", folder / "bare.log", entry=entry) as base:
        first_page_s(base)  # the server's own imports and first script run
        return statistics.median(first_page_s(base) for _ in range(3))


def measure(base: str, countries: list[str], downloads: Path) -> tuple[list[float], list[float]]:
    """Seconds to a fully rendered dossier page, and to the downloaded PDF, for each country."""
    page_times: list[float] = []
    pdf_times: list[float] = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        for number, country in enumerate(countries):
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            query = urlencode({"pays": country, "pathologie": PATHOLOGY, "avis": OPINION})
            started = time.perf_counter()
            page.goto(f"{base}/contester?{query}")
            page_s = wait_until_rendered(page, min_charts=2) - started  # the open dimension, then and now
            started = time.perf_counter()
            with page.expect_download(timeout=TIMEOUT_MS) as download_info:
                page.locator(".st-key-dossier_pdf button").click()
            download = download_info.value
            target = downloads / download.suggested_filename
            download.save_as(str(target))
            pdf_s = time.perf_counter() - started
            assert target.read_bytes().startswith(b"%PDF"), f"{target} is not a PDF"
            page.close()
            warm_up = number == 0
            print(
                f"{'warm-up ' if warm_up else ''}{country}: page_s: {page_s:.2f} pdf_s: {pdf_s:.2f}",
                flush=True,
            )
            if not warm_up:
                page_times.append(page_s)
                pdf_times.append(pdf_s)
        context.close()
    return page_times, pdf_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500_000, help="observations in the synthetic store")
    parser.add_argument("--runs", type=int, default=7, help="measured runs (one country each)")
    parser.add_argument("--db", help="an already built store to reuse (skips building)")
    parser.add_argument("--no-expiry", action="store_true", help="skip the minute waited for expired_page_s")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'app_bench.db'}"
        if not args.db:
            started = time.perf_counter()
            written = build(url, args.size)
            print(f"size: {written} build_s: {time.perf_counter() - started:.0f}", flush=True)
        # Countries spread over the list, so consecutive runs never share a cached assessment.
        step = max(1, len(COUNTRIES) // (args.runs + 1))
        countries = [COUNTRIES[index * step] for index in range(args.runs + 1)]
        with serve_app(url, folder / "streamlit.log") as base:
            cold_s = first_page_s(base)
            print(f"cold_page_s: {cold_s:.2f}", flush=True)
            warm_s = statistics.median(first_page_s(base) for _ in range(3))
            print(f"warm_page_s: {warm_s:.2f}", flush=True)
            expired_s = float("nan")
            if not args.no_expiry:
                time.sleep(CACHE_TTL_SECONDS + 2)  # every cached read of that page has now expired
                expired_s = first_page_s(base)
                print(f"expired_page_s: {expired_s:.2f}", flush=True)
            revisit_s = revisit_page_s(base)
            print(f"revisit_page_s: {revisit_s:.2f}", flush=True)
            page_times, pdf_times = measure(base, countries, folder)
        floor_s = floor_page_s(folder)
        print(f"floor_page_s: {floor_s:.2f}", flush=True)
    print(
        f"dossier_page_s: {statistics.median(page_times):.2f} pdf_s: {statistics.median(pdf_times):.2f} "
        f"cold_page_s: {cold_s:.2f} warm_page_s: {warm_s:.2f} expired_page_s: {expired_s:.2f} "
        f"revisit_page_s: {revisit_s:.2f} floor_page_s: {floor_s:.2f}"
    )


if __name__ == "__main__":
    main()
