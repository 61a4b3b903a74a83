with

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_classified') }}
),

inbound as (
    select * from activities
    where is_inbound
),

brand_replies_ranked as (
    select
        platform,
        parent_id,
        account_id,
        created_at,
        row_number() over (
            partition by platform, parent_id order by created_at, activity_id
        ) as reply_rank
    from activities
    where is_brand_author and parent_id is not null
),

first_brand_replies as (
    select
        platform,
        parent_id,
        account_id as first_reply_account_id,
        created_at as first_reply_at
    from brand_replies_ranked
    where reply_rank = 1
),

brand_authors as (
    select
        platform,
        activity_id,
        account_id
    from activities
    where is_brand_author
),

measured as (
    select
        inbound.platform,
        inbound.activity_id,
        inbound.account_id,
        inbound.contact_id,
        inbound.activity_type,
        inbound.parent_id,
        inbound.created_at,
        inbound.created_on,
        inbound.period,
        first_brand_replies.first_reply_at,
        first_brand_replies.first_reply_account_id,
        parent_brand_authors.account_id as parent_brand_account_id,
        (
            {{ epoch_seconds('first_brand_replies.first_reply_at') }}
            - {{ epoch_seconds('inbound.created_at') }}
        ) / 60.0 as first_response_minutes
    from inbound
    left join first_brand_replies
        on
            inbound.platform = first_brand_replies.platform
            and inbound.activity_id = first_brand_replies.parent_id
    left join brand_authors as parent_brand_authors
        on
            inbound.platform = parent_brand_authors.platform
            and inbound.parent_id = parent_brand_authors.activity_id
),

final as (
    select
        *,
        coalesce(
            first_response_minutes >= 0
            and first_response_minutes <= {{ var('answer_window_hours') }} * 60.0,
            false
        ) as is_answered
    from measured
)

select * from final
