import contextlib
import hashlib
import io
import json
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.publish import pseudonym_key, pseudonymised, published_tables
from core.settings import Settings
from tests.conftest import environment, settings_for
from trustcap.run import run_pipeline
from worlds.world import WorldConfig, generate
from worlds.writer import write_world

pytestmark = pytest.mark.xdist_group("pipeline")


@dataclass
class PipelineWorld:
    root: Path
    settings: Settings
    truth: dict
    world: object
    run_output: str = ""  # what `trustcap run` printed, when the fixture ran it so

    def env(self):
        return environment(
            TC_LANDING_DIR=str(self.settings.landing_dir),
            TC_WAREHOUSE_DIR=str(self.settings.warehouse_dir),
            DAGSTER_HOME=str(self.settings.dagster_home),
        )

    def run(self):
        with self.env():
            return run_pipeline(Settings.from_env())

    def cli(self, *argv: str) -> tuple[int, str]:
        """`trustcap <argv>` in this process, as a user runs it: its exit code and
        everything it printed (stdout and stderr)."""
        from trustcap.cli import main

        out = io.StringIO()
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            with self.env(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = main(list(argv))
        finally:
            for sig, handler in handlers.items():  # `trustcap run` sets its own
                signal.signal(sig, handler)
        return code, out.getvalue()

    def published(self):
        return duckdb.connect(str(self.settings.published_path), read_only=True)

    def as_published(self, ids: list[str], kind: str) -> set[str]:
        """Known ids (the truth's) as the marts publish them: keyed pseudonyms."""
        frame = pl.DataFrame({"id": ids}, schema={"id": pl.String})
        key = pseudonym_key(self.settings.pseudonym_key_path)
        return set(pseudonymised(frame, "id", kind, key)["id"].to_list())

    def warehouse(self):
        return duckdb.connect(str(self.settings.warehouse_path), read_only=True)

    def marts_digest(self) -> dict[str, str]:
        """Content of every published data mart, independent of row order and file bytes
        (pipeline_quality, a log of runs, grows with each run by design)."""
        con = self.published()
        try:
            tables = [
                t
                for t in published_tables(con)
                if t not in ("publication_info", "pipeline_quality")
            ]
            return {
                t: hashlib.sha256(
                    repr(
                        sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr)
                    ).encode()
                ).hexdigest()
                for t in tables
            }
        finally:
            con.close()


def make_world(root: Path, seed: int = 7, scale: float = 0.2, **config) -> PipelineWorld:
    world = generate(WorldConfig(seed=seed, scale=scale, **config))
    settings = settings_for(root / "landing", root / "warehouse")
    write_world(world, settings.landing_dir, root / "truth")
    truth = json.loads((root / "truth" / "truth.json").read_text())
    return PipelineWorld(root, settings, truth, world)


# the landing folder and the warehouse of `ran` are both under it
ODD_FOLDER = "l'entrepôt de données ✓"


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> PipelineWorld:
    """The demo world at scale 0.2, run once by `trustcap run` (its output in
    `run_output`), in a folder whose name has a quote, a space and unicode: paths
    reach SQL only as escaped literals (a quote in TC_WAREHOUSE_DIR once went
    unescaped into dbt's SQL and every run failed to parse)."""
    pw = make_world(tmp_path_factory.mktemp("pipeline") / ODD_FOLDER)
    code, pw.run_output = pw.cli("run")
    assert code == 0, pw.run_output[-4000:]
    return pw


@pytest.fixture(scope="session")
def seed7_world(tmp_path_factory) -> PipelineWorld:
    """The demo world at seed 7, scale 1, run once per worker: the voice and trust
    tests read it (both in xdist group "voice", so they share one worker)."""
    pw = make_world(tmp_path_factory.mktemp("seed7"), seed=7, scale=1.0)
    assert pw.run().success
    return pw


def share_pseudonym_key(source: PipelineWorld, target: PipelineWorld) -> None:
    """Give `target`'s warehouse `source`'s pseudonym key: two warehouses built from the
    same data then publish the same people alike (marts compared across warehouses)."""
    key = target.settings.pseudonym_key_path
    key.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.settings.pseudonym_key_path, key)


def copy_world(pw: PipelineWorld, root: Path) -> PipelineWorld:
    shutil.copytree(pw.settings.landing_dir, root / "landing", copy_function=shutil.copy2)
    return PipelineWorld(
        root, settings_for(root / "landing", root / "warehouse"), pw.truth, pw.world
    )
