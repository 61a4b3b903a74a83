"""The performance benchmark: a demo world at a given scale through the whole
pipeline, then one new day of data through it again.

    trustcap benchmark --scale 5 [--dir DIR]

1. The demo world is generated and written as plain CSV (the contract's common
   format), one file per entity, without its last day.
2. Reference ("speed of light"): DuckDB's own CSV reader and one SQL statement over
   the same files — monthly revenue of contacts after their first social activity.
3. Full run: `trustcap run` in a child process; wall time, rows per second and the
   peak memory of the whole process tree (the run and its dbt subprocesses,
   sampled every 0.1 s) per stage.
4. The last day lands as new files; the incremental run is measured the same way.

Results are printed as a table and written to <DIR>/benchmark.json. The machine is
described in the output (cores, memory, Python); nothing here asserts a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import psutil

from core.settings import Settings
from worlds.writer import to_landing_frame

# the column that dates each entity's rows; entities without one land whole in the history
DAY_COLUMN = {
    "social/activities": "created_at",
    "social/page_metrics": "date",
    "crm/contacts": "created_at",
    "crm/surveys": "responded_at",
    "crm/tickets": "opened_at",
    "sales/orders": "ordered_at",
    "costs/community_costs": "incurred_on",
    "reference/fx_rates": "date",
}
STAGES = ("ingestion", "scoring", "estimation", "dbt models", "checks", "publication")


STAGE_OF_STEP = {
    "text_scores": "scoring",
    "roi_estimates": "estimation",
    "great_expectations_quality_gate": "checks",
    "published__trustcap": "publication",
}


def stage_of(step_key: str) -> str:
    from orchestration.defs.ingestion.assets import INGESTION_STEP

    if step_key == INGESTION_STEP:
        return "ingestion"
    if step_key in STAGE_OF_STEP:
        return STAGE_OF_STEP[step_key]
    return "dbt models" if "dbt" in step_key else "other"


@dataclass
class StageFigures:
    seconds: float = 0.0
    peak_rss_gb: float = 0.0
    rows: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class RunFigures:
    wall_seconds: float
    peak_rss_gb: float
    new_landing_rows: int
    stages: dict[str, StageFigures] = field(default_factory=dict)
    succeeded: bool = True
    # what dbt reports per model and test (dbt_node_seconds)
    dbt_node_seconds: dict[str, float] = field(default_factory=dict)


NEW_DAYS = ("month-end", "mid-month")


def split_last_day(
    world_tables: dict[str, pl.DataFrame], new_day: str = "month-end"
) -> tuple[dict, dict, object]:
    """(history, last day, the day): rows dated on the new day, or later (replies to
    that day's posts), land later. `month-end`: the world's last sales day, the last
    of its month, so the new day closes a month and the estimator refits; `mid-month`:
    the 15th of that month, rows dated after it dropped, so the new day closes no month
    and the last fit is reused (docs/roi_method.md). A ticket opened before the new
    day keeps its later resolution."""
    last_day = world_tables["sales/orders"]["ordered_at"].max().date()
    if new_day == "mid-month":
        last_day = last_day.replace(day=15)

    def dated(frame: pl.DataFrame, col: str) -> pl.Expr:
        return pl.col(col).dt.date() if frame[col].dtype == pl.Datetime else pl.col(col)

    history, day = {}, {}
    for qualified, frame in world_tables.items():
        col = DAY_COLUMN.get(qualified)
        if qualified == "sales/order_lines":
            continue  # they follow their orders, below
        if col is None:
            history[qualified] = frame
            continue
        when = dated(frame, col)
        history[qualified] = frame.filter(when < last_day)
        on_day = when == last_day if new_day == "mid-month" else when >= last_day
        day[qualified] = frame.filter(on_day)
    lines = world_tables["sales/order_lines"]
    new_orders = day["sales/orders"]["order_id"].implode()
    is_new = lines["order_id"].is_in(new_orders)
    # mid-month: lines of the orders after the new day leave with their orders
    is_dropped = (
        ~lines["order_id"].is_in(history["sales/orders"]["order_id"].implode()) & ~is_new
        if new_day == "mid-month"
        else pl.repeat(False, lines.height, eager=True)
    )
    history["sales/order_lines"], day["sales/order_lines"] = (
        lines.filter(~is_new & ~is_dropped),
        lines.filter(is_new),
    )
    # a ticket opened earlier but resolved on the last day stays as it was in the history
    return history, day, last_day


def write_csv_landing(tables: dict[str, pl.DataFrame], landing: Path, name: str, mtime: float):
    rows = 0
    for qualified, frame in tables.items():
        if frame.height == 0:
            continue
        folder = landing / qualified
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.csv"
        to_landing_frame(frame, qualified, "csv", "zulu").write_csv(path)
        os.utime(path, (mtime, mtime))
        rows += frame.height
    return rows


def reference_query(landing: Path) -> tuple[float, int, float]:
    """Seconds, rows read and total revenue of the one-statement reference."""
    con = duckdb.connect()
    sql = f"""
        with activities as (
            select account_id, platform, created_at
            from read_csv('{landing}/social/activities/*.csv', header = true, types = {{
                'account_id': 'VARCHAR', 'created_at': 'TIMESTAMPTZ'}})
        ),
        identities as (
            select contact_id, platform, account_id
            from read_csv('{landing}/crm/identities/*.csv', header = true, types = {{
                'account_id': 'VARCHAR', 'contact_id': 'VARCHAR'}})
        ),
        orders as (
            select contact_id, ordered_at, amount, status
            from read_csv('{landing}/sales/orders/*.csv', header = true, types = {{
                'contact_id': 'VARCHAR', 'ordered_at': 'TIMESTAMPTZ'}})
        ),
        first_activity as (
            select identities.contact_id, min(activities.created_at) as engaged_at
            from activities
            inner join identities using (platform, account_id)
            group by 1
        )
        select date_trunc('month', orders.ordered_at) as period, sum(orders.amount) as revenue
        from orders
        inner join first_activity using (contact_id)
        where orders.status = 'completed' and orders.ordered_at >= first_activity.engaged_at
        group by 1
    """
    started = time.perf_counter()
    revenue = con.execute(f"select sum(revenue) from ({sql})").fetchone()[0]
    seconds = time.perf_counter() - started
    rows = sum(
        con.execute(
            f"select count(*) from read_csv('{landing}/{e}/*.csv', header = true)"
        ).fetchone()[0]
        for e in ("social/activities", "crm/identities", "sales/orders")
    )
    con.close()
    return seconds, rows, float(revenue or 0.0)


class TreeMemory:
    """Samples the resident memory of a process and all its children."""

    def __init__(self, pid: int, every: float = 0.1):
        self.samples: list[tuple[float, int]] = []
        self._root = psutil.Process(pid)
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self._root, *self._root.children(recursive=True)]
                rss = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):  # a child that just ended
                        rss += p.memory_info().rss
                self.samples.append((time.time(), rss))
            except psutil.Error:
                pass
            self._stop.wait(self._every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((r for t, r in self.samples if start <= t <= end), default=0)


def run_measured(env: dict[str, str], log_path: Path) -> tuple[float, TreeMemory, bool]:
    started = time.perf_counter()
    with log_path.open("w") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "trustcap.cli", "run"], env=env, stdout=log, stderr=log
        )
        memory = TreeMemory(child.pid)
        code = child.wait()
    memory.stop()
    return time.perf_counter() - started, memory, code == 0


def latest_run_figures(
    dagster_home: Path, memory: TreeMemory, warehouse_rows: int
) -> dict[str, StageFigures]:
    """Per stage: wall time, peak memory and rows. Rows are the new rows loaded
    (ingestion), the texts scored (scoring), else every row in the warehouse, which
    those stages read whole."""
    from dagster import DagsterEventType, DagsterInstance

    stages = {s: StageFigures() for s in STAGES}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        starts: dict[str, float] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            stage = stages.setdefault(stage_of(event.step_key), StageFigures())
            if event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = entry.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                start = starts.get(event.step_key, entry.timestamp)
                stage.seconds += entry.timestamp - start
                stage.peak_rss_gb = max(
                    stage.peak_rss_gb, memory.peak(start, entry.timestamp) / 1e9
                )
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                meta = event.event_specific_data.materialization.metadata
                for key in ("rows_loaded", "scored_this_run"):
                    if key in meta:
                        stage.rows += int(meta[key].value)
    for name, stage in stages.items():
        if name not in ("ingestion", "scoring"):
            stage.rows = warehouse_rows
    return stages


def dbt_node_seconds(dagster_home: Path, run_id: str | None = None) -> dict[str, float]:
    """Seconds dbt reports for each model and test of a run (the latest by default;
    dagster-dbt's "Execution Duration"), keyed by asset key for a model and asset key,
    colon, check name for a test: thread-seconds, dbt running two nodes at a time, so
    they say which nodes a run's dbt time went to, not its wall time."""
    from dagster import DagsterEventType, DagsterInstance

    seconds: dict[str, float] = {}
    kinds = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        run_id = run_id or instance.get_runs(limit=1)[0].run_id
        for entry in instance.all_logs(run_id, of_type=kinds):
            event = entry.dagster_event
            if event is None or stage_of(event.step_key or "") != "dbt models":
                continue
            data = event.event_specific_data
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                key, meta = (
                    data.materialization.asset_key.to_user_string(),
                    data.materialization.metadata,
                )
            else:
                key, meta = f"{data.asset_key.to_user_string()}:{data.check_name}", data.metadata
            if "Execution Duration" in meta:
                seconds[key] = seconds.get(key, 0.0) + float(meta["Execution Duration"].value)
    return seconds


def describe_machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{mem:.0f} GiB, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}, polars {pl.__version__}"
    )


