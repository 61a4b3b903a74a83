"""How publication designs treat a BI reader that keeps one connection (docs/bi.md).

    .venv/bin/python scripts/publication_readers.py readers --seconds 20
    .venv/bin/python scripts/publication_readers.py latency --rows 1000000

`readers`: a reader process keeps one read-only connection and queries a two-mart
publication (mart a: v x 50,000 rows of value v; mart b: v) as fast as it can while
this process publishes new sets of other sizes, with three designs:
  - `renamed_file`: a DuckDB file of tables written beside the old one and renamed
    over it (the design before issue 20);
  - `current_link`: views over `parquet/<mart>.parquet`, `parquet` a symlink to the
    current set, swapped by rename;
  - `versioned_sets`: core.publish (views choosing the newest ready set).
It counts failed queries, queries that saw two sets at once (a's rows against b), and
how many of the published sets the reader saw.

`latency`: a customer_trust-like mart of `--rows` rows, published as a table (the
former design) and through core.publish (views over Parquet); median of 7 runs of
typical BI queries on each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.publish import publish

READER = textwrap.dedent(
    """
    import json, pathlib, sys, duckdb
    path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    con = duckdb.connect(path, read_only=True)
    queries = errors = mixed = 0
    seen, messages = set(), set()
    while not stop.exists():
        try:
            n, low, high, b = con.execute(
                "select count(*), min(v), max(v), (select v from marts.b) from marts.a"
            ).fetchone()
            queries += 1
            mixed += not (low == high == b and n == 50_000 * b)
            seen.add(b)
        except duckdb.Error as exc:
            errors += 1
            messages.add(str(exc).splitlines()[0][:90])
    print(json.dumps({"queries": queries, "errors": errors, "mixed": mixed,
                      "seen": sorted(seen), "messages": sorted(messages)[:3]}))
    """
)


def _warehouse(path: Path, value: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.a as select range as id, "
        f"{value} as v from range({50_000 * value})"
    )
    con.execute(f"create or replace table marts.b as select {value} as v")
    con.close()


def _renamed_file(warehouse: Path, published: Path, value: int) -> None:
    tmp = published / ".tmp.duckdb"
    con = duckdb.connect(str(tmp))
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute("create schema marts")
    for t in ("a", "b"):
        con.execute(f"create table marts.{t} as select * from wh.marts.{t}")
    con.close()
    os.replace(tmp, published / "trustcap.duckdb")


def _current_link(warehouse: Path, published: Path, value: int) -> None:
    folder = published / f"set-{value}-{time.monotonic_ns()}"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    for t in ("a", "b"):
        con.execute(f"copy wh.marts.{t} to '{folder / (t + '.parquet')}' (format parquet)")
    con.close()
    link = published / ".link"
    link.symlink_to(folder.name)
    os.replace(link, published / "parquet")
    if not (published / "trustcap.duckdb").exists():
        cat = duckdb.connect(str(published / "trustcap.duckdb"))
        cat.execute("create schema marts")
        for t in ("a", "b"):
            cat.execute(
                f"create view marts.{t} as select * from "
                f"read_parquet('{published / 'parquet' / (t + '.parquet')}')"
            )
        cat.close()
    sets = sorted((p for p in published.glob("set-*")), key=lambda p: p.stat().st_mtime)
    for old in sets[:-3]:
        shutil.rmtree(old)


def _versioned_sets(warehouse: Path, published: Path, value: int) -> None:
    publish(warehouse, published, ["a", "b"])


DESIGNS = {
    "renamed_file": _renamed_file,
    "current_link": _current_link,
    "versioned_sets": _versioned_sets,
}


def readers(seconds: float) -> None:
    for name, publisher in DESIGNS.items():
        root = Path(tempfile.mkdtemp(prefix=f"readers-{name}-"))
        warehouse, published = root / "warehouse.duckdb", root / "published"
        published.mkdir()
        _warehouse(warehouse, 1)
        publisher(warehouse, published, 1)
        stop = root / "stop"
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(published / "trustcap.duckdb"), str(stop)],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.5)
        values, end = [1], time.monotonic() + seconds
        while time.monotonic() < end:
            value = 2 + len(values) % 7
            _warehouse(warehouse, value)
            publisher(warehouse, published, value)
            values.append(value)
        time.sleep(0.5)
        stop.touch()
        result = json.loads(reader.communicate(timeout=120)[0])
        result["publications"] = len(values) - 1
        result["sets_published"] = sorted(set(values))
        print(name, json.dumps(result), flush=True)
        shutil.rmtree(root)


QUERIES = {
    "count": "select count(*) from marts.customer_trust",
    "group by tier": "select trust_tier, count(*), avg(trust_score) from marts.customer_trust "
    "group by 1",
    "first 100 rows": "select * from marts.customer_trust limit 100",
    "one contact": "select * from marts.customer_trust where contact_id = 'C0777777'",
    "top 20 by score": "select contact_id, trust_score from marts.customer_trust "
    "order by trust_score desc limit 20",
}


def latency(rows: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="latency-"))
    warehouse = root / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts")
    con.execute(
        "create table marts.customer_trust as select printf('C%07d', range) as contact_id, "
        "random() as trust_score, ['betrayed', 'at_risk', 'neutral', 'trusting', "
        "'advocate'][1 + (range % 5)::int] as trust_tier, (range % 17)::int as positive_events, "
        "(range % 5)::int as negative_events, timestamp '2026-10-31' - to_days((range % 700)::int) "
        "as last_event_at, range % 3 = 0 as is_engaged_online, range % 11 = 0 as "
        f"is_silent_satisfied, random() * 10 as r, random() * 3 as s from range({rows})"
    )
    con.close()
    timings = {}
    started = time.perf_counter()
    _renamed_file_table(warehouse, root / "as_table")
    timings["publication"] = {"table": time.perf_counter() - started}
    for _ in range(3):  # views read the newest of the kept sets
        started = time.perf_counter()
        publish(warehouse, root / "as_views", ["customer_trust"])
    timings["publication"]["views"] = time.perf_counter() - started
    for design in ("as_table", "as_views"):
        con = duckdb.connect(str(root / design / "trustcap.duckdb"), read_only=True)
        for name, sql in QUERIES.items():
            runs = []
            for _ in range(7):
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append(time.perf_counter() - t0)
            timings.setdefault(name, {})[design] = statistics.median(runs)
        con.close()
    for name, by in timings.items():
        print(f"{name:18s} " + "  ".join(f"{d} {1000 * t:8.1f} ms" for d, t in by.items()))
    shutil.rmtree(root)


def _renamed_file_table(warehouse: Path, published: Path) -> None:
    published.mkdir()
    con = duckdb.connect(str(published / "trustcap.duckdb"))
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute("create schema marts")
    con.execute("create table marts.customer_trust as select * from wh.marts.customer_trust")
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("readers").add_argument("--seconds", type=float, default=20)
    sub.add_parser("latency").add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.what == "readers":
        readers(args.seconds)
    else:
        latency(args.rows)


if __name__ == "__main__":
    main()
