"""Benchmark: ``cobase refresh`` of every source against local servers serving the test fixtures.

Usage: ``python bench/refresh.py [--runs 3] [--no-worst-case]``. Each run refreshes every source that has
fixtures (``tests/fixtures/<source>/routes.json``) into a fresh SQLite database, in a child process exactly
as cron would, and records its wall time and peak memory. The size limits in force (``max_body_mb``,
``max_zip_member_mb`` of sources.yml) are printed first. Then a worst case with the same limits: WHO GHO
answers one body just under ``max_body_mb`` and one over it, UNAIDS a ZIP whose member inflates to 1.5 GB;
its peak memory is printed too. Prints per-run figures, then ``refresh_s: X peak_memory_mb: Y`` (medians)
as its last line. Targets: under 2 minutes, under 500 MB; the worst case under 1 GB.

``python bench/refresh.py --scms ../shared/fixtures/supply/scms/Supply_Chain_Shipment_Pricing_Data.csv``
refreshes only ``usaid_scms``, served the whole real delivery history (10,324 lines) at its export path.
Targets: under 10 s, under 300 MB.

``--national`` refreshes instead the national registers from the real files of
``../shared/fixtures/national/`` (every Algerian version and the Tunisian list, served from a local
server as the ministries' pages and files would be). Target: under 60 s and under 1 GB.

``--cost-sources`` refreshes instead the sources of the monthly cost from the real shared files
(``../shared/fixtures``: the CNOPS 2014 list of 5,917 medicines and ILOSTAT's whole-world minimum wage
CSV), served at their producers' paths. Target: under 60 s and 1 GB.

``--scale N [--seed S]`` builds full-size payloads of the main sources in their real formats
(``bench/scale_payloads.py``: at 1, WHO GHO 40 indicators x 194 countries x 25 years x 3 sexes in OData
pages, World Bank WDI every country, a UNAIDS Estimates ZIP of 500,000 rows), serves them from a local
server and refreshes one store three times: first, unchanged (the same bytes, from a server on another
port) and 5 %-revised. For each: wall time, peak memory, store size and the seconds per stage (crawl is
what the refresh took beyond keeping snapshots, parsing, harmonizing and ingesting); then a raw
``sqlite3.executemany`` of the same observation rows and the ratio (raw / first refresh). Targets at
``--scale 1``: first refresh under 60 s, unchanged under 5 s, peak under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

from cobase.yamltext import load_yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cobase.fixture_server import fixture_folder, serve_fixtures  # noqa: E402
from cobase.registry import load_registry  # noqa: E402


def one_run(
    folders: dict[str, Path], overrides: dict[str, dict[str, object]], workdir: Path
) -> tuple[float, float, int, float]:
    """Seconds, peak MB of the child, its exit code and its CPU seconds, for one refresh of every served
    source (CPU time is what to compare when the machine is shared: wall time then measures the others)."""
    data = load_yaml((REPO / "sources.yml").read_text(encoding="utf-8"))
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
    return elapsed, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime


def _scms_folder(csv_file: Path, workdir: Path) -> Path:
    """A fixture folder serving ``csv_file`` at the data catalogue's export path (the file is not copied)."""
    folder = workdir / "usaid_scms"
    folder.mkdir()
    route = {
        "path": "/api/views/a3rc-nmf6/rows.csv",
        "query": {"accessType": "DOWNLOAD"},
        "file": str(csv_file),
        "content_type": "text/csv; charset=utf-8",
    }
    (folder / "routes.json").write_text(json.dumps([route]), encoding="utf-8")
    return folder


MEGABYTE = 1024 * 1024


