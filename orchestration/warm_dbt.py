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
the `dbt` executable beside it. In a process that runs the pipeline more than once (a
test worker), each run's warm process is forked from one process that has imported
dbt and parsed nothing (`_Importer`), so dbt is imported once.

The warm process also parses the project once, with the run's vars and settings
(`_parse_once`, dbt's programmatic `dbtRunner`): a command whose inputs to a parse are
exactly those (its --vars, the TC_* settings, dbt's target and folders, every
variable the parse read) runs on that manifest, as `dbtRunner(manifest=...)`, and
skips its own parse (1.4 s a command with dbt's partial parse, 4.4 s without). The
parse sees a stand-in for the warehouse's folder, so that dbt's partial parse applies
across warehouses too (`_STAND_IN_WAREHOUSE`). Any other command is run by the
launcher as plain dbt: a fork of a process that has parsed deadlocks in dbt's static
parser (a native library), so no fork ever parses after it.

Each command still runs in its own fresh process (a fork), so nothing of one dbt
command leaks into the next, as with separate processes. The warm process runs no
Python threads (importing DuckDB starts one native thread of its own). It ends when the run
does (its stdin closes), and stops any dbt it started then: they are one process group,
its own, so a Ctrl-C in the run's terminal reaches dbt only through its launcher.

This module imports only the standard library: the launcher runs it for every dbt
command.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

# the launcher finds the warm process's socket here
SOCKET_ENV = "TC_WARM_DBT_SOCKET"
# the launcher, installed beside this Python by pyproject's scripts
WARM_LAUNCHER = "trustcap-dbt"


def installed_launcher() -> str | None:
    """The launcher beside this Python, or None (then dbt itself runs each command)."""
    beside = Path(sys.executable).parent / WARM_LAUNCHER
    return str(beside) if beside.exists() else None


_HEADER = struct.Struct("!Q")
_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


# --- the launcher: `trustcap-dbt`, run by dagster-dbt as its dbt executable ---


def launch() -> None:
    argv = sys.argv[1:]
    # interrupts are caught before dbt can start: one arriving before the fork's pid is
    # known is passed on once it is (or ends the launcher if dbt never starts)
    child: list[int] = []
    pending: list[int] = []

    def forward(signum, _frame):
        if child:
            os.kill(child[0], signum)
            # CPython runs a Python signal handler only between bytecodes or when a
            # system call is interrupted: an interrupt landing just before dbt blocks
            # in a read stays pending while it waits (seen under load: `dbt init` at
            # its prompt). If dbt has not ended 10 s later, end it as the run's
            # teardown would
            signal.alarm(10)
        else:
            pending.append(signum)

    def end_dbt(_signum, _frame):
        if child:
            os.kill(child[0], signal.SIGTERM)

    for signum in _INTERRUPTS:
        signal.signal(signum, forward)
    signal.signal(signal.SIGALRM, end_dbt)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)
    conn = _connect(os.environ.get(SOCKET_ENV, ""))
    if conn is not None:
        payload = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
        try:
            socket.send_fds(conn, [_HEADER.pack(len(payload))], [0, 1, 2])
            conn.sendall(payload)
            code = _follow(conn, child, pending)
        except OSError:
            code = None
        if code is not None:
            sys.exit(code)
    # dbt itself from here (exec keeps no handler): an interrupt now ends the launcher
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if pending:
        sys.exit(130)  # interrupted before dbt started: no dbt
    # no warm process, it went before starting dbt, or the command is for dbt itself
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


def _follow(conn: socket.socket, child: list[int], pending: list[int]) -> int | None:
    """The dbt fork's exit code once it ends, interrupts passed on to it meanwhile
    (None: no dbt was started here: the command is for dbt itself, or the warm process
    went before forking)."""
    reader = conn.makefile("r", encoding="utf-8")
    for line in reader:
        word, _, value = line.strip().partition(" ")
        if word == "pid":
            child.append(int(value))
            for signum in pending:
                os.kill(child[0], signum)
                signal.alarm(10)
        elif word == "exit":
            return int(value)
        elif word == "plain":
            return None
    if not child:
        sys.stderr.write("trustcap-dbt: the warm dbt process did not start dbt\n")
        return None
    sys.stderr.write("trustcap-dbt: the dbt process ended without an exit status\n")
    return 1


# --- the warm process ---


def serve(listener_fd: int, adapter: str, parse_request: str = "") -> None:
    # WarmDbt.start bound and opened the socket: a launcher's connection waits in its
    # queue from then on, while this process imports (and parses)
    listener = socket.socket(fileno=listener_fd)
    import dbt.cli.main  # noqa: F401 - the imports this process exists for

    __import__(f"dbt.adapters.{adapter}")
    if parse_request:
        _parse_once(json.loads(parse_request))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks are reaped by the system
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
            break  # the run has ended (or died)
        if listener in ready:
            conn, _ = listener.accept()
            with contextlib.suppress(OSError, ValueError):  # a launcher gone mid-request
                _fork_dbt(listener, conn)
            conn.close()
    # every dbt started here is in this process's group (WarmDbt.start made it one;
    # never the group of whoever started this process otherwise)
    if os.getpgid(0) == os.getpid():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(0, signal.SIGTERM)


def _fork_dbt(listener: socket.socket, conn: socket.socket) -> None:
    message, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 3)
    if len(fds) != 3 or len(message) != _HEADER.size:
        for fd in fds:
            os.close(fd)
        return
    (size,) = _HEADER.unpack(message)
    payload = b""
    while len(payload) < size:
        chunk = conn.recv(size - len(payload))
        if not chunk:
            break
        payload += chunk
    request = json.loads(payload)
    reuse = bool(_PARSED) and _parse_inputs(request["argv"], request["env"]) == _PARSED["inputs"]
    if _PARSED and not reuse:
        # another parse than this process's: not in a fork of it (dbt's static parser,
        # a native library, deadlocks in a fork of a process that has used it); the
        # launcher runs dbt itself
        for fd in fds:
            os.close(fd)
        conn.sendall(b"plain\n")
        return
    if os.fork():
        for fd in fds:
            os.close(fd)
        return
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
        code = _run_dbt(request["argv"], reuse)
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


