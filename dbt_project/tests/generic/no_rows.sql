{#- Every row of the model (or of its `where` config) is a failure: used with severity
    warn to count rows that were left out of the figures, such as amounts without an
    fx rate. -#}
{% test no_rows(model) %}
    select * from {{ model }}
{% endtest %}
