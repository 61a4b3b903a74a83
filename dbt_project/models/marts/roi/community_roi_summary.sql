with

costs as {{ inline_import() }} (
    select * from {{ ref('int_community_costs_allocated') }}
),

engagements as {{ inline_import() }} (
    select * from {{ ref('int_engagements_covered') }}
),

naive as {{ inline_import() }} (
    select * from {{ ref('int_engaged_orders_aggregated_to_months') }}
),

effects as {{ inline_import() }} (
    select * from {{ ref('stg_analytics__roi_incremental_summary') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('int_accounts_resolved') }}
),

inbound as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

contact_orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_aggregated_to_contact_months') }}
),

estimate_window as (
    {{ estimate_window('effects') }}
),

-- costs of the covered window only: the same months whose engagements are credited
costs_scoped as (
    select
        {{ scope_of('costs.platform') }} as platform,
        {{ exact_sum('costs.cost') }} as cost
    from costs
    cross join estimate_window
    cross join {{ platform_scopes() }}
    where costs.period between estimate_window.window_start and estimate_window.window_end
    group by 1
),

-- a contact who never bought is outside the estimate (contact fixed effects learn
-- nothing from all-zero revenue): counted apart so the reader sees who is not measured
buyers as (
    select distinct contact_orders.contact_id
    from contact_orders
    cross join estimate_window
    where contact_orders.period <= estimate_window.window_end
),

engaged_scoped as (
    select
        {{ scope_of('engagements.platform') }} as platform,
        count(distinct engagements.contact_id) as engaged_customers,
        count(distinct case when buyers.contact_id is null then engagements.contact_id end)
            as engaged_customers_without_orders
    from engagements
    left join buyers on engagements.contact_id = buyers.contact_id
    cross join {{ platform_scopes() }}
    group by 1
),

naive_scoped as (
    select
        {{ scope_of('naive.platform') }} as platform,
        {{ exact_sum('naive.naive_revenue') }} as naive_revenue,
        {{ exact_sum('naive.naive_margin') }} as naive_margin
    from naive
    cross join {{ platform_scopes() }}
    group by 1
),

-- identity resolution bounds what is measurable (methods note 3)
engaging_accounts as (
    select distinct
        inbound.platform,
        inbound.account_id,
        accounts.is_resolved
    from inbound
    inner join accounts
        on inbound.platform = accounts.platform and inbound.account_id = accounts.account_id
),

unresolved_scoped as (
    select
        {{ scope_of('engaging_accounts.platform') }} as platform,
        count(*) as engaging_accounts,
        avg(case when engaging_accounts.is_resolved then 0 else 1 end)
            as unresolved_engaging_account_share
    from engaging_accounts
    cross join {{ platform_scopes() }}
    group by 1
),

platforms as (
    select platform from costs_scoped
    union
    select platform from effects
    union
    select platform from naive_scoped
    union
    select platform from unresolved_scoped
),

final as (
    -- money to the cent, ratios to 1e-6: parallel sums of doubles differ in the
    -- last bits from run to run, and a rerun must publish identical marts
    select
        platforms.platform,
        estimate_window.window_start,
        estimate_window.window_end,
        round(coalesce(costs_scoped.cost, 0), 2) as cost,
        coalesce(engaged_scoped.engaged_customers, 0) as engaged_customers,
        round(coalesce(naive_scoped.naive_revenue, 0), 2) as naive_revenue,
        round(coalesce(naive_scoped.naive_margin, 0), 2) as naive_margin,
        effects.incremental_revenue,
        effects.incremental_revenue_low,
        effects.incremental_revenue_high,
        effects.incremental_margin,
        effects.incremental_margin_low,
        effects.incremental_margin_high,
        round({{ roi('coalesce(naive_scoped.naive_margin, 0)', 'costs_scoped.cost') }}, 6) as naive_roi,
        round({{ roi('effects.incremental_margin', 'costs_scoped.cost') }}, 6) as roi,
        round({{ roi('effects.incremental_margin_low', 'costs_scoped.cost') }}, 6) as roi_low,
        round({{ roi('effects.incremental_margin_high', 'costs_scoped.cost') }}, 6) as roi_high,
        effects.control_customers,
        coalesce(unresolved_scoped.engaging_accounts, 0) as engaging_accounts,
        unresolved_scoped.unresolved_engaging_account_share,
        effects.pretrend_p_value,
        effects.pretrend_ok,
        coalesce(effects.method, 'not estimated: no identified cohort') as method,
        coalesce(engaged_scoped.engaged_customers_without_orders, 0)
            as engaged_customers_without_orders
    from platforms
    cross join estimate_window
    left join costs_scoped on platforms.platform = costs_scoped.platform
    left join engaged_scoped on platforms.platform = engaged_scoped.platform
    left join naive_scoped on platforms.platform = naive_scoped.platform
    left join effects on platforms.platform = effects.platform
    left join unresolved_scoped on platforms.platform = unresolved_scoped.platform
)

select * from final
