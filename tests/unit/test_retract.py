"""Retraction: a landing file and every row it loaded are withdrawn, and the same
content is not loaded again (the marts side is tests/pipeline/test_inputs_judged.py)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.retraction import WarehouseBusyError, drop_relations, incremental_relations
from ingestion.contract import entity
from ingestion.load import StoragePaths, ingest_entity, pending_files, read_log
from ingestion.retract import RetractionError, find_ingested, retract
from tests.conftest import environment
from trustcap.cli import main

HEADER = "order_id,contact_id,ordered_at,currency,amount,status,channel\n"
ORDERS = entity("sales/orders")


@pytest.fixture
def landed(tmp_path: Path):
    landing = tmp_path / "landing"
    folder = landing / "sales/orders"
    folder.mkdir(parents=True)
    (folder / "good.csv").write_text(HEADER + "o1,c1,2025-01-01,EUR,10,completed,online\n")
    (folder / "bad.csv").write_text(
        HEADER
        + "o2,c1,2025-01-02,EUR,1e11,completed,online\n"
        + "o3,c1,2025-01-02,EUR,-1,completed,online\n"
    )
    (folder / "bad_copy.csv").write_bytes((folder / "bad.csv").read_bytes())
    paths = StoragePaths(tmp_path / "wh/raw", tmp_path / "wh/quarantine", tmp_path / "wh/log")
    ingest_entity(ORDERS, landing, paths)
    return landing, paths


def _stored(paths: StoragePaths) -> pl.DataFrame:
    return pl.read_parquet(paths.raw(ORDERS) / "*.parquet")


def test_a_retracted_file_leaves_no_row_behind_and_is_not_loaded_again(landed):
    landing, paths = landed
    assert sorted(_stored(paths)["order_id"]) == ["o1", "o2"]
    bad = find_ingested(paths, str(landing / "sales/orders/bad.csv"))
    assert set(bad.file_paths) == {
        (landing / "sales/orders" / n).as_posix() for n in ("bad.csv", "bad_copy.csv")
    }
    done = retract(paths, bad)
    assert (done.raw_rows_removed, done.quarantine_rows_removed) == (1, 1)
    assert _stored(paths)["order_id"].to_list() == ["o1"]
    assert not (paths.quarantine(ORDERS) / f"{bad.file_hash}.parquet").exists()
    log = read_log(paths, ORDERS)
    mine = log.filter(pl.col("file_hash") == bad.file_hash)
    assert set(mine["status"]) == {"retracted"} and mine.height == 2
    assert mine["rows_loaded"].sum() == mine["rows_quarantined"].sum() == 0
    # the landing file is still there: a rerun neither reloads it nor sees it as new
    assert pending_files(landing, paths) == []
    again = ingest_entity(ORDERS, landing, paths)
    assert (again.files_new, again.rows_loaded) == (0, 0)
    assert _stored(paths)["order_id"].to_list() == ["o1"]
    # a copy under a new name is the same content: withdrawn too
    (landing / "sales/orders/bad_again.csv").write_bytes(
        (landing / "sales/orders/bad.csv").read_bytes()
    )
    assert ingest_entity(ORDERS, landing, paths).rows_loaded == 0


def test_a_file_is_found_by_hash_prefix_or_by_content_when_its_path_changed(landed, tmp_path):
    landing, paths = landed
    good = find_ingested(paths, str(landing / "sales/orders/good.csv"))
    assert find_ingested(paths, good.file_hash[:10]).file_hash == good.file_hash
    assert find_ingested(paths, good.file_hash.upper()).file_hash == good.file_hash
    moved = tmp_path / "elsewhere.csv"
    moved.write_bytes((landing / "sales/orders/good.csv").read_bytes())
    assert find_ingested(paths, str(moved)).file_hash == good.file_hash


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nothing/here.csv", "no ingested file matches"),
        ("deadbeef", "no ingested file has a content hash starting with"),
        ("abc", "no ingested file matches"),
    ],
)
def test_what_cannot_be_found_says_so_in_one_line(landed, target, message):
    _, paths = landed
    with pytest.raises(RetractionError, match=message) as caught:
        find_ingested(paths, target)
    assert "\n" not in str(caught.value)


def test_a_file_that_was_never_ingested_is_named(landed, tmp_path):
    _, paths = landed
    stranger = tmp_path / "stranger.csv"
    stranger.write_text(HEADER)
    with pytest.raises(RetractionError, match="was never ingested"):
        find_ingested(paths, str(stranger))


def test_trustcap_retract_withdraws_and_answers_in_one_line(tmp_path, capsys):
    landing = tmp_path / "landing"
    (landing / "sales/orders").mkdir(parents=True)
    (landing / "sales/orders/bad.csv").write_text(
        HEADER + "o9,c1,2025-01-02,EUR,5,completed,online\n"
    )
    with environment(TC_LANDING_DIR=str(landing), TC_WAREHOUSE_DIR=str(tmp_path / "wh")):
        from core.settings import Settings

        s = Settings.from_env()
        paths = StoragePaths(s.raw_dir, s.quarantine_dir, s.ingest_log_dir)
        ingest_entity(ORDERS, landing, paths)
        assert main(["retract", str(landing / "sales/orders/bad.csv")]) == 0
        out = capsys.readouterr().out
        assert "Retracted sales/orders bad.csv" in out and "1 loaded rows" in out
        assert main(["retract", str(landing / "sales/orders/bad.csv")]) == 0
        assert "was already retracted" in capsys.readouterr().out
        assert main(["retract", "sales/orders/none.csv"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("trustcap retract: no ingested file matches") and err.count("\n") == 1
    assert set(read_log(paths, ORDERS)["status"]) == {"retracted"}


def test_the_incremental_models_are_dropped_so_the_next_run_builds_them_whole(tmp_path):
    relations = incremental_relations()
    assert ("intermediate", "int_orders_converted") in relations
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_orders_converted as select 1 as x")
    con.execute("create table intermediate.int_fx_rates_filled as select 1 as x")
    con.close()
    assert drop_relations(warehouse, relations) == ["intermediate.int_orders_converted"]
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select table_name from duckdb_tables()").fetchall() == [
        ("int_fx_rates_filled",)
    ]
    con.close()
    assert drop_relations(tmp_path / "none.duckdb", relations) == []


def test_a_warehouse_held_by_a_run_is_said_and_nothing_is_dropped(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_orders_converted as select 1 as x")
    con.close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(warehouse)!r})
                print("held", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusyError, match="is in use"):
            drop_relations(warehouse, [("intermediate", "int_orders_converted")])
    finally:
        holder.communicate("")
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from intermediate.int_orders_converted").fetchone() == (1,)
    con.close()
