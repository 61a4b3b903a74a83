with

source as {{ inline_import() }} (
    select * from {{ source('analytics', 'roi_coefficients') }}
),

renamed as (
    select
        cast(treatment_group as string) as treatment_group,
        cast(coefficient as double) as coefficient,
        cast(std_error as double) as std_error,
        cast(effect_multiplier as double) as effect_multiplier,
        cast(effect_multiplier_low as double) as effect_multiplier_low,
        cast(effect_multiplier_high as double) as effect_multiplier_high,
        cast(method as string) as method,
        cast(window_start as date) as window_start,
        cast(window_end as date) as window_end
    from source
)

select * from renamed
