"""Ingestion is one Dagster step that makes one asset per landing entity: a subset
materializes only its entities, each with its own metadata, and an entity that fails
fails alone."""

import pytest
from dagster import AssetKey, materialize

from ingestion.contract import ENTITIES
from orchestration.defs.ingestion import assets as ingestion_assets
from orchestration.defs.ingestion.assets import INGESTION_STEP, ingest_landing_files
from orchestration.resources import SettingsResource
from tests.conftest import environment

CONTACTS = AssetKey(["raw", "crm__contacts"])
ORDERS = AssetKey(["raw", "sales__orders"])


@pytest.fixture
def landing_env(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm/contacts").mkdir(parents=True)
    (landing / "crm/contacts/c.csv").write_text(
        "contact_id,created_at\nc1,2025-01-01\nc2,2025-01-02\n,2025-01-03\n"
    )
    (landing / "sales/orders").mkdir(parents=True)
    (landing / "sales/orders/o.csv").write_text(
        "order_id,contact_id,ordered_at,amount,currency,status\n"
        "o1,c1,2025-01-05,10.0,EUR,completed\n"
    )
    with environment(
        TC_LANDING_DIR=str(landing),
        TC_WAREHOUSE_DIR=str(tmp_path / "wh"),
        TC_LANDING_SETTLE_SECONDS="0",
        TC_INGEST_WORKERS="3",
    ):
        yield tmp_path


def test_every_raw_asset_is_made_by_the_one_ingestion_step():
    from orchestration.definitions import defs as load_definitions

    defs = load_definitions()

    repo = defs.get_repository_def()
    made_by = {repo.assets_defs_by_key[AssetKey(["raw", e.table])] for e in ENTITIES}
    assert len(made_by) == 1
    (step,) = made_by
    assert step.node_def.name == INGESTION_STEP and step.can_subset
    job = defs.resolve_job_def("trustcap_pipeline")
    assert [n for n in job.graph.node_dict if n.startswith("ingest")] == [INGESTION_STEP]


def test_a_subset_materializes_only_its_entities_with_their_own_metadata(landing_env):
    result = materialize(
        [ingest_landing_files],
        selection=[CONTACTS, ORDERS],
        resources={"settings": SettingsResource()},
    )
    assert result.success
    by_key = {
        m.asset_key: m.metadata for m in result.asset_materializations_for_node(INGESTION_STEP)
    }
    assert set(by_key) == {CONTACTS, ORDERS}
    assert by_key[CONTACTS]["rows_loaded"].value == 2
    assert by_key[CONTACTS]["rows_quarantined"].value == 1
    assert by_key[ORDERS]["rows_loaded"].value == 1
    assert (landing_env / "wh/raw/crm/contacts").is_dir()
    assert not (landing_env / "wh/raw/social/activities").exists()  # not selected


def test_an_entity_that_fails_fails_alone(landing_env, monkeypatch):
    real = ingestion_assets.ingest_entity

    def failing_for_orders(entity, *args):
        if entity.qualified == "sales/orders":
            raise OSError("disk full")
        return real(entity, *args)

    monkeypatch.setattr(ingestion_assets, "ingest_entity", failing_for_orders)
    result = materialize(
        [ingest_landing_files], resources={"settings": SettingsResource()}, raise_on_error=False
    )
    assert not result.success
    made = {m.asset_key for m in result.asset_materializations_for_node(INGESTION_STEP)}
    assert made == {AssetKey(["raw", e.table]) for e in ENTITIES} - {ORDERS}
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "ingestion failed for sales/orders" in failure.step_failure_data.error.to_string()
