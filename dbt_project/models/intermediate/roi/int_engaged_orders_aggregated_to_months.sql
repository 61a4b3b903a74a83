-- What a naive dashboard credits to community work: every completed order of an
-- engaged (covered) contact placed after the contact's engagement start.
with

engagements as {{ inline_import() }} (
    select * from {{ ref('int_engagements_covered') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

final as (
    select
        orders.period,
        engagements.platform,
        engagements.campaign_id,
        count(*) as orders,
        {{ exact_sum('orders.revenue') }} as naive_revenue,
        {{ exact_sum('orders.gross_margin') }} as naive_margin
    from orders
    inner join engagements
        on
            orders.contact_id = engagements.contact_id
            and orders.ordered_at >= engagements.engaged_at
    where orders.is_completed and orders.has_fx_rate and orders.period <= engagements.window_end
    group by orders.period, engagements.platform, engagements.campaign_id
)

select * from final
