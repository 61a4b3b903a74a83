with

by_cutoff as {{ inline_import() }} (
    select * from {{ ref('int_cutoff_deciles_aggregated') }}
),

customers_scored as {{ inline_import() }} (
    select * from {{ ref('int_cutoff_customers_scored') }}
),

-- a customer counts once per cutoff: how many times, on average, per measure
appearances as (
    select
        'trust_score' as measure,
        count(*) / cast(count(distinct contact_id) as double) as pairs_per_customer
    from customers_scored
    union all
    select
        'followers' as measure,
        count(*) / cast(greatest(count(distinct contact_id), 1) as double) as pairs_per_customer
    from customers_scored
    where followers is not null
    union all
    select
        'likes_given' as measure,
        count(*) / cast(greatest(count(distinct contact_id), 1) as double) as pairs_per_customer
    from customers_scored
    where likes_given is not null
),

pooled as (
    select
        measure,
        decile,
        cast(count(*) as bigint) as cutoffs,
        min(cutoff_on) as first_cutoff_on,
        max(cutoff_on) as last_cutoff_on,
        cast(sum(customers) as bigint) as customers,
        cast(sum(retained_next_90d) as bigint) as retained_next_90d,
        cast(sum(revenue_next_90d_total) as decimal(38, 2)) as revenue_next_90d_total
    from by_cutoff
    group by measure, decile
),

shares as (
    select
        *,
        cast(retained_next_90d as double) / customers as retained_next_90d_share,
        cast(revenue_next_90d_total as double) / customers as revenue_next_90d
    from pooled
),

-- Spearman across deciles: Pearson correlation of decile and the (average) rank
-- of its retention share
ranked as (
    select
        *,
        rank() over (partition by measure order by retained_next_90d_share asc)
        + (count(*) over (partition by measure, retained_next_90d_share) - 1) / 2.0
            as retention_rank
    from shares
),

trends as (
    select
        measure,
        corr(cast(decile as double), retention_rank) as decile_retention_spearman,
        max(case when decile = 10 then retained_next_90d_share end)
        / nullif(max(case when decile = 1 then retained_next_90d_share end), 0)
            as top_bottom_retention_ratio,
        max(retained_next_90d_share) - min(retained_next_90d_share) as retention_spread,
        max(case when decile = 10 then retained_next_90d end) as top_retained,
        max(case when decile = 10 then customers end) as top_customers,
        max(case when decile = 1 then retained_next_90d end) as bottom_retained,
        max(case when decile = 1 then customers end) as bottom_customers
    from ranked
    group by measure
),

-- Katz's log interval for a ratio of two proportions, its variance multiplied by
-- the pairs per customer (a customer sits in up to one pair per cutoff, and their
-- outcomes are correlated): se = sqrt(k (1/x10 - 1/n10 + 1/x1 - 1/n1))
intervals as (
    select
        trends.*,
        sqrt(
            appearances.pairs_per_customer * (
                1.0 / nullif(trends.top_retained, 0) - 1.0 / trends.top_customers
                + 1.0 / nullif(trends.bottom_retained, 0) - 1.0 / trends.bottom_customers
            )
        ) as log_ratio_se
    from trends
    left join appearances on trends.measure = appearances.measure
),

final as (
    select
        shares.measure,
        shares.decile,
        shares.customers,
        round(shares.retained_next_90d_share, 6) as retained_next_90d_share,
        round(shares.revenue_next_90d, 4) as revenue_next_90d,
        shares.retained_next_90d,
        cast(shares.revenue_next_90d_total as double) as revenue_next_90d_total,
        shares.cutoffs,
        shares.first_cutoff_on,
        shares.last_cutoff_on,
        round(intervals.decile_retention_spearman, 4) as decile_retention_spearman,
        round(intervals.top_bottom_retention_ratio, 4) as top_bottom_retention_ratio,
        round(
            intervals.top_bottom_retention_ratio * exp(-1.6448536 * intervals.log_ratio_se), 4
        ) as top_bottom_retention_ratio_low,
        round(
            intervals.top_bottom_retention_ratio * exp(1.6448536 * intervals.log_ratio_se), 4
        ) as top_bottom_retention_ratio_high,
        round(intervals.retention_spread, 6) as retention_spread,
        coalesce(
            intervals.top_bottom_retention_ratio * exp(-1.6448536 * intervals.log_ratio_se) > 1,
            false
        ) as predicts_retention
    from shares
    inner join intervals on shares.measure = intervals.measure
)

select * from final
