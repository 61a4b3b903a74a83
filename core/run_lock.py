"""Who is writing the warehouse: the run lock and DuckDB's own file lock.

A run started by `trustcap run` holds an exclusive `flock` on
`<warehouse>/.run.lock` for its whole life and writes who it is into the file.
The kernel drops the lock when the process ends, however it ends (kill -9
included), so a dead run never holds the warehouse. Runs launched by the Dagster
daemon are found in Dagster's run storage instead (orchestration/defs/automation/run_guard.py).

Any other process that holds `warehouse.duckdb` open for writing (a DuckDB shell,
a dbt left behind by a killed run) is found in the kernel's lock table, without
opening the file: opening it would itself take a lock that could fail a run
starting at that moment.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".run.lock"


@dataclass(frozen=True)
class Holder:
    run_id: str
    pid: int
    command: str
    started_at: str  # UTC, to the second

    def describe(self) -> str:
        if not self.run_id:
            return "another run that is just starting"
        return f"run {self.run_id} (pid {self.pid}, {self.command}, started {self.started_at} UTC)"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse; the message says which."""

    def __init__(self, holder: str, pid: int | None):
        super().__init__(holder)
        self.pid = pid


def _lock_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / LOCK_NAME


def _read_holder(fd: int) -> Holder:
    try:
        text = os.pread(fd, 4096, 0).decode()
        return Holder(**json.loads(text))
    except (OSError, ValueError, TypeError):
        return Holder("", 0, "", "")  # the holder has not written itself yet


@contextmanager
def hold_warehouse(warehouse_dir: Path, run_id: str, command: str) -> Iterator[None]:
    """Hold the warehouse for one run; raise WarehouseBusy when another run holds it."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_path(warehouse_dir), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # a probe (warehouse_holder) holds a shared lock for a moment: retry briefly
        deadline = time.monotonic() + 2.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = _read_holder(fd)
                    raise WarehouseBusy(holder.describe(), holder.pid or None) from None
                time.sleep(0.05)
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        holder = Holder(run_id, os.getpid(), command, started)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def warehouse_holder(warehouse_dir: Path) -> Holder | None:
    """The run holding the warehouse, or None."""
    path = _lock_path(warehouse_dir)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def duckdb_writer(database: Path) -> tuple[int, str] | None:
    """(pid, command line) of a process holding `database` open for writing, from the
    kernel's lock table (/proc/locks, Linux); None when there is none or no table."""
    try:
        st = database.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 1234 fe:00:2188017 0 EOF"; readers hold READ locks
        if len(fields) >= 6 and fields[3] == "WRITE" and fields[5] == device:
            pid = int(fields[4])
            if pid == os.getpid():
                continue
            return pid, _command_line(pid)
    return None


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "unknown process"
    words = [w for w in raw.decode(errors="replace").split("\0") if w]
    return " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words[:4]))
