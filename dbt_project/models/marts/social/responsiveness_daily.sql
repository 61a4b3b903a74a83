with

inbound as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

scoped as (
    select
        inbound.created_on,
        {{ scope_of('inbound.platform') }} as platform,
        inbound.is_answered,
        inbound.first_response_minutes
    from inbound
    cross join {{ platform_scopes() }}
),

aggregated as (
    select
        created_on as date,
        platform,
        count(*) as inbound,
        count(*) filter (where is_answered) as answered,
        median(case when is_answered then cast(first_response_minutes as double) end)
            as median_first_response_minutes,
        percentile_cont(0.9) within group (
            order by case when is_answered then cast(first_response_minutes as double) end
        ) as p90_first_response_minutes
    from scoped
    group by created_on, platform
),

final as (
    select
        date,
        platform,
        inbound,
        answered,
        cast(answered as double) / nullif(inbound, 0) as answered_share,
        round(median_first_response_minutes, 2) as median_first_response_minutes,
        round(p90_first_response_minutes, 2) as p90_first_response_minutes
    from aggregated
)

select * from final
