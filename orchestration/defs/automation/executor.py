"""The job's executor: Dagster's default (multiprocess unless configured otherwise),
with the preflight before the first step and the warehouse held for the whole run.

It runs in the run worker of every run the UI, the sensor or the schedule launches,
once per run: a run launched by hand on an empty landing folder or a wrong reporting
currency stops at once with the preflight's lines, and a `trustcap run` started
meanwhile is told which run holds the warehouse. (`trustcap run` executes the job
in-process, where Dagster uses its own in-process executor: the CLI does both
itself.)"""

from collections.abc import Iterator
from contextlib import ExitStack

from dagster import (
    DagsterEvent,
    Executor,
    ExecutorDefinition,
    Failure,
    multi_or_in_process_executor,
)

from core.preflight import check
from core.run_lock import WarehouseBusy, hold_warehouse
from core.settings import Settings


class PreflightExecutor(Executor):
    def __init__(self, inner: Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        settings = Settings.from_env()
        report = check(settings)
        if not report.ok:
            raise Failure(description="preflight: " + "\n".join(report.problems))
        with ExitStack() as held:
            try:
                held.enter_context(
                    hold_warehouse(settings.warehouse_dir, plan_context.run_id, "a Dagster run")
                )
            except WarehouseBusy as busy:
                raise Failure(description=f"the warehouse is held by {busy}") from None
            yield from self._inner.execute(plan_context, execution_plan)


def _create(init_context) -> PreflightExecutor:
    return PreflightExecutor(multi_or_in_process_executor.executor_creation_fn(init_context))


preflight_executor = ExecutorDefinition(
    name="trustcap_preflight_executor",
    config_schema=multi_or_in_process_executor.config_schema,
    requirements=multi_or_in_process_executor.get_requirements,
    executor_creation_fn=_create,
    description="Dagster's default executor, after the preflight, holding the warehouse.",
)