# The project as this process parsed it, and what it was parsed from (_parse_once)
_PARSED: dict = {}

# flags that would make a command parse something else than what was parsed here
_OTHER_PROJECT_FLAGS = {"--target", "-t", "--profile", "--project-dir", "--profiles-dir"}


# What the parse sees as the warehouse's folder (the profile's path, the folders in the
# vars): the same for every warehouse. The parse builds nothing from that folder, but
# dbt keeps a partial parse only for the profile and vars it was made with, so each new
# warehouse (every pipeline run of the test suite) parsed the project in full (4.4 s
# against 1.4 s). If the stand-in shows in what was parsed, the parse does depend on
# the folder: it is parsed again with the real one.
_STAND_IN_WAREHOUSE = "/trustcap-warehouse-stand-in"
WAREHOUSE_ENV = "TC_WAREHOUSE_DIR"


def _parse_once(request: dict) -> None:
    """Parse the project as the run's dbt commands will, once (dbt's programmatic
    invocation, `dbtRunner`, returns the manifest): a command with the same inputs then
    runs on it and skips its own parse (1.4 s with dbt's partial parse on the demo, 4.4
    s without). Anything else parses as usual."""
    target = Path(request["target_path"])
    target.mkdir(parents=True, exist_ok=True)
    kept = Path(request["project_dir"]) / "target" / "partial_parse.msgpack"
    os.chdir(request["project_dir"])  # where dagster-dbt runs dbt
    real = os.environ.get(WAREHOUSE_ENV, "")
    result = None
    if real:
        result = _parse(kept, target, _with_stand_in(request["vars"], real), _STAND_IN_WAREHOUSE)
        if result is not None and _STAND_IN_WAREHOUSE.encode() in _read(target / kept.name):
            result = None
    if result is None:
        result = _parse(kept, target, request["vars"], real)
    if result is None:
        return
    # hand the parse back, as each dbt step did (defs/dbt/assets.py): the next
    # run's parse is then partial
    parsed = target / kept.name
    if parsed.exists():
        kept.parent.mkdir(exist_ok=True)
        handed = kept.with_name(f".{kept.name}.{os.getpid()}")
        shutil.copyfile(parsed, handed)
        os.replace(handed, kept)
    _PARSED["manifest"] = result
    _PARSED["inputs"] = _parse_inputs(["--vars", request["vars"]], dict(os.environ))


