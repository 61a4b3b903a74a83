-- Orders and community costs that cannot be converted to the reporting currency:
-- their currency has no rate in reference/fx_rates on their day or before. They are
-- left out of revenue (int_orders_converted.has_fx_rate is false) and of cost
-- (int_community_costs_allocated) alike, listed here, and counted by two warning
-- tests, so the run goes on and its summary says how many and why.
with

orders as {{ inline_import() }} (
    select * from {{ ref('stg_sales__orders') }}
),

costs as {{ inline_import() }} (
    select * from {{ ref('stg_costs__community_costs') }}
),

fx_rates as {{ inline_import() }} (
    select * from {{ ref('int_fx_rates_filled') }}
),

amounts as (
    select
        'sales/orders' as source_entity,
        order_id as record_id,
        currency,
        cast(ordered_at as date) as dated_on,
        amount as amount_local
    from orders
    union all
    select
        'costs/community_costs' as source_entity,
        cost_id as record_id,
        currency,
        incurred_on as dated_on,
        amount as amount_local
    from costs
),

currencies_with_rates as (
    select distinct currency from fx_rates
),

final as (
    select
        amounts.source_entity,
        amounts.record_id,
        amounts.currency,
        amounts.dated_on,
        amounts.amount_local,
        case
            when currencies_with_rates.currency is null
                then concat(
                    'no rate for ', amounts.currency, ' in reference/fx_rates'
                )
            else concat(
                'no rate for ', amounts.currency, ' on or before ',
                cast(amounts.dated_on as string)
            )
        end as reason
    from amounts
    left join fx_rates
        on
            amounts.currency = fx_rates.currency
            and amounts.dated_on = fx_rates.rate_on
    left join currencies_with_rates
        on amounts.currency = currencies_with_rates.currency
    where
        amounts.currency <> '{{ var("reporting_currency") }}'
        and fx_rates.rate_to_reporting is null
)

select * from final
