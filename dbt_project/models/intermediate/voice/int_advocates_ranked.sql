with

scored as (
    select * from {{ ref('int_activities_scored') }}
),

voices as (
    select
        platform,
        account_id,
        count(*) filter (where is_positive) as positive_activities,
        count(*) filter (where is_peer_to_peer_reply) as peer_replies,
        count(*) as activities
    from scored
    where not is_brand_author
    group by platform, account_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by platform
            order by positive_activities desc, peer_replies desc, account_id asc
        ) as voice_rank,
        count(*) over (partition by platform) as platform_accounts
    from voices
),

final as (
    select
        platform,
        account_id,
        positive_activities,
        peer_replies,
        activities,
        voice_rank,
        voice_rank <= greatest(5, ceil(0.01 * platform_accounts))
        and positive_activities >= 5 as is_top_voice
    from ranked
)

select * from final
