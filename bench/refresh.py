"""Benchmark: ``cobase refresh`` of every source against local servers serving the test fixtures.

Usage: ``python bench/refresh.py [--runs 3]``. Each run refreshes every source that has fixtures
(``tests/fixtures/<source>/routes.json``) into a fresh SQLite database, in a child process exactly as
cron would, and records its wall time and peak memory. Prints per-run figures, then
``refresh_s: X peak_memory_mb: Y`` (medians) as its last line. Targets: under 2 minutes, under 500 MB.

``--cost-sources`` refreshes instead the sources of the monthly cost from the real shared files
(``../shared/fixtures``: the CNOPS 2014 list of 5,917 medicines and ILOSTAT's whole-world minimum wage
CSV), served at their producers' paths. Target: under 60 s and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cobase.fixture_server import fixture_folder, serve_fixtures  # noqa: E402
from cobase.registry import load_registry  # noqa: E402


def one_run(
    folders: dict[str, Path], overrides: dict[str, dict[str, object]], workdir: Path
) -> tuple[float, float, int]:
    """Seconds, peak MB of the child, and its exit code, for one refresh of every served source."""
    data = yaml.safe_load((REPO / "sources.yml").read_text(encoding="utf-8"))
    with serve_fixtures(folders) as base_urls:
        data["sources"] = {key: value for key, value in data["sources"].items() if key in base_urls}
        for key, url in base_urls.items():
            data["sources"][key]["base_url"] = url
            data["sources"][key].update(overrides[key])
            data["sources"][key].pop("republishes", None)
        sources = workdir / "sources.yml"
        sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = dict(os.environ)
        env["COBASE_SCRAPY_SETTINGS"] = json.dumps(
            {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False}
        )
        for key in base_urls:
            for variable in load_registry().get(key).env.values():
                env.setdefault(variable, "cobase-bench")
        db = f"sqlite:///{workdir / f'refresh_{time.monotonic_ns()}.db'}"
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "cobase", "refresh", "--sources", str(sources), "--db", db],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and child.stderr:
        print(child.stderr.read()[-2000:], file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, code


SHARED = REPO.parent / "shared" / "fixtures"
COST_SOURCES: dict[str, list[tuple[str, dict[str, str], Path]]] = {
    # key: [(path served, query, real file)]
    "ma_cnops_medicaments": [
        (
            "/data/fr/dataset/2cdfd9f4-289d-4e9a-8998-50bd03f8e874/resource/094733f5-5434-4163-b837-df0e7b665127/"
            "download/ref-des-medicaments-cnops-2014.xlsx",
            {},
            SHARED / "national" / "morocco" / "ref-des-medicaments-cnops-2014.xlsx",
        )
    ],
    "ilostat_minimum_wage": [
        ("/data/indicator/", {"id": "EAR_INEE_NOC_NB_A"}, SHARED / "ilostat" / "EAR_INEE_NOC_NB_A.csv"),
    ],
}


def cost_source_folders(tmp: Path) -> dict[str, Path]:
    """A served folder per cost source, its routes.json pointing at the real shared files."""
    folders: dict[str, Path] = {}
    for key, routes in COST_SOURCES.items():
        folder = tmp / key
        folder.mkdir()
        entries = []
        for path, query, real in routes:
            if not real.exists():
                sys.exit(f"real file not available: {real}")
            (folder / real.name).symlink_to(real)
            entries.append(
                {"path": path, "query": query, "file": real.name, "content_type": "application/octet-stream"}
            )
        (folder / "routes.json").write_text(json.dumps(entries), encoding="utf-8")
        folders[key] = folder
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cost-sources", action="store_true", help="the cost sources on the real shared files"
    )
    args = parser.parse_args()
    registry = load_registry()
    fixtures = REPO / "tests" / "fixtures"
    folders: dict[str, Path] = {}
    overrides: dict[str, dict[str, object]] = {}
    served = tempfile.TemporaryDirectory()
    if args.cost_sources:
        folders = cost_source_folders(Path(served.name))
        overrides = {key: {} for key in folders}
    else:
        for key in registry.sources:
            found = fixture_folder(fixtures, key)
            if found is not None:
                folders[key], overrides[key] = found
    print(f"sources: {', '.join(sorted(folders))}")
    times: list[float] = []
    peaks: list[float] = []
    with served, tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            elapsed, peak, code = one_run(folders, overrides, Path(tmp))
            times.append(elapsed)
            peaks.append(peak)
            print(f"run {run + 1}: {elapsed:.1f} s, peak {peak:.0f} MB, exit code {code}", flush=True)
    print(f"refresh_s: {statistics.median(times):.1f} peak_memory_mb: {statistics.median(peaks):.0f}")


if __name__ == "__main__":
    main()
