{{ config(materialized='view') }}

with

states as {{ inline_import() }} (
    select * from {{ ref('int_trust_states_by_contact_day') }}
),

as_of as {{ inline_import() }} (
    select * from {{ ref('int_trust_as_of') }}
),

-- a state runs until the next known event, or to the day after the data's end:
-- a later event is not known yet
final as (
    select
        states.contact_id,
        states.event_on,
        case
            when states.next_event_on <= as_of.as_of_on then states.next_event_on
        end as next_event_on,
        states.positive_evidence,
        states.negative_evidence,
        states.trust_score,
        least(
            states.trusting_days,
            {{ dbt.datediff('states.event_on', dbt.dateadd('day', 1, 'as_of.as_of_on'), 'day') }}
        ) as trusting_days,
        least(
            states.betrayed_days,
            {{ dbt.datediff('states.event_on', dbt.dateadd('day', 1, 'as_of.as_of_on'), 'day') }}
        ) as betrayed_days
    from states
    cross join as_of
    where states.event_on <= as_of.as_of_on
)

select * from final
