"""`trustcap retract`: withdraw a landing file so the next run builds the marts as
if it had never come.

Ingestion (`ingestion/retract.py`) removes the file's rows from raw storage and
quarantine and marks it retracted in the ingest log. What dbt built incrementally
from those rows would outlive them (a delete+insert model only replaces the keys a
run rebuilds, and a retracted order has no key left to rebuild), so the incremental
models' tables are dropped first: the next run builds them whole. Every other model
is rebuilt by every run anyway.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from core.settings import MANIFEST_PATH, Settings
from core.warehouse import _ident
from ingestion.load import StoragePaths
from ingestion.retract import Retraction, find_ingested, retract


class WarehouseBusyError(RuntimeError):
    """The working warehouse is held by a run; the message is one line."""


def incremental_relations(manifest: Path | None = None) -> list[tuple[str, str]]:
    """(schema, table) of every incremental model, from the parsed dbt project."""
    manifest = manifest or MANIFEST_PATH
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted(
        (n["schema"], n["alias"])
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("materialized") == "incremental"
    )


def drop_relations(warehouse_path: Path, relations: list[tuple[str, str]]) -> list[str]:
    """Drop the relations that exist in the working warehouse; returns their names."""
    if not warehouse_path.exists():
        return []
    try:
        con = duckdb.connect(str(warehouse_path))
    except duckdb.IOException as exc:
        raise WarehouseBusyError(
            f"the warehouse {warehouse_path} is in use (a run going on?): retract when it "
            f"has ended ({str(exc).splitlines()[0]})"
        ) from None
    dropped = []
    try:
        tables = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        for schema, name in relations:
            if (schema, name) in tables:
                con.execute(f"drop table {_ident(schema)}.{_ident(name)}")
                dropped.append(f"{schema}.{name}")
    finally:
        con.close()
    return dropped


def retract_landing_file(settings: Settings, target: str) -> tuple[Retraction, list[str]]:
    """Withdraw what `target` (a landing path or content hash) loaded. Raises
    RetractionError or WarehouseBusyError, with nothing changed, when it cannot."""
    paths = StoragePaths(settings.raw_dir, settings.quarantine_dir, settings.ingest_log_dir)
    file = find_ingested(paths, target)
    if file.retracted:
        return Retraction(file), []
    # dropped first: a retraction cut short then leaves a full rebuild, never stale rows
    dropped = drop_relations(settings.warehouse_path, incremental_relations())
    return retract(paths, file), dropped
