with

source as (
    {{ latest_by_key(source('raw', 'costs__community_costs'), ['cost_id']) }}
),

renamed as (
    select
        cast(cost_id as string) as cost_id,
        cast(incurred_on as date) as incurred_on,
        cast(category as string) as category,
        cast(amount as double) as amount,
        cast(currency as string) as currency,
        cast(platform as string) as platform,
        cast(campaign_id as string) as campaign_id,
        cast(note as string) as note,
        _file_name as source_file_name
    from source
)

select * from renamed