def _parse(kept: Path, target: Path, dbt_vars: str, warehouse: str):
    """dbt's parse with these vars and warehouse folder: the manifest, or None."""
    from dbt.cli.main import dbtRunner

    if kept.exists():  # as dagster-dbt does for each command
        (target / kept.name).write_bytes(kept.read_bytes())
    real = os.environ.get(WAREHOUSE_ENV)
    os.environ[WAREHOUSE_ENV] = warehouse
    try:
        result = dbtRunner().invoke(
            ["--quiet", "parse", "--vars", dbt_vars, "--target-path", str(target)]
        )
    finally:
        if real is None:
            os.environ.pop(WAREHOUSE_ENV, None)
        else:
            os.environ[WAREHOUSE_ENV] = real
    return result.result if result.success and result.result is not None else None


def _with_stand_in(dbt_vars: str, warehouse: str) -> str:
    """The vars with the stand-in for the warehouse's folder in each path under it."""
    try:
        values = json.loads(dbt_vars)
    except ValueError:
        return dbt_vars  # not the JSON runs give (the stand-in check still holds)
    if not isinstance(values, dict):
        return dbt_vars
    return json.dumps(
        {
            name: _STAND_IN_WAREHOUSE + value[len(warehouse) :]
            if isinstance(value, str) and (value == warehouse or value.startswith(warehouse + "/"))
            else value
            for name, value in values.items()
        }
    )


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def _parse_inputs(argv: list[str], env: dict[str, str]) -> dict | None:
    """What a parse of this project depends on, as a command would have it: its --vars,
    the settings (TC_*: the profile and the project read them), dbt's target, folders,
    and every other variable the parse read (the manifest's env_vars)."""
    if _OTHER_PROJECT_FLAGS & set(argv) or argv.count("--vars") != 1:
        return None
    manifest = _PARSED.get("manifest")
    read = set(manifest.env_vars) if manifest is not None else set()
    names = {n for n in env if n.startswith("TC_")} | read
    names |= {"DBT_TARGET", "DBT_PROFILES_DIR", "DBT_PROJECT_DIR", "DBT_PROFILE"}
    return {
        "vars": argv[argv.index("--vars") + 1] if argv.index("--vars") + 1 < len(argv) else "",
        "env": {n: env.get(n) for n in sorted(names) if n != SOCKET_ENV},
    }


def _run_dbt(argv: list[str], reuse: bool) -> int:
    from dbt.cli.main import cli, dbtRunner

    if reuse:
        # dbt's own programmatic invocation on the manifest parsed here; its exit
        # codes as dbt's command line has them (0 success, 1 failures, 2 errors)
        try:
            result = dbtRunner(manifest=_PARSED["manifest"]).invoke(argv)
        except KeyboardInterrupt:
            return 130
        if result.success:
            return 0
        return 2 if result.exception is not None else 1
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


# --- the run's side: start it, point the launcher at it, end it ---


