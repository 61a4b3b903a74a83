"""Assembles the Dagster definitions; the pieces live in their own modules."""

from dagster import Definitions

from orchestration.assets.dbt import trustcap_dbt_after_analytics, trustcap_dbt_models
from orchestration.assets.ingestion import ingest_landing_files
from orchestration.assets.publication import build_publication_asset
from orchestration.assets.roi import roi_estimates
from orchestration.assets.voice import text_scores
from orchestration.checks.quality import asset_keys_of, build_quality_checks
from orchestration.jobs import pipeline_job
from orchestration.resources import build_resources
from orchestration.schedules import daily_schedule
from orchestration.sensors import new_landing_files_sensor
from trustcap.marts import published_marts

ASSETS = [
    ingest_landing_files,
    trustcap_dbt_models,
    roi_estimates,
    text_scores,
    trustcap_dbt_after_analytics,
    build_publication_asset(published_marts()),
]

defs = Definitions(
    assets=ASSETS,
    asset_checks=build_quality_checks(asset_keys_of(ASSETS)),
    jobs=[pipeline_job],
    schedules=[daily_schedule],
    sensors=[new_landing_files_sensor],
    resources=build_resources(),
)
