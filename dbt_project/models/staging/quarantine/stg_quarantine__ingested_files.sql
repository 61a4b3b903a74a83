with

source as {{ inline_import() }} (
    select * from {{ source('quarantine', 'ingested_files') }}
),

renamed as (
    select
        cast(file_hash as string) as file_hash,
        cast(file_path as string) as file_path,
        cast(status as string) as status,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_quarantined as bigint) as rows_quarantined,
        cast(ingested_at as timestamp) as ingested_at
    from source
)

select * from renamed
