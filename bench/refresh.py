"""Benchmark: ``cobase refresh`` of every source against local servers serving the test fixtures.

Usage: ``python bench/refresh.py [--runs 3] [--national]``. Each run refreshes every source that has
fixtures (``tests/fixtures/<source>/routes.json``) into a fresh SQLite database, in a child process exactly
as cron would, and records its wall time and peak memory. Prints per-run figures, then
``refresh_s: X peak_memory_mb: Y`` (medians) as its last line. Targets: under 2 minutes, under 500 MB.

``--national`` refreshes instead the national registers from the real files of
``../shared/fixtures/national/`` (every Algerian version and the Tunisian list, served from a local
server as the ministries' pages and files would be). Target: under 60 s and under 1 GB.
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


NATIONAL = REPO.parent / "shared" / "fixtures" / "national"
NATIONAL_FILES = {
    # source key -> (folder under NATIONAL, file extension): every real version is served and listed.
    "dz_miph_nomenclature": ("algeria", ".xlsx"),
    "tn_dpm_amm": ("tunisia", ".xls"),
}


def national_folders(workdir: Path) -> tuple[dict[str, Path], dict[str, dict[str, object]]]:
    """A routes.json per register serving every real file of ``NATIONAL``, and the ``params.files``
    listing them (the real files are read where they are, never copied)."""
    folders: dict[str, Path] = {}
    overrides: dict[str, dict[str, object]] = {}
    for key, (country, extension) in NATIONAL_FILES.items():
        files = sorted((NATIONAL / country).glob(f"*{extension}"))
        if not files:
            raise SystemExit(f"no real {extension} file under {NATIONAL / country}: --national needs them")
        folder = workdir / key
        folder.mkdir(parents=True, exist_ok=True)
        routes = [
            {"path": f"/national/{index}{extension}", "query": {}, "file": str(path.resolve()),
             "content_type": "application/octet-stream"}
            for index, path in enumerate(files)
        ]  # fmt: skip
        (folder / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
        folders[key] = folder
        overrides[key] = {"params": {"files": [route["path"] for route in routes]}}
    return folders, overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--national", action="store_true", help="the national registers' real files")
    args = parser.parse_args()
    registry = load_registry()
    fixtures = REPO / "tests" / "fixtures"
    folders: dict[str, Path] = {}
    overrides: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as served:
        if args.national:
            folders, overrides = national_folders(Path(served))
        else:
            for key in registry.sources:
                found = fixture_folder(fixtures, key)
                if found is not None:
                    folders[key], overrides[key] = found
        run_all(folders, overrides, args.runs)


def run_all(folders: dict[str, Path], overrides: dict[str, dict[str, object]], runs: int) -> None:
    """Refresh ``folders`` ``runs`` times and print the figures."""
    print(f"sources: {', '.join(sorted(folders))}")
    times: list[float] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            elapsed, peak, code = one_run(folders, overrides, Path(tmp))
            times.append(elapsed)
            peaks.append(peak)
            print(f"run {run + 1}: {elapsed:.1f} s, peak {peak:.0f} MB, exit code {code}", flush=True)
    print(f"refresh_s: {statistics.median(times):.1f} peak_memory_mb: {statistics.median(peaks):.0f}")


if __name__ == "__main__":
    main()
