"""Benchmark: start-up of the command line, ``cobase --help`` and ``cobase status`` on an empty store.

Usage: ``python bench/cli.py [--runs 10]``. Creates an empty, migrated SQLite store in a temporary folder,
then runs each command ``--runs`` times as a user does (a new process through the installed ``cobase``
script, or ``python -m cobase`` when the script is not on the PATH) and prints the median wall time of
each as its last line: ``help_s: X status_s: Y``. Targets: ``cobase --help`` under 0.3 s and
``cobase status --db <empty store>`` under 0.7 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cobase.db import open_store  # noqa: E402


def command_line() -> list[str]:
    """The installed ``cobase`` script beside this interpreter, else ``python -m cobase``."""
    script = Path(sys.executable).with_name("cobase")
    if script.exists():
        return [str(script)]
    found = shutil.which("cobase")
    return [found] if found else [sys.executable, "-m", "cobase"]


def median_seconds(arguments: list[str], runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``runs`` fresh processes; each must succeed."""
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command")
    args = parser.parse_args()
    cobase = command_line()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "empty.db"
        open_store(f"sqlite:///{store}").dispose()  # created and migrated once, as after a first use
        env = {**os.environ, "COBASE_DATA_DIR": folder}
        help_s = median_seconds([*cobase, "--help"], args.runs, env)
        status_s = median_seconds([*cobase, "status", "--db", str(store)], args.runs, env)
    print(f"help_s: {help_s:.3f} status_s: {status_s:.3f}")


if __name__ == "__main__":
    main()