def run_benchmark(
    scale: float,
    root: Path,
    seed: int = 7,
    activity_density: float = 1.0,
    order_density: float = 1.0,
    new_day: str = "month-end",
) -> dict:
    from worlds.world import WorldConfig, generate

    if root.exists():
        shutil.rmtree(root)
    landing, warehouse = root / "landing", root / "warehouse"
    env = {
        **os.environ,
        "TC_LANDING_DIR": str(landing),
        "TC_WAREHOUSE_DIR": str(warehouse),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "TC_DEMO_SEED": str(seed),
    }
    started = time.perf_counter()
    world = generate(
        WorldConfig(
            seed=seed,
            scale=scale,
            activity_density=activity_density,
            order_density=order_density,
            # the default scorer's throughput: no labels, so no brand-adapted scorer
            labelled_texts=0,
        )
    )
    generate_seconds = time.perf_counter() - started
    history, day, last_day = split_last_day(world.tables, new_day)
    sizes = {q: f.height for q, f in world.tables.items()}
    del world
    base = datetime.combine(last_day, datetime.min.time(), tzinfo=UTC)
    started = time.perf_counter()
    history_rows = write_csv_landing(history, landing, "history", base.timestamp())
    write_seconds = time.perf_counter() - started
    del history
    csv_bytes = sum(p.stat().st_size for p in landing.rglob("*.csv"))

    ref_seconds, ref_rows, ref_revenue = reference_query(landing)
    # the settings layer validates and prepares DAGSTER_HOME and the dbt manifest once
    settings = Settings.from_env(env)
    from trustcap.run import ensure_dagster_home, ensure_manifest

    ensure_dagster_home(settings)
    ensure_manifest(settings)

    full_seconds, full_memory, full_ok = run_measured(env, root / "full_run.log")
    full = RunFigures(
        full_seconds,
        full_memory.peak() / 1e9,
        history_rows,
        latest_run_figures(settings.dagster_home, full_memory, history_rows),
        full_ok,
        dbt_node_seconds(settings.dagster_home),
    )
    next_day = (base + timedelta(days=1)).timestamp()
    day_rows = write_csv_landing(day, landing, f"day-{last_day:%Y%m%d}", next_day)
    incr_seconds, incr_memory, incr_ok = run_measured(env, root / "incremental_run.log")
    incremental = RunFigures(
        incr_seconds,
        incr_memory.peak() / 1e9,
        day_rows,
        latest_run_figures(settings.dagster_home, incr_memory, history_rows + day_rows),
        incr_ok,
        dbt_node_seconds(settings.dagster_home),
    )
    # asked for again with nothing new: `trustcap run` stands on the last publication
    idle_seconds, idle_memory, idle_ok = run_measured(env, root / "nothing_new_run.log")
    idle_memory_peak = idle_memory.peak() / 1e9
    stood = "Nothing new:" in (root / "nothing_new_run.log").read_text()
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": describe_machine(),
        "engine": settings.engine,
        "scale": scale,
        "seed": seed,
        "activity_density": activity_density,
        "order_density": order_density,
        "rows": sizes,
        "csv_bytes": csv_bytes,
        "generate_seconds": round(generate_seconds, 1),
        "write_seconds": round(write_seconds, 1),
        "reference": {"seconds": ref_seconds, "rows": ref_rows, "revenue": ref_revenue},
        "full": _as_dict(full),
        "incremental": _as_dict(incremental),
        "nothing_new": {
            "wall_seconds": idle_seconds,
            "peak_rss_gb": idle_memory_peak,
            "succeeded": idle_ok,
            "publication_stood": stood,
        },
        "last_day": last_day.isoformat(),
        "new_day": new_day,
    }
    (root / "benchmark.json").write_text(json.dumps(result, indent=2))
    return result


