with

deciles as {{ inline_import() }} (
    select * from {{ ref('int_cutoff_deciles_aggregated') }}
),

final as (
    select
        cutoff_on,
        measure,
        decile,
        customers,
        retained_next_90d,
        retained_next_90d_share,
        revenue_next_90d,
        revenue_next_90d_total,
        measure_min,
        measure_max
    from deciles
)

select * from final
