"""Start a run when files appear in the landing folder that were never ingested."""

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from core.preflight import check
from core.settings import Settings
from ingestion.load import pending_landing_files
from orchestration.defs.automation.jobs import pipeline_job
from orchestration.defs.automation.run_guard import reap_dead_runs
from orchestration.defs.ingestion.assets import storage_paths


@sensor(
    name="trustcap_new_landing_files",
    job=pipeline_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Checks the landing folder every minute; new or changed files start a run "
    "once preflight passes (trustcap preflight). Runs whose process died are marked failed "
    "first, so that they do not hold the warehouse.",
)
def new_landing_files_sensor(context: SensorEvaluationContext):
    settings = Settings.from_env()
    for line in reap_dead_runs(context.instance):
        context.log.warning(line)
    # files still being written are left for a later tick
    pending = pending_landing_files(
        settings.landing_dir, storage_paths(settings), settings.landing_settle_seconds
    )
    if not pending:
        return SkipReason("no new landing files")
    report = check(settings)
    if not report.ok:
        # the same files are looked at again on the next tick
        return SkipReason("preflight: " + " | ".join(report.problems))
    # size and mtime included: a file a run left waiting (it changed) asks for a new run
    fingerprint = hashlib.sha256(
        "\n".join(
            sorted(f"{p}|{size}|{mtime}" for p, size, mtime in (f.stat_key for f in pending))
        ).encode()
    ).hexdigest()[:16]
    context.log.info(f"{len(pending)} new landing file(s)")
    # the same pending set gives the same run_key, so it starts one run only
    return RunRequest(
        run_key=f"landing-{fingerprint}", tags={"trustcap/new_files": str(len(pending))}
    )
