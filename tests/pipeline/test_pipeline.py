"""The whole job, in-process, on a generated world with a known truth."""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

import trustcap.cli
from core.publish import published_tables
from core.settings import MANIFEST_PATH, Settings
from tests.conftest import environment
from tests.pipeline.conftest import ODD_FOLDER, copy_world
from trustcap.cli import _run_and_report

pytestmark = pytest.mark.xdist_group("pipeline")


def test_a_warehouse_path_with_a_quote_a_space_and_unicode_runs(ran):
    """Paths reach SQL only as escaped literals (glob characters are refused by the
    settings: tests/unit/test_settings.py). First in the module: one run so far."""
    for folder in (ran.settings.landing_dir, ran.settings.warehouse_dir):
        assert folder.parent.name == ODD_FOLDER and "'" in str(folder)
    con = ran.published()
    inbound = con.execute(
        "select sum(inbound) from marts.responsiveness_daily where platform = 'all'"
    ).fetchone()[0]
    runs = con.execute("select count(distinct run_id) from marts.pipeline_quality").fetchone()[0]
    con.close()
    assert inbound == ran.truth["responsiveness"]["inbound"]
    assert runs == 1


def test_the_run_publishes_every_mart_as_duckdb_and_parquet(ran):
    con = ran.published()
    names = set(published_tables(con))
    assert {"responsiveness_daily", "community_health_monthly"} <= names
    assert con.execute("select count(*) from marts.responsiveness_daily").fetchone()[0] > 500
    con.close()
    parquet = ran.settings.published_parquet_dir
    assert pl.read_parquet(parquet / "community_health_monthly.parquet").height > 0


SUMMARY_TITLE = "Trust Capital — run summary"
RUN_STEPS = (
    "ingest_landing_files",
    "trustcap_dbt_models",
    "roi_estimates",
    "text_scores",
    "trustcap_dbt_after_analytics",
    "great_expectations_quality_gate",
    "published__trustcap",
)


def _log_file(output: str) -> Path:
    return Path(re.search(r"Full log: (.+?\.log)$", output, re.M).group(1))


def test_trustcap_run_shows_one_line_per_step_and_keeps_the_logs_in_a_file(ran):
    out = ran.run_output
    before_summary = out[: out.index(SUMMARY_TITLE)].splitlines()
    assert len(before_summary) <= 40, "\n".join(before_summary)
    for step in RUN_STEPS:
        [line] = [x for x in before_summary if re.match(rf"\s+done\s+{step}\s", x)]
        assert re.search(r"\d+\.\ds", line), line  # its elapsed time
    # rows where known: the ingestion step's are the rows it loaded into raw
    ingestion = next(x for x in before_summary if "ingest_landing_files" in x)
    shown = int(re.search(r"([\d,]+) rows", ingestion).group(1).replace(",", ""))
    con = ran.warehouse()
    raw = con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()
    loaded = sum(con.execute(f"select count(*) from raw.{t}").fetchone()[0] for (t,) in raw)
    con.close()
    assert shown == loaded
    assert "Running dbt command" not in out and "OK created" not in out  # no log noise
    log = _log_file(out)
    assert log.parent == ran.settings.run_logs_dir and log.is_file()
    text = log.read_text()
    assert "OK created sql table model marts.community_roi_summary" in text  # dbt's output
    assert "Running dbt command" in text and "great_expectations_quality_gate" in text
    assert len(text.splitlines()) > 4 * len(before_summary)


def test_both_dbt_steps_run_on_the_warm_process_parse(ran):
    """The run's dbt commands get exactly the inputs the warm dbt process parsed with
    (orchestration/warm_dbt.py), so neither parses: on a new warehouse a parse of its
    own would be a full one, and dbt says so in the log."""
    log = _log_file(ran.run_output).read_text()
    assert log.count("Running with dbt=") == 2
    assert "Unable to do partial parsing" not in log
    assert "Starting full parse" not in log


