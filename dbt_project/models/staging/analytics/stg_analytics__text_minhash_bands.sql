with

source as {{ inline_import() }} (
    select * from {{ source('analytics', 'text_minhash_bands') }}
),

renamed as (
    select
        cast(text_hash as string) as text_hash,
        cast(band_no as int) as band_no,
        cast(band_key as bigint) as band_key
    from source
)

select * from renamed
