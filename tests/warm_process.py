"""``python -m cobase`` in a real process of its own, without paying its libraries' import at every start.

End-to-end tests run the command line in a process of its own, as cron runs it: its own arguments,
environment, working directory, exit code, stdout and stderr, and a pid that ``kill -9`` reaches in the
middle of a refresh. What a fresh interpreter spends before cobase's first line runs is importing
SQLAlchemy, SQLModel, Alembic, Scrapy, Twisted, pandas and friends: 0.6 to 0.8 s of CPU every time,
about half of the whole suite's CPU on a 2-core machine.

So each test worker starts one *warm server* (:data:`SERVER`): an interpreter that imports those
third-party libraries once, then forks a child per command. The child takes the command's standard
streams (passed as file descriptors over a Unix socket), its working directory and its whole
environment, then runs the ``cobase`` module as ``python -m cobase`` does and exits as a process exits
(atexit handlers, flushed streams). cobase's own modules are *not* preloaded: a module-level object that
reads the environment (a Rich console reading ``COLUMNS``) is built in the child, from the command's
environment. The libraries preloaded read no environment at import (checked for what the suite sets).

What this cannot stand in for stays a fresh process: ``tests/test_cli_startup.py`` times a cold start,
and tests that measure a command's own peak memory, or that run the installed ``cobase`` script, start
it from scratch (:func:`popen` falls back to :class:`subprocess.Popen` for any other command line).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PRELOADED = (
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "sqlmodel",
    "pydantic",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
    "alembic.operations",
    "scrapy",
    "scrapy.crawler",
    "scrapy.http",
    "scrapy.core.engine",
    "scrapy.core.downloader.contextfactory",
    "scrapy.core.downloader.handlers.http11",
    "twisted.internet.defer",
    "typer",
    "rich.console",
    "pandas",
    "lxml.etree",
    "pypdf",
    "yaml",
)
"""Third-party libraries a ``cobase`` command imports, loaded once by the warm server."""

_SERVER_SOURCE = r"""
import gc, importlib, json, os, select, socket, sys

