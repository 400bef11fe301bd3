"""``bench/refresh.py --scale N``: first, unchanged and 5 %-revised refreshes of full-size payloads.

Each refresh runs in a child process, as cron would, against a fresh local server (so the unchanged
refresh comes from another port: the same bytes must still be recognised). The child prints the time the
refresh took and the seconds per stage summed by :mod:`cobase.refresh`; the parent measures the wall time
and peak memory of the child and the size of the store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.scale_payloads import gho_codes, write_gho, write_unaids, write_worldbank
from cobase.fixture_server import serve_fixtures
from cobase.yamltext import load_yaml

REPO = Path(__file__).resolve().parent.parent
KEYS = ("who_gho", "worldbank_wdi", "unaids_aidsinfo")
STAGES = ("crawl", "snapshot", "parse", "harmonize", "ingest")

CHILD = """
import json, sys, time
from cobase.db import open_store
from cobase.refresh import refresh
from cobase.registry import load_registry
engine = open_store(sys.argv[2])
started = time.perf_counter()
summaries = refresh(engine, load_registry(sys.argv[1]))
took = time.perf_counter() - started
print(json.dumps({"refresh_s": took, "sources": {s.key: {
    "stages": s.stage_seconds, "errors": s.errors[:3], "snapshots_new": s.snapshots_new,
    "snapshots_unchanged": s.snapshots_unchanged, "new": s.observations.new,
    "revised": s.observations.revised, "unchanged": s.observations.unchanged} for s in summaries}}))
"""


def build(folder: Path, sources: dict[str, Any], scale: float, seed: int, revised: bool) -> dict[str, int]:
    """Write the three sources' payloads under ``folder``; the number of rows each serves."""
    gho = [entry["code"] for entry in sources["who_gho"]["indicators"]]
    wdi = sources["worldbank_wdi"]
    return {
        "who_gho": write_gho(folder / "who_gho", gho_codes(gho, scale), seed, revised),
        "worldbank_wdi": write_worldbank(
            folder / "worldbank_wdi",
            [entry["code"] for entry in wdi["indicators"]],
            int(wdi.get("page_size") or 1000),
            scale,
            seed,
            revised,
        ),
        "unaids_aidsinfo": write_unaids(
            folder / "unaids_aidsinfo",
            sources["unaids_aidsinfo"]["params"].get("documents_path", "documents"),
            scale,
            seed,
            revised,
        ),
    }


def sources_entries(data: dict[str, Any], scale: float) -> dict[str, Any]:
    """The three sources' entries, with the bench's GHO indicators and UNAIDS file."""
    entries = {key: dict(data["sources"][key]) for key in KEYS}
    configured = entries["who_gho"]["indicators"]
    template = configured[0]
    indicators = []
    for code in gho_codes([entry["code"] for entry in configured], scale):
        found = next((entry for entry in configured if entry["code"] == code), None)
        indicators.append(found or {**template, "code": code, "label_en": code, "label_fr": code})
    entries["who_gho"]["indicators"] = [
        {key: value for key, value in entry.items() if key != "republishes"} for entry in indicators
    ]
    params = dict(entries["unaids_aidsinfo"].get("params") or {})
    params["zip_files"] = ["Estimates_2025_en.zip"]
    params.pop("exports", None)
    entries["unaids_aidsinfo"]["params"] = params
    for entry in entries.values():
        entry.pop("republishes", None)
    return entries


def refresh_once(folders: dict[str, Path], entries: dict[str, Any], db: str, workdir: Path) -> dict[str, Any]:
    """One refresh of ``db`` in a child process; its figures."""
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    with serve_fixtures(folders) as base_urls:
        data["sources"] = {key: {**entries[key], "base_url": base_urls[key]} for key in KEYS}
        sources = workdir / "sources.yml"
        sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = dict(os.environ)
        env["COBASE_SCRAPY_SETTINGS"] = json.dumps(
            {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "INFO"}
        )
        log = workdir / "child.log"
        started = time.perf_counter()
        with log.open("w") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(sources), db],
                env=env,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
            assert child.stdout is not None
            output = child.stdout.read()
            _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0 or not output.strip():
        sys.exit(f"the refresh failed:\n{log.read_text()[-3000:]}")
    figures = json.loads(output.strip().splitlines()[-1])
    figures["wall_s"] = wall
    figures["peak_mb"] = usage.ru_maxrss / 1024
    stages = {stage: sum(s["stages"][stage] for s in figures["sources"].values()) for stage in STAGES[1:]}
    figures["stages"] = {"crawl": figures["refresh_s"] - sum(stages.values()), **stages}
    return figures


