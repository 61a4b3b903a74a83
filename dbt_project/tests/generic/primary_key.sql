-- A key: no column of it null and no value of it twice. The same rows fail as under
-- dbt's `unique` (of one column or a combination) with `not_null` on every key column,
-- in one read of the table and one check instead of one per column: a quarter of a
-- run's dbt nodes were those not_null tests, each a query and a Dagster check.
{% test primary_key(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having
        count(*) > 1
        {% for column in columns %}
            or {{ column }} is null
        {% endfor %}
{% endtest %}
