{{
    config(
        materialized=incremental_where_supported(),
        unique_key='contact_id',
        incremental_strategy='replace_groups',
        group_marker='event_on',
        on_schema_change='sync_all_columns',
    )
}}

{#- Incremental: a daily run rebuilds the days of the contacts whose events
    int_trust_events_unioned wrote after this table's last build read it
    (events_built_through) and clears the contacts it no longer has; the others keep
    their rows, so the result equals a full build. Every day is kept, also after the
    data's last observed day: int_trust_events_aggregated_to_contact_days leaves
    those out, so a new as-of day rewrites nothing here. -#}

with

events as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_unioned') }}
),

{% set build_only_touched = incremental_build_tracks('events_built_through') %}
{% if build_only_touched %}

built as {{ inline_import() }} (
    select * from {{ this }}
),

touched_contacts as (
    {{ contacts_rewritten_or_gone('events', 'built', 'events_built_through') }}
),

{% endif %}

events_in_scope as (
    select events.*
    from events
    {% if build_only_touched %}
        inner join touched_contacts
            on events.contact_id = touched_contacts.contact_id
    {% endif %}
),

events_read as (
    select max(built_at) as events_built_through
    from events
),

summed as (
    select
        contact_id,
        event_on,
        round(sum(case when direction = 'gain' then weight else 0 end), 9) as gained,
        round(sum(case when direction = 'betrayal' then weight else 0 end), 9) as betrayed,
        count(*) filter (where direction = 'gain') as positive_events,
        count(*) filter (where direction = 'betrayal') as negative_events,
        max(event_at) as last_event_at
    from events_in_scope
    group by contact_id, event_on
),

final as (
    select
        summed.*,
        events_read.events_built_through,
        {{ dbt.current_timestamp() }} as built_at
    from summed
    cross join events_read
    {% if build_only_touched %}
        -- one marker row per rebuilt contact (event_on null): its built rows are
        -- replaced even when none is left
        union all
        select
            contact_id,
            null as event_on,
            null as gained,
            null as betrayed,
            null as positive_events,
            null as negative_events,
            null as last_event_at,
            null as events_built_through,
            null as built_at
        from touched_contacts
    {% endif %}
)

select * from final
