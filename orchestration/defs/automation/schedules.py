from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from core.inputs import nothing_new
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
    description="Runs the whole pipeline every day at 05:00 UTC once preflight passes; a day "
    "with nothing new (no landing file waiting, the same ingested files, settings and code "
    "as the publication BI tools read) is skipped, as a rebuild would give the same marts. "
    "Runs whose process died are marked failed first.",
)
def daily_schedule(context: ScheduleEvaluationContext):
    for line in reap_dead_runs(context.instance):
        context.log.warning(line)
    settings = Settings.from_env()
    report = check(settings)
    if not report.ok:
        return SkipReason("preflight: " + " | ".join(report.problems))
    if standing := nothing_new(settings):
        return SkipReason(f"nothing new since publication {standing}: it stands")
    return RunRequest()
