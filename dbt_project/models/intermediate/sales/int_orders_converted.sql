-- Orders in the reporting currency with their gross margin.
-- revenue      = amount x rate (rate 1 for the reporting currency itself)
-- cost_of_goods = sum(quantity x unit_cost) over lines x rate; a line without
--                unit_cost costs quantity x unit_price x (1 - default_margin_rate);
--                an order without lines costs amount x (1 - default_margin_rate)
-- gross_margin = revenue - cost_of_goods
with

orders as (
    select * from {{ ref('stg_sales__orders') }}
),

order_lines as (
    select * from {{ ref('stg_sales__order_lines') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_filled') }}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        count(unit_cost) as costed_line_count,
        sum(
            quantity * coalesce(unit_cost, unit_price * (1 - {{ var('default_margin_rate') }}))
        ) as cost_of_goods_local
    from order_lines
    group by order_id
),

converted as (
    select
        orders.order_id,
        orders.contact_id,
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_on,
        {{ month_of('orders.ordered_at') }} as period,
        orders.status,
        orders.channel,
        orders.currency,
        orders.amount as amount_local,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.costed_line_count, 0) as costed_line_count,
        case
            when orders.currency = '{{ var("reporting_currency") }}' then 1.0
            else fx_rates.rate_to_reporting
        end as rate_to_reporting,
        coalesce(
            line_totals.cost_of_goods_local,
            orders.amount * (1 - {{ var('default_margin_rate') }})
        ) as cost_of_goods_local
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id
    left join fx_rates
        on
            orders.currency = fx_rates.currency
            and cast(orders.ordered_at as date) = fx_rates.rate_on
),

final as (
    select
        order_id,
        contact_id,
        ordered_at,
        ordered_on,
        period,
        status,
        channel,
        currency,
        amount_local,
        line_count,
        costed_line_count,
        rate_to_reporting,
        rate_to_reporting is not null as has_fx_rate,
        status = 'completed' as is_completed,
        amount_local * rate_to_reporting as revenue,
        cost_of_goods_local * rate_to_reporting as cost_of_goods,
        (amount_local - cost_of_goods_local) * rate_to_reporting as gross_margin
    from converted
)

select * from final
