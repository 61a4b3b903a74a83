{#- A table, not a view like the other staging models: a large landing entity read
    several times a run (models, their tests, the quality checks). As a view, each read
    re-ran the last-file-wins window over every row (at L 10-15M rows, 3-8 s a read);
    built once, they read the result (issue 23). -#}
{{ config(materialized='table') }}

with

source as (
    {{ latest_by_key(source('raw', 'sales__order_lines'), ['order_id', 'line_no']) }}
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
        _file_hash as source_file_hash
    from source
)

select * from renamed
