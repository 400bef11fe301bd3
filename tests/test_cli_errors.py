"""Every mistake an operator can type ends in one sentence and a non-zero exit, never a traceback.

The cases are those issue 12 reproduced on the installed ``cobase`` command: an empty or far-future
``--as-of``, an absurd ``--window``, a URL that is not one, another database's URL, a malformed
``COBASE_SCRAPY_SETTINGS``. They run the *installed* entry point (``.venv/bin/cobase``), since the bug
was that it bypassed the handler in :func:`cobase.cli.main`; ``python -m cobase`` is checked once too,
started from scratch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import warm_process
from tests.e2e import observations, status
from tests.seed import seed_database

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = Path(sys.executable).parent / "cobase"

pytestmark = pytest.mark.skipif(not INSTALLED.exists(), reason=f"no installed entry point at {INSTALLED}")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return seed_database(tmp_path_factory.mktemp("errors") / "seed.db")


def cobase(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    environment.pop("COBASE_DEBUG", None)
    environment.pop("COBASE_DB", None)
    # The installed script's own code, in a child forked by the warm server (tests/warm_process.py): the
    # entry point as pip wrote it, without paying the libraries' imports at every start.
    script = INSTALLED.read_text(encoding="utf-8")
    return warm_process.run([sys.executable, "-c", script, *args], env=environment, timeout=120, cwd=ROOT)


def assert_one_sentence(result: subprocess.CompletedProcess[str], expected: str) -> None:
    """Non-zero exit, nothing on stdout, and stderr is one ``Erreur / Error:`` line saying ``expected``."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Erreur / Error: ")
    assert expected in lines[0]
    assert result.stdout.strip() == ""


ASSESS = ("assess", "--country", "GIN", "--pathology", "hiv")
DOSSIER = ("dossier", "--country", "GIN", "--pathology", "hiv", "--format", "md", "-o", "x.md")
FINDING = ("finding", "add", "--country", "GIN", "--dimension", "continuity", "--statement", "S", "--date")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((*ASSESS, "--as-of", ""), "not a date in YYYY-MM-DD form: ''"),
        ((*ASSESS, "--as-of", "9999-12-31"), "--as-of 9999-12-31 est dans le futur"),
        ((*ASSESS, "--window", "99999999999"), "--window compte des années, de 1 à 100, pas 99999999999"),
        ((*ASSESS, "--window", "0"), "de 1 à 100, pas 0"),
        (
            (*DOSSIER, "--as-of", ""),
            "not a date in YYYY-MM-DD form",
        ),
        (
            ("document", "add", "--title", "T", "--producer", "P", "--country", "GIN", "--url", "not a url"),
            "l'adresse du rapport doit commencer par http:// ou https:// (reçu 'not a url')",
        ),
        (
            (*FINDING, "2024", "--by", "Dr A", "--title", "T", "--producer", "P", "--url", "not a url"),
            "l'adresse du document doit commencer par http:// ou https://",
        ),
    ],
    ids=["as-of-empty", "as-of-9999", "window-huge", "window-0", "dossier-empty", "doc-url", "finding-url"],
)
def test_typing_mistakes_are_one_sentence(store: str, args: tuple[str, ...], expected: str) -> None:
    # The store is read in-process, with the `observations` command's own query (all versions): only the
    # mistyped command needs the installed entry point.
    before = observations(store, all_versions=True)
    assert_one_sentence(cobase(*args, "--db", store), expected)
    assert observations(store, all_versions=True) == before  # nothing lost


def test_another_databases_url_is_refused_without_showing_its_password() -> None:
    result = cobase("status", "--db", "mysql://cobase:hunter2@db-host/cobase")
    assert_one_sentence(result, "cobase stores its data in SQLite or PostgreSQL, not mysql")
    assert "hunter2" not in result.stderr


def test_a_missing_driver_is_named_with_how_to_install_it() -> None:
    result = cobase("status", "--db", "postgresql+pg8000://cobase:hunter2@db-host/cobase")
    assert_one_sentence(result, "is not installed (pip install -e '.[postgres]')")
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("{bad", "COBASE_SCRAPY_SETTINGS is not valid JSON"),
        ("[1, 2]", "COBASE_SCRAPY_SETTINGS must be a JSON object of Scrapy settings"),
    ],
)
def test_malformed_scrapy_settings_stop_before_any_run(store: str, settings: str, expected: str) -> None:
    status_before = status(store)  # what `cobase status --json` prints, read in-process
    result = cobase("refresh", "who_gho", "--db", store, env={"COBASE_SCRAPY_SETTINGS": settings})
    assert_one_sentence(result, expected)
    assert status(store) == status_before  # no run left behind


def test_python_dash_m_runs_the_same_handler() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cobase", "status", "--db", "mysql://x@h/db"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert_one_sentence(result, "not mysql")


def test_the_installed_entry_point_is_the_handler() -> None:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"cobase": "cobase.cli:main"}
    assert "from cobase.cli import main" in INSTALLED.read_text(encoding="utf-8")


def test_an_unexpected_error_is_one_sentence_too(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """What no command foresaw still ends in one line (the traceback needs COBASE_DEBUG=1)."""
    from cobase import cli

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.delenv("COBASE_DEBUG", raising=False)
    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Erreur inattendue / Unexpected error: RuntimeError: disk on fire" in err
    assert "second line" not in err and "Traceback" not in err
