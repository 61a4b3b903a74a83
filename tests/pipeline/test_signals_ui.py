"""`trustcap ui` started in the background stops on SIGTERM and SIGINT, with its
webserver, daemon and code servers (before, it ignored both: a shell without job
control starts background jobs with SIGINT ignored, and `dagster dev` handles
SIGTERM as it handles SIGINT)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _background(*args, **kwargs) -> subprocess.Popen:
    """As `trustcap ui &` in a script: SIGINT ignored, in the caller's session."""
    return subprocess.Popen(
        args,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_ui_in_the_background_stops_with_every_process_it_started(tmp_path, stop):
    port = _free_port()
    env = dict(os.environ)
    env.update(
        TC_LANDING_DIR=str(tmp_path / "landing"),
        TC_WAREHOUSE_DIR=str(tmp_path / "warehouse"),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
    )
    (tmp_path / "landing").mkdir()
    trustcap = Path(sys.executable).parent / "trustcap"
    proc = _background(str(trustcap), "ui", "--port", str(port), env=env)
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 180
        while not _answers(port):
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the UI did not answer in 180 s"
            time.sleep(1)
        family = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in family)
        assert "dagster_webserver" in names and "dagster._daemon" in names
        proc.send_signal(stop)
        code = proc.wait(timeout=90)
        assert code == 0
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive, [" ".join(p.cmdline()) for p in alive]
        assert not _answers(port)
    finally:
        for p in [psutil.Process(proc.pid), *family] if proc.poll() is None else family:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
