with

daily as (
    select * from {{ ref('int_negative_mentions_baselined') }}
),

scored as (
    select * from {{ ref('int_activities_scored') }}
),

bands as (
    select * from {{ ref('stg_analytics__text_minhash_bands') }}
),

advocates as (
    select * from {{ ref('advocates') }}
),

orders as (
    select * from {{ ref('int_orders_converted') }}
),

-- incidents: runs of crisis days; a single quiet day inside a run does not split it
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

-- the incident's negative voice, activity by activity
mentions as (
    select
        incidents.crisis_id,
        scored.platform,
        scored.activity_id,
        scored.account_id,
        scored.created_at,
        scored.text_hash,
        scored.is_young_account,
        scored.is_known_customer
    from incidents
    inner join scored
        on
            (incidents.platform = 'all' or incidents.platform = scored.platform)
            and incidents.started_on <= scored.created_on
            and incidents.ended_on >= scored.created_on
    where not scored.is_brand_author and scored.is_negative
),

authors as (
    select
        crisis_id,
        platform,
        account_id,
        max(case when is_young_account then 1 else 0 end) as is_young,
        max(case when is_known_customer then 1 else 0 end) as is_customer
    from mentions
    group by crisis_id, platform, account_id
),

author_shares as (
    select
        crisis_id,
        count(*) as authors,
        avg(cast(is_young as double)) as new_account_share,
        avg(cast(is_customer as double)) as known_customer_share
    from authors
    group by crisis_id
),

mention_bands as (
    select
        mentions.crisis_id,
        mentions.platform,
        mentions.activity_id,
        mentions.account_id,
        bands.band_no,
        bands.band_key
    from mentions
    inner join bands
        on mentions.text_hash = bands.text_hash
),

shared_bands as (
    select
        crisis_id,
        band_no,
        band_key
    from mention_bands
    group by crisis_id, band_no, band_key
    having count(distinct concat(platform, '|', account_id)) >= 2
),

duplicated as (
    select distinct
        mention_bands.crisis_id,
        mention_bands.platform,
        mention_bands.activity_id
    from mention_bands
    inner join shared_bands
        on
            mention_bands.crisis_id = shared_bands.crisis_id
            and mention_bands.band_no = shared_bands.band_no
            and mention_bands.band_key = shared_bands.band_key
),