def test_the_dagster_ui_shows_row_counts_column_types_and_headline_figures(ran):
    with ran.env(), DagsterInstance.get() as instance:

        def latest(*key: str) -> dict:
            event = instance.get_latest_materialization_event(AssetKey(list(key)))
            return {k: v.value for k, v in event.asset_materialization.metadata.items()}

        roi = latest("marts", "community_roi_summary")
        trust = latest("marts", "trust_capital_daily")
        voice = latest("marts", "voice_of_market")
        responsiveness = latest("marts", "responsiveness_daily")
        estimator = latest("analytics", "roi_incremental_summary")
        staging = latest("staging", "stg_crm__contacts")
    con = ran.warehouse()
    try:

        def one(sql: str):
            return con.execute(sql).fetchone()

        for mart, meta in (("community_roi_summary", roi), ("voice_of_market", voice)):
            assert meta["dagster/row_count"] == one(f"select count(*) from marts.{mart}")[0]
            typed = con.execute(
                "select column_name, data_type from information_schema.columns where "
                f"table_schema = 'marts' and table_name = '{mart}' order by ordinal_position"
            ).fetchall()
            assert [(c.name, c.type) for c in meta["dagster/column_schema"].columns] == typed
        assert "dagster/row_count" not in staging  # a view: not counted (it would run it)
        assert staging["dagster/column_schema"].columns
        causal = one(
            "select roi, roi_low, roi_high from marts.community_roi_summary where platform = 'all'"
        )
        assert (roi["causal_roi"], roi["causal_roi_low"], roi["causal_roi_high"]) == (
            pytest.approx(causal[0]),
            pytest.approx(causal[1]),
            pytest.approx(causal[2]),
        )
        assert "| all |" in roi["summary"]
        assert trust["trust_capital_latest"] == pytest.approx(
            one("select trust_capital from marts.trust_capital_daily order by date desc limit 1")[0]
        )
        assert voice["negative_share_latest_week"] == pytest.approx(
            one(
                "select negative_share from marts.voice_of_market where topic = 'all' "
                "order by week desc limit 1"
            )[0]
        )
        assert responsiveness["answered_share"] == pytest.approx(
            one(
                "select sum(answered) / sum(inbound) from marts.responsiveness_daily "
                "where platform = 'all'"
            )[0]
        )
    finally:
        con.close()
    fit = pl.read_parquet(ran.settings.analytics_dir / "roi_incremental_summary.parquet")
    fit_all = fit.filter(pl.col("platform") == "all").row(0, named=True)
    assert estimator["incremental_revenue_all"] == pytest.approx(fit_all["incremental_revenue"])
    assert estimator["incremental_revenue_all_low"] == pytest.approx(
        fit_all["incremental_revenue_low"]
    )
    assert estimator["summary"].splitlines()[2].startswith("| all | ")


def test_responsiveness_recovers_the_planted_median_response_time(ran):
    planted = ran.truth["responsiveness"]["response_median_minutes_planted"]
    con = ran.published()
    rows = con.execute(
        """select platform, median(median_first_response_minutes),
                  sum(answered) / sum(inbound), sum(inbound)
           from marts.responsiveness_daily group by platform"""
    ).fetchall()
    con.close()
    by = {p: (m, share, n) for p, m, share, n in rows}
    assert set(by) == {"all", "twitter", "instagram", "facebook"}
    median_all, share_all, inbound_all = by["all"]
    assert abs(median_all - planted) / planted < 0.10, median_all
    assert abs(share_all - ran.truth["responsiveness"]["answer_rate_planted"]) < 0.03
    assert inbound_all == ran.truth["responsiveness"]["inbound"]


def test_the_overall_median_first_response_matches_the_realised_truth(ran):
    con = ran.warehouse()
    median = con.execute(
        "select median(first_response_minutes) from intermediate.int_inbound_activities_answered "
        "where is_answered"
    ).fetchone()[0]
    con.close()
    realised = ran.truth["responsiveness"]["median_first_response_minutes_realised"]
    assert abs(median - realised) < 1.0


def test_planted_broken_rows_are_in_quarantine_with_reasons(ran):
    con = ran.warehouse()
    rows = con.execute(
        "select reason from quarantine.quarantined_rows where file_name = 'orders_late_drop.csv'"
    ).fetchall()
    con.close()
    assert len(rows) == ran.truth["landing"]["broken_rows_planted"]
    assert any("missing key" in r[0] for r in rows)


def test_identity_resolution_links_accounts_by_id_and_by_handle(ran):
    identities = ran.world.tables["crm/identities"]
    con = ran.warehouse()
    resolved = con.execute(
        "select count(*) from intermediate.int_accounts_resolved where is_resolved"
    ).fetchone()[0]
    con.close()
    by_handle = identities.filter(pl.col("account_id").is_null()).height
    assert by_handle > 0  # stored with '@' and another case in the CRM
    assert resolved == identities.height


def test_last_file_wins_for_tickets_that_reappear_settled(ran):
    final = ran.world.tables["crm/tickets"]
    con = ran.warehouse()
    got = con.execute("select status, count(*) from staging.stg_crm__tickets group by 1").fetchall()
    con.close()
    expected = dict(final.group_by("status").len().iter_rows())
    assert dict(got) == expected