def _as_dict(run: RunFigures) -> dict:
    out = asdict(run)
    for name, stage in run.stages.items():
        out["stages"][name]["rows_per_second"] = stage.rows_per_second
    return out


def report(result: dict) -> str:
    rows = result["rows"]
    full, incr = result["full"], result["incremental"]
    ref = result["reference"]
    lines = [
        f"Benchmark at scale {result['scale']:g} (seed {result['seed']}; densities: activities "
        f"{result.get('activity_density', 1.0):g}x, orders {result.get('order_density', 1.0):g}x) "
        f"on {result['machine']}, engine {result.get('engine', 'duckdb')}",
        f"World: {rows['crm/contacts']:,} contacts, {rows['social/activities']:,} activities, "
        f"{rows['sales/orders']:,} orders, {rows['sales/order_lines']:,} order lines "
        f"({result['csv_bytes'] / 1e9:.2f} GB of CSV); generated in "
        f"{result['generate_seconds']:.0f}s, written in {result['write_seconds']:.0f}s",
        "",
        f"{'stage':<12} {'full s':>8} {'rows/s':>11} {'peak GB':>8}   "
        f"{'incr s':>7} {'rows/s':>9} {'peak GB':>8}",
    ]
    for stage in STAGES:
        f, i = full["stages"].get(stage), incr["stages"].get(stage)
        if not f:
            continue
        lines.append(
            f"{stage:<12} {f['seconds']:>8.1f} {f['rows_per_second']:>11,.0f} "
            f"{f['peak_rss_gb']:>8.2f}   {i['seconds']:>7.1f} {i['rows_per_second']:>9,.0f} "
            f"{i['peak_rss_gb']:>8.2f}"
        )
    ratio = incr["wall_seconds"] / full["wall_seconds"] if full["wall_seconds"] else 0
    lines += [
        f"{'whole run':<12} {full['wall_seconds']:>8.1f} {'':>11} {full['peak_rss_gb']:>8.2f}   "
        f"{incr['wall_seconds']:>7.1f} {'':>9} {incr['peak_rss_gb']:>8.2f}",
        "",
        f"Full run: {'succeeded' if full['succeeded'] else 'FAILED'}; "
        f"{full['new_landing_rows']:,} landing rows.",
        f"Incremental run (one new day, {result['last_day']}, {incr['new_landing_rows']:,} rows): "
        f"{'succeeded' if incr['succeeded'] else 'FAILED'}, {ratio:.0%} of the full run.",
        *_nothing_new_line(result.get("nothing_new"), full["wall_seconds"]),
        *_dbt_nodes_line(full.get("dbt_node_seconds"), incr.get("dbt_node_seconds")),
        f"Reference: DuckDB read {ref['rows']:,} CSV rows and aggregated monthly revenue of "
        f"engaged contacts in one statement in {ref['seconds']:.1f}s; the full pipeline took "
        f"{full['wall_seconds'] / ref['seconds']:.0f}x as long.",
    ]
    return "\n".join(lines)


def _dbt_nodes_line(full: dict | None, incr: dict | None, largest: int = 5) -> list[str]:
    if not full or not incr:  # a result from before these were kept
        return []
    top = sorted(incr.items(), key=lambda item: -item[1])[:largest]
    named = ", ".join(f"{key.rsplit('/', 1)[-1]} {value:.1f}" for key, value in top)
    return [
        f"dbt's own time per model and test (thread-s, two at a time): full run "
        f"{sum(full.values()):.1f} over {len(full)} nodes, new day {sum(incr.values()):.1f}; "
        f"the new day's largest: {named} (all in benchmark.json)."
    ]


def _nothing_new_line(idle: dict | None, full_seconds: float) -> list[str]:
    if not idle:  # a result from before this figure was measured
        return []
    what = (
        "the last publication stood"
        if idle["publication_stood"]
        else "it rebuilt (nothing new was not recognised)"
    )
    share = idle["wall_seconds"] / full_seconds if full_seconds else 0
    return [
        f"Run with nothing new: {idle['wall_seconds']:.1f}s "
        f"({'succeeded' if idle['succeeded'] else 'FAILED'}; {what}), {share:.1%} of the full run."
    ]
