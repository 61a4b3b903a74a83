"""Ingestion of real files: every quarantine case of the landing contract, reruns,
renamed duplicates, and every file format."""

import gzip
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from ingestion.contract import entity
from ingestion.load import StoragePaths, ingest_entity, pending_files, read_log

HEADER = "order_id,contact_id,ordered_at,currency,amount,status,channel\n"
GOOD = "o1,c1,2025-01-01T10:00:00+01:00,EUR,10.00,completed,online\n"


@pytest.fixture
def land(tmp_path: Path):
    landing = tmp_path / "landing"
    paths = StoragePaths(tmp_path / "wh/raw", tmp_path / "wh/quarantine", tmp_path / "wh/log")

    def drop(relative: str, content: bytes | str, mtime: int | None = None) -> Path:
        p = landing / relative
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
        if mtime is not None:
            os.utime(p, (mtime, mtime))
        return p

    return landing, paths, drop


def _raw(paths: StoragePaths, qualified: str) -> pl.DataFrame:
    return pl.read_parquet(paths.raw(entity(qualified)) / "*.parquet")


def _quarantine(paths: StoragePaths, qualified: str) -> pl.DataFrame:
    return pl.read_parquet(paths.quarantine(entity(qualified)) / "*.parquet")


def test_bad_csv_rows_are_quarantined_with_line_raw_content_and_reason(land):
    landing, paths, drop = land
    body = (
        (
            HEADER
            + GOOD
            + "o2,c1,not-a-time,EUR,10,completed,online\n"
            + "o3,c1,2025-01-01T10:00:00Z,EUR,-4,completed,online\n"
            + "o4,c1,2025-01-01T10:00:00Z,EUR,4,teleported,online\n"
            + ",c1,2025-01-01T10:00:00Z,EUR,4,completed,online\n"
            + "o6,c1,2025-01-01T10:00:00Z\n"
        ).encode()
        + b"o7,c\xff\xfe,2025-01-01T10:00:00Z,EUR,4,completed,online\n"
        + (b"o8,c8,2025-01-02T10:00:00Z,EUR,8,completed,\n")
    )
    drop("sales/orders/day1.csv", body)
    report = ingest_entity(entity("sales/orders"), landing, paths)
    assert (report.rows_loaded, report.rows_quarantined) == (2, 6)
    assert sorted(_raw(paths, "sales/orders")["order_id"]) == ["o1", "o8"]
    q = _quarantine(paths, "sales/orders").sort("line_no")
    reasons = dict(zip(q["line_no"], q["reason"], strict=True))
    assert reasons[3] == "ordered_at: not a valid ts"
    assert reasons[4] == "amount: must be >= 0"
    assert reasons[5].startswith("status: unknown value")
    assert reasons[6] == "order_id: missing key"
    assert reasons[7] == "short row (missing columns)"
    assert reasons[8] == "invalid UTF-8"
    assert q.filter(pl.col("line_no") == 7)["raw"].item() == "o6,c1,2025-01-01T10:00:00Z"
    assert set(q["file_name"]) == {"day1.csv"}
    assert report.quarantine_reasons["invalid UTF-8"] == 1


def test_malformed_json_lines_are_quarantined_and_good_lines_load(land):
    landing, paths, drop = land
    drop(
        "costs/campaigns/c.jsonl",
        '{"campaign_id": "k1", "name": "Spring", "started_on": "2025-03-01"}\n'
        '{"campaign_id": "k2", "name": \n'
        "\n"
        '["not", "an", "object"]\n'
        '{"campaign_id": "k3", "name": "Autumn", "started_on": "2025-09-01", "budget": 3}\n',
    )
    report = ingest_entity(entity("costs/campaigns"), landing, paths)
    assert report.rows_loaded == 2
    q = _quarantine(paths, "costs/campaigns").sort("line_no")
    assert q["line_no"].to_list() == [2, 4]
    assert q["reason"].to_list() == ["malformed JSON line", "JSON line is not an object"]
    raw = _raw(paths, "costs/campaigns")
    assert raw.filter(pl.col("campaign_id") == "k3")["budget"].item() == "3"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("truncated.csv.gz", gzip.compress((HEADER + GOOD * 200).encode(), mtime=0)[:60], "gzip"),
        ("fake.parquet", (HEADER + GOOD * 3).encode(), "not a readable Parquet file"),
        ("binary.csv", bytes(range(256)) * 4, "whole file"),
        ("orders.xlsx", b"PK\x03\x04 not supported", "unsupported file extension"),
        ("wrong_columns.csv", "id,total\n1,2\n", "missing required column(s)"),
    ],
    ids=["truncated-gzip", "fake-parquet", "binary-csv", "unsupported-extension", "wrong-columns"],
)
def test_unreadable_files_are_quarantined_whole_and_the_run_goes_on(land, name, content, reason):
    landing, paths, drop = land
    drop(f"sales/orders/{name}", content)
    drop("sales/orders/good.csv", HEADER + GOOD)
    report = ingest_entity(entity("sales/orders"), landing, paths)
    assert report.files_quarantined == 1
    assert report.rows_loaded == 1
    q = _quarantine(paths, "sales/orders")
    assert q["line_no"].null_count() == 1
    assert reason in q.filter(pl.col("line_no").is_null())["reason"].item()


