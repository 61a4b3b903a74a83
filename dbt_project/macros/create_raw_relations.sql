{#- Expose the Parquet files written by ingestion as relations in schema `raw` and
    `quarantine`. Each raw source declares the folder it reads in meta.raw_path.
    Ingestion always writes a zero-row _schema.parquet per entity, so the glob
    never comes back empty and column types come from the contract. -#}
{% macro create_raw_relations() %}
    {%- if execute -%}
        {%- set statements = [] -%}
        {%- for src in graph.sources.values() if src.source_name == 'raw' -%}
            {%- do statements.append(
                raw_relation_sql('raw', src.name, var('raw_dir') ~ '/' ~ src.meta.raw_path ~ '/*.parquet')
            ) -%}
        {%- endfor -%}
        {#- analytics results (Python estimators) may not exist yet: then an empty
            relation with the declared columns, so every model still builds -#}
        {%- for src in graph.sources.values() if src.source_name == 'analytics' -%}
            {%- set path = var('analytics_dir') ~ '/' ~ src.name ~ '.parquet' -%}
            {%- set found = run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] -%}
            {%- if found -%}
                {%- do statements.append(raw_relation_sql('analytics', src.name, path)) -%}
            {%- else -%}
                {%- do statements.append(empty_relation_sql('analytics', src.name, src.columns)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do statements.append(
            raw_relation_sql('quarantine', 'quarantined_rows', var('quarantine_dir') ~ '/**/*.parquet')
        ) -%}
        {%- do statements.append(
            raw_relation_sql('quarantine', 'ingested_files', var('ingest_log_dir') ~ '/*.parquet')
        ) -%}
        {{ return(statements | join(';\n')) }}
    {%- endif -%}
{% endmacro %}

{% macro raw_relation_sql(schema, name, glob) %}
    {{ return(adapter.dispatch('raw_relation_sql')(schema, name, glob)) }}
{% endmacro %}

{% macro default__raw_relation_sql(schema, name, glob) %}
    create schema if not exists {{ schema }};
    create or replace view {{ schema }}.{{ name }} as
    select * from read_parquet('{{ glob }}', union_by_name = true)
{% endmacro %}

{% macro spark__raw_relation_sql(schema, name, glob) %}
    create schema if not exists {{ schema }};
    drop table if exists {{ schema }}.{{ name }};
    create table {{ schema }}.{{ name }} using parquet location '{{ glob | replace("/*.parquet", "") | replace("/**/*.parquet", "") }}'
{% endmacro %}

{% macro empty_relation_sql(schema, name, columns) %}
    create schema if not exists {{ schema }};
    create or replace view {{ schema }}.{{ name }} as
    select
    {%- for col in columns.values() %}
        cast(null as {{ col.data_type }}) as {{ col.name }}{{ "," if not loop.last }}
    {%- endfor %}
    where false
{% endmacro %}
