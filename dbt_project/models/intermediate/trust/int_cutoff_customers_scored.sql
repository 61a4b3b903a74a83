{{
    config(
        materialized=incremental_where_supported(),
        unique_key='contact_id',
        incremental_strategy='replace_groups',
        group_marker='cutoff_on',
        on_schema_change='sync_all_columns',
    )
}}

{#- Incremental: a daily run rebuilds the cutoff rows of the contacts whose inputs
    changed and keeps the others', so the result equals a full build. Each row keeps
    its contact's fingerprints: the newest built_at of its evidence, the count and
    newest built_at of its completed orders and of its reactions (a row moved away
    lowers a count, a row rewritten or moved in brings a newer built_at), and its
    followers. A contact is rebuilt when one of them differs; every contact when the
    cutoffs or the settings they use changed. -#}
{% set build_settings = 'trust_half_life_days=' ~ var('trust_half_life_days')
    ~ '|trust_validity_horizon_days=' ~ var('trust_validity_horizon_days') %}

with

-- every day of evidence (int_trust_events_aggregated_to_contact_days leaves out the
-- days after the data's last observed day; a cutoff lies 90 days or more before the
-- last completed order, so only evidence dated before it counts either way)
evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_evidence_by_contact_day') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('int_accounts_resolved') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

completed_orders as (
    select
        contact_id,
        ordered_on,
        built_at,
        -- exact decimals: sums do not depend on the order they are added in
        cast(coalesce(revenue, 0) as decimal(38, 2)) as revenue
    from orders
    where is_completed and contact_id is not null
),

bounds as (
    select
        min(ordered_on) as first_day,
        max(ordered_on) as last_day
    from completed_orders
),

quarters as (
    select distinct cast(date_trunc('quarter', ordered_on) as date) as quarter_on
    from completed_orders
),

-- quarter starts with enough history before them and a full outcome window after
cutoffs as (
    select quarters.quarter_on as cutoff_on
    from quarters
    cross join bounds
    where
        quarters.quarter_on
        >= {{ dbt.dateadd('day', var('trust_validity_min_history_days'), 'bounds.first_day') }}
        and {{ dbt.dateadd('day', var('trust_validity_horizon_days'), 'quarters.quarter_on') }}
        <= bounds.last_day
),

reactions as (
    select
        contact_id,
        created_on,
        built_at
    from activities
    where activity_type = 'reaction' and contact_id is not null
),

-- followers are a snapshot (accounts carry no history): the current count
followers as (
    select
        contact_id,
        sum(followers) as followers
    from accounts
    where contact_id is not null and not is_brand
    group by contact_id
),

-- what a contact's rows are built from, in a few numbers per contact
evidence_fingerprints as (
    select
        contact_id,
        max(built_at) as evidence_built_at
    from evidence
    group by contact_id
),

order_fingerprints as (
    select
        contact_id,
        min(ordered_on) as first_ordered_on,
        count(*) as completed_orders,
        max(built_at) as orders_built_at
    from completed_orders
    group by contact_id
),

reaction_fingerprints as (
    select
        contact_id,
        count(*) as reactions,
        max(built_at) as reactions_built_at
    from reactions
    group by contact_id
),

-- customers at a cutoff: a completed order before it, i.e. their first one (a join on
-- the first order per contact, not on every order: a third of the time at L)
customers_at_any_cutoff as (
    select
        order_fingerprints.contact_id,
        order_fingerprints.first_ordered_on,
        order_fingerprints.completed_orders,
        order_fingerprints.orders_built_at,
        evidence_fingerprints.evidence_built_at,
        coalesce(reaction_fingerprints.reactions, 0) as reactions,
        reaction_fingerprints.reactions_built_at,
        followers.contact_id is not null as has_account,
        followers.followers
    from order_fingerprints
    left join evidence_fingerprints
        on order_fingerprints.contact_id = evidence_fingerprints.contact_id
    left join reaction_fingerprints
        on order_fingerprints.contact_id = reaction_fingerprints.contact_id
    left join followers
        on order_fingerprints.contact_id = followers.contact_id
    cross join (select max(cutoffs.cutoff_on) as last_cutoff_on from cutoffs) as last_cutoff
    where order_fingerprints.first_ordered_on < last_cutoff.last_cutoff_on
),

{% set build_only_touched = incremental_build_tracks('orders_built_at') %}
{#- a table built before this model was incremental: every contact in it is replaced -#}
{% set replaces_every_built_contact = (
    not build_only_touched and this is not none and execute and is_incremental()
) %}
{% if build_only_touched %}

built as {{ inline_import() }} (
    select * from {{ this }}
),

rebuilds_all as (
    select 1 as rebuilds_all
    from built
    where build_settings != '{{ build_settings }}'
    union all
    select 1 as rebuilds_all
    from (select distinct cutoff_on from built) as built_cutoffs
    full outer join cutoffs
        on built_cutoffs.cutoff_on = cutoffs.cutoff_on
    where built_cutoffs.cutoff_on is null or cutoffs.cutoff_on is null
),

built_contacts as (
    select distinct
        contact_id,
        completed_orders,
        orders_built_at,
        evidence_built_at,
        reactions,
        reactions_built_at,
        likes_given is not null as has_account,
        followers
    from built
),

touched_contacts as (
    select coalesce(customers_at_any_cutoff.contact_id, built_contacts.contact_id)
        as contact_id
    from customers_at_any_cutoff
    full outer join built_contacts
        on customers_at_any_cutoff.contact_id = built_contacts.contact_id
    where
        exists (select 1 from rebuilds_all)
        or customers_at_any_cutoff.contact_id is null
        or built_contacts.contact_id is null
        or customers_at_any_cutoff.completed_orders != built_contacts.completed_orders
        -- null for orders written before orders carried built_at
        or customers_at_any_cutoff.orders_built_at
        is distinct from built_contacts.orders_built_at
        or customers_at_any_cutoff.evidence_built_at
        is distinct from built_contacts.evidence_built_at
        or customers_at_any_cutoff.reactions != built_contacts.reactions
        or customers_at_any_cutoff.reactions_built_at
        is distinct from built_contacts.reactions_built_at
        or customers_at_any_cutoff.has_account != built_contacts.has_account
        or customers_at_any_cutoff.followers is distinct from built_contacts.followers
),

{% endif %}

customers_in_scope as (
    select customers_at_any_cutoff.*
    from customers_at_any_cutoff
    {% if build_only_touched %}
        inner join touched_contacts
            on customers_at_any_cutoff.contact_id = touched_contacts.contact_id
    {% endif %}
),

customers as (
    select
        cutoffs.cutoff_on,
        customers_in_scope.contact_id
    from cutoffs
    inner join customers_in_scope
        on cutoffs.cutoff_on > customers_in_scope.first_ordered_on
),

trust_before as (
    select
        cutoffs.cutoff_on,
        evidence.contact_id,
        round(sum(
            evidence.gained
            * {{ trust_decay(dbt.datediff('evidence.event_on', 'cutoffs.cutoff_on', 'day')) }}
        ), 9) as positive_evidence,
        round(sum(
            evidence.betrayed
            * {{ trust_decay(dbt.datediff('evidence.event_on', 'cutoffs.cutoff_on', 'day')) }}
        ), 9) as negative_evidence
    from cutoffs
    inner join evidence
        on cutoffs.cutoff_on > evidence.event_on
    {% if build_only_touched %}
        inner join touched_contacts
            on evidence.contact_id = touched_contacts.contact_id
    {% endif %}
    group by cutoffs.cutoff_on, evidence.contact_id
),

likes_before as (
    select
        cutoffs.cutoff_on,
        reactions.contact_id,
        count(*) as likes_given
    from cutoffs
    inner join reactions
        on cutoffs.cutoff_on > reactions.created_on
    {% if build_only_touched %}
        inner join touched_contacts
            on reactions.contact_id = touched_contacts.contact_id
    {% endif %}
    group by cutoffs.cutoff_on, reactions.contact_id
),

outcomes as (
    select
        cutoffs.cutoff_on,
        completed_orders.contact_id,
        count(*) as orders_next,
        sum(completed_orders.revenue) as revenue_next
    from cutoffs
    inner join completed_orders
        on
            cutoffs.cutoff_on <= completed_orders.ordered_on
            and completed_orders.ordered_on
            < {{ dbt.dateadd('day', var('trust_validity_horizon_days'), 'cutoffs.cutoff_on') }}
    {% if build_only_touched %}
        inner join touched_contacts
            on completed_orders.contact_id = touched_contacts.contact_id
    {% endif %}
    group by cutoffs.cutoff_on, completed_orders.contact_id
),

final as (
    select
        customers.cutoff_on,
        customers.contact_id,
        {{ trust_score(
            'coalesce(trust_before.positive_evidence, 0)',
            'coalesce(trust_before.negative_evidence, 0)'
        ) }} as trust_score,
        customers_in_scope.followers,
        case
            when customers_in_scope.has_account then coalesce(likes_before.likes_given, 0)
        end as likes_given,
        outcomes.contact_id is not null as is_retained_next,
        coalesce(outcomes.revenue_next, 0) as revenue_next,
        -- what the row was built from: the next run's change detection
        customers_in_scope.completed_orders,
        customers_in_scope.orders_built_at,
        customers_in_scope.evidence_built_at,
        customers_in_scope.reactions,
        customers_in_scope.reactions_built_at,
        '{{ build_settings }}' as build_settings,
        {{ dbt.current_timestamp() }} as built_at
    from customers
    inner join customers_in_scope
        on customers.contact_id = customers_in_scope.contact_id
    left join trust_before
        on
            customers.cutoff_on = trust_before.cutoff_on
            and customers.contact_id = trust_before.contact_id
    left join likes_before
        on
            customers.cutoff_on = likes_before.cutoff_on
            and customers.contact_id = likes_before.contact_id
    left join outcomes
        on
            customers.cutoff_on = outcomes.cutoff_on
            and customers.contact_id = outcomes.contact_id
    {% if build_only_touched or replaces_every_built_contact %}
        -- one marker row per rebuilt contact (cutoff_on null): its built rows are
        -- replaced even when none is left
        union all
        select
            null as cutoff_on,
            contact_id,
            null as trust_score,
            null as followers,
            null as likes_given,
            null as is_retained_next,
            null as revenue_next,
            null as completed_orders,
            null as orders_built_at,
            null as evidence_built_at,
            null as reactions,
            null as reactions_built_at,
            null as build_settings,
            null as built_at
        from {{ 'touched_contacts' if build_only_touched else '(select distinct contact_id from ' ~ this ~ ')' }}
    {% endif %}
)

select * from final
