"""The quality gate on a real pipeline run: checks pass on good marts, every
expectation fails on data built to break it, and a corrupted mart never reaches the
published files."""

from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import polars as pl
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job

from core.quality.gate import PIPELINE_QUALITY, QualityGateError, assert_publishable, evaluate
from core.quality.gx_runner import run_checks
from core.quality.store import REPORT_NAME, read_results
from core.quality.suites import BLOCKING, Check, all_checks

pytestmark = pytest.mark.xdist_group("quality")

PUBLICATION = AssetKey(["published", "trustcap"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.pipeline.conftest import make_world

    pw = make_world(tmp_path_factory.mktemp("quality"), seed=11, scale=0.2)
    result = pw.run()
    assert result.success
    pw.run_id = result.run_id
    return pw


def published_digest(pw) -> dict[str, bytes]:
    root = pw.settings.published_dir
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_good_run_passes_every_blocking_check_and_publishes_its_results(world):
    results = read_results(world.settings.quality_dir, world.run_id)
    gx = results.filter(pl.col("check_source") == "great_expectations")
    assert gx.height == len(all_checks())
    assert gx.filter((pl.col("severity") == BLOCKING) & ~pl.col("passed")).height == 0
    assert results.filter(pl.col("check_source") == "dbt").height > 40  # dbt tests logged
    # the generator plants 5 contract-breaking order rows: counted, not hidden
    orders = results.filter(pl.col("asset") == "raw/sales__orders").row(0, named=True)
    assert orders["quarantined_rows"] == 5 and not orders["passed"]
    con = world.published()
    published = con.execute(
        f"select count(*), count(distinct run_id) from marts.{PIPELINE_QUALITY}"
    ).fetchone()
    con.close()
    assert published == (results.height, 1)
    report = (world.settings.quality_dir / REPORT_NAME).read_text()
    assert world.run_id in report and "row_count_vs_previous_publication" in report


def _break(con, check: Check) -> None:
    """Make `check` false on the copied table."""
    t, c = check.table, check.columns
    first = f"rowid = (select min(rowid) from {t})"
    if check.kind == "unique":
        con.execute(f"insert into {t} select * from {t} where {first}")
    elif check.kind == "not_null":
        con.execute(f"update {t} set {c[0]} = null where {first}")
    elif check.kind == "between":
        bad = check.high + 1 if check.high is not None else check.low - 1
        con.execute(f"update {t} set {c[0]} = {bad} where {first}")
    elif check.kind == "not_greater":
        # both known, the first above the second (a campaign may have no estimate)
        base = f"coalesce({c[1]}, {c[0]}, 0)"
        if con.execute(f"select typeof({c[1]}) from {t} limit 1").fetchone()[0] == "DATE":
            base = f"coalesce({c[1]}, {c[0]}, date '2025-01-01')"
        con.execute(f"update {t} set {c[1]} = {base}, {c[0]} = {base} + 1 where {first}")
    elif check.kind == "in_set":
        con.execute(f"update {t} set {c[0]} = 'not_an_accepted_value' where {first}")
    elif check.kind == "row_count":
        con.execute(f"delete from {t} where rowid % 4 <> 0")
    elif check.kind == "fresh":
        con.execute(f"update {t} set {c[0]} = {c[0]} - interval 400 days")


def _newest_day_after(world) -> datetime:
    """'Now' for freshness: the day after the newest activity (the demo data is old)."""
    con = world.warehouse()
    newest = con.execute("select max(created_at) from staging.stg_social__activities").fetchone()
    con.close()
    return datetime.combine(newest[0], datetime.min.time()) + timedelta(days=1)


# the quality world has no lasting step in its voice; tests/pipeline/test_launch.py
# plants one and runs these checks on its level shifts
NEEDS_A_LAUNCH = {"marts.voice_level_shifts"}  # by table


def test_every_expectation_passes_on_the_built_tables_and_fails_when_broken(world, tmp_path):
    checks = [c for c in all_checks() if c.table not in NEEDS_A_LAUNCH]
    assert len(checks) < len(all_checks())
    passes_and_fails_when_broken(world, checks, tmp_path)


def passes_and_fails_when_broken(world, checks: list[Check], tmp_path, min_rows: int = 4) -> None:
    """Every check passes on the world's built tables, and fails on a copy of its
    table broken for it."""
    now = _newest_day_after(world)
    con = world.warehouse()
    counts = {
        c.relation: con.execute(f"select count(*) from {c.table}").fetchone()[0] for c in checks
    }
    con.close()
    assert min(counts.values()) >= min_rows, "the test world must fill every checked table"
    good = run_checks(world.settings.warehouse_path, checks, counts, 0.5, 7, now)
    assert [o for o in good if not o.passed] == []
    # each check gets its own broken copy of its table, in schema c<i>
    path = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"attach '{world.settings.warehouse_path}' as warehouse (read_only)")
    broken = []
    for i, check in enumerate(checks):
        copy = replace(check, table=f"c{i}.{check.relation}")
        con.execute(f"create schema c{i}")
        con.execute(f"create table {copy.table} as select * from warehouse.{check.table}")
        _break(con, copy)
        broken.append(copy)
    con.execute("detach warehouse")
    con.close()
    outcomes = run_checks(path, broken, counts, 0.5, 7, now)
    assert len(outcomes) == len(checks)
    for o in outcomes:
        assert not o.passed, o
        assert o.observed_value and not o.observed_value.startswith("error"), o


def test_a_corrupted_mart_fails_its_blocking_checks_and_is_not_published(world):
    from orchestration.definitions import build_assets
    from orchestration.defs.quality.checks import asset_keys_of, build_quality_checks
    from orchestration.resources import build_resources

    assets = build_assets()

    before = published_digest(world)
    con = duckdb.connect(str(world.settings.warehouse_path))
    # rules the gate itself holds (keys and ranges are dbt's: dbt rebuilds and tests
    # the marts before the gate; test_a_failed_dbt_test_refuses_publication)
    con.execute(
        "update marts.community_roi_summary set window_start = window_end + 1 "
        "where platform = 'all'"
    )
    con.execute(
        "update marts.responsiveness_daily set answered = inbound + 1 "
        "where rowid = (select min(rowid) from marts.responsiveness_daily)"
    )
    con.execute(
        "update marts.community_roi_monthly set roi_low = roi_high + 1 "
        "where rowid = (select min(rowid) from marts.community_roi_monthly where roi is not null)"
    )
    con.close()
    checks = build_quality_checks(asset_keys_of(assets))
    # the gate and publication alone, on the marts as they now are (dbt would rebuild them)
    gate_job = define_asset_job(
        "gate_only",
        selection=AssetSelection.assets(PUBLICATION) | AssetSelection.checks(*checks),
    )
    defs = Definitions(
        assets=assets, asset_checks=checks, jobs=[gate_job], resources=build_resources()
    )
    with world.env(), DagsterInstance.get() as instance:
        result = defs.resolve_job_def("gate_only").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    failed_steps = [e.step_key for e in result.all_events if e.is_step_failure]
    assert failed_steps == ["great_expectations_quality_gate"]
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.event_specific_data.error.message
    for mart in ("community_roi_summary", "responsiveness_daily", "community_roi_monthly"):
        assert f"marts/{mart}: great_expectations_blocking" in message
    evaluations = {
        e.event_specific_data.asset_key.path[-1]: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "great_expectations_blocking"
    }
    assert "window_start__window_end__not_above" in evaluations["community_roi_summary"].description
    assert "answered__inbound__not_above" in evaluations["responsiveness_daily"].description
    assert "roi_low__roi__not_above" in evaluations["community_roi_monthly"].description
    assert evaluations["community_health_monthly"].passed
    assert not [e for e in result.all_events if e.is_step_success and "published" in e.step_key]
    assert published_digest(world) == before
    results = read_results(world.settings.quality_dir, result.run_id)
    failed = results.filter(~pl.col("passed") & (pl.col("severity") == BLOCKING))
    assert set(zip(failed["asset"], failed["check_name"], strict=True)) == {
        ("marts/community_roi_summary", "window_start__window_end__not_above"),
        ("marts/responsiveness_daily", "answered__inbound__not_above"),
        ("marts/community_roi_monthly", "roi_low__roi__not_above"),
    }
    broken = {
        "marts/community_roi_summary",
        "marts/responsiveness_daily",
        "marts/community_roi_monthly",
    }

    # people read it per asset, the failing ones first: in the Dagster UI (an
    # observation of the publication the gate refused) ...
    with world.env(), DagsterInstance.get() as instance:
        [observed] = [
            r.asset_observation
            for r in instance.fetch_observations(PUBLICATION, limit=50).records
            if r.run_id == result.run_id
        ]
    meta = {k: v.value for k, v in observed.metadata.items()}
    assert meta["quality_blocking_failures"] == 3
    assert meta["quality_checks"] == results.height
    summary_rows = [x for x in meta["quality_summary"].splitlines() if x.startswith("| marts/")]
    assert {x.split(" | ")[0][2:] for x in summary_rows[:3]} == broken
    assert all(x.split(" | ")[2] == "1" for x in summary_rows[:3])  # one failed check each
    # ... and from `trustcap quality --run <id>`
    code, out = world.cli("quality", "--run", result.run_id)
    assert code == 0, out
    lines = out.splitlines()
    assert "3 blocking failures" in lines[1]
    assert {line.split()[0] for line in lines[4:7]} == broken  # after the header row
    failures = lines[lines.index("Failed checks:") + 1 :]
    assert failures[:3] == sorted(
        f"  blocking: {a} {c}: {o}"
        for a, c, o in zip(
            failed["asset"], failed["check_name"], failed["observed_value"], strict=True
        )
    )


def test_a_failed_dbt_test_refuses_publication(world):
    """Keys and ranges are dbt tests only: a failed one (as the gate logs it from the
    run's dbt step) blocks publication like a failed expectation."""
    run_id = "dbt-test-failed"
    failed_key = {
        "asset": "marts/community_roi_summary",
        "check_name": "primary_key_community_roi_summary_platform",
        "check_source": "dbt",
        "passed": False,
        "severity": BLOCKING,
        "observed_value": "1 failing rows",
        "quarantined_rows": None,
        "description": "dbt test",
    }
    # no expectations: the dbt result alone (another test here corrupts the marts)
    evaluate(world.settings, run_id, [], [failed_key], now=_newest_day_after(world))
    with pytest.raises(QualityGateError) as refused:
        assert_publishable(world.settings.quality_dir, run_id)
    message = str(refused.value)
    assert "1 blocking quality check(s) failed" in message
    assert "marts/community_roi_summary primary_key_community_roi_summary_platform" in message


def test_publication_without_this_runs_checks_is_refused(world):
    from orchestration.definitions import build_assets
    from orchestration.resources import build_resources

    assets = build_assets()

    before = published_digest(world)
    job = define_asset_job("publish_only", selection=AssetSelection.assets(PUBLICATION))
    defs = Definitions(assets=assets, jobs=[job], resources=build_resources())
    with world.env(), DagsterInstance.get() as instance:
        result = defs.resolve_job_def("publish_only").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "no quality results for run" in failure.event_specific_data.error.message
    assert published_digest(world) == before
