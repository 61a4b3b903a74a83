with

accounts as (
    select * from {{ ref('int_accounts_resolved') }}
),

activities as (
    select * from {{ ref('int_activities_scored') }}
),

trust as (
    select * from {{ ref('int_contacts_trust_scored') }}
),

bounds as (
    select max(created_on) as last_day from activities
),

recent as (
    select activities.*
    from activities
    cross join bounds
    where
        not activities.is_brand_author
        and activities.created_on
        > {{ dbt.dateadd('day', -var('advocacy_window_days'), 'bounds.last_day') }}
),

voices as (
    select
        platform,
        account_id,
        count(*) filter (where is_positive) as positive_mentions,
        count(*) filter (where is_negative) as negative_mentions,
        count(*) filter (where is_peer_to_peer_reply and not is_negative) as member_answers,
        count(*) as activities
    from recent
    group by platform, account_id
),

joined as (
    select
        voices.platform,
        voices.account_id,
        accounts.handle,
        accounts.contact_id,
        coalesce(accounts.followers, 0) as reach,
        voices.positive_mentions,
        voices.negative_mentions,
        voices.member_answers,
        voices.activities,
        trust.trust_score
    from voices
    left join accounts
        on
            voices.platform = accounts.platform
            and voices.account_id = accounts.account_id
    left join trust
        on accounts.contact_id = trust.contact_id
    where not coalesce(accounts.is_brand, false)
),

-- each component as a percentile among the platform's active member accounts
percentiles as (
    select
        *,
        percent_rank() over (partition by platform order by reach asc) as reach_percentile,
        percent_rank() over (
            partition by platform order by positive_mentions - negative_mentions asc
        ) as voice_percentile,
        percent_rank() over (partition by platform order by member_answers asc)
            as answers_percentile,
        count(*) over (partition by platform) as platform_accounts
    from joined
),

scored as (
    select
        *,
        coalesce(trust_score, 0.5)
        * (0.4 * voice_percentile + 0.3 * reach_percentile + 0.3 * answers_percentile)
            as advocacy_score
    from percentiles
),

ranked as (
    select
        *,
        cast(row_number() over (
            partition by platform order by advocacy_score desc, account_id asc
        ) as bigint) as rank
    from scored
),

final as (
    select
        platform,
        account_id,
        handle,
        contact_id,
        round(advocacy_score, 6) as advocacy_score,
        reach,
        positive_mentions,
        round(trust_score, 6) as trust_score,
        rank,
        rank <= greatest(1, ceil({{ var('unlocking_minority_share') }} * platform_accounts))
        and positive_mentions >= {{ var('unlocking_minority_min_positive') }}
        and positive_mentions >= 3 * negative_mentions as in_unlocking_minority,
        negative_mentions,
        member_answers,
        activities,
        round(reach_percentile, 6) as reach_percentile,
        round(voice_percentile, 6) as voice_percentile,
        round(answers_percentile, 6) as answers_percentile,
        platform_accounts
    from ranked
)

select * from final