def worst_case_folders(fixtures: Path, workdir: Path, max_body_mb: float) -> dict[str, Path]:
    """Copies of the who_gho and unaids_aidsinfo fixtures where some answers are as large as allowed or more.

    who_gho's UHC_INDEX_REPORTED is valid JSON 1 MB under ``max_body_mb`` (kept and parsed), its
    GHED_OOPSCHE_SHA2011 20 MB over it (refused); unaids_aidsinfo's Estimates ZIP holds a 1.5 GB member.
    """
    folders = {}
    for key in ("who_gho", "unaids_aidsinfo"):
        folder = workdir / f"worst_{key}"
        shutil.copytree(fixtures / key, folder, dirs_exist_ok=True)
        folders[key] = folder
    padding = int((max_body_mb - 1) * MEGABYTE)
    with (folders["who_gho"] / "UHC_INDEX_REPORTED.json").open("wb") as file:
        file.write(b'{"value": [')
        for _ in range(padding // MEGABYTE):
            file.write(b" " * MEGABYTE)
        file.write(b"]}")
    with (folders["who_gho"] / "GHED_OOPSCHE_SHA2011.json").open("wb") as file:
        for _ in range(int(max_body_mb) + 20):
            file.write(b" " * MEGABYTE)
    with (
        zipfile.ZipFile(
            folders["unaids_aidsinfo"] / "Estimates_2024_en.zip", "w", zipfile.ZIP_DEFLATED
        ) as zip_file,
        zip_file.open("Estimates_2024_en.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(1536):
            member.write(bytes(MEGABYTE))
    return folders


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
    parser.add_argument("--scms", type=Path, help="a full SCMS delivery history CSV: refresh usaid_scms only")
    parser.add_argument("--no-worst-case", action="store_true", help="skip the run at the size limits")
    parser.add_argument("--national", action="store_true", help="the national registers' real files")
    parser.add_argument(
        "--cost-sources", action="store_true", help="the cost sources on the real shared files"
    )
    parser.add_argument("--scale", type=float, help="full-size payloads of the main sources (1: production)")
    parser.add_argument("--seed", type=int, default=13, help="seed of the --scale payloads")
    args = parser.parse_args()
    if args.scale is not None:
        from bench.refresh_scale import run_scale

        run_scale(args.scale, args.seed)
        return
    registry = load_registry()
    limits = sorted({(s.max_body_mb, s.max_zip_member_mb) for s in registry.sources.values()})
    print(
        f"limits: max_body_mb={registry.defaults.max_body_mb:g} "
        f"max_zip_member_mb={registry.defaults.max_zip_member_mb:g} (sources.yml defaults; per source: "
        + ", ".join(f"{body:g}/{member:g}" for body, member in limits)
        + ")"
    )
    fixtures = REPO / "tests" / "fixtures"
    folders: dict[str, Path] = {}
    overrides: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as served:
        if args.national:
            folders, overrides = national_folders(Path(served))
        elif args.cost_sources:
            folders = cost_source_folders(Path(served))
            overrides = {key: {} for key in folders}
        elif args.scms is not None:
            folders, overrides = (
                {"usaid_scms": _scms_folder(args.scms.resolve(), Path(served))},
                {"usaid_scms": {}},
            )
        else:
            for key in registry.sources:
                found = fixture_folder(fixtures, key)
                if found is not None:
                    folders[key], overrides[key] = found
        run_all(folders, overrides, args.runs)
        if not (args.no_worst_case or args.national or args.cost_sources or args.scms is not None):
            worst = worst_case_folders(fixtures, Path(served), registry.defaults.max_body_mb)
            elapsed, peak, code, _cpu = one_run(worst, {key: overrides[key] for key in worst}, Path(served))
            print(
                f"worst case (a body 1 MB under max_body_mb, one 20 MB over, a 1.5 GB ZIP member): "
                f"{elapsed:.1f} s, peak {peak:.0f} MB, exit code {code} (1: the refusals fail their sources)",
                flush=True,
            )


def run_all(folders: dict[str, Path], overrides: dict[str, dict[str, object]], runs: int) -> None:
    """Refresh ``folders`` ``runs`` times and print the figures (medians last)."""
    print(f"sources: {', '.join(sorted(folders))}")
    times: list[float] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            elapsed, peak, code, cpu = one_run(folders, overrides, Path(tmp))
            times.append(elapsed)
            peaks.append(peak)
            print(
                f"run {run + 1}: {elapsed:.1f} s, cpu {cpu:.1f} s, peak {peak:.0f} MB, exit code {code}",
                flush=True,
            )
    print(f"refresh_s: {statistics.median(times):.1f} peak_memory_mb: {statistics.median(peaks):.0f}")


if __name__ == "__main__":
    main()
