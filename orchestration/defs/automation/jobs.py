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
    # in one process by default: under the multiprocess executor each of the seven
    # steps is a subprocess importing the code location, and a UI run cost 1.63x the
    # CPU of `trustcap run` (docs/performance.md). Steps that wait on each other gain
    # nothing from processes on a small machine; the launchpad can still choose
    # `execution: config: multiprocess:` for a run.
    config={"execution": {"config": {"in_process": {}}}},
)
