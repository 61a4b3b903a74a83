"""`trustcap`: the users' entry point. Heavy imports (Dagster, dbt) happen inside
the commands that need them, so `trustcap --help` and bad settings answer at once."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.settings import (
    DBT_PROJECT_DIR,
    SETTINGS,
    Settings,
    SettingsError,
    dbt_project_vars,
    written,
)
from trustcap.run import ensure_dagster_home, ensure_manifest, run_pipeline


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from worlds.world import WorldConfig, generate
    from worlds.writer import write_world

    seed = settings.demo_seed if args.seed is None else args.seed
    scale = settings.demo_scale if args.scale is None else args.scale
    started = time.perf_counter()
    _say(f"Generating the demo world (seed {seed}, scale {scale})…")
    world = generate(WorldConfig(seed=seed, scale=scale))
    write_world(world, settings.landing_dir, settings.demo_truth_dir)
    t = world.truth
    _say(
        f"Wrote {t['contacts']:,} contacts, {t['orders']:,} orders and {t['activities']:,} "
        f"activities in {time.perf_counter() - started:.1f}s\n"
        f"  landing folder: {settings.landing_dir}\n"
        f"  planted truth:  {settings.demo_truth_dir / 'truth.json'}"
    )
    return 0


def _preflight(settings: Settings, command: str, allow_empty: bool) -> bool:
    """Print what preflight found; False (after one line per problem) when a run must
    not start."""
    from core.preflight import check

    report = check(settings, allow_empty=allow_empty)
    for note in report.notes:
        _say(note)
    for problem in report.problems:
        print(f"{command}: {problem}", file=sys.stderr, flush=True)
    return report.ok


def _stop_on_signals() -> None:
    """SIGTERM stops a run as Ctrl+C does, and both work in a process started in the
    background, where the shell leaves SIGINT ignored: Dagster turns either into an
    interruption of the running step (dagster-dbt passes it on to dbt)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _stop_children(grace: float = 10.0) -> None:
    """Processes this one started and that outlived an interrupted run: asked to
    stop, then killed."""
    import psutil

    children = [
        child
        for child in psutil.Process().children(recursive=True)
        # Python's own helper, which ends with this process
        if "multiprocessing.resource_tracker" not in " ".join(_cmdline(child))
    ]
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def _cmdline(process) -> list[str]:
    import psutil

    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _interrupted(result) -> bool:
    """Dagster ends a run it was interrupted in (SIGINT, SIGTERM) as a failure."""
    from dagster import DagsterEventType

    return any(
        e.event_type == DagsterEventType.RUN_FAILURE and "interrupted" in (e.message or "")
        for e in result.all_events
    )


