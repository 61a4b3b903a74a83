from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import pipeline_job

daily_schedule = ScheduleDefinition(
    name="trustcap_daily",
    job=pipeline_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Runs the whole pipeline every day at 05:00 UTC (a rerun without new files "
    "loads nothing and republishes the same marts).",
)
