"""The same landing data through the whole pipeline on DuckDB and on Spark: the
published marts agree (same columns and types, same rows, numbers equal after
rounding). Slow (Spark's start-up and per-query cost, about 4 minutes); pytest's
--durations in scripts/test.sh reports its time (the fixture's setup)."""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import math
import shutil
import time

import duckdb
import pytest

from core.publish import published_tables
from core.settings import Settings
from tests.conftest import environment
from tests.pipeline.conftest import make_world
from trustcap.run import run_pipeline

# its own xdist group: it runs on one worker beside the other pipeline tests
pytestmark = [pytest.mark.spark, pytest.mark.long, pytest.mark.xdist_group("spark")]

# the ROI fit and trust stock sum many doubles; the engines add them in other orders
SIGNIFICANT_DIGITS = 9
NOT_COMPARED = ("publication_info", "pipeline_quality")  # a log of each run, by design


def _normalised(value):
    if isinstance(value, float | decimal.Decimal):
        return float(f"{float(value):.{SIGNIFICANT_DIGITS}g}")
    return value


def published_marts(path) -> dict[str, tuple[list, list]]:
    """Per mart: its (column, type) list and its rows, normalised and sorted."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for t in published_tables(con) if t not in NOT_COMPARED]
        out = {}
        for t in tables:
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() "
                f"where schema_name = 'marts' and table_name = '{t}' order by column_index"
            ).fetchall()
            rows = [
                tuple(_normalised(v) for v in row)
                for row in con.execute(f"select * from marts.{t}").fetchall()
            ]
            out[t] = (columns, sorted(rows, key=repr))
        return out
    finally:
        con.close()


# session scope: xdist keeps the group on one worker but may run other modules' tests
# between its tests, and a module fixture would then be built twice (seen: 2 x 340 s)
@pytest.fixture(scope="session")
def both_engines(tmp_path_factory):
    # a missing engine fails the test: a skipped comparison would pass unseen
    if shutil.which("java") is None:
        pytest.fail("the cross-engine test needs Java 17 (Spark) on PATH")
    if importlib.util.find_spec("dbt.adapters.spark") is None:
        pytest.fail("the spark extra is not installed (scripts/setup.sh installs it)")
    root = tmp_path_factory.mktemp("engines")
    pw = make_world(root, scale=0.05)
    timings = {}
    published = {}
    for engine in ("duckdb", "spark"):
        wh = root / f"warehouse-{engine}"
        if engine == "spark":  # the same pseudonym key: the same people publish alike
            wh.mkdir(parents=True)
            shutil.copy2(root / "warehouse-duckdb" / "pseudonym.key", wh / "pseudonym.key")
        with environment(
            TC_LANDING_DIR=str(pw.settings.landing_dir),
            TC_WAREHOUSE_DIR=str(wh),
            DAGSTER_HOME=str(wh / "dagster_home"),
            TC_ENGINE=engine,
        ):
            started = time.perf_counter()
            result = run_pipeline(Settings.from_env())
            timings[engine] = time.perf_counter() - started
            assert result.success, f"the pipeline failed on {engine}"
            published[engine] = wh / "published"
    print(
        "\ncross-engine run times: " + ", ".join(f"{e} {t:.0f} s" for e, t in timings.items()),
        flush=True,
    )
    return published


def test_spark_built_the_marts_itself(both_engines):
    """Not a copy of DuckDB's: Spark's catalog holds every mart as a Parquet table and
    DuckDB's warehouse file was never written on the Spark side."""
    spark_wh = both_engines["spark"].parent
    assert not (spark_wh / "warehouse.duckdb").exists()
    tables = spark_wh / "spark" / "tables" / "marts.db"
    marts = published_marts(both_engines["duckdb"] / "trustcap.duckdb")
    for mart in marts:
        assert any((tables / mart).glob("*.parquet")), f"no Spark table for {mart}"


