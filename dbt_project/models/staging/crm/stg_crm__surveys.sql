with

source as (
    {{ latest_by_key(source('raw', 'crm__surveys'), ['response_id']) }}
),

renamed as (
    select
        cast(response_id as string) as response_id,
        cast(contact_id as string) as contact_id,
        cast(responded_at as timestamp) as responded_at,
        cast(nps as bigint) as nps,
        cast(csat as bigint) as csat,
        cast(comment as string) as comment,
        _file_name as source_file_name
    from source
)

select * from renamed
