"""Runs of the warehouse in Dagster's run storage: which one is alive, and which
died without a word.

A run killed with SIGKILL (or lost in a crash or a reboot) stays STARTED in run
storage, and as it carries the warehouse tag it holds the one-writer limit of the
run queue: every run the sensor or the schedule asks for then waits forever.
Dagster's run monitoring cannot see it: the default run launcher does not report
the health of its run workers (monitoring covers runs stuck STARTING or
CANCELING, which `trustcap` enables in dagster.yaml). So every start (`trustcap
run`, the sensor, the schedule, `trustcap ui`) first marks failed the runs whose
process is gone: the pid the run worker logged when it started ("Started process
for run"), or the pid `trustcap run` tags its in-process runs with.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil
from dagster import DagsterEventType, DagsterInstance, RunsFilter
from dagster._core.storage.dagster_run import DagsterRunStatus, RunRecord

from orchestration.defs.automation.jobs import WAREHOUSE_TAG

PID_TAG = "trustcap/pid"
HOST_TAG = "trustcap/host"
_WATCHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def in_process_run_tags() -> dict[str, str]:
    """Tags of a run executed in this process (`trustcap run`)."""
    return {**WAREHOUSE_TAG, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


@dataclass(frozen=True)
class WarehouseRun:
    run_id: str
    status: str
    pid: int | None  # None: not known (yet)
    alive: bool

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid else "process not started yet"
        return f"run {self.run_id} ({self.status.lower()}, {pid})"


def _run_pid(instance: DagsterInstance, record: RunRecord) -> int | None:
    tags = record.dagster_run.tags
    if PID_TAG in tags:
        # a pid on another machine says nothing here
        return int(tags[PID_TAG]) if tags.get(HOST_TAG) == socket.gethostname() else None
    # the default launcher starts run workers on this machine; other launchers'
    # pids live in containers or pods, where this check cannot look
    if type(instance.run_launcher).__name__ != "DefaultRunLauncher":
        return None
    for entry in instance.all_logs(
        record.dagster_run.run_id, of_type=DagsterEventType.ENGINE_EVENT
    ):
        event = entry.dagster_event
        if event is None or not (event.message or "").startswith("Started process for run"):
            continue
        pid = event.engine_event_data.metadata.get("pid")
        if pid is not None:
            return int(pid.value)
    return None


def _alive(pid: int, since: float | None) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        # a process younger than the run is another one that got the same pid (the
        # slack: process start times are computed from the boot time, to a second)
        return since is None or process.create_time() <= since + 3.0
    except psutil.NoSuchProcess:
        return False


def warehouse_runs(instance: DagsterInstance) -> list[WarehouseRun]:
    """The runs of this warehouse that run storage says are in progress."""
    key, value = next(iter(WAREHOUSE_TAG.items()))
    records = instance.get_run_records(filters=RunsFilter(statuses=_WATCHED, tags={key: value}))
    out = []
    for record in records:
        pid = _run_pid(instance, record)
        alive = pid is None or _alive(pid, record.start_time or record.create_timestamp.timestamp())
        out.append(
            WarehouseRun(record.dagster_run.run_id, record.dagster_run.status.value, pid, alive)
        )
    return out


def reap_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed (or canceled) the runs whose process is gone; one line for each."""
    lines = []
    for run in warehouse_runs(instance):
        if run.alive:
            continue
        dagster_run = instance.get_run_by_id(run.run_id)
        if dagster_run is None or dagster_run.status.value != run.status:
            continue  # it moved on while we looked
        message = (
            f"Run {run.run_id} was {run.status.lower()}, but its process (pid {run.pid}) is "
            "gone (killed or crashed): marked failed so that the next run can start."
        )
        if dagster_run.status == DagsterRunStatus.CANCELING:
            instance.report_run_canceled(dagster_run, message)
        else:
            instance.report_run_failed(dagster_run, message)
        lines.append(message)
    return lines


def live_warehouse_runs(instance: DagsterInstance) -> list[WarehouseRun]:
    return [r for r in warehouse_runs(instance) if r.alive]
