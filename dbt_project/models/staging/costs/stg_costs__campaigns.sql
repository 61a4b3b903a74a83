with

source as (
    {{ latest_by_key(source('raw', 'costs__campaigns'), ['campaign_id']) }}
),

renamed as (
    select
        cast(campaign_id as string) as campaign_id,
        cast(name as string) as name,
        cast(platform as string) as platform,
        cast(started_on as date) as started_on,
        cast(ended_on as date) as ended_on,
        cast(objective as string) as objective,
        _file_name as source_file_name
    from source
)

select * from renamed
