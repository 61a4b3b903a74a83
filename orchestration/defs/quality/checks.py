"""Great Expectations suites as Dagster asset checks: the publication gate.

One multi-asset check runs every selected expectation in a single GX session inside
DuckDB, after the last dbt step. Blocking checks on marts are `blocking` in Dagster:
when one fails, the step fails naming it and publication is skipped. Checks on
staging tables cannot be Dagster-blocking (the marts downstream of them are built
in the same dbt step the check must follow), so publication itself refuses to run
when this run's results hold any failed blocking check (core.quality.gate).
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    DagsterEventType,
    MetadataValue,
    multi_asset_check,
)

from core.quality.suites import BLOCKING, Check, all_checks
from orchestration.resources import SettingsResource

QUALITY_GATE_OP = "great_expectations_quality_gate"
PUBLICATION = AssetKey(["published", "trustcap"])


def _dbt_test_results(context: AssetCheckExecutionContext) -> list[dict]:
    """The dbt tests this run evaluated (dagster-dbt reports them as asset checks)."""
    rows = []
    records = context.instance.all_logs(
        context.run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    )
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        failures = evaluation.metadata.get("dagster_dbt/failed_row_count")
        rows.append(
            {
                "asset": "/".join(evaluation.asset_key.path),
                "check_name": evaluation.check_name,
                "check_source": "dbt",
                "passed": evaluation.passed,
                "severity": "blocking"
                if evaluation.severity == AssetCheckSeverity.ERROR
                else "warning",
                "observed_value": (
                    f"{failures.value} failing rows" if failures is not None else ""
                ),
                "quarantined_rows": None,
                "description": evaluation.description or "dbt test",
            }
        )
    return rows


def suite_check_name(severity: str) -> str:
    """One Dagster check per table and severity: the table's GX suite at that level."""
    return f"great_expectations_{severity}"


def build_quality_checks(asset_keys: set[AssetKey]) -> list:
    """The checks whose table is a known asset (all of them, in a complete project).

    Each table's expectations of one severity form one Dagster check (its metadata
    lists them; pipeline_quality and the report keep one row per expectation): tens
    of single-expectation checks cost Dagster more event writes than GX takes to run
    them.
    """
    checks = [c for c in all_checks() if AssetKey([c.schema, c.relation]) in asset_keys]
    if not checks:
        return []
    suites: dict[AssetCheckKey, list[Check]] = {}
    for c in checks:
        key = AssetCheckKey(AssetKey([c.schema, c.relation]), suite_check_name(c.severity))
        suites.setdefault(key, []).append(c)

    @multi_asset_check(
        name=QUALITY_GATE_OP,
        specs=[
            AssetCheckSpec(
                name=key.name,
                asset=key.asset_key,
                description=f"Great Expectations, {members[0].severity}: "
                + "; ".join(c.description for c in members),
                blocking=members[0].severity == BLOCKING and members[0].schema == "marts",
            )
            for key, members in suites.items()
        ],
        can_subset=True,
    )
    def quality_gate(
        context: AssetCheckExecutionContext, settings: SettingsResource
    ) -> Iterator[AssetCheckResult]:
        from core.quality.gate import evaluate

        s = settings.get()
        selected = sorted(context.selected_asset_check_keys, key=str)
        to_run = [c for key in selected for c in suites[key]]
        results = evaluate(s, context.run.run_id, to_run, _dbt_test_results(context))
        context.log.info(f"quality report: {s.quality_dir / 'report.html'}")
        # the run's whole gate, per asset with failures first, where the UI shows the
        # publication it guards (also when it refuses it: then publication never runs)
        context.op_execution_context.log_event(quality_observation(results))
        gx = results.filter(results["check_source"] == "great_expectations")
        outcome = {(r["asset"], r["check_name"]): r for r in gx.iter_rows(named=True)}
        for key in selected:
            members = [outcome[("/".join(key.asset_key.path), c.name)] for c in suites[key]]
            failed = [
                f"{r['check_name']}: {r['observed_value']}" for r in members if not r["passed"]
            ]
            yield AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=not failed,
                severity=AssetCheckSeverity.ERROR
                if suites[key][0].severity == BLOCKING
                else AssetCheckSeverity.WARN,
                description=(
                    f"failed: {'; '.join(failed)}"
                    if failed
                    else f"all {len(members)} expectations passed"
                ),
                metadata={
                    "expectations": len(members),
                    "failed": len(failed),
                    "results": "\n".join(
                        f"{'passed' if r['passed'] else 'FAILED'} {r['check_name']}: "
                        f"{r['observed_value']}"
                        for r in members
                    ),
                },
            )

    return [quality_gate]


def quality_observation(results) -> AssetObservation:
    """The gate's results as an observation of the publication: counts Dagster plots
    across runs, and the per-asset summary (core/quality/report.py)."""
    from core.quality.report import markdown

    failed = results.filter(~results["passed"])
    blocking = int((failed["severity"] == BLOCKING).sum())
    return AssetObservation(
        asset_key=PUBLICATION,
        metadata={
            "quality_checks": results.height,
            "quality_blocking_failures": blocking,
            "quality_warnings": failed.height - blocking,
            "quality_summary": MetadataValue.md(markdown(results)),
        },
    )


def asset_keys_of(assets: list[AssetsDefinition]) -> set[AssetKey]:
    return {key for a in assets for key in a.keys}
