{#- On Spark, the Python steps (estimator, scorer, quality checks, publication) do
    not read Spark's catalog: they read Parquet copies of the relations marked
    meta.handover that this invocation built, at <handover_dir>/<schema>/<name>/.
    DuckDB needs nothing: Python opens the warehouse file. -#}
{% macro hand_over_relations(results) %}
    {{ return(adapter.dispatch('hand_over_relations')(results)) }}
{% endmacro %}

{% macro default__hand_over_relations(results) %}
    select 1
{% endmacro %}

{% macro spark__hand_over_relations(results) %}
    {%- if execute -%}
        {%- for result in results
            if result.node.resource_type == 'model'
            and result.status == 'success'
            and result.node.config.meta.get('handover') -%}
            {%- do run_query(
                "insert overwrite directory "
                ~ sql_string(var('handover_dir') ~ "/" ~ result.node.schema ~ "/" ~ result.node.name)
                ~ " using parquet select * from " ~ result.node.schema ~ "." ~ result.node.alias
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
