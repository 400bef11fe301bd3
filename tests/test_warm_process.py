"""The warm server forks children that behave as processes started from scratch (tests/warm_process.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import warm_process

ROOT = Path(__file__).resolve().parent.parent


def python_c(code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", ""), **env}
    return warm_process.run([sys.executable, "-c", code, *args], env=environment, cwd=ROOT, timeout=60)


def test_a_child_gets_its_arguments_environment_directory_and_streams(tmp_path: Path) -> None:
    code = (
        "import os, sys; print(sys.argv[1:], os.environ.get('ONLY_HERE'), os.environ.get('HOME'));"
        "print(os.getcwd()); print('é', file=sys.stderr)"
    )
    command = [sys.executable, "-c", code, "a", "b c"]
    result = warm_process.run(command, env={"ONLY_HERE": "1"}, cwd=tmp_path, timeout=60)
    # the whole environment is the command's: HOME, which the test worker has, is not inherited
    assert result.stdout.splitlines() == ["['a', 'b c'] 1 None", str(tmp_path)]
    assert (result.returncode, result.stderr) == (0, "é\n")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("import sys; sys.exit(3)", 3), ("raise ValueError('boom')", 1), ("pass", 0)],
)
def test_exit_codes_are_those_of_a_process(code: str, expected: int) -> None:
    result = python_c(code)
    assert result.returncode == expected
    assert ("Traceback" in result.stderr and "ValueError: boom" in result.stderr) == (expected == 1)


def test_a_killed_child_reports_the_signal() -> None:
    process = warm_process.popen(
        [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"], env={}, cwd=ROOT
    )
    time.sleep(0.2)
    assert process.poll() is None
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    assert process.communicate(timeout=10) == ("up\n", "")


def test_a_command_past_its_timeout_is_killed() -> None:
    command = [sys.executable, "-c", "import time; print('x', flush=True); time.sleep(60)"]
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        warm_process.run(command, env={}, cwd=ROOT, timeout=0.5)
    assert time.monotonic() - started < 10


def test_cobase_itself_is_imported_fresh_in_each_child() -> None:
    """Only third-party libraries are preloaded: cobase's module-level objects are built in the child."""
    result = python_c("import sys; print('cobase' in sys.modules, 'sqlalchemy' in sys.modules)")
    assert result.stdout == "False True\n"


def test_python_dash_m_cobase_is_the_command_line_a_fresh_process_runs() -> None:
    """The same output as a process started from scratch, wrapped at each command's own ``COLUMNS``."""
    command = [sys.executable, "-m", "cobase", "--help"]
    outputs = {}
    for width in ("60", "200"):
        env = {"PATH": os.environ["PATH"], "COLUMNS": width}
        warm = warm_process.run(command, env=env, cwd=ROOT, timeout=60)
        cold = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
        assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
        outputs[width] = warm.stdout
    assert outputs["60"] != outputs["200"] and "Usage: cobase" in outputs["60"]
    assert all(len(line) <= 60 for line in outputs["60"].splitlines())


def test_other_commands_start_from_scratch() -> None:
    assert not warm_process.is_warm_command(["/bin/echo", "-c", "x"])
    result = warm_process.run(["/bin/echo", "hello"], env={}, cwd=ROOT, timeout=60)
    assert (result.returncode, result.stdout) == (0, "hello\n")


def test_killing_a_child_that_has_exited_is_harmless_as_with_popen() -> None:
    process = warm_process.popen([sys.executable, "-c", "print('done')"], env={}, cwd=ROOT)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{process.pid}/stat") and "Z" not in _state(process.pid):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.kill()  # exited (reaped by the server or about to be), its status maybe not yet read
    assert process.communicate(timeout=10) == ("done\n", "")
    assert process.returncode == 0


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"
