"""Publication: the only code that writes `published/`.

BI tools open `published/trustcap.duckdb` (schema `marts`) or read
`published/parquet/<mart>.parquet`, never the working warehouse, so they keep
reading while the pipeline writes. Layout:

    published/
      trustcap.duckdb            a catalog of views, one per mart (no data)
      parquet -> versions/v=…    the current set, for tools that read files
      versions/
        v=999999999997/          one complete set of marts, <mart>.parquet each
        v=999999999997.ready     this set may be read
        v=999999999998/ …        the sets before it, kept for readers mid-query

A BI tool keeps one connection open for hours (Metabase, Superset: a pool), and
DuckDB hands every connection of a process the instance it opened first, so a
file replaced by rename stays invisible to it. Hence the catalog holds no data:
each view picks, at every query, the newest set that has its `.ready` marker,
and reads that set's immutable file. A publication writes a new set, renames it
into `versions/` (one rename: a set is never seen half-written), and creates the
marker a settle time later; the catalog file is rewritten (by rename) only when
the views themselves change: a new mart or column.

Why not a `current` symlink or a file renamed over the old one: DuckDB opens a
Parquet file once to bind a query and again to read it, and a swap in between
gives it another file's metadata ("don't know what type", "bytes outside file"):
measured, about one failed query per publication for a busy reader. Here no path
ever changes content; only the list of sets does:

- a view's files are listed when the query is bound, its marker when it runs.
  The marker appears SETTLE_SECONDS after the set, so a set a query picks was
  already in its list (a miss would need a bind-to-run gap above a second);
- sets are named by a key that counts down, so the first file DuckDB opens to
  learn the schema is the newest, which is never pruned;
- a set's marker goes before its files do (KEEP_READY < KEEP_SETS), and its files
  a whole publication (at least SETTLE_SECONDS) later, so a query that picked it
  has opened them; an open file outlives its deletion.

What is published is not a copy of the warehouse: per-person columns (dbt column
meta `personal`) carry a keyed pseudonym (HMAC-SHA-256 with a key kept in the
warehouse folder, never under `published/`) or, for handles of people, nothing,
unless the owner sets TC_PUBLISH_RAW_IDS; and no text value starts a spreadsheet
formula (OWASP's CSV-injection advice: a leading quote).

If anything fails before the set is renamed in, `published/` is untouched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from core.warehouse import sql_string

PUBLISHED_SCHEMA = "marts"
INFO_TABLE = "publication_info"
INPUTS_FILE = "inputs.json"  # what the set was built from (core.inputs), beside its Parquet
CATALOG_NAME = "trustcap.duckdb"
PARQUET_LINK = "parquet"
VERSIONS_DIR = "versions"
READY_SUFFIX = ".ready"
# markers of the newest sets; their files are kept one publication longer
KEEP_READY = 2
KEEP_SETS = 3
# a new set becomes readable this long after it appears (see the module's docstring)
SETTLE_SECONDS = 1.0
_KEY_SPAN = 10**12  # set keys count down from here: v=999999999999 is the first set
_SET_NAME = re.compile(r"^v=([0-9]{12})$")
_READY_NAME = re.compile(r"^v=([0-9]{12})\.ready$")

# dbt column meta `personal`: what a column says about a person
HANDLE = "handle"  # a social handle of a person: published only with raw ids
PSEUDONYM_HEX_CHARS = 24  # 96 bits: no collision in any realistic number of people
# OWASP CSV injection: cells starting with these are formulas to Excel, Calc, Sheets
# (with the full-width forms some locales convert)
FORMULA_START = re.compile(r"^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")
PLAIN_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


@dataclass
class Publication:
    path: Path
    parquet_dir: Path
    row_counts: dict[str, int]
    published_at: datetime
    publication_id: str
    set_dir: Path | None = None


@dataclass
class PersonalData:
    """What publication does with columns that identify people.

    `columns`: mart -> column -> kind (dbt column meta `personal`): `handle` for
    people's social handles, any other kind (`contact`, `social_account`) for an id
    pseudonymised within that kind (a contact keeps one pseudonym in every mart)."""

    key: bytes
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    publish_raw: bool = False


def pseudonym(value: str | None, kind: str, key: bytes) -> str | None:
    """The published pseudonym of `value` (the same as publication's SQL computes)."""
    if value is None:
        return None
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_CHARS]


