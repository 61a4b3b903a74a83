"""core.inputs: a run with nothing new stands on the last publication (issue 23)."""

import os
import shutil
from pathlib import Path

import duckdb
import polars as pl

from core import inputs
from core.publish import publish
from core.settings import REPO_ROOT, Settings
from ingestion.contract import ENTITY_BY_NAME
from ingestion.load import StoragePaths, ingest_entity
from tests.conftest import settings_for

CAMPAIGNS = ENTITY_BY_NAME["costs/campaigns"]
HEADER = "campaign_id,name,platform,started_on,ended_on,objective\n"


def _land(landing: Path, name: str, rows: str) -> Path:
    path = landing / "costs" / "campaigns" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows)
    return path


def _ingest(settings) -> None:
    paths = StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)
    ingest_entity(CAMPAIGNS, settings.landing_dir, paths)


def _publish(settings, record=True) -> str:
    wh = settings.warehouse_dir / "tiny.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.a as select 1 as v")
    con.close()
    given = inputs.current_inputs(settings).as_dict() if record else None
    return publish(wh, settings.published_dir, ["a"], run_id="r", inputs=given).publication_id


def _world(tmp_path: Path, **env: str):
    landing = tmp_path / "landing"
    _land(landing, "c1.csv", "CMP001,Autumn,twitter,2025-12-12,2026-01-13,engagement\n")
    settings = settings_for(landing, tmp_path / "warehouse")
    _ingest(settings)
    return settings


def test_nothing_new_names_the_publication_built_from_the_same_inputs(tmp_path):
    settings = _world(tmp_path)
    assert inputs.nothing_new(settings) is None  # no publication yet
    publication = _publish(settings)
    assert inputs.nothing_new(settings) == publication
    # a publication whose inputs were not recorded (a partial run) never stands
    changed = Settings.from_env(
        {
            "TC_LANDING_DIR": str(settings.landing_dir),
            "TC_WAREHOUSE_DIR": str(settings.warehouse_dir),
            "TC_REPORTING_CURRENCY": "USD",
        }
    )
    assert inputs.nothing_new(changed) is None
    # a new pseudonym key means new pseudonyms: only a new publication shows them
    key = settings.pseudonym_key_path
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("00" * 32 + "\n")
    assert inputs.nothing_new(settings) is None
    publication = _publish(settings)
    assert inputs.nothing_new(settings) == publication
    key.unlink()
    assert inputs.nothing_new(settings) is None
    publication = _publish(settings)
    _publish(settings, record=False)
    assert inputs.nothing_new(settings) is None


def test_a_waiting_file_an_ingested_file_or_a_retraction_means_work(tmp_path):
    settings = _world(tmp_path)
    _publish(settings)
    new = _land(settings.landing_dir, "c2.csv", "CMP002,Summer,twitter,2026-05-09,2026-06-12,x\n")
    assert inputs.nothing_new(settings) is None  # waiting
    _ingest(settings)
    assert inputs.nothing_new(settings) is None  # ingested, not yet published
    publication = _publish(settings)
    assert inputs.nothing_new(settings) == publication
    # a file that changed after it was read is waiting again
    os.utime(new, ns=(new.stat().st_atime_ns, new.stat().st_mtime_ns + 10**9))
    assert inputs.nothing_new(settings) is None


def test_the_ingested_digest_follows_the_log_not_when_it_was_written(tmp_path):
    settings = _world(tmp_path)
    paths = StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)
    before = inputs.ingested_digest(paths)
    log_path = paths.log(CAMPAIGNS)
    log = pl.read_parquet(log_path)
    log.with_columns(ingested_at=pl.col("ingested_at") + pl.duration(hours=1)).write_parquet(
        log_path
    )
    assert inputs.ingested_digest(paths) == before
    log.with_columns(status=pl.lit("retracted")).write_parquet(log_path)
    assert inputs.ingested_digest(paths) != before


def test_every_setting_but_the_folders_is_an_input(tmp_path):
    base = {"TC_LANDING_DIR": str(tmp_path / "l"), "TC_WAREHOUSE_DIR": str(tmp_path / "w")}
    digest = inputs.settings_digest(Settings.from_env(base))
    moved = {**base, "TC_WAREHOUSE_DIR": str(tmp_path / "elsewhere")}
    assert inputs.settings_digest(Settings.from_env(moved)) == digest
    for name, value in (
        ("TC_VOICE_MIN_SCORED_SHARE", "0.6"),
        ("TC_REPORTING_CURRENCY", "USD"),
        ("TC_BRAND_TERMS", "Acme"),
    ):
        changed = Settings.from_env({**base, name: value})
        assert inputs.settings_digest(changed) != digest, name


def test_the_code_digest_reads_what_builds_marts_and_nothing_else(tmp_path):
    root = tmp_path / "repo"
    for folder in ("core", "dbt_project/models", "trustcap"):
        (root / folder).mkdir(parents=True)
    shutil.copy(REPO_ROOT / "dbt_project/dbt_project.yml", root / "dbt_project/dbt_project.yml")
    (root / "core/a.py").write_text("x = 1\n")
    (root / "dbt_project/models/m.sql").write_text("select 1\n")
    (root / "trustcap/cli.py").write_text("print()\n")
    digest = inputs.code_digest(root)
    (root / "trustcap/cli.py").write_text("print('the CLI changes no mart')\n")
    (root / "core/__pycache__").mkdir()
    (root / "core/__pycache__/a.cpython-311.pyc").write_bytes(b"\0")
    assert inputs.code_digest(root) == digest
    for path, text in (("dbt_project/models/m.sql", "select 2\n"), ("core/a.py", "x = 2\n")):
        (root / path).write_text(text)
        assert inputs.code_digest(root) != digest, path
        digest = inputs.code_digest(root)
    (root / "dbt_project/models/n.sql").write_text("select 3\n")  # a new model
    assert inputs.code_digest(root) != digest
