"""The quality gate of a run: evaluate, log, report; and what publication checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from core.publish import published_tables
from core.quality.store import (
    RESULT_SCHEMA,
    blocking_failures,
    quarantine_rows,
    read_results,
    results_dir,
    write_report,
    write_results,
)
from core.quality.suites import Check
from core.warehouse import sql_string
from ingestion.load import StoragePaths, quarantine_counts

PIPELINE_QUALITY = "pipeline_quality"


class QualityGateError(RuntimeError):
    """Publication refused: a blocking check failed, or none ran for this run."""


def previous_row_counts(published_path: Path) -> dict[str, int]:
    """Row count of each mart in the current publication (none before the first)."""
    if not published_path.exists():
        return {}
    con = duckdb.connect(str(published_path), read_only=True)
    try:
        return {
            t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in published_tables(con)
        }
    finally:
        con.close()


def evaluate(
    settings,
    run_id: str,
    checks: list[Check],
    other_results: list[dict] | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Run `checks` on the working warehouse and log them with `other_results` (dbt
    tests) and the quarantine counts; write the run's results file and the report."""
    from core.quality.gx_runner import run_checks
    from core.warehouse import readable_warehouse

    now = now or datetime.now(UTC).replace(tzinfo=None)
    with readable_warehouse(settings) as warehouse:
        outcomes = run_checks(
            warehouse,
            checks,
            previous_row_counts(settings.published_path),
            settings.quality_row_count_tolerance,
            settings.quality_max_age_days,
            now,
        )
    rows = [
        {
            "checked_at": now,
            "asset": o.table.replace(".", "/"),
            "check_name": o.check_name,
            "check_source": "great_expectations",
            "passed": o.passed,
            "severity": o.severity,
            "observed_value": o.observed_value,
            "quarantined_rows": None,
            "description": o.description,
        }
        for o in outcomes
    ]
    paths = StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)
    rows += [{**r, "checked_at": now} for r in other_results or []]
    rows += quarantine_rows(quarantine_counts(paths), now)
    results = write_results(settings.quality_dir, run_id, rows)
    write_report(settings.quality_dir, results, run_id)
    return results


def assert_publishable(quality_dir: Path, run_id: str) -> pl.DataFrame:
    """This run's results, if they allow publication; else QualityGateError naming why."""
    results = read_results(quality_dir, run_id)
    if results.height == 0:
        raise QualityGateError(
            f"no quality results for run {run_id}: publication runs only after the quality "
            "checks of the same run (materialize the whole trustcap_pipeline job)"
        )
    failed = blocking_failures(results)
    if failed.height:
        lines = [
            f"{r['asset']} {r['check_name']}: {r['observed_value']} ({r['description']})"
            for r in failed.iter_rows(named=True)
        ]
        raise QualityGateError(
            f"{failed.height} blocking quality check(s) failed; the published marts were "
            "left as they were:\n" + "\n".join(lines)
        )
    return results


def pipeline_quality_select(quality_dir: Path, examples: bool = True) -> str:
    """The pipeline_quality mart: every logged run's results (grain: run x check).

    `examples=False` drops the failing values a check quotes ("3 unexpected (e.g. C1,
    C2)"): they can be any column's values, people's ids too, so they are published
    only with TC_PUBLISH_RAW_IDS; the warehouse's log and report keep them."""
    glob = sql_string((results_dir(quality_dir) / "*.parquet").as_posix())
    # the contract's columns first, in its order; then what this project adds
    contract = [
        "run_id",
        "checked_at",
        "asset",
        "check_name",
        "passed",
        "severity",
        "observed_value",
        "quarantined_rows",
    ]
    observed = (
        "observed_value"
        if examples
        else r"regexp_replace(observed_value, ' \(e\.g\. .*\)$', '') as observed_value"
    )
    columns = ", ".join(
        [
            *(observed if c == "observed_value" else c for c in contract),
            *(c for c in RESULT_SCHEMA if c not in contract),
        ]
    )
    return (
        f"select {columns} from read_parquet({glob}) order by checked_at, run_id, asset, check_name"
    )
