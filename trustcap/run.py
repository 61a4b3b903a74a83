"""Preparing and running the pipeline in this process: what `trustcap run`, the
benchmark, the validation and the tests call. Dagster is imported only when a run
starts, so the CLI's other commands stay quick."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

from core.settings import DBT_PROJECT_DIR, MANIFEST_PATH, Settings, dbt_executable

DAGSTER_YAML = """\
# written by trustcap; edit freely, it is not overwritten (but for the folder named
# under event_log_storage, which trustcap keeps equal to this folder's path)
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    # one run at a time writes the DuckDB warehouse (DuckDB is single-writer)
    - key: "trustcap/warehouse"
      limit: 1
# runs stuck starting or canceling are failed after 3 minutes; runs whose process
# died are failed by trustcap itself at the next start (orchestration/defs/automation/run_guard.py)
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  poll_interval_seconds: 60
# Dagster's SQLite event log keeping its SQLAlchemy engines and connections
# (orchestration/event_log.py): the same files and tables, a demo run's events written
# in 3.2 s instead of 10.5 s (profiled); delete this block for Dagster's own
event_log_storage:
  module: orchestration.event_log
  class: SqliteEventLogStorageKeepingEngines
  config:
    dagster_home: {home}
"""


def _say(message: str) -> None:
    print(message, flush=True)


def ensure_dagster_home(settings: Settings) -> None:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # a JSON string is a YAML double-quoted scalar: any path, quotes and all
    quoted_home = json.dumps(str(home.resolve()))
    if not config.exists():
        config.write_text(DAGSTER_YAML.replace("{home}", quoted_home))
        return
    # a folder moved or copied elsewhere: its event log stays its own
    text = config.read_text()
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("    dagster_home: ") and line.strip() != f"dagster_home: {quoted_home}":
            lines[i] = f"    dagster_home: {quoted_home}\n"
    if "".join(lines) != text:
        config.write_text("".join(lines))


def _dbt_sources_newer_than(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for folder in ("models", "macros", "tests", "seeds"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file() and path.stat().st_mtime > built:
                return True
    return any(
        (DBT_PROJECT_DIR / f).stat().st_mtime > built for f in ("dbt_project.yml", "profiles.yml")
    )


def ensure_manifest(settings: Settings) -> None:
    """dagster-dbt reads target/manifest.json when definitions load: parse when stale."""
    if not _dbt_sources_newer_than(MANIFEST_PATH):
        return
    _say("Parsing the dbt project (dbt parse)…")
    settings.export_env()
    proc = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
            # the run's own vars, so that `dbt build` can reuse this parse
            "--vars",
            settings.dbt_vars_argument(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"dbt parse failed:\n{proc.stdout}\n{proc.stderr}")


def run_pipeline(
    settings: Settings,
    command: str = "trustcap run",
    log_path: Path | None = None,
    verbose: bool = False,
):
    """Run the whole job in this process; returns Dagster's result. Raises
    WarehouseBusy when another run holds the warehouse.

    With `log_path`, the run's whole output (Dagster's and dbt's logs) goes to that
    file and the terminal shows one progress line per step (`verbose`: the logs too);
    without it, the logs go to the terminal as they come."""
    ensure_dagster_home(settings)
    ensure_manifest(settings)
    settings.export_env()
    warm = _warm_dbt_started(settings)
    try:
        return _run_job(settings, command, log_path, verbose)
    finally:
        if warm is not None:
            warm.stop()


def _warm_dbt_started(settings: Settings):
    """The run's warm dbt process (orchestration/warm_dbt.py), started before Dagster
    is imported and the run created (about 4 s from a shell): dbt's imports and the
    project's parse overlap them, and the first dbt step no longer waits for them.
    The run's dbt resource finds it and starts none of its own. None without the
    launcher (then each dbt step runs dbt itself)."""
    from orchestration.warm_dbt import WarmDbt, installed_launcher

    if installed_launcher() is None:
        return None
    warm = WarmDbt.for_run(settings, str(DBT_PROJECT_DIR), str(DBT_PROJECT_DIR))
    warm.start()
    return warm


def _run_job(settings: Settings, command: str, log_path: Path | None, verbose: bool):
    from dagster import DagsterInstance

    from core.run_lock import WarehouseBusy, hold_warehouse
    from orchestration.definitions import defs
    from orchestration.defs.automation.run_guard import (
        in_process_run_tags,
        live_warehouse_runs,
        reap_dead_runs,
    )

    job = defs().resolve_job_def("trustcap_pipeline")
    with DagsterInstance.get() as instance:
        for line in reap_dead_runs(instance):
            _say(line)
        for run in live_warehouse_runs(instance):
            raise WarehouseBusy(run.describe(), run.pid)
        run_id = str(uuid.uuid4())  # Dagster's run ids are UUID4s; known before the run starts
        with hold_warehouse(settings.warehouse_dir, run_id, command):
            started = f"Run {run_id} started (pid {os.getpid()})."
            _say(started)
            console_logger = {"console": {"config": {"log_level": "INFO"}}}
            execute = {
                "instance": instance,
                "run_id": run_id,
                "tags": in_process_run_tags(),
                "raise_on_error": False,
            }
            if log_path is None:
                return job.execute_in_process(run_config={"loggers": console_logger}, **execute)
            from dagster import colored_console_logger

            from trustcap.progress import capture_output, progress_logger_def, started_progress

            with capture_output(log_path, verbose) as console:
                print(f"{command}: {started}", flush=True)  # the log's first line
                progress = started_progress(console, verbose)
                loggers = {
                    "console": colored_console_logger,
                    "progress": progress_logger_def(progress),
                }
                progress.start_ticking()
                try:
                    return job.with_logger_defs(loggers).execute_in_process(
                        run_config={"loggers": console_logger | {"progress": {}}}, **execute
                    )
                finally:
                    progress.stop()
