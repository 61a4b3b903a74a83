with

campaigns as {{ inline_import() }} (
    select * from {{ ref('stg_costs__campaigns') }}
),

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
    select * from {{ ref('stg_analytics__roi_incremental_campaign') }}
),

campaign_costs as (
    select
        campaign_id,
        {{ exact_sum('cost') }} as cost
    from costs
    where campaign_id is not null
    group by campaign_id
),

campaign_engagements as (
    select
        campaign_id,
        count(*) as engaged_customers
    from engagements
    where campaign_id is not null
    group by campaign_id
),

campaign_naive as (
    select
        campaign_id,
        {{ exact_sum('naive_revenue') }} as naive_revenue,
        {{ exact_sum('naive_margin') }} as naive_margin
    from naive
    where campaign_id is not null
    group by campaign_id
),

final as (
    -- money to the cent, ratios to 1e-6: parallel sums of doubles differ in the
    -- last bits from run to run, and a rerun must publish identical marts
    select
        campaigns.campaign_id,
        campaigns.name,
        campaigns.platform,
        campaigns.started_on,
        campaigns.ended_on,
        round(coalesce(campaign_costs.cost, 0), 2) as cost,
        coalesce(campaign_engagements.engaged_customers, 0) as engaged_customers,
        round(coalesce(campaign_naive.naive_revenue, 0), 2) as naive_revenue,
        effects.incremental_revenue,
        effects.incremental_revenue_low,
        effects.incremental_revenue_high,
        effects.incremental_margin,
        round({{ roi('coalesce(campaign_naive.naive_margin, 0)', 'campaign_costs.cost') }}, 6) as naive_roi,
        round({{ roi('effects.incremental_margin', 'campaign_costs.cost') }}, 6) as roi,
        round({{ roi('effects.incremental_margin_low', 'campaign_costs.cost') }}, 6) as roi_low,
        round({{ roi('effects.incremental_margin_high', 'campaign_costs.cost') }}, 6) as roi_high,
        coalesce(effects.is_pooled_with_platform, false) as is_pooled_with_platform,
        case
            when effects.is_pooled_with_platform
                then 'not estimated: too few engaged contacts (pooled with its platform)'
            when effects.campaign_id is null then 'not estimated: no covered engagement'
            else effects.method
        end as method
    from campaigns
    left join campaign_costs on campaigns.campaign_id = campaign_costs.campaign_id
    left join campaign_engagements on campaigns.campaign_id = campaign_engagements.campaign_id
    left join campaign_naive on campaigns.campaign_id = campaign_naive.campaign_id
    left join effects on campaigns.campaign_id = effects.campaign_id
)

select * from final
