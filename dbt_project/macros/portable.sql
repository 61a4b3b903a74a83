{#- Constructs that differ between DuckDB and Spark (see docs/spark.md). -#}

{% macro epoch_seconds(expr) %}{{ return(adapter.dispatch('epoch_seconds')(expr)) }}{% endmacro %}
{% macro default__epoch_seconds(expr) %}epoch({{ expr }}){% endmacro %}
{#- Spark's unix_timestamp() drops the fraction of a second; DuckDB's epoch() keeps it -#}
{% macro spark__epoch_seconds(expr) %}cast(unix_micros({{ expr }}) as double) / 1000000{% endmacro %}

{#- one row per day from start to end (inclusive), as column `day`, for each row of
    `relation` (start and end are its columns). Not scalar subqueries in the bounds:
    Spark 4 fails to ship such a plan to its tasks when the subquery reads a union. -#}
{% macro day_series(start_expr, end_expr, relation) %}{{ return(adapter.dispatch('day_series')(start_expr, end_expr, relation)) }}{% endmacro %}
{% macro default__day_series(start_expr, end_expr, relation) %}
    select cast(unnest(generate_series(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day)) as date) as day
    from {{ relation }}
{% endmacro %}
{% macro spark__day_series(start_expr, end_expr, relation) %}
    select explode(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 day)) as day
    from {{ relation }}
{% endmacro %}

{#- one row per calendar month from start to end (inclusive; both first days of a
    month), as column `period`, for each row of `relation`; none when they are null -#}
{% macro month_series(start_expr, end_expr, relation) %}{{ return(adapter.dispatch('month_series')(start_expr, end_expr, relation)) }}{% endmacro %}
{% macro default__month_series(start_expr, end_expr, relation) %}
    select cast(unnest(generate_series(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 month)) as date) as period
    from {{ relation }}
{% endmacro %}
{% macro spark__month_series(start_expr, end_expr, relation) %}
    select explode(sequence(cast({{ start_expr }} as date), cast({{ end_expr }} as date), interval 1 month)) as period
    from {{ relation }}
{% endmacro %}

{% macro last_value_ignore_nulls(expr) %}{{ return(adapter.dispatch('last_value_ignore_nulls')(expr)) }}{% endmacro %}
{% macro default__last_value_ignore_nulls(expr) %}last_value({{ expr }} ignore nulls){% endmacro %}
{% macro spark__last_value_ignore_nulls(expr) %}last({{ expr }}, true){% endmacro %}

{% macro month_of(expr) %}cast(date_trunc('month', {{ expr }}) as date){% endmacro %}

{#- True when this run may add to the built table: it exists, no full refresh was
    asked, and it has the column the model tracks its built input by (a table
    built before the model became incremental lacks it and is rebuilt whole;
    on_schema_change adds the column). -#}
{% macro incremental_build_tracks(column) %}
    {#- a unit test has no built table (`this` is none) -#}
    {%- if this is none or not (execute and is_incremental()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower in built_columns) }}
{% endmacro %}

{#- Incremental on DuckDB (delete+insert by unique key). On Spark, rows replaced by
    key need Delta/Iceberg `merge`, and Parquet's `insert_overwrite` replaces whole
    partitions, which these models' rebuilt rows do not form: a full rebuild there. -#}
{% macro incremental_where_supported() %}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{% endmacro %}

{#- An import CTE (`name as {{ inline_import() }} (select * from {{ ref(...) }})`) is
    read in place. DuckDB materializes a CTE that a query references more than once:
    for an import CTE, a copy of every row and column of the table before the query
    starts, where reading in place scans only the columns and rows each use needs.
    At L (10M orders, 10M activities) the copies were most of an incremental model's
    time: int_orders_converted's daily query alone 4.7 s with them, 1.6 s without. Spark
    plans CTEs its own way and has no such keyword. -#}
{% macro inline_import() %}{{ return(adapter.dispatch('inline_import')()) }}{% endmacro %}
{% macro default__inline_import() %}not materialized{% endmacro %}
{% macro spark__inline_import() %}{% endmacro %}
