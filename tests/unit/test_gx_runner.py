"""The quality checks' process (core/quality/gx_runner.py): GX is imported once per
calling process, each request is answered by a fresh fork whose DuckDB handles end
with it, and a process that died is replaced, or named, never waited on forever."""

import os
import signal
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from core.quality import gx_runner
from core.quality.gx_runner import run_checks
from core.quality.suites import Check


def _warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.scores as select range as id from range(5)")
    con.close()
    return path


CHECKS = [Check("marts.scores", "unique", ("id",)), Check("marts.scores", "not_null", ("id",))]


def _run(path: Path):
    return run_checks(path, CHECKS, {}, 0.5, 30, datetime(2026, 1, 1))


def test_requests_share_one_process_and_leave_the_warehouse_free_for_writers(tmp_path):
    path = _warehouse(tmp_path)
    assert all(o.passed for o in _run(path))
    checker = gx_runner._CHECKER.process.pid
    # no handle outlives the request: a writer opens the file at once (DuckDB refuses
    # a read-write open while another process holds it, read-only or not)
    con = duckdb.connect(str(path))
    con.execute("insert into marts.scores values (1)")
    con.close()
    outcomes = {o.check_name: o.passed for o in _run(path)}
    assert outcomes == {"id__unique": False, "id__not_null": True}
    assert gx_runner._CHECKER.process.pid == checker  # GX imported once


def test_a_checks_process_that_died_is_replaced_and_one_dying_mid_request_is_named(
    tmp_path, monkeypatch
):
    path = _warehouse(tmp_path)
    gx_runner.prewarm()
    first = gx_runner._CHECKER.process
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    assert all(o.passed for o in _run(path))  # a new process answered
    assert gx_runner._CHECKER.process.pid != first.pid

    # the process ends while a request waits for its answer: an error, not a hang
    current = gx_runner._CHECKER
    monkeypatch.setattr(current, "alive", lambda: True)
    os.kill(current.process.pid, signal.SIGKILL)
    current.process.wait()
    with pytest.raises(RuntimeError, match="quality checks crashed"):
        _run(path)


def test_a_fork_of_the_caller_does_not_share_the_checks_process():
    """Two processes writing requests to one checks' process would mix them."""
    gx_runner.prewarm()
    pid = os.fork()
    if pid == 0:
        os._exit(0 if gx_runner._CHECKER is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gx_runner._CHECKER is not None


def test_an_exchange_cut_off_never_hands_its_answer_to_the_next_request(tmp_path):
    """A run interrupted while its checks ran leaves their answer in the pipe: the next
    request in the same process (another run) must get its own answer, not that one."""
    clean = _warehouse(tmp_path)
    broken_folder = tmp_path / "broken"
    broken_folder.mkdir()
    broken = _warehouse(broken_folder)
    con = duckdb.connect(str(broken))
    con.execute("insert into marts.scores values (1)")
    con.close()
    gx_runner.prewarm()
    checker = gx_runner._CHECKER

    class Interrupted:
        def readline(self):
            raise KeyboardInterrupt

    answers = checker.process.stdout
    checker.process.stdout = Interrupted()
    try:
        with pytest.raises(KeyboardInterrupt):
            _run(clean)  # its answer (all passing) would be the next line read
    finally:
        checker.process.stdout = answers
    outcomes = {o.check_name: o.passed for o in _run(broken)}
    assert outcomes == {"id__unique": False, "id__not_null": True}
