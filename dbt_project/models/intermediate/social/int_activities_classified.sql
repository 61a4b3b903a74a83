with

activities as (
    select * from {{ ref('stg_social__activities') }}
),

accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

parents as (
    select
        activities.platform,
        activities.activity_id,
        accounts.is_brand
    from activities
    inner join accounts
        on
            activities.platform = accounts.platform
            and activities.account_id = accounts.account_id
),

joined as (
    select
        activities.platform,
        activities.activity_id,
        activities.account_id,
        activities.activity_type,
        activities.created_at,
        activities.parent_id,
        activities.campaign_id,
        activities.like_count,
        activities.share_count,
        activities.lang,
        activities.sentiment,
        md5(activities.text) as text_hash,
        authors.contact_id,
        authors.is_resolved as is_author_resolved,
        authors.is_brand as is_brand_author,
        parents.activity_id is not null as has_known_parent,
        coalesce(parents.is_brand, false) as is_parent_by_brand
    from activities
    inner join accounts as authors
        on
            activities.platform = authors.platform
            and activities.account_id = authors.account_id
    left join parents
        on
            activities.platform = parents.platform
            and activities.parent_id = parents.activity_id
),

final as (
    select
        *,
        cast(created_at as date) as created_on,
        {{ month_of('created_at') }} as period,
        not is_brand_author
        and (
            activity_type in ('mention', 'message')
            or (activity_type in ('comment', 'reply') and is_parent_by_brand)
        ) as is_inbound,
        is_brand_author and activity_type = 'post' as is_brand_post,
        is_brand_author and activity_type in ('comment', 'reply') as is_brand_reply,
        not is_brand_author
        and activity_type in ('comment', 'reply')
        and has_known_parent
        and not is_parent_by_brand as is_peer_to_peer_reply
    from joined
)

select * from final
