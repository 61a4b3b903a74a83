"""dbt commands started from a process that has already imported dbt.

Every dbt step of a run starts `dbt`, and a fresh dbt process spends about 2.5 s
importing dbt and its adapter before it reads the project (measured on the demo: one
`dbt build` 8.5 s as a new process, 6.1 s forked from a process that had imported
them). A run has two dbt steps; a test suite runs the pipeline about thirty times.

So the dbt resource starts a *warm* process when a run starts (`WarmDbt`): it imports
dbt while the run ingests, then waits on a Unix socket. dagster-dbt runs the
executable `trustcap-dbt` (`launch`) instead of `dbt`: it hands the warm process its
arguments, environment, working folder and its stdin/stdout/stderr; the warm process
forks, and the fork runs dbt's own command line entry point (`dbt.cli.main.cli`, what
the `dbt` executable runs) on them, once, and exits. dagster-dbt reads the same JSON
log lines from the same pipe and gets dbt's exit code as the launcher's. An interrupt
(SIGINT, SIGTERM) sent to the launcher is passed on to the fork. Without a warm
process (none started, or it has gone), the launcher *is* dbt: it replaces itself by
the `dbt` executable beside it.

Each command still runs in its own fresh process (a fork), so nothing of one dbt
command leaks into the next, as with separate processes. The warm process keeps no
threads, so forking it is safe. It ends when the run does (its stdin closes), and
stops any dbt it started then.

This module imports only the standard library: the launcher runs it for every dbt
command.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

# the launcher finds the warm process's socket here
SOCKET_ENV = "TC_WARM_DBT_SOCKET"
_HEADER = struct.Struct("!Q")
_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


# --- the launcher: `trustcap-dbt`, run by dagster-dbt as its dbt executable ---


def launch() -> None:
    argv = sys.argv[1:]
    conn = _connect(os.environ.get(SOCKET_ENV, ""))
    if conn is not None:
        payload = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
        try:
            socket.send_fds(conn, [_HEADER.pack(len(payload))], [0, 1, 2])
            conn.sendall(payload)
            code = _follow(conn)
        except OSError:
            code = None
        if code is not None:
            sys.exit(code)
        sys.stderr.write("trustcap-dbt: the warm dbt process did not start dbt; running dbt\n")
    # no warm process, or it went before starting dbt: be dbt
    real = str(Path(sys.executable).parent / "dbt")
    os.execv(real, [real, *argv])


def _connect(path: str) -> socket.socket | None:
    if not path:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    return conn


def _follow(conn: socket.socket) -> int | None:
    """Pass interrupts on to the dbt fork; its exit code once it ends (None: the warm
    process went before forking, so dbt never started)."""
    child: list[int] = []
    pending: list[int] = []

    def forward(signum, _frame):
        if child:
            os.kill(child[0], signum)
        else:  # not started yet: pass it on once it has
            pending.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)
    reader = conn.makefile("r", encoding="utf-8")
    for line in reader:
        word, _, value = line.strip().partition(" ")
        if word == "pid":
            child.append(int(value))
            for signum in pending:
                os.kill(child[0], signum)
        elif word == "exit":
            return int(value)
    if not child:
        return None
    sys.stderr.write("trustcap-dbt: the dbt process ended without an exit status\n")
    return 1


# --- the warm process ---


def serve(listener_fd: int, adapter: str) -> None:
    # WarmDbt.start bound and opened the socket: a launcher's connection waits in its
    # queue from then on, while this process imports
    listener = socket.socket(fileno=listener_fd)
    import dbt.cli.main  # noqa: F401 - the imports this process exists for

    __import__(f"dbt.adapters.{adapter}")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks are reaped by the system
    forks: set[int] = set()
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
            break  # the run has ended (or died)
        if listener in ready:
            conn, _ = listener.accept()
            try:
                pid = _fork_dbt(listener, conn)
            except (OSError, ValueError):  # a launcher that went away mid-request
                pid = None
            conn.close()
            if pid:
                forks.add(pid)
            forks = {p for p in forks if _alive(p)}
    for pid in forks:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)


def _fork_dbt(listener: socket.socket, conn: socket.socket) -> int | None:
    message, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 3)
    if len(fds) != 3 or len(message) != _HEADER.size:
        for fd in fds:
            os.close(fd)
        return None
    (size,) = _HEADER.unpack(message)
    payload = b""
    while len(payload) < size:
        chunk = conn.recv(size - len(payload))
        if not chunk:
            break
        payload += chunk
    request = json.loads(payload)
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    # the fork: dbt on the launcher's streams, environment and folder
    code = 1
    try:
        listener.close()
        # interrupts as a new dbt process has them, whatever the run's process had
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)
        conn.sendall(f"pid {os.getpid()}\n".encode())
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        code = _run_dbt(request["argv"])
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            # what a dbt process does when it exits: its exit handlers (multiprocessing's
            # among them, which release the locks dbt's adapters made), then the flush
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(f"exit {code}\n".encode())
        finally:
            os._exit(code)


def _run_dbt(argv: list[str]) -> int:
    from dbt.cli.main import cli

    try:
        cli.main(args=argv, prog_name="dbt", standalone_mode=True)
    except SystemExit as end:
        code = end.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write(f"{code}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --- the run's side: start it, point the launcher at it, end it ---


class WarmDbt:
    """The warm process of one run: `start()` when the run starts, `stop()` when it
    ends. The launcher uses it through SOCKET_ENV in this process's environment,
    which dagster-dbt hands to dbt."""

    def __init__(self, adapter: str, env: dict[str, str]):
        self._adapter, self._env = adapter, env
        self._folder: str | None = None
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="tc-dbt-")  # 0700: this user's only
        path = os.path.join(self._folder, "socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)
            listener.listen(8)
            fd = listener.fileno()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.warm_dbt", str(fd), self._adapter],
                pass_fds=(fd,),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,  # each dbt command writes to its launcher's
                env={**os.environ, **self._env, "PYTHONUNBUFFERED": "1"},
            )
        os.environ[SOCKET_ENV] = path

    def stop(self) -> None:
        if os.environ.get(SOCKET_ENV, "").startswith(self._folder or "\0"):
            del os.environ[SOCKET_ENV]
        if self._process is not None:
            self._process.stdin.close()  # its signal to end
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._folder is not None:
            for name in os.listdir(self._folder):
                os.unlink(os.path.join(self._folder, name))
            os.rmdir(self._folder)
            self._folder = None


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