def serve(path, preloaded):
    for name in preloaded:
        importlib.import_module(name)
    # Scrapy installs its own reactor in the command: one installed here would be the wrong one.
    assert "twisted.internet.reactor" not in sys.modules, "a preloaded module installed a reactor"
    # The preloaded objects are never collected: a child's collections then skip them instead of
    # writing to (and so copying) every page of the inherited heap.
    gc.collect()
    gc.freeze()
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    waiting = {}  # pidfd -> (pid, connection)
    while True:
        ready, _, _ = select.select([listener, *waiting], [], [], 1.0)
        if os.getppid() != parent:  # the test worker is gone
            os._exit(0)
        for item in ready:
            if item is listener:
                connection, _ = listener.accept()
                message, fds, _flags, _address = socket.recv_fds(connection, 1 << 20, 3)
                request = json.loads(message)
                sys.stdout.flush(); sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    listener.close(); connection.close()
                    for pidfd, (_pid, other) in waiting.items():
                        os.close(pidfd); other.close()
                    for target, fd in enumerate(fds):
                        os.dup2(fd, target)
                        os.close(fd)
                    return request
                for fd in fds:
                    os.close(fd)
                connection.send(json.dumps({"pid": pid}).encode())
                waiting[os.pidfd_open(pid)] = (pid, connection)
            else:
                pid, connection = waiting.pop(item)
                _, status = os.waitpid(pid, 0)
                os.close(item)
                try:
                    connection.send(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
                except OSError:
                    pass
                connection.close()

def run(request):
    if request["new_session"]:
        os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if request["code"] is None:  # python -m cobase ARGS
        sys.path[0] = os.getcwd()
        sys.argv = ["cobase", *request["args"]]
        import runpy
        runpy.run_module("cobase", run_name="__main__", alter_sys=True)
    else:  # python -c CODE ARGS
        sys.argv = ["-c", *request["args"]]
        namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        exec(compile(request["code"], "<string>", "exec"), namespace)

run(serve(sys.argv[1], json.loads(sys.argv[2])))
"""


class WarmServer:
    """One warm server per test process, started on first use and stopped with the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._path = ""

    def _socket_path(self) -> str:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                directory = tempfile.mkdtemp(prefix="cobase-warm-")
                self._path = os.path.join(directory, "socket")
                self._process = subprocess.Popen(
                    [sys.executable, "-c", _SERVER_SOURCE, self._path, json.dumps(PRELOADED)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    cwd=Path(__file__).resolve().parent.parent,
                )
                atexit.register(self._stop, self._process, directory)
                deadline = time.monotonic() + 60
                while not os.path.exists(self._path):
                    if self._process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the warm server for cobase commands did not start")
                    time.sleep(0.02)
            return self._path

    @staticmethod
    def _stop(process: subprocess.Popen[bytes], directory: str) -> None:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)  # its socket

    def start(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | os.PathLike[str],
        new_session: bool,
    ) -> WarmProcess:
        """Fork a child that runs ``command`` (see :func:`is_warm_command`); stdout and stderr are pipes."""
        code = None if command[2] == "cobase" else command[2]
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        connection.connect(self._socket_path())
        stdin = os.open(os.devnull, os.O_RDONLY)
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        request = {
            "code": code,
            "args": list(command[3:]),
            "env": dict(env),
            "cwd": os.fspath(cwd),
            "new_session": new_session,
        }
        try:
            socket.send_fds(connection, [json.dumps(request).encode()], [stdin, out_write, err_write])
        finally:
            for fd in (stdin, out_write, err_write):
                os.close(fd)
        pid = json.loads(connection.recv(1 << 16))["pid"]
        return WarmProcess(list(command), pid, connection, out_read, err_read)


SERVER = WarmServer()


class WarmProcess:
    """What tests use of :class:`subprocess.Popen` (text, stdout and stderr piped), for a forked child."""

    def __init__(
        self, args: list[str], pid: int, connection: socket.socket, stdout_fd: int, stderr_fd: int
    ) -> None:
        self.args = args
        self.pid = pid
        self.returncode: int | None = None
        self._connection = connection
        self._pipes = {stdout_fd: bytearray(), stderr_fd: bytearray()}
        self._stdout_fd, self._stderr_fd = stdout_fd, stderr_fd
        self._open = {stdout_fd, stderr_fd}

    def _status(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            self._connection.settimeout(timeout)
            try:
                message = self._connection.recv(1 << 16)
            except (TimeoutError, BlockingIOError):
                return None
            self._connection.close()
            self.returncode = json.loads(message)["returncode"]
        return self.returncode

    def poll(self) -> int | None:
        return self._status(0.0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._status(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def send_signal(self, number: int) -> None:
        """As :meth:`subprocess.Popen.send_signal`: nothing once the child is known to have exited."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # exited, its status not yet read
                os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Read stdout and stderr to their end, then wait for the exit (``TimeoutExpired`` after it)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd in self._open:
                selector.register(fd, selectors.EVENT_READ)
            while self._open:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                events = selector.select(left)
                if not events and deadline is not None and time.monotonic() >= deadline:
                    raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
                for key, _ in events:
                    chunk = os.read(key.fd, 1 << 16)
                    if chunk:
                        self._pipes[key.fd] += chunk
                    else:
                        selector.unregister(key.fd)
                        os.close(key.fd)
                        self._open.discard(key.fd)
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        self.wait(left)
        return _text(self._pipes[self._stdout_fd]), _text(self._pipes[self._stderr_fd])

    def __del__(self) -> None:
        for fd in self._open:
            os.close(fd)
        self._open = set()


def _text(data: bytes | bytearray) -> str:
    """Decoded as ``subprocess.Popen(text=True)`` decodes: UTF-8, universal newlines."""
    return bytes(data).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def is_warm_command(command: Sequence[str]) -> bool:
    """Whether ``command`` is ``python -m cobase …`` or ``python -c CODE …`` run by this interpreter."""
    return (
        len(command) >= 3
        and command[0] == sys.executable
        and (list(command[1:3]) == ["-m", "cobase"] or command[1] == "-c")
    )


def popen(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    new_session: bool = False,
) -> WarmProcess | subprocess.Popen[str]:
    """Start ``command`` with text stdout and stderr pipes, forked by the warm server when it can be."""
    if is_warm_command(command):
        return SERVER.start(command, env=env, cwd=cwd, new_session=new_session)
    return subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
        cwd=cwd,
        start_new_session=new_session,
    )


def run(
    command: Sequence[str], *, env: Mapping[str, str], cwd: str | os.PathLike[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """:func:`subprocess.run` with ``capture_output=True, text=True``, forked warm when it can be."""
    process: Any = popen(command, env=env, cwd=cwd)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)
