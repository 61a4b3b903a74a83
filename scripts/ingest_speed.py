"""Ingestion alone on the benchmark's history landing folder: rows/s, CPU, peak memory.

Generates the benchmark's world at `--scale` (activity density 3, order density 4.3:
5 is the performance issue's M, 50 its L) and writes its history as plain CSV, one
file per entity, as `trustcap benchmark` does (kept in `--dir` for the next runs),
then ingests every entity into a fresh warehouse folder on `--workers` threads, as
the ingestion step does, each reader with its part of `--memory` (as the step shares
TC_DUCKDB_MEMORY_LIMIT; `--memory 2GB` gives the former 1 GB each). Prints one JSON
line per run (the process's peak memory includes generating the world when this run
generated it: run again for the ingestion's own peak). `--floor` also measures what
DuckDB alone costs to read each file (every value text) and write it to Parquet, no
typing at all: the bound of any CSV-to-Parquet ingestion with these libraries.

    PYTHONPATH=$PWD .venv/bin/python scripts/ingest_speed.py --scale 5 --dir /tmp/ingest-m
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def landing_folder(scale: float, root: Path) -> tuple[Path, bool]:
    """The landing folder, and whether it was generated now."""
    from trustcap.benchmark import split_last_day, write_csv_landing
    from worlds.world import WorldConfig, generate

    landing = root / f"landing-{scale:g}"
    if (landing / "done").exists():
        return landing, False
    shutil.rmtree(landing, ignore_errors=True)
    config = WorldConfig(
        seed=7, scale=scale, activity_density=3, order_density=4.3, labelled_texts=0
    )
    history, _, last_day = split_last_day(generate(config).tables)
    base = datetime.combine(last_day, datetime.min.time(), tzinfo=UTC)
    write_csv_landing(history, landing, "history", base.timestamp())
    (landing / "done").touch()
    return landing, True


def ingest_all(landing: Path, warehouse: Path, workers: int, memory: str = "4GB") -> dict:
    from core.settings import share_of_size
    from ingestion.contract import ENTITIES
    from ingestion.load import InputRules, StoragePaths, ingest_entity

    shutil.rmtree(warehouse, ignore_errors=True)
    paths = StoragePaths(warehouse / "raw", warehouse / "quarantine", warehouse / "ingest_log")
    today = datetime.now(UTC).date()
    # each reader's part of the memory, as the ingestion step gives it (Settings.input_rules)
    rules = InputRules(
        date(2000, 1, 1),
        today + timedelta(days=1),
        csv_memory_limit=share_of_size(memory, workers),
    )
    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(workers) as pool:
        reports = list(pool.map(lambda e: ingest_entity(e, landing, paths, rules), ENTITIES))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = sum(r.rows_loaded + r.rows_quarantined for r in reports)
    return {
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / seconds),
        "cpu_seconds": round(cpu, 2),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
    }


def read_and_write_only(landing: Path, out: Path) -> dict:
    """DuckDB's reader (every value text) straight into Parquet, file by file."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    rows, started, cpu = 0, time.perf_counter(), time.process_time()
    for i, path in enumerate(sorted(landing.rglob("*.csv"))):
        con = duckdb.connect()
        rows += con.execute(
            f"copy (select * from read_csv('{path}', header = true, all_varchar = true)) "
            f"to '{out}/{i}.parquet' (format parquet, compression zstd, compression_level 1)"
        ).fetchone()[0]
        con.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "floor": "read and write only",
        "seconds": round(seconds, 2),
        "rows": rows,
        "rows_per_s": round(rows / seconds),
        "cpu_seconds": round(cpu, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5)
    parser.add_argument("--dir", type=Path, required=True, help="work folder (kept)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--memory", default="4GB", help="TC_DUCKDB_MEMORY_LIMIT to share between the workers"
    )
    parser.add_argument("--floor", action="store_true")
    args = parser.parse_args()
    landing, generated = landing_folder(args.scale, args.dir)
    for _ in range(args.repeat):
        figures = ingest_all(landing, args.dir / "warehouse", args.workers, args.memory)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB -> GB
        figures["peak_rss_gb" + ("_with_generation" if generated else "")] = round(peak, 2)
        print(json.dumps(figures), flush=True)
    if args.floor:
        print(json.dumps(read_and_write_only(landing, args.dir / "floor")), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