def test_community_health_all_is_the_sum_of_platforms_and_shows_peer_life(ran):
    con = ran.published()
    df = con.execute("select * from marts.community_health_monthly").pl()
    con.close()
    additive = ["brand_posts", "brand_replies", "member_activities", "peer_to_peer_replies"]
    platforms = (
        df.filter(pl.col("platform") != "all").group_by("period").agg(pl.col(additive).sum())
    )
    total = df.filter(pl.col("platform") == "all").select("period", *additive)
    joined = total.join(platforms, on="period", suffix="_sum")
    for col in additive:
        assert (joined[col] == joined[f"{col}_sum"]).all(), col
    assert df["peer_to_peer_replies"].sum() > 0
    assert df.filter(pl.col("platform") == "all")["followers"].drop_nulls().min() > 0


def test_no_personal_data_reaches_the_published_marts(ran):
    con = ran.published()
    cols = {
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts'"
        ).fetchall()
    }
    text = con.execute(
        "select string_agg(cast(columns(*) as varchar), ' ') from marts.community_health_monthly"
    ).fetchall()
    con.close()
    assert not cols & {"email", "comment", "text"}
    assert "@example.com" not in repr(text)


READER = textwrap.dedent(
    """
    import json, pathlib, sys, time, duckdb
    path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    con = duckdb.connect(path, read_only=True)  # one connection for the whole run: a BI pool
    queries, errors, seen = 0, [], []
    while not stop.exists():
        try:
            con.execute("select sum(inbound) from marts.responsiveness_daily").fetchone()
            (publication,) = con.execute("select publication_id from marts.publication_info").fetchone()
            queries += 1
            if not seen or seen[-1] != publication:
                seen.append(publication)
        except duckdb.Error as exc:
            errors.append(str(exc)[:200])
        time.sleep(0.05)
    print(json.dumps({"queries": queries, "errors": errors, "seen": seen}))
    """
)


def _publication_id(pw) -> str:
    con = pw.published()
    try:
        return con.execute("select publication_id from marts.publication_info").fetchone()[0]
    finally:
        con.close()


