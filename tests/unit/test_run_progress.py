"""`trustcap run`'s quiet output: everything the run writes goes to its log file, the
terminal keeps only what the progress display writes (the whole run:
tests/pipeline/test_pipeline.py)."""

import contextlib
import io
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from trustcap.progress import StepProgress, _reason_in, capture_output, run_log_path


def _noise() -> None:
    print("from print", flush=True)
    logging.getLogger("trustcap.test").warning("from logging")
    subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
    subprocess.run(
        [sys.executable, "-c", "import sys; sys.stderr.write('child stderr\\n')"], check=True
    )


def test_the_run_output_goes_to_the_log_and_the_terminal_keeps_the_progress(tmp_path):
    terminal = io.StringIO()
    log = tmp_path / "logs" / "run.log"
    handler = logging.StreamHandler()  # as Dagster's console logger: to the stderr in force
    logging.getLogger("trustcap.test").addHandler(handler)
    try:
        with contextlib.redirect_stdout(terminal), capture_output(log) as console:
            handler.setStream(sys.stderr)
            console.write("progress line\n")
            _noise()
    finally:
        logging.getLogger("trustcap.test").removeHandler(handler)
    assert terminal.getvalue() == "progress line\n"
    text = log.read_text()
    for line in ("from print", "from logging", "from a child process", "child stderr"):
        assert line in text
    assert "progress line" not in text
    # afterwards the process's output (and its children's) is its own again
    subprocess.run([sys.executable, "-c", "print('after the run')"], check=True)
    print("after the run")
    assert "after the run" not in log.read_text()


def test_verbose_prints_the_output_and_keeps_it_in_the_log(tmp_path):
    terminal = io.StringIO()
    log = tmp_path / "run.log"
    with contextlib.redirect_stdout(terminal), capture_output(log, verbose=True):
        print("from print", flush=True)
    assert "from print" in terminal.getvalue() and "from print" in log.read_text()


def test_log_files_are_named_by_time_and_never_shared(tmp_path):
    now = datetime(2026, 12, 4, 8, 1, 2, tzinfo=UTC)
    first = run_log_path(tmp_path, now)
    assert first.name == "run-20261204T080102Z.log"
    first.write_text("a run")
    assert run_log_path(tmp_path, now).name == "run-20261204T080102Z-2.log"


def test_a_failed_dbt_step_is_told_by_dbt_s_own_error():
    message = (
        "dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command\n\n"
        "`dbt build --vars {...}`\n\nfailed with exit code `2`. Check the stdout ...\n\n"
        "Errors parsed from dbt logs:\n\nEncountered an error:\n"
        'IO Error: Could not set lock on file "w.duckdb"\n\nTraceback (most recent call last):\n'
    )
    assert _reason_in(message, "DagsterDbtCliRuntimeError") == (
        'IO Error: Could not set lock on file "w.duckdb"'
    )
    assert _reason_in(
        "core.quality.gate.QualityGateError: 2 checks failed\nx", "QualityGateError"
    ) == ("2 checks failed")


def _event(kind: str, step: str = "trustcap_dbt_models", **data):
    flags = {f"is_step_{k}": kind == k for k in ("start", "success", "failure", "skipped")} | {
        "is_step_materialization": kind == "materialization"
    }
    return SimpleNamespace(step_key=step, event_type_value=kind.upper(), **flags, **data)


def _materialized(rows: int):
    metadata = {"dagster/row_count": SimpleNamespace(value=rows)}
    return _event(
        "materialization",
        step_materialization_data=SimpleNamespace(
            materialization=SimpleNamespace(metadata=metadata)
        ),
    )


def _checked(passed: bool, severity: str):
    return _event(
        "asset_check_evaluation",
        asset_check_evaluation_data=SimpleNamespace(
            passed=passed, severity=SimpleNamespace(value=severity)
        ),
    )


def test_a_step_ends_as_one_line_with_its_assets_rows_checks_and_time():
    out = io.StringIO()
    progress = StepProgress(out)
    progress.handle(_event("start"), 100.0)
    for event in (_materialized(10), _materialized(1_500), _checked(True, "ERROR")):
        progress.handle(event, 101.0)
    progress.handle(_checked(False, "WARN"), 101.0)
    progress.handle(_checked(False, "ERROR"), 101.0)
    assert out.getvalue() == ""  # nothing while it runs, off a terminal
    progress.handle(_event("success"), 112.25)
    assert out.getvalue() == (
        "  done    trustcap_dbt_models                  12.2s  "
        "2 assets, 1,510 rows, 3 checks (1 failed, 1 warned)\n"
    )


def test_a_terminal_sees_the_running_step_redrawn_in_place():
    out = io.StringIO()
    progress = StepProgress(out, redraw=True)
    progress.handle(_event("start"), 100.0)
    progress.handle(_materialized(7), 103.0)
    progress.handle(_event("success"), 104.0)
    frames = out.getvalue().split("\r\x1b[K")
    assert frames[1].startswith("  running trustcap_dbt_models") and frames[1].endswith("0.0s")
    assert frames[2].endswith("3.0s  1 asset, 7 rows")
    assert frames[3].startswith("  done ") and frames[3].endswith("\n")


def test_on_a_terminal_the_running_step_s_time_ticks_until_it_ends():
    out = io.StringIO()
    progress = StepProgress(out, redraw=True)
    progress.start_ticking(every=0.01)
    try:
        progress.handle(_event("start"), time.time())
        deadline = time.monotonic() + 5
        while out.getvalue().count("running") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        progress.handle(_event("success"), time.time())
    finally:
        progress.stop()
    assert out.getvalue().count("running") >= 3
    ended = len(out.getvalue())
    time.sleep(0.05)
    assert len(out.getvalue()) == ended  # nothing redrawn after the step ended
