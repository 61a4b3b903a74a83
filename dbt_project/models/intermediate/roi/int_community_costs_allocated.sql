-- The cost ledger in the reporting currency, with every cost on a platform.
-- A cost with a platform (or a campaign with one) stays there. A cost with no
-- platform is spread over the platforms in proportion to their inbound activities
-- in the cost's month; in a month with no inbound activity, equally over the
-- platforms that ever had any; with no social activity at all, on 'unallocated'.
-- A cost whose currency has no rate on its day is left out, as such orders are of
-- revenue (both are listed and counted in int_amounts_without_fx_rate).
with

costs as {{ inline_import() }} (
    select * from {{ ref('stg_costs__community_costs') }}
),

campaigns as {{ inline_import() }} (
    select * from {{ ref('stg_costs__campaigns') }}
),

fx_rates as {{ inline_import() }} (
    select * from {{ ref('int_fx_rates_filled') }}
),

inbound as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

converted as (
    select
        costs.cost_id,
        costs.incurred_on,
        {{ month_of('costs.incurred_on') }} as period,
        costs.category,
        costs.campaign_id,
        coalesce(costs.platform, campaigns.platform) as platform,
        costs.amount * case
            when costs.currency = '{{ var("reporting_currency") }}' then 1.0
            else fx_rates.rate_to_reporting
        end as cost
    from costs
    left join campaigns
        on costs.campaign_id = campaigns.campaign_id
    left join fx_rates
        on
            costs.currency = fx_rates.currency
            and costs.incurred_on = fx_rates.rate_on
    where
        costs.currency = '{{ var("reporting_currency") }}'
        or fx_rates.rate_to_reporting is not null
),

inbound_by_month as (
    select
        period,
        platform,
        count(*) as inbound
    from inbound
    group by period, platform
),

platform_shares as (
    select
        period,
        platform,
        cast(inbound as double) / sum(inbound) over (partition by period) as share
    from inbound_by_month
),

all_platforms as (
    select distinct platform from inbound_by_month
),

equal_shares as (
    select
        platform,
        1.0 / count(*) over () as share
    from all_platforms
),

with_platform as (
    select
        cost_id,
        incurred_on,
        period,
        category,
        campaign_id,
        platform,
        cost,
        false as is_spread
    from converted
    where platform is not null
),

spread_by_activity as (
    select
        converted.cost_id,
        converted.incurred_on,
        converted.period,
        converted.category,
        converted.campaign_id,
        platform_shares.platform,
        converted.cost * platform_shares.share as cost,
        true as is_spread
    from converted
    inner join platform_shares
        on converted.period = platform_shares.period
    where converted.platform is null
),

spread_equally as (
    select
        converted.cost_id,
        converted.incurred_on,
        converted.period,
        converted.category,
        converted.campaign_id,
        equal_shares.platform,
        converted.cost * equal_shares.share as cost,
        true as is_spread
    from converted
    cross join equal_shares
    where
        converted.platform is null
        and not exists (
            select 1 from platform_shares
            where platform_shares.period = converted.period
        )
),

-- no social activity at all: the cost still shows, on platform 'unallocated'
unallocated as (
    select
        cost_id,
        incurred_on,
        period,
        category,
        campaign_id,
        'unallocated' as platform,
        cost,
        true as is_spread
    from converted
    where platform is null and not exists (select 1 from all_platforms)
),

final as (
    select * from with_platform
    union all
    select * from spread_by_activity
    union all
    select * from spread_equally
    union all
    select * from unallocated
)

select * from final
