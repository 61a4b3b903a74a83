-- Every active social account's advocacy: voice, reach and answers to other members
-- against its platform, and whether it is in the unlocking minority. Published as the
-- advocates mart; crisis_events reads it for the advocates' counter-voice.
with

accounts as {{ inline_import() }} (
    select * from {{ ref('int_accounts_resolved') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

trust as {{ inline_import() }} (
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

-- robust centre and scale of each component among the platform's active member
-- accounts: the minority is what stands out from its own platform, not a count
-- fitted to one brand (a brand whose advocates post five times a year has them too)
centres as (
    select
        platform,
        median(cast(positive_mentions - negative_mentions as double)) as voice_median,
        median(ln(1 + reach)) as reach_median
    from joined
    group by platform
),

spreads as (
    select
        joined.platform,
        median(abs(joined.positive_mentions - joined.negative_mentions - centres.voice_median))
            as voice_mad,
        median(abs(ln(1 + joined.reach) - centres.reach_median)) as reach_mad
    from joined
    inner join centres on joined.platform = centres.platform
    group by joined.platform
),

standardised as (
    select
        percentiles.*,
        -- robust z: (x - median) / (1.4826 x MAD); net voice is a count, so its scale
        -- is at least a Poisson count's sqrt(median) and at least 1
        (percentiles.positive_mentions - percentiles.negative_mentions - centres.voice_median)
        / greatest(1.4826 * spreads.voice_mad, sqrt(greatest(centres.voice_median, 0)), 1.0)
            as voice_z,
        (ln(1 + percentiles.reach) - centres.reach_median)
        / greatest(1.4826 * spreads.reach_mad, 0.1) as reach_z
    from percentiles
    inner join centres on percentiles.platform = centres.platform
    inner join spreads on percentiles.platform = spreads.platform
),

scored as (
    select
        *,
        coalesce(trust_score, 0.5)
        * (0.4 * voice_percentile + 0.3 * reach_percentile + 0.3 * answers_percentile)
            as advocacy_score
    from standardised
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
        voice_z >= {{ var('unlocking_minority_min_z') }}
        and reach_z >= {{ var('unlocking_minority_min_z') }}
        and positive_mentions >= 3 * negative_mentions
        and coalesce(trust_score, 0.5) >= {{ var('trust_tier_neutral_from') }}
            as in_unlocking_minority,
        negative_mentions,
        member_answers,
        activities,
        round(reach_percentile, 6) as reach_percentile,
        round(voice_percentile, 6) as voice_percentile,
        round(answers_percentile, 6) as answers_percentile,
        platform_accounts,
        round(voice_z, 4) as voice_z,
        round(reach_z, 4) as reach_z
    from ranked
)

select * from final
