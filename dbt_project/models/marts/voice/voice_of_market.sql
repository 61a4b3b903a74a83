with

scored as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

topics as {{ inline_import() }} (
    select * from {{ ref('int_activities_topics_matched') }}
),

answered as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

member_voice as (
    select
        scored.platform,
        scored.activity_id,
        scored.account_id,
        scored.created_on,
        scored.is_inbound,
        scored.is_negative,
        scored.sentiment is not null as is_scored,
        scored.is_young_account,
        scored.is_known_customer,
        coalesce(answered.is_answered, false) as is_answered
    from scored
    left join answered
        on
            scored.platform = answered.platform
            and scored.activity_id = answered.activity_id
    where not scored.is_brand_author and scored.has_text
),

tagged as (
    select
        member_voice.*,
        coalesce(topics.topic, 'unclassified') as topic
    from member_voice
    left join topics
        on
            member_voice.platform = topics.platform
            and member_voice.activity_id = topics.activity_id
    union all
    select
        member_voice.*,
        'all' as topic
    from member_voice
),

counted as (
    select
        cast(date_trunc('week', created_on) as date) as week,
        topic,
        count(*) as mentions,
        count(*) filter (where is_scored) as scored_mentions,
        count(*) filter (where is_negative) as negative_mentions,
        count(*) filter (where is_inbound) as inbound,
        cast(count(*) filter (where is_inbound and is_answered) as double)
        / nullif(count(*) filter (where is_inbound), 0) as answered_share,
        count(distinct concat(platform, '|', account_id)) as authors,
        count(*) filter (where is_known_customer) as customer_mentions,
        count(*) filter (where is_young_account) as young_account_mentions,
        count(*) filter (where is_negative and not is_young_account)
            as established_negative_mentions,
        count(*) filter (where is_scored and not is_young_account)
            as established_scored_mentions
    from tagged
    group by cast(date_trunc('week', created_on) as date), topic
),

final as (
    select
        week,
        topic,
        mentions,
        scored_mentions,
        negative_mentions,
        cast(scored_mentions as double) / mentions as scored_share,
        -- a share read from a sliver of the voice (texts in languages not scored) is
        -- not the voice's: flagged, and no negative share
        cast(scored_mentions as double) / mentions
        < {{ var('voice_min_scored_share') }} as is_scored_share_low,
        case
            when cast(scored_mentions as double) / mentions >= {{ var('voice_min_scored_share') }}
                then cast(negative_mentions as double) / nullif(scored_mentions, 0)
        end as negative_share,
        inbound,
        answered_share,
        authors,
        customer_mentions,
        young_account_mentions,
        case
            when cast(scored_mentions as double) / mentions >= {{ var('voice_min_scored_share') }}
                then
                    cast(established_negative_mentions as double)
                    / nullif(established_scored_mentions, 0)
        end as negative_share_established_accounts
    from counted
)

select * from final
