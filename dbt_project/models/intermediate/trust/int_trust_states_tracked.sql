with

evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_aggregated_to_contact_days') }}
),

-- running decayed evidence at each event day: r_k = sum_j g_j * 0.5^((t_k - t_j) / h),
-- computed as 2^(-t_k/h) * cumulative sum of g_j * 2^(t_j/h), t counted from the
-- contact's first event (the setting's lower bound of 14 days keeps this finite)
timed as (
    select
        *,
        {{ dbt.datediff('min(event_on) over (partition by contact_id)', 'event_on', 'day') }}
            as days_since_first_event,
        lead(event_on) over (partition by contact_id order by event_on asc) as next_event_on
    from evidence
),

running as (
    select
        contact_id,
        event_on,
        next_event_on,
        as_of_on,
        sum(gained * power(2.0, days_since_first_event / {{ half_life_days() }}))
            over (
                partition by contact_id order by event_on asc
                rows between unbounded preceding and current row
            )
        * power(2.0, -days_since_first_event / {{ half_life_days() }})
            as positive_evidence,
        sum(betrayed * power(2.0, days_since_first_event / {{ half_life_days() }}))
            over (
                partition by contact_id order by event_on asc
                rows between unbounded preceding and current row
            )
        * power(2.0, -days_since_first_event / {{ half_life_days() }})
            as negative_evidence
    from timed
),

-- between two events the evidence decays and the score drifts towards 0.5: a
-- contact stays trusting while (r d + 1) / ((r + s) d + 2) >= t for d = 0.5^(x/h),
-- i.e. x <= h * log2(a / (2t - 1)) with a = r - t (r + s); betrayed (score < b)
-- while x < h * log2(c / (1 - 2b)) with c = b (r + s) - r
margins as (
    select
        *,
        positive_evidence
        - {{ var('trust_tier_trusting_from') }} * (positive_evidence + negative_evidence)
            as trusting_margin,
        {{ var('trust_tier_at_risk_from') }} * (positive_evidence + negative_evidence)
        - positive_evidence as betrayed_margin,
        {{ dbt.datediff('event_on', 'coalesce(next_event_on, ' ~ dbt.dateadd('day', 1, 'as_of_on') ~ ')', 'day') }}
            as days_until_next_event
    from running
),

spells as (
    select
        *,
        case
            when trusting_margin > 2 * {{ var('trust_tier_trusting_from') }} - 1
                then cast(floor(
                    {{ half_life_days() }}
                    * ln(trusting_margin / (2 * {{ var('trust_tier_trusting_from') }} - 1))
                    / ln(2.0)
                ) as bigint) + 1
            else 0
        end as trusting_days,
        case
            when betrayed_margin > 1 - 2 * {{ var('trust_tier_at_risk_from') }}
                then cast(ceil(
                    {{ half_life_days() }}
                    * ln(betrayed_margin / (1 - 2 * {{ var('trust_tier_at_risk_from') }}))
                    / ln(2.0)
                ) as bigint)
            else 0
        end as betrayed_days
    from margins
),

final as (
    select
        contact_id,
        event_on,
        next_event_on,
        positive_evidence,
        negative_evidence,
        {{ trust_score('positive_evidence', 'negative_evidence') }} as trust_score,
        least(trusting_days, days_until_next_event) as trusting_days,
        least(betrayed_days, days_until_next_event) as betrayed_days
    from spells
)

select * from final
