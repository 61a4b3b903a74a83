from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from core.preflight import check
from core.settings import Settings
from orchestration.defs.automation.jobs import pipeline_job
from orchestration.defs.automation.run_guard import reap_dead_runs


@schedule(
    name="trustcap_daily",
    job=pipeline_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Runs the whole pipeline every day at 05:00 UTC (a rerun without new files "
    "loads nothing and republishes the same marts), once preflight passes; runs whose "
    "process died are marked failed first.",
)
def daily_schedule(context: ScheduleEvaluationContext):
    for line in reap_dead_runs(context.instance):
        context.log.warning(line)
    report = check(Settings.from_env())
    if not report.ok:
        return SkipReason("preflight: " + " | ".join(report.problems))
    return RunRequest()
