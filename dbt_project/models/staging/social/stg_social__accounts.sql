with

source as (
    {{ latest_by_key(source('raw', 'social__accounts'), ['platform', 'account_id']) }}
),

renamed as (
    select
        cast(platform as string) as platform,
        cast(account_id as string) as account_id,
        cast(handle as string) as handle,
        cast(created_at as timestamp) as created_at,
        cast(followers as bigint) as followers,
        cast(is_brand as boolean) as is_brand,
        _file_name as source_file_name
    from source
)

select * from renamed
