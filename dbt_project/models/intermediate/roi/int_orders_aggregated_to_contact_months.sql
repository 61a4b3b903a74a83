-- Completed orders of known contacts, by calendar month, in the reporting currency.
-- Sparse: months without a completed order have no row.
with

orders as (
    select * from {{ ref('int_orders_converted') }}
),

final as (
    select
        contact_id,
        period,
        count(*) as orders,
        sum(revenue) as revenue,
        sum(gross_margin) as gross_margin
    from orders
    where contact_id is not null and is_completed and has_fx_rate
    group by contact_id, period
)

select * from final
