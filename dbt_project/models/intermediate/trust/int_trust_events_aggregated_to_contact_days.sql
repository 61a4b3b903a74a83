with

events as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_unioned') }}
),

-- the data's last observed day: events dated after it (an answer window still
-- open at the end of the data) are not known yet
bounds as (
    select max(observed_on) as as_of_on from events
),

final as (
    select
        events.contact_id,
        events.event_on,
        round(sum(case when events.direction = 'gain' then events.weight else 0 end), 9)
            as gained,
        round(sum(case when events.direction = 'betrayal' then events.weight else 0 end), 9)
            as betrayed,
        count(*) filter (where events.direction = 'gain') as positive_events,
        count(*) filter (where events.direction = 'betrayal') as negative_events,
        max(events.event_at) as last_event_at,
        max(bounds.as_of_on) as as_of_on
    from events
    cross join bounds
    where events.event_on <= bounds.as_of_on
    group by events.contact_id, events.event_on
)

select * from final
