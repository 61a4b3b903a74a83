"""What a dbt model's materialization carries in the Dagster UI: its row count, its
columns as the warehouse typed them, and for the marts people watch, their headline
figures as numbers (Dagster plots numeric metadata across runs) and, for the ROI
summary, a table.

dagster-dbt can fetch counts and columns itself (`fetch_row_counts()`,
`fetch_column_metadata()`), but through dbt's adapter, which on DuckDB reopens the
database for every model and test (12 to 15 s per dbt step on the demo here) and
leaves it open in this process. One read-only connection after dbt has exited does
all of it in about 0.1 s (docs/pipeline.md has the figures)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import duckdb
from dagster import MetadataValue, Output, TableColumn, TableSchema

from core.warehouse import readable_warehouse

# mart (schema, name) -> a query of one row whose columns are its headline figures
HEADLINES: dict[tuple[str, str], str] = {
    ("marts", "community_roi_summary"): """
        select roi as causal_roi, roi_low as causal_roi_low, roi_high as causal_roi_high,
               naive_roi, incremental_revenue, incremental_revenue_low,
               incremental_revenue_high
        from marts.community_roi_summary where platform = 'all'""",
    ("marts", "trust_capital_daily"): """
        select arg_max(trust_capital, date) as trust_capital_latest
        from marts.trust_capital_daily""",
    ("marts", "voice_of_market"): """
        select negative_share as negative_share_latest_week
        from marts.voice_of_market
        where topic = 'all'
          and week = (select max(week) from marts.voice_of_market where topic = 'all')""",
    ("marts", "responsiveness_daily"): """
        select sum(answered) / nullif(sum(inbound), 0) as answered_share
        from marts.responsiveness_daily where platform = 'all'""",
}


# mart (schema, name) -> a query whose rows the materialization shows as a table
TABLES: dict[tuple[str, str], str] = {
    ("marts", "community_roi_summary"): """
        select platform, cost, naive_revenue, incremental_revenue,
               incremental_revenue_low, incremental_revenue_high, naive_roi,
               roi as causal_roi, roi_low as causal_roi_low, roi_high as causal_roi_high
        from marts.community_roi_summary order by platform <> 'all', platform""",
}


def markdown_table(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()

    def cell(name: str, v) -> str:
        if v is None:
            return "–"
        if "roi" in name:  # ROI is a ratio
            return f"{v:+.0%}"
        return f"{v:,.0f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += [
        "| " + " | ".join(cell(n, v) for n, v in zip(names, row, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def _relation(node: Mapping[str, Any]) -> tuple[str, str]:
    return node["schema"], node.get("alias") or node["name"]


def _quoted(schema: str, name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))


def headline_figures(con: duckdb.DuckDBPyConnection, relation: tuple[str, str]) -> dict:
    """The mart's headline figures (numbers; a figure the data cannot give is left out)."""
    sql = HEADLINES.get(relation)
    if sql is None:
        return {}
    cursor = con.execute(sql)
    row = cursor.fetchone()
    names = [d[0] for d in cursor.description]
    return {n: float(v) for n, v in zip(names, row or (), strict=False) if v is not None}


def table_facts(
    con: duckdb.DuckDBPyConnection, relations: list[tuple[str, str, bool]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Columns (name, type) and, for tables, the row count of each relation found;
    `relations` are (schema, name, is_view)."""
    wanted = {(s, n) for s, n, _ in relations}
    columns: dict[tuple[str, str], list[TableColumn]] = {}
    rows = con.execute(
        """select table_schema, table_name, column_name, data_type
           from information_schema.columns
           order by table_schema, table_name, ordinal_position"""
    ).fetchall()
    for schema, table, column, data_type in rows:
        if (schema, table) in wanted:
            columns.setdefault((schema, table), []).append(TableColumn(column, data_type))
    tables = [(s, n) for s, n, is_view in relations if not is_view and (s, n) in columns]
    counts: dict[tuple[str, str], int] = {}
    if tables:
        # one statement for all of them
        union = " union all ".join(
            f"select {i} as i, count(*) as n from {_quoted(s, n)}"
            for i, (s, n) in enumerate(tables)
        )
        counts = {tables[i]: n for i, n in con.execute(union).fetchall()}
    return {key: {"columns": cols, "rows": counts.get(key)} for key, cols in columns.items()}


def with_warehouse_metadata(
    events: Iterable[Any], manifest: Mapping[str, Any], settings, warn
) -> Iterator[Any]:
    """The dbt step's events, each model's Output with its row count
    (`dagster/row_count`), column schema (`dagster/column_schema`) and headline
    figures. Reads the warehouse once dbt has exited (DuckDB has one writer), so the
    events come when the step's dbt command is done. Metadata is an extra: when the
    warehouse cannot be read, `warn` says why and the events go out without it."""
    collected, failure = [], None
    try:
        for event in events:
            collected.append(event)
    except Exception as exc:  # dbt failed: what it built still goes out, then the error
        failure = exc
    events = collected  # dbt has exited and released the warehouse
    nodes = manifest["nodes"]
    built = {}
    for event in events:
        if isinstance(event, Output) and "unique_id" in event.metadata:
            node = nodes.get(event.metadata["unique_id"].value)
            if node is not None and node["resource_type"] in ("model", "seed", "snapshot"):
                built[id(event)] = node
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    headlines: dict[tuple[str, str], dict] = {}
    if built:
        try:
            with readable_warehouse(settings) as warehouse:
                con = duckdb.connect(
                    str(warehouse), read_only=True, config=settings.duckdb_config()
                )
                try:
                    relations = [
                        (*_relation(n), n["config"].get("materialized") == "view")
                        for n in built.values()
                    ]
                    facts = table_facts(con, relations)
                    for relation in {_relation(n) for n in built.values()} & set(HEADLINES):
                        if relation in facts:
                            headlines[relation] = {
                                k: MetadataValue.float(v)
                                for k, v in headline_figures(con, relation).items()
                            }
                            if relation in TABLES:
                                table = markdown_table(con, TABLES[relation])
                                headlines[relation]["summary"] = MetadataValue.md(table)
                finally:
                    con.close()
        except (duckdb.Error, OSError) as exc:
            warn(f"row counts and column types not read from the warehouse: {exc}")
    for event in events:
        node = built.get(id(event))
        fact = facts.get(_relation(node)) if node is not None else None
        if fact is None:
            yield event
            continue
        extra = {"dagster/column_schema": MetadataValue.table_schema(TableSchema(fact["columns"]))}
        if fact["rows"] is not None:
            extra["dagster/row_count"] = MetadataValue.int(fact["rows"])
        figures = headlines.get(_relation(node), {})
        yield event.with_metadata({**event.metadata, **extra, **figures})
    if failure is not None:
        raise failure