def test_every_published_mart_agrees_between_the_engines(both_engines):
    duck = published_marts(both_engines["duckdb"] / "trustcap.duckdb")
    spark = published_marts(both_engines["spark"] / "trustcap.duckdb")
    assert sorted(duck) == sorted(spark)
    # a world this small has no lasting step in its voice (test_launch.py plants one)
    filled = {m: v for m, v in duck.items() if m != "voice_level_shifts"}
    assert all(rows for _, rows in filled.values()), "a mart is empty: nothing compared"
    for mart in duck:
        duck_columns, duck_rows = duck[mart]
        spark_columns, spark_rows = spark[mart]
        assert spark_columns == duck_columns, f"{mart}: columns or types differ"
        assert len(spark_rows) == len(duck_rows), f"{mart}: row counts differ"
        mismatched = [
            (d, s) for d, s in zip(duck_rows, spark_rows, strict=True) if not _rows_agree(d, s)
        ]
        assert not mismatched, f"{mart}: {len(mismatched)} rows differ, e.g. {mismatched[0]}"


def _decimals(value: float) -> int | None:
    """Decimal places of a value the mart rounded (None: not rounded to <= 6)."""
    return next((d for d in range(7) if round(value, d) == value), None)


def _numbers_agree(a: float, b: float) -> bool:
    """Equal to 9 significant digits, or both rounded by the mart to d decimals and one
    unit of the last decimal apart: a half-way value (the median of two response
    times, 160.025 minutes) lands on either side when the engines' unrounded doubles
    differ in the last bit."""
    if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
        return True
    da, db = _decimals(a), _decimals(b)
    if da is None or db is None or max(da, db) < 2:
        return False
    return abs(a - b) <= 10 ** -max(da, db) * (1 + 1e-9)


def _rows_agree(duck_row: tuple, spark_row: tuple) -> bool:
    return all(
        _numbers_agree(d, s) if isinstance(d, float) and isinstance(s, float) else d == s
        for d, s in zip(duck_row, spark_row, strict=True)
    )


def test_the_comparison_tolerates_only_a_last_decimal_tie():
    assert _numbers_agree(160.03, 160.02)
    assert _numbers_agree(0.123456789012, 0.123456789013)
    assert not _numbers_agree(160.03, 160.01)
    assert not _numbers_agree(160.031, 160.02)  # not a value rounded to 2 decimals
    assert not _numbers_agree(496.0, 497.0)  # whole numbers and tenths get no leeway
    assert not _numbers_agree(0.5, 0.6)
    assert not _rows_agree(("a", 1.0), ("b", 1.0))


def test_the_parquet_publication_is_the_same_on_both_engines(both_engines):
    for engine, published in both_engines.items():
        files = sorted(p.name for p in (published / "parquet").glob("*.parquet"))
        assert files, engine
    duck_files = sorted(p.name for p in (both_engines["duckdb"] / "parquet").glob("*.parquet"))
    spark_files = sorted(p.name for p in (both_engines["spark"] / "parquet").glob("*.parquet"))
    assert spark_files == duck_files
    con = duckdb.connect()
    for name in duck_files:
        if name.removesuffix(".parquet") in NOT_COMPARED:
            continue
        d, s = (
            con.execute(
                f"select count(*) from read_parquet('{both_engines[e] / 'parquet' / name}')"
            ).fetchone()[0]
            for e in ("duckdb", "spark")
        )
        assert d == s, name


def test_dates_and_timestamps_keep_their_types_through_spark(both_engines):
    """Spark writes timestamps as UTC instants; the handover gives back plain UTC
    timestamps, so a BI tool sees the same types (checked above) and values."""
    con = duckdb.connect(str(both_engines["spark"] / "trustcap.duckdb"), read_only=True)
    try:
        kinds = {
            r[0]
            for r in con.execute(
                "select distinct data_type from duckdb_columns() where schema_name = 'marts'"
            ).fetchall()
        }
        first_day = con.execute("select min(date) from marts.responsiveness_daily").fetchone()[0]
    finally:
        con.close()
    assert "TIMESTAMP WITH TIME ZONE" not in kinds
    assert isinstance(first_day, dt.date)
