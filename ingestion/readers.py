"""Read one landing file: JSONL and Parquet into a polars frame of untyped values
plus rejects; CSV opened (header read) for csv_in_duckdb.py, which reads its rows.

CSV and JSONL are tokenised by DuckDB (its CSV reader records rejected lines with
line number, raw text and reason, which polars' reader cannot); every value comes
back as a string so that typing is decided by the contract in `validate.py`, never
by inference from the first rows. Parquet is read by polars with its own types.
Nothing here touches the warehouse.

The path a reader gets may be a handle's path (`/dev/fd/<n>`, see load.py): it is
never a pattern. A line longer than MAX_LINE_BYTES is quarantined alone.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

LINE_NO = "_line_no"
RAW = "_raw"
# the longest line (CSV record or JSON line) read; a longer one is quarantined alone
MAX_LINE_BYTES = 10_000_000

_REJECT_REASONS = {
    "MISSING COLUMNS": "short row (missing columns)",
    "TOO MANY COLUMNS": "long row (too many columns)",
    "INVALID ENCODING": "invalid UTF-8",
    "UNQUOTED VALUE": "malformed quoting",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "CAST ERROR": "malformed row",
}


class UnreadableFileError(Exception):
    """The file cannot be read at all; it is quarantined whole with this reason."""


@dataclass
class ReadResult:
    rows: pl.DataFrame  # one row per record, LINE_NO set, RAW set where the reader has it
    rejects: pl.DataFrame  # LINE_NO, RAW, reason


def _empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={LINE_NO: pl.Int64, RAW: pl.String, "reason": pl.String})


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _good_line_numbers(n_good: int, rejected_lines: np.ndarray) -> np.ndarray:
    """Line numbers of the accepted records: all record lines minus rejected ones.

    DuckDB keeps file order for one file and reports line = record number + 1
    (the header is line 1), so the accepted rows fill the remaining numbers in order.
    """
    rejected = np.unique(rejected_lines.astype(np.int64))
    total = n_good + len(rejected)
    all_lines = np.arange(2, total + 2, dtype=np.int64)
    return np.setdiff1d(all_lines, rejected, assume_unique=True)[:n_good]


def _check_gzip(path: Path) -> None:
    # DuckDB reads a truncated gzip up to the cut without complaint in some
    # versions; a full decompression pass makes the failure explicit.
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 24):
                pass
    except (OSError, EOFError) as exc:
        raise UnreadableFileError(f"not a readable gzip file: {exc}") from None


def _header_lines(path: Path, compressed: bool) -> Iterator[str]:
    """The file's first lines (a line ends at LF, CRLF or CR), decoded, each at most
    MAX_LINE_BYTES characters."""
    with gzip.open(path, "rb") if compressed else path.open("rb") as raw:
        # decoded in chunks: bad bytes further on are the rows' business, not the header's
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        while line := text.readline(MAX_LINE_BYTES + 1):
            if len(line) > MAX_LINE_BYTES:
                raise UnreadableFileError(
                    f"no line break in the first {MAX_LINE_BYTES:,} bytes: the header row "
                    "is too long (not a CSV file with a header row?)"
                )
            if "\ufffd" in line:
                raise UnreadableFileError("the header row is not valid UTF-8")
            yield line


def read_csv_header(path: Path, compressed: bool) -> list[str]:
    """Column names of the header row (RFC 4180 quoting), read by Python: DuckDB's
    sniffer fails a whole file on one over-long line, so its sniffing is not used."""
    try:
        names = next(csv.reader(_header_lines(path, compressed), strict=True), [])
    except csv.Error as exc:
        raise UnreadableFileError(f"the header row is not valid CSV: {exc}") from None
    names = [n if n.strip() else f"column{i}" for i, n in enumerate(names)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise UnreadableFileError(f"the header row repeats column(s): {', '.join(duplicated)}")
    return names


@dataclass(frozen=True)
class CsvFile:
    """A CSV landing file whose header row was read; its rows are read, typed and
    checked in DuckDB (ingestion/csv_in_duckdb.py), never held whole in memory."""

    path: Path
    compressed: bool
    header: list[str]


def csv_rows_sql(csv: CsvFile, rejects_table: str = "rejects") -> str:
    """DuckDB's reader over the file, every value text: one row per record, in file
    order; rejected records go to `rejects_table` (line, csv_line, error_type)."""
    columns = "{" + ", ".join(f"{_sql_string(n)}: 'VARCHAR'" for n in csv.header) + "}"
    return f"""read_csv({_sql_string(str(csv.path))},
                header = true, auto_detect = false, columns = {columns},
                delim = ',', quote = '"', escape = '"', strict_mode = true,
                null_padding = false, compression = '{"gzip" if csv.compressed else "none"}',
                store_rejects = true, rejects_table = '{rejects_table}',
                rejects_scan = '{rejects_table}_scans', max_line_size = {MAX_LINE_BYTES})"""


def grouped_rejects_sql(rejects_table: str = "rejects") -> str:
    """One row per rejected record: its line, text and reason(s) (the reader's words
    in `_REJECT_REASONS`)."""
    reason = (
        "case err "
        + " ".join(
            f"when {_sql_string(k)} then {_sql_string(v)}" for k, v in _REJECT_REASONS.items()
        )
        + " else err end"
    )
    return f"""select line::bigint as line, raw, {reason} as reason from (
                select line, any_value(csv_line) as raw, string_agg(distinct error_type, ', ') as err
                from {rejects_table} group by line)"""


def open_csv(path: Path, compressed: bool) -> CsvFile | ReadResult:
    """The file with its header read, or an empty result for a file of no bytes."""
    if compressed:
        _check_gzip(path)
    if path.stat().st_size == 0:
        return ReadResult(pl.DataFrame(schema={LINE_NO: pl.Int64}), _empty_rejects())
    return CsvFile(path, compressed, read_csv_header(path, compressed))


def read_csv(path: Path, compressed: bool) -> ReadResult:
    """The whole file in memory, every value text: the reference the DuckDB path is
    tested against (tests/unit/test_csv_in_duckdb.py)."""
    opened = open_csv(path, compressed)
    if isinstance(opened, ReadResult):
        return opened
    con = duckdb.connect()
    try:
        rows = con.sql(f"select * from {csv_rows_sql(opened)}").pl()
        rejects = con.sql(f"{grouped_rejects_sql()} order by line").pl()
    except duckdb.Error as exc:
        raise UnreadableFileError(f"not a readable CSV file: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    rows = rows.with_columns(
        pl.Series(LINE_NO, _good_line_numbers(rows.height, rejects["line"].to_numpy()))
    )
    rejects = rejects.select(
        pl.col("line").cast(pl.Int64).alias(LINE_NO),
        pl.col("raw").cast(pl.String).alias(RAW),
        pl.col("reason").cast(pl.String),
    )
    return ReadResult(rows, rejects)


def read_jsonl(path: Path, compressed: bool) -> ReadResult:
    if compressed:
        _check_gzip(path)
    if path.stat().st_size == 0:
        return ReadResult(pl.DataFrame(schema={LINE_NO: pl.Int64}), _empty_rejects())
    con = duckdb.connect()
    try:
        # One record per line. \x1e cannot appear unescaped in valid JSON, so
        # using it as the separator keeps each line whole.
        con.execute(
            f"""create table lines as
                select * from read_csv({_sql_string(str(path))},
                    header = false, auto_detect = false, columns = {{'line': 'VARCHAR'}},
                    delim = '\x1e', quote = '', escape = '', strict_mode = true,
                    null_padding = false, compression = '{"gzip" if compressed else "none"}',
                    store_rejects = true, rejects_table = 'rejects',
                    rejects_scan = 'reject_scans', max_line_size = {MAX_LINE_BYTES})"""
        )
        rejects = con.sql(
            "select line, any_value(csv_line) as raw, string_agg(distinct error_type, ', ') as err "
            "from rejects group by line order by line"
        ).pl()
        n_good = con.sql("select count(*) from lines").fetchone()[0]
        # header=false: line numbers start at 1, so shift the helper's numbering by one
        line_numbers = _good_line_numbers(n_good, rejects["line"].to_numpy() + 1) - 1
        con.register("line_numbers", pl.DataFrame({LINE_NO: line_numbers}).to_arrow())
        con.execute(
            f"""create table numbered as
                select l.line, n.{LINE_NO},
                    coalesce(case when json_valid(l.line) then json_type(l.line) = 'OBJECT' end,
                             false) as is_object
                from (select line, row_number() over () as rn from lines) l
                join (select {LINE_NO}, row_number() over () as rn from line_numbers) n using (rn)
                where trim(coalesce(l.line, '')) <> ''"""
        )
        keys = [
            r[0]
            for r in con.sql(
                "select distinct unnest(case when is_object then json_keys(line) end) as k "
                "from numbered where is_object order by 1"
            ).fetchall()
        ]
        extracts = "".join(
            f", case when is_object then json_extract_string(line, "
            f"{_sql_string('$.' + _json_path_key(k))}) end "
            f"as {_ident(k)}"
            for k in keys
        )
        good = con.sql(
            f"select {LINE_NO}, line as {RAW}{extracts} from numbered "
            "where is_object order by " + LINE_NO
        ).pl()
        bad_json = con.sql(
            f"""select {LINE_NO}, line as {RAW},
                    case when json_valid(line) then 'JSON line is not an object'
                         else 'malformed JSON line' end as reason
                from numbered
                where not is_object"""
        ).pl()
    except duckdb.Error as exc:
        raise UnreadableFileError(
            f"not a readable JSON-lines file: {str(exc).splitlines()[0]}"
        ) from None
    finally:
        con.close()
    if good.height == 0 and bad_json.height > 0 and rejects.height == 0:
        raise UnreadableFileError(
            f"not a JSON-lines file: none of its {bad_json.height} lines is a JSON object"
        )
    reasons = pl.col("err").replace_strict(_REJECT_REASONS, default=pl.col("err"))
    tokenizer_rejects = rejects.select(
        pl.col("line").cast(pl.Int64).alias(LINE_NO),
        pl.col("raw").cast(pl.String).alias(RAW),
        reasons.cast(pl.String).alias("reason"),
    )
    all_rejects = pl.concat(
        [tokenizer_rejects, bad_json.with_columns(pl.col(LINE_NO).cast(pl.Int64))]
    ).sort(LINE_NO)
    return ReadResult(good.with_columns(pl.col(LINE_NO).cast(pl.Int64)), all_rejects)


def _readable_type(dtype: pl.DataType) -> bool:
    """A Parquet column type ingestion can type or keep as text. Binary, durations and
    objects it cannot (binary panicked polars' JSON writer: "Writing BinaryView to
    JSON")."""
    if isinstance(dtype, pl.List | pl.Array):
        return _readable_type(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return all(_readable_type(f.dtype) for f in dtype.fields)
    return (
        dtype.is_numeric()
        or isinstance(dtype, pl.Datetime | pl.Enum | pl.Categorical)
        or dtype in (pl.String, pl.Boolean, pl.Date, pl.Time, pl.Null)
    )


def read_parquet(path: Path) -> ReadResult:
    try:
        rows = pl.read_parquet(path, glob=False)
    except Exception as exc:  # polars raises several error types for non-parquet bytes
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableFileError(f"not a readable Parquet file: {first_line}") from None
    unreadable = [
        f"{name} ({dtype})" for name, dtype in rows.schema.items() if not _readable_type(dtype)
    ]
    if unreadable:
        raise UnreadableFileError(
            f"column type(s) outside the landing contract: {', '.join(unreadable)}; "
            "convert or drop the column(s)"
        )
    rows = rows.with_columns(
        pl.col(name).cast(pl.String)
        for name, dtype in rows.schema.items()
        if isinstance(dtype, pl.Enum | pl.Categorical)
    ).with_columns(pl.int_range(1, rows.height + 1, dtype=pl.Int64).alias(LINE_NO))
    return ReadResult(rows, _empty_rejects())


def read_file(path: Path, ext: str) -> ReadResult | CsvFile:
    """JSON lines and Parquet read whole; a CSV file opened (its header read) for
    csv_in_duckdb.py, which reads its rows in bounded memory."""
    if ext in ("csv", "csv.gz"):
        return open_csv(path, compressed=ext.endswith(".gz"))
    if ext in ("jsonl", "jsonl.gz"):
        return read_jsonl(path, compressed=ext.endswith(".gz"))
    if ext == "parquet":
        return read_parquet(path)
    raise UnreadableFileError(f"unsupported file extension {ext!r}")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_path_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'