def cmd_preflight(settings: Settings, args: argparse.Namespace) -> int:
    if not _preflight(settings, "trustcap preflight", args.allow_empty):
        return 2
    _say("preflight: ready to run")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from core.run_lock import WarehouseBusy

    _stop_on_signals()
    if not _preflight(settings, "trustcap run", args.allow_empty):
        return 2
    from core.inputs import nothing_new

    if not args.force and (standing := nothing_new(settings)):
        from trustcap.summary import build_summary

        _say(
            f"Nothing new: no landing file is waiting, and the ingested files, settings and "
            f"code are those publication {standing} was built from, so it stands as it is "
            "(a rebuild would give the same marts; `trustcap run --force` rebuilds anyway)."
        )
        _say(build_summary(settings))
        return 0
    started = time.perf_counter()
    _say(f"Running the pipeline on {settings.landing_dir} …")
    try:
        return _run_and_report(settings, started, args.verbose)
    except WarehouseBusy as busy:
        print(
            f"trustcap run: the warehouse is held by {busy}: wait for it to finish, or stop "
            f"it{f' (kill {busy.pid})' if busy.pid else ''}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        pass
    _stop_children()
    _say("\nRun interrupted. The published marts were left as they were.")
    return 130


def _run_and_report(settings: Settings, started: float, verbose: bool = False) -> int:
    from trustcap.progress import failure_reason, run_log_path
    from trustcap.summary import build_summary

    log_path = run_log_path(settings.run_logs_dir)
    result = run_pipeline(settings, log_path=log_path, verbose=verbose)
    elapsed = time.perf_counter() - started
    if not result.success and _interrupted(result):
        raise KeyboardInterrupt
    if not result.success:
        _stop_children()
        failed = [
            f"{e.step_key} ({reason})" if (reason := failure_reason(e)) else e.step_key
            for e in result.all_events
            if e.is_step_failure
        ]
        _say(
            f"\nRun FAILED after {elapsed:.0f}s in step(s): {', '.join(failed) or 'unknown'}. "
            f"The published marts were left as they were. Full log: {log_path}"
        )
        from core.quality.store import blocking_failures, read_results

        failed_checks = blocking_failures(read_results(settings.quality_dir, result.run_id))
        for r in failed_checks.iter_rows(named=True):
            _say(f"  blocking check failed: {r['asset']} {r['check_name']}: {r['observed_value']}")
        _say(build_summary(settings))
        return 1
    _say(f"\nRun succeeded in {elapsed:.0f}s (run id {result.run_id}). Full log: {log_path}")
    _say(build_summary(settings))
    return 0


def _stop_process_group(proc: subprocess.Popen, grace: float) -> None:
    """Ask `dagster dev` to stop as Ctrl+C does (it shuts its webserver and daemon
    down), then end whatever is left of its process group: code servers, run
    workers (a run worker takes SIGTERM as an interruption and marks its run failed),
    their dbt."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # the group is empty
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(proc.pid):
            time.sleep(0.2)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def cmd_ui(settings: Settings, args: argparse.Namespace) -> int:
    ensure_dagster_home(settings)
    ensure_manifest(settings)
    settings.export_env()
    from core.preflight import check

    for problem in check(settings, allow_empty=True).problems:
        _say(f"note: runs will not start until this is fixed: {problem}")
    dagster = Path(sys.executable).parent / "dagster"
    stop: list[int] = []

    def _on_signal(signum: int, _frame) -> None:
        stop.append(signum)

    # handled here, also when started in the background with SIGINT ignored;
    # `dagster dev` runs in its own process group so that all of it can be stopped
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    _say(f"Dagster UI on http://{args.host}:{args.port} (Ctrl+C to stop)")
    proc = subprocess.Popen(
        [
            str(dagster),
            "dev",
            "-m",
            "orchestration.definitions",
            "-h",
            args.host,
            "-p",
            str(args.port),
        ],
        cwd=DBT_PROJECT_DIR.parent,
        start_new_session=True,
    )
    try:
        while proc.poll() is None and not stop:
            time.sleep(0.2)
    finally:
        if proc.poll() is None or _group_alive(proc.pid):
            _say("Stopping the Dagster UI …")
            _stop_process_group(proc, grace=30.0)
    if stop:
        _say("Dagster UI stopped.")
        return 0
    return proc.returncode


def cmd_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from trustcap import dashboard

    try:
        if args.screenshots:
            for path in dashboard.screenshots(settings.published_path, Path(args.screenshots)):
                _say(f"wrote {path}")
            return 0
        return dashboard.serve(settings.published_path, args.port, args.host)
    except dashboard.DashboardError as exc:
        print(f"trustcap dashboard: {exc}", file=sys.stderr)
        return 1


def cmd_settings(settings: Settings, args: argparse.Namespace) -> int:
    project_vars = dbt_project_vars()
    for s in SETTINGS:
        value = written(getattr(settings, s.field))
        default = s.written_default(project_vars)
        _say(f"{s.env:24} = {value}\n{'':24}   {s.doc} (default {default})")
    return 0


def cmd_summary(settings: Settings, args: argparse.Namespace) -> int:
    from trustcap.summary import build_summary

    _say(build_summary(settings))
    return 0


def cmd_quality(settings: Settings, args: argparse.Namespace) -> int:
    from core.quality.report import text_lines
    from core.quality.store import REPORT_NAME, latest_results, read_results

    results = (
        read_results(settings.quality_dir, args.run)
        if args.run
        else latest_results(settings.quality_dir)
    )
    if results.height == 0:
        print(
            f"trustcap quality: no quality results {f'for run {args.run} ' if args.run else ''}"
            f"in {settings.quality_dir} (they are written by `trustcap run`)",
            file=sys.stderr,
        )
        return 2
    checked = results["checked_at"].max()
    _say(f"Quality of run {results['run_id'][0]}, checked at {checked:%Y-%m-%d %H:%M} UTC")
    for line in text_lines(results, all_assets=args.all):
        _say(line)
    _say(f"report: {settings.quality_dir / REPORT_NAME}")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from ingestion.adapters import import_export

    source = Path(args.source).resolve()
    if not source.exists():
        print(f"trustcap import: {source} does not exist", file=sys.stderr)
        return 2
    sales = Path(args.sales).resolve() if args.sales else None
    try:
        report = import_export(args.adapter, source, settings.landing_dir, sales)
    except (ValueError, FileNotFoundError) as exc:
        print(f"trustcap import: {exc}", file=sys.stderr)
        return 1
    for line in report.lines():
        _say(line)
    _say(f"landing folder: {settings.landing_dir}\nnext: trustcap run")
    return 0


def cmd_retract(settings: Settings, args: argparse.Namespace) -> int:
    from core.retraction import WarehouseBusyError, retract_landing_file
    from ingestion.retract import RetractionError

    ensure_manifest(settings)  # the incremental models are read from the dbt manifest
    try:
        done, dropped = retract_landing_file(settings, args.target)
    except (RetractionError, WarehouseBusyError) as exc:
        print(f"trustcap retract: {exc}", file=sys.stderr)
        return 2
    f = done.file
    names = ", ".join(Path(p).name for p in f.file_paths)
    if f.retracted:
        _say(f"{f.entity.qualified} {names} (content {f.file_hash[:12]}) was already retracted.")
        return 0
    _say(
        f"Retracted {f.entity.qualified} {names} (content {f.file_hash[:12]}): "
        f"{done.raw_rows_removed:,} loaded rows and {done.quarantine_rows_removed:,} "
        "quarantined rows withdrawn"
        + (f"; {len(dropped)} incremental table(s) will be rebuilt whole" if dropped else "")
        + ".\nThe same content is never loaded again (delete the landing file if you like); "
        "the next `trustcap run` publishes the marts without it."
    )
    return 0


def cmd_benchmark(settings: Settings, args: argparse.Namespace) -> int:
    from trustcap.benchmark import report, run_benchmark

    root = Path(args.dir).resolve()
    _say(f"Benchmark at scale {args.scale:g} in {root} (the folder is replaced) …")
    result = run_benchmark(
        args.scale,
        root,
        seed=args.seed,
        activity_density=args.activity_density,
        order_density=args.order_density,
        new_day=args.new_day,
    )
    _say(report(result))
    _say(f"figures: {root / 'benchmark.json'}; run logs: {root}/*_run.log")
    return 0 if result["full"]["succeeded"] and result["incremental"]["succeeded"] else 1


def cmd_prepare(settings: Settings, args: argparse.Namespace) -> int:
    ensure_dagster_home(settings)
    ensure_manifest(settings)
    _say("dbt manifest and Dagster home are ready.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="trustcap",
        description="Trust Capital: what community work is really worth.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="generate the demo world into TC_LANDING_DIR")
    demo.add_argument("--seed", type=int, default=None, help="default: TC_DEMO_SEED")
    demo.add_argument("--scale", type=float, default=None, help="default: TC_DEMO_SCALE")
    demo.set_defaults(func=cmd_demo)
    allow_empty = {
        "action": "store_true",
        "help": "run even when there is nothing to load (publishes empty marts)",
    }
    run = sub.add_parser("run", help="run the whole pipeline in-process, then print the summary")
    run.add_argument("--allow-empty", **allow_empty)
    run.add_argument(
        "--force",
        action="store_true",
        help="rebuild even when nothing is new since the last publication",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="print Dagster's and dbt's logs as they come (they always go to the run's log file)",
    )
    run.set_defaults(func=cmd_run)
    check = sub.add_parser(
        "preflight",
        help="check the settings, the landing folder and the warehouse in seconds, run nothing",
    )
    check.add_argument("--allow-empty", **allow_empty)
    check.set_defaults(func=cmd_preflight)
    ui = sub.add_parser("ui", help="start the Dagster UI (dagster dev)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)
    dash = sub.add_parser("dashboard", help="serve the dashboard over the published marts")
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--screenshots", metavar="DIR", help="write one PNG per page, then stop")
    dash.set_defaults(func=cmd_dashboard)
    from ingestion.adapters import ADAPTERS

    imp = sub.add_parser(
        "import",
        help="convert a real export into landing files (the export is only read)",
        description="Adapters: "
        + "; ".join(f"{name}: {text}" for name, (_, _, text) in ADAPTERS.items()),
    )
    imp.add_argument("adapter", choices=sorted(ADAPTERS))
    imp.add_argument("source", help="the export file or its folder")
    imp.add_argument("--sales", help="olist-funnel: the Olist e-commerce folder (revenue)")
    imp.set_defaults(func=cmd_import)
    retract = sub.add_parser(
        "retract",
        help="withdraw a landing file and every row it loaded (the next run is as if it "
        "never came)",
    )
    retract.add_argument(
        "target", help="the landing file's path, or its content hash (8+ hex digits)"
    )
    retract.set_defaults(func=cmd_retract)
    bench = sub.add_parser(
        "benchmark",
        help="time a full run of a demo world at a scale, then a run after one new day",
    )
    bench.add_argument("--scale", type=float, default=5.0, help="demo scale (1 = 20,000 contacts)")
    bench.add_argument("--seed", type=int, default=7)
    bench.add_argument(
        "--activity-density",
        type=float,
        default=1.0,
        help="social activities per contact, times the demo world's (3 gives the L of issue 8)",
    )
    bench.add_argument(
        "--order-density",
        type=float,
        default=1.0,
        help="orders per contact, times the demo world's (4.3 gives the L of issue 8)",
    )
    bench.add_argument(
        "--new-day",
        choices=("month-end", "mid-month"),
        default="month-end",
        help="the day landed after the full run: the last of a month (it closes the month: "
        "the estimator refits) or the 15th (no month closes: the last fit is reused)",
    )
    bench.add_argument("--dir", default="data/benchmark", help="work folder (replaced)")
    bench.set_defaults(func=cmd_benchmark)
    # listed for --help only: main() hands `validate` to its own parser before this one
    sub.add_parser(
        "validate",
        add_help=False,
        help="run the pipeline on worlds of the family and judge each analytic against "
        "their planted truth (trustcap validate --help)",
    )
    quality = sub.add_parser(
        "quality",
        help="the quality checks of the last run: per asset, failures first, then each failure",
    )
    quality.add_argument("--all", action="store_true", help="list every asset, not only failing")
    quality.add_argument("--run", metavar="RUN_ID", help="another run than the last")
    quality.set_defaults(func=cmd_quality)
    sub.add_parser("settings", help="show the settings in force").set_defaults(func=cmd_settings)
    sub.add_parser("summary", help="print the summary of the last publication").set_defaults(
        func=cmd_summary
    )
    sub.add_parser("prepare", help="parse the dbt project and prepare DAGSTER_HOME").set_defaults(
        func=cmd_prepare
    )
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["validate"]:  # its own parser: argparse's REMAINDER drops leading options
        from trustcap.validation import main as validate

        return validate(argv[1:])
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"trustcap: bad setting: {exc}", file=sys.stderr)
        return 2
    return args.func(settings, args)


if __name__ == "__main__":
    sys.exit(main())
