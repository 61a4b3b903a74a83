"""Great Expectations suites as Dagster asset checks: the publication gate.

One multi-asset check runs every selected expectation in a single GX session inside
DuckDB, after the last dbt step. Blocking checks on marts are `blocking` in Dagster:
when one fails, the step fails naming it and publication is skipped. Checks on
staging tables cannot be Dagster-blocking (the marts downstream of them are built
in the same dbt step the check must follow), so publication itself refuses to run
when this run's results hold any failed blocking check (trustcap.quality.gate).
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    DagsterEventType,
    multi_asset_check,
)

from orchestration.resources import SettingsResource
from trustcap.quality.suites import BLOCKING, Check, all_checks


def _key(check: Check) -> AssetCheckKey:
    return AssetCheckKey(AssetKey([check.schema, check.relation]), check.name)


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


def build_quality_checks(asset_keys: set[AssetKey]) -> list:
    """The checks whose table is a known asset (all of them, in a complete project)."""
    checks = [c for c in all_checks() if AssetKey([c.schema, c.relation]) in asset_keys]
    if not checks:
        return []
    by_key = {_key(c): c for c in checks}

    @multi_asset_check(
        name="great_expectations_quality_gate",
        specs=[
            AssetCheckSpec(
                name=c.name,
                asset=AssetKey([c.schema, c.relation]),
                description=f"[{c.severity}] {c.description}",
                blocking=c.severity == BLOCKING and c.schema == "marts",
            )
            for c in checks
        ],
        can_subset=True,
    )
    def quality_gate(
        context: AssetCheckExecutionContext, settings: SettingsResource
    ) -> Iterator[AssetCheckResult]:
        from trustcap.quality.gate import evaluate

        s = settings.get()
        selected = [by_key[k] for k in sorted(context.selected_asset_check_keys, key=str)]
        results = evaluate(s, context.run.run_id, selected, _dbt_test_results(context))
        context.log.info(f"quality report: {s.quality_dir / 'report.html'}")
        gx = results.filter(results["check_source"] == "great_expectations")
        outcome = {(r["asset"], r["check_name"]): r for r in gx.iter_rows(named=True)}
        for check in selected:
            r = outcome[(f"{check.schema}/{check.relation}", check.name)]
            yield AssetCheckResult(
                asset_key=AssetKey([check.schema, check.relation]),
                check_name=check.name,
                passed=bool(r["passed"]),
                severity=AssetCheckSeverity.ERROR
                if check.severity == BLOCKING
                else AssetCheckSeverity.WARN,
                description=check.description,
                metadata={"observed_value": r["observed_value"], "severity": check.severity},
            )

    return [quality_gate]


def asset_keys_of(assets: list[AssetsDefinition]) -> set[AssetKey]:
    return {key for a in assets for key in a.keys}
