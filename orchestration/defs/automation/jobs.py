from dagster import AssetSelection, define_asset_job

from orchestration.defs.automation.executor import preflight_executor

# One warehouse writer at a time: runs carry this tag, and the instance limits it
# to one concurrent run (dagster.yaml written by `trustcap ui`).
WAREHOUSE_TAG = {"trustcap/warehouse": "writer"}

pipeline_job = define_asset_job(
    name="trustcap_pipeline",
    selection=AssetSelection.all(),
    description="Ingest new landing files, build and test every dbt model, publish the marts.",
    tags=WAREHOUSE_TAG,
    executor_def=preflight_executor,
)
