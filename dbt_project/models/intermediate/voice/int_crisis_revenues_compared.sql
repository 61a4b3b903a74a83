-- Revenue around a crisis: 14 days from started_on against the 28 before, as daily
-- rates; the same ratio 364 days earlier (same weekdays) removes seasonality where
-- history allows. A ratio is null when its windows are not all in the data.
with

crises as {{ inline_import() }} (
    select * from {{ ref('int_crises_detected') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

revenue_daily as (
    select
        ordered_on,
        sum(revenue) as revenue
    from orders
    where is_completed
    group by ordered_on
),

revenue_bounds as (
    select
        min(ordered_on) as first_on,
        max(ordered_on) as last_on
    from revenue_daily
),

years_back as (
    select 0 as lag_days
    union all
    select 364 as lag_days
),

windows as (
    select
        crises.crisis_id,
        years_back.lag_days,
        cast({{ dbt.dateadd('day', '-28 - years_back.lag_days', 'crises.started_on') }} as date)
            as before_from,
        cast({{ dbt.dateadd('day', '-years_back.lag_days', 'crises.started_on') }} as date)
            as after_from,
        cast({{ dbt.dateadd('day', '14 - years_back.lag_days', 'crises.started_on') }} as date)
            as after_until
    from crises
    cross join years_back
),

window_revenue as (
    select
        windows.crisis_id,
        windows.lag_days,
        min(windows.before_from) >= min(revenue_bounds.first_on)
        and max(windows.after_until) <= {{ dbt.dateadd('day', 1, 'max(revenue_bounds.last_on)') }}
            as is_covered,
        sum(case when revenue_daily.ordered_on < windows.after_from then revenue_daily.revenue end)
        / 28.0 as before_per_day,
        sum(case when revenue_daily.ordered_on >= windows.after_from then revenue_daily.revenue end)
        / 14.0 as after_per_day
    from windows
    cross join revenue_bounds
    left join revenue_daily
        on
            windows.before_from <= revenue_daily.ordered_on
            and windows.after_until > revenue_daily.ordered_on
    group by windows.crisis_id, windows.lag_days
),

final as (
    select
        now.crisis_id,
        case when now.is_covered then now.after_per_day / nullif(now.before_per_day, 0) end
            as ratio_now,
        case
            when last_year.is_covered
                then last_year.after_per_day / nullif(last_year.before_per_day, 0)
        end as ratio_last_year
    from window_revenue as now
    left join window_revenue as last_year
        on
            now.crisis_id = last_year.crisis_id
            and last_year.lag_days = 364
    where now.lag_days = 0
)

select * from final
