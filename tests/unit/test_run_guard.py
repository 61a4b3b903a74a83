"""Runs in Dagster's run storage whose process is gone are marked failed, so they stop
holding the warehouse's one-writer limit; live ones are named to a second run (before,
a run killed with SIGKILL stayed STARTED and the sensor's next run sat QUEUED until
someone marked it failed by hand)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
from dagster._core.events import EngineEventData

from orchestration.defs.automation.jobs import WAREHOUSE_TAG
from orchestration.defs.automation.run_guard import (
    HOST_TAG,
    PID_TAG,
    live_warehouse_runs,
    reap_dead_runs,
    warehouse_runs,
)


@pytest.fixture
def instance(tmp_path):
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        yield instance


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def _run(instance, status=DagsterRunStatus.STARTED, **tags) -> DagsterRun:
    run = DagsterRun(
        job_name="trustcap_pipeline",
        run_id=str(uuid.uuid4()),
        status=status,
        tags={**WAREHOUSE_TAG, **tags},
    )
    return instance.add_run(run)


def _status(instance, run) -> DagsterRunStatus:
    return instance.get_run_by_id(run.run_id).status


def test_a_run_whose_process_is_alive_holds_the_warehouse(instance):
    proc = _sleeper()
    try:
        run = _run(instance, **{PID_TAG: str(proc.pid), HOST_TAG: socket.gethostname()})
        assert reap_dead_runs(instance) == []
        [live] = live_warehouse_runs(instance)
        assert live.run_id == run.run_id and live.pid == proc.pid
        assert f"run {run.run_id} (started, pid {proc.pid})" == live.describe()
    finally:
        proc.kill()
        proc.wait()
    # killed: the next start marks it failed and nothing holds the warehouse
    [line] = reap_dead_runs(instance)
    assert run.run_id in line and f"pid {proc.pid}" in line
    assert _status(instance, run) == DagsterRunStatus.FAILURE
    assert live_warehouse_runs(instance) == []


def test_a_launched_run_is_known_by_the_pid_its_run_worker_logged(instance):
    proc = _sleeper()
    run = _run(instance)
    instance.report_engine_event(
        f"Started process for run (pid: {proc.pid}).", run, EngineEventData.in_process(proc.pid)
    )
    try:
        assert [r.pid for r in live_warehouse_runs(instance)] == [proc.pid]
    finally:
        proc.kill()
        proc.wait()
    reap_dead_runs(instance)
    assert _status(instance, run) == DagsterRunStatus.FAILURE


def test_a_younger_process_with_the_same_pid_is_not_the_run(instance):
    """A pid reused after the run's process died does not keep the run alive."""
    run = _run(instance, **{HOST_TAG: socket.gethostname()})
    time.sleep(5)  # psutil's process start times are only good to a second or so
    proc = _sleeper()  # born after the run started: not its process
    try:
        instance.add_run_tags(run.run_id, {PID_TAG: str(proc.pid)})
        [found] = warehouse_runs(instance)
        assert found.pid == proc.pid and not found.alive
        assert len(reap_dead_runs(instance)) == 1
        assert _status(instance, run) == DagsterRunStatus.FAILURE
    finally:
        proc.kill()
        proc.wait()


def test_runs_without_a_known_process_or_of_other_jobs_are_left_alone(instance):
    starting = _run(instance, status=DagsterRunStatus.STARTING)  # no worker yet
    other_host = _run(instance, **{PID_TAG: "1", HOST_TAG: "another-machine"})
    untagged = instance.add_run(
        DagsterRun(job_name="other", run_id=str(uuid.uuid4()), status=DagsterRunStatus.STARTED)
    )
    assert reap_dead_runs(instance) == []
    for run in (starting, other_host, untagged):
        assert _status(instance, run) in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED)
    assert {r.run_id for r in live_warehouse_runs(instance)} == {
        starting.run_id,
        other_host.run_id,
    }


def test_a_dead_canceling_run_is_marked_canceled(instance):
    proc = _sleeper()
    proc.kill()
    proc.wait()
    run = _run(
        instance,
        status=DagsterRunStatus.CANCELING,
        **{PID_TAG: str(proc.pid), HOST_TAG: socket.gethostname()},
    )
    assert len(reap_dead_runs(instance)) == 1
    assert _status(instance, run) == DagsterRunStatus.CANCELED
