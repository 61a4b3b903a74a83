with

source as (
    {{ latest_by_key(source('raw', 'social__page_metrics'), ['platform', 'account_id', 'date']) }}
),

renamed as (
    select
        cast(platform as string) as platform,
        cast(account_id as string) as account_id,
        cast(date as date) as metric_on,
        cast(followers as bigint) as followers,
        cast(impressions as bigint) as impressions,
        cast(reach as bigint) as reach,
        cast(engagements as bigint) as engagements,
        _file_name as source_file_name
    from source
)

select * from renamed
