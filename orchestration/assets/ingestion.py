"""One asset per landing entity: parse new landing files into raw Parquet."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from ingestion.contract import ENTITIES, Entity
from ingestion.load import StoragePaths, ingest_entity
from orchestration.resources import SettingsResource


def storage_paths(settings) -> StoragePaths:
    return StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)


def _ingestion_asset(entity: Entity) -> AssetsDefinition:
    @asset(
        key=AssetKey(["raw", entity.table]),
        group_name="ingestion",
        kinds={"polars", "parquet"},
        description=(
            f"Landing files of {entity.qualified} (<landing>/{entity.qualified}/*), typed and "
            "validated against the landing contract. Only files whose content is new are "
            "parsed; rows that break the contract go to quarantine with their reason."
        ),
    )
    def _ingest(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
        s = settings.get()
        report = ingest_entity(entity, s.landing_dir, storage_paths(s), s.input_rules())
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
        return MaterializeResult(
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
            }
        )

    _ingest.__name__ = f"ingest_{entity.table}"
    return _ingest


def build_ingestion_assets() -> list[AssetsDefinition]:
    return [_ingestion_asset(e) for e in ENTITIES]
