with

evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_aggregated_to_contact_days') }}
),

decayed as (
    select
        contact_id,
        as_of_on,
        gained * {{ trust_decay(dbt.datediff('event_on', 'as_of_on', 'day')) }} as gained_left,
        betrayed * {{ trust_decay(dbt.datediff('event_on', 'as_of_on', 'day')) }} as betrayed_left,
        positive_events,
        negative_events,
        last_event_at
    from evidence
),

summed as (
    select
        contact_id,
        max(as_of_on) as as_of_on,
        -- rounded: a sum's last bits depend on the order DuckDB adds in, and reruns
        -- must give the same tiers and ranks
        round(sum(gained_left), 9) as positive_evidence,
        round(sum(betrayed_left), 9) as negative_evidence,
        sum(positive_events) as positive_events,
        sum(negative_events) as negative_events,
        max(last_event_at) as last_event_at
    from decayed
    group by contact_id
),

final as (
    select
        contact_id,
        as_of_on,
        positive_evidence,
        negative_evidence,
        {{ trust_score('positive_evidence', 'negative_evidence') }} as trust_score,
        positive_events,
        negative_events,
        last_event_at
    from summed
)

select * from final
