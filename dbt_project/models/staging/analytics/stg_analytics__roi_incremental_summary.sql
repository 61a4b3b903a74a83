with

source as {{ inline_import() }} (
    select * from {{ source('analytics', 'roi_incremental_summary') }}
),

renamed as (
    select
        cast(platform as string) as platform,
        cast(covered_engaged_customers as bigint) as covered_engaged_customers,
        cast(control_customers as bigint) as control_customers,
        cast(incremental_revenue as double) as incremental_revenue,
        cast(incremental_revenue_low as double) as incremental_revenue_low,
        cast(incremental_revenue_high as double) as incremental_revenue_high,
        cast(incremental_margin as double) as incremental_margin,
        cast(incremental_margin_low as double) as incremental_margin_low,
        cast(incremental_margin_high as double) as incremental_margin_high,
        cast(pretrend_p_value as double) as pretrend_p_value,
        cast(pretrend_ok as boolean) as pretrend_ok,
        cast(method as string) as method,
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end
    from source
)

select * from renamed
