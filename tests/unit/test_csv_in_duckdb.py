"""The CSV path in DuckDB (ingestion/csv_in_duckdb.py) against the reference: the
whole file read by readers.read_csv and judged by validate.validate (polars). Same
good rows (values, types, line numbers, order), same quarantined rows (line, raw
content, reasons), on values chosen to sit on every edge the two readers might
disagree on."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ingestion import csv_in_duckdb
from ingestion.contract import ENTITIES, entity
from ingestion.csv_in_duckdb import CsvInDuckDB
from ingestion.readers import LINE_NO, RAW, open_csv, read_csv
from ingestion.validate import DateWindow, validate

WINDOW = DateWindow(date(2000, 1, 1), date(2026, 12, 4))

# values per contract type, good and bad, in layouts both readers know and others
ODD = {
    "str": ["x", "X1", " x ", "  ", "\u3000", "\u00a0a", "é", "", "K\u212a", "a\tb", "'q'"],
    "int": ["0", "7", "-3", "007", "+5", " 5", "1.0", "1e3", "99999999999999999999", "x", "-0"],
    "float": [
        "0",
        "10.00",
        "-1",
        "1e3",
        "1E-2",
        "nan",
        "inf",
        "-inf",
        "1e400",
        "5.",
        ".5",
        "+1",
        " 2.5",
        "1e12",
        "1000000000001",
        "0.1",
        "1e-320",
        "x",
        "0.5",
    ],
    "bool": ["true", "False", "1", "0", "yes", "NO", "t", "F", "maybe", " true", "TRUE"],
    "ts": [
        "2025-03-01T10:00:00",
        "2025-03-01 10:00:00",
        "2025-03-01T10:00:00Z",
        "2025-03-01T10:00:00.5Z",
        "2025-03-01T10:00:00.123456+02:00",
        "2025-03-01T10:00:00-05:30",
        "2025-03-01T10:00:00+0100",
        "2025-03-01T10:00",
        "2025-03-01",
        " 2025-03-01T10:00:00 +01:00 ",
        "2025-02-30T10:00:00",
        "2025-03-01T24:00:00",
        "2025-03-01T10:00:60",
        "2062-01-01T00:00:00Z",
        "0001-01-01 00:00:00",
        "1999-12-31T23:59:59Z",
        "2000-01-01T00:30:00+01:00",
        "2026-12-04T23:59:59",
        "2026-12-05T00:00:00",
        "2025-03-01T10:00:00.1234567Z",
        "2025-03-01T10:00:00+25:00",
        "yesterday",
        "2025-03-01T10:00:00.Z",
    ],
    "date": [
        "2025-03-01",
        "2025-3-1",
        " 2025-03-01",
        "2025-02-29",
        "2024-02-29",
        "1900-01-01",
        "2027-03-01",
        "0202-03-01",
        "2025-03-01T00:00:00",
        "x",
        "2026-12-04",
        "2026-12-05",
    ],
}
ALLOWED_ODD = ["TWITTER", "Twitter", "linKedin", "lin\u212aedin", "twitter ", "mastodon"]


def _write_csv(path: Path, header: list[str], rows: list[list[str | None]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_text(out.getvalue())


def _in_duckdb(qualified: str, path: Path, tmp_path: Path, window=WINDOW):
    with CsvInDuckDB(entity(qualified), open_csv(path, False), window, tmp_path / "spill") as s:
        s.stage()
        out = tmp_path / "good.parquet"
        written = s.write_good(out, {"_file_hash": "'h'"}) if s.good_rows else 0
        good = pl.read_parquet(out).drop("_file_hash") if written else None
        bad = pl.concat(list(s.bad_batches())) if s.bad_rows else None
        return s.good_rows, good, s.bad_rows, bad, s.reason_counts()


def _reference(qualified: str, path: Path, window=WINDOW):
    result = read_csv(path, False)
    checked = validate(entity(qualified), result.rows, window)
    bad = pl.concat([result.rejects, checked.bad]).sort(LINE_NO)
    return checked.good, bad


def assert_same_as_reference(qualified: str, path: Path, tmp_path: Path, window=WINDOW) -> None:
    n_good, good, n_bad, bad, reasons = _in_duckdb(qualified, path, tmp_path, window)
    ref_good, ref_bad = _reference(qualified, path, window)
    assert (n_good, n_bad) == (ref_good.height, ref_bad.height)
    if ref_good.height:
        assert_frame_equal(good, ref_good)
    if ref_bad.height:
        assert_frame_equal(bad, ref_bad.select(LINE_NO, RAW, "reason"))
        assert reasons == dict(ref_bad.group_by("reason").len().iter_rows())


def _random_rows(qualified: str, n: int, seed: int) -> tuple[list[str], list[list[str | None]]]:
    """Mostly good rows with odd values sprinkled in, some keys repeated."""
    rnd = random.Random(seed)
    e = entity(qualified)
    header = [*e.column_names, "note_extra"]
    rows = []
    for i in range(n):
        row: list[str | None] = []
        for c in e.columns:
            if c.allowed:
                good = rnd.choice(c.allowed)
                pool = [good, good.upper(), *ALLOWED_ODD, None]
            elif c.pattern:
                pool = ["EUR", "usd", "EURO", "€UR", None]
            elif c.type == "str":
                pool = [f"{c.name[:2]}{i}", *ODD["str"], None]
            else:
                pool = [*ODD[c.type], None]
            if c.key and c.type == "str" and not c.allowed and rnd.random() < 0.9:
                value = f"k{rnd.randrange(n)}"  # repeats now and then
            elif rnd.random() < 0.6:
                value = pool[0]
            else:
                value = rnd.choice(pool)
            row.append(value)
        row.append(rnd.choice(["", "a note", " ", None]))
        rows.append(row)
    return header, rows


@pytest.mark.parametrize("qualified", [e.qualified for e in ENTITIES])
def test_every_entity_gives_the_reference_rows_on_odd_values(qualified, tmp_path):
    header, rows = _random_rows(qualified, 600, seed=len(qualified))
    path = tmp_path / "x.csv"
    _write_csv(path, header, rows)
    assert_same_as_reference(qualified, path, tmp_path)


@pytest.mark.parametrize("type_", sorted(ODD))
def test_each_odd_value_alone_gives_the_reference_result(type_, tmp_path):
    """Every odd value of a type, one per row, in a column of that type (and each in
    a nullable and a required column): good or bad, the same as the reference."""
    by_type = {
        "str": ("crm/contacts", "segment"),  # nullable text
        "int": ("social/accounts", "followers"),
        "float": ("social/activities", "sentiment"),
        "bool": ("crm/contacts", "marketing_opt_in"),
        "ts": ("crm/contacts", "created_at"),
        "date": ("costs/community_costs", "incurred_on"),
    }
    qualified, column = by_type[type_]
    e = entity(qualified)
    base = {
        "crm/contacts": {"contact_id": None, "created_at": "2025-01-01T00:00:00Z"},
        "social/accounts": {
            "platform": "twitter",
            "account_id": None,
            "followers": "1",
            "is_brand": "false",
        },
        "social/activities": {
            "platform": "twitter",
            "activity_id": None,
            "account_id": "u",
            "activity_type": "post",
            "created_at": "2025-01-01T00:00:00Z",
        },
        "costs/community_costs": {
            "cost_id": None,
            "incurred_on": "2025-01-01",
            "category": "ads",
            "amount": "1",
            "currency": "EUR",
        },
    }[qualified]
    key = e.keys[-1]
    rows = []
    for i, value in enumerate(ODD[type_] + [None]):
        row = {**base, key: f"k{i}", column: value}
        rows.append([row.get(n) for n in e.column_names if n in row or n == column])
    header = [n for n in e.column_names if n in base or n == column]
    path = tmp_path / "odd.csv"
    _write_csv(path, header, rows)
    assert_same_as_reference(qualified, path, tmp_path)
    assert_same_as_reference(qualified, path, tmp_path, window=None)


def test_rejected_records_keep_their_lines_and_the_rest_follow(tmp_path):
    """Short, long, badly encoded and badly quoted records among good ones, quoted
    line breaks, a duplicate of a bad row and of a good one, an extra column."""
    header = "order_id,contact_id,ordered_at,currency,amount,status,channel,utm\n"
    good = "o{},c1,2025-01-01T10:00:00Z,EUR,4,completed,online,x\n"
    body = (
        header
        + good.format(1)
        + "o2,c1\n"
        + good.format(3).replace(",x\n", ",x,y,z\n")
        + good.format(4)
        + '"o5","c\n1",2025-01-01T10:00:00Z,EUR,4,completed,online,"multi\nline"\n'
        + good.format(6)
    ).encode()
    body += b"o7,c\xff,2025-01-01T10:00:00Z,EUR,4,completed,online,x\n"
    body += (
        'o8,c1,2025-01-01T10:00:00Z,EUR,4,completed,online,"bad"quote\n'
        + good.format(9)
        + good.format(1)  # a duplicate of a good row: quarantined
        + "o10,c1,not-a-time,EUR,4,completed,online,x\n"
        + "o10,c1,2025-01-01T10:00:00Z,EUR,-4,completed,online,x\n"  # bad and duplicate
        + "O11,C1,2025-01-01 10:00,eur,4,Completed,ONLINE,x\n"  # good, unusual layouts
        + "O11,C1,2025-01-01T10:00:00Z,EUR,4,completed,online,x\n"  # duplicate of it
        + good.format(12)
    ).encode()
    path = tmp_path / "orders.csv"
    path.write_bytes(body)
    assert_same_as_reference("sales/orders", path, tmp_path)
    _, _, _, bad, _ = _in_duckdb("sales/orders", path, tmp_path)
    assert {"short row (missing columns)", "invalid UTF-8", "duplicate key within file"} <= set(
        bad["reason"]
    )


def test_a_file_larger_than_a_batch_gives_the_reference_rows(tmp_path, monkeypatch):
    """Several polars batches (of the records DuckDB does not vouch for) and rejected
    records spread over the file."""
    monkeypatch.setattr(csv_in_duckdb, "BATCH_ROWS", 50)
    header, rows = _random_rows("social/activities", 3000, seed=11)
    path = tmp_path / "acts.csv"
    _write_csv(path, header, rows)
    lines = path.read_text().splitlines(keepends=True)
    for i in range(5, len(lines), 397):
        lines[i] = "twitter,short\n"
    path.write_text("".join(lines))
    assert_same_as_reference("social/activities", path, tmp_path)


def test_a_header_without_a_required_column_is_refused_before_reading(tmp_path):
    from ingestion.validate import MissingColumnsError

    path = tmp_path / "x.csv"
    path.write_text("order_id,amount\no1,3\n")
    with pytest.raises(MissingColumnsError, match="missing required column"):
        CsvInDuckDB(entity("sales/orders"), open_csv(path, False), WINDOW, tmp_path / "s")


def test_a_column_named_reason_is_kept_as_an_extra_column(tmp_path):
    """A file's own column `reason` is an extra column like any other, never mixed
    with the reasons worked out for its rows."""
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,ordered_at,currency,amount,status,reason\n"
        "o1,2025-01-01T10:00:00Z,EUR,4,completed,gift\n"
        "o2,2025-01-01T10:00:00Z,EUR,-4,completed,refund\n"
    )
    assert_same_as_reference("sales/orders", path, tmp_path)
    _, good, _, bad, _ = _in_duckdb("sales/orders", path, tmp_path)
    assert good["reason"].to_list() == ["gift"]
    assert bad["reason"].to_list() == ["amount: must be >= 0"]
    assert '"reason":"refund"' in bad[RAW].item()