def pseudonymised(frame: pl.DataFrame, column: str, kind: str, key: bytes) -> pl.DataFrame:
    """`frame` with `column` replaced by its published pseudonyms (the publication's
    own SQL, set-based): to compare published marts with ids known elsewhere."""
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        return con.execute(
            f"select * replace ({_pseudonym_sql(_ident(column), kind, key)} as {_ident(column)}) "
            "from frame"
        ).pl()
    finally:
        con.close()


def is_formula(text: str | None) -> bool:
    """Would a spreadsheet read this published text as a formula?"""
    return bool(text) and bool(FORMULA_START.match(text)) and not PLAIN_NUMBER.match(text)


def pseudonym_key(path: Path) -> bytes:
    """The warehouse's pseudonym key, made once (32 random bytes, owner-only file).

    Deleting it gives every person a new pseudonym at the next publication."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # fails if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return bytes.fromhex(path.read_text().strip())


def publish(
    warehouse_path: Path,
    published_dir: Path,
    tables: list[str],
    run_id: str | None = None,
    source_schema: str = "marts",
    extra_tables: dict[str, str] | None = None,
    personal: PersonalData | None = None,
    inputs: Mapping[str, str] | None = None,
) -> Publication:
    """Publish `tables` of the warehouse's `source_schema` as a new set (see above).

    `extra_tables` maps a published table to the SELECT that fills it (run with the
    warehouse attached as `wh`): marts that dbt does not build. `inputs`: what the
    marts were built from (core.inputs), written into the set as `inputs.json`.
    """
    personal = personal or PersonalData(key=b"")
    sources = {t: f"select * from wh.{source_schema}.{t}" for t in tables}
    sources.update(extra_tables or {})
    unknown = set(personal.columns) - set(sources)
    if unknown:
        raise ValueError(f"personal columns declared for marts not published: {sorted(unknown)}")
    if personal.columns and not personal.publish_raw and len(personal.key) < 16:
        raise ValueError("pseudonymising personal columns needs a key of at least 16 bytes")
    published_dir.mkdir(parents=True, exist_ok=True)
    versions = published_dir / VERSIONS_DIR
    versions.mkdir(exist_ok=True)
    publication_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    set_key = f"{_KEY_SPAN - (_newest_sequence(versions) + 1):012d}"
    set_dir = versions / f"v={set_key}"
    tmp_set = versions / f".tmp-{publication_id}"
    catalog = published_dir / CATALOG_NAME
    tmp_catalog = published_dir / f".{CATALOG_NAME}.tmp-{publication_id}"
    row_counts: dict[str, int] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    try:
        tmp_set.mkdir()
        con = duckdb.connect()
        try:
            con.execute(f"attach {sql_string(str(warehouse_path))} as wh (read_only)")
            for table, select in sorted(sources.items()):
                sql, columns[table] = _published_select(
                    con, table, select, personal.columns.get(table, {}), personal
                )
                target = tmp_set / f"{table}.parquet"
                row_counts[table] = con.execute(
                    f"copy ({sql}) to {sql_string(str(target))} (format parquet, compression zstd)"
                ).fetchone()[0]
            info = (
                f"select {sql_string(publication_id)} as publication_id, "
                f"{sql_string(run_id or '')} as run_id, "
                f"cast({sql_string(published_at.isoformat(sep=' '))} as timestamp) as published_at, "
                f"{len(sources)} as mart_count"
            )
            columns[INFO_TABLE] = [
                (name, kind) for name, kind, *_ in con.execute(f"describe {info}").fetchall()
            ]
            con.execute(f"copy ({info}) to {sql_string(str(tmp_set / f'{INFO_TABLE}.parquet'))}")
        finally:
            con.close()
        if inputs is not None:
            record = {"publication_id": publication_id, "run_id": run_id, "inputs": dict(inputs)}
            (tmp_set / INPUTS_FILE).write_text(json.dumps(record, indent=1) + "\n")
    except BaseException:
        shutil.rmtree(tmp_set, ignore_errors=True)
        raise

    # --- from here on the set exists; readers pick it once its marker is there
    tmp_set.rename(set_dir)
    appeared = time.monotonic()
    try:
        catalog_changed = _write_catalog(tmp_catalog, catalog, versions, columns)
    except BaseException:
        # without its marker no view ever picked the set: the publication stays as it was
        tmp_catalog.unlink(missing_ok=True)
        shutil.rmtree(set_dir, ignore_errors=True)
        raise
    time.sleep(max(0.0, SETTLE_SECONDS - (time.monotonic() - appeared)))
    (versions / f"v={set_key}{READY_SUFFIX}").touch()
    link = published_dir / PARQUET_LINK
    previous_target = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a folder left by hand: replace it with the managed link
    tmp_link = published_dir / f".parquet-link-{publication_id}"
    tmp_link.symlink_to(Path(VERSIONS_DIR) / set_dir.name)
    os.replace(tmp_link, link)
    if catalog_changed:
        os.replace(tmp_catalog, catalog)
    _prune(published_dir, versions, previous_target)
    return Publication(catalog, link, row_counts, published_at, publication_id, set_dir)


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The marts a published catalog offers (views; tables in files from before views)."""
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            f"where table_schema = {sql_string(PUBLISHED_SCHEMA)} order by table_name"
        ).fetchall()
    ]


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


