with

evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_aggregated_to_contact_days') }}
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

-- customers at a cutoff: a completed order before it, i.e. their first one (a join on
-- the first order per contact, not on every order: a third of the time at L)
first_orders as (
    select
        contact_id,
        min(ordered_on) as first_ordered_on
    from completed_orders
    group by contact_id
),

customers as (
    select
        cutoffs.cutoff_on,
        first_orders.contact_id
    from cutoffs
    inner join first_orders
        on cutoffs.cutoff_on > first_orders.first_ordered_on
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
    group by cutoffs.cutoff_on, evidence.contact_id
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

likes_before as (
    select
        cutoffs.cutoff_on,
        activities.contact_id,
        count(*) as likes_given
    from cutoffs
    inner join activities
        on cutoffs.cutoff_on > activities.created_on
    where activities.activity_type = 'reaction' and activities.contact_id is not null
    group by cutoffs.cutoff_on, activities.contact_id
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
        followers.followers,
        case
            when followers.contact_id is not null then coalesce(likes_before.likes_given, 0)
        end as likes_given,
        outcomes.contact_id is not null as is_retained_next,
        coalesce(outcomes.revenue_next, 0) as revenue_next
    from customers
    left join trust_before
        on
            customers.cutoff_on = trust_before.cutoff_on
            and customers.contact_id = trust_before.contact_id
    left join followers
        on customers.contact_id = followers.contact_id
    left join likes_before
        on
            customers.cutoff_on = likes_before.cutoff_on
            and customers.contact_id = likes_before.contact_id
    left join outcomes
        on
            customers.cutoff_on = outcomes.cutoff_on
            and customers.contact_id = outcomes.contact_id
)

select * from final
