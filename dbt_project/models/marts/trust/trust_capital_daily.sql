with

evidence as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_aggregated_to_contact_days') }}
),

states as {{ inline_import() }} (
    select * from {{ ref('int_trust_states_tracked') }}
),

bounds as (
    select
        min(event_on) as first_day,
        max(as_of_on) as last_day
    from evidence
),

days as (
    {{ day_series('first_day', 'last_day', 'bounds') }}
),

flows as (
    select
        event_on,
        -- rounded: the last bits of a sum depend on the order it is added in
        round(sum(gained), 9) as gained,
        round(sum(betrayed), 9) as betrayed
    from evidence
    group by event_on
),

-- +1 when a contact enters a trusting (betrayed) spell, -1 the day it leaves it
spell_edges as (
    select
        event_on as date,
        1 as trusting_change,
        0 as betrayed_change
    from states
    where trusting_days > 0
    union all
    select
        {{ dbt.dateadd('day', 'trusting_days', 'event_on') }} as date,
        -1 as trusting_change,
        0 as betrayed_change
    from states
    where trusting_days > 0
    union all
    select
        event_on as date,
        0 as trusting_change,
        1 as betrayed_change
    from states
    where betrayed_days > 0
    union all
    select
        {{ dbt.dateadd('day', 'betrayed_days', 'event_on') }} as date,
        0 as trusting_change,
        -1 as betrayed_change
    from states
    where betrayed_days > 0
),

spell_changes as (
    select
        cast(date as date) as date,
        sum(trusting_change) as trusting_change,
        sum(betrayed_change) as betrayed_change
    from spell_edges
    group by cast(date as date)
),

daily as (
    select
        days.day as date,
        {{ dbt.datediff('bounds.first_day', 'days.day', 'day') }} as day_number,  -- noqa: LT05
        coalesce(flows.gained, 0) as gained,
        coalesce(flows.betrayed, 0) as betrayed,
        coalesce(spell_changes.trusting_change, 0) as trusting_change,
        coalesce(spell_changes.betrayed_change, 0) as betrayed_change
    from days
    cross join bounds
    left join flows on days.day = flows.event_on
    left join spell_changes on days.day = spell_changes.date
),

-- stock_t = stock_(t-1) * 0.5^(1/h) + gained_t - betrayed_t, in closed form:
-- 2^(-t/h) * running sum of (gained - betrayed) * 2^(d/h)
stocked as (
    select
        date,
        gained,
        betrayed,
        sum((gained - betrayed) * power(2.0, day_number / {{ half_life_days() }}))
            over (order by date asc rows between unbounded preceding and current row)
        * power(2.0, -day_number / {{ half_life_days() }}) as trust_capital,
        sum(trusting_change)
            over (order by date asc rows between unbounded preceding and current row)
            as customers_trusting,
        sum(betrayed_change)
            over (order by date asc rows between unbounded preceding and current row)
            as customers_betrayed
    from daily
),

final as (
    select
        date,
        round(trust_capital, 4) as trust_capital,
        round(gained, 4) as gained,
        round(betrayed, 4) as betrayed,
        round(
            coalesce(lag(trust_capital) over (order by date asc), 0)
            * (1 - power(0.5, 1.0 / {{ half_life_days() }})),
            4
        ) as decayed,
        cast(customers_trusting as bigint) as customers_trusting,
        cast(customers_betrayed as bigint) as customers_betrayed
    from stocked
)

select * from final
