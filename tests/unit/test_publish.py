import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from trustcap.publish import publish


def _warehouse(path: Path, value: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        f"create or replace table marts.a as select range as id, {value} as v from range(1000)"
    )
    con.execute(f"create or replace table marts.b as select {value} as v")
    con.close()


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_publication_writes_duckdb_and_parquet_with_schema_marts(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"], run_id="r1")
    assert pub.row_counts == {"a": 1000, "b": 1}
    con = duckdb.connect(str(pub.path), read_only=True)
    assert con.execute("select count(*) from marts.a").fetchone()[0] == 1000
    assert con.execute("select run_id from marts.publication_info").fetchone()[0] == "r1"
    con.close()
    assert pl.read_parquet(tmp_path / "published/parquet/a.parquet").height == 1000
    assert not list((tmp_path / "published").glob(".*tmp*"))


def test_a_failed_publication_leaves_the_previous_one_byte_identical(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    publish(wh, tmp_path / "published", ["a", "b"])
    before = _digest(tmp_path / "published")
    _warehouse(wh, 2)
    with pytest.raises(duckdb.CatalogException):
        publish(wh, tmp_path / "published", ["a", "b", "missing_mart"])
    assert _digest(tmp_path / "published") == before


def test_republication_swaps_the_whole_parquet_set(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    publish(wh, tmp_path / "published", ["a", "b"])
    _warehouse(wh, 2)
    publish(wh, tmp_path / "published", ["a", "b"])
    assert pl.read_parquet(tmp_path / "published/parquet/b.parquet")["v"].item() == 2
    # the current set and the one before it (for readers mid-way), no more
    assert len(list((tmp_path / "published").glob("parquet-*"))) == 2


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, seconds = sys.argv[1], float(sys.argv[2])
    con = duckdb.connect(path, read_only=True)
    n, end = 0, time.time() + seconds
    while time.time() < end:
        con.execute("select sum(v) from marts.a").fetchone()
        n += 1
    print(n)
    """
)


def test_a_reader_keeps_querying_while_a_new_publication_is_swapped_in(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"])
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(pub.path), "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    for value in (2, 3):
        _warehouse(wh, value)
        publish(wh, tmp_path / "published", ["a", "b"])
    out, err = reader.communicate(timeout=30)
    assert reader.returncode == 0, err
    assert int(out) > 0
    con = duckdb.connect(str(pub.path), read_only=True)
    assert con.execute("select max(v) from marts.a").fetchone()[0] == 3
    con.close()


def test_empty_marts_are_explained_by_their_missing_inputs():
    from trustcap.publish import explain_empty_marts

    reasons = explain_empty_marts(
        {"a": 0, "b": 0, "c": 5},
        {"a": ["social/activities"], "b": ["crm/contacts"], "c": ["crm/contacts"]},
        {"social/activities": 0, "crm/contacts": 10},
    )
    assert reasons == {
        "a": "no rows in landing entity social/activities",
        "b": "its inputs have rows, but none qualifies (see the mart's description)",
    }