def test_a_rerun_with_a_known_file_changes_no_mart_while_bi_tools_read_throughout(ran, tmp_path):
    """A rerun whose only landing news is a file already loaded, dropped again under
    another name: nothing new is loaded (not double counted), every mart is as before
    (reruns give the same result), the estimator keeps its fit, and the quality log
    gains this run's checks once. Run as a user who wants the logs on the terminal
    (`--verbose`), while a BI tool queries the published marts on one connection kept
    open for the whole run: no query fails, and the same connection sees the run's
    publication. One run for what were three tests (a plain rerun, the duplicate file,
    the BI reader): since issue 23 a rerun with no file at all stands on the last
    publication (the next test), so a duplicate is what still makes a rerun."""
    publication_before = _publication_id(ran)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(ran.settings.published_path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    before = ran.marts_digest()
    raw_before = sorted(p.name for p in ran.settings.raw_dir.rglob("*.parquet"))
    quality = "select run_id, count(*) from marts.pipeline_quality group by run_id"
    con = ran.published()
    runs_before = dict(con.execute(quality).fetchall())
    con.close()
    orders = next(ran.settings.landing_dir.glob("sales/orders/orders_01_*"))
    copy = orders.with_name("orders_redelivered" + "".join(orders.suffixes))
    shutil.copy(orders, copy)
    try:
        code, out = ran.cli("run", "--verbose")
        time.sleep(1)
        stop.touch()
        reads, err = reader.communicate(timeout=60)
        assert code == 0, out[-4000:]
        assert reader.returncode == 0, err
        reads = json.loads(reads)
        assert reads["errors"] == [], reads["errors"][:3]
        assert reads["queries"] > 50
        assert reads["seen"] == [publication_before, _publication_id(ran)]
        assert reads["seen"][0] != reads["seen"][1]
        before_summary = out[: out.index(SUMMARY_TITLE)]
        assert "Running dbt command" in before_summary and "OK created" in before_summary
        assert len(before_summary.splitlines()) > 10 * 40
        assert "Running dbt command" in _log_file(out).read_text()  # and in the file too
        run_id = re.search(r"Run succeeded in \d+s \(run id ([0-9a-f-]+)\)", out).group(1)
        assert sorted(p.name for p in ran.settings.raw_dir.rglob("*.parquet")) == raw_before
        assert ran.marts_digest() == before
        con = ran.warehouse()
        n = con.execute("select count(*) from staging.stg_sales__orders").fetchone()[0]
        statuses = con.execute(
            "select status, count(*) from quarantine.ingested_files group by 1"
        ).fetchall()
        con.close()
        assert n == ran.world.tables["sales/orders"].height
        assert dict(statuses)["duplicate_content"] == 1
    finally:
        copy.unlink()
        stop.touch()
        if reader.poll() is None:
            reader.kill()
    # nothing new: the estimator kept its last fit instead of refitting (issue 23)
    with DagsterInstance.from_config(str(ran.settings.dagster_home)) as instance:
        fits = [
            e.asset_materialization
            for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
            if e.step_key == "roi_estimates"
        ]
    assert len(fits) == 4 and {m.metadata["fit_reused"].value for m in fits} == {True}
    # the quality log gains this run's checks, once; earlier runs' rows stay as they were
    con = ran.published()
    runs_after = dict(con.execute(quality).fetchall())
    con.close()
    assert runs_after == {**runs_before, run_id: runs_after[run_id]}
    assert runs_after[run_id] == max(runs_before.values())


def test_a_run_asked_for_with_nothing_new_stands_on_the_last_publication(ran, monkeypatch):
    """Issue 23: a run with no new files cost 37 s at the demo size; nothing in it could
    change a mart. `trustcap run` and the daily schedule now skip it and say which
    publication stands (measured: 1.0 s at the demo size, summary included)."""
    from dagster import SkipReason, build_schedule_context

    from orchestration.defs.automation.schedules import daily_schedule

    before, digest = _publication_id(ran), ran.marts_digest()
    code, out = ran.cli("run")
    assert code == 0, out[-4000:]
    assert "Nothing new: " in out and before in out and "Trust Capital — run summary" in out
    assert "Running the pipeline" not in out
    assert _publication_id(ran) == before and ran.marts_digest() == digest
    with DagsterInstance.from_config(str(ran.settings.dagster_home)) as instance, ran.env():
        tick = daily_schedule(build_schedule_context(instance=instance))
    assert isinstance(tick, SkipReason) and before in tick.skip_message
    # --force rebuilds anyway; a changed setting is work to do
    asked = []
    monkeypatch.setattr(trustcap.cli, "_run_and_report", lambda *a, **k: asked.append(a) or 0)
    assert ran.cli("run", "--force")[0] == 0 and len(asked) == 1
    with environment(TC_VOICE_MIN_SCORED_SHARE="0.55"):
        code, out = ran.cli("run")
    assert code == 0 and "Nothing new" not in out and len(asked) == 2


LOCK_HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: holds the file lock
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_a_failed_run_leaves_the_publication_untouched_and_names_the_failure(ran):
    def digest():
        return {
            p.relative_to(ran.settings.published_dir).as_posix(): p.read_bytes()
            for p in ran.settings.published_dir.rglob("*")
            if p.is_file()
        }

    before = digest()
    # someone opened the working warehouse read-write: dbt cannot take the lock
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(ran.settings.warehouse_path), "120"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        # `trustcap run` as it reports a run that failed (its preflight, which would
        # name the lock's holder first, is left out: the lock stands for any failure)
        out = io.StringIO()
        with ran.env(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = _run_and_report(Settings.from_env(), time.perf_counter())
        out = out.getvalue()
    finally:
        holder.kill()
        holder.wait()
    assert code == 1, out[-4000:]
    run_id = re.search(r"Run (\S+) started", out).group(1)
    with ran.env(), DagsterInstance.get() as instance:
        failures = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    assert [f.step_key for f in failures] == ["trustcap_dbt_models"]
    # the failed step's dbt target folder (dagster-dbt's, named by the run) is gone
    assert not list(MANIFEST_PATH.parent.glob(f"trustcap_dbt_models-{run_id[:7]}-*"))
    # the user is told in one line which step failed and where the whole log is
    [line] = [x for x in out.splitlines() if x.startswith("Run FAILED")]
    assert "in step(s): trustcap_dbt_models (IO Error: Could not set lock on file" in line
    assert "Traceback" not in out
    log = _log_file(line)
    assert log.is_file() and "Traceback" in log.read_text()  # the details are kept there
    assert digest() == before


def test_the_landing_copy_helper_keeps_modification_times(ran, tmp_path):
    other = copy_world(ran, tmp_path)
    src = sorted(ran.settings.landing_dir.rglob("*.csv"))[0]
    dst = other.settings.landing_dir / src.relative_to(ran.settings.landing_dir)
    assert src.stat().st_mtime == dst.stat().st_mtime


def test_a_landing_folder_with_only_some_entities_runs_and_explains_empty_marts(ran, tmp_path):
    landing = tmp_path / "landing"
    for source in ("crm", "sales"):
        shutil.copytree(ran.settings.landing_dir / source, landing / source)
    from tests.pipeline.conftest import PipelineWorld, settings_for

    pw = PipelineWorld(tmp_path, settings_for(landing, tmp_path / "warehouse"), ran.truth, None)
    result = pw.run()
    assert result.success
    published = [
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key.path == ["published", "trustcap"]
    ]
    empty = published[0]["empty_marts"].value
    assert empty["responsiveness_daily"] == "no rows in landing entity social/activities"

    def order_count(world):
        con = world.warehouse()
        try:
            return con.execute("select count(*) from intermediate.int_orders_converted").fetchone()[
                0
            ]
        finally:
            con.close()

    # the same landing files as the full run's, whatever other tests dropped there
    assert order_count(pw) == order_count(ran) > 0


def _dbt_on_a_copy(
    ran,
    command: list[str],
    *sql: str,
    edit_analytics: Callable[[Path], None] | None = None,
    dbt_vars: dict[str, object] | None = None,
) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """`dbt <command>` on a copy of the demo run's warehouse, after the statements
    `sql` ran on the copy and, if given, `edit_analytics` changed a copy of the Python
    steps' Parquet folder; `dbt_vars` change the run's vars: (dbt's process, the copy,
    dbt's target folder). The copy replaces the last one, in the same folder, and dbt's
    target folder is kept: the same profile and vars as the last command, so dbt parses
    only partially (the tests of this module run one after the other, in one worker)."""
    project = Path(__file__).resolve().parents[2] / "dbt_project"
    folder = ran.root / "dbt-on-a-copy"
    warehouse = folder / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    warehouse.mkdir(parents=True)
    shutil.copy2(ran.settings.warehouse_path, warehouse / "warehouse.duckdb")
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"))
    for statement in sql:
        con.execute(statement)
    con.close()
    settings = ran.settings
    dbt_vars = {**settings.dbt_vars(), **(dbt_vars or {})}
    if edit_analytics is not None:
        analytics = shutil.copytree(settings.analytics_dir, warehouse / "analytics")
        edit_analytics(analytics)
        dbt_vars["analytics_dir"] = analytics.as_posix()
    env = {**os.environ, **settings.subprocess_env(), "TC_WAREHOUSE_DIR": str(warehouse)}
    target = folder / "target"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *command,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--vars",
            json.dumps(dbt_vars),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=project,
    )
    return done, warehouse, target


def test_the_dbt_unit_tests_of_the_formulas_pass(ran):
    """Runs exclude dbt's unit tests (orchestration/defs/dbt/assets.py): they test the SQL,
    not the day's data, so they run here, each one, against a copy of a built warehouse.
    The same dbt invocation shows the on-run-end hook dropping the relations of renamed
    models (macros/drop_stale_relations.sql), and only those."""
    done, warehouse, target = _dbt_on_a_copy(
        ran,
        ["test", "--select", "test_type:unit"],
        "create table intermediate.int_contact_revenues_monthly as select 1 as x",
        "create view staging.stg_renamed_long_ago as select 1 as x",
        "create table intermediate.analyst_notes as select 1 as x",
    )
    print(done.stdout[-3000:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    manifest = json.loads((target / "manifest.json").read_text())
    defined = len(manifest["unit_tests"])
    assert defined >= 13
    # each unit test reports "PASS <model>::<test>" (the hooks report too, without "::")
    passed = [line for line in done.stdout.splitlines() if " PASS " in line and "::" in line]
    assert len(passed) == defined
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    left = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    con.close()
    assert "intermediate.int_contact_revenues_monthly" not in left
    assert "staging.stg_renamed_long_ago" not in left
    assert {"intermediate.analyst_notes", "intermediate.int_orders_converted"} <= left
    assert "marts.community_roi_summary" in left


def test_a_key_with_a_null_or_a_repeated_value_fails_its_primary_key_test(ran):
    """`primary_key` (tests/generic/primary_key.sql) stands for dbt's `unique` plus
    `not_null` on every key column: on a copy of a built warehouse it fails on a
    repeated key and on a key with a null column, and names the failing rows."""
    mart = "marts.responsiveness_daily"
    done, _, _ = _dbt_on_a_copy(
        ran,
        ["test", "--select", "responsiveness_daily,test_name:primary_key"],
        f"insert into {mart} select * from {mart} limit 1",  # a repeated key
        f"insert into {mart} select * replace (null as date) from {mart} limit 1",
    )
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    # one repeated key and one key with a null date: two failing rows
    assert "FAIL 2 primary_key_responsiveness_daily_date__platform" in done.stdout, done.stdout


def test_key_tests_of_rebuilt_rows_fail_on_new_rows_and_keep_them_until_they_pass(ran):
    """Issue 23: the key tests of the large incremental tables look at the rows built
    since their last pass (macros/key_checks.sql). On a copy of the demo warehouse whose
    checks all passed just now: a new row repeating an old row's key and a new row with
    a null key fail; an old row repeated outside any build is not looked at, unless the
    table's weekly whole read is due, which finds it. A failed check keeps its record
    (the rows stay in the next check's scope); a passing one moves it on."""
    tests = {
        "converted": "primary_key_int_orders_converted_order_id",
        "staged": "primary_key_stg_sales__orders_order_id",
        "classified": "primary_key_int_activities_classified_platform__activity_id",
        "unioned": "primary_key_int_trust_events_unioned_trust_event_id",
        "scored": "primary_key_int_activities_scored_platform__activity_id",
    }
    later = "now() + interval 1 second"  # a build after the last pass

    def records(warehouse: Path) -> dict[str, tuple]:
        con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
        try:
            return {
                name.split("(")[0]: (through, fully)
                for name, through, fully in con.execute("select * from ops.key_checks").fetchall()
            }
        finally:
            con.close()

    assert {
        "int_orders_converted",
        "stg_sales__orders",
        "int_activities_classified",
        "int_trust_events_unioned",
        "int_activities_scored",
    } <= set(records(ran.settings.warehouse_dir))
    done, warehouse, _ = _dbt_on_a_copy(
        ran,
        ["test", "--select", *tests.values()],
        "update ops.key_checks set checked_through = now(), fully_checked_at = now()",
        # rows a later build wrote: a repeated key, a null key
        "insert into intermediate.int_orders_converted select * replace "
        f"({later} as built_at) from intermediate.int_orders_converted limit 1",
        "insert into staging.stg_sales__orders select * replace "
        f"({later} as staged_at, null as order_id) from staging.stg_sales__orders limit 1",
        # old rows repeated outside any build
        "insert into intermediate.int_activities_classified "
        "select * from intermediate.int_activities_classified limit 1",
        "insert into intermediate.int_trust_events_unioned "
        "select * from intermediate.int_trust_events_unioned limit 1",
        # the whole read of these two is due
        "update ops.key_checks set fully_checked_at = fully_checked_at - interval 8 day "
        "where check_name like 'int_trust_events_unioned(%' "
        "or check_name like 'int_activities_scored(%'",
    )
    out = done.stdout
    assert done.returncode == 1, out[-3000:] + done.stderr[-2000:]
    for kind in ("converted", "staged", "unioned"):
        assert f"FAIL 1 {tests[kind]}" in out, (kind, out[-3000:])
    for kind in ("classified", "scored"):
        assert f"PASS {tests[kind]}" in out, (kind, out[-3000:])
    # the failed checks keep their records; the passing ones record their table's newest
    # row, and a whole read only where it happened (a check not run shows the time set)
    after = records(warehouse)
    set_at = after["int_trust_states_by_contact_day"][0]
    assert after["int_trust_states_by_contact_day"] == (set_at, set_at)
    assert after["int_orders_converted"] == after["stg_sales__orders"] == (set_at, set_at)
    assert after["int_trust_events_unioned"] == (set_at, set_at - timedelta(days=8))
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    newest = {
        table: con.execute(f"select max(built_at) from intermediate.{table}").fetchone()[0]
        for table in ("int_activities_classified", "int_activities_scored")
    }
    con.close()
    assert after["int_activities_classified"] == (newest["int_activities_classified"], set_at)
    assert after["int_activities_scored"][0] == newest["int_activities_scored"]
    assert after["int_activities_scored"][1] > set_at


def test_a_full_refresh_reads_the_whole_table_for_its_key_test(ran):
    """`dbt build --full-refresh` rebuilds the table whole and its key test reads all of
    it, though its record would allow a scoped check: the record says so."""
    done, warehouse, _ = _dbt_on_a_copy(
        ran,
        ["build", "--full-refresh", "--select", "stg_sales__orders", "--exclude", "test_type:unit"],
        "update ops.key_checks set checked_through = now(), fully_checked_at = now()",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "PASS primary_key_stg_sales__orders_order_id" in done.stdout
    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    through, fully = con.execute(
        "select checked_through, fully_checked_at from ops.key_checks "
        "where check_name like 'stg_sales__orders(%'"
    ).fetchone()
    staged = con.execute("select max(staged_at) from staging.stg_sales__orders").fetchone()[0]
    con.close()
    # the rebuilt rows are newer than the time set; a scoped check would have left the
    # whole read at that time, before them
    assert through == staged
    assert fully > through  # read whole after the rebuild, not left at the time set


def test_scored_activities_kept_or_rebuilt_by_what_they_were_built_with(ran):
    """int_activities_scored is incremental: a built row stays unless the classified
    row was rewritten or the text score, account or first completed order it was built
    with changed. Here a text is rescored, another loses its score and a contact gets
    an earlier first completed order while no activity is rewritten upstream (the
    daily-run test in test_incremental.py covers rewritten activities and late
    accounts): the incremental build equals a full build of the same inputs."""
    con = duckdb.connect(str(ran.settings.warehouse_path), read_only=True)
    rescored, unscored = (
        row[0]
        for row in con.execute(
            "select text_hash from intermediate.int_activities_scored "
            "where sentiment_source = 'scored' and abs(sentiment) >= 0.05 "
            "group by text_hash order by text_hash limit 2"
        ).fetchall()
    )
    contact, first_activity_at = con.execute(
        "select contact_id, min(created_at) from intermediate.int_activities_scored "
        "where contact_id is not null group by contact_id "
        "having not bool_or(is_known_customer) order by contact_id limit 1"
    ).fetchone()
    con.close()

    def edit_scores(analytics: Path):
        path = analytics / "text_scores.parquet"
        scores = pl.read_parquet(path).filter(pl.col("text_hash") != unscored)
        flipped = pl.when(pl.col("text_hash") == rescored).then(-pl.col("sentiment"))
        scores.with_columns(
            flipped.otherwise(pl.col("sentiment")).alias("sentiment")
        ).write_parquet(path)

    early_order = (
        "insert into intermediate.int_orders_converted by name select "
        f"'early-order' as order_id, '{contact}' as contact_id, true as is_completed, "
        f"timestamp '{first_activity_at}' - interval 1 day as ordered_at"
    )
    built = _incremental_and_full_build(
        ran, "int_activities_scored", early_order, edit_analytics=edit_scores
    )
    (incremental, rewritten, total), (full, _, _) = built["incremental"], built["full"]
    assert 0 < rewritten < total / 10, (rewritten, total)
    assert incremental.equals(full)
    changed = incremental.filter(
        pl.col("text_hash").is_in([rescored, unscored]) | (pl.col("contact_id") == contact)
    )
    assert set(changed["sentiment_source"]) >= {"not_scored_yet"}
    assert changed.filter(pl.col("contact_id") == contact)["is_known_customer"].all()


def _incremental_and_full_build(ran, model, *sql, modes=("incremental", "full"), **options):
    """`model` built incrementally and in full on a copy of the demo warehouse changed
    alike (one copy after the other, _dbt_on_a_copy): {mode: (rows without the build
    markers, rows written by this build, all rows)}."""
    table = f"intermediate.{model}"
    con = duckdb.connect(str(ran.settings.warehouse_path), read_only=True)
    (built_before,) = con.execute(f"select max(built_at) from {table}").fetchone()
    con.close()
    built = {}
    for mode in modes:
        command = ["run", "--select", model] + (["--full-refresh"] if mode == "full" else [])
        done, warehouse, _ = _dbt_on_a_copy(ran, command, *sql, **options)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
        # when rows were written: the copies were changed at different times
        markers = {"built_at", "classified_built_at", "orders_built_through"}
        columns = [c for c, *_ in con.execute(f"describe {table}").fetchall()]
        keep = ", ".join(c for c in columns if c not in markers)
        rows = con.execute(f"select {keep} from {table} order by all").pl()
        rewritten, total = con.execute(
            f"select count(*) filter (where built_at > ?), count(*) from {table}",
            [built_before],
        ).fetchone()
        con.close()
        built[mode] = rows, rewritten, total
    return built


def test_trust_events_rebuilt_per_contact_equal_a_full_build(ran):
    """int_trust_events_unioned rebuilds the contacts whose events may have changed.
    Here, with nothing else rewritten upstream: a contact's first completed order moves
    to another contact (it was the first of two, so the first contact is left with no
    event at all: its rows must go), an activity turns from positive to negative, and
    an answered inbound activity becomes unanswered, and a repeat order is a day
    later. The incremental build equals a
    full build and rewrites few rows; a changed TC_TRUST_ASYMMETRY rewrites them all,
    and a changed half-life every row of the tracked states."""
    con = duckdb.connect(str(ran.settings.warehouse_path), read_only=True)
    # a contact whose only events are one repeat order: two completed orders, no other
    lonely, first_order = con.execute(
        "select contact_id, min_by(order_id, ordered_at) "
        "from intermediate.int_orders_converted where is_completed group by contact_id "
        "having count(*) = 2 and contact_id in (select contact_id "
        "from intermediate.int_trust_events_unioned group by contact_id "
        "having count(*) = 1 and bool_and(event_type = 'repeat_order')) "
        "order by contact_id limit 1"
    ).fetchone()
    other = con.execute(
        "select min(contact_id) from intermediate.int_trust_events_unioned where contact_id != ?",
        [lonely],
    ).fetchone()[0]
    voice = con.execute(
        "select min(activity_id) from intermediate.int_activities_scored "
        "where is_positive and not is_brand_author and contact_id is not null"
    ).fetchone()[0]
    # a repeat order of a third contact, a day later: only its rewriting tells
    shifted = con.execute(
        "select min(split_part(trust_event_id, ':', 2)) "
        "from intermediate.int_trust_events_unioned "
        "where event_type = 'repeat_order' and contact_id not in (?, ?)",
        [lonely, other],
    ).fetchone()[0]
    answered = con.execute(
        "select min(activity_id) from intermediate.int_inbound_activities_answered "
        "where is_answered and contact_id is not null"
    ).fetchone()[0]
    con.close()
    changes = (
        f"update intermediate.int_orders_converted set contact_id = '{other}', "
        f"built_at = now() where order_id = '{first_order}'",
        "update intermediate.int_orders_converted set ordered_at = ordered_at "
        f"+ interval 1 day, built_at = now() where order_id = '{shifted}'",
        "update intermediate.int_activities_scored set is_positive = false, "
        f"is_negative = true, sentiment = -0.5 where activity_id = '{voice}'",
        "update intermediate.int_inbound_activities_answered set is_answered = false, "
        f"first_reply_at = null where activity_id = '{answered}'",
    )
    model = "int_trust_events_unioned"
    built = _incremental_and_full_build(ran, model, *changes)
    (incremental, rewritten, total), (full, _, _) = built["incremental"], built["full"]
    assert incremental.equals(full)
    assert 0 < rewritten < total / 10, (rewritten, total)
    assert lonely not in set(incremental["contact_id"])
    assert any(
        i.startswith("negative_voice:") and i.endswith(f":{voice}")
        for i in incremental["trust_event_id"]
    )

    # a changed weight: every contact rebuilt, i.e. what a full build does
    built = _incremental_and_full_build(
        ran,
        model,
        modes=["incremental"],
        dbt_vars={"trust_asymmetry": 3.0},
    )
    _, rewritten, total = built["incremental"]
    assert rewritten == total
    # the states under the trust views: a changed half-life rebuilds every contact
    built = _incremental_and_full_build(
        ran,
        "int_trust_states_by_contact_day",
        modes=["incremental"],
        dbt_vars={"trust_half_life_days": 90},
    )
    _, rewritten, total = built["incremental"]
    assert rewritten == total


def test_the_benchmark_names_dbt_time_per_model_and_test(ran):
    """`trustcap benchmark` keeps what dbt reports for each model and test of a run
    (benchmark.json, and the largest in its report): every model and test of the run
    has its seconds, no other step's assets do."""
    from trustcap.benchmark import _dbt_nodes_line, dbt_node_seconds

    with DagsterInstance.from_config(str(ran.settings.dagster_home)) as instance:
        first = instance.get_runs()[-1]  # the fixture's `trustcap run`
        assert first.status.value == "SUCCESS"
        checked = instance.get_records_for_run(
            first.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    seconds = dbt_node_seconds(ran.settings.dagster_home, first.run_id)
    models = [key for key in seconds if ":" not in key]
    tests = [key for key in seconds if ":" in key]
    assert "staging/stg_sales__orders" in models and "marts/customer_trust" in models
    assert len(models) >= 50 and all(seconds[key] > 0 for key in seconds)
    assert any(key.startswith("staging/stg_sales__orders:primary_key") for key in tests)
    # the checks step's (GX) evaluations are not dbt's: every test here is one of dbt's
    dbt_checks = {
        f"{r.event_log_entry.dagster_event.event_specific_data.asset_key.to_user_string()}:"
        f"{r.event_log_entry.dagster_event.event_specific_data.check_name}"
        for r in checked
        if "dbt" in (r.event_log_entry.dagster_event.step_key or "")
    }
    assert set(tests) == dbt_checks and len(tests) >= 100
    (line,) = _dbt_nodes_line(seconds, seconds)
    assert f"over {len(seconds)} nodes" in line