def test_empty_and_header_only_files_are_fine(land):
    landing, paths, drop = land
    drop("sales/orders/empty.csv", "")
    drop("sales/orders/header.csv", HEADER)
    drop("sales/orders/empty.jsonl", "")
    report = ingest_entity(entity("sales/orders"), landing, paths)
    # the two empty files have the same (empty) content: one is recorded as a duplicate
    assert (report.files_new, report.rows_loaded, report.rows_quarantined) == (2, 0, 0)
    assert report.files_quarantined == 0


def test_all_five_formats_load_the_same_rows(land, tmp_path):
    landing, paths, drop = land
    frame = pl.DataFrame(
        {
            "order_id": ["a", "b"],
            "ordered_at": ["2025-01-01T10:00:00+01:00", "2025-01-02 10:00:00"],
            "currency": ["EUR", "USD"],
            "amount": [1.5, 2.0],
            "status": ["completed", "refunded"],
        }
    )
    for i, ext in enumerate(("csv", "csv.gz", "jsonl", "jsonl.gz", "parquet")):
        f = frame.with_columns(pl.col("order_id") + str(i))
        path = tmp_path / f"x.{ext}"
        if ext == "parquet":
            f.write_parquet(path)
        elif ext.startswith("csv"):
            data = f.write_csv().encode()
            path.write_bytes(gzip.compress(data) if ext.endswith("gz") else data)
        else:
            data = f.write_ndjson().encode()
            path.write_bytes(gzip.compress(data) if ext.endswith("gz") else data)
        drop(f"sales/orders/drop{i}.{ext}", path.read_bytes())
    report = ingest_entity(entity("sales/orders"), landing, paths)
    assert (report.rows_loaded, report.rows_quarantined) == (10, 0)
    raw = _raw(paths, "sales/orders")
    assert raw.schema["ordered_at"] == pl.Datetime("us")
    assert raw.group_by(pl.col("order_id").str.slice(0, 1)).agg(pl.col("ordered_at").n_unique())[
        "ordered_at"
    ].to_list() == [1, 1]


def test_a_rerun_parses_nothing_and_a_renamed_copy_is_not_loaded_twice(land):
    landing, paths, drop = land
    first = drop("sales/orders/day1.csv", HEADER + GOOD)
    ingest_entity(entity("sales/orders"), landing, paths)
    again = ingest_entity(entity("sales/orders"), landing, paths)
    assert (again.files_new, again.rows_loaded) == (0, 0)

    shutil.copy(first, landing / "sales/orders/day1_copy.csv")
    assert pending_files(landing, paths) == [(landing / "sales/orders/day1_copy.csv").as_posix()]
    third = ingest_entity(entity("sales/orders"), landing, paths)
    assert (third.files_new, third.rows_loaded, third.files_skipped_known) == (0, 0, 2)
    assert _raw(paths, "sales/orders").height == 1
    log = read_log(paths, entity("sales/orders"))
    assert sorted(log["status"]) == ["duplicate_content", "loaded"]
    assert pending_files(landing, paths) == []


def test_only_new_files_are_parsed(land, monkeypatch):
    landing, paths, drop = land
    drop("sales/orders/day1.csv", HEADER + GOOD)
    ingest_entity(entity("sales/orders"), landing, paths)
    drop("sales/orders/day2.csv", HEADER + GOOD.replace("o1", "o2"))
    parsed = []
    import ingestion.load as load

    real = load.read_file
    monkeypatch.setattr(load, "read_file", lambda p, ext: parsed.append(p.name) or real(p, ext))
    report = ingest_entity(entity("sales/orders"), landing, paths)
    assert parsed == ["day2.csv"]
    assert report.rows_loaded == 1


def test_files_outside_the_contract_layout_are_reported(land):
    from ingestion.load import unknown_landing_files

    landing, _, drop = land
    drop("sales/refunds/x.csv", "a\n1\n")
    drop("notes.txt", "hello")
    drop("sales/orders/.partial.csv", HEADER)
    names = sorted(p.name for p in unknown_landing_files(landing))
    assert names == ["notes.txt", "x.csv"]
