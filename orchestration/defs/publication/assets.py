"""Publication: after every dbt model and test passed, swap in the new marts."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from core.inputs import current_inputs
from core.marts import personal_columns, stated_empty_reasons
from core.publish import PersonalData, explain_empty_marts, pseudonym_key, publish
from core.quality.gate import (
    PIPELINE_QUALITY,
    QualityGateError,
    assert_publishable,
    pipeline_quality_select,
)
from core.quality.report import markdown as quality_markdown
from core.warehouse import readable_warehouse
from ingestion.load import loaded_row_counts
from orchestration.defs.ingestion.assets import storage_paths
from orchestration.resources import SettingsResource


def build_publication_asset(marts: dict[str, list[str]]) -> AssetsDefinition:
    mart_names = list(marts)

    @asset(
        key=AssetKey(["published", "trustcap"]),
        group_name="publication",
        kinds={"duckdb", "parquet"},
        deps=[AssetKey(["marts", name]) for name in mart_names],
        description=(
            "What BI tools read: <TC_WAREHOUSE_DIR>/published/trustcap.duckdb (schema marts) "
            "and published/parquet/<mart>.parquet, with pipeline_quality (every run's check "
            "results). A new set of Parquet files, made readable only when every upstream "
            "model, dbt test and blocking quality check of this run passed, so readers "
            "always see the last good, complete set; the DuckDB file's views follow it at "
            "the next query. People are published under keyed pseudonyms (no handles of "
            "people) unless TC_PUBLISH_RAW_IDS; no text starts a spreadsheet formula."
        ),
    )
    def published_marts(
        context: AssetExecutionContext, settings: SettingsResource
    ) -> MaterializeResult:
        s = settings.get()
        try:
            quality = assert_publishable(s.quality_dir, context.run.run_id)
        except QualityGateError as exc:
            raise Failure(description=str(exc)) from exc
        # only a run of the whole job vouches for what every mart was built from; a
        # partial run's publication is rebuilt by the next run that is asked for
        whole_job = not context.run.asset_selection and not context.run.op_selection
        inputs = current_inputs(s).as_dict() if whole_job else None
        with readable_warehouse(s) as warehouse:
            result = publish(
                warehouse,
                s.published_dir,
                mart_names,
                run_id=context.run.run_id,
                extra_tables={
                    PIPELINE_QUALITY: pipeline_quality_select(
                        s.quality_dir, examples=s.publish_raw_ids
                    )
                },
                personal=PersonalData(
                    key=pseudonym_key(s.pseudonym_key_path),
                    columns=personal_columns(),
                    publish_raw=s.publish_raw_ids,
                ),
                inputs=inputs,
            )
        context.log.info(f"published {len(mart_names)} marts to {result.path}")
        empty = explain_empty_marts(
            result.row_counts, marts, loaded_row_counts(storage_paths(s)), stated_empty_reasons()
        )
        for mart, reason in empty.items():
            context.log.warning(f"{mart} is empty: {reason}")
        return MaterializeResult(
            metadata={
                "empty_marts": empty,
                "quality_warnings": int((~quality["passed"]).sum()),
                "quality_report": str(s.quality_dir / "report.html"),
                "quality_summary": MetadataValue.md(quality_markdown(quality)),
                "path": str(result.path),
                "raw_ids_published": s.publish_raw_ids,
                "parquet_dir": str(result.parquet_dir),
                "publication_id": result.publication_id,
                "inputs_recorded": inputs is not None,
                "row_counts": result.row_counts,
            }
        )

    return published_marts
