{#- Staged as a table, incremental where the engine allows: why and how in
    staged_build_ctes (macros/latest_by_key.sql). -#}
{{ config(materialized=incremental_where_supported(), unique_key=['order_id', 'line_no']) }}
{% set build_only_touched = incremental_build_tracks('inputs_ingested_through') %}

with

ingested_files as {{ inline_import() }} (
    select * from {{ ref('stg_quarantine__ingested_files') }}
),

{{ staged_build_ctes(source('raw', 'sales__order_lines'), ['order_id', 'line_no'], build_only_touched) }}

source as (
    {{ latest_by_key(
        source('raw', 'sales__order_lines'), ['order_id', 'line_no'],
        only_keys_in='keys_in_new_files' if build_only_touched else none,
        rank_repeated_keys_only=true
    ) }}
),

renamed as (
    select
        cast(order_id as string) as order_id,
        cast(line_no as bigint) as line_no,
        cast(sku as string) as sku,
        cast(quantity as bigint) as quantity,
        cast(unit_price as double) as unit_price,
        cast(unit_cost as double) as unit_cost,
        _file_name as source_file_name,
        _file_hash as source_file_hash,
        (select build.inputs_ingested_through from build) as inputs_ingested_through,
        -- the start of the build that wrote the row: what its key test has not seen yet
        {{ dbt.current_timestamp() }} as staged_at
    from source
)

select * from renamed
