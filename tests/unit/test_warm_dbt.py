"""dbt commands forked from the warm process behave as the `dbt` executable does: the
same output and exit code, interrupts reach dbt, and without a warm process the
launcher is plain dbt. (Every pipeline test runs its dbt steps through it too.)"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import DBT_PROJECT_DIR
from orchestration import warm_dbt
from orchestration.resources import WARM_LAUNCHER
from orchestration.warm_dbt import SOCKET_ENV, WarmDbt

LAUNCHER = str(Path(sys.executable).parent / WARM_LAUNCHER)
DBT = str(Path(sys.executable).parent / "dbt")


@pytest.fixture
def warm(monkeypatch):
    monkeypatch.delenv(SOCKET_ENV, raising=False)
    process = WarmDbt("duckdb", {"DO_NOT_TRACK": "1"})
    process.start()
    yield process
    process.stop()


def _run(executable, *args, cwd, env=None) -> tuple[int, str, set[int], int]:
    """Exit code, output, the pids dbt's JSON events name, and the launched pid."""
    process = subprocess.Popen(
        [executable, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out, _ = process.communicate(timeout=120)
    pids = {json.loads(line)["info"]["pid"] for line in out.splitlines() if line.startswith("{")}
    return process.returncode, out, pids, process.pid


def _event_names(out: str) -> list[str]:
    return [json.loads(line)["info"]["name"] for line in out.splitlines() if line.startswith("{")]


def test_a_forked_command_prints_and_exits_as_dbt_does(warm, tmp_path):
    assert os.environ[SOCKET_ENV]
    # a command that fails: no project in the folder (exit code 2, an error event)
    code, out, pids, launcher = _run(LAUNCHER, "parse", "--log-format", "json", cwd=tmp_path)
    plain_code, plain_out, plain_pids, plain = _run(
        DBT, "parse", "--log-format", "json", cwd=tmp_path
    )
    assert pids and launcher not in pids, out  # dbt ran in a fork of the warm process
    assert plain_pids == {plain}
    assert code == plain_code == 2
    assert "No dbt_project.yml found" in out
    # the same events, in the same order (times, pids and invocation ids aside)
    assert _event_names(out) == _event_names(plain_out) and _event_names(out)


def _waiting_dbt_init(folder: Path) -> subprocess.Popen:
    """`dbt init` through the launcher, once it waits for an answer on stdin."""
    launcher = subprocess.Popen(
        [LAUNCHER, "init"],
        cwd=folder,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    prompt = ""
    while "name for your project" not in prompt:
        char = launcher.stdout.read(1)
        assert char, prompt
        prompt += char
    return launcher


def _output_once_ended(launcher: subprocess.Popen) -> str:
    """Its output once it has ended by itself (stdin stays open: dbt init would wait
    for ever), or a failure with what it printed."""
    try:
        launcher.wait(timeout=30)
    except subprocess.TimeoutExpired:
        launcher.kill()
        # a dbt it left running still holds the pipe open: read what is there, no more
        os.set_blocking(launcher.stdout.fileno(), False)
        printed = launcher.stdout.read() or ""
        pytest.fail(f"still running 30 s later; it printed: {printed[-3000:]}")
    return launcher.stdout.read()


def test_an_interrupt_reaches_the_forked_dbt(warm, tmp_path):
    launcher = _waiting_dbt_init(tmp_path)
    _reading_stdin(warm._process.pid)
    launcher.send_signal(signal.SIGINT)
    out = _output_once_ended(launcher)
    assert launcher.returncode not in (0, None), out
    # dbt's own answer to the interrupt (click's Abort), not the launcher's SIGTERM 10 s
    # later, nor the launcher dying of it (which would have left dbt waiting)
    assert "Encountered an error" in out and "Abort" in out, out
    assert "Traceback (most recent call last)" not in out.split("Encountered an error")[0]
    assert [p.name for p in tmp_path.iterdir()] == ["logs"]  # no project was made


def _reading_stdin(warm_pid: int) -> None:
    """The dbt fork of the warm process, once it is blocked reading its stdin (Linux's
    /proc). Before that an interrupt can be lost in CPython itself: it runs a Python
    signal handler only between bytecodes or when a system call is interrupted, so a
    SIGINT landing after `input()` wrote its prompt and before its read() began stays
    pending while the read waits (seen under load: 2 runs in 6 hung)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        children = Path(f"/proc/{warm_pid}/task/{warm_pid}/children").read_text().split()
        for pid in children:
            with contextlib.suppress(OSError):
                if "pipe_read" in Path(f"/proc/{pid}/wchan").read_text():
                    return
        time.sleep(0.05)
    pytest.fail("the dbt fork never blocked reading its stdin")


def test_stopping_ends_the_warm_process_and_any_dbt_it_started(tmp_path, monkeypatch):
    monkeypatch.delenv(SOCKET_ENV, raising=False)
    warm = WarmDbt("duckdb", {})
    warm.start()
    launcher = _waiting_dbt_init(tmp_path)
    server = warm._process
    warm.stop()
    assert server.poll() is not None
    out = _output_once_ended(launcher)  # its dbt was stopped: it ends too
    assert launcher.returncode != 0, out
    assert SOCKET_ENV not in os.environ


_RUN_WITH_A_WARM_PROCESS = """
import subprocess
import time
from orchestration.warm_dbt import WarmDbt
warm = WarmDbt("duckdb", {})
warm.start()
try:  # from before it says so: the interrupt comes once it has
    print("started", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    pass
try:  # one that got the interrupt dies of it within a second or two
    warm._process.wait(timeout=5)
    print("dead", flush=True)
except subprocess.TimeoutExpired:
    print("alive", flush=True)
warm.stop()
"""


def test_a_ctrl_c_in_the_runs_terminal_does_not_reach_the_warm_process():
    """A terminal's Ctrl-C goes to its whole foreground process group: the run's.
    The warm process is in a group of its own: it neither dies of it (with a
    traceback in the terminal) nor passes a second interrupt to its dbt."""
    run = subprocess.Popen(
        [sys.executable, "-c", _RUN_WITH_A_WARM_PROCESS],
        start_new_session=True,  # the run and its children: a terminal's foreground group
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert run.stdout.readline() == "started\n"
    os.killpg(run.pid, signal.SIGINT)  # while the warm process imports dbt
    out, err = run.communicate(timeout=60)
    assert out == "alive\n", err
    assert "Traceback" not in err, err


def test_without_a_warm_process_the_launcher_is_dbt(tmp_path, monkeypatch):
    monkeypatch.delenv(SOCKET_ENV, raising=False)
    plain = _run(DBT, "parse", "--log-format", "json", cwd=tmp_path)
    for socket_path in (str(tmp_path / "gone"),):  # set, but nothing listens there
        env = {**os.environ, SOCKET_ENV: socket_path}
        code, out, pids, launcher = _run(
            LAUNCHER, "parse", "--log-format", "json", cwd=tmp_path, env=env
        )
        assert pids == {launcher}  # the launcher became dbt
        assert code == plain[0] == 2
        assert _event_names(out) == _event_names(plain[1])


def test_a_forked_command_on_the_project_ends_cleanly(warm, tmp_path):
    """`dbt parse` of this project, which loads the adapter: exit 0, and nothing left
    behind that warns (a fork that skipped the exit handlers left dbt's adapter locks
    to multiprocessing's tracker, which warned of leaked semaphores)."""
    env = {**os.environ, "TC_WAREHOUSE_DIR": str(tmp_path), "DBT_TARGET": "duckdb"}
    target = tmp_path / "target"
    code, out, pids, launcher = _run(
        LAUNCHER,
        "--log-format",
        "json",
        "parse",
        "--no-partial-parse",
        "--target-path",
        str(target),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        cwd=DBT_PROJECT_DIR,
        env=env,
    )
    assert code == 0, out[-3000:]
    assert pids and launcher not in pids
    assert "leaked" not in out and "Traceback" not in out, out[-3000:]


def test_a_command_with_the_run_s_inputs_runs_on_the_project_parsed_once(tmp_path, monkeypatch):
    """The warm process parses the project with the run's vars and settings; a command
    with exactly those runs on that parse in a fork, any other is plain dbt (a fork of
    a process that has parsed would deadlock in dbt's static parser), both giving
    dbt's answer."""
    monkeypatch.delenv(SOCKET_ENV, raising=False)
    run_vars = json.dumps({"raw_dir": str(tmp_path / "raw")})
    env = {
        "TC_WAREHOUSE_DIR": str(tmp_path),
        "DBT_TARGET": "duckdb",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }
    warm = WarmDbt("duckdb", env, parse={"vars": run_vars, "project_dir": str(DBT_PROJECT_DIR)})
    warm.start()
    try:
        listed = {}
        for name, command_vars in (("run's", run_vars), ("other", json.dumps({"raw_dir": "x"}))):
            code, out, pids, launcher = _run(
                LAUNCHER,
                "--log-format",
                "json",
                "ls",
                "--resource-type",
                "model",
                "--vars",
                command_vars,
                "--target-path",
                str(tmp_path / name),
                cwd=DBT_PROJECT_DIR,
                env={**os.environ, **env},
            )
            assert code == 0, out[-3000:]
            events = _event_names(out)
            if name == "run's":
                assert pids and launcher not in pids  # a fork of the warm process
                assert "UnableToPartialParse" not in events  # it parsed nothing itself
            else:
                assert pids == {launcher}  # dbt itself, which parses
                assert "UnableToPartialParse" in events
            listed[name] = sorted(
                json.loads(line)["info"]["msg"]
                for line in out.splitlines()
                if line.startswith("{") and json.loads(line)["info"]["name"] == "PrintEvent"
            )
        assert listed["run's"] == listed["other"] and len(listed["run's"]) > 50
    finally:
        warm.stop()


def test_the_run_s_dbt_resource_uses_the_warm_process_its_caller_started(monkeypatch):
    """`trustcap run` starts the warm process before it imports Dagster and creates
    the run (trustcap/run.py); the run's dbt resource then starts none of its own and
    leaves the caller's running. For another run's inputs (here another setting) it
    starts and stops its own, as it does with no caller."""
    from core.settings import Settings
    from orchestration.resources import build_resources

    monkeypatch.delenv(SOCKET_ENV, raising=False)
    resource = build_resources()["dbt"]
    started = []
    real_start = WarmDbt.start
    monkeypatch.setattr(WarmDbt, "start", lambda self: started.append(self) or real_start(self))
    callers = WarmDbt.for_run(Settings.from_env(), str(DBT_PROJECT_DIR), str(DBT_PROJECT_DIR))
    callers.start()
    try:
        resource.setup_for_execution(None)
        assert started == [callers] and resource._warm is None
        resource.teardown_after_execution(None)
        assert callers._process.poll() is None and os.environ[SOCKET_ENV]
        with monkeypatch.context() as changed:
            changed.setenv("TC_ANSWER_WINDOW_HOURS", "24")
            resource.setup_for_execution(None)
            assert len(started) == 2 and resource._warm is started[1]
            resource.teardown_after_execution(None)
        assert started[1]._process is None  # stopped by the resource
    finally:
        callers.stop()
    # once the caller's has stopped, the resource starts its own again
    resource.setup_for_execution(None)
    try:
        assert len(started) == 3 and resource._warm is started[2]
    finally:
        resource.teardown_after_execution(None)


_PARSE_TWO_WAREHOUSES = """
import json, os, sys
from pathlib import Path
from orchestration import warm_dbt

root, project = Path(sys.argv[1]), sys.argv[2]
seen = {}
for name in ("first", "second"):
    warehouse = root / name
    os.environ["TC_WAREHOUSE_DIR"] = str(warehouse)
    run_vars = json.dumps({"raw_dir": str(warehouse / "raw"), "currency": "EUR"})
    target = warehouse / "target"
    warm_dbt._PARSED.clear()
    warm_dbt._parse_once({"vars": run_vars, "project_dir": project, "target_path": str(target)})
    nodes = warm_dbt._PARSED["manifest"].nodes.values()
    seen[name] = {
        "perf": json.loads((target / "perf_info.json").read_text()),
        "vars": warm_dbt._PARSED["inputs"]["vars"],
        "meta": [n.config.meta for n in nodes if n.resource_type == "model"],
    }
print(json.dumps(seen))
"""


def _parse_two_warehouses(tmp_path: Path, project: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PARSE_TWO_WAREHOUSES, str(tmp_path), str(project)],
        env={**os.environ, "DBT_PROFILES_DIR": str(project), "DBT_TARGET": "duckdb"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_a_new_warehouse_parses_partially_unless_the_parse_reads_its_folder(tmp_path):
    """dbt keeps a partial parse only for the profile and vars it was made with, both of
    which name the warehouse's folder: the warm process parses with a stand-in folder,
    so a second warehouse (every run of the test suite) parses partially (none of the
    project's ~300 files again). Where a parse does read the folder (here a model's
    config), the real one is parsed instead, and the manifest holds the real folder."""
    # a copy of the project: its kept partial parse is this test's alone (the suite's
    # runs hand theirs back to the project's own meanwhile)
    ours = shutil.copytree(
        DBT_PROJECT_DIR, tmp_path / "project", ignore=shutil.ignore_patterns("target", "logs")
    )
    seen = _parse_two_warehouses(tmp_path / "ours", ours)
    second = seen["second"]["perf"]
    assert second["is_partial_parse_enabled"] and second["parsed_path_count"] == 0, second
    assert str(tmp_path / "ours" / "second" / "raw") in seen["second"]["vars"]

    reads_folder = tmp_path / "reads_folder"
    (reads_folder / "models").mkdir(parents=True)
    (reads_folder / "dbt_project.yml").write_text(
        "name: reads_folder\nversion: '1.0'\nprofile: reads_folder\nconfig-version: 2\n"
    )
    (reads_folder / "profiles.yml").write_text(
        "reads_folder:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        "      path: \"{{ env_var('TC_WAREHOUSE_DIR') }}/warehouse.duckdb\"\n"
    )
    (reads_folder / "models" / "m.sql").write_text(
        "{{ config(meta={'raw': var('raw_dir')}) }}\nselect 1 as x\n"
    )
    seen = _parse_two_warehouses(tmp_path / "theirs", reads_folder)
    for name in ("first", "second"):
        assert seen[name]["meta"] == [{"raw": str(tmp_path / "theirs" / name / "raw")}]


_THREE_RUNS_IN_ONE_PROCESS = """
import json, os, signal, sys
from orchestration import warm_dbt
from orchestration.warm_dbt import WarmDbt

env = json.loads(sys.argv[1])
parents = []
for run in range(3):
    if run == 2:  # the importer is gone: the next run starts another
        importer = warm_dbt._IMPORTERS["duckdb"].process
        os.kill(importer.pid, signal.SIGKILL)
        importer.wait()
    warm = WarmDbt("duckdb", env, parse={"vars": "{}", "project_dir": env["DBT_PROJECT_DIR"]})
    warm.start()
    with open(f"/proc/{warm._process.pid}/stat") as stat:
        parents.append(int(stat.read().rsplit(")", 1)[1].split()[1]))
    process = warm._process
    warm.stop()
    assert process.poll() is not None
print(json.dumps({"parents": parents, "importer": warm_dbt._IMPORTERS["duckdb"].process.pid}))
"""


def test_runs_in_one_process_fork_their_warm_process_from_one_importer(tmp_path):
    """A process that runs the pipeline many times imports dbt once: each run's warm
    process is forked by one process that imported dbt and parsed nothing; when that
    one is gone, the next run starts another. The warm processes parse and exit as one
    started on its own does (no traceback, no leaked semaphore at the end)."""
    env = {
        "TC_WAREHOUSE_DIR": str(tmp_path),
        "DBT_TARGET": "duckdb",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }
    done = subprocess.run(
        [sys.executable, "-c", _THREE_RUNS_IN_ONE_PROCESS, json.dumps(env)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    first, second, third = seen["parents"]
    assert first == second != third == seen["importer"]
    assert "Traceback" not in done.stderr and "leaked" not in done.stderr, done.stderr[-3000:]


def test_a_fork_of_the_caller_does_not_share_its_importers(monkeypatch):
    """Two processes asking one importer over one socket would mix their requests."""
    monkeypatch.setitem(warm_dbt._IMPORTERS, "duckdb", object())
    pid = os.fork()
    if pid == 0:
        os._exit(0 if not warm_dbt._IMPORTERS else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "duckdb" in warm_dbt._IMPORTERS


def test_without_an_importer_the_warm_process_starts_on_its_own(tmp_path, monkeypatch):
    """Where the importer cannot start (no SOCK_SEQPACKET on macOS), a run's warm
    process is started as a process of its own, and serves."""
    monkeypatch.delenv(SOCKET_ENV, raising=False)

    def no_importer(adapter):
        raise OSError("Protocol not supported")

    monkeypatch.setattr(warm_dbt, "_Importer", no_importer)
    monkeypatch.setattr(warm_dbt, "_IMPORTERS", {})
    warm = WarmDbt("duckdb", {"DO_NOT_TRACK": "1"})
    warm.start()
    try:
        assert isinstance(warm._process, subprocess.Popen)
        code, out, pids, launcher = _run(LAUNCHER, "parse", "--log-format", "json", cwd=tmp_path)
        assert pids and launcher not in pids, out  # dbt ran in a fork of the warm process
        assert code == 2 and "No dbt_project.yml found" in out, out[-2000:]
    finally:
        warm.stop()
