{#- Days on which `flag` holds, per platform, numbered into runs: a run goes on while
    the next flagged day is at most two days later (a single quiet day inside a run
    does not split it). Columns: platform, date, run_no. Used by crisis_events
    (incidents) and voice_level_shifts (shifts). -#}
{% macro numbered_day_runs(relation, flag) %}
    select
        platform,
        date,
        sum(starts_run) over (
            partition by platform order by date rows between unbounded preceding and current row
        ) as run_no
    from (
        select
            platform,
            date,
            case
                when
                    lag(date) over (partition by platform order by date)
                    >= {{ dbt.dateadd('day', -2, 'date') }}
                    then 0
                else 1
            end as starts_run
        from {{ relation }}
        where {{ flag }}
    ) as flagged_days
{% endmacro %}
