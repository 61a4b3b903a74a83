with

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

surveys as {{ inline_import() }} (
    select * from {{ ref('stg_crm__surveys') }}
),

tickets as {{ inline_import() }} (
    select * from {{ ref('stg_crm__tickets') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

inbound as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

weights as {{ inline_import() }} (
    select * from {{ ref('trust_event_weights') }}
),

completed_orders as (
    select
        order_id,
        contact_id,
        ordered_at,
        row_number() over (
            partition by contact_id order by ordered_at asc, order_id asc
        ) as completed_order_number
    from orders
    where is_completed and contact_id is not null
),

order_events as (
    select
        'repeat_order' as event_type,
        order_id as source_id,
        contact_id,
        ordered_at as observed_at,
        ordered_at as event_at
    from completed_orders
    where completed_order_number > 1
    union all
    -- the contract has no refund date: the order's date stands for it
    select
        'refund' as event_type,
        order_id as source_id,
        contact_id,
        ordered_at as observed_at,
        ordered_at as event_at
    from orders
    where status = 'refunded' and contact_id is not null
),

survey_events as (
    select
        case
            when nps <= 6 or csat <= 2 then 'bad_survey'
            when nps >= 9 or csat >= 4 then 'good_survey'
        end as event_type,
        response_id as source_id,
        contact_id,
        responded_at as observed_at,
        responded_at as event_at
    from surveys
    where contact_id is not null
),

-- the contract has no closing date for an unresolved ticket: its opening stands for it
ticket_events as (
    select
        case status
            when 'resolved' then 'resolved_ticket'
            when 'closed_unresolved' then 'unresolved_ticket'
        end as event_type,
        ticket_id as source_id,
        contact_id,
        opened_at as observed_at,
        coalesce(resolved_at, opened_at) as event_at
    from tickets
    where contact_id is not null and status in ('resolved', 'closed_unresolved')
),

voice_events as (
    select
        case when is_positive then 'positive_voice' else 'negative_voice' end as event_type,
        concat(platform, ':', activity_id) as source_id,
        contact_id,
        created_at as observed_at,
        created_at as event_at
    from activities
    where
        contact_id is not null
        and not is_brand_author
        and (is_positive or is_negative)
),

-- an unanswered complaint becomes a betrayal when the answer window closes
listening_events as (
    select
        case when inbound.is_answered then 'answered_inbound' else 'unanswered_complaint' end
            as event_type,
        concat(inbound.platform, ':', inbound.activity_id) as source_id,
        inbound.contact_id,
        inbound.created_at as observed_at,
        case
            when inbound.is_answered then inbound.first_reply_at
            else {{ dbt.dateadd('hour', var('answer_window_hours'), 'inbound.created_at') }}
        end as event_at
    from inbound
    inner join activities
        on
            inbound.platform = activities.platform
            and inbound.activity_id = activities.activity_id
    where
        inbound.contact_id is not null
        and (inbound.is_answered or activities.is_negative)
),

events as (
    select * from order_events
    union all
    select * from survey_events
    where event_type is not null
    union all
    select * from ticket_events
    union all
    select * from voice_events
    union all
    select * from listening_events
),

final as (
    select
        concat(events.event_type, ':', events.source_id) as trust_event_id,
        events.contact_id,
        events.event_type,
        weights.direction,
        case
            when weights.direction = 'betrayal'
                then cast(weights.weight as double) * {{ var('trust_asymmetry') }}
            else cast(weights.weight as double)
        end as weight,
        events.event_at,
        cast(events.event_at as date) as event_on,
        cast(events.observed_at as date) as observed_on
    from events
    inner join weights
        on events.event_type = weights.event_type
)

select * from final
