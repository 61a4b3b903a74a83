"""Publication: the only code that writes `published/`.

BI tools open `published/trustcap.duckdb` (schema `marts`) and
`published/parquet/<mart>.parquet`, never the working warehouse, so they keep
reading while the pipeline writes. A publication is built as new files beside
the old ones and swapped in with a rename:

- the DuckDB file: written to a temporary name, then `os.replace`d over the old
  one. A reader that has the old file open keeps reading the old inode;
- the Parquet set: written to a fresh `parquet-<id>/` folder; `parquet` is a
  symlink that is replaced atomically, so the set changes all at once. The
  previous folder is kept until the next publication, for readers mid-way.

If anything fails before the swap, the previous publication is untouched.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from trustcap.warehouse import sql_string

PUBLISHED_SCHEMA = "marts"
INFO_TABLE = "publication_info"


@dataclass
class Publication:
    path: Path
    parquet_dir: Path
    row_counts: dict[str, int]
    published_at: datetime
    publication_id: str


def publish(
    warehouse_path: Path,
    published_dir: Path,
    tables: list[str],
    run_id: str | None = None,
    source_schema: str = "marts",
    extra_tables: dict[str, str] | None = None,
) -> Publication:
    """Copy `tables` from the warehouse's `source_schema` into a new publication.

    `extra_tables` maps a published table to the SELECT that fills it (run in the new
    file, with the warehouse attached as `wh`): marts that dbt does not build.
    """
    sources = {t: f"select * from wh.{source_schema}.{t}" for t in tables}
    sources.update(extra_tables or {})
    published_dir.mkdir(parents=True, exist_ok=True)
    publication_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    final_db = published_dir / "trustcap.duckdb"
    tmp_db = published_dir / f".trustcap.duckdb.tmp-{publication_id}"
    parquet_version = published_dir / f"parquet-{publication_id}"
    tmp_parquet = published_dir / f".parquet-{publication_id}.tmp"
    row_counts: dict[str, int] = {}
    try:
        tmp_parquet.mkdir()
        con = duckdb.connect(str(tmp_db))
        try:
            con.execute(f"attach {sql_string(str(warehouse_path))} as wh (read_only)")
            con.execute(f"create schema {PUBLISHED_SCHEMA}")
            for table, select in sorted(sources.items()):
                con.execute(f"create table {PUBLISHED_SCHEMA}.{table} as {select}")
                row_counts[table] = con.execute(
                    f"select count(*) from {PUBLISHED_SCHEMA}.{table}"
                ).fetchone()[0]
                target = tmp_parquet / f"{table}.parquet"
                con.execute(
                    f"copy {PUBLISHED_SCHEMA}.{table} to {sql_string(str(target))} "
                    "(format parquet, compression zstd)"
                )
            con.execute(
                f"create table {PUBLISHED_SCHEMA}.{INFO_TABLE} as select "
                f"{sql_string(publication_id)} as publication_id, "
                f"{sql_string(run_id or '')} as run_id, "
                f"cast({sql_string(published_at.isoformat(sep=' '))} as timestamp) as published_at, "
                f"{len(sources)} as mart_count"
            )
            con.execute("detach wh")
            con.execute("checkpoint")
        finally:
            con.close()
        tmp_parquet.rename(parquet_version)
    except BaseException:
        tmp_db.unlink(missing_ok=True)
        shutil.rmtree(tmp_parquet, ignore_errors=True)
        raise

    # --- the swap: from here on, readers see the new publication
    os.replace(tmp_db, final_db)
    link = published_dir / "parquet"
    previous = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a folder left by hand: replace it with the managed link
    tmp_link = published_dir / f".parquet-link-{publication_id}"
    tmp_link.symlink_to(parquet_version.name)
    os.replace(tmp_link, link)
    _prune_old_versions(published_dir, keep={parquet_version, previous})
    return Publication(final_db, link, row_counts, published_at, publication_id)


def explain_empty_marts(
    row_counts: dict[str, int],
    requires: dict[str, list[str]],
    loaded_rows: dict[str, int],
    stated: dict[str, str] | None = None,
) -> dict[str, str]:
    """Why each empty mart is empty: which of the landing entities it needs have no
    rows, else the reason its model states (`meta.empty_reason`)."""
    reasons = {}
    for mart, n in sorted(row_counts.items()):
        if n:
            continue
        missing = [e for e in requires.get(mart, []) if not loaded_rows.get(e)]
        reasons[mart] = (
            f"no rows in landing entit{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}"
            if missing
            else (stated or {}).get(
                mart, "its inputs have rows, but none qualifies (see the mart's description)"
            )
        )
    return reasons


def _prune_old_versions(published_dir: Path, keep: set[Path | None]) -> None:
    keep_resolved = {p.resolve() for p in keep if p is not None}
    for folder in published_dir.glob("parquet-*"):
        if folder.is_dir() and folder.resolve() not in keep_resolved:
            shutil.rmtree(folder, ignore_errors=True)
    for stale in published_dir.glob(".trustcap.duckdb.tmp-*"):
        stale.unlink(missing_ok=True)
    for stale in published_dir.glob(".parquet-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
