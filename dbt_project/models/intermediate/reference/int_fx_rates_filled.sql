-- One rate per currency and day, from the currency's first rate to the last day
-- any money needs converting: the nearest earlier rate carried forward.
with

rates as {{ inline_import() }} (
    select * from {{ ref('stg_reference__fx_rates') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('stg_sales__orders') }}
),

costs as {{ inline_import() }} (
    select * from {{ ref('stg_costs__community_costs') }}
),

last_needed as (
    select max(day) as last_day
    from (
        select max(rate_on) as day from rates
        union all
        select max(cast(ordered_at as date)) as day from orders
        union all
        select max(incurred_on) as day from costs
    ) as candidates
),

currency_bounds as (
    select
        rates.currency,
        min(rates.rate_on) as first_day,
        max(last_needed.last_day) as last_day
    from rates
    cross join last_needed
    group by rates.currency
),

overall_bounds as (
    select
        min(first_day) as first_day,
        max(last_day) as last_day
    from currency_bounds
),

days as (
    {{ day_series('first_day', 'last_day', 'overall_bounds') }}
),

grid as (
    select
        currency_bounds.currency,
        days.day
    from currency_bounds
    inner join days
        on days.day between currency_bounds.first_day and currency_bounds.last_day
),

filled as (
    select
        grid.currency,
        grid.day as rate_on,
        {{ last_value_ignore_nulls('rates.rate_to_reporting') }} over (
            partition by grid.currency
            order by grid.day
            rows between unbounded preceding and current row
        ) as rate_to_reporting,
        rates.rate_to_reporting is null as is_carried_forward
    from grid
    left join rates
        on
            grid.currency = rates.currency
            and grid.day = rates.rate_on
),

final as (
    select * from filled
)

select * from final
