-- A key: no column of it null and no value of it twice. The same rows fail as under
-- dbt's `unique` (of one column or a combination) with `not_null` on every key column,
-- in one read of the table and one check instead of one per column: a quarter of a
-- run's dbt nodes were those not_null tests, each a query and a Dagster check.
--
-- rebuilt_rows_marker (an incremental table's built_at): the check looks at the rows
-- built since its last pass only (macros/key_checks.sql says when it looks at all):
-- their keys must not be null and must not be in the table twice, counted over the
-- whole table, so a new row that repeats an old row's key fails. The rows it skips
-- passed this check before and no build rewrote them: a build stamps its rows with
-- its own start, later than any row the last pass saw (">=" would read again the
-- whole of a table built whole the day before, at about three times a plain check).
{% test primary_key(model, columns, rebuilt_rows_marker=none) %}
    {%- set scoped_check = key_check_scoped(model, columns, rebuilt_rows_marker) -%}
    {%- if scoped_check -%}
        with

        checked as (
            select checked_through from ops.key_checks
            where check_name = {{ sql_string(scoped_check) }}
        ),

        rebuilt as (
            select {{ columns | join(', ') }} from {{ model }}
            where {{ rebuilt_rows_marker }} > (select checked_through from checked)
        ),

        rebuilt_keys as (
            select distinct {{ columns | join(', ') }} from rebuilt
            where {% for column in columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
        ),

        repeated as (
            select
                {{ columns | join(', ') }},
                count(*) as n_rows
            from {{ model }}
            semi join rebuilt_keys using ({{ columns | join(', ') }})
            group by {{ columns | join(', ') }}
            having count(*) > 1
        ),

        with_null as (
            select
                {{ columns | join(', ') }},
                count(*) as n_rows
            from rebuilt
            where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
            group by {{ columns | join(', ') }}
        )

        select * from repeated
        union all
        select * from with_null
    {%- else -%}
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
    {%- endif -%}
{% endtest %}
