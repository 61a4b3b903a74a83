-- Retention and revenue after each cutoff by decile of each measure: published as
-- trust_validity_by_cutoff and pooled over the cutoffs by trust_validity.
with

scored as {{ inline_import() }} (
    select * from {{ ref('int_cutoff_customers_scored') }}
),

measured as (
    select
        cutoff_on,
        contact_id,
        'trust_score' as measure,
        trust_score as measure_value,
        is_retained_next,
        revenue_next
    from scored
    union all
    select
        cutoff_on,
        contact_id,
        'followers' as measure,
        cast(followers as double) as measure_value,
        is_retained_next,
        revenue_next
    from scored
    where followers is not null
    union all
    select
        cutoff_on,
        contact_id,
        'likes_given' as measure,
        cast(likes_given as double) as measure_value,
        is_retained_next,
        revenue_next
    from scored
    where likes_given is not null
),

-- ties broken by contact_id, so equal values may land in neighbouring deciles
ranked as (
    select
        *,
        cast(ntile(10) over (
            partition by cutoff_on, measure order by measure_value asc, contact_id asc
        ) as bigint) as decile
    from measured
),

final as (
    select
        cutoff_on,
        measure,
        decile,
        count(*) as customers,
        count(*) filter (where is_retained_next) as retained_next_90d,
        round(avg(case when is_retained_next then 1 else 0 end), 6)
            as retained_next_90d_share,
        round(cast(avg(revenue_next) as double), 4) as revenue_next_90d,
        cast(sum(revenue_next) as decimal(38, 2)) as revenue_next_90d_total,
        min(measure_value) as measure_min,
        max(measure_value) as measure_max
    from ranked
    group by cutoff_on, measure, decile
)

select * from final
