"""``cobase app`` starts Streamlit through :mod:`cobase.app_server`, which imports the app's libraries
while the server waits for its first visitor."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cobase import app_server

APP = Path(__file__).resolve().parent.parent / "streamlit_app"


def _imported_by_the_app() -> set[str]:
    names: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)  # and ``from cobase import present`` names a module too:
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_every_preloaded_module_is_one_the_app_imports() -> None:
    """The list stays honest: nothing is imported at start that no page needs."""
    imported = _imported_by_the_app()
    assert [name for name in app_server.PRELOADED if name not in imported] == []


def test_a_module_that_fails_to_import_does_not_stop_the_preload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_server, "PRELOADED", ("cobase_no_such_module", "json"))
    app_server.preload()  # the page that imports it reports it; the server starts regardless
    assert "json" in sys.modules


def test_it_takes_what_streamlits_command_line_takes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cobase.app_server", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Streamlit, version ")
