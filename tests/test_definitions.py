"""All definitions load, and the schedule and the sensor do what the UI promises."""

from dagster import AssetKey, DagsterInstance, RunRequest, SkipReason, build_sensor_context

from ingestion.contract import ENTITIES
from tests.conftest import environment


def test_definitions_load_with_every_asset_check_schedule_and_sensor():
    from orchestration.definitions import defs as load_definitions

    defs = load_definitions()

    repo = defs.get_repository_def()
    keys = set(repo.assets_defs_by_key)
    for e in ENTITIES:
        assert AssetKey(["raw", e.table]) in keys
    assert AssetKey(["marts", "responsiveness_daily"]) in keys
    assert AssetKey(["marts", "community_health_monthly"]) in keys
    assert AssetKey(["published", "trustcap"]) in keys
    assert AssetKey(["analytics", "roi_incremental_summary"]) in keys
    assert AssetKey(["marts", "community_roi_summary"]) in keys
    job = defs.resolve_job_def("trustcap_pipeline")
    assert job.tags["trustcap/warehouse"] == "writer"
    # dbt tests surface as asset checks
    checks = [c for a in repo.assets_defs_by_key.values() for c in a.check_keys]
    assert any(c.name.startswith("primary_key") for c in checks)
    assert defs.resolve_schedule_def("trustcap_daily").cron_schedule == "0 5 * * *"
    assert defs.resolve_sensor_def("trustcap_new_landing_files") is not None
    # every asset is documented in the UI
    for a in repo.assets_defs_by_key.values():
        for key in a.keys:
            assert a.specs_by_key[key].description, key


def test_publication_waits_for_every_published_mart():
    from core.marts import published_marts
    from orchestration.definitions import defs as load_definitions

    defs = load_definitions()

    pub = defs.resolve_assets_def(AssetKey(["published", "trustcap"]))
    deps = {d.asset_key for d in pub.specs_by_key[AssetKey(["published", "trustcap"])].deps}
    assert deps == {AssetKey(["marts", name]) for name in published_marts()}


def test_the_sensor_requests_a_run_for_new_files_and_skips_when_none(tmp_path):
    from ingestion.load import StoragePaths, ingest_entity
    from orchestration.defs.automation.sensors import new_landing_files_sensor

    landing = tmp_path / "landing"
    (landing / "crm/contacts").mkdir(parents=True)
    with (
        environment(TC_LANDING_DIR=str(landing), TC_WAREHOUSE_DIR=str(tmp_path / "wh")),
        DagsterInstance.ephemeral() as instance,
    ):

        def tick():
            return new_landing_files_sensor(build_sensor_context(instance=instance))

        assert isinstance(tick(), SkipReason)
        (landing / "crm/contacts/c.csv").write_text("contact_id,created_at\nc1,2025-01-01\n")
        first = tick()
        again = tick()
        assert isinstance(first, RunRequest) and first.run_key == again.run_key
        wh = tmp_path / "wh"
        paths = StoragePaths(wh / "raw", wh / "quarantine", wh / "ingest_log")
        for e in ENTITIES:
            ingest_entity(e, landing, paths)
        assert isinstance(tick(), SkipReason)


def test_the_quality_gate_checks_every_published_mart_and_blocks_on_marts():
    from dagster import AssetCheckKey

    from core.marts import published_marts
    from core.quality.suites import BLOCKING, all_checks
    from orchestration.definitions import defs as load_definitions

    defs = load_definitions()
    from orchestration.defs.quality.checks import suite_check_name

    repo = defs.get_repository_def()
    specs = {
        spec.key: spec
        for checks_def in repo.asset_checks_defs_by_key.values()
        for spec in checks_def.check_specs
    }
    for check in all_checks():
        key = AssetCheckKey(
            AssetKey([check.schema, check.relation]), suite_check_name(check.severity)
        )
        spec = specs[key]
        assert check.description in spec.description
        assert spec.blocking == (check.severity == BLOCKING and check.schema == "marts")
    checked_marts = {c.relation for c in all_checks() if c.schema == "marts"}
    assert checked_marts == set(published_marts())


# imports orchestration.definitions in a fresh interpreter, with every file it opens seen
IMPORT_AND_LIST_OPENED = """
import builtins, io, json, sys
opened = []
real_open = io.open
def spy(file, *args, **kwargs):
    opened.append(str(file))
    return real_open(file, *args, **kwargs)
builtins.open = io.open = spy
import orchestration.definitions
builtins.open = io.open = real_open
print(json.dumps(opened))
"""


def test_importing_the_definitions_reads_no_dbt_file():
    """No work at import time: the manifest and dbt_project.yml are read when the
    definitions load (defs()), so `trustcap --help` and tests that only import stay quick."""
    import json
    import os
    import subprocess
    import sys

    from core.settings import DBT_PROJECT_DIR, REPO_ROOT

    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_LIST_OPENED],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    opened = json.loads(proc.stdout.strip().splitlines()[-1])
    assert opened, "the spy saw no file at all: it would miss the manifest too"
    assert not [p for p in opened if str(DBT_PROJECT_DIR) in p], opened