class WarmDbt:
    """The warm process of one run: `start()` when the run starts, `stop()` when it
    ends. The launcher uses it through SOCKET_ENV in this process's environment,
    which dagster-dbt hands to dbt.

    The run's dbt resource starts one when the run's resources are set up, unless the
    caller started one for the same run already (`started_for`): `trustcap run` does,
    before it imports Dagster and creates the run, so that dbt is imported and the
    project parsed by the time the first dbt step needs them."""

    def __init__(self, adapter: str, env: dict[str, str], parse: dict | None = None):
        """`parse`: the dbt vars (JSON) and project folder the run's dbt commands will
        use, to parse the project once, ahead of them (`_parse_once`)."""
        self._adapter, self._env, self._parse = adapter, env, parse
        self._folder: str | None = None
        self._process: subprocess.Popen | None = None

    @classmethod
    def for_run(cls, settings, project_dir: str, profiles_dir: str) -> WarmDbt:
        """The warm process for a run with these settings (core.settings.Settings,
        not imported here: the launcher loads this module for every dbt command) of
        the dbt project in `project_dir`: what dagster-dbt hands each dbt command
        (defs/dbt/assets.py), so that its parse is the commands' parse."""
        return cls(
            settings.engine,
            {
                **settings.subprocess_env(),
                "DBT_PROJECT_DIR": project_dir,
                "DBT_PROFILES_DIR": profiles_dir,
            },
            parse={"vars": settings.dbt_vars_argument(), "project_dir": project_dir},
        )

    def started_for(self) -> WarmDbt | None:
        """The warm process a caller of this process started for the same run (the
        same adapter, environment and parse), still serving: None when there is none."""
        for other in _STARTED:
            if (
                (other._adapter, other._env, other._parse)
                == (self._adapter, self._env, self._parse)
                and other._process is not None
                and other._process.poll() is None
                and other._folder is not None
                and os.environ.get(SOCKET_ENV, "").startswith(other._folder)
            ):
                return other
        return None

    def start(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="tc-dbt-")  # 0700: this user's only
        path = os.path.join(self._folder, "socket")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)
            listener.listen(8)
            fd = listener.fileno()
            parse = (
                [json.dumps({**self._parse, "target_path": os.path.join(self._folder, "target")})]
                if self._parse
                else []
            )
            env = {**os.environ, **self._env, "PYTHONUNBUFFERED": "1"}
            self._process = _forked_warm_process(self._adapter, fd, env, parse)
            if self._process is None:  # no process that has imported dbt to fork from
                command = [sys.executable, "-m", "orchestration.warm_dbt", str(fd), self._adapter]
                self._process = subprocess.Popen(
                    [*command, *parse],
                    pass_fds=(fd,),
                    # its own process group: it and its dbt forks end together (serve),
                    # and a terminal's Ctrl-C reaches dbt through its launcher only, once
                    process_group=0,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,  # each dbt command writes to its launcher's
                    env=env,
                )
        os.environ[SOCKET_ENV] = path
        _STARTED.append(self)

    def stop(self) -> None:
        if self in _STARTED:
            _STARTED.remove(self)
        if os.environ.get(SOCKET_ENV, "").startswith(self._folder or "\0"):
            del os.environ[SOCKET_ENV]
        if self._process is not None:
            self._process.stdin.close()  # its signal to end
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)  # it and its forks
                self._process.wait()
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


# the warm processes started in this process and not stopped yet
_STARTED: list[WarmDbt] = []


# --- the process that has imported dbt and forks each run's warm process ---
#
# Importing dbt and its adapter costs a warm process about 2.2 s of CPU. A process that
# runs the pipeline many times (a test worker: about thirty runs in the suite; a
# notebook) keeps one process per adapter that has imported them and has parsed
# nothing, and forks each run's warm process from it: the fork then parses and serves as
# a warm process started on its own does (a fork may parse: only a fork of a process
# that has parsed deadlocks). It is a process group of its own (a terminal's Ctrl-C
# does not reach it) and ends when this process does (its socket closes).


class _ForkedWarmProcess:
    """A run's warm process forked by the importer: what WarmDbt uses of a Popen. Its
    pid comes once the importer has forked it (it may still be importing dbt: the
    request does not wait for it)."""

    def __init__(self, reply, lifetime) -> None:
        self._reply, self.stdin, self.returncode = reply, lifetime, None
        self._pid: int | None = None

    @property
    def pid(self) -> int:
        if self._pid is None:
            with self._reply:
                said = self._reply.read()
            self._pid = int(said) if said else 0  # 0: the importer ended without forking
        return self._pid

    def poll(self) -> int | None:
        # the importer reaps its forks (SIGCHLD ignored): a pid gone has ended
        if self.returncode is None:
            try:
                if self.pid == 0:
                    raise ProcessLookupError
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0 if self.pid else 1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"warm dbt process {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode


