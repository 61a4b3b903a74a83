"""Load new landing files of one entity into raw Parquet storage.

Storage, per entity (all under the warehouse folder):
  raw/<source>/<entity>/<file hash>.parquet      typed good rows of one landing file
  raw/<source>/<entity>/schema.parquet           zero rows, the contract's columns and types
  quarantine/<source>/<entity>/<file hash>.parquet  rejected rows (line, raw content, reason)
  ingest_log/<source>__<entity>.parquet          one row per distinct file content seen

A file is identified by the SHA-256 of its content, so the same content under
another name is never loaded twice. Only files whose content is new are parsed.
Writes go to a temporary name and are renamed into place, and the log is
written last: a crash leaves at worst a batch that the next run rewrites
identically. "Last file wins" is resolved downstream (dbt staging) from the
`_file_mtime` and `_file_name` columns kept on every row.

Landing files are read as files, never as patterns: each is opened once and
hashed and parsed through that handle (`/dev/fd/<n>`), so a name such as
`[ab].csv` or `*.csv` is that file only, and what is hashed is what is loaded. A
symbolic link that leads out of the landing folder is refused (recorded as a
quarantined file, never read). A file modified less than `settle_seconds` ago is
watched that long, and one that changes meanwhile (or while it is read) is left
for the next run.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from ingestion.contract import ENTITIES, Entity, split_extension
from ingestion.csv_in_duckdb import MEMORY_LIMIT, CsvInDuckDB
from ingestion.readers import LINE_NO, RAW, CsvFile, UnreadableFileError, read_file
from ingestion.validate import POLARS_TYPES, DateWindow, MissingColumnsError, validate
from shared.files import write_atomic

SCHEMA_FILE = "schema.parquet"

META_COLUMNS = {
    "_file_hash": pl.String(),
    "_file_name": pl.String(),
    "_file_mtime": pl.Datetime("us"),
    LINE_NO: pl.Int64(),
}
LOG_SCHEMA = {
    "file_hash": pl.String(),
    "file_path": pl.String(),
    "file_size": pl.Int64(),
    "file_mtime": pl.Datetime("us"),
    "file_mtime_ns": pl.Int64(),
    "status": pl.String(),  # loaded | quarantined | duplicate_content | retracted
    "rows_loaded": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "reason": pl.String(),
    "ingested_at": pl.Datetime("us"),
}
QUARANTINE_SCHEMA = {
    "source": pl.String(),
    "entity": pl.String(),
    "file_hash": pl.String(),
    "file_name": pl.String(),
    "line_no": pl.Int64(),
    "raw": pl.String(),
    "reason": pl.String(),
    "quarantined_at": pl.Datetime("us"),
}


# the raw content kept for one quarantined line (a 50 MB line keeps its head)
RAW_KEPT_CHARS = 10_000


@dataclass(frozen=True)
class InputRules:
    """How landing files are judged beyond the contract's columns, and the memory a
    CSV file's reader may use before it spills; the settings make them
    (Settings.input_rules). These defaults judge nothing more: no date window, no
    settle time."""

    date_min: date | None = None
    date_max: date | None = None
    settle_seconds: float = 0.0
    csv_memory_limit: str = MEMORY_LIMIT

    @property
    def window(self) -> DateWindow | None:
        if self.date_min is None or self.date_max is None:
            return None
        return DateWindow(self.date_min, self.date_max)


@dataclass(frozen=True)
class LandingFile:
    path: Path  # as found under the landing folder
    stat: os.stat_result  # of what is read (of the link itself when refused)
    refused: str | None = None  # why it is not read at all

    @property
    def stat_key(self) -> tuple[str, int, int]:
        return (self.path.as_posix(), self.stat.st_size, self.stat.st_mtime_ns)


@dataclass(frozen=True)
class StoragePaths:
    raw_dir: Path
    quarantine_dir: Path
    ingest_log_dir: Path

    def raw(self, entity: Entity) -> Path:
        return self.raw_dir / entity.source / entity.name

    def quarantine(self, entity: Entity) -> Path:
        return self.quarantine_dir / entity.source / entity.name

    def log(self, entity: Entity) -> Path:
        return self.ingest_log_dir / f"{entity.table}.parquet"


@dataclass
class IngestReport:
    entity: str
    files_seen: int = 0
    files_new: int = 0
    files_skipped_known: int = 0
    files_quarantined: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_total: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    new_files: list[str] = field(default_factory=list)
    files_refused: int = 0  # symbolic links out of the landing folder
    waiting_files: list[str] = field(default_factory=list)  # still being written


def scan_landing(landing_dir: Path, entity: Entity) -> list[LandingFile]:
    """Files of one entity, in load order (modification time, then name).

    Dot-files are skipped: they are how writers mark files still being written. A
    file that resolves outside the landing folder (a symbolic link, or one under a
    linked folder) comes back refused, with its link's own stat.
    """
    folder = landing_dir / entity.source / entity.name
    if not folder.is_dir():
        return []
    root = landing_dir.resolve()
    files = []
    for p in folder.rglob("*"):
        if any(part.startswith(".") for part in p.relative_to(folder).parts) or not p.is_file():
            continue
        target = p.resolve()
        if target.is_relative_to(root):
            files.append(LandingFile(p, p.stat()))
        else:
            files.append(
                LandingFile(
                    p,
                    p.lstat(),
                    f"resolves through a symbolic link to {target}, outside the landing "
                    "folder: refused, not read",
                )
            )
    return sorted(files, key=lambda f: (f.stat.st_mtime_ns, f.path.name))


def unknown_landing_files(landing_dir: Path) -> list[Path]:
    """Files in the landing root that belong to no contract entity (reported, not loaded)."""
    if not landing_dir.is_dir():
        return []
    known = {(e.source, e.name) for e in ENTITIES}
    out = []
    for p in landing_dir.rglob("*"):
        if not p.is_file() or any(
            part.startswith(".") for part in p.relative_to(landing_dir).parts
        ):
            continue
        parts = p.relative_to(landing_dir).parts
        if len(parts) < 3 or (parts[0], parts[1]) not in known:
            out.append(p)
    return sorted(out)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_sleep = time.sleep  # tests replace it to write into a file while it settles


def _restat(f: LandingFile) -> os.stat_result | None:
    try:
        return f.path.lstat() if f.refused else f.path.stat()
    except FileNotFoundError:
        return None


def _unchanged(a: os.stat_result | None, b: os.stat_result) -> bool:
    return a is not None and (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def settle(
    files: list[LandingFile], settle_seconds: float
) -> tuple[list[LandingFile], list[LandingFile]]:
    """(ready, still being written). A file modified less than `settle_seconds` ago is
    watched until it is that old (one wait for all, at most `settle_seconds`); if its
    size or modification time changes meanwhile, it waits for the next run."""
    if settle_seconds <= 0:
        return files, []
    now = time.time()
    ages = {id(f): now - f.stat.st_mtime_ns / 1e9 for f in files}
    young = [f for f in files if ages[id(f)] < settle_seconds]  # a future mtime too
    if not young:
        return files, []
    _sleep(max(settle_seconds - max(ages[id(f)], 0.0) for f in young))
    moving = {id(f) for f in young if not _unchanged(_restat(f), f.stat)}
    return [f for f in files if id(f) not in moving], [f for f in files if id(f) in moving]


class _OpenedFile:
    """One landing file opened once: hashed and parsed through the same handle, so
    its name is never read as a pattern and what is hashed is what is parsed."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        self.stat = os.fstat(self.fd)

    @property
    def location(self) -> Path:
        """A path to the open handle, for readers that take paths (DuckDB, polars)."""
        return Path(f"/dev/fd/{self.fd}")

    def sha256(self) -> str:
        digest = hashlib.sha256()
        offset = 0
        while chunk := os.pread(self.fd, 1 << 22, offset):
            digest.update(chunk)
            offset += len(chunk)
        return digest.hexdigest()

    def changed(self) -> bool:
        """Whether the file was written to since it was opened."""
        return not _unchanged(os.fstat(self.fd), self.stat)

    def close(self) -> None:
        os.close(self.fd)


