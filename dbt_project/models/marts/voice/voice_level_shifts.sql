with

daily as {{ inline_import() }} (
    select * from {{ ref('int_negative_mentions_baselined') }}
),

-- runs of level-shift days, as crisis_events forms incidents from crisis days
numbered as (
    {{ numbered_day_runs('daily', 'is_level_shift_day') }}
),

shifts as (
    select
        platform,
        min(date) as shifted_on,
        max(date) as last_alarm_on
    from numbered
    group by platform, run_no
),

joined as (
    select
        shifts.platform,
        shifts.shifted_on,
        shifts.last_alarm_on,
        daily.baseline_median,
        daily.ahead_median,
        daily.negative_mentions
    from shifts
    inner join daily
        on
            shifts.platform = daily.platform
            and shifts.shifted_on = daily.date
),

final as (
    select
        concat(platform, '-', cast(shifted_on as string)) as level_shift_id,
        platform,
        shifted_on,
        last_alarm_on,
        negative_mentions as negative_mentions_on_the_day,
        baseline_median as negative_per_day_before,
        ahead_median as negative_per_day_after,
        round(ahead_median / greatest(baseline_median, 1.0), 2) as step_ratio
    from joined
)

select * from final
