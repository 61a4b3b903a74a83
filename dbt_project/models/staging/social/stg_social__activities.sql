with

source as (
    {{ latest_by_key(source('raw', 'social__activities'), ['platform', 'activity_id']) }}
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
        _file_hash as source_file_hash
    from source
)

select * from renamed
