"""Stages import one way (STYLE.md): crawlers -> snapshots -> parse -> harmonize -> store -> evidence ->
export -> CLI and app. Nothing earlier imports something later; spiders import nothing of cobase."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STAGES = [
    ("crawlers",),
    ("cobase.snapshots",),
    ("cobase.parse",),
    ("cobase.harmonize",),
    (
        "cobase.ingest",
        "cobase.ingest_pg",
        "cobase.queries",
        "cobase.findings",
        "cobase.refresh",
        "cobase.rebuild",
    ),
    ("cobase.evidence",),
    ("cobase.export", "cobase.present"),
    ("cobase.cli", "cobase.__main__", "streamlit_app"),
]
"""Modules by stage; anything else of cobase (clock, settings, registry, models, db, catalogue,
fixture_server) is shared ground that every stage may use."""

ALLOWED = {
    # PQR rows are aggregated per catalogue item before any record exists (see the module's comment).
    ("cobase.parse.globalfund_pqr", "cobase.harmonize.medicines"),
    # SCMS lines too: the delivery timeline is per catalogue item (see the module's comment).
    ("cobase.parse.usaid_scms", "cobase.harmonize.medicines"),
    # National registers store each product row with its catalogue item, resolved from its DCI as the
    # issue asks (the row's identity is the product, not a name to harmonize later).
    ("cobase.parse._register", "cobase.harmonize.medicines"),
    # A CNOPS row's form decides between an oral item and its long-acting twin (see the module's comment).
    ("cobase.parse.ma_cnops_medicaments", "cobase.harmonize.medicines"),
}


def _stage(module: str) -> int | None:
    for index, prefixes in enumerate(STAGES):
        if any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes):
            return index
    return None


def _modules() -> list[tuple[str, Path]]:
    found = []
    for root in ("cobase", "crawlers", "streamlit_app"):
        for path in sorted((REPO / root).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in ("cobase", "crawlers", "streamlit_app")}


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda value: str(value))
def test_module_imports_only_earlier_stages(module: str, path: Path) -> None:
    own = _stage(module)
    later = sorted(
        name
        for name in _imports(path)
        if own is not None
        and (stage := _stage(name)) is not None
        and stage > own
        and (module, name) not in ALLOWED
        and not any(name.startswith(f"{allowed}.") for m, allowed in ALLOWED if m == module)
    )
    assert later == []


def test_spiders_know_nothing_of_cobase() -> None:
    offenders = sorted(
        module
        for module, path in _modules()
        if module.startswith("crawlers") and any(name.startswith("cobase") for name in _imports(path))
    )
    assert offenders == []
