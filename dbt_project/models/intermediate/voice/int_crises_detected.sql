-- Crises: runs of crisis days per platform (and 'all'); a single quiet day inside a
-- run does not split it. The rule for a crisis day is in int_negative_mentions_baselined.
with

daily as {{ inline_import() }} (
    select * from {{ ref('int_negative_mentions_baselined') }}
),

numbered as (
    {{ numbered_day_runs('daily', 'is_crisis_day') }}
),

incidents as (
    select
        platform,
        concat(platform, '-', cast(min(date) as string)) as crisis_id,
        min(date) as started_on,
        max(date) as ended_on
    from numbered
    group by platform, run_no
),

incident_days as (
    select
        incidents.crisis_id,
        cast(sum(daily.negative_mentions) as bigint) as negative_mentions,
        sum(daily.baseline_median) as baseline_negative_mentions,
        max_by(daily.date, daily.negative_mentions) as peak_on
    from incidents
    inner join daily
        on
            incidents.platform = daily.platform
            and incidents.started_on <= daily.date
            and incidents.ended_on >= daily.date
    group by incidents.crisis_id
),

final as (
    select
        incidents.crisis_id,
        incidents.platform,
        incidents.started_on,
        incidents.ended_on,
        incident_days.peak_on,
        incident_days.negative_mentions,
        incident_days.baseline_negative_mentions
    from incidents
    inner join incident_days on incidents.crisis_id = incident_days.crisis_id
)

select * from final
