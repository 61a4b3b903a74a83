with

source as (
    {{ latest_by_key(source('raw', 'crm__identities'), ['contact_id', 'platform']) }}
),

renamed as (
    select
        cast(contact_id as string) as contact_id,
        cast(platform as string) as platform,
        cast(account_id as string) as account_id,
        cast(handle as string) as handle,
        _file_name as source_file_name
    from source
)

select * from renamed
