"""Withdraw a landing file and everything it loaded.

A file is found by its landing path (as ingestion logged it, or by hashing the file
when it is still there) or by its content hash (SHA-256, or a prefix of at least 8
hex digits). Retracting removes its rows from raw storage and from quarantine, and
turns its ingest-log rows into `retracted` rows: the same content is then never
loaded again, even when the landing file stays where it was. Whatever was built
from the rows (dbt models) is the caller's to rebuild.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ingestion.contract import ENTITIES, Entity
from ingestion.load import (
    LOG_SCHEMA,
    StoragePaths,
    _now,
    _write_atomic,
    entity_lock,
    file_sha256,
    read_log,
)

_HASH_PREFIX = re.compile(r"^[0-9a-fA-F]{8,64}$")


class RetractionError(ValueError):
    """What to retract cannot be found, or is ambiguous; the message is one line."""


@dataclass(frozen=True)
class IngestedFile:
    entity: Entity
    file_hash: str
    file_paths: tuple[str, ...]  # every landing path this content came under
    rows_loaded: int
    rows_quarantined: int
    retracted: bool


@dataclass
class Retraction:
    file: IngestedFile
    raw_rows_removed: int = 0
    quarantine_rows_removed: int = 0
    removed: list[str] = field(default_factory=list)


def _ingested(paths: StoragePaths) -> list[IngestedFile]:
    out = []
    for entity in ENTITIES:
        log = read_log(paths, entity)
        if log.height == 0:
            continue
        grouped = log.group_by("file_hash", maintain_order=True).agg(
            pl.col("file_path").unique(maintain_order=True),
            pl.col("rows_loaded").sum(),
            pl.col("rows_quarantined").sum(),
            (pl.col("status") == "retracted").all().alias("retracted"),
        )
        out += [
            IngestedFile(
                entity,
                r["file_hash"],
                tuple(r["file_path"]),
                int(r["rows_loaded"]),
                int(r["rows_quarantined"]),
                bool(r["retracted"]),
            )
            for r in grouped.iter_rows(named=True)
        ]
    return out


def find_ingested(paths: StoragePaths, target: str) -> IngestedFile:
    """The ingested file `target` names: a landing path or a content hash (prefix)."""
    files = _ingested(paths)
    path = Path(target).expanduser()
    as_path = (path if path.is_absolute() else Path.cwd() / path).resolve().as_posix()
    by_path = [f for f in files if as_path in f.file_paths]
    if not by_path and Path(as_path).is_file():
        content_hash = file_sha256(Path(as_path))
        by_path = [f for f in files if f.file_hash == content_hash]
        if not by_path:
            raise RetractionError(
                f"{target} was never ingested (its content is not in the ingest log): "
                "nothing to retract"
            )
    if by_path:
        return _one(by_path, target)
    if _HASH_PREFIX.match(target):
        return _one([f for f in files if f.file_hash.startswith(target.lower())], target)
    raise RetractionError(
        f"no ingested file matches {target!r}: give a landing file's path or its content "
        "hash (file_hash in quarantine.ingested_files, at least 8 hex digits)"
    )


def _one(matches: list[IngestedFile], target: str) -> IngestedFile:
    if not matches:
        raise RetractionError(f"no ingested file has a content hash starting with {target!r}")
    if len(matches) > 1:
        shown = ", ".join(f"{m.file_hash[:12]} ({m.entity.qualified})" for m in matches[:5])
        raise RetractionError(f"{target!r} matches {len(matches)} files: {shown}; say which")
    return matches[0]


def retract(paths: StoragePaths, file: IngestedFile) -> Retraction:
    """Remove the file's rows from raw storage and quarantine; mark it retracted."""
    entity = file.entity
    done = Retraction(file)
    with entity_lock(paths, entity):
        for folder, attr in (
            (paths.raw(entity), "raw_rows_removed"),
            (paths.quarantine(entity), "quarantine_rows_removed"),
        ):
            stored = folder / f"{file.file_hash}.parquet"
            if stored.exists():
                setattr(done, attr, pl.scan_parquet(stored).select(pl.len()).collect().item())
                stored.unlink()
                done.removed.append(stored.as_posix())
        log = read_log(paths, entity)
        now = _now()
        mine = pl.col("file_hash") == file.file_hash
        log = log.with_columns(
            pl.when(mine).then(pl.lit("retracted")).otherwise(pl.col("status")).alias("status"),
            pl.when(mine).then(0).otherwise(pl.col("rows_loaded")).alias("rows_loaded"),
            pl.when(mine).then(0).otherwise(pl.col("rows_quarantined")).alias("rows_quarantined"),
            pl.when(mine)
            .then(pl.lit(f"retracted at {now:%Y-%m-%d %H:%M:%S} UTC"))
            .otherwise(pl.col("reason"))
            .alias("reason"),
            # incremental models rebuild what was touched by files logged after their build
            pl.when(mine).then(pl.lit(now)).otherwise(pl.col("ingested_at")).alias("ingested_at"),
        ).select(list(LOG_SCHEMA))
        _write_atomic(log.cast(LOG_SCHEMA), paths.log(entity))
    return done
