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
    select * from {{ ref('stg_analytics__roi_incremental_monthly') }}
),

estimate_window as (
    {{ estimate_window('effects') }}
),

costs_scoped as (
    select
        costs.period,
        {{ scope_of('costs.platform') }} as platform,
        {{ exact_sum('costs.cost') }} as cost
    from costs
    cross join {{ platform_scopes() }}
    group by 1, 2
),

new_engagements as (
    select
        engagements.engaged_period as period,
        {{ scope_of('engagements.platform') }} as platform,
        count(*) as newly_engaged_customers
    from engagements
    cross join {{ platform_scopes() }}
    group by 1, 2
),

naive_scoped as (
    select
        naive.period,
        {{ scope_of('naive.platform') }} as platform,
        {{ exact_sum('naive.naive_revenue') }} as naive_revenue,
        {{ exact_sum('naive.naive_margin') }} as naive_margin
    from naive
    cross join {{ platform_scopes() }}
    group by 1, 2
),

grid as (
    select
        period,
        platform
    from costs_scoped
    union
    select
        period,
        platform
    from naive_scoped
    union
    select
        period,
        platform
    from effects
    union
    select
        period,
        platform
    from new_engagements
),

joined as (
    select
        grid.period,
        grid.platform,
        coalesce(costs_scoped.cost, 0) as cost,
        coalesce(new_engagements.newly_engaged_customers, 0) as newly_engaged_customers,
        -- months before the covered window have no naive or causal figures (null)
        {%- for source_cte, column in [
            ('naive_scoped', 'naive_revenue'), ('naive_scoped', 'naive_margin'),
            ('effects', 'incremental_revenue'), ('effects', 'incremental_revenue_low'),
            ('effects', 'incremental_revenue_high'), ('effects', 'incremental_margin'),
            ('effects', 'incremental_margin_low'), ('effects', 'incremental_margin_high'),
        ] %}
            case
                when grid.period >= estimate_window.window_start
                    then coalesce({{ source_cte }}.{{ column }}, 0)
            end as {{ column }},
        {%- endfor %}
        effects.control_customers,
        coalesce(
            effects.method,
            case
                when estimate_window.window_start is null then 'not estimated: no identified cohort'
                when grid.period < estimate_window.window_start
                    then 'not estimated: before the covered window'
                else 'poisson_did_contact_month_fe'
            end
        ) as method
    from grid
    cross join estimate_window
    left join costs_scoped
        on grid.period = costs_scoped.period and grid.platform = costs_scoped.platform
    left join new_engagements
        on grid.period = new_engagements.period and grid.platform = new_engagements.platform
    left join naive_scoped
        on grid.period = naive_scoped.period and grid.platform = naive_scoped.platform
    left join effects
        on grid.period = effects.period and grid.platform = effects.platform
),

final as (
    -- money to the cent, ratios to 1e-6: parallel sums of doubles differ in the
    -- last bits from run to run, and a rerun must publish identical marts
    select
        period,
        platform,
        round(cost, 2) as cost,
        cast(sum(newly_engaged_customers) over (
            partition by platform order by period rows between unbounded preceding and current row
        ) as bigint) as engaged_customers,
        newly_engaged_customers,
        round(naive_revenue, 2) as naive_revenue,
        round(naive_margin, 2) as naive_margin,
        round(incremental_revenue, 2) as incremental_revenue,
        round(incremental_revenue_low, 2) as incremental_revenue_low,
        round(incremental_revenue_high, 2) as incremental_revenue_high,
        round(incremental_margin, 2) as incremental_margin,
        round(incremental_margin_low, 2) as incremental_margin_low,
        round(incremental_margin_high, 2) as incremental_margin_high,
        round({{ roi('naive_margin', 'cost') }}, 6) as naive_roi,
        round({{ roi('incremental_margin', 'cost') }}, 6) as roi,
        round({{ roi('incremental_margin_low', 'cost') }}, 6) as roi_low,
        round({{ roi('incremental_margin_high', 'cost') }}, 6) as roi_high,
        control_customers,
        method
    from joined
)

select * from final
