"""The job as the UI and the schedule launch it: in one process by default, and under
Dagster's multiprocess executor when a run's config asks for it (steps in separate
processes). Ingestion is one step (its entities on threads; they write Parquet, not
DuckDB); dbt is the only warehouse writer."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.pipeline.conftest import make_world

pytestmark = [pytest.mark.long, pytest.mark.xdist_group("multiprocess")]


def _execute_job(
    env: dict, timeout: int, config: Path | None = None
) -> subprocess.CompletedProcess:
    """The job as `dagster job execute` launches it, with the job's default run config
    or `config` (a run config YAML)."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            *("job", "execute", "-m", "orchestration.definitions", "-j", "trustcap_pipeline"),
            *(("-c", str(config)) if config else ()),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _small_world(tmp_path: Path):
    """A small world and the environment of a launched run over it."""
    pw = make_world(tmp_path, seed=5, scale=0.05)
    env = dict(os.environ)
    env.update(
        TC_LANDING_DIR=str(pw.settings.landing_dir),
        TC_WAREHOUSE_DIR=str(pw.settings.warehouse_dir),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return pw, env


def test_the_job_runs_under_the_multiprocess_executor(tmp_path):
    pw, env = _small_world(tmp_path)
    multiprocess = tmp_path / "multiprocess.yaml"
    multiprocess.write_text("execution:\n  config:\n    multiprocess: {}\n")
    proc = _execute_job(env, timeout=600, config=multiprocess)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert "multiprocess" in log.lower()
    con = duckdb.connect(str(pw.settings.published_path), read_only=True)
    n = con.execute(
        "select sum(inbound) from marts.responsiveness_daily where platform = 'all'"
    ).fetchone()[0]
    con.close()
    assert n == pw.truth["responsiveness"]["inbound"]


def test_a_launched_run_stops_at_the_preflight_before_its_first_step(tmp_path):
    """Runs the UI, the sensor or the schedule launch pass the preflight in their run
    worker (orchestration/defs/automation/executor.py): an empty landing folder fails the run at once
    with the preflight's line, and nothing is written to the warehouse."""
    (tmp_path / "landing").mkdir()
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ)
    env.update(
        TC_LANDING_DIR=str(tmp_path / "landing"),
        TC_WAREHOUSE_DIR=str(tmp_path / "warehouse"),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    proc = _execute_job(env, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "preflight: the landing folder" in log and "holds no files" in log
    assert "STEP_START" not in log
    assert not (tmp_path / "warehouse").exists()


def test_a_launched_run_executes_in_one_process_by_default(tmp_path):
    """The job's default run config runs every step in the run worker's process (a UI
    run cost 1.63x the CPU of `trustcap run` under the multiprocess executor)."""
    pw, env = _small_world(tmp_path)
    proc = _execute_job(env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert "Executing steps in process" in log
    assert "multiprocess" not in log.lower()
    con = duckdb.connect(str(pw.settings.published_path), read_only=True)
    tables = con.execute("select count(*) from information_schema.tables").fetchone()[0]
    con.close()
    assert tables > 10
