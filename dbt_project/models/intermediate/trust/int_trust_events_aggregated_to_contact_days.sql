{{ config(materialized='view') }}

with

evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_evidence_by_contact_day') }}
),

as_of as {{ inline_import() }} (
    select * from {{ ref('int_trust_as_of') }}
),

final as (
    select
        evidence.contact_id,
        evidence.event_on,
        evidence.gained,
        evidence.betrayed,
        evidence.positive_events,
        evidence.negative_events,
        evidence.last_event_at,
        as_of.as_of_on
    from evidence
    cross join as_of
    where evidence.event_on <= as_of.as_of_on
)

select * from final
