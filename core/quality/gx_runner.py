"""Run the quality checks with Great Expectations, inside DuckDB (SQL pushdown).

GX over DuckDB through SQLAlchemy returns no rows as shipped: GX hands the pooled
connection back before fetching and DuckDB drops the result (GX issues #10738,
#11579). GX keeps one connection open for the dialects listed in
`_PERSISTED_CONNECTION_DIALECTS`; registering duckdb there fixes it
(the stack notes on GX over DuckDB). Every expectation is shown to fail on broken data in
tests/pipeline/test_quality.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import threading
import traceback
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
) -> list[Outcome]:
    """Evaluate `checks` against the DuckDB file, one GX validation per table.

    A row-count check without a previous publication passes and says so; a check
    whose query fails (missing table or column) fails with the error as its value.
    """
    request = {
        "warehouse_path": str(warehouse_path),
        "checks": [asdict(c) for c in checks],
        "previous_row_counts": previous_row_counts,
        "row_count_tolerance": row_count_tolerance,
        "oldest": (now - timedelta(days=max_age_days)).isoformat(),
    }
    return [Outcome(**o) for o in _checker().ask(request)]


def prewarm() -> None:
    """Start the checks' process now, so that it has imported GX by the time the
    checks run (about 3 s of CPU; a run starts it while dbt builds the marts)."""
    _checker()


class _Checker:
    """A process that imported GX and built its context once, then forks a fresh child
    for each request: GX keeps SQLAlchemy engines (and so read-only DuckDB handles)
    alive after a validation, which would block the next run's writers, and they end
    with the child. A process that runs the pipeline many times (a test worker, a
    notebook) imports GX once. The process ends when this one does (its stdin closes).
    """

    def __init__(self) -> None:
        # its own messages (GX's import warnings, a crash) go to a file: a pipe nobody
        # reads while it lives could fill and stop it
        self.said = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.quality.gx_runner"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.said,
            text=True,
        )
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict) -> list[dict]:
        with self.lock:
            try:
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                line = self.process.stdout.readline()
            except OSError:  # a broken pipe among them: the process ended
                line = ""
            except BaseException:
                # cut off (an interrupt): its answer would be the next request's
                self.process.kill()
                self.process.wait()
                raise
            if not line:  # the process ended
                code = self.process.wait()
                self.said.seek(0)
                said = self.said.read().decode(errors="replace")
                raise RuntimeError(f"quality checks crashed (exit {code}):\n{said[-4000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"quality checks crashed:\n{answer['error'][-4000:]}")
        return answer["outcomes"]


_CHECKER: _Checker | None = None
_CHECKER_LOCK = threading.Lock()


def _forget_checker() -> None:
    # a fork of this process must not share the checks' process (one request at a time)
    global _CHECKER, _CHECKER_LOCK
    _CHECKER, _CHECKER_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_checker)


def _checker() -> _Checker:
    global _CHECKER
    with _CHECKER_LOCK:
        if _CHECKER is None or not _CHECKER.alive():
            _CHECKER = _Checker()
        return _CHECKER


def _serve() -> None:
    """The checks' process: import GX and build its context, then answer each request
    (one JSON line on stdin) from a fork, one JSON line on stdout."""
    context = _context()  # the slow imports, before the first request
    for line in sys.stdin:
        sys.stdout.write(json.dumps(_answer_in_a_fork(context, json.loads(line))) + "\n")
        sys.stdout.flush()


def _answer_in_a_fork(context, request: dict) -> dict:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its handles end with it
        os.close(read_end)
        code = 1
        said = io.StringIO()
        try:
            # the requests and answers are the parent's stdin and stdout: not the child's
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
                try:
                    answer = {"outcomes": _check(context, request)}
                    code = 0
                except Exception:
                    answer = {"error": said.getvalue()[-2000:] + traceback.format_exc()}
            with os.fdopen(write_end, "w") as out:
                out.write(json.dumps(answer))
        finally:
            os._exit(code)  # no interpreter teardown: nothing is left to save
    os.close(write_end)
    with os.fdopen(read_end) as answers:
        written = answers.read()
    _, status = os.waitpid(pid, 0)
    if written:
        return json.loads(written)
    return {"error": f"the checks' process ended without an answer ({status=})"}


def _check(context, request: dict) -> list[dict]:
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
    return [asdict(o) for o in outcomes]


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
    _serve()
    # skip interpreter teardown (about a second with GX, pandas and scipy loaded)
    os._exit(0)
