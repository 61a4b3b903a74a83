{#- Expose the Parquet files written by ingestion/ and by the Python analytics as
    relations in schemas `raw`, `analytics` and `quarantine`. Each raw source declares
    the folder it reads in meta.raw_path. Ingestion always writes a zero-row
    schema.parquet per entity, so a folder is never empty and column types come
    from the contract. Statements run one at a time (Spark's session takes one). -#}
{% macro create_raw_relations() %}
    {%- if execute -%}
        {%- set statements = [] -%}
        {%- for schema in ['raw', 'analytics', 'quarantine'] -%}
            {%- do statements.append('create schema if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for src in graph.sources.values() if src.source_name == 'raw' -%}
            {%- do statements.extend(
                raw_relation_sql('raw', src.name, var('raw_dir') ~ '/' ~ src.meta.raw_path)
            ) -%}
        {%- endfor -%}
        {%- for src in graph.sources.values() if src.source_name == 'analytics' -%}
            {%- do statements.extend(
                analytics_relation_sql(src.name, var('analytics_dir') ~ '/' ~ src.name ~ '.parquet', src.columns)
            ) -%}
        {%- endfor -%}
        {%- do statements.extend(
            raw_relation_sql('quarantine', 'quarantined_rows', var('quarantine_dir'), recursive=true)
        ) -%}
        {%- do statements.extend(
            raw_relation_sql('quarantine', 'ingested_files', var('ingest_log_dir'))
        ) -%}
        {%- for statement in statements -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}

{#- The statements that make `schema.name` read every Parquet file in `folder` (and
    its subfolders when recursive), columns matched by name: files written before
    the contract gained a column lack it. -#}
{% macro raw_relation_sql(schema, name, folder, recursive=false) %}
    {{ return(adapter.dispatch('raw_relation_sql')(schema, name, folder, recursive)) }}
{% endmacro %}

{% macro default__raw_relation_sql(schema, name, folder, recursive) %}
    {%- set glob = folder ~ ('/**/' if recursive else '/') ~ '*.parquet' -%}
    {{ return([
        "create or replace view " ~ schema ~ "." ~ name
        ~ " as select * from read_parquet(" ~ sql_string(glob) ~ ", union_by_name = true)"
    ]) }}
{% endmacro %}

{% macro spark__raw_relation_sql(schema, name, folder, recursive) %}
    {{ return([
        "drop table if exists " ~ schema ~ "." ~ name,
        "create table " ~ schema ~ "." ~ name ~ " using parquet options (path " ~ sql_string(folder)
        ~ ", mergeSchema 'true', recursiveFileLookup '" ~ ('true' if recursive else 'false') ~ "')"
    ]) }}
{% endmacro %}

{#- One result file of the Python analytics. It does not exist before their first
    run: then an empty relation with the declared columns, so every model builds. -#}
{% macro analytics_relation_sql(name, path, columns) %}
    {{ return(adapter.dispatch('analytics_relation_sql')(name, path, columns)) }}
{% endmacro %}

{% macro default__analytics_relation_sql(name, path, columns) %}
    {%- set pattern = sql_string(path) -%}
    {%- set found = run_query("select count(*) from glob(" ~ pattern ~ ")").columns[0].values()[0] -%}
    {%- if found -%}
        {%- set body = "select * from read_parquet(" ~ pattern ~ ")" -%}
    {%- else -%}
        {%- set nulls = [] -%}
        {%- for col in columns.values() -%}
            {%- do nulls.append("cast(null as " ~ col.data_type ~ ") as " ~ col.name) -%}
        {%- endfor -%}
        {%- set body = "select " ~ nulls | join(", ") ~ " where false" -%}
    {%- endif -%}
    {{ return(["create or replace view analytics." ~ name ~ " as " ~ body]) }}
{% endmacro %}

{#- The folder with a file-name filter, not the file as location: Spark makes a
    missing location a folder, where the file could then not be written. A missing
    file reads as empty when the columns are given, so the declared columns are the
    file's contract: their types must be what is written. -#}
{% macro spark__analytics_relation_sql(name, path, columns) %}
    {%- set cols = [] -%}
    {%- for col in columns.values() -%}
        {%- do cols.append(col.name ~ " " ~ col.data_type) -%}
    {%- endfor -%}
    {%- set parts = path.rsplit('/', 1) -%}
    {{ return([
        "drop table if exists analytics." ~ name,
        "create table analytics." ~ name ~ " (" ~ cols | join(", ") ~ ") using parquet options (path "
        ~ sql_string(parts[0]) ~ ", pathGlobFilter " ~ sql_string(parts[1]) ~ ")"
    ]) }}
{% endmacro %}
