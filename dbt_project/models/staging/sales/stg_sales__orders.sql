with

source as (
    {{ latest_by_key(source('raw', 'sales__orders'), ['order_id']) }}
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
        _file_hash as source_file_hash
    from source
)

select * from renamed
