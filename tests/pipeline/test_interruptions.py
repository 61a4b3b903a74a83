"""Runs that are stopped, or die, leave the publication as it was and the next run
able to start:

- SIGTERM during a run: `trustcap run` stops with its dbt, the published files are
  byte-identical, the run is marked failed, and the next run publishes what an
  uninterrupted run publishes; a second run started meanwhile says in one line which
  run holds the warehouse (before: SIGTERM killed the CLI and left dbt writing, and a
  second run failed after 80 s on a DuckDB lock traceback);
- SIGKILL of a whole run: the run stays STARTED in run storage, and the next sensor
  or schedule tick marks it failed and asks for a run (before: it held the one-writer
  limit and the sensor's runs sat QUEUED)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    build_schedule_context,
    build_sensor_context,
)

from tests.conftest import settings_for
from tests.pipeline.conftest import PipelineWorld, make_world, share_pseudonym_key

pytestmark = [pytest.mark.long]

TRUSTCAP = Path(sys.executable).parent / "trustcap"
LATER = re.compile(r"_04_|late_drop")  # the demo's last drop of each entity


def _env(pw: PipelineWorld) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TC_LANDING_DIR=str(pw.settings.landing_dir),
        TC_WAREHOUSE_DIR=str(pw.settings.warehouse_dir),
        DAGSTER_HOME=str(pw.settings.dagster_home),
    )
    return env


def _start(pw: PipelineWorld, log: Path) -> subprocess.Popen:
    """`trustcap run` in its own session, its output in `log`."""
    return subprocess.Popen(
        [str(TRUSTCAP), "run"],
        env=_env(pw),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_for(
    pw: PipelineWorld, log: Path, pattern: str, proc: subprocess.Popen, timeout: float = 300
) -> str:
    """What the run printed and its log file hold, once `pattern` is in them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() + "".join(
            p.read_text() for p in sorted(pw.settings.run_logs_dir.glob("*.log"))
        )
        if re.search(pattern, text):
            return text
        assert proc.poll() is None, text[-3000:]
        time.sleep(0.5)
    raise AssertionError(f"{pattern!r} not seen in {timeout} s:\n{log.read_text()[-3000:]}")


def _published(pw: PipelineWorld) -> dict[str, str]:
    """Every published file's bytes (and where the parquet link points)."""
    folder = pw.settings.published_dir
    out = {"parquet ->": os.readlink(folder / "parquet")}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _split_world(root: Path, seed: int) -> tuple[PipelineWorld, list[Path]]:
    """A world whose last drop of files is held back in root/later."""
    pw = make_world(root, seed=seed, scale=0.1)
    held = []
    for path in sorted(pw.settings.landing_dir.rglob("*")):
        if path.is_file() and LATER.search(path.name):
            target = root / "later" / path.relative_to(pw.settings.landing_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            held.append(target)
    assert held
    return pw, held


def _land(pw: PipelineWorld, held: list[Path]) -> None:
    for path in held:
        target = pw.settings.landing_dir / path.relative_to(pw.root / "later")
        shutil.copy2(path, target)


def _run_id(log_text: str) -> str:
    return re.search(r"Run (\S+) started \(pid \d+\)", log_text).group(1)


def test_sigterm_stops_a_run_without_touching_the_publication(tmp_path):
    pw, held = _split_world(tmp_path / "w", seed=3)
    assert pw.run().success
    before = _published(pw)
    _land(pw, held)

    log = tmp_path / "run.log"
    proc = _start(pw, log)
    try:
        text = _wait_for(pw, log, r"trustcap_dbt_models - .*Running dbt command|dbt build", proc)
        run_id = _run_id(text)
        time.sleep(2)  # dbt is at work

        # a second run meanwhile: one line naming the run that holds the warehouse
        started = time.perf_counter()
        second = subprocess.run(
            [str(TRUSTCAP), "run"], env=_env(pw), capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2, second.stderr
        [line] = second.stderr.strip().splitlines()
        assert f"held by run {run_id} (pid {proc.pid}" in line
        assert time.perf_counter() - started < 5

        family = psutil.Process(proc.pid).children(recursive=True)
        assert any("dbt" in " ".join(p.cmdline()) for p in family)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    out = log.read_text()
    assert "Run interrupted. The published marts were left as they were." in out
    _, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
    assert _published(pw) == before
    with DagsterInstance.from_config(str(pw.settings.dagster_home)) as instance:
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE

    # the next run starts and publishes what one uninterrupted run over all the data does
    assert pw.run().success
    reference = make_world(tmp_path / "reference", seed=3, scale=0.1)
    share_pseudonym_key(pw, reference)  # the same people, the same pseudonyms
    assert reference.run().success
    assert pw.marts_digest() == reference.marts_digest()


def test_after_sigkill_the_sensor_and_the_schedule_go_on(tmp_path):
    from orchestration.defs.automation.schedules import daily_schedule
    from orchestration.defs.automation.sensors import new_landing_files_sensor

    pw, held = _split_world(tmp_path / "w", seed=4)
    log = tmp_path / "run.log"
    proc = _start(pw, log)
    try:
        text = _wait_for(pw, log, r"trustcap_dbt_models - .*Running dbt command|dbt build", proc)
        run_id = _run_id(text)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and everything it started
        proc.wait()

    with DagsterInstance.from_config(str(pw.settings.dagster_home)) as instance:
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.STARTED
        _land(pw, held)  # new files for the sensor
        with pw.env():
            tick = new_landing_files_sensor(build_sensor_context(instance=instance))
            assert isinstance(tick, RunRequest), tick
            assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE
            # nothing holds the run queue's one-writer limit any more
            in_progress = instance.get_run_records(
                filters=RunsFilter(
                    statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED],
                    tags={"trustcap/warehouse": "writer"},
                )
            )
            assert in_progress == []
            assert isinstance(daily_schedule(build_schedule_context(instance=instance)), RunRequest)

    # and the next run works on the warehouse the killed run left
    assert pw.run().success
    reference = PipelineWorld(
        tmp_path / "w",
        settings_for(pw.settings.landing_dir, tmp_path / "reference_warehouse"),
        pw.truth,
        pw.world,
    )
    share_pseudonym_key(pw, reference)
    assert reference.run().success
    assert pw.marts_digest() == reference.marts_digest()
