with

scored as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

member_voice as (
    select
        {{ scope_of('scored.platform') }} as platform,
        scored.created_on,
        scored.is_negative
    from scored
    cross join {{ platform_scopes() }}
    where not scored.is_brand_author
),

bounds as (
    select
        min(created_on) as first_day,
        max(created_on) as last_day
    from member_voice
),

days as (
    {{ day_series('first_day', 'last_day', 'bounds') }}
),

platforms as (
    select distinct platform from member_voice
),

counts as (
    select
        platform,
        created_on,
        count(*) filter (where is_negative) as negative_mentions,
        count(*) as member_activities
    from member_voice
    group by platform, created_on
),

filled as (
    select
        platforms.platform,
        days.day as date,
        coalesce(counts.negative_mentions, 0) as negative_mentions,
        coalesce(counts.member_activities, 0) as member_activities
    from platforms
    cross join days
    left join counts
        on
            platforms.platform = counts.platform
            and days.day = counts.created_on
),

-- baseline: the previous crisis_baseline_days days (not the day itself)
history as (
    select
        today.platform,
        today.date,
        past.negative_mentions
    from filled as today
    inner join filled as past
        on
            today.platform = past.platform
            and today.date > past.date
            and {{ dbt.dateadd('day', -var('crisis_baseline_days'), 'today.date') }} <= past.date
),

medians as (
    select
        platform,
        date,
        median(cast(negative_mentions as double)) as baseline_median,
        count(*) as baseline_days
    from history
    group by platform, date
),

deviations as (
    select
        history.platform,
        history.date,
        median(abs(cast(history.negative_mentions as double) - medians.baseline_median))
            as baseline_mad
    from history
    inner join medians
        on
            history.platform = medians.platform
            and history.date = medians.date
    group by history.platform, history.date
),

-- what follows: the level from a week after the day to crisis_lookahead_days after
-- it. A burst returns to its baseline; a lasting step (a program launch, a new
-- channel, growth) stays up, and is a change of regime rather than a crisis
ahead as (
    select
        today.platform,
        today.date,
        median(cast(later.negative_mentions as double)) as ahead_median,
        count(*) as ahead_days
    from filled as today
    inner join filled as later
        on
            today.platform = later.platform
            and {{ dbt.dateadd('day', 7, 'today.date') }} <= later.date
            and {{ dbt.dateadd('day', var('crisis_lookahead_days'), 'today.date') }} >= later.date
    group by today.platform, today.date
),

flagged as (
    select
        filled.platform,
        filled.date,
        filled.negative_mentions,
        filled.member_activities,
        medians.baseline_median,
        deviations.baseline_mad,
        medians.baseline_days,
        -- robust scale: 1.4826 x MAD estimates a standard deviation; a Poisson count's
        -- sqrt(median) and 1 keep quiet baselines (MAD = 0) from alarming on noise
        greatest(1.4826 * deviations.baseline_mad, sqrt(medians.baseline_median), 1.0)
            as baseline_scale,
        coalesce(
            medians.baseline_days >= {{ var('crisis_baseline_days') }} / 2
            and filled.negative_mentions - medians.baseline_median
            > {{ var('crisis_threshold') }}
            * greatest(1.4826 * deviations.baseline_mad, sqrt(medians.baseline_median), 1.0)
            and filled.negative_mentions - medians.baseline_median
            >= {{ var('crisis_min_excess') }},
            false
        ) as is_alarm_day,
        ahead.ahead_median,
        coalesce(ahead.ahead_days, 0) as ahead_days
    from filled
    left join medians
        on
            filled.platform = medians.platform
            and filled.date = medians.date
    left join deviations
        on
            filled.platform = deviations.platform
            and filled.date = deviations.date
    left join ahead
        on
            filled.platform = ahead.platform
            and filled.date = ahead.date
),

shifted as (
    select
        *,
        -- a step: the level ahead kept at least half of the day's excess over its
        -- baseline (needs half the look-ahead seen; until then an alarm stays a crisis)
        coalesce(
            is_alarm_day
            and ahead_days >= ({{ var('crisis_lookahead_days') }} - 6) / 2
            and ahead_median - baseline_median >= 0.5 * (negative_mentions - baseline_median),
            false
        ) as is_level_shift_day
    from flagged
),

final as (
    select
        platform,
        date,
        negative_mentions,
        member_activities,
        baseline_median,
        baseline_mad,
        baseline_days,
        baseline_scale,
        is_alarm_day and not is_level_shift_day as is_crisis_day,
        is_level_shift_day,
        ahead_median,
        ahead_days
    from shifted
)

select * from final
