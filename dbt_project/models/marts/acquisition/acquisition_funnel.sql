with

contacts as {{ inline_import() }} (
    select * from {{ ref('stg_crm__contacts') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

leads as (
    select
        contact_id,
        acquisition_channel,
        converted_at,
        converted_at is not null as is_converted,
        {{ dbt.datediff('cast(created_at as date)', 'cast(converted_at as date)', 'day') }}
            as days_to_convert
    from contacts
    where acquisition_channel is not null
),

lead_revenues as (
    select
        orders.contact_id,
        count(*) as completed_orders,
        count(case when not orders.has_fx_rate then 1 end) as orders_without_fx_rate,
        sum(cast(orders.revenue as decimal(38, 2))) as revenue
    from orders
    inner join leads
        on orders.contact_id = leads.contact_id
    where orders.is_completed
    group by orders.contact_id
),

scoped as (
    select
        leads.is_converted,
        leads.days_to_convert,
        lead_revenues.completed_orders,
        lead_revenues.orders_without_fx_rate,
        lead_revenues.revenue,
        case
            when scopes.scope_kind = 'all' then 'all' else leads.acquisition_channel
        end as acquisition_channel
    from leads
    left join lead_revenues
        on leads.contact_id = lead_revenues.contact_id
    cross join {{ platform_scopes() }}
),

aggregated as (
    select
        acquisition_channel,
        count(*) as leads,
        count(case when is_converted then 1 end) as converted,
        percentile_cont(0.5) within group (
            order by case when is_converted then cast(days_to_convert as double) end
        ) as median_days_to_convert,
        count(case when revenue > 0 then 1 end) as leads_with_revenue,
        cast(coalesce(sum(completed_orders), 0) as bigint) as completed_orders,
        cast(coalesce(sum(orders_without_fx_rate), 0) as bigint) as orders_without_fx_rate,
        coalesce(sum(revenue), 0) as revenue
    from scoped
    group by acquisition_channel
),

final as (
    select
        acquisition_channel,
        leads,
        converted,
        round(cast(converted as double) / leads, 6) as conversion_rate,
        round({{ wilson_bound('converted', 'leads', 'low') }}, 6) as conversion_rate_low,
        round({{ wilson_bound('converted', 'leads', 'high') }}, 6) as conversion_rate_high,
        median_days_to_convert,
        leads_with_revenue,
        completed_orders,
        orders_without_fx_rate,
        cast(revenue as double) as revenue,
        round(cast(revenue as double) / leads, 2) as revenue_per_lead,
        round(cast(revenue as double) / nullif(converted, 0), 2) as revenue_per_converted,
        'descriptive: Wilson 95% interval on the conversion rate' as method
    from aggregated
)

select * from final
