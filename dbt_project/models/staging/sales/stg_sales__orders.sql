{#- Staged as a table, incremental where the engine allows: why and how in
    staged_build_ctes (macros/latest_by_key.sql). -#}
{{ config(materialized=incremental_where_supported(), unique_key='order_id') }}
{% set build_only_touched = incremental_build_tracks('inputs_ingested_through') %}

with

ingested_files as {{ inline_import() }} (
    select * from {{ ref('stg_quarantine__ingested_files') }}
),

{{ staged_build_ctes(source('raw', 'sales__orders'), ['order_id'], build_only_touched) }}

source as (
    {{ latest_by_key(
        source('raw', 'sales__orders'), ['order_id'],
        only_keys_in='keys_in_new_files' if build_only_touched else none,
        rank_repeated_keys_only=true
    ) }}
),

renamed as (
    select
        cast(order_id as string) as order_id,
        cast(contact_id as string) as contact_id,
        cast(ordered_at as timestamp) as ordered_at,
        cast(currency as string) as currency,
        cast(amount as double) as amount,
        cast(status as string) as status,
        cast(channel as string) as channel,
        _file_name as source_file_name,
        _file_hash as source_file_hash,
        (select build.inputs_ingested_through from build) as inputs_ingested_through,
        -- the start of the build that wrote the row: what its key test has not seen yet
        {{ dbt.current_timestamp() }} as staged_at
    from source
)

select * from renamed