class _Importer:
    def __init__(self, adapter: str) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            command = [sys.executable, "-m", "orchestration.warm_dbt", "--importer"]
            self.process = subprocess.Popen(
                [*command, str(theirs.fileno()), adapter],
                pass_fds=(theirs.fileno(),),
                process_group=0,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        self.socket = ours
        self.lock = threading.Lock()

    def fork(self, listener_fd: int, env: dict[str, str], parse: list[str]):
        """Ask for a warm process; None if the importer cannot be asked."""
        lifetime_read, lifetime_write = os.pipe()
        reply_read, reply_write = os.pipe()
        # the warm process's listener, its stdin (closed by stop), its stderr (this
        # process's now: `trustcap run` sends it to the run's log), where its pid goes
        fds = [listener_fd, lifetime_read, 2, reply_write]
        try:
            with self.lock:
                message = json.dumps({"env": env, "parse": parse}).encode()
                socket.send_fds(self.socket, [message], fds)
        except OSError:
            os.close(lifetime_write)
            os.close(reply_read)
            return None
        finally:
            os.close(lifetime_read)
            os.close(reply_write)
        return _ForkedWarmProcess(os.fdopen(reply_read, "rb"), os.fdopen(lifetime_write, "wb"))


_IMPORTERS: dict[str, _Importer] = {}
_IMPORTERS_LOCK = threading.Lock()


def _forget_importers() -> None:
    # a fork of this process (a dbt command forked by a warm process among them) must
    # not share them
    global _IMPORTERS_LOCK
    _IMPORTERS.clear()
    _IMPORTERS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_importers)


def _forked_warm_process(adapter: str, listener_fd: int, env: dict[str, str], parse: list[str]):
    """A warm process forked by this process's importer of `adapter` (started now if
    there is none), or None if that failed."""
    with _IMPORTERS_LOCK:
        importer = _IMPORTERS.get(adapter)
        if importer is None or importer.process.poll() is not None:
            try:
                importer = _IMPORTERS[adapter] = _Importer(adapter)
            except OSError:  # no SOCK_SEQPACKET (macOS) or no process to spare
                return None
    return importer.fork(listener_fd, env, parse)


def import_and_fork(control_fd: int, adapter: str) -> None:
    """The importer: import dbt and the adapter, then fork a warm process for each
    request on the control socket, until it closes."""
    control = socket.socket(fileno=control_fd)
    import dbt.cli.main  # noqa: F401 - the imports this process exists for

    __import__(f"dbt.adapters.{adapter}")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # its forks are reaped by the system
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 4)
        except OSError:
            break
        if not message:
            break  # the process that started it has ended
        if len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                os.setpgid(0, 0)  # a group of its own, as WarmDbt.start's process_group=0
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                listener_fd, lifetime_fd, stderr_fd, reply_fd = fds
                os.close(reply_fd)
                os.dup2(lifetime_fd, 0)
                os.dup2(stderr_fd, 2)
                os.close(lifetime_fd)
                os.close(stderr_fd)
                request = json.loads(message)
                os.environ.clear()
                os.environ.update(request["env"])
                serve(listener_fd, adapter, *request["parse"])
            except BaseException:
                traceback.print_exc()
            finally:
                # what a warm process started on its own does when it exits: its exit
                # handlers (multiprocessing's among them, which release the locks dbt
                # made while parsing), then the flush
                atexit._run_exitfuncs()
                sys.stderr.flush()
                os._exit(0)
        os.write(fds[3], str(pid).encode())
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    if sys.argv[1] == "--importer":
        import_and_fork(int(sys.argv[2]), sys.argv[3])
    else:
        serve(int(sys.argv[1]), sys.argv[2], *sys.argv[3:])
