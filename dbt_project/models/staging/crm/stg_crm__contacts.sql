with

source as (
    {{ latest_by_key(source('raw', 'crm__contacts'), ['contact_id']) }}
),

renamed as (
    select
        cast(contact_id as string) as contact_id,
        cast(email as string) as email,
        cast(created_at as timestamp) as created_at,
        cast(country as string) as country,
        cast(segment as string) as segment,
        cast(marketing_opt_in as boolean) as marketing_opt_in,
        cast(acquisition_channel as string) as acquisition_channel,
        cast(converted_at as timestamp) as converted_at,
        _file_name as source_file_name
    from source
)

select * from renamed
