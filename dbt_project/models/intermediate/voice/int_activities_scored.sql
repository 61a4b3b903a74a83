with

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_classified') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('stg_social__accounts') }}
),

text_scores as {{ inline_import() }} (
    select * from {{ ref('stg_analytics__text_scores') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

first_orders as (
    select
        contact_id,
        min(ordered_at) as first_completed_order_at
    from orders
    where is_completed and contact_id is not null
    group by contact_id
),

joined as (
    select
        activities.platform,
        activities.activity_id,
        activities.account_id,
        activities.contact_id,
        activities.activity_type,
        activities.created_at,
        activities.created_on,
        activities.period,
        activities.parent_id,
        activities.is_inbound,
        activities.is_brand_author,
        activities.is_peer_to_peer_reply,
        activities.text_hash,
        activities.text_hash is not null as has_text,
        coalesce(activities.lang, text_scores.lang_detected) as lang,
        coalesce(activities.sentiment, text_scores.sentiment) as sentiment,
        case
            when activities.sentiment is not null then 'supplied'
            when text_scores.sentiment is not null then 'scored'
            when text_scores.text_hash is not null then 'language_not_covered'
            when activities.text_hash is not null then 'not_scored_yet'
            else 'no_text'
        end as sentiment_source,
        accounts.created_at as account_created_at,
        (
            {{ epoch_seconds('activities.created_at') }}
            - {{ epoch_seconds('accounts.created_at') }}
        ) / 86400.0 as account_age_days,
        first_orders.first_completed_order_at
    from activities
    left join text_scores
        on activities.text_hash = text_scores.text_hash
    left join accounts
        on
            activities.platform = accounts.platform
            and activities.account_id = accounts.account_id
    left join first_orders
        on activities.contact_id = first_orders.contact_id
),

final as (
    select
        platform,
        activity_id,
        account_id,
        contact_id,
        activity_type,
        created_at,
        created_on,
        period,
        parent_id,
        is_inbound,
        is_brand_author,
        is_peer_to_peer_reply,
        text_hash,
        has_text,
        lang,
        sentiment,
        sentiment_source,
        coalesce(sentiment <= -0.05, false) as is_negative,
        coalesce(sentiment >= 0.05, false) as is_positive,
        account_age_days,
        coalesce(account_age_days < {{ var('young_account_days') }}, false) as is_young_account,
        coalesce(first_completed_order_at <= created_at, false) as is_known_customer
    from joined
)

select * from final
