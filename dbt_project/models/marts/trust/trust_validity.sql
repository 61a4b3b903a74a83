with

by_cutoff as (
    select * from {{ ref('trust_validity_by_cutoff') }}
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
        cast(sum(revenue_next_90d_total) as decimal(18, 2)) as revenue_next_90d_total
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
            as top_bottom_retention_ratio
    from ranked
    group by measure
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
        round(trends.decile_retention_spearman, 4) as decile_retention_spearman,
        round(trends.top_bottom_retention_ratio, 4) as top_bottom_retention_ratio
    from shares
    inner join trends on shares.measure = trends.measure
)

select * from final
