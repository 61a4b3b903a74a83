-- Inbound activities attributed to one brand account: the account that replied
-- first, else the brand account whose activity was answered, else the brand
-- account whose handle the text mentions first (@handle); otherwise unattributed.
with

inbound as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('stg_social__activities') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('int_accounts_resolved') }}
),

brand_handles as (
    select
        platform,
        lower(coalesce(handle, account_id)) as handle_key,
        min(account_id) as account_id
    from accounts
    where is_brand
    group by platform, lower(coalesce(handle, account_id))
),

mentioned as (
    select
        inbound.platform,
        inbound.activity_id,
        lower(regexp_extract(activities.text, '@([A-Za-z0-9_]+)', 1)) as handle_key
    from inbound
    inner join activities
        on
            inbound.platform = activities.platform
            and inbound.activity_id = activities.activity_id
    where
        inbound.first_reply_account_id is null
        and inbound.parent_brand_account_id is null
),

attributed as (
    select
        inbound.platform,
        inbound.created_on,
        inbound.is_answered,
        inbound.first_response_minutes,
        coalesce(
            inbound.first_reply_account_id,
            inbound.parent_brand_account_id,
            brand_handles.account_id,
            '(unattributed)'
        ) as account_id
    from inbound
    left join mentioned
        on
            inbound.platform = mentioned.platform
            and inbound.activity_id = mentioned.activity_id
    left join brand_handles
        on
            mentioned.platform = brand_handles.platform
            and mentioned.handle_key = brand_handles.handle_key
),

aggregated as (
    select
        platform,
        account_id,
        min(created_on) as first_inbound_on,
        max(created_on) as last_inbound_on,
        count(*) as inbound,
        count(case when is_answered then 1 end) as answered,
        percentile_cont(0.5) within group (
            order by case when is_answered then cast(first_response_minutes as double) end
        ) as median_first_response_minutes,
        percentile_cont(0.9) within group (
            order by case when is_answered then cast(first_response_minutes as double) end
        ) as p90_first_response_minutes
    from attributed
    group by platform, account_id
),

final as (
    select
        aggregated.platform,
        aggregated.account_id,
        accounts.handle,
        aggregated.first_inbound_on,
        aggregated.last_inbound_on,
        aggregated.inbound,
        aggregated.answered,
        cast(aggregated.answered as double) / nullif(aggregated.inbound, 0) as answered_share,
        round(aggregated.median_first_response_minutes, 2) as median_first_response_minutes,
        round(aggregated.p90_first_response_minutes, 2) as p90_first_response_minutes
    from aggregated
    left join accounts
        on
            aggregated.platform = accounts.platform
            and aggregated.account_id = accounts.account_id
)

select * from final
