{#- Paths and other values reach SQL only as escaped literals (a quote in
    TC_WAREHOUSE_DIR once broke every run). -#}

{#- A string literal. DuckDB doubles a quote; Spark SQL escapes with a backslash
    (and would read 'a''b' as two adjacent literals). -#}
{% macro sql_string(value) %}
    {{ return(adapter.dispatch('sql_string')(value)) }}
{% endmacro %}

{% macro default__sql_string(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}

{% macro spark__sql_string(value) %}
    {{ return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "\\'")) ~ "'") }}
{% endmacro %}
