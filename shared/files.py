"""Writing a file so that no reader ever sees half of it."""

import os
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` writes a file beside the target, which is then renamed over it:
    a reader (dbt, a BI tool, the next run) sees the old file or the new one, whole.
    The temporary name starts with a dot, so the landing loader skips it, and carries
    the process id, so two writers never share one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # still there only when the write or the rename failed
