"""What `trustcap run` shows while it runs: one line per step as it ends (rows where
known, elapsed), while the full Dagster and dbt log goes to a file in the warehouse.

`capture_output` sends everything the run writes — Dagster's console logger, the dbt
lines dagster-dbt echoes to stdout, warnings, child processes' output — to the log
file (and, with --verbose, to the terminal as well); `StepProgress` is a Dagster
logger that receives the run's structured events and prints the progress lines on
the terminal the capture left aside."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

# metadata entries that count an asset's rows, most specific first
ROW_COUNT_KEYS = ("dagster/row_count", "rows_loaded", "rows")


def run_log_path(logs_dir: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    path = logs_dir / f"run-{stamp}.log"
    n = 1
    while path.exists():  # two runs in one second: never append to another run's log
        n += 1
        path = logs_dir / f"run-{stamp}-{n}.log"
    return path


class _Tee(io.TextIOBase):
    """Writes to the terminal and the log (--verbose)."""

    def __init__(self, *streams: TextIO):
        self._streams = streams

    def write(self, text: str) -> int:
        for s in self._streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self._streams:
            s.flush()

    def isatty(self) -> bool:
        return False


def _console_beside(stream: TextIO, fd: int) -> tuple[TextIO, bool]:
    """A stream on what `stream` writes to that survives redirecting `fd`; and whether
    a new one was opened (to close)."""
    try:
        own_fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        own_fd = None  # an in-memory stream (a test's capture): fd redirection misses it
    if own_fd != fd:
        return stream, False
    stream.flush()
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace"), True


@contextmanager
def capture_output(log_path: Path, verbose: bool = False) -> Iterator[TextIO]:
    """Inside the block, all output of this process and its children goes to
    `log_path` (with `verbose`, to the terminal too). Yields the terminal's stream,
    for the progress lines."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "a", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115
    old_out, old_err = sys.stdout, sys.stderr
    if verbose:
        sys.stdout, sys.stderr = _Tee(old_out, log), _Tee(old_err, log)
        try:
            yield old_out
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            log.close()
        return
    console, opened = _console_beside(old_out, 1)
    old_out.flush()
    old_err.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        for fd in saved:
            os.dup2(log.fileno(), fd)  # child processes (dbt, the GX worker) inherit these
        sys.stdout = sys.stderr = log
        yield console
    finally:
        log.flush()
        sys.stdout, sys.stderr = old_out, old_err
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        log.close()
        if opened:
            console.flush()
            console.close()


DBT_ERRORS = "Errors parsed from dbt logs:"


def _reason_in(message: str, cls_name: str | None) -> str:
    """The line of an error message that says what went wrong: dbt's own error
    rather than dagster-dbt's command line; without the exception's class."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if DBT_ERRORS in message:
        parsed = message.split(DBT_ERRORS, 1)[1].splitlines()
        lines = [x.strip() for x in parsed if x.strip() and not x.strip().endswith(":")] or lines
    if not lines:
        return ""
    first = lines[0]
    prefix = first.split(": ", 1)[0]
    if cls_name and prefix.rsplit(".", 1)[-1] == cls_name:
        first = first.split(": ", 1)[1] if ": " in first else first
    return first if len(first) <= 240 else first[:237] + "..."


def failure_reason(event) -> str:
    """The innermost error's telling line: the user's exception, not Dagster's wrapper."""
    data = event.step_failure_data
    error = data.error if data is not None else None
    while error is not None and error.cause is not None:
        error = error.cause
    return _reason_in(error.message or "", error.cls_name) if error is not None else ""


def _rows_of(metadata) -> int | None:
    for key in ROW_COUNT_KEYS:
        entry = metadata.get(key)
        if entry is not None and isinstance(entry.value, int):
            return entry.value
    counts = metadata.get("row_counts")  # publication: rows per mart
    if counts is not None and isinstance(counts.value, dict):
        return sum(v for v in counts.value.values() if isinstance(v, int))
    return None