duplicate_counts as (
    select
        crisis_id,
        count(*) as duplicated_mentions
    from duplicated
    group by crisis_id
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

synchrony as (
    select
        six_hours.crisis_id,
        max(six_hours.mentions_in_six_hours) / cast(max(mention_totals.mentions) as double)
            as burst_synchrony
    from six_hours
    inner join mention_totals
        on six_hours.crisis_id = mention_totals.crisis_id
    group by six_hours.crisis_id
),

counter_voice as (
    select
        incidents.crisis_id,
        count(*) as advocate_counter_mentions
    from incidents
    inner join scored
        on
            (incidents.platform = 'all' or incidents.platform = scored.platform)
            and incidents.started_on <= scored.created_on
            and incidents.ended_on >= scored.created_on
    inner join advocates
        on
            scored.platform = advocates.platform
            and scored.account_id = advocates.account_id
    where advocates.in_unlocking_minority and scored.is_positive and not scored.is_brand_author
    group by incidents.crisis_id
),

-- revenue: 14 days from started_on against the 28 before, as daily rates; the same
-- ratio 364 days earlier (same weekdays) removes seasonality where history allows
revenue_daily as (
    select
        ordered_on,
        sum(revenue) as revenue
    from orders
    where is_completed
    group by ordered_on
),

revenue_bounds as (
    select
        min(ordered_on) as first_on,
        max(ordered_on) as last_on
    from revenue_daily
),

years_back as (
    select 0 as lag_days
    union all
    select 364 as lag_days
),

windows as (
    select
        incidents.crisis_id,
        years_back.lag_days,
        cast({{ dbt.dateadd('day', '-28 - years_back.lag_days', 'incidents.started_on') }} as date)
            as before_from,
        cast({{ dbt.dateadd('day', '-years_back.lag_days', 'incidents.started_on') }} as date)
            as after_from,
        cast({{ dbt.dateadd('day', '14 - years_back.lag_days', 'incidents.started_on') }} as date)
            as after_until
    from incidents
    cross join years_back
),

window_revenue as (
    select
        windows.crisis_id,
        windows.lag_days,
        min(windows.before_from) >= min(revenue_bounds.first_on)
        and max(windows.after_until) <= {{ dbt.dateadd('day', 1, 'max(revenue_bounds.last_on)') }}
            as is_covered,
        sum(case when revenue_daily.ordered_on < windows.after_from then revenue_daily.revenue end)
        / 28.0 as before_per_day,
        sum(case when revenue_daily.ordered_on >= windows.after_from then revenue_daily.revenue end)
        / 14.0 as after_per_day
    from windows
    cross join revenue_bounds
    left join revenue_daily
        on
            windows.before_from <= revenue_daily.ordered_on
            and windows.after_until > revenue_daily.ordered_on
    group by windows.crisis_id, windows.lag_days
),

revenue_change as (
    select
        now.crisis_id,
        case when now.is_covered then now.after_per_day / nullif(now.before_per_day, 0) end
            as ratio_now,
        case
            when last_year.is_covered
                then last_year.after_per_day / nullif(last_year.before_per_day, 0)
        end as ratio_last_year
    from window_revenue as now
    left join window_revenue as last_year
        on
            now.crisis_id = last_year.crisis_id
            and last_year.lag_days = 364
    where now.lag_days = 0
),

joined as (
    select
        incidents.crisis_id,
        incidents.platform,
        incidents.started_on,
        incidents.ended_on,
        incident_days.peak_on,
        incident_days.negative_mentions,
        incident_days.baseline_negative_mentions,
        coalesce(author_shares.authors, 0) as authors,
        coalesce(author_shares.new_account_share, 0) as new_account_share,
        coalesce(duplicate_counts.duplicated_mentions, 0)
        / cast(greatest(coalesce(mention_totals.mentions, 0), 1) as double) as duplicate_text_share,
        coalesce(author_shares.known_customer_share, 0) as known_customer_share,
        coalesce(synchrony.burst_synchrony, 0) as burst_synchrony,
        coalesce(counter_voice.advocate_counter_mentions, 0) as advocate_counter_mentions,
        revenue_change.ratio_now,
        revenue_change.ratio_last_year
    from incidents
    inner join incident_days on incidents.crisis_id = incident_days.crisis_id
    left join author_shares on incidents.crisis_id = author_shares.crisis_id
    left join duplicate_counts on incidents.crisis_id = duplicate_counts.crisis_id
    left join mention_totals on incidents.crisis_id = mention_totals.crisis_id
    left join synchrony on incidents.crisis_id = synchrony.crisis_id
    left join counter_voice on incidents.crisis_id = counter_voice.crisis_id
    left join revenue_change on incidents.crisis_id = revenue_change.crisis_id
),

final as (
    select
        crisis_id,
        platform,
        started_on,
        ended_on,
        peak_on,
        negative_mentions,
        round(baseline_negative_mentions, 1) as baseline_negative_mentions,
        round(negative_mentions / greatest(baseline_negative_mentions, 1.0), 2) as severity,
        authors,
        round(new_account_share, 4) as new_account_share,
        round(duplicate_text_share, 4) as duplicate_text_share,
        round(known_customer_share, 4) as known_customer_share,
        round(burst_synchrony, 4) as burst_synchrony,
        {{ amplification_score() }} as amplification_score,
        {{ amplification_score() }} >= {{ var('amplification_threshold') }}
            as suspected_amplification,
        advocate_counter_mentions,
        round(
            100.0 * (ratio_now / coalesce(ratio_last_year, 1.0) - 1.0), 1
        ) as revenue_change_pct,
        ratio_last_year is not null as is_revenue_seasonality_adjusted
    from joined
)

select * from final
