-- How bursty a crisis's negative voice is: the largest share of its mentions that
-- fell within six consecutive hours.
with

mentions as {{ inline_import() }} (
    select * from {{ ref('int_crisis_mentions_collected') }}
),

hourly as (
    select
        crisis_id,
        floor({{ epoch_seconds('created_at') }} / 3600) as hour_no,
        count(*) as mentions_in_hour
    from mentions
    group by crisis_id, floor({{ epoch_seconds('created_at') }} / 3600)
),

six_hours as (
    select
        crisis_id,
        sum(mentions_in_hour) over (
            partition by crisis_id order by hour_no range between current row and 5 following
        ) as mentions_in_six_hours
    from hourly
),

mention_totals as (
    select
        crisis_id,
        count(*) as mentions
    from mentions
    group by crisis_id
),

final as (
    select
        six_hours.crisis_id,
        max(mention_totals.mentions) as mentions,
        max(six_hours.mentions_in_six_hours) / cast(max(mention_totals.mentions) as double)
            as burst_synchrony
    from six_hours
    inner join mention_totals
        on six_hours.crisis_id = mention_totals.crisis_id
    group by six_hours.crisis_id
)

select * from final
