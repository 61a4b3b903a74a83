{#- A renamed or removed staging/intermediate model leaves its old table behind in a
    warehouse built before the change (issue 22 renamed four): drop the stg_/int_
    relations of the staging and intermediate schemas that no model builds any more.
    Marts are never dropped (public names), nor anything without the dbt prefixes, so a
    user's own relations stay. DuckDB only; elsewhere it does nothing. -#}
{% macro drop_stale_relations() %}
    {{ return(adapter.dispatch('drop_stale_relations')()) }}
{% endmacro %}

{% macro default__drop_stale_relations() %}
    select 1
{% endmacro %}

{% macro duckdb__drop_stale_relations() %}
    {%- if execute -%}
        {%- set built = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type in ['model', 'seed', 'snapshot'] -%}
            {%- do built.append((node.schema ~ '.' ~ (node.alias or node.name)) | lower) -%}
        {%- endfor -%}
        {%- set found = run_query(
            "select table_schema, table_name, table_type from information_schema.tables "
            ~ "where table_catalog = current_database() "
            ~ "and table_schema in ('staging', 'intermediate') "
            ~ "and (table_name like 'stg\\_%' escape '\\' or table_name like 'int\\_%' escape '\\')"
        ) -%}
        {%- for row in found.rows -%}
            {%- set qualified = (row[0] ~ '.' ~ row[1]) | lower -%}
            {%- if qualified not in built -%}
                {%- set kind = 'view' if row[2] == 'VIEW' else 'table' -%}
                {%- do log('dropping ' ~ qualified ~ ': no model builds it any more', info=true) -%}
                {%- do run_query('drop ' ~ kind ~ ' if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