@dataclass
class _Step:
    started: float
    assets: int = 0
    rows: int | None = None
    checks: int = 0
    checks_failed: int = 0
    checks_warned: int = 0

    def add_rows(self, rows: int | None) -> None:
        if rows is not None:
            self.rows = (self.rows or 0) + rows

    def describe(self) -> str:
        parts = []
        if self.assets:
            parts.append(f"{self.assets} asset{'s' if self.assets != 1 else ''}")
        if self.rows is not None:
            parts.append(f"{self.rows:,} rows")
        if self.checks:
            problems = [
                f"{n} {what}"
                for n, what in ((self.checks_failed, "failed"), (self.checks_warned, "warned"))
                if n
            ]
            parts.append(
                f"{self.checks} check{'s' if self.checks != 1 else ''}"
                + (f" ({', '.join(problems)})" if problems else "")
            )
        return ", ".join(parts)


@dataclass
class StepProgress:
    """Turns a run's Dagster events into progress lines on `console`. A terminal sees
    the running step redrawn in place, its elapsed time ticking; anything else gets
    plain lines, one per step as it ends."""

    console: TextIO
    redraw: bool = False
    steps: dict[str, _Step] = field(default_factory=dict)
    _width: int = 34
    _running: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start_ticking(self, every: float = 1.0) -> None:
        """On a terminal, redraw the running step every `every` seconds (a dbt step
        shows nothing new until dbt is done)."""
        if not self.redraw:
            return

        def tick() -> None:
            while not self._stop.wait(every):
                with self._lock:
                    if self._running is not None:
                        self._show_running(self._running, time.time())

        threading.Thread(target=tick, name="trustcap-progress", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def handle(self, event, at: float) -> None:
        with self._lock:
            self._handle(event, at)

    def _handle(self, event, at: float) -> None:
        key = event.step_key
        if key is None:
            return
        if event.is_step_start:
            self.steps[key] = _Step(started=at)
            self._running = key
            self._show_running(key, at)
            return
        step = self.steps.setdefault(key, _Step(started=at))
        if event.is_step_materialization:
            step.assets += 1
            step.add_rows(_rows_of(event.step_materialization_data.materialization.metadata))
            self._show_running(key, at)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            step.checks += 1
            if not evaluation.passed:
                if evaluation.severity.value == "WARN":
                    step.checks_warned += 1
                else:
                    step.checks_failed += 1
        elif event.is_step_success:
            self._finish(key, "done", step.describe(), at)
        elif event.is_step_failure:
            self._finish(key, "FAILED", failure_reason(event) or step.describe(), at)
        elif event.is_step_skipped:
            self._finish(key, "skipped", "an earlier step failed", at)

    def _line(self, key: str, status: str, detail: str, seconds: float) -> str:
        return f"  {status:7} {key:{self._width}} {seconds:6.1f}s  {detail}".rstrip()

    def _show_running(self, key: str, at: float) -> None:
        if self.redraw:
            step = self.steps[key]
            line = self._line(key, "running", step.describe(), at - step.started)
            self.console.write("\r\x1b[K" + line)
            self.console.flush()

    def _finish(self, key: str, status: str, detail: str, at: float) -> None:
        if self._running == key:
            self._running = None
        line = self._line(key, status, detail, at - self.steps[key].started)
        self.console.write(("\r\x1b[K" if self.redraw else "") + line + "\n")
        self.console.flush()


class _ProgressHandler(logging.Handler):
    def __init__(self, progress: StepProgress):
        super().__init__(logging.DEBUG)
        self._progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None:
            self._progress.handle(event, record.created)


def progress_logger_def(progress: StepProgress):
    """A Dagster logger that feeds `progress` every event of the run."""
    from dagster import logger

    @logger(description="trustcap run's progress lines")
    def trustcap_progress(_init_context) -> logging.Logger:
        log = logging.Logger("trustcap.progress", logging.DEBUG)
        log.addHandler(_ProgressHandler(progress))
        return log

    return trustcap_progress


def started_progress(console: TextIO, verbose: bool) -> StepProgress:
    is_tty = hasattr(console, "isatty") and console.isatty()
    return StepProgress(console, redraw=is_tty and not verbose)
