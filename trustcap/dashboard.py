"""`trustcap dashboard`: the Streamlit dashboard in dashboard/, over the published marts
only (docs/dashboard.md). Starts Streamlit as a child process, so this module imports
neither Streamlit nor a browser; `--screenshots` drives Debian's Chromium."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"
# page -> its url path, in the order of the navigation (dashboard/app.py); the
# first page is the default one, served at the root
PAGES = {
    "roi": "",
    "trust": "trust",
    "voice": "voice",
    "responsiveness": "responsiveness",
    "data_quality": "data_quality",
}
# Chromium must not reach out: no sync, no component or field-trial downloads, no QUIC
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# the caption every page ends with (dashboard/common.py)
WIDTH = 1280  # screenshots: wide enough for the tables, small enough to read in a README
PAGE_DONE = re.compile(r"^Publication \S+, published ")


class DashboardError(RuntimeError):
    """A user's mistake or a missing piece: one line, no traceback."""


def _check_ready(published: Path) -> None:
    if importlib.util.find_spec("streamlit") is None:
        raise DashboardError("Streamlit is not installed: run scripts/setup.sh")
    if not published.exists():
        raise DashboardError(f"no publication at {published} yet: run `trustcap run` first")


def streamlit_command(published: Path, port: int, address: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_DIR / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        address,
        # also in dashboard/.streamlit/config.toml; repeated so no other config overrides
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--",
        "--published",
        str(published),
    ]


def serve(published: Path, port: int, address: str) -> int:
    """Serve until Ctrl-C or SIGTERM. Each page view queries the newest publication."""
    _check_ready(published)
    stop: list[int] = []

    def _on_signal(signum: int, _frame) -> None:
        stop.append(signum)

    # handled here, also when started in the background with SIGINT ignored; Streamlit
    # runs in its own process group, stopped as a whole
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    print(f"Trust Capital dashboard: http://{address}:{port}/ (Ctrl-C stops it)", flush=True)
    proc = subprocess.Popen(
        streamlit_command(published, port, address), cwd=DASHBOARD_DIR, start_new_session=True
    )
    try:
        while proc.poll() is None and not stop:
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            _stop(proc)
    return 0 if stop else proc.returncode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
            return reply.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def running(published: Path, timeout: float = 90.0) -> Iterator[str]:
    """The dashboard served on a free local port for the block; yields its base URL."""
    _check_ready(published)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            streamlit_command(published, port, "127.0.0.1"),
            cwd=DASHBOARD_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(base):
                if proc.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
                    raise DashboardError(
                        f"streamlit exited ({proc.returncode}): {' | '.join(tail)}"
                    )
                if time.monotonic() > deadline:
                    raise DashboardError(f"streamlit did not answer on {base} in {timeout:.0f} s")
                time.sleep(0.3)
            yield base
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def chromium_path() -> Path:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise DashboardError("Chromium is not installed: run scripts/setup.sh")
    return Path(found)


@contextlib.contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[object]:
    """A Playwright page in headless Chromium, with a fresh profile. Every request the
    page makes is recorded in `page.requested_urls` (the dashboard must stay local)."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a dev dependency: `uv sync` (scripts/setup.sh) installs it
        raise DashboardError("Playwright is not installed: run scripts/setup.sh") from exc
    with tempfile.TemporaryDirectory(prefix="tc-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(executable),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.requested_urls = []
            page.on("request", lambda request: page.requested_urls.append(request.url))
            yield page
        finally:
            context.close()


def open_page(page, base: str, url_path: str, timeout_ms: float = 60_000) -> None:
    """Open one dashboard page and wait until its script has run to the end (its last
    element, the publication caption, is shown) and its charts are drawn."""
    page.goto(f"{base}/{url_path}", wait_until="domcontentloaded", timeout=timeout_ms)
    page.get_by_text(PAGE_DONE).last.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const running = document.querySelector('[data-testid="stStatusWidget"]');
            const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
            return !running && charts.every(c => c.querySelector('canvas, svg'));
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(500)  # let Vega finish its transition before anyone looks


def screenshots(published: Path, out_dir: Path) -> list[Path]:
    """One PNG per page, as a browser shows it (for docs/img/ and for a quick look)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with running(published) as base, browser_page() as page:
        for name, url_path in PAGES.items():
            open_page(page, base, url_path)
            # Streamlit scrolls an inner container: grow the window to the content
            height = page.evaluate(
                "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
            )
            page.set_viewport_size({"width": WIDTH, "height": max(int(height), 600)})
            page.wait_for_timeout(800)  # charts redraw at the new size
            target = out_dir / f"dashboard_{name}.png"
            page.screenshot(path=str(target))
            page.set_viewport_size({"width": WIDTH, "height": 900})
            _shrink_png(target)
            written.append(target)
    return written


def _shrink_png(path: Path) -> None:
    """A 256-colour palette: charts and text stay sharp, the file a fraction of the size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
