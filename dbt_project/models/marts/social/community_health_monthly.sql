with

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_classified') }}
),

page_metrics as {{ inline_import() }} (
    select * from {{ ref('stg_social__page_metrics') }}
),

-- every activity counted once for its platform and once for 'all'
scoped as (
    select
        activities.period,
        {{ scope_of('activities.platform') }} as scope,
        activities.platform,
        activities.account_id,
        activities.contact_id,
        activities.activity_type,
        activities.is_brand_author,
        activities.is_brand_post,
        activities.is_brand_reply,
        activities.is_inbound,
        activities.is_peer_to_peer_reply
    from activities
    cross join {{ platform_scopes() }}
),

-- members: non-brand authors of something other than a reaction (a like is vanity)
member_authors as (
    select distinct
        scope,
        period,
        platform,
        account_id
    from scoped
    where not is_brand_author and activity_type <> 'reaction'
),

returning_counts as (
    select
        this_month.scope,
        this_month.period,
        count(*) as returning_authors
    from member_authors as this_month
    inner join member_authors as last_month
        on
            this_month.scope = last_month.scope
            and this_month.platform = last_month.platform
            and this_month.account_id = last_month.account_id
            and last_month.period = cast({{ dbt.dateadd('month', -1, 'this_month.period') }} as date)
    group by this_month.scope, this_month.period
),

activity_counts as (
    select
        scope,
        period,
        count(*) filter (where is_brand_post) as brand_posts,
        count(*) filter (where is_brand_reply) as brand_replies,
        count(*) filter (where not is_brand_author and activity_type <> 'reaction')
            as member_activities,
        count(*) filter (where is_peer_to_peer_reply) as peer_to_peer_replies,
        count(distinct case
            when not is_brand_author and activity_type <> 'reaction'
                then concat(platform, ':', account_id)
        end) as active_authors,
        count(distinct case when is_inbound then contact_id end) as engaged_customers
    from scoped
    group by scope, period
),

-- followers: the brand accounts' count on the last reported day of the month
page_daily as (
    select
        platform,
        account_id,
        metric_on,
        {{ month_of('metric_on') }} as period,
        followers,
        impressions,
        engagements
    from page_metrics
),

last_day as (
    select
        platform,
        account_id,
        period,
        max(metric_on) as last_metric_on
    from page_daily
    where followers is not null
    group by platform, account_id, period
),

page_by_platform as (
    select
        page_daily.platform,
        page_daily.period,
        cast(
            sum(case when page_daily.metric_on = last_day.last_metric_on then page_daily.followers end)
            as bigint
        ) as followers,
        cast(sum(page_daily.impressions) as bigint) as impressions,
        cast(sum(page_daily.engagements) as bigint) as engagements
    from page_daily
    left join last_day
        on
            page_daily.platform = last_day.platform
            and page_daily.account_id = last_day.account_id
            and page_daily.period = last_day.period
    group by page_daily.platform, page_daily.period
),

page_scoped as (
    select
        platform as scope,
        period,
        followers,
        impressions,
        engagements
    from page_by_platform
    union all
    select
        'all' as scope,
        period,
        cast(sum(followers) as bigint) as followers,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(engagements) as bigint) as engagements
    from page_by_platform
    group by period
),

periods as (
    select
        scope,
        period
    from activity_counts
    union
    select
        scope,
        period
    from page_scoped
),

final as (
    select
        periods.period,
        periods.scope as platform,
        coalesce(activity_counts.brand_posts, 0) as brand_posts,
        coalesce(activity_counts.brand_replies, 0) as brand_replies,
        coalesce(activity_counts.member_activities, 0) as member_activities,
        coalesce(activity_counts.peer_to_peer_replies, 0) as peer_to_peer_replies,
        coalesce(activity_counts.active_authors, 0) as active_authors,
        coalesce(returning_counts.returning_authors, 0) as returning_authors,
        page_scoped.followers,
        page_scoped.impressions,
        page_scoped.engagements,
        coalesce(activity_counts.engaged_customers, 0) as engaged_customers
    from periods
    left join activity_counts
        on periods.scope = activity_counts.scope and periods.period = activity_counts.period
    left join returning_counts
        on periods.scope = returning_counts.scope and periods.period = returning_counts.period
    left join page_scoped
        on periods.scope = page_scoped.scope and periods.period = page_scoped.period
)

select * from final