def store_mb(path: Path) -> float:
    """The store's size on disk (with its write-ahead log)."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1024 / 1024


def last_observation_id(store: Path) -> int:
    """The newest observation id: what the first refresh stored ends there."""
    with sqlite3.connect(store) as connection:
        return int(connection.execute("SELECT coalesce(max(id), 0) FROM observation").fetchone()[0])


def raw_insert_seconds(store: Path, workdir: Path, up_to_id: int) -> tuple[int, float]:
    """Rows, and seconds of a raw ``sqlite3.executemany`` of the observation rows the first refresh stored
    (ids up to ``up_to_id``) into a table of the same columns without indexes, in one transaction: the
    floor ingestion is compared with."""
    with sqlite3.connect(store) as source:
        columns = [row[1] for row in source.execute("PRAGMA table_info(observation)") if row[1] != "id"]
        rows = source.execute(
            f"SELECT {', '.join(columns)} FROM observation WHERE id <= ?", (up_to_id,)
        ).fetchall()
    target = sqlite3.connect(workdir / "raw.db")
    target.execute(f"CREATE TABLE observation (id INTEGER PRIMARY KEY, {', '.join(columns)})")
    started = time.perf_counter()
    target.executemany(
        f"INSERT INTO observation ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
    )
    target.commit()
    took = time.perf_counter() - started
    target.close()
    return len(rows), took


def _line(label: str, figures: dict[str, Any], size_mb: float) -> str:
    stages = " ".join(f"{stage} {figures['stages'][stage]:.1f}" for stage in STAGES)
    counts = {key: (s["snapshots_new"], s["new"], s["revised"]) for key, s in figures["sources"].items()}
    errors = [error for s in figures["sources"].values() for error in s["errors"]]
    return (
        f"{label}: wall {figures['wall_s']:.1f} s (refresh {figures['refresh_s']:.1f} s), peak "
        f"{figures['peak_mb']:.0f} MB, store {size_mb:.0f} MB; stages (s): {stages}; "
        f"(new snapshots, new, revised values) {counts}" + (f"; ERRORS {errors}" if errors else "")
    )


def run_scale(scale: float, seed: int) -> None:
    """Build, serve and refresh three times; print the figures (the summary line last)."""
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
    entries = sources_entries(data, scale)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        rows = build(workdir / "v1", entries, scale, seed, revised=False)
        build(workdir / "v2", entries, scale, seed, revised=True)
        served = sum(p.stat().st_size for p in (workdir / "v1").rglob("*") if p.is_file()) / 1024 / 1024
        print(
            f"scale {scale:g} seed {seed}: rows served {rows} ({sum(rows.values())} in all, "
            f"{served:.0f} MB of bodies), built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        store = workdir / "store.db"
        db = f"sqlite:///{store}"
        results: dict[str, dict[str, Any]] = {}
        for label, version in (("first", "v1"), ("unchanged", "v1"), ("revised_5pct", "v2")):
            folders = {key: workdir / version / key for key in KEYS}
            results[label] = refresh_once(folders, entries, db, workdir)
            print(_line(label, results[label], store_mb(store)), flush=True)
            if label == "first":
                first_rows = last_observation_id(store)
        count, raw = raw_insert_seconds(store, workdir, first_rows)
        first = results["first"]
        print(
            f"raw sqlite3 executemany of the same {count} observation rows: {raw:.1f} s; ratio raw / "
            f"first refresh {raw / first['refresh_s']:.2f}, raw / ingest stage "
            f"{raw / first['stages']['ingest']:.2f}"
        )
        print(
            f"first_s: {first['wall_s']:.1f} unchanged_s: {results['unchanged']['wall_s']:.1f} "
            f"revised_s: {results['revised_5pct']['wall_s']:.1f} "
            f"peak_mb: {max(r['peak_mb'] for r in results.values()):.0f} store_mb: {store_mb(store):.0f}"
        )