# --- what a published column holds --------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pseudonym_sql(column: str, kind: str, key: bytes) -> str:
    """HMAC-SHA-256(key, kind:value) in DuckDB SQL, cut like `pseudonym`: the key's
    inner and outer pads are constants, sha256 hashes the bytes of a BLOB."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64)
    inner = bytes(b ^ 0x36 for b in block).hex()
    outer = bytes(b ^ 0x5C for b in block).hex()
    message = f"encode({sql_string(kind + ':')} || cast({column} as varchar))"
    return (
        f"substr(sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || {message}))), "
        f"1, {PSEUDONYM_HEX_CHARS})"
    )


def _neutralised_sql(expr: str) -> str:
    """OWASP's advice against formula injection: a leading quote on formula text."""
    start = FORMULA_START.pattern.replace("\\t", "\t").replace("\\r", "\r")
    start = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), start)
    return (
        f"case when regexp_matches({expr}, {sql_string(start)}) "
        f"and not regexp_matches({expr}, {sql_string(PLAIN_NUMBER.pattern)}) "
        f"then '''' || {expr} else {expr} end"
    )


def _published_select(
    con: duckdb.DuckDBPyConnection,
    table: str,
    select: str,
    personal_columns: dict[str, str],
    personal: PersonalData,
) -> tuple[str, list[tuple[str, str]]]:
    """The SELECT that writes `table`'s published file, and its (column, type) list."""
    described = [(n, t) for n, t, *_ in con.execute(f"describe {select}").fetchall()]
    missing = set(personal_columns) - {n for n, _ in described}
    if missing:
        raise ValueError(f"{table}: personal columns {sorted(missing)} are not in the mart")
    if any(n.lower() == "filename" for n, _ in described):
        # the catalog's views read the files with read_parquet(filename=true)
        raise ValueError(f"{table}: a column named 'filename' cannot be published")
    expressions, published = [], []
    for name, kind in described:
        column = _ident(name)
        role = personal_columns.get(name)
        if role and not personal.publish_raw:
            if role == HANDLE:
                expr, kind = "cast(null as varchar)", "VARCHAR"
            else:
                expr, kind = _pseudonym_sql(column, role, personal.key), "VARCHAR"
        elif kind == "VARCHAR":
            expr = _neutralised_sql(column)
        elif kind == "VARCHAR[]":
            expr = f"list_transform({column}, x -> {_neutralised_sql('x')})"
        else:
            expr = column
        expressions.append(f"{expr} as {column}")
        published.append((name, kind))
    return f"select {', '.join(expressions)} from ({select})", published


