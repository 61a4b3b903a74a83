{#- The window the causal estimate covers, one row: from the estimator's results
    (first cohort month with enough history, last day of data). -#}
{% macro estimate_window(relation) %}
    select
        min(window_start) as window_start,
        max(window_end) as window_end
    from {{ relation }}
{% endmacro %}
