{{
    config(
        materialized=incremental_where_supported(),
        unique_key='contact_id',
        incremental_strategy='replace_groups',
        group_marker='event_on',
        on_schema_change='sync_all_columns',
    )
}}

{#- Incremental: a daily run rebuilds the states of the contacts whose evidence
    int_trust_evidence_by_contact_day wrote after this table's last build read it
    (evidence_built_through) and clears the contacts it no longer has, every contact
    when the half-life or the tier settings it uses changed; the others keep their
    rows, so the result equals a full build. A contact's last state is not cut
    at the data's end here (int_trust_states_tracked cuts it as of that day), so a new
    as-of day rewrites nothing. -#}

{% set build_settings = 'trust_half_life_days=' ~ var('trust_half_life_days')
    ~ '|trust_tier_trusting_from=' ~ var('trust_tier_trusting_from')
    ~ '|trust_tier_at_risk_from=' ~ var('trust_tier_at_risk_from') %}

with

evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_evidence_by_contact_day') }}
),

{% set build_only_touched = incremental_build_tracks('evidence_built_through') %}
{% if build_only_touched %}

built as {{ inline_import() }} (
    select * from {{ this }}
),

touched_contacts as (
    {{ contacts_rewritten_or_gone('evidence', 'built', 'evidence_built_through') }}
    union
    -- built with other settings: every contact
    select evidence.contact_id
    from evidence
    where exists (
        select 1 from built
        where built.build_settings is distinct from '{{ build_settings }}'
    )
),

{% endif %}

evidence_in_scope as (
    select evidence.*
    from evidence
    {% if build_only_touched %}
        inner join touched_contacts
            on evidence.contact_id = touched_contacts.contact_id
    {% endif %}
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
    from evidence_in_scope
),

running as (
    select
        contact_id,
        event_on,
        next_event_on,
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
        {{ dbt.datediff('event_on', 'next_event_on', 'day') }} as days_until_next_event  -- noqa: LT05
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

evidence_read as (
    select max(built_at) as evidence_built_through
    from evidence
),

final as (
    select
        spells.contact_id,
        spells.event_on,
        spells.next_event_on,
        spells.positive_evidence,
        spells.negative_evidence,
        {{ trust_score('spells.positive_evidence', 'spells.negative_evidence') }}
            as trust_score,
        -- cut at the next event; the last state runs on (cut as of the data's end
        -- in int_trust_states_tracked)
        case
            when spells.next_event_on is null then spells.trusting_days
            else least(spells.trusting_days, spells.days_until_next_event)
        end as trusting_days,
        case
            when spells.next_event_on is null then spells.betrayed_days
            else least(spells.betrayed_days, spells.days_until_next_event)
        end as betrayed_days,
        evidence_read.evidence_built_through,
        '{{ build_settings }}' as build_settings,
        {{ dbt.current_timestamp() }} as built_at
    from spells
    cross join evidence_read
    {% if build_only_touched %}
        -- one marker row per rebuilt contact (event_on null): its built rows are
        -- replaced even when none is left
        union all
        select
            contact_id,
            null as event_on,
            null as next_event_on,
            null as positive_evidence,
            null as negative_evidence,
            null as trust_score,
            null as trusting_days,
            null as betrayed_days,
            null as evidence_built_through,
            null as build_settings,
            null as built_at
        from touched_contacts
    {% endif %}
)

select * from final
