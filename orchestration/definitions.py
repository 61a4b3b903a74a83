"""Assembles the Dagster definitions; the pieces live in `defs/<domain>/`. The
definitions are built when Dagster (or `trustcap run`) loads them, not at import:
dagster-dbt reads dbt's manifest to build the dbt assets."""

import dagster as dg

from core.marts import published_marts
from orchestration.defs.automation.jobs import pipeline_job
from orchestration.defs.automation.schedules import daily_schedule
from orchestration.defs.automation.sensors import new_landing_files_sensor
from orchestration.defs.dbt.assets import build_dbt_assets
from orchestration.defs.ingestion.assets import ingest_landing_files
from orchestration.defs.publication.assets import build_publication_asset
from orchestration.defs.quality.checks import asset_keys_of, build_quality_checks
from orchestration.defs.roi.assets import roi_estimates
from orchestration.defs.voice.assets import text_scores
from orchestration.resources import build_resources


def build_assets() -> list[dg.AssetsDefinition]:
    """Every asset of the pipeline, in the order the data travels."""
    dbt_models, dbt_after_analytics = build_dbt_assets()
    return [
        ingest_landing_files,
        dbt_models,
        roi_estimates,
        text_scores,
        dbt_after_analytics,
        build_publication_asset(published_marts()),
    ]


@dg.definitions
def defs() -> dg.Definitions:
    assets = build_assets()
    return dg.Definitions(
        assets=assets,
        asset_checks=build_quality_checks(asset_keys_of(assets)),
        jobs=[pipeline_job],
        schedules=[daily_schedule],
        sensors=[new_landing_files_sensor],
        resources=build_resources(),
    )
