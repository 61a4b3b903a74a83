with

source as (
    {{ latest_by_key(source('raw', 'crm__tickets'), ['ticket_id']) }}
),

renamed as (
    select
        cast(ticket_id as string) as ticket_id,
        cast(contact_id as string) as contact_id,
        cast(channel as string) as channel,
        cast(opened_at as timestamp) as opened_at,
        cast(resolved_at as timestamp) as resolved_at,
        cast(status as string) as status,
        cast(topic as string) as topic,
        _file_name as source_file_name
    from source
)

select * from renamed