# --- the catalog and the sets ----------------------------------------------------


def _glob_escape(path: str) -> str:
    """A literal path inside a DuckDB glob pattern ([x] matches x alone)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


def _view_sql(table: str, columns: list[tuple[str, str]], versions: Path) -> str:
    """A view reading `table` from the newest ready set, whatever set that is when
    the query runs: the marker's name gives the file, the join picks it among the
    listed sets (DuckDB opens only the file that matches)."""
    prefix = versions.as_posix()
    ready = sql_string(_glob_escape(prefix) + "/v=*" + READY_SUFFIX)
    files = sql_string(_glob_escape(prefix) + f"/v=*/{table}.parquet")
    current = (
        f"select {sql_string(prefix + '/v=')} "
        f"|| min(regexp_extract(file, 'v=([0-9]+)\\{READY_SUFFIX}$', 1)) "
        f"|| {sql_string('/' + table + '.parquet')} as current_file "
        f"from glob({ready})"
    )
    select = ", ".join(f"cast(m.{_ident(n)} as {kind}) as {_ident(n)}" for n, kind in columns)
    return (
        f"create view {PUBLISHED_SCHEMA}.{_ident(table)} as select {select} "
        f"from ({current}) as p "
        f"join read_parquet({files}, filename = true, hive_partitioning = false) as m "
        "on m.filename = p.current_file"
    )


def _views(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal "
            "union all select schema_name, table_name, 'table' from duckdb_tables() "
            "order by all"
        ).fetchall()
    finally:
        con.close()


def _write_catalog(
    tmp: Path, catalog: Path, versions: Path, columns: dict[str, list[tuple[str, str]]]
) -> bool:
    """Write the catalog of views to `tmp`; True if it differs from `catalog` (then
    `tmp` is to be renamed over it), else `tmp` is removed and False returned."""
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        for table, cols in sorted(columns.items()):
            con.execute(_view_sql(table, cols, versions))
        con.execute("checkpoint")
    finally:
        con.close()
    if catalog.exists():
        try:
            unchanged = _views(catalog) == _views(tmp)
        except duckdb.Error:
            unchanged = False  # unreadable: replace it
        if unchanged:
            tmp.unlink()
            return False
    return True


def _sets(versions: Path) -> list[tuple[int, Path]]:
    """(sequence, folder) of every complete set, newest first."""
    found = []
    for p in versions.iterdir():
        m = _SET_NAME.match(p.name)
        if m and p.is_dir():
            found.append((_KEY_SPAN - int(m.group(1)), p))
    return sorted(found, reverse=True)


def _newest_sequence(versions: Path) -> int:
    sets = _sets(versions)
    return sets[0][0] if sets else 0


def _prune(published_dir: Path, versions: Path, previous_target: Path | None) -> None:
    markers = sorted(
        (
            (_KEY_SPAN - int(m.group(1)), p)
            for p in versions.iterdir()
            if (m := _READY_NAME.match(p.name))
        ),
        reverse=True,
    )
    for _, marker in markers[KEEP_READY:]:
        marker.unlink(missing_ok=True)
    marked = {seq for seq, _ in markers[:KEEP_READY]}
    for seq, folder in _sets(versions)[KEEP_SETS:]:
        if seq not in marked:  # a set a view may pick keeps its files
            shutil.rmtree(folder, ignore_errors=True)
    for stale in versions.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    # left by the layout before versions/ (a renamed file and parquet-<id> folders):
    # the set the link pointed to goes at the next publication, for readers mid-way
    keep = previous_target.resolve() if previous_target else None
    for folder in published_dir.glob("parquet-*"):
        if folder.is_dir() and folder.resolve() != keep:
            shutil.rmtree(folder, ignore_errors=True)
    for pattern in (f".{CATALOG_NAME}.tmp-*", ".parquet-*.tmp", ".parquet-link-*"):
        for stale in published_dir.glob(pattern):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
