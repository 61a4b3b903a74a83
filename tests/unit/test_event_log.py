"""The Dagster home trustcap writes stores run events through the storage that keeps
its engines, where Dagster's own storage would put them, and follows its folder when
the folder moves."""

import shutil
import subprocess
import sys
from pathlib import Path

from dagster import (
    AssetCheckResult,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
)

from orchestration import event_log
from orchestration.event_log import SqliteEventLogStorageKeepingEngines
from tests.conftest import settings_for
from trustcap.run import ensure_dagster_home


@asset
def counted() -> int:
    return 1


@asset_check(asset=counted)
def counted_is_positive() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


def _run_job(home, instance: DagsterInstance | None = None) -> str:
    job = Definitions(
        assets=[counted], asset_checks=[counted_is_positive]
    ).resolve_implicit_global_asset_job_def()
    if instance is None:
        with DagsterInstance.from_config(str(home)) as own:
            return _run_job(home, own)
    assert isinstance(instance.event_log_storage, SqliteEventLogStorageKeepingEngines)
    result = job.execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_events_are_stored_and_read_back_from_the_usual_files(tmp_path, monkeypatch):
    # a folder name with a quote, a space and non-ASCII letters, as users have
    settings = settings_for(tmp_path / "landing", tmp_path / "ware 'hoüse")
    ensure_dagster_home(settings)
    monkeypatch.setattr(event_log, "ENGINES_KEPT", 1)  # the eviction path is taken too
    run_id = _run_job(settings.dagster_home)
    runs = settings.dagster_home / "history" / "runs"
    assert (runs / f"{run_id}.db").exists() and (runs / "index.db").exists()

    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        kinds = {e.dagster_event.event_type for e in instance.all_logs(run_id) if e.dagster_event}
        assert {
            DagsterEventType.ASSET_MATERIALIZATION,
            DagsterEventType.ASSET_CHECK_EVALUATION,
            DagsterEventType.RUN_SUCCESS,
        } <= kinds
        # the cross-run index (what the UI's asset pages read) has them too
        assert instance.get_latest_materialization_event(counted.key) is not None
        # in WAL mode, commits that do not wait for the disk (1: NORMAL; 2, FULL, waits)
        storage = instance.event_log_storage
        with storage._connect(run_id) as conn:
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("pragma synchronous").scalar() == 1


def test_a_moved_home_keeps_its_own_event_log(tmp_path):
    first = settings_for(tmp_path / "landing", tmp_path / "first")
    ensure_dagster_home(first)
    run_id = _run_job(first.dagster_home)

    moved = settings_for(tmp_path / "landing", tmp_path / "moved")
    shutil.copytree(first.dagster_home, moved.dagster_home)
    shutil.rmtree(first.dagster_home)
    ensure_dagster_home(moved)
    assert str(moved.dagster_home.resolve()) in (moved.dagster_home / "dagster.yaml").read_text()
    with DagsterInstance.from_config(str(moved.dagster_home)) as instance:
        assert instance.get_run_by_id(run_id) is not None
        assert any(e.dagster_event for e in instance.all_logs(run_id))
    assert not first.dagster_home.exists()  # nothing written back where it was


def test_kept_connections_let_another_process_write_and_read_meanwhile(tmp_path):
    """A run's instance keeps its connections open between writes; the UI or another
    run (another instance, here in a child process) writes to the same files meanwhile,
    and each sees the other's runs and events."""
    settings = settings_for(tmp_path / "landing", tmp_path / "warehouse")
    ensure_dagster_home(settings)
    home = settings.dagster_home
    with DagsterInstance.from_config(str(home)) as instance:
        first = _run_job(home, instance)
        # this instance has written: its engines hold open connections now
        kept = instance.event_log_storage._engines
        assert kept and all(e.pool.checkedin() == 1 for e in kept.values())
        other = subprocess.run(
            [sys.executable, "-c", _OTHER_RUN, str(home), str(Path(__file__).parent.parent.parent)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert other.returncode == 0, other.stderr[-3000:]
        second = other.stdout.strip().splitlines()[-1]
        third = _run_job(home, instance)  # and this instance writes again after it
        for run_id in (first, second, third):
            assert any(
                e.dagster_event and e.dagster_event.event_type == DagsterEventType.RUN_SUCCESS
                for e in instance.all_logs(run_id)
            ), run_id
        assert len(instance.get_runs()) == 3
        # wiping deletes the files: the kept connections go with them, and runs after
        # a wipe are stored in new files
        instance.wipe()
        fourth = _run_job(home, instance)
        assert [r.run_id for r in instance.get_runs()] == [fourth]
        assert any(e.dagster_event for e in instance.all_logs(fourth))
        assert not any(instance.all_logs(first))


_OTHER_RUN = """
import sys
sys.path.insert(0, sys.argv[2])
from tests.unit.test_event_log import _run_job
print(_run_job(sys.argv[1]))
"""
