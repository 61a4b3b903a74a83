"""Shared fixtures. Every test works in temporary folders: nothing touches data/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.settings import Settings

# Tests write landing files and ingest them at once: no settle time (its own tests set it).
os.environ.setdefault("TC_LANDING_SETTLE_SECONDS", "0")


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block (settings are read from the environment)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def settings_for(landing: Path, warehouse: Path) -> Settings:
    return Settings.from_env({"TC_LANDING_DIR": str(landing), "TC_WAREHOUSE_DIR": str(warehouse)})


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    (tmp_path / "landing").mkdir()
    return settings_for(tmp_path / "landing", tmp_path / "warehouse")
