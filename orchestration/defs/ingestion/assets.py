"""Ingestion as one step: the landing entities' new files parsed into raw Parquet.

One asset per entity (raw/<source>__<entity>: the dbt sources, lineage and checks
key on them), all made by ONE multi-asset op. Under Dagster's multiprocess executor
(the UI, the schedule, the sensor) each op is a subprocess that imports the whole
code location, which cost more than parsing a day of files: twelve ingestion steps
made a run from the UI several times as long as `trustcap run`. Inside the step the
entities run side by side on a few threads (DuckDB's reader and polars release
the GIL); an entity that fails fails alone, after the others have materialized.
"""

from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from ingestion.contract import ENTITIES, Entity
from ingestion.load import IngestReport, StoragePaths, ingest_entity
from orchestration.resources import SettingsResource

# the op (and step key) that makes every raw/* asset
INGESTION_STEP = "ingest_landing_files"


def storage_paths(settings) -> StoragePaths:
    return StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)


def raw_asset_key(entity: Entity) -> AssetKey:
    return AssetKey(["raw", entity.table])


def _spec(entity: Entity) -> AssetSpec:
    return AssetSpec(
        key=raw_asset_key(entity),
        group_name="ingestion",
        kinds={"polars", "parquet"},
        description=(
            f"Landing files of {entity.qualified} (<landing>/{entity.qualified}/*), typed and "
            "validated against the landing contract. Only files whose content is new are "
            "parsed; rows that break the contract go to quarantine with their reason."
        ),
        skippable=True,  # an entity that fails leaves the others materialized
    )


def _materialization(entity: Entity, report: IngestReport) -> MaterializeResult:
    return MaterializeResult(
        asset_key=raw_asset_key(entity),
        metadata={
            "files_seen": report.files_seen,
            "files_new": report.files_new,
            "files_already_loaded": report.files_skipped_known,
            "files_quarantined": report.files_quarantined,
            "files_refused_symlinks": report.files_refused,
            "files_waiting": len(report.waiting_files),
            "rows_loaded": report.rows_loaded,
            "rows_quarantined": report.rows_quarantined,
            "rows_in_raw": report.rows_total,
            "quarantine_reasons": report.quarantine_reasons,
            "new_files": report.new_files[:50],
        },
    )


class IngestionFailedError(Exception):
    """One or more entities could not be ingested; the others were."""


@multi_asset(
    name=INGESTION_STEP,
    specs=[_spec(e) for e in ENTITIES],
    can_subset=True,
    description="Every landing entity's new files, typed and validated, in one step.",
)
def ingest_landing_files(context: AssetExecutionContext, settings: SettingsResource):
    s = settings.get()
    selected = [e for e in ENTITIES if raw_asset_key(e) in context.selected_asset_keys]
    paths, rules = storage_paths(s), s.input_rules()
    failed: list[str] = []
    with ThreadPoolExecutor(
        max_workers=max(1, min(s.ingest_workers, len(selected))),
        thread_name_prefix="ingest",
    ) as pool:
        futures: dict[Future[IngestReport], Entity] = {
            pool.submit(ingest_entity, e, s.landing_dir, paths, rules): e for e in selected
        }
        for future in as_completed(futures):
            entity = futures[future]
            try:
                report = future.result()
            except Exception:
                context.log.exception(f"{entity.qualified}: ingestion failed")
                failed.append(entity.qualified)
                continue
            _log(context, entity, report)
            yield _materialization(entity, report)
    if failed:
        raise IngestionFailedError(
            f"ingestion failed for {', '.join(sorted(failed))} (see the step's log); "
            "the other entities were ingested"
        )


def _log(context: AssetExecutionContext, entity: Entity, report: IngestReport) -> None:
    context.log.info(
        f"{entity.qualified}: {report.files_new} new file(s), {report.rows_loaded:,} rows "
        f"loaded, {report.rows_quarantined:,} rows quarantined, "
        f"{report.files_quarantined} file(s) quarantined whole"
    )
    if report.waiting_files:
        context.log.warning(
            f"{entity.qualified}: {len(report.waiting_files)} file(s) still being written "
            f"wait for the next run: {', '.join(report.waiting_files[:10])}"
        )
