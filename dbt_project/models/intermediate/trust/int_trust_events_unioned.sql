{{
    config(
        materialized=incremental_where_supported(),
        unique_key='contact_id',
        incremental_strategy='replace_groups',
        group_marker='trust_event_id',
        on_schema_change='sync_all_columns',
    )
}}

{#- Incremental: a daily run rebuilds every event of the contacts whose events may
    have changed and keeps the other contacts' rows, so the result equals a full
    build. A contact is rebuilt when
    - one of its orders was written by int_orders_converted after this table's last
      build read it (orders_built_through): order events depend on all of a contact's
      orders (the first completed one is no repeat order);
    - its count of completed or refunded orders differs from its built repeat-order
      and refund events (an order moved to another contact);
    - one of its survey, ticket, voice or listening events (computed for all: a few
      million rows at L, where orders are ten) is new, gone or different from the
      built one, for the contact before and after;
    - or, for all, when the weights changed (the seed or TC_TRUST_ASYMMETRY).
    Rows are replaced per contact (strategy replace_groups, macros/replace_groups.sql):
    a contact left with no event loses its rows. -#}

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

event_weights as (
    select
        event_type,
        direction,
        case
            when direction = 'betrayal'
                then cast(weight as double) * {{ var('trust_asymmetry') }}
            else cast(weight as double)
        end as weight
    from weights
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

-- the weights as one string, kept in each row: any edit of the seed (a weight, a
-- direction, a type added or removed) or of TC_TRUST_ASYMMETRY rebuilds every contact
weights_used as (
    select
        {{ dbt.listagg(
            "concat(event_type, ':', direction, ':', cast(weight as string))",
            "','",
            "order by event_type" if target.type == 'duckdb' else none
        ) }} as event_weights_used
    from event_weights
),

-- every event but the orders' (computed for every contact, compared when incremental)
other_events as (
    select * from survey_events
    where event_type is not null
    union all
    select * from ticket_events
    union all
    select * from voice_events
    union all
    select * from listening_events
),

{% set build_only_touched = incremental_build_tracks('orders_built_through') %}
{#- a table built before this model was incremental: every contact in it is replaced -#}
{% set replaces_every_built_contact = (
    not build_only_touched and this is not none and execute and is_incremental()
) %}
{% if build_only_touched %}

built as {{ inline_import() }} (
    select * from {{ this }}
),

last_build as (
    select max(orders_built_through) as orders_built_through
    from built
),

changed_weights as (
    select 1 as changed
    from built
    cross join weights_used
    where built.event_weights_used is distinct from weights_used.event_weights_used
    limit 1
),

rewritten_orders_contacts as (
    select orders.contact_id
    from orders
    cross join last_build
    where
        orders.contact_id is not null
        and (
            last_build.orders_built_through is null
            or orders.built_at > last_build.orders_built_through
        )
),

order_event_counts as (
    select
        contact_id,
        greatest(count(*) filter (where is_completed) - 1, 0) as repeat_orders,
        count(*) filter (where status = 'refunded') as refunds
    from orders
    where contact_id is not null
    group by contact_id
),

built_order_event_counts as (
    select
        contact_id,
        count(*) filter (where event_type = 'repeat_order') as repeat_orders,
        count(*) filter (where event_type = 'refund') as refunds
    from built
    where event_type in ('repeat_order', 'refund')
    group by contact_id
),

moved_orders_contacts as (
    select coalesce(order_event_counts.contact_id, built_order_event_counts.contact_id)
        as contact_id
    from order_event_counts
    full outer join built_order_event_counts
        on order_event_counts.contact_id = built_order_event_counts.contact_id
    where
        coalesce(order_event_counts.repeat_orders, 0)
        != coalesce(built_order_event_counts.repeat_orders, 0)
        or coalesce(order_event_counts.refunds, 0)
        != coalesce(built_order_event_counts.refunds, 0)
),

current_other_events as (
    select
        concat(event_type, ':', source_id) as trust_event_id,
        contact_id,
        event_at,
        cast(observed_at as date) as observed_on
    from other_events
),

built_other_events as (
    select
        trust_event_id,
        contact_id,
        event_at,
        observed_on
    from built
    where event_type not in ('repeat_order', 'refund')
),

changed_other_events as (
    select
        current_other_events.contact_id as current_contact_id,
        built_other_events.contact_id as built_contact_id
    from current_other_events
    full outer join built_other_events
        on current_other_events.trust_event_id = built_other_events.trust_event_id
    where
        current_other_events.trust_event_id is null
        or built_other_events.trust_event_id is null
        or current_other_events.contact_id != built_other_events.contact_id
        or current_other_events.event_at is distinct from built_other_events.event_at
        or current_other_events.observed_on != built_other_events.observed_on
),

touched_contacts as (
    select contact_id from rewritten_orders_contacts
    union
    select contact_id from moved_orders_contacts
    union
    select current_contact_id as contact_id from changed_other_events
    where current_contact_id is not null
    union
    select built_contact_id as contact_id from changed_other_events
    where built_contact_id is not null
    union
    -- a changed weight: every contact
    select contact_id from built
    where exists (select 1 from changed_weights)
    union
    select contact_id from orders
    where contact_id is not null and exists (select 1 from changed_weights)
    union
    select contact_id from other_events
    where exists (select 1 from changed_weights)
),

{% endif %}

orders_in_scope as (
    select orders.*
    from orders
    {% if build_only_touched %}
        inner join touched_contacts
            on orders.contact_id = touched_contacts.contact_id
    {% endif %}
),

completed_orders as (
    select
        order_id,
        contact_id,
        ordered_at,
        row_number() over (
            partition by contact_id order by ordered_at asc, order_id asc
        ) as completed_order_number
    from orders_in_scope
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
    from orders_in_scope
    where status = 'refunded' and contact_id is not null
),

events as (
    select * from order_events
    union all
    select other_events.*
    from other_events
    {% if build_only_touched %}
        inner join touched_contacts
            on other_events.contact_id = touched_contacts.contact_id
    {% endif %}
),

orders_read as (
    select max(built_at) as orders_built_through
    from orders
),

weighted as (
    select
        concat(events.event_type, ':', events.source_id) as trust_event_id,
        events.contact_id,
        events.event_type,
        event_weights.direction,
        event_weights.weight,
        events.event_at,
        cast(events.event_at as date) as event_on,
        cast(events.observed_at as date) as observed_on
    from events
    inner join event_weights
        on events.event_type = event_weights.event_type
),

final as (
    select
        weighted.*,
        weights_used.event_weights_used,
        orders_read.orders_built_through,
        {{ dbt.current_timestamp() }} as built_at
    from weighted
    cross join weights_used
    cross join orders_read
    {% if build_only_touched or replaces_every_built_contact %}
        -- one marker row per rebuilt contact (trust_event_id null): its built rows
        -- are replaced even when none is left
        union all
        select
            null as trust_event_id,
            contact_id,
            null as event_type,
            null as direction,
            null as weight,
            null as event_at,
            null as event_on,
            null as observed_on,
            null as event_weights_used,
            null as orders_built_through,
            null as built_at
        from
            {{ 'touched_contacts' if build_only_touched
            else '(select distinct contact_id from ' ~ this ~ ')' }}
    {% endif %}
)

select * from final
