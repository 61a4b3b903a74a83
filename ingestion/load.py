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
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ingestion.contract import ENTITIES, Entity, split_extension
from ingestion.readers import LINE_NO, RAW, UnreadableFileError, read_file
from ingestion.validate import POLARS_TYPES, MissingColumnsError, validate

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
    "status": pl.String(),  # loaded | quarantined | duplicate_content
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


def landing_files(landing_dir: Path, entity: Entity) -> list[Path]:
    """Files of one entity, in load order (modification time, then name).

    Dot-files are skipped: they are how writers mark files still being written.
    """
    folder = landing_dir / entity.source / entity.name
    if not folder.is_dir():
        return []
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


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


def _write_atomic(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    os.replace(tmp, path)


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
        pl.col(RAW).cast(pl.String).alias("raw"),
        pl.col("reason").cast(pl.String),
        pl.lit(now).cast(pl.Datetime("us")).alias("quarantined_at"),
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


def pending_files(landing_dir: Path, paths: StoragePaths) -> list[str]:
    """Landing files not yet seen by ingestion (by path, size and mtime; no hashing)."""
    pending = []
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
        for path in landing_files(landing_dir, entity):
            stat = path.stat()
            if (path.as_posix(), stat.st_size, stat.st_mtime_ns) not in seen:
                pending.append(path.as_posix())
    return pending


def ingest_entity(entity: Entity, landing_dir: Path, paths: StoragePaths) -> IngestReport:
    """Parse the entity's new landing files; return what happened."""
    report = IngestReport(entity=entity.qualified)
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

    log = read_log(paths, entity)
    known_hashes = set(log["file_hash"].to_list())
    # (path, size, mtime) seen before: reuse its hash instead of reading the file again
    known_stats = {
        (r["file_path"], r["file_size"], r["file_mtime_ns"]): r["file_hash"]
        for r in log.select("file_path", "file_size", "file_mtime_ns", "file_hash").iter_rows(
            named=True
        )
    }
    new_log_rows: list[dict] = []
    for path in landing_files(landing_dir, entity):
        report.files_seen += 1
        stat = path.stat()
        stat_key = (path.as_posix(), stat.st_size, stat.st_mtime_ns)
        file_hash = known_stats.get(stat_key) or file_sha256(path)
        if file_hash in known_hashes:
            report.files_skipped_known += 1
            if stat_key not in known_stats:
                new_log_rows.append(
                    _log_row(
                        file_hash, path, stat, "duplicate_content", 0, 0, "content seen before"
                    )
                )
                known_stats[stat_key] = file_hash
            continue
        known_hashes.add(file_hash)
        report.files_new += 1
        report.new_files.append(path.name)
        now = _now()
        mtime = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).replace(tzinfo=None)
        q_path = q_dir / f"{file_hash}.parquet"
        split = split_extension(path.name)
        try:
            if split is None:
                raise UnreadableFileError(
                    "unsupported file extension (expected csv, csv.gz, jsonl, jsonl.gz, parquet)"
                )
            result = read_file(path, split[1])
            if result.rows.height == 0 and result.rejects.height == 0:
                # empty or header-only: nothing to check, nothing to load
                new_log_rows.append(_log_row(file_hash, path, stat, "loaded", 0, 0, None))
                continue
            checked = validate(entity, result.rows)
        except (UnreadableFileError, MissingColumnsError) as exc:
            whole = pl.DataFrame(
                {LINE_NO: [None], RAW: [_file_prefix(path)], "reason": [f"whole file: {exc}"]},
                schema={LINE_NO: pl.Int64, RAW: pl.String, "reason": pl.String},
            )
            _write_atomic(_quarantine_frame(entity, file_hash, path.name, whole, now), q_path)
            report.files_quarantined += 1
            report.quarantine_reasons[f"whole file: {exc}"] = (
                report.quarantine_reasons.get(f"whole file: {exc}", 0) + 1
            )
            new_log_rows.append(_log_row(file_hash, path, stat, "quarantined", 0, 0, str(exc)))
            continue

        good = checked.good.with_columns(
            pl.lit(file_hash).alias("_file_hash"),
            pl.lit(path.name).alias("_file_name"),
            pl.lit(mtime).cast(pl.Datetime("us")).alias("_file_mtime"),
        )
        bad = pl.concat([result.rejects, checked.bad]).sort(LINE_NO)
        if good.height:
            _write_atomic(good, raw_dir / f"{file_hash}.parquet")
        if bad.height:
            _write_atomic(_quarantine_frame(entity, file_hash, path.name, bad, now), q_path)
            for reason, n in bad.group_by("reason").len().iter_rows():
                report.quarantine_reasons[reason] = report.quarantine_reasons.get(reason, 0) + n
        report.rows_loaded += good.height
        report.rows_quarantined += bad.height
        new_log_rows.append(
            _log_row(file_hash, path, stat, "loaded", good.height, bad.height, None)
        )

    if new_log_rows or not paths.log(entity).exists():
        log = pl.concat([log, pl.DataFrame(new_log_rows, schema=LOG_SCHEMA)])
        _write_atomic(log, paths.log(entity))
    report.rows_total = int(log.filter(pl.col("status") == "loaded")["rows_loaded"].sum() or 0)
    return report


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
