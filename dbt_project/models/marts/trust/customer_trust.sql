with

contacts as {{ inline_import() }} (
    select * from {{ ref('stg_crm__contacts') }}
),

scored as {{ inline_import() }} (
    select * from {{ ref('int_contacts_trust_scored') }}
),

events as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_unioned') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

surveys as {{ inline_import() }} (
    select * from {{ ref('stg_crm__surveys') }}
),

all_contacts as (
    select contact_id from contacts
    union
    select contact_id from scored
),

online as (
    select
        contact_id,
        count(*) as online_activities
    from activities
    where contact_id is not null and not is_brand_author
    group by contact_id
),

purchases as (
    select
        contact_id,
        count(*) filter (where is_completed) as completed_orders
    from orders
    where contact_id is not null
    group by contact_id
),

-- each answer on a 0-1 scale: NPS / 10, else (CSAT - 1) / 4
survey_satisfaction as (
    select
        contact_id,
        avg(
            case
                when nps is not null then nps / 10.0
                when csat is not null then (csat - 1) / 4.0
            end
        ) as survey_satisfaction
    from surveys
    where contact_id is not null
    group by contact_id
),

offline_evidence as (
    select
        contact_id,
        count(*) filter (where event_type = 'good_survey') as good_surveys,
        count(*) filter (where event_type = 'bad_survey') as bad_surveys,
        count(*) filter (where event_type = 'resolved_ticket') as resolved_tickets,
        count(*) filter (where event_type = 'unresolved_ticket') as unresolved_tickets,
        count(*) filter (where event_type = 'refund') as refunds
    from events
    group by contact_id
),

joined as (
    select
        all_contacts.contact_id,
        coalesce(scored.trust_score, 0.5) as trust_score,
        coalesce(scored.positive_evidence, 0) as positive_evidence,
        coalesce(scored.negative_evidence, 0) as negative_evidence,
        cast(coalesce(scored.positive_events, 0) as bigint) as positive_events,
        cast(coalesce(scored.negative_events, 0) as bigint) as negative_events,
        scored.last_event_at,
        max(scored.as_of_on) over () as as_of_on,
        coalesce(online.online_activities, 0) as online_activities,
        coalesce(purchases.completed_orders, 0) as completed_orders,
        coalesce(offline_evidence.good_surveys, 0) as good_surveys,
        coalesce(offline_evidence.bad_surveys, 0) as bad_surveys,
        coalesce(offline_evidence.resolved_tickets, 0) as resolved_tickets,
        coalesce(offline_evidence.unresolved_tickets, 0) as unresolved_tickets,
        coalesce(offline_evidence.refunds, 0) as refunds,
        survey_satisfaction.survey_satisfaction
    from all_contacts
    left join scored on all_contacts.contact_id = scored.contact_id
    left join online on all_contacts.contact_id = online.contact_id
    left join purchases on all_contacts.contact_id = purchases.contact_id
    left join offline_evidence on all_contacts.contact_id = offline_evidence.contact_id
    left join survey_satisfaction
        on all_contacts.contact_id = survey_satisfaction.contact_id
),

final as (
    select
        contact_id,
        round(trust_score, 6) as trust_score,
        {{ trust_tier('trust_score') }} as trust_tier,
        positive_events,
        negative_events,
        last_event_at,
        online_activities > 0 as is_engaged_online,
        online_activities = 0
        and completed_orders >= 2
        and trust_score >= {{ var('trust_tier_neutral_from') }}
        and coalesce(survey_satisfaction >= {{ var('silent_satisfied_min_survey') }}, false)
            as is_silent_satisfied,
        round(positive_evidence, 6) as positive_evidence,
        round(negative_evidence, 6) as negative_evidence,
        as_of_on,
        online_activities,
        completed_orders,
        good_surveys,
        bad_surveys,
        resolved_tickets,
        unresolved_tickets,
        refunds,
        round(cast(survey_satisfaction as double), 4) as survey_satisfaction
    from joined
)

select * from final
