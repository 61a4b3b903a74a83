-- One row per detected crisis: its signals of amplification and its revenue effect,
-- each computed by its own intermediate model (int_crisis_*); the advocates'
-- counter-voice is counted here, from the accounts' advocacy (int_accounts_advocacy_scored).
with

crises as {{ inline_import() }} (
    select * from {{ ref('int_crises_detected') }}
),

author_shares as {{ inline_import() }} (
    select * from {{ ref('int_crisis_authors_aggregated') }}
),

duplicate_counts as {{ inline_import() }} (
    select * from {{ ref('int_crisis_duplicates_counted') }}
),

bursts as {{ inline_import() }} (
    select * from {{ ref('int_crisis_bursts_measured') }}
),

revenue_change as {{ inline_import() }} (
    select * from {{ ref('int_crisis_revenues_compared') }}
),

scored as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

advocates as {{ inline_import() }} (
    select * from {{ ref('int_accounts_advocacy_scored') }}
),

counter_voice as (
    select
        crises.crisis_id,
        count(*) as advocate_counter_mentions
    from crises
    inner join scored
        on
            (crises.platform = 'all' or crises.platform = scored.platform)
            and crises.started_on <= scored.created_on
            and crises.ended_on >= scored.created_on
    inner join advocates
        on
            scored.platform = advocates.platform
            and scored.account_id = advocates.account_id
    where advocates.in_unlocking_minority and scored.is_positive and not scored.is_brand_author
    group by crises.crisis_id
),

joined as (
    select
        crises.crisis_id,
        crises.platform,
        crises.started_on,
        crises.ended_on,
        crises.peak_on,
        crises.negative_mentions,
        crises.baseline_negative_mentions,
        coalesce(author_shares.authors, 0) as authors,
        coalesce(author_shares.new_account_share, 0) as new_account_share,
        coalesce(duplicate_counts.duplicated_mentions, 0)
        / cast(greatest(coalesce(bursts.mentions, 0), 1) as double) as duplicate_text_share,
        coalesce(author_shares.known_customer_share, 0) as known_customer_share,
        coalesce(bursts.burst_synchrony, 0) as burst_synchrony,
        coalesce(counter_voice.advocate_counter_mentions, 0) as advocate_counter_mentions,
        revenue_change.ratio_now,
        revenue_change.ratio_last_year
    from crises
    left join author_shares on crises.crisis_id = author_shares.crisis_id
    left join duplicate_counts on crises.crisis_id = duplicate_counts.crisis_id
    left join bursts on crises.crisis_id = bursts.crisis_id
    left join counter_voice on crises.crisis_id = counter_voice.crisis_id
    left join revenue_change on crises.crisis_id = revenue_change.crisis_id
),

final as (
    select
        crisis_id,
        platform,
        started_on,
        ended_on,
        peak_on,
        negative_mentions,
        round(baseline_negative_mentions, 1) as baseline_negative_mentions,
        round(negative_mentions / greatest(baseline_negative_mentions, 1.0), 2) as severity,
        authors,
        round(new_account_share, 4) as new_account_share,
        round(duplicate_text_share, 4) as duplicate_text_share,
        round(known_customer_share, 4) as known_customer_share,
        round(burst_synchrony, 4) as burst_synchrony,
        {{ amplification_score() }} as amplification_score,
        {{ amplification_score() }} >= {{ var('amplification_threshold') }}
            as suspected_amplification,
        advocate_counter_mentions,
        round(
            100.0 * (ratio_now / coalesce(ratio_last_year, 1.0) - 1.0), 1
        ) as revenue_change_pct,
        ratio_last_year is not null as is_revenue_seasonality_adjusted
    from joined
)

select * from final
