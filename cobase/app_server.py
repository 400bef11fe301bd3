"""Streamlit's own command line, started by ``cobase app`` with the app's libraries imported meanwhile.

Streamlit runs the app's script only when a browser connects, so the first physician after a restart
waited while pandas, Altair, SQLAlchemy and cobase's evidence engine and exports were imported (about
1 s of the 3.2 s of that first page on a 2-core machine). Here a background thread imports them while the
server starts and waits for its first visitor; the script then finds them in ``sys.modules``. The app's
own modules (``streamlit_app/``) are left to the script: they create Streamlit caches, which need the
running server.

``python -m cobase.app_server run <script> [options]`` takes exactly what ``python -m streamlit`` takes.
"""

from __future__ import annotations

import importlib
import logging
import threading

PRELOADED = (
    "pandas",
    "altair",
    "sqlalchemy",
    "cobase.db",
    "cobase.queries",
    "cobase.present",
    "cobase.evidence.engine",
    "cobase.evidence.cost",
    "cobase.export",
    "cobase.findings",
    "cobase.harmonize.medicines",
    "cobase.webfetch",
)
"""Modules every page of the app imports (a test checks that each one is imported by ``streamlit_app/``)."""

LOGGER = logging.getLogger(__name__)


def preload() -> None:
    """Import :data:`PRELOADED`. Only a head start: a module that fails here fails again, and is reported,
    in the page that imports it."""
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # the page reports it in one sentence; the server must start regardless
            LOGGER.debug("preloading %s failed", name, exc_info=True)


def main() -> None:
    """Start the preload, then run Streamlit's command line as ``python -m streamlit`` does."""
    threading.Thread(target=preload, name="cobase preload", daemon=True).start()
    from streamlit.web.cli import main as streamlit_main

    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