@contextmanager
def entity_lock(paths: StoragePaths, entity: Entity) -> Iterator[None]:
    """One writer of an entity's storage at a time (ingestion, retraction)."""
    paths.ingest_log_dir.mkdir(parents=True, exist_ok=True)
    with (paths.ingest_log_dir / f".{entity.table}.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(frame: pl.DataFrame, path: Path) -> None:
    write_atomic(path, lambda tmp: frame.write_parquet(tmp, compression="zstd", statistics=True))


def read_log(paths: StoragePaths, entity: Entity) -> pl.DataFrame:
    path = paths.log(entity)
    if path.exists():
        return pl.read_parquet(path)
    return pl.DataFrame(schema=LOG_SCHEMA)


def _schema_frame(entity: Entity) -> pl.DataFrame:
    return pl.DataFrame(
        schema={c.name: POLARS_TYPES[c.type] for c in entity.columns} | META_COLUMNS
    )


def _quarantine_frame(
    entity: Entity, file_hash: str, file_name: str, rows: pl.DataFrame, now: datetime
) -> pl.DataFrame:
    return rows.select(
        pl.lit(entity.source).alias("source"),
        pl.lit(entity.name).alias("entity"),
        pl.lit(file_hash).alias("file_hash"),
        pl.lit(file_name).alias("file_name"),
        pl.col(LINE_NO).cast(pl.Int64).alias("line_no"),
        _kept_raw(pl.col(RAW).cast(pl.String)).alias("raw"),
        pl.col("reason").cast(pl.String),
        pl.lit(now).cast(pl.Datetime("us")).alias("quarantined_at"),
    )


def _kept_raw(raw: pl.Expr) -> pl.Expr:
    length = raw.str.len_chars()
    return (
        pl.when(length > RAW_KEPT_CHARS)
        .then(
            pl.concat_str(
                raw.str.slice(0, RAW_KEPT_CHARS),
                pl.lit(" … [cut: "),
                length.cast(pl.String),
                pl.lit(" characters in all]"),
            )
        )
        .otherwise(raw)
    )


def _file_prefix(path: Path, limit: int = 2000) -> str:
    with path.open("rb") as fh:
        return fh.read(limit).decode("utf-8", errors="replace")


def loaded_row_counts(paths: StoragePaths) -> dict[str, int]:
    """Rows loaded so far per entity ("<source>/<entity>"), from the ingest logs."""
    return {
        e.qualified: int(
            read_log(paths, e).filter(pl.col("status") == "loaded")["rows_loaded"].sum() or 0
        )
        for e in ENTITIES
    }


def quarantine_counts(paths: StoragePaths) -> dict[str, dict[str, int]]:
    """Per entity: rows quarantined, whole files quarantined, rows loaded (ingest logs)."""
    out = {}
    for e in ENTITIES:
        log = read_log(paths, e)
        out[e.qualified] = {
            "rows_quarantined": int(log["rows_quarantined"].sum() or 0),
            "files_quarantined": log.filter(pl.col("status") == "quarantined").height,
            "rows_loaded": int(log.filter(pl.col("status") == "loaded")["rows_loaded"].sum() or 0),
        }
    return out


def pending_landing_files(
    landing_dir: Path, paths: StoragePaths, settle_seconds: float = 0.0
) -> list[LandingFile]:
    """Landing files not yet seen by ingestion (by path, size and mtime; no hashing),
    without those modified less than `settle_seconds` ago (still being written)."""
    pending = []
    now = time.time()
    for entity in ENTITIES:
        log = read_log(paths, entity)
        seen = set(
            zip(
                log["file_path"].to_list(),
                log["file_size"].to_list(),
                log["file_mtime_ns"].to_list(),
                strict=True,
            )
        )
        pending += [
            f
            for f in scan_landing(landing_dir, entity)
            if f.stat_key not in seen and now - f.stat.st_mtime_ns / 1e9 >= settle_seconds
        ]
    return pending


def pending_files(landing_dir: Path, paths: StoragePaths, settle_seconds: float = 0.0) -> list[str]:
    """Paths of the pending landing files (see pending_landing_files)."""
    return [f.path.as_posix() for f in pending_landing_files(landing_dir, paths, settle_seconds)]


def ingest_entity(
    entity: Entity, landing_dir: Path, paths: StoragePaths, rules: InputRules | None = None
) -> IngestReport:
    """Parse the entity's new landing files; return what happened."""
    raw_dir, q_dir = paths.raw(entity), paths.quarantine(entity)
    raw_dir.mkdir(parents=True, exist_ok=True)
    q_dir.mkdir(parents=True, exist_ok=True)
    # zero-row files keep the downstream globs non-empty and typed by the contract;
    # rewritten when the contract gained columns since the warehouse was made. Not
    # `_schema.parquet` (the name of old warehouses): Spark skips files named `_*`.
    schema_file = raw_dir / SCHEMA_FILE
    if (
        not schema_file.exists()
        or pl.read_parquet_schema(schema_file) != _schema_frame(entity).schema
    ):
        _write_atomic(_schema_frame(entity), schema_file)
    if not (q_dir / SCHEMA_FILE).exists():
        _write_atomic(pl.DataFrame(schema=QUARANTINE_SCHEMA), q_dir / SCHEMA_FILE)
    for old in (raw_dir / "_schema.parquet", q_dir / "_schema.parquet"):
        old.unlink(missing_ok=True)

    with entity_lock(paths, entity):
        loader = _EntityLoader(entity, paths, rules or InputRules(), read_log(paths, entity))
        loader.load(scan_landing(landing_dir, entity))
        log = loader.log
        if loader.new_log_rows or not paths.log(entity).exists():
            log = pl.concat([log, pl.DataFrame(loader.new_log_rows, schema=LOG_SCHEMA)])
            _write_atomic(log, paths.log(entity))
    report = loader.report
    report.rows_total = int(log.filter(pl.col("status") == "loaded")["rows_loaded"].sum() or 0)
    return report


class _FileChangedError(Exception):
    """The file was written to while it was read: it waits for the next run."""


class _EntityLoader:
    """Loads one entity's landing files that the log has not seen."""

    def __init__(
        self, entity: Entity, paths: StoragePaths, rules: InputRules, log: pl.DataFrame
    ) -> None:
        self.entity, self.rules, self.log = entity, rules, log
        self.raw_dir, self.q_dir = paths.raw(entity), paths.quarantine(entity)
        # where DuckDB spills while it reads a large CSV file (removed afterwards)
        self.spill_dir = paths.ingest_log_dir / f".{entity.table}.spill"
        self.report = IngestReport(entity=entity.qualified)
        self.new_log_rows: list[dict] = []
        self.known_hashes = set(log["file_hash"].to_list())
        # (path, size, mtime) seen before: reuse its hash instead of reading the file again
        self.known_stats = {
            (r["file_path"], r["file_size"], r["file_mtime_ns"]): r["file_hash"]
            for r in log.select("file_path", "file_size", "file_mtime_ns", "file_hash").iter_rows(
                named=True
            )
        }

    def load(self, files: list[LandingFile]) -> None:
        self.report.files_seen = len(files)
        unseen = []
        for f in files:
            if self.known_stats.get(f.stat_key) in self.known_hashes:
                self.report.files_skipped_known += 1
            else:
                unseen.append(f)
        ready, waiting = settle(unseen, self.rules.settle_seconds)
        for f in ready:
            if f.refused:
                self._refuse(f)
                continue
            try:
                opened = _OpenedFile(f.path)
            except FileNotFoundError:  # renamed or removed since the scan
                waiting.append(f)
                continue
            try:
                self._load(f, opened)
            except _FileChangedError:
                waiting.append(f)
            finally:
                opened.close()
        self.report.waiting_files = [f.path.name for f in waiting]

    def _refuse(self, f: LandingFile) -> None:
        # never opened: the id names the link, not content nobody read
        link_id = hashlib.sha256(f"refused {f.stat_key}".encode()).hexdigest()
        self.report.files_refused += 1
        self._quarantine_whole(link_id, f.path, f.stat, f.refused or "", None)

    def _quarantine_whole(
        self, file_hash: str, path: Path, stat: os.stat_result, reason: str, prefix: str | None
    ) -> None:
        whole = pl.DataFrame(
            {LINE_NO: [None], RAW: [prefix], "reason": [f"whole file: {reason}"]},
            schema={LINE_NO: pl.Int64, RAW: pl.String, "reason": pl.String},
        )
        _write_atomic(
            _quarantine_frame(self.entity, file_hash, path.name, whole, _now()),
            self.q_dir / f"{file_hash}.parquet",
        )
        self.report.files_quarantined += 1
        key = f"whole file: {reason}"
        self.report.quarantine_reasons[key] = self.report.quarantine_reasons.get(key, 0) + 1
        self.new_log_rows.append(_log_row(file_hash, path, stat, "quarantined", 0, 0, reason))

    def _load(self, f: LandingFile, opened: _OpenedFile) -> None:
        path, stat = f.path, opened.stat
        if (stat.st_dev, stat.st_ino) != (f.stat.st_dev, f.stat.st_ino):
            raise _FileChangedError  # replaced (or its link re-pointed) since the scan
        file_hash = opened.sha256()
        if opened.changed():
            raise _FileChangedError
        stat_key = (path.as_posix(), stat.st_size, stat.st_mtime_ns)
        if file_hash in self.known_hashes:
            self.report.files_skipped_known += 1
            if stat_key not in self.known_stats:
                self.new_log_rows.append(
                    _log_row(
                        file_hash, path, stat, "duplicate_content", 0, 0, "content seen before"
                    )
                )
                self.known_stats[stat_key] = file_hash
            return
        split = split_extension(path.name)
        try:
            if split is None:
                raise UnreadableFileError(
                    "unsupported file extension (expected csv, csv.gz, jsonl, jsonl.gz, parquet)"
                )
            result = read_file(opened.location, split[1])
            if isinstance(result, CsvFile):
                self._load_csv(path, opened, file_hash, result)
                return
            header = [c for c in result.rows.columns if c not in (LINE_NO, RAW)]
            # a file of no bytes (or blank JSON lines) is empty; a header is still checked
            empty = result.rows.height == 0 and result.rejects.height == 0 and not header
            checked = None if empty else validate(self.entity, result.rows, self.rules.window)
        except (UnreadableFileError, MissingColumnsError) as exc:
            if opened.changed():
                raise _FileChangedError from None
            self._count_new(path, file_hash)
            self._quarantine_whole(file_hash, path, stat, str(exc), _file_prefix(opened.location))
            return
        if opened.changed():
            raise _FileChangedError
        self._count_new(path, file_hash)
        if checked is None:
            self.new_log_rows.append(_log_row(file_hash, path, stat, "loaded", 0, 0, None))
            return
        mtime = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).replace(tzinfo=None)
        good = checked.good.with_columns(
            pl.lit(file_hash).alias("_file_hash"),
            pl.lit(path.name).alias("_file_name"),
            pl.lit(mtime).cast(pl.Datetime("us")).alias("_file_mtime"),
        )
        bad = pl.concat([result.rejects, checked.bad]).sort(LINE_NO)
        if good.height:
            _write_atomic(good, self.raw_dir / f"{file_hash}.parquet")
        if bad.height:
            _write_atomic(
                _quarantine_frame(self.entity, file_hash, path.name, bad, _now()),
                self.q_dir / f"{file_hash}.parquet",
            )
            for reason, n in bad.group_by("reason").len().iter_rows():
                self.report.quarantine_reasons[reason] = (
                    self.report.quarantine_reasons.get(reason, 0) + n
                )
        self.report.rows_loaded += good.height
        self.report.rows_quarantined += bad.height
        self.new_log_rows.append(
            _log_row(file_hash, path, stat, "loaded", good.height, bad.height, None)
        )

    def _load_csv(self, path: Path, opened: _OpenedFile, file_hash: str, csv: CsvFile) -> None:
        """A CSV file, typed and checked in DuckDB in bounded memory: the same rows,
        reasons and counts as `validate` on the whole file (csv_in_duckdb.py)."""
        stat = opened.stat
        # raises MissingColumnsError (the file quarantined whole by the caller)
        with CsvInDuckDB(
            self.entity, csv, self.rules.window, self.spill_dir, self.rules.csv_memory_limit
        ) as staged:
            try:
                staged.stage()
            except UnreadableFileError as exc:
                if opened.changed():
                    raise _FileChangedError from None
                self._count_new(path, file_hash)
                self._quarantine_whole(
                    file_hash, path, stat, str(exc), _file_prefix(opened.location)
                )
                return
            if opened.changed():
                raise _FileChangedError
            mtime = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).replace(tzinfo=None)
            constants = {
                "_file_hash": _sql_text(file_hash),
                "_file_name": _sql_text(path.name),
                "_file_mtime": f"timestamp '{mtime.isoformat(sep=' ')}'",
            }
            self._count_new(path, file_hash)
            if staged.good_rows:
                write_atomic(
                    self.raw_dir / f"{file_hash}.parquet",
                    lambda tmp: staged.write_good(tmp, constants),
                )
            if staged.bad_rows:
                now = _now()

                def write_bad(tmp: Path) -> None:
                    writer = None
                    for batch in staged.bad_batches():
                        rows = _quarantine_frame(self.entity, file_hash, path.name, batch, now)
                        table = rows.to_arrow(compat_level=pl.CompatLevel.oldest())
                        writer = writer or pq.ParquetWriter(tmp, table.schema, compression="zstd")
                        writer.write_table(table)
                    if writer is not None:
                        writer.close()

                write_atomic(self.q_dir / f"{file_hash}.parquet", write_bad)
                for reason, n in staged.reason_counts().items():
                    self.report.quarantine_reasons[reason] = (
                        self.report.quarantine_reasons.get(reason, 0) + n
                    )
            self.report.rows_loaded += staged.good_rows
            self.report.rows_quarantined += staged.bad_rows
            self.new_log_rows.append(
                _log_row(file_hash, path, stat, "loaded", staged.good_rows, staged.bad_rows, None)
            )

    def _count_new(self, path: Path, file_hash: str) -> None:
        self.known_hashes.add(file_hash)
        self.report.files_new += 1
        self.report.new_files.append(path.name)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _log_row(
    file_hash: str,
    path: Path,
    stat: os.stat_result,
    status: str,
    loaded: int,
    quarantined: int,
    reason: str | None,
) -> dict:
    return {
        "file_hash": file_hash,
        "file_path": path.as_posix(),
        "file_size": stat.st_size,
        "file_mtime": datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).replace(tzinfo=None),
        "file_mtime_ns": stat.st_mtime_ns,
        "status": status,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "reason": reason,
        "ingested_at": _now(),
    }
