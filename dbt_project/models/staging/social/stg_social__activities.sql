{#- Staged as a table, incremental where the engine allows: why and how in
    staged_build_ctes (macros/latest_by_key.sql). -#}
{{ config(materialized=incremental_where_supported(), unique_key=['platform', 'activity_id']) }}
{% set build_only_touched = incremental_build_tracks('inputs_ingested_through') %}

with

ingested_files as {{ inline_import() }} (
    select * from {{ ref('stg_quarantine__ingested_files') }}
),

{{ staged_build_ctes(source('raw', 'social__activities'), ['platform', 'activity_id'], build_only_touched) }}

source as (
    {{ latest_by_key(
        source('raw', 'social__activities'), ['platform', 'activity_id'],
        only_keys_in='keys_in_new_files' if build_only_touched else none,
        rank_repeated_keys_only=true
    ) }}
),

renamed as (
    select
        cast(platform as string) as platform,
        cast(activity_id as string) as activity_id,
        cast(account_id as string) as account_id,
        cast(activity_type as string) as activity_type,
        cast(created_at as timestamp) as created_at,
        cast(text as string) as text,
        cast(parent_id as string) as parent_id,
        cast(campaign_id as string) as campaign_id,
        cast(like_count as bigint) as like_count,
        cast(share_count as bigint) as share_count,
        cast(lang as string) as lang,
        cast(sentiment as double) as sentiment,
        _file_name as source_file_name,
        _file_hash as source_file_hash,
        (select build.inputs_ingested_through from build) as inputs_ingested_through,
        -- the start of the build that wrote the row: what its key test has not seen yet
        {{ dbt.current_timestamp() }} as staged_at
    from source
)

select * from renamed
