"""Run the quality checks with Great Expectations, inside DuckDB (SQL pushdown).

GX over DuckDB through SQLAlchemy returns no rows as shipped: GX hands the pooled
connection back before fetching and DuckDB drops the result (GX issues #10738,
#11579). GX keeps one connection open for the dialects listed in
`_PERSISTED_CONNECTION_DIALECTS`; registering duckdb there fixes it
(the stack notes on GX over DuckDB). Every expectation is shown to fail on broken data in
tests/pipeline/test_quality.py.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.quality.suites import Check


@dataclass(frozen=True)
class Outcome:
    table: str
    check_name: str
    severity: str
    passed: bool
    observed_value: str
    description: str


class _DuckDBDialect(str):
    """A str equal to 'duckdb' with the `.value` GX reads from its dialect enum."""

    value = "duckdb"


def _persist_duckdb_connections() -> None:
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    if "duckdb" not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (
            *engine._PERSISTED_CONNECTION_DIALECTS,
            _DuckDBDialect("duckdb"),
        )


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no network calls
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    _persist_duckdb_connections()
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _expectation(check: Check, previous_rows: int | None, tolerance: float, oldest: datetime):
    import great_expectations.expectations as gxe

    meta = {"check": check.name}
    c = check.columns
    if check.kind == "unique":
        if len(c) == 1:
            return gxe.ExpectColumnValuesToBeUnique(column=c[0], meta=meta)
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(c), meta=meta)
    if check.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=c[0], meta=meta)
    if check.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=c[0], min_value=check.low, max_value=check.high, meta=meta
        )
    if check.kind == "not_greater":
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=c[1],
            column_B=c[0],
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=meta,
        )
    if check.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=c[0], value_set=list(check.values), meta=meta)
    if check.kind == "row_count":
        return gxe.ExpectTableRowCountToBeBetween(
            min_value=math.floor(previous_rows * (1 - tolerance)),
            max_value=math.ceil(previous_rows * (1 + tolerance)),
            meta=meta,
        )
    if check.kind == "fresh":
        return gxe.ExpectColumnMaxToBeBetween(column=c[0], min_value=oldest, meta=meta)
    raise ValueError(f"unknown check kind {check.kind}")


def _error(result) -> str | None:
    """The exception GX caught while computing the result, if any.

    exception_info is either one {raised_exception, exception_message, ...} dict or
    a dict of them keyed by metric.
    """
    info = result.exception_info or {}
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for entry in candidates:
        if entry.get("raised_exception"):
            return str(entry.get("exception_message"))[:300]
    return None


def _observed(result) -> str:
    error = _error(result)
    if error:
        return f"error: {error}"
    r = result.result or {}
    if "observed_value" in r:
        return str(r["observed_value"])
    if "unexpected_count" in r:
        sample = r.get("partial_unexpected_list") or []
        shown = ", ".join(str(v) for v in sample[:5])
        return f"{r['unexpected_count']} unexpected" + (f" (e.g. {shown})" if shown else "")
    return ""


def run_checks(
    warehouse_path: Path,
    checks: list[Check],
    previous_row_counts: dict[str, int],
    row_count_tolerance: float,
    max_age_days: float,
    now: datetime,
    warm_key: str | None = None,
) -> list[Outcome]:
    """Evaluate `checks` against the DuckDB file, one GX validation per table.

    A row-count check without a previous publication passes and says so; a check
    whose query fails (missing table or column) fails with the error as its value.
    GX runs in a child process: it keeps SQLAlchemy engines (and so read-only DuckDB
    handles) alive after a validation, which would block the next run's writers.
    """
    worker = _WARM.pop(warm_key, None) if warm_key else None
    if worker is None or worker.poll() is not None:
        worker = _spawn()
    request = {
        "warehouse_path": str(warehouse_path),
        "checks": [asdict(c) for c in checks],
        "previous_row_counts": previous_row_counts,
        "row_count_tolerance": row_count_tolerance,
        "oldest": (now - timedelta(days=max_age_days)).isoformat(),
    }
    stdout, stderr = worker.communicate(json.dumps(request))
    if worker.returncode != 0:
        raise RuntimeError(f"quality checks crashed:\n{stderr[-4000:]}")
    return [Outcome(**o) for o in json.loads(stdout)]


# Workers started ahead of time, by key (the run id). Importing GX takes about 3 s;
# a worker started while dbt builds the marts has done it by the time the checks run.
# One worker: two, splitting the tables, slowed the dbt step they overlap by about
# 2 s on 2 cores and saved nothing in the checks (scripts/quality_overhead.py).
_WARM: dict[str, subprocess.Popen] = {}


def _spawn() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "core.quality.gx_runner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def prewarm(key: str) -> None:
    """Start the checks' worker now; `run_checks(..., warm_key=key)` will use it.

    A worker nobody uses exits when this process does (its stdin closes)."""
    if key not in _WARM:
        _WARM[key] = _spawn()


def _main() -> None:
    context = _context()  # the slow imports, before waiting for the request
    raw = sys.stdin.read()
    if not raw:
        return  # prewarmed, never used
    request = json.loads(raw)
    checks = [
        Check(**{**c, "columns": tuple(c["columns"]), "values": tuple(c["values"])})
        for c in request["checks"]
    ]
    source = context.data_sources.add_sql(
        name="warehouse",
        connection_string=f"duckdb:///{request['warehouse_path']}",
        kwargs={"connect_args": {"read_only": True}},
    )
    outcomes = _evaluate(
        context,
        source,
        checks,
        request["previous_row_counts"],
        request["row_count_tolerance"],
        datetime.fromisoformat(request["oldest"]),
    )
    sys.stdout.write(json.dumps([asdict(o) for o in outcomes]))


def _evaluate(context, source, checks, previous_row_counts, row_count_tolerance, oldest):
    import great_expectations as gx

    outcomes: list[Outcome] = []
    by_table: dict[str, list[Check]] = {}
    for check in checks:
        by_table.setdefault(check.table, []).append(check)
    for table, table_checks in by_table.items():
        asset = source.add_query_asset(name=table, query=f"select * from {table}")
        batch = asset.add_batch_definition_whole_table("whole_table")
        suite = context.suites.add(gx.ExpectationSuite(name=table))
        run_here: dict[str, Check] = {}
        for check in table_checks:
            previous = previous_row_counts.get(check.relation)
            if check.kind == "row_count" and previous is None:
                outcomes.append(
                    Outcome(
                        table,
                        check.name,
                        check.severity,
                        True,
                        "no previous publication",
                        check.description,
                    )
                )
                continue
            suite.add_expectation(_expectation(check, previous, row_count_tolerance, oldest))
            run_here[check.name] = check
        if not run_here:
            continue
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=table, data=batch, suite=suite)
        )
        result = validation.run(result_format="SUMMARY")
        for r in result.results:
            check = run_here[r.expectation_config.meta["check"]]
            errored = _error(r) is not None
            outcomes.append(
                Outcome(
                    table,
                    check.name,
                    check.severity,
                    bool(r.success) and not errored,
                    _observed(r),
                    check.description,
                )
            )
    return outcomes


if __name__ == "__main__":
    _main()
    sys.stdout.flush()
    sys.stderr.flush()
    # skip interpreter teardown (about a second with GX, pandas and scipy loaded):
    # nothing is left to save, and the read-only DuckDB handle closes with the process
    os._exit(0)
