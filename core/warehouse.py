"""Where the Python steps read what dbt built, whichever engine built it.

On DuckDB that is the warehouse file. On Spark, dbt's on-run-end hook writes the
relations the Python steps read (models with meta.handover) as Parquet to
`<TC_WAREHOUSE_DIR>/spark/handover/<schema>/<name>/`; here they become views of a
small DuckDB file, under the same `<schema>.<name>`, so the estimator, the scorer,
the quality checks and publication run the same SQL on either engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from core.settings import Settings


def sql_string(value: str) -> str:
    """A string literal for DuckDB SQL (paths, ids)."""
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def handover_views_sql(con: duckdb.DuckDBPyConnection, handover_dir: Path) -> list[str]:
    """Statements creating one view per handed-over relation (<schema>/<name>/ folder).

    Spark writes its timestamps as instants (UTC-adjusted Parquet), which DuckDB reads
    as TIMESTAMP WITH TIME ZONE; the views give them back as the UTC timestamps dbt
    built, so both engines hand Python the same types."""
    statements: list[str] = []
    for schema_dir in sorted(p for p in handover_dir.iterdir() if p.is_dir()):
        statements.append(f"create schema if not exists {_ident(schema_dir.name)}")
        for relation_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            source = f"read_parquet({sql_string((relation_dir / '*.parquet').as_posix())})"
            columns = con.execute(f"describe select * from {source}").fetchall()
            select = ", ".join(
                f"timezone('UTC', {_ident(name)}) as {_ident(name)}"
                if kind == "TIMESTAMP WITH TIME ZONE"
                else _ident(name)
                for name, kind, *_ in columns
            )
            statements.append(
                f"create or replace view {_ident(schema_dir.name)}.{_ident(relation_dir.name)} "
                f"as select {select} from {source}"
            )
    return statements


@contextmanager
def readable_warehouse(settings: Settings) -> Iterator[Path]:
    """A DuckDB file holding the relations dbt built, to open read-only while inside.

    DuckDB: the warehouse itself. Spark: a throwaway file of views over the handover
    (its own name, so steps running side by side do not share a writer lock)."""
    if settings.engine == "duckdb":
        yield settings.warehouse_path
        return
    if not settings.handover_dir.is_dir():
        raise FileNotFoundError(
            f"{settings.handover_dir} does not exist: dbt has not built the models on Spark yet"
        )
    path = settings.spark_dir / f"handover-{uuid.uuid4().hex[:12]}.duckdb"
    try:
        con = duckdb.connect(str(path))
        try:
            for statement in handover_views_sql(con, settings.handover_dir):
                con.execute(statement)
            con.execute("checkpoint")
        finally:
            con.close()
        yield path
    finally:
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
